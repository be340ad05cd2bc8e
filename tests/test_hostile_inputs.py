"""Hostile and extreme inputs: a correct result or a clear error naming the problem.

Each test either checks that the estimator's answer is right (finite, in range,
agreeing with an equivalent well-behaved input) or that the error message names the
problem; no warning or exception from deep inside numpy or scipy may reach the user.
"""

import os
import re
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from _fitting import fit_ignoring_convergence_warnings
from _problems import unscaled_iris
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._sklearn_compat import sklearn_at_least
from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


# -- extreme magnitudes ---------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_preactivations_of_1e4_give_finite_loss_and_gradient(dtype, output):
    """Hidden and output pre-activations of ±1e4: no overflow, no warning, finite
    loss and gradient, probabilities in [0, 1] and finite log-probabilities."""
    rng = np.random.default_rng(0)
    n_outputs = 3 if output == "softmax" else 2
    layout = ParameterLayout(n_features=4, n_hidden=5, n_outputs=n_outputs)
    X = rng.choice([-1.0, 1.0], size=(30, 4)).astype(dtype)
    theta = (rng.choice([-1.0, 1.0], size=layout.size) * 2.5e3).astype(dtype)
    W1, b1, _, b2 = layout.unpack(theta)
    b2[:] = 1e4 * np.sign(b2)  # output logits reach ±1e4 as well
    Y = np.eye(n_outputs, dtype=dtype)[rng.integers(0, n_outputs, 30)]
    loss = TwoLayerLoss(layout, output)

    # underflow to 0 is the correct saturated value, so only it is allowed
    with (
        warnings.catch_warnings(),
        np.errstate(over="raise", invalid="raise", divide="raise"),
    ):
        warnings.simplefilter("error")
        A1 = X @ W1.T + b1
        A2 = loss.logits(theta, X)
        value, gradient = loss.loss_gradient(theta, X, Y, None, 1e-4)
        proba = loss.output_proba(A2)
        log_proba = loss.log_output_proba(A2)

    assert np.abs(A1).max() >= 1e4 and np.abs(A2).max() >= 1e4
    assert np.isfinite(value) and value > 0
    assert gradient.dtype == dtype and np.all(np.isfinite(gradient))
    assert np.all((proba >= 0) & (proba <= 1))
    assert np.all(np.isfinite(log_proba)) and np.all(log_proba <= 0)
    # the loss of a confidently wrong logit a is about |a|: no clipping at log(eps)
    assert value > 1e3


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_unscaled_features_fit_and_predict_without_warnings(data, dtype):
    X, y = data
    scale = np.array([1e3, 1e4, 1e6])  # unscaled features of very different sizes
    X_big = (X * scale).astype(dtype)
    with warnings.catch_warnings():
        # Every warning is an error (overflow, invalid values, a lost dtype) except
        # L-BFGS's ConvergenceWarning: on these features even the float64 fit of the
        # same numbers needs more than 200 iterations, and whether a float32 path
        # meets tol within them is decided by its roundings (a stall on a plateau
        # passes, a path that keeps descending does not), not by the numerics this
        # test is about.
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = TwoLayerSigmoidClassifier(n_hidden=4, random_state=0).fit(X_big, y)
        proba = clf.predict_proba(X_big * 10)
        log_proba = clf.predict_log_proba(X_big * 10)
        scores = clf.decision_function(X_big * 10)
    assert np.isfinite(clf.loss_)
    assert np.all(np.isfinite(clf.W1_)) and clf.W1_.dtype == dtype
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all(np.isfinite(log_proba)) and np.all(np.isfinite(scores))


def test_separable_data_without_penalty_drives_loss_to_zero_cleanly():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(15, 2)) - 4, rng.normal(size=(15, 2)) + 4])
    y = np.repeat([0, 1], 15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stops cleanly: no ConvergenceWarning either
        clf = TwoLayerSigmoidClassifier(
            n_hidden=3, alpha=0.0, tol=1e-10, max_iter=10_000, random_state=0
        ).fit(X, y)
        log_proba = clf.predict_log_proba(X)
    curve = np.array(clf.loss_curve_)
    assert np.all(np.isfinite(curve)) and np.all(np.diff(curve) <= 0)
    assert 0 < clf.loss_ < 1e-6  # approaches 0 (it cannot reach it)
    assert clf.n_iter_ < 10_000
    assert all(np.all(np.isfinite(w)) for w in (clf.W1_, clf.b1_, clf.W2_, clf.b2_))
    np.testing.assert_array_equal(clf.predict(X), y)
    # the wrong class's probability is tiny but its logarithm stays finite
    assert np.all(np.isfinite(log_proba))


# -- invalid values -------------------------------------------------------------------
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("as_sparse", [False, True])
def test_nan_or_inf_in_X_is_named(data, value, as_sparse):
    X, y = data
    X_bad = X.copy()
    X_bad[3, 1] = value
    X_bad = sparse.csr_matrix(X_bad) if as_sparse else X_bad
    expected = "NaN" if np.isnan(value) else "infinity"
    with pytest.raises(ValueError, match=f"Input X contains {expected}"):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X_bad, y)
    clf = fit_ignoring_convergence_warnings(
        TwoLayerSigmoidClassifier(n_hidden=2, max_iter=5), X, y
    )
    for method in (clf.predict, clf.predict_proba, clf.decision_function):
        with pytest.raises(ValueError, match=f"Input X contains {expected}"):
            method(X_bad)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_nan_or_inf_in_sample_weight_is_named(data, value):
    X, y = data
    sample_weight = np.ones(len(y))
    sample_weight[0] = value
    expected = "NaN" if np.isnan(value) else "infinity"
    with pytest.raises(ValueError, match=f"sample_weight contains {expected}"):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize(
    "sample_weight, message",
    [
        (-np.ones(40), "Negative values in data passed to `sample_weight`"),
        (np.zeros(40), "at least one non-zero"),
        (np.ones(3), re.escape("sample_weight.shape == (3,), expected (40,)")),
    ],
)
def test_bad_sample_weight_is_named(data, sample_weight, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X, y, sample_weight=sample_weight)


