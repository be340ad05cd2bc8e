"""Property-based tests (hypothesis): gradients, invariances and determinism.

The number of examples is set by the hypothesis profile chosen in ``conftest.py``:
``ci`` (bounded, derandomised) when the ``CI`` variable is set, ``local`` otherwise.

Gradients are checked against central finite differences of an independent reference
objective written from the document's definitions (``tests/_reference.py``) and
evaluated in extended precision (``np.longdouble``): its rounding error is then far
below the float64 tolerance even where large weights make the loss large and strongly
curved, so a failure points at the analytic gradient, not at the finite differences.
"""

import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import _reference as reference
import numpy as np
import pytest
from _fitting import fit_ignoring_convergence_warnings
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import sklearn_twolayer
from sklearn_twolayer import TwoLayerSigmoidClassifier, check_gradient
from sklearn_twolayer._sklearn_compat import sklearn_at_least
from sklearn_twolayer.network import (
    ParameterLayout,
    TwoLayerLoss,
    hidden_sigmoid_,
    log_sigmoid,
    sigmoid,
)

# Tests that fit estimators cost more per example: a fifth of the profile's count.
FIT_EXAMPLES = settings(max_examples=max(5, settings.default.max_examples // 5))


# -- random problems ----------------------------------------------------------------
@st.composite
def problems(draw):
    """A random network, data set, targets, weights and parameter vector."""
    n_samples = draw(st.integers(1, 50), label="n_samples")
    n_features = draw(st.integers(1, 20), label="n_features")
    n_hidden = draw(st.integers(1, 16), label="n_hidden")
    target = draw(st.sampled_from(["binary", "multiclass", "multilabel"]))
    n_outputs = {
        "binary": 1,
        "multiclass": draw(st.integers(3, 5), label="n_classes"),
        "multilabel": draw(st.integers(2, 4), label="n_labels"),
    }[target]
    storage = draw(st.sampled_from(["dense", "csr", "csc"]))
    weighting = draw(st.sampled_from(["none", "real", "integer"]))
    feature_scale = draw(st.sampled_from([0.1, 1.0, 10.0]), label="feature_scale")
    # 30 saturates nearly every unit (pre-activations in the hundreds).
    weight_scale = draw(st.sampled_from([0.01, 1.0, 5.0, 30.0]), label="weight_scale")
    l2 = draw(st.sampled_from([0.0, 1e-4, 1.0]), label="l2")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))

    X = rng.normal(size=(n_samples, n_features)) * feature_scale
    if storage != "dense":
        X[rng.random(X.shape) < 0.5] = 0.0
        X = sparse.csr_matrix(X) if storage == "csr" else sparse.csc_matrix(X)
    if target == "multiclass":
        Y = np.eye(n_outputs)[rng.integers(0, n_outputs, n_samples)]
    else:
        Y = rng.integers(0, 2, (n_samples, n_outputs)).astype(np.float64)
    sample_weight = None
    if weighting == "real":
        sample_weight = rng.uniform(0.0, 3.0, n_samples)
    elif weighting == "integer":
        sample_weight = rng.integers(0, 4, n_samples).astype(np.float64)
        sample_weight[0] += 1.0  # at least one row counts
    layout = ParameterLayout(n_features, n_hidden, n_outputs)
    theta = rng.normal(size=layout.size) * weight_scale
    output = "softmax" if target == "multiclass" else "sigmoid"
    return layout, output, theta, X, Y, sample_weight, l2


def _confident_right_answer(output):
    """One row, its target's logit 12 (sigmoid) or 14 (softmax) above the rest: a
    loss near 1e-8, whose central differences need a reference loss that is not
    the difference of two numbers near the logit (they lost five digits there)."""
    n_outputs = 1 if output == "sigmoid" else 3
    layout = ParameterLayout(2, 2, n_outputs)
    W1, b1 = np.array([[2.0, -1.0], [-1.5, 3.0]]), np.array([0.5, -0.25])
    if output == "sigmoid":
        W2, b2, Y = np.array([[6.0, 5.0]]), np.array([12.0]), np.array([[1.0]])
    else:
        W2 = np.array([[6.0, 5.0], [-6.0, -5.0], [1.0, 0.0]])
        b2, Y = np.array([14.0, 0.0, 0.0]), np.array([[1.0, 0.0, 0.0]])
    theta = layout.pack(W1, b1, W2, b2)
    return layout, output, theta, np.array([[0.5, -1.0]]), Y, None, 0.0