def _targets_for(target, X, y):
    """The data's y as a binary, a multiclass (3 classes) or a multilabel target."""
    if target == "binary":
        return y
    if target == "multiclass":
        return y + (X[:, 2] > 0.5)
    return np.column_stack([y, X[:, 2] > 0, X[:, 1] > 0]).astype(int)


def _overflow_message(weights, amount, dtype, validation=False):
    limit = {"float64": "1.34e+154", "float32": "1.84e+19"}[dtype]
    if validation:
        sums = "the validation loss's weighted sum"
        remedy = "sample_weight_val by a constant: the validation loss is the same"
    else:
        sums = "the objective's weighted sums of the losses and of their gradient"
        remedy = (
            "sample_weight (or class_weight) by a constant: the objective is the "
            "same with alpha divided by it too"
        )
    return re.escape(
        f"The {weights} {amount}, beyond {limit}, the square root of the largest "
        f"{dtype}: {sums}, computed in {dtype}, would overflow. Divide {remedy}."
    )


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize(
    "dtype, weight, amount",
    [
        ("float64", 1e307, "overflow float64 (in a product or in their sum)"),
        ("float64", 1e300, "sum to 4e+301"),
        ("float32", 5e37, "sum to 2e+39"),
        ("float32", 1e18, "sum to 4e+19"),
    ],
)
def test_sample_weights_whose_sums_overflow_are_named(
    data, dtype, weight, amount, target, solver
):
    """Issue 33, defect 5: weights of 1e307 (float64) or 5e37 (float32 X) made
    the sums over rows overflow, and the fit failed with "scale the input features
    ... or increase alpha" or SciPy's "array must not contain infs or NaNs"."""
    X, y = data
    y = _targets_for(target, X, y)
    clf = TwoLayerSigmoidClassifier(n_hidden=2, solver=solver)
    message = "^" + _overflow_message("sample weights", amount, dtype) + "$"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning before the error
        with pytest.raises(ValueError, match=message):
            clf.fit(X.astype(dtype), y, sample_weight=np.full(y.shape[0], weight))
    assert not hasattr(clf, "W1_")


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_class_weights_whose_products_overflow_are_named(data, target, solver):
    """class_weight={0: 1e39} fits float64 data, but 1e39 overflows float32: the
    weights were inf, and the fit failed with "increase alpha"."""
    X, y = data
    y = _targets_for(target, X, y)
    class_weight = {label: 1.0 for label in np.unique(y)} | {0: 1e39}
    clf = TwoLayerSigmoidClassifier(
        n_hidden=2, class_weight=class_weight, solver=solver, max_iter=5
    )
    message = _overflow_message(
        "sample weights times the class weights",
        "overflow float32 (in a product or in their sum)",
        "float32",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Weights of 0 times an inf class weight: NaN, named as the overflow.
        for sample_weight in (None, np.ones(y.size), np.arange(y.size) % 2.0):
            with pytest.raises(ValueError, match="^" + message + "$"):
                clf.fit(X.astype(np.float32), y, sample_weight=sample_weight)
        assert not hasattr(clf, "W1_")
        clf.fit(X, y)  # 1e39 · 40 rows: well within float64's limit


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_validation_weights_whose_sum_overflows_are_named(data, dtype):
    """sample_weight_val of 1e307 gave a NaN validation curve: the fit kept the
    untrained start (accuracy 0.33 on iris) with a warning about the patience."""
    X, y = data
    X = X.astype(dtype)
    weight = {"float64": 1e307, "float32": 1e18}[dtype]
    amount = {"float64": "overflow float64 (in a product or in their sum)"}
    amount = amount.get(dtype, "sum to 2e+19")
    clf = TwoLayerSigmoidClassifier(n_hidden=2, early_stopping=True)
    message = (
        "^"
        + re.escape("In the validation set (X_val, y_val, sample_weight_val): ")
        + _overflow_message(
            "sample weights times the class weights", amount, dtype, validation=True
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=message + "$"):
            clf.fit(
                X[:20],
                y[:20],
                X_val=X[20:],
                y_val=y[20:],
                sample_weight_val=np.full(20, weight),
            )
    assert not hasattr(clf, "W1_")


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
@pytest.mark.parametrize("dtype, power", [(np.float64, 440), (np.float32, 55)])
def test_weights_just_within_the_limit_fit_the_model_of_unit_weights(
    data, dtype, power, solver
):
    """Weights of 2**440 (float64) or 2**55 (float32) sum to just below the limit
    (40 rows: 1.1e134 and 1.4e18): they fit, without a warning, the model of unit
    weights with alpha scaled alike, bit for bit (a power of two scales exactly)."""
    X, y = data
    X = X.astype(dtype)
    scale = 2.0**power
    params = dict(n_hidden=3, random_state=0, max_iter=20, solver=solver)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        heavy = TwoLayerSigmoidClassifier(alpha=1e-2 * scale, **params)
        heavy.fit(X, y, sample_weight=np.full(y.size, scale))
        unit = TwoLayerSigmoidClassifier(alpha=1e-2, **params).fit(X, y)
    assert heavy.loss_curve_ == unit.loss_curve_
    np.testing.assert_array_equal(heavy.W1_, unit.W1_)
    np.testing.assert_array_equal(heavy.W2_, unit.W2_)


def test_fractional_sample_weights_are_weights(data):
    """Weights below 1 are valid; with alpha=0 a uniform weight c scales the data
    term and its normaliser alike, so the fit is the unweighted one."""
    X, y = data
    clf = TwoLayerSigmoidClassifier(n_hidden=2, alpha=0.0, max_iter=15, random_state=0)
    unweighted = fit_ignoring_convergence_warnings(clf, X, y).loss_curve_
    # 1/64: exact in binary, and the weights sum to less than 1
    weighted = fit_ignoring_convergence_warnings(
        clf, X, y, sample_weight=np.full(len(y), 1 / 64)
    )
    np.testing.assert_allclose(weighted.loss_curve_, unweighted, rtol=1e-12)


def test_integer_input_is_float_input(data):
    X, y = data
    X_int = np.round(X * 10).astype(np.int64)
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(X_int, y)
    reference = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0)
    reference.fit(X_int.astype(np.float64), y)
    assert clf.W1_.dtype == np.float64
    np.testing.assert_array_equal(clf.W1_, reference.W1_)
    np.testing.assert_array_equal(
        clf.decision_function(X_int), reference.decision_function(X_int * 1.0)
    )


def test_prediction_runs_in_the_dtype_of_X(data):
    """A float64 model applied to float32 data computes in float32 (logits in
    float32), and predict_proba is returned in float64 as documented."""
    X, y = data
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(X, y)
    X32 = X.astype(np.float32)
    scores = clf.decision_function(X32)
    assert scores.dtype == np.float32
    np.testing.assert_allclose(scores, clf.decision_function(X), rtol=1e-4, atol=1e-5)
    assert clf.predict_proba(X32).dtype == np.float64


@pytest.mark.parametrize(
    "target, class_weight",
    [
        ("binary", "balanced"),
        ("binary", "dict"),
        ("multiclass", "balanced"),
        ("multiclass", "dict"),
        ("multilabel", "balanced"),  # a dict is rejected for multilabel (below)
    ],
)
def test_class_weight_is_the_equivalent_sample_weight(target, class_weight):
    """class_weight acts as sample_weight = weight of each row's class(es), with
    "balanced" as scikit-learn's compute_sample_weight defines it (per label column
    and multiplied, for multilabel targets)."""
    from sklearn.utils.class_weight import compute_sample_weight

    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    if target == "multilabel":
        y = np.column_stack([rng.random(60) < 0.2, rng.random(60) < 0.6]).astype(int)
    else:
        names = np.array(["ant", "bee", "cat"])[: 2 if target == "binary" else 3]
        y = names[rng.choice(len(names), 60, p=[0.6, 0.4] if len(names) == 2 else None)]
    if class_weight == "dict":
        class_weight = {"ant": 3.0, "bee": 0.5}  # "cat", if present, keeps 1
    expected = compute_sample_weight(class_weight, y)
    assert np.ptp(expected) > 0  # the weighting matters
    params = {"n_hidden": 2, "max_iter": 10, "random_state": 0}
    by_class = TwoLayerSigmoidClassifier(class_weight=class_weight, **params)
    by_sample = TwoLayerSigmoidClassifier(**params)
    fit_ignoring_convergence_warnings(by_class, X, y)
    fit_ignoring_convergence_warnings(by_sample, X, y, sample_weight=expected)
    np.testing.assert_allclose(by_class.loss_curve_, by_sample.loss_curve_, rtol=1e-12)
    np.testing.assert_allclose(by_class.W1_, by_sample.W1_, rtol=1e-9, atol=1e-12)


def _balanced_with_an_unweighted_class(target):
    """Data whose class 2 (multiclass) or whose 1s of label column 1 (multilabel)
    all have sample weight 0, and the weights "balanced" gives each row: the
    formula's n / (C · n_k) for the weighted classes, counting the unweighted one
    among the C classes (as compute_class_weight does), and 0 for that one."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 3))
    sample_weight = rng.uniform(0.5, 2.0, size=60)
    if target == "multiclass":
        y = rng.integers(0, 3, size=60)
        sample_weight[y == 2] = 0.0
        counts = np.bincount(y, weights=sample_weight)
        with np.errstate(divide="ignore"):
            per_class = np.where(counts > 0, counts.sum() / (3 * counts), 0.0)
        return X, y, sample_weight, per_class[y]
    y = (rng.random((60, 2)) < [0.3, 0.5]).astype(int)
    sample_weight[y[:, 1] == 1] = 0.0
    expected = np.ones(60)
    for column in y.T:
        counts = np.bincount(column, weights=sample_weight, minlength=2)
        with np.errstate(divide="ignore"):
            per_value = np.where(counts > 0, counts.sum() / (2 * counts), 0.0)
        expected *= per_value[column]
    return X, y, sample_weight, expected


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
@pytest.mark.parametrize("target", ["multiclass", "multilabel"])
def test_balanced_gives_a_class_without_weight_the_class_weight_0(target, solver):
    """Issue 33, defect 6: compute_class_weight's n / (C · 0) for a class whose
    sample weights are all 0 warned of a division by zero, and 0 · inf made the
    weights NaN: "The sample weights ... sum to 0", although the weights used
    summed to 100 and the same data fit without class_weight. The class gets the
    class weight 0 (its rows weigh 0 anyway); the others keep the formula's."""
    X, y, sample_weight, class_factor = _balanced_with_an_unweighted_class(target)
    params = {"n_hidden": 2, "max_iter": 10, "random_state": 0, "solver": solver}
    balanced = TwoLayerSigmoidClassifier(class_weight="balanced", **params)
    *_, weights, _ = balanced._training_problem(X, y, sample_weight)
    np.testing.assert_array_equal(weights, class_factor * sample_weight)
    fit_ignoring_convergence_warnings(balanced, X, y, sample_weight=sample_weight)
    by_sample = fit_ignoring_convergence_warnings(
        TwoLayerSigmoidClassifier(**params), X, y, sample_weight=weights
    )
    assert balanced.loss_curve_ == by_sample.loss_curve_
    np.testing.assert_array_equal(balanced.W1_, by_sample.W1_)
    if target == "multiclass":
        np.testing.assert_array_equal(balanced.classes_, [0, 1, 2])  # still a class


def test_balanced_validation_rows_of_a_class_without_weight_weigh_0():
    """The fit's class weights weight its validation rows: a class that weighs
    nothing in training weighs nothing in the validation loss either."""
    X, y, sample_weight, _ = _balanced_with_an_unweighted_class("multiclass")
    clf = TwoLayerSigmoidClassifier(
        n_hidden=2, class_weight="balanced", early_stopping=True, random_state=0
    )
    only_class_2 = {"X_val": X[y == 2], "y_val": y[y == 2]}
    with pytest.raises(ValueError, match=r"sum to 0: no validation loss\.$"):
        clf.fit(X, y, sample_weight=sample_weight, **only_class_2)
    mixed = {"X_val": X[40:], "y_val": y[40:]}
    without_class_2 = {"X_val": X[40:][y[40:] != 2], "y_val": y[40:][y[40:] != 2]}
    fit_ignoring_convergence_warnings(clf, X, y, sample_weight=sample_weight, **mixed)
    curve = clf.validation_loss_curve_
    fit_ignoring_convergence_warnings(
        clf, X, y, sample_weight=sample_weight, **without_class_2
    )
    assert clf.validation_loss_curve_ == pytest.approx(curve, rel=1e-12)


def test_sparse_multilabel_y_is_the_dense_one(data):
    X, y = data
    Y = np.column_stack([y, 1 - y, X[:, 2] > 0]).astype(int)
    reference = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(X, Y)
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0)
    clf.fit(X, sparse.csr_matrix(Y))
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    np.testing.assert_array_equal(clf.W1_, reference.W1_)
    np.testing.assert_array_equal(clf.predict(X), reference.predict(X))


def test_column_vector_y_is_raveled_with_a_warning(data):
    X, y = data
    from sklearn.exceptions import DataConversionWarning

    reference = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(X, y)
    message = (
        r"^A column-vector y was passed when a 1d array was expected. Please change "
        r"the shape of y to \(n_samples,\), for example using ravel\(\).$"
    )
    with pytest.warns(DataConversionWarning, match=message) as record:
        clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(X, y[:, None])
    if "MUTANT_UNDER_TEST" not in os.environ:
        # Points at the caller's line. Under mutmut every method gains a trampoline
        # frame, so the location is the trampoline's there (tests/MUTATION.md).
        assert record[0].filename == __file__
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    np.testing.assert_array_equal(clf.W1_, reference.W1_)
    assert clf.predict(X).shape == (len(y),)


def test_weights_that_leave_one_class_are_rejected(data):
    X, y = data
    sample_weight = (y == 1).astype(float)
    message = (
        "^Only one class has positive sample_weight; at least 2 classes are "
        "needed to fit.$"
    )
    with pytest.raises(ValueError, match=message):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X, y, sample_weight=sample_weight)
    message = "^The sample weights times the class weights sum to 0: nothing to fit.$"
    with pytest.raises(ValueError, match=message):
        TwoLayerSigmoidClassifier(n_hidden=2, class_weight={0: 0.0, 1: 0.0}).fit(X, y)