@given(problems())
@example(_confident_right_answer("sigmoid"))
@example(_confident_right_answer("softmax"))
def test_float64_gradient_matches_central_differences(problem):
    layout, output, theta, X, Y, sample_weight, l2 = problem
    loss = TwoLayerLoss(layout, output)
    value, gradient = loss.loss_gradient(theta, X, Y, sample_weight, l2)

    assert gradient.dtype == np.float64
    reference_value = reference.objective(
        layout, output, theta.astype(reference.EXTENDED), X, Y, sample_weight, l2
    )
    assert value == pytest.approx(float(reference_value), rel=1e-10, abs=1e-12)
    assert loss.loss(theta, X, Y, sample_weight, l2) == pytest.approx(value, rel=1e-12)
    numeric = reference.central_differences(
        layout, output, theta, X, Y, sample_weight, l2
    )
    assert reference.relative_error(gradient, numeric) < 1e-6

    # the defaults are: no sample weights, no penalty
    if sample_weight is None and l2 == 0.0:
        assert loss.loss(theta, X, Y) == value
        default_value, default_gradient = loss.loss_gradient(theta, X, Y)
        assert default_value == value
        np.testing.assert_array_equal(default_gradient, gradient)
        data_loss, data_gradient = loss.data_loss_gradient(theta, X, Y)
        assert data_loss / X.shape[0] == pytest.approx(value, rel=1e-12)
        np.testing.assert_allclose(data_gradient / X.shape[0], gradient, rtol=1e-12)


# float32 keeps 24 significant bits: eps = 2**-23 ≈ 1.2e-7. The longest chain of
# sums in the forward and backward pass adds up at most n_samples + n_features +
# n_hidden = 50 + 20 + 16 = 86 terms, and the classical bound on the rounding error of
# a sum of m terms is m·eps times the sum of their magnitudes. Allowing a factor of
# 3 for partial cancellation between the terms gives 256·eps ≈ 3e-5 for the sums.
# The pre-activations a1 and a2 are such sums too: their absolute error is about
# eps·|a|, and σ, softmax and h2 − y pass an absolute error of the argument on as a
# relative error of the same size where the units saturate (h2 − y ≈ e^−|a|). With
# the large weights drawn here |a| reaches hundreds (hypothesis found a softmax case
# at 293·eps), so the bound scales with the largest |a|. A wrong term (an error of
# order one) still cannot pass.
FLOAT32_SUM_TOLERANCE = 256 * float(np.finfo(np.float32).eps)


def float32_tolerance(layout, output, theta, X):
    """256·eps times max(1, the largest |pre-activation|), from the float64 network."""
    loss = TwoLayerLoss(layout, output)
    W1, b1, _, _ = layout.unpack(theta)
    A1 = np.asarray(X @ W1.T) + b1
    A2 = loss.logits(theta, X)
    largest = max(1.0, float(np.abs(A1).max()), float(np.abs(A2).max()))
    return FLOAT32_SUM_TOLERANCE * largest


@given(problems())
def test_float32_gradient_matches_central_differences(problem):
    layout, output, theta, X, Y, sample_weight, l2 = problem
    # The float32 computation and the float64 reference see the same numbers.
    theta32 = theta.astype(np.float32)
    X32 = X.astype(np.float32)
    weights32 = None if sample_weight is None else sample_weight.astype(np.float32)
    loss = TwoLayerLoss(layout, output)
    value, gradient = loss.loss_gradient(
        theta32, X32, Y.astype(np.float32), weights32, l2
    )

    assert gradient.dtype == np.float32
    assert np.isfinite(value)
    numeric = reference.central_differences(
        layout,
        output,
        theta32.astype(np.float64),
        X32.astype(np.float64),
        Y,
        None if weights32 is None else weights32.astype(np.float64),
        l2,
    )
    tolerance = float32_tolerance(
        layout, output, theta32.astype(np.float64), X32.astype(np.float64)
    )
    # Relative, down to float32's smallest normal number: below it float32 has
    # only absolute spacing, and a gradient of 1e-50 is 0 in float32.
    floor = np.sqrt(gradient.size) * float(np.finfo(np.float32).tiny)
    error = np.linalg.norm(gradient.astype(np.float64) - numeric)
    assert error <= tolerance * np.linalg.norm(numeric) + floor