# -- degenerate shapes ----------------------------------------------------------------
def test_empty_X_is_named(data):
    X, y = data
    with pytest.raises(ValueError, match=re.escape("0 sample(s)")):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(np.empty((0, 3)), [])
    with pytest.raises(ValueError, match=re.escape("0 feature(s)")):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(np.empty((40, 0)), y)
    clf = fit_ignoring_convergence_warnings(
        TwoLayerSigmoidClassifier(n_hidden=2, max_iter=5), X, y
    )
    with pytest.raises(ValueError, match=re.escape("0 sample(s)")):
        clf.predict(np.empty((0, 3)))


def test_single_sample(data):
    X, _ = data
    message = (
        "^TwoLayerSigmoidClassifier needs samples of at least 2 classes in the data, "
        r"but the data contains only one class: (np.int64\(1\)|1)\.$"
    )
    with pytest.raises(ValueError, match=message):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X[:1], np.array([1]))
    # one sample carries two labels of a multilabel target: a correct (trivial) fit
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(X[:1], [[0, 1]])
    np.testing.assert_array_equal(clf.predict(X[:1]), [[0, 1]])
    proba = clf.predict_proba(X[:1])
    assert proba[0, 0] < 0.5 < proba[0, 1]


def test_single_feature(data):
    X, y = data
    x = X[:, :1]
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(x, y := x[:, 0] > 0)
    assert clf.W1_.shape == (2, 1)
    assert clf.score(x, y) == 1.0


def test_constant_features_learn_the_class_prior():
    """With no information in X the best model predicts the (weighted) class
    frequencies everywhere; a constant column must not produce NaN or an error."""
    X = np.ones((40, 3))
    X[:, 1] = 0.0
    y = np.r_[np.zeros(10, int), np.ones(30, int)]
    clf = TwoLayerSigmoidClassifier(
        n_hidden=2, alpha=0.0, tol=1e-8, random_state=0
    ).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X[:2]), [[0.25, 0.75]] * 2, atol=1e-4)
    np.testing.assert_array_equal(clf.predict(X[:2]), [1, 1])
    # a sparse matrix without a single stored entry is the same constant input
    empty = sparse.csr_matrix((40, 3))
    clf.fit(empty, y)
    np.testing.assert_allclose(
        clf.predict_proba(empty[:2]), [[0.25, 0.75]] * 2, atol=1e-4
    )


def test_duplicate_rows_with_conflicting_labels_give_one_half():
    X = np.tile([[1.0, -2.0, 0.5]], (20, 1))
    y = np.tile([0, 1], 10)
    clf = TwoLayerSigmoidClassifier(n_hidden=2, tol=1e-8, random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X[:1]), [[0.5, 0.5]], atol=1e-4)


def test_many_more_features_than_samples():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 10_000))
    y = np.array([0, 1, 0, 1, 1])
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0).fit(X, y)
    assert clf.W1_.shape == (3, 10_000)
    assert np.isfinite(clf.loss_)
    np.testing.assert_array_equal(clf.predict(X), y)  # enough parameters to fit


def test_a_thousand_classes_with_few_samples_each():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(1000), 2)
    X = rng.normal(size=(2000, 4))
    clf = fit_ignoring_convergence_warnings(
        TwoLayerSigmoidClassifier(n_hidden=3, max_iter=10, random_state=0), X, y
    )
    proba = clf.predict_proba(X[:5])
    assert clf.classes_.shape == (1000,) and clf.W2_.shape == (1000, 3)
    assert proba.shape == (5, 1000) and np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.isin(clf.predict(X[:5]), clf.classes_).all()