@given(problems())
def test_sparse_and_dense_inputs_give_the_same_loss_and_gradient(problem):
    layout, output, theta, X, Y, sample_weight, l2 = problem
    loss = TwoLayerLoss(layout, output)
    dense = X.toarray() if sparse.issparse(X) else X
    for other in (sparse.csr_matrix(dense), sparse.csc_matrix(dense)):
        value, gradient = loss.loss_gradient(theta, other, Y, sample_weight, l2)
        expected_value, expected = loss.loss_gradient(
            theta, dense, Y, sample_weight, l2
        )
        assert value == pytest.approx(expected_value, rel=1e-12, abs=1e-300)
        np.testing.assert_allclose(gradient, expected, rtol=1e-10, atol=1e-12)


@FIT_EXAMPLES
@given(
    seed=st.integers(0, 2**32 - 1),
    target=st.sampled_from(["binary", "multiclass", "multilabel"]),
    class_weight=st.sampled_from(["balanced", "dict"]),
    with_sample_weight=st.booleans(),
)
def test_estimator_objective_gradient_with_class_weights(
    seed, target, class_weight, with_sample_weight
):
    """The objective fit minimises (sample weight × class weight) has the right
    gradient, for an unfitted estimator (Glorot start) and a briefly fitted one."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, 4))
    if target == "multilabel":
        y = rng.integers(0, 2, (30, 3))
        class_weight = "balanced"  # the only class_weight multilabel accepts
    else:
        y = rng.integers(0, 2 if target == "binary" else 4, 30)
        y[:4] = [0, 1, 0, 1] if target == "binary" else [0, 1, 2, 3]
        if class_weight == "dict":
            class_weight = {0: 3.0, 1: 0.5}
    sample_weight = rng.uniform(0.1, 2.0, 30) if with_sample_weight else None
    clf = TwoLayerSigmoidClassifier(
        n_hidden=3, class_weight=class_weight, alpha=0.1, max_iter=3, random_state=0
    )
    assert check_gradient(clf, X, y, sample_weight, random_state=seed) < 1e-6
    fit_ignoring_convergence_warnings(clf, X, y, sample_weight)
    assert check_gradient(clf, X, y, sample_weight) < 1e-6


@given(
    z=st.lists(
        st.floats(-1e4, 1e4, allow_nan=False, allow_subnormal=False),
        min_size=1,
        max_size=30,
    ),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_sigmoids_keep_dtype_range_and_agree(z, dtype):
    z = np.array(z, dtype=dtype)
    eps = float(np.finfo(dtype).eps)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise"):
        warnings.simplefilter("error")
        proba = sigmoid(z)
        log_proba = log_sigmoid(z)
        hidden = hidden_sigmoid_(z.copy())
        buffer = np.empty_like(z)
        in_place = sigmoid(z, out=buffer)

    for result in (proba, log_proba, hidden, in_place):
        assert result.dtype == dtype and result.shape == z.shape
    assert in_place is buffer
    np.testing.assert_array_equal(in_place, proba)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba + sigmoid(-z), 1.0, rtol=4 * eps)
    np.testing.assert_allclose(hidden, proba, rtol=0, atol=4 * eps)
    assert np.all(np.isfinite(log_proba)) and np.all(log_proba <= 0)
    # log σ(z) = −log(1 + e^−z): about −z for very negative z, where σ(z) underflows
    exact = -np.logaddexp(0.0, -z.astype(np.float64))
    np.testing.assert_allclose(log_proba, exact, rtol=4 * eps, atol=4 * eps)


@FIT_EXAMPLES
@given(
    seed=st.integers(0, 2**32 - 1),
    target=st.sampled_from(["binary", "multiclass", "multilabel"]),
    # MLPClassifier takes sample_weight from scikit-learn 1.7
    weighted=st.booleans() if sklearn_at_least("1.7") else st.just(False),
)
def test_same_path_as_mlpclassifier(seed, target, weighted):
    """The objective, its gradient and the Glorot start are MLPClassifier's
    (logistic, lbfgs): from the same random_state, the same L-BFGS iterates."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 4))
    if target == "multilabel":
        y = rng.integers(0, 2, (40, 3))
    else:
        y = rng.integers(0, 2 if target == "binary" else 4, 40)
        y[:4] = [0, 1, 0, 1] if target == "binary" else [0, 1, 2, 3]
    sample_weight = rng.uniform(0.2, 2.0, 40) if weighted else None
    params = {"alpha": 1e-3, "max_iter": 10, "tol": 1e-12, "random_state": seed % 1000}
    peer = MLPClassifier(
        hidden_layer_sizes=(5,), activation="logistic", solver="lbfgs", **params
    )
    ours = TwoLayerSigmoidClassifier(n_hidden=5, **params)
    weights = [sample_weight] if weighted else []  # scikit-learn 1.6's MLP: none
    fit_ignoring_convergence_warnings(peer, X, y, *weights)
    fit_ignoring_convergence_warnings(ours, X, y, *weights)

    # float64 only: MLPClassifier's lbfgs path does not run in float32 as ours does
    tolerance = 1e-9
    assert ours.n_iter_ == peer.n_iter_
    np.testing.assert_allclose(ours.W1_, peer.coefs_[0].T, atol=tolerance)
    np.testing.assert_allclose(ours.b1_, peer.intercepts_[0], atol=tolerance)
    np.testing.assert_allclose(ours.W2_, peer.coefs_[1].T, atol=tolerance)
    np.testing.assert_allclose(ours.b2_, peer.intercepts_[1], atol=tolerance)
    np.testing.assert_allclose(
        ours.predict_proba(X), peer.predict_proba(X), atol=tolerance
    )
    assert ours.loss_ == pytest.approx(peer.loss_, rel=tolerance)


# -- invariances ------------------------------------------------------------------
def _data(seed, n_samples=24, n_features=3, n_classes=2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    y = rng.integers(0, n_classes, n_samples)
    y[:n_classes] = np.arange(n_classes)  # every class present
    return X, y


def _short_fit(**params):
    """A small network and a fixed budget of L-BFGS iterations.

    Fits of the same objective from the same start follow the same L-BFGS path; the
    invariance tests compare those paths over a fixed number of iterations rather
    than converged solutions, which on a non-convex objective can differ along
    flat directions even when the objectives agree.
    """
    defaults = {"n_hidden": 3, "alpha": 0.01, "tol": 0.0, "max_iter": 15}
    return TwoLayerSigmoidClassifier(random_state=0, **{**defaults, **params})


def _parameters(clf):
    return np.concatenate([clf.W1_.ravel(), clf.b1_, clf.W2_.ravel(), clf.b2_]).astype(
        np.float64
    )


def _assert_same_path(actual, expected):
    """Same iterations and objective values up to the rounding of row sums in a
    different order, which L-BFGS carries along but does not amplify in 15 steps."""
    assert actual.n_iter_ == expected.n_iter_
    np.testing.assert_allclose(actual.loss_curve_, expected.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(_parameters(actual), _parameters(expected), atol=1e-7)


@FIT_EXAMPLES
@given(
    seed=st.integers(0, 2**32 - 1),
    n_classes=st.sampled_from([2, 3]),
    weighted=st.booleans(),
)
def test_permuting_rows_leaves_the_fit_unchanged(seed, n_classes, weighted):
    X, y = _data(seed, n_classes=n_classes)
    order = np.random.default_rng(seed + 1).permutation(len(y))
    sample_weight = (
        np.random.default_rng(seed + 2).uniform(0.5, 2.0, len(y)) if weighted else None
    )

    fitted = fit_ignoring_convergence_warnings(_short_fit(), X, y, sample_weight)
    permuted = fit_ignoring_convergence_warnings(
        _short_fit(),
        X[order],
        y[order],
        None if sample_weight is None else sample_weight[order],
    )

    _assert_same_path(permuted, fitted)
    np.testing.assert_allclose(
        permuted.predict_proba(X), fitted.predict_proba(X), atol=1e-8
    )


@FIT_EXAMPLES
@given(
    seed=st.integers(0, 2**32 - 1),
    n_classes=st.sampled_from([2, 3]),
    sparse_input=st.booleans(),
    class_weight=st.sampled_from([None, "balanced"]),
)
def test_integer_sample_weights_equal_repeated_rows(
    seed, n_classes, sparse_input, class_weight
):
    X, y = _data(seed, n_classes=n_classes)
    counts = np.random.default_rng(seed + 1).integers(0, 4, len(y))
    counts[:n_classes] = 1  # keep every class
    repeated = np.repeat(np.arange(len(y)), counts)
    X_fit = sparse.csr_matrix(X) if sparse_input else X

    weighted = fit_ignoring_convergence_warnings(
        _short_fit(class_weight=class_weight), X_fit, y, counts.astype(float)
    )
    copies = fit_ignoring_convergence_warnings(
        _short_fit(class_weight=class_weight), X_fit[repeated], y[repeated]
    )

    _assert_same_path(weighted, copies)


@FIT_EXAMPLES
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(2, 4),
    target=st.sampled_from(["binary", "multiclass", "multilabel"]),
)
def test_uniform_weight_k_equals_data_repeated_k_times(seed, k, target):
    """sklearn's convention: weights are repetitions; the L2 term is not rescaled."""
    X, y = _data(seed, n_classes=3 if target == "multiclass" else 2)
    if target == "multilabel":
        extra = np.random.default_rng(seed).integers(0, 2, len(y))
        y = np.column_stack([y, 1 - y, extra])
    weighted = fit_ignoring_convergence_warnings(
        _short_fit(alpha=0.5), X, y, sample_weight=np.full(len(y), float(k))
    )
    repeated = fit_ignoring_convergence_warnings(
        _short_fit(alpha=0.5), np.tile(X, (k, 1)), np.concatenate([y] * k)
    )

    _assert_same_path(weighted, repeated)


LABELINGS = {
    "strings": lambda classes: np.array([f"class {c}" for c in classes[::-1]]),
    "ints": lambda classes: np.array([7 * c + 3 for c in classes[::-1]]),
    "negative ints": lambda classes: -np.arange(1, len(classes) + 1) * 5,
    "bools": lambda classes: np.array([True, False]),
}


@pytest.mark.parametrize(
    "labeling, n_classes",
    [(name, n) for name in LABELINGS for n in (2, 3) if (name, n) != ("bools", 3)],
)
def test_relabelling_classes_permutes_outputs_consistently(labeling, n_classes):
    """Relabelling maps classes_ and permutes the outputs, fits included.

    Fresh fits with relabelled classes start from the same draw but assign it to
    differently ordered outputs, so they are not expected to agree. Instead both
    estimators continue (warm_start) from the same point, with the relabelled one's
    output units permuted to its class order (negated, for a binary output, whose
    single unit models the other class). The relabelled objective is the original
    one under that signed permutation of the coordinates, to which L-BFGS is
    equivariant: the paths must coincide and every output must be the permuted
    original one.
    """
    X, y = _data(0, n_samples=40, n_classes=n_classes)
    labels = LABELINGS[labeling](np.arange(n_classes))
    y_new = labels[y]
    original = fit_ignoring_convergence_warnings(
        _short_fit(warm_start=True, max_iter=5), X, y
    )
    relabelled = fit_ignoring_convergence_warnings(
        _short_fit(warm_start=True, max_iter=1), X, y_new
    )

    np.testing.assert_array_equal(relabelled.classes_, np.sort(labels))
    # column j of the relabelled outputs is the original class position[j]
    position = np.array([np.flatnonzero(labels == c)[0] for c in relabelled.classes_])
    sign = -1.0 if n_classes == 2 and position[1] == 0 else 1.0
    rows = slice(None) if n_classes == 2 else position
    relabelled.W1_, relabelled.b1_ = original.W1_.copy(), original.b1_.copy()
    relabelled.W2_ = sign * original.W2_[rows]
    relabelled.b2_ = sign * original.b2_[rows]

    for _ in range(2):  # the same point, then the same path from it
        np.testing.assert_allclose(
            relabelled.predict_proba(X),
            original.predict_proba(X)[:, position],
            rtol=1e-9,
        )
        np.testing.assert_array_equal(
            relabelled.predict(X), labels[original.predict(X)]
        )
        if n_classes == 2:
            np.testing.assert_allclose(
                relabelled.decision_function(X),
                sign * original.decision_function(X),
                rtol=1e-9,
            )
        fit_ignoring_convergence_warnings(original.set_params(max_iter=10), X, y)
        fit_ignoring_convergence_warnings(relabelled.set_params(max_iter=10), X, y_new)
        np.testing.assert_allclose(
            relabelled.loss_curve_, original.loss_curve_, rtol=1e-9
        )


@pytest.mark.parametrize("n_classes", [2, 3, 5])
@FIT_EXAMPLES
@given(
    seed=st.integers(0, 2**32 - 1),
    float32=st.booleans(),
    weight_scale=st.sampled_from([1.0, 100.0]),
)
def test_predict_agrees_with_predict_proba_and_decision_function(
    seed, n_classes, float32, weight_scale
):
    X, y = _data(seed, n_samples=30, n_classes=n_classes)
    X = X.astype(np.float32 if float32 else np.float64)
    clf = TwoLayerSigmoidClassifier(n_hidden=4, max_iter=5, random_state=seed)
    fit_ignoring_convergence_warnings(clf, X, y)
    # Large weights: saturated probabilities must not break the agreement.
    clf.W2_ = clf.W2_ * weight_scale
    predicted = clf.predict(X)
    proba = clf.predict_proba(X)
    scores = clf.decision_function(X)

    np.testing.assert_array_equal(predicted, clf.classes_[np.argmax(proba, axis=1)])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-9)
    if n_classes == 2:
        assert scores.shape == (len(y),)
        np.testing.assert_array_equal(predicted, clf.classes_[(scores > 0).astype(int)])
    else:
        np.testing.assert_array_equal(
            predicted, clf.classes_[np.argmax(scores, axis=1)]
        )