def test_wrong_number_of_features_at_predict_is_named(data):
    X, y = data
    clf = fit_ignoring_convergence_warnings(
        TwoLayerSigmoidClassifier(n_hidden=2, max_iter=5), X, y
    )
    message = "X has 2 features, but TwoLayerSigmoidClassifier is expecting 3"
    for method in (
        clf.predict,
        clf.predict_proba,
        clf.predict_log_proba,
        clf.decision_function,
    ):
        with pytest.raises(ValueError, match=message):
            method(X[:, :2])
    with pytest.raises(ValueError, match="expecting 3 features"):
        clf.set_params(warm_start=True).fit(X[:, :2], y)


def test_bad_shapes_are_named(data):
    X, y = data
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X[:, 0], y)
    with pytest.raises(ValueError, match="dim 3"):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X[:, :, None], y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X, y[:5])


@pytest.mark.parametrize(
    "y_bad, message",
    [
        (np.linspace(0, 1, 40), "Unknown label type: continuous"),
        (np.r_[np.nan, np.zeros(39)], "Input y contains NaN"),
        (np.array([1, "a"] * 20, dtype=object), "Unknown label type"),
    ],
)
def test_bad_targets_are_named(data, y_bad, message):
    X, _ = data
    with pytest.raises(ValueError, match=message):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X, y_bad)


def test_predict_before_fit_is_named(data):
    X, _ = data
    with pytest.raises(NotFittedError, match="not fitted yet"):
        TwoLayerSigmoidClassifier().predict(X)


# -- input containers -----------------------------------------------------------------
def test_object_arrays(data):
    X, y = data
    reference = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(X, y)
    names = np.array(["no", "yes"], dtype=object)
    labels = names[y]
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0)
    clf.fit(X.astype(object), labels)
    np.testing.assert_array_equal(clf.W1_, reference.W1_)
    np.testing.assert_array_equal(
        clf.predict(X.astype(object)), names[reference.predict(X)]
    )
    strings = np.array([["a", "b", "c"]] * 40, dtype=object)
    with pytest.raises(ValueError, match="could not convert string to float: 'a'"):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(strings, y)
    with pytest.raises(ValueError, match="Complex data not supported"):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X + 1j, y)