@FIT_EXAMPLES
@given(seed=st.integers(0, 2**32 - 1))
def test_multilabel_predict_thresholds_probabilities_at_one_half(seed):
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(30, 3)), rng.integers(0, 2, (30, 3))
    clf = TwoLayerSigmoidClassifier(n_hidden=4, max_iter=5, random_state=seed)
    fit_ignoring_convergence_warnings(clf, X, Y)
    proba = clf.predict_proba(X)
    predicted = clf.predict(X)
    assert predicted.dtype.kind == "i"  # an indicator matrix of ints, like y
    np.testing.assert_array_equal(predicted, (proba > 0.5).astype(int))
    np.testing.assert_array_equal(predicted, (clf.decision_function(X) > 0))


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_ties_are_broken_as_argmax_of_predict_proba_breaks_them(target):
    """A zero output layer gives logits of exactly 0 and equal probabilities: the
    prediction is then the first class (argmax's choice), or 0 for every label
    (0.5 is not above 0.5), never the other class."""
    X, y = _data(0, n_classes=3 if target == "multiclass" else 2)
    if target == "multilabel":
        y = np.column_stack([y, 1 - y])
    clf = fit_ignoring_convergence_warnings(
        TwoLayerSigmoidClassifier(n_hidden=2, max_iter=2), X, y
    )
    clf.W2_, clf.b2_ = np.zeros_like(clf.W2_), np.zeros_like(clf.b2_)
    proba = clf.predict_proba(X)
    assert np.all(clf.decision_function(X) == 0)
    if target == "multilabel":
        np.testing.assert_array_equal(proba, 0.5)
        np.testing.assert_array_equal(clf.predict(X), np.zeros_like(y))
    else:
        np.testing.assert_array_equal(clf.predict(X), clf.classes_[0])
        np.testing.assert_array_equal(
            clf.predict(X), clf.classes_[np.argmax(proba, axis=1)]
        )