@pytest.mark.parametrize("frame", ["pandas", "polars"])
def test_dataframes_with_feature_names(data, frame):
    X, y = data
    names = ["height", "width", "depth"]
    make = {
        "pandas": lambda a, cols: pd.DataFrame(a, columns=cols),
        "polars": lambda a, cols: pl.DataFrame(a, schema=cols),
    }[frame]
    df = make(X, names)
    if not (hasattr(df, "__dataframe__") or sklearn_at_least("1.9")):
        # scikit-learn reads a polars frame's column names through the dataframe
        # interchange protocol before 1.9 (narwhals from 1.9): polars 2 has none.
        pytest.skip("polars 2 frames' column names need scikit-learn >= 1.9")
    reference = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(X, y)
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(df, y)

    np.testing.assert_array_equal(clf.feature_names_in_, names)
    # Same numbers; a frame converts to a Fortran-ordered array, for which BLAS
    # sums in another order, hence rounding-level differences only.
    np.testing.assert_allclose(clf.W1_, reference.W1_, rtol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(
            clf.predict_proba(df), reference.predict_proba(X), rtol=1e-10
        )
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        clf.predict(X)
    with pytest.warns(UserWarning, match="X has feature names, but"):
        reference.predict(df)
    renamed = make(X, ["height", "width", "length"])
    with pytest.raises(ValueError, match="feature names should match") as error:
        clf.predict(renamed)
    assert "length" in str(error.value) and "depth" in str(error.value)
    reordered = make(X[:, ::-1], names[::-1])
    with pytest.raises(ValueError, match="must be in the same order"):
        clf.predict(reordered)


def test_read_only_memmap_input_is_used_and_not_modified(data, tmp_path):
    X, y = data
    np.save(tmp_path / "X.npy", X)
    X_map = np.load(tmp_path / "X.npy", mmap_mode="r")
    assert not X_map.flags.writeable
    reference = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(X, y)
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(X_map, y)
    np.testing.assert_array_equal(clf.W1_, reference.W1_)
    np.testing.assert_array_equal(clf.predict_proba(X_map), reference.predict_proba(X))
    np.testing.assert_array_equal(X_map, X)


@pytest.mark.parametrize("as_sparse", [False, True])
def test_fit_and_predict_leave_their_input_unchanged(data, as_sparse):
    X, y = data
    X_in = sparse.csr_matrix(X) if as_sparse else X.copy()
    sample_weight = np.linspace(0.5, 1.5, len(y))
    weights_in = sample_weight.copy()
    clf = TwoLayerSigmoidClassifier(n_hidden=2, class_weight="balanced", random_state=0)
    clf.fit(X_in, y, sample_weight=weights_in)
    clf.predict_proba(X_in)
    np.testing.assert_array_equal(X_in.toarray() if as_sparse else X_in, X)
    np.testing.assert_array_equal(weights_in, sample_weight)


# -- budgets --------------------------------------------------------------------------
def test_max_iter_reached_warns_with_the_count(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match=r"after 3 iteration\(s\).*max_iter=3"):
        clf = TwoLayerSigmoidClassifier(n_hidden=3, max_iter=3, random_state=0).fit(
            X, y
        )
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
def test_convergence_warning_points_at_the_call_of_fit(data, solver):
    X, y = data
    clf = TwoLayerSigmoidClassifier(n_hidden=3, max_iter=2, solver=solver)
    with pytest.warns(ConvergenceWarning, match=r"after 2 iteration\(s\)") as record:
        clf.fit(X, y)
    if "MUTANT_UNDER_TEST" not in os.environ:  # mutmut adds trampoline frames
        assert record[0].filename == __file__


def test_max_fun_reached_warns_with_the_count(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match=r"evaluations reached max_fun=4") as w:
        clf = TwoLayerSigmoidClassifier(n_hidden=3, max_fun=4, random_state=0).fit(X, y)
    assert f"after {clf.n_iter_} iteration(s)" in str(w[0].message)
    assert clf.n_iter_ <= 4  # each iteration costs at least one evaluation


# -- hyper-parameters -----------------------------------------------------------------
@pytest.mark.parametrize(
    "params, message",
    [
        ({"alpha": -1.0}, "'alpha' parameter"),
        ({"n_hidden": 0}, "'n_hidden' parameter"),
        ({"n_hidden": 2.5}, "'n_hidden' parameter"),
        ({"max_iter": 0}, "'max_iter' parameter"),
        ({"max_fun": 0}, "'max_fun' parameter"),
        ({"tol": -1e-4}, "'tol' parameter"),
        ({"class_weight": "balance"}, "'class_weight' parameter"),
        ({"class_weight": {5: 2.0}}, r"^class_weight has keys \[5\]"),
        ({"class_weight": {"1": 2.0}}, r"class_weight has keys \['1'\]"),
        ({"class_weight": {1: -2.0}}, "^class_weight values must be finite"),
        ({"class_weight": {1: np.nan}}, "^class_weight values must be finite"),
        ({"class_weight": {1: "heavy"}}, "^class_weight values must be finite"),
        ({"warm_start": "yes"}, "'warm_start' parameter"),
    ],
)
def test_invalid_hyperparameters_raise_at_fit_not_construction(data, params, message):
    X, y = data
    clf = TwoLayerSigmoidClassifier(**params)  # construction never validates
    with pytest.raises(InvalidParameterError, match=message):
        clf.fit(X, y)


def test_documented_defaults_and_tags():
    params = TwoLayerSigmoidClassifier().get_params()
    documented = {
        "n_hidden": 100,
        "alpha": 2.0,
        "max_iter": 200,
        "tol": 1e-4,
        "max_fun": 15000,
        "solver": "lbfgs",
        "early_stopping": False,
        "validation_fraction": 0.1,
        "n_iter_no_change": 10,
        "class_weight": None,
        "warm_start": False,
        "random_state": None,
        "verbose": 0,
    }
    assert params == documented  # every parameter, as the class docstring states
    tags = TwoLayerSigmoidClassifier().__sklearn_tags__()
    assert tags.input_tags.sparse is True
    assert tags.classifier_tags.multi_label is True
    layout = ParameterLayout(n_features=2, n_hidden=2, n_outputs=1)
    assert TwoLayerLoss(layout).output == "sigmoid"  # the document's network


def test_class_weight_dict_is_rejected_for_multilabel_targets(data):
    X, y = data
    message = (
        "^class_weight must be None or 'balanced' for multilabel targets; pass "
        "sample_weight for other weightings.$"
    )
    with pytest.raises(ValueError, match=message):
        TwoLayerSigmoidClassifier(class_weight={0: 1.0}).fit(X, np.c_[y, 1 - y])


def test_warm_start_with_changed_problem_is_named(data):
    X, y = data
    clf = fit_ignoring_convergence_warnings(
        TwoLayerSigmoidClassifier(n_hidden=2, max_iter=3, warm_start=True), X, y
    )
    message = r"same n_hidden as the previous fit \(2\), got n_hidden=3\."
    with pytest.raises(ValueError, match=message):
        clf.set_params(n_hidden=3).fit(X, y)
    message = (
        r"^warm_start=True needs the same classes as the previous fit: fitted on "
        r"binary targets with classes \[0, 1\], now given binary targets with "
        r"classes \[0, 2\].$"
    )
    with pytest.raises(ValueError, match=message):
        clf.set_params(n_hidden=2).fit(X, np.where(y == 1, 2, 0))


@pytest.mark.parametrize("backend", ["dense", "csr"])
def test_warm_start_from_multiclass_to_multilabel_names_both_kinds(backend):
    """The issue's "fitted on [0, 1, 2], now given [0, 1, 2]": the classes are the
    same numbers, the kind of target is not, and the message must say so."""
    X, y = unscaled_iris()
    X = sparse.csr_matrix(X) if backend == "csr" else X
    Y = np.eye(3, dtype=int)[y]
    Y[::7, 0] = 1  # two labels on some rows: multilabel, not one-hot
    clf = fit_ignoring_convergence_warnings(
        TwoLayerSigmoidClassifier(n_hidden=2, max_iter=3, warm_start=True), X, y
    )
    message = (
        r"^warm_start=True needs the same classes as the previous fit: fitted on "
        r"multiclass targets with classes \[0, 1, 2\], now given multilabel "
        r"targets with classes \[0, 1, 2\].$"
    )
    with pytest.raises(ValueError, match=message):
        clf.fit(X, Y)
    binary = fit_ignoring_convergence_warnings(
        TwoLayerSigmoidClassifier(n_hidden=2, max_iter=3, warm_start=True),
        X,
        y == 1,
    )
    with pytest.raises(ValueError, match="fitted on binary targets with classes"):
        binary.fit(X, Y[:, :2])  # labels [0, 1] as the classes [False, True] are
    multilabel = fit_ignoring_convergence_warnings(
        TwoLayerSigmoidClassifier(n_hidden=2, max_iter=3, warm_start=True), X, Y
    )
    with pytest.raises(ValueError, match="fitted on multilabel targets"):
        multilabel.fit(X, y)


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
@pytest.mark.parametrize(
    "alpha, weight", [(1e300, 1.0), (1e-4, 1e-300), (1e110, 1.0), (1.0, 1e-150)]
)
def test_l2_term_too_strong_for_the_solver_is_named(data, solver, alpha, weight):
    """alpha / Σ s_i is what the solver sees: a huge alpha or tiny weights made
    it overflow, and the message advised to "increase alpha"."""
    X, y = data
    clf = TwoLayerSigmoidClassifier(n_hidden=2, alpha=alpha, solver=solver)
    ratio = alpha / (weight * y.size)
    message = "^" + re.escape(
        f"alpha / (sum of the sample weights times the class weights) is "
        f"{ratio:.3g} (alpha={alpha:.3g}, weights summing to {weight * y.size:.3g}"
        "), beyond 1e+100: the L2 term would overwhelm the data and overflow the "
        "solver. Lower alpha, or scale sample_weight up (the objective divides "
        "alpha by their sum)."
    )
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y, sample_weight=np.full(y.size, weight))
    assert not hasattr(clf, "W1_")


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
def test_l2_term_just_within_the_limit_fits_to_zero_weights(data, solver):
    """At alpha / Σ s_i = 1e100 (the limit) the fit runs, cleanly (no overflow
    warning, an error here), to weights of 0."""
    X, y = data
    clf = fit_ignoring_convergence_warnings(
        TwoLayerSigmoidClassifier(n_hidden=2, alpha=1e100 * y.size, solver=solver),
        X,
        y,
    )
    assert np.abs(clf.W1_).max() < 1e-50 and np.abs(clf.W2_).max() < 1e-50