# -- determinism ----------------------------------------------------------------------
def _fit_data():
    X, y = _data(3, n_samples=60, n_features=5, n_classes=3)
    return X, y


def test_same_random_state_gives_bit_identical_weights():
    X, y = _fit_data()
    clf = TwoLayerSigmoidClassifier(n_hidden=6, random_state=42, max_iter=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = clone(clf).fit(X, y)
        second = clone(clf).fit(X, y)
        # a fit on an unpickled, unfitted copy, and a refit of an unpickled fitted one
        third = pickle.loads(pickle.dumps(clone(clf))).fit(X, y)
        fourth = pickle.loads(pickle.dumps(first)).fit(X, y)
    for other in (second, third, fourth):
        np.testing.assert_array_equal(_parameters(other), _parameters(first))
        assert other.loss_curve_ == first.loss_curve_
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(_parameters(restored), _parameters(first))
    np.testing.assert_array_equal(restored.predict_proba(X), first.predict_proba(X))


def test_fit_in_another_process_gives_bit_identical_weights(tmp_path):
    X, y = _fit_data()
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    script = (
        "import pickle, sys, warnings, numpy as np\n"
        "from sklearn_twolayer import TwoLayerSigmoidClassifier\n"
        "folder = sys.argv[1]\n"
        "X, y = np.load(folder + '/X.npy'), np.load(folder + '/y.npy')\n"
        "warnings.simplefilter('ignore')\n"
        "clf = TwoLayerSigmoidClassifier(n_hidden=6, random_state=42, max_iter=50)\n"
        "pickle.dump(clf.fit(X, y), open(folder + '/clf.pkl', 'wb'))\n"
    )
    # the same package as this process imports (a checkout, or a mutated copy)
    package_root = Path(sklearn_twolayer.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, env=env)
    with open(tmp_path / "clf.pkl", "rb") as f:
        elsewhere = pickle.load(f)
    here = TwoLayerSigmoidClassifier(n_hidden=6, random_state=42, max_iter=50)
    fit_ignoring_convergence_warnings(here, X, y)
    np.testing.assert_array_equal(_parameters(elsewhere), _parameters(here))


def test_warm_start_with_max_iter_split_in_two():
    """What a fit split in two (warm_start) shares with one uninterrupted fit.

    Identical: the first part is bit-for-bit the first ``m`` iterations of the
    uninterrupted run (same start, same path). Not identical: the rest. A warm
    start restarts L-BFGS-B from the current weights with an empty curvature
    memory, so its first step is a scaled gradient step instead of the quasi-Newton
    step the uninterrupted run takes; the paths then differ. Both still descend
    from the same point and, on a well-posed problem, converge to the same
    objective value up to the tolerance.
    """
    X, y = _fit_data()
    params = {"n_hidden": 4, "alpha": 1.0, "tol": 1e-9, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        whole = TwoLayerSigmoidClassifier(max_iter=20, **params).fit(X, y)
        split = TwoLayerSigmoidClassifier(max_iter=10, warm_start=True, **params)
        split.fit(X, y)
        first_part = split.loss_curve_
        first_weights = _parameters(split)
        assert first_part == whole.loss_curve_[:10]
        split.fit(X, y)
    second_part = split.loss_curve_
    assert split.n_iter_ == 10
    assert second_part[0] <= first_part[-1]  # continues downhill from where it was
    assert np.all(np.diff(second_part) <= 0)
    assert not np.array_equal(_parameters(split), _parameters(whole))
    assert not np.array_equal(_parameters(split), first_weights)

    converged = TwoLayerSigmoidClassifier(max_iter=1000, **params).fit(X, y)
    split.set_params(max_iter=1000).fit(X, y)
    # The objective agrees; the weights only up to the flat directions of the
    # valley (they differ by ~1e-4 in predict_proba), which is why it is the
    # objective that is compared.
    assert split.loss_ == pytest.approx(converged.loss_, rel=1e-8)