# -- NumPy floats for the float parameters (issue 33, defect 4) ------------------------
NUMPY_FLOATS = [np.float16, np.float32, np.longdouble]
FLOAT_SETTINGS = {"alpha": 1.0, "tol": 1e-3, "validation_fraction": 0.25}


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
@pytest.mark.parametrize("dtype", NUMPY_FLOATS)
@pytest.mark.parametrize("name", list(FLOAT_SETTINGS))
def test_a_numpy_float_parameter_is_its_python_float(data, name, dtype, solver):
    """alpha=np.float32(1.0) made the L2 term, and the objective L-BFGS saw, a
    float32 scalar (every fit warned "overflow encountered in cast"); float16
    stopped L-BFGS "ABNORMAL". The fit is that of the Python float of the same
    value, bit for bit, and warns nothing (a warning is an error here)."""
    X, y = data
    value = dtype(FLOAT_SETTINGS[name])
    params = dict(n_hidden=3, random_state=0, max_iter=30, solver=solver)
    params["early_stopping"] = name == "validation_fraction"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        given = TwoLayerSigmoidClassifier(**params, **{name: value}).fit(X, y)
        as_float = TwoLayerSigmoidClassifier(**params, **{name: float(value)})
        as_float.fit(X, y)
    assert type(given.loss_) is float
    assert all(type(loss) is float for loss in given.loss_curve_)
    assert given.loss_curve_ == as_float.loss_curve_
    for attribute in ("W1_", "b1_", "W2_", "b2_"):
        np.testing.assert_array_equal(
            getattr(given, attribute), getattr(as_float, attribute)
        )
    assert type(getattr(given, name)) is dtype  # the parameter stays as given


@pytest.mark.parametrize("dtype", NUMPY_FLOATS)
def test_check_gradient_with_a_numpy_float_alpha(data, dtype):
    """check_gradient reported errors of 0.35-1.0 for a correct gradient: its
    finite differences of a float16 or float32 objective were rounding noise."""
    from sklearn_twolayer import check_gradient

    X, y = data
    clf = TwoLayerSigmoidClassifier(n_hidden=3, alpha=dtype(1.0))
    assert check_gradient(clf, X, y, random_state=0) < 1e-7


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_the_l2_guard_holds_for_a_numpy_float_alpha(data, dtype, solver):
    """alpha / Σ s_i computed in float16 or float32 is inf, and so was the guard's
    limit of 1e100 cast to that type: inf <= inf let the fit through, and
    trust-ncg ran on (max_iter=3, still running after 30 s)."""
    X, y = data
    clf = TwoLayerSigmoidClassifier(
        n_hidden=2, alpha=dtype(1.0), solver=solver, max_iter=3
    )
    with pytest.raises(ValueError, match=r"is 2\.5e\+108 \(alpha=1, weights summing"):
        clf.fit(X, y, sample_weight=np.full(y.size, 1e-110))
    assert not hasattr(clf, "W1_")


def test_an_int_alpha_beyond_float64_is_named(data):
    X, y = data
    clf = TwoLayerSigmoidClassifier(n_hidden=2, alpha=10**400)
    with pytest.raises(InvalidParameterError, match=r"'alpha' parameter .* an int"):
        clf.fit(X, y)


def test_multilabel_y_other_than_0_and_1_is_named(data):
    """Issue 20, defect 2: type_of_target calls any 2-D integer y with two values
    an indicator matrix; {-1, 1} drove the loss to -1.5e5, {1, 2} to -4.7e22."""
    X, _ = data
    Y = (np.arange(X.shape[0])[:, None] % [2, 3] == 0).astype(int)
    for bad, values in ((2 * Y - 1, "[-1, 1]"), (Y + 1, "[1, 2]"), (5 * Y, "[0, 5]")):
        message = "^" + re.escape(
            "A 2-D y is a multilabel indicator matrix and must hold only 0 and 1 "
            f"(or False and True); got the values {values}. Map the labels to 0/1 "
            "first, e.g. (y == 1).astype(int) for -1/1 labels; a y of class "
            "labels must be 1-D."
        )
        # A sparse y without zeros is "multiclass-multioutput" for scikit-learn.
        for y in (bad, sparse.csr_matrix(bad)) if values == "[0, 5]" else (bad,):
            for solver in ("lbfgs", "trust-ncg"):
                clf = TwoLayerSigmoidClassifier(n_hidden=2, solver=solver)
                with pytest.raises(ValueError, match=message):
                    clf.fit(X, y)
    # 0/1 in any dtype (bool, float, unsigned) is an indicator matrix.
    for y in (Y.astype(bool), Y.astype(float), Y.astype(np.uint8)):
        assert (
            fit_ignoring_convergence_warnings(
                TwoLayerSigmoidClassifier(n_hidden=2), X, y
            ).loss_
            > 0
        )


@pytest.mark.parametrize("as_sparse", [False, True])
def test_features_too_large_to_multiply_are_named(data, as_sparse):
    """Beyond sqrt(max float) a feature times a weight can overflow: the pre-
    activations become inf and the fit would return nonsense without an error."""
    X, y = data
    X_huge = X * 1e200
    X_huge = sparse.csr_matrix(X_huge) if as_sparse else X_huge
    message = "^" + re.escape(
        f"X has entries of magnitude {np.abs(X).max() * 1e200:.3g}, beyond "
        "1.34e+154, the largest a float64 network can multiply by its weights "
        "without overflow; scale the input features (e.g. with StandardScaler)."
    )
    with pytest.raises(ValueError, match=message):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X_huge, y)
    with pytest.raises(ValueError, match=message):  # negative values count as well
        TwoLayerSigmoidClassifier(n_hidden=2).fit(-abs(X) * 1e200, y)
    # the limit itself is still accepted
    at_limit = X.copy()
    at_limit[0, 0] = np.sqrt(np.finfo(np.float64).max)
    fit_ignoring_convergence_warnings(
        TwoLayerSigmoidClassifier(n_hidden=2, max_iter=3), at_limit, y
    )
    clf = fit_ignoring_convergence_warnings(
        TwoLayerSigmoidClassifier(n_hidden=2, max_iter=5), X, y
    )
    with pytest.raises(ValueError, match=message):
        clf.predict_proba(X_huge)
    # float32's limit is its own (1.8e19), and values below it are accepted
    with pytest.raises(ValueError, match="float32 network"):
        TwoLayerSigmoidClassifier(n_hidden=2).fit((X * 1e20).astype(np.float32), y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0)
        big.fit((X * 1e15).astype(np.float32), y)
    assert np.all(np.isfinite(big.predict_proba((X * 1e15).astype(np.float32))))


def test_multiclass_multioutput_target_is_named(data):
    X, y = data
    with pytest.raises(ValueError, match="got a 'multiclass-multioutput' target"):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X, np.c_[y, 2 * y + (y == 0)])


# -- the layers below the estimator -------------------------------------------------
def test_solver_reports_a_failed_line_search():
    """A gradient that contradicts the objective (here: its negative) makes the
    line search fail; the solver glue must say so instead of returning quietly."""
    from sklearn_twolayer._solver import minimize_lbfgs

    def wrong_gradient(theta):
        return float(theta @ theta), -2.0 * theta

    with pytest.warns(ConvergenceWarning, match="L-BFGS-B stopped: ABNORMAL"):
        result = minimize_lbfgs(
            wrong_gradient, np.ones(3), max_iter=50, max_fun=100, tol=1e-8
        )
    assert not result.converged


def test_verbose_prints_objective_and_gradient_per_iteration(data, capsys):
    X, y = data
    clf = TwoLayerSigmoidClassifier(n_hidden=2, verbose=1, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == clf.n_iter_
    first = re.fullmatch(
        r"Iteration 1: objective = (\S+), \|gradient\|_max = (\S+)", lines[0]
    )
    assert first is not None
    assert float(first.group(1)) == pytest.approx(clf.loss_curve_[0], rel=1e-7)
    assert lines[-1].startswith(f"Iteration {clf.n_iter_}: objective = ")


def test_network_misuse_is_named():
    layout = ParameterLayout(n_features=3, n_hidden=2, n_outputs=1)
    with pytest.raises(ValueError, match=r"theta must have shape \(11,\)"):
        layout.unpack(np.zeros(10))
    with pytest.raises(ValueError, match="Shapes of W1, b1, W2, b2 do not match"):
        layout.pack(np.zeros((2, 3)), np.zeros(2), np.zeros((1, 3)), np.zeros(1))
    with pytest.raises(ValueError, match="output must be 'sigmoid' or 'softmax'"):
        TwoLayerLoss(layout, output="relu")
    assert repr(TwoLayerLoss(layout, "softmax")) == (
        "TwoLayerLoss(ParameterLayout(n_features=3, n_hidden=2, n_outputs=1), "
        "output='softmax')"
    )


def test_gradient_helpers_misuse_is_named(data):
    from sklearn_twolayer import check_gradient, sigmoid_unit_gradient

    with pytest.raises(ValueError, match="same length, got shapes"):
        sigmoid_unit_gradient([1.0, 2.0], [1.0, 2.0, 3.0])
    X, y = data
    clf = fit_ignoring_convergence_warnings(
        TwoLayerSigmoidClassifier(n_hidden=2, max_iter=3), X, y
    )
    with pytest.raises(ValueError, match="The fitted estimator does not match X and y"):
        check_gradient(clf, X[:, :2], y)


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
@pytest.mark.parametrize("bad", ["theta", "loss"])
def test_non_finite_solver_result_is_an_error_not_a_model(
    data, monkeypatch, bad, solver
):
    """The last line of defence: input validation keeps the objective finite, but
    should a solver ever return NaN/inf, fit must fail rather than store it."""
    import sklearn_twolayer._classifier as classifier_module
    from sklearn_twolayer._solver import SolverResult

    def broken_solver(fun, theta0, **kwargs):
        theta = np.full_like(theta0, np.nan) if bad == "theta" else theta0
        return SolverResult(theta, np.inf if bad == "loss" else 1.0, 1, 1, [1.0])

    monkeypatch.setattr(classifier_module, "minimize_lbfgs", broken_solver)
    monkeypatch.setattr(classifier_module, "minimize_trust_ncg", broken_solver)
    X, y = data
    clf = TwoLayerSigmoidClassifier(n_hidden=2, solver=solver)
    message = (
        f"^solver='{solver}' produced non-finite weights or loss; scale the input "
        r"features \(e.g. with StandardScaler\) or increase alpha.$"
    )
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)
    assert not hasattr(clf, "W1_")


def test_validation_weights_summing_to_zero_are_named(data):
    X, y = data
    weights = {0: 1.0, 1: 0.0}  # validation rows all of class 1: weight 0
    clf = TwoLayerSigmoidClassifier(n_hidden=2, early_stopping=True)
    with pytest.raises(ValueError, match=r"sum to 0: no validation loss\.$"):
        clf.set_params(class_weight=weights).fit(X, y, X_val=X[y == 1], y_val=y[y == 1])
    with pytest.raises(ValueError, match=r"sum to 0: nothing to fit\.$"):
        clf.set_params(class_weight={0: 0.0, 1: 0.0}).fit(X, y)
