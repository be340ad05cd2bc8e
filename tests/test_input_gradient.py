"""input_gradient: section 2.2.2's df/dx carried through the network (issue 16).

Oracles: the document's printed numbers (2.2.2), a per-sample transcription of the
chain rule with column vectors, and central differences of ``predict_proba`` and
``decision_function``. Bad input is rejected as ``predict_proba`` rejects it; the
memory of an evaluation is counted exactly with tracemalloc.
"""

import re

import _reference as reference
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import sparse, special
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from threadpoolctl import threadpool_limits

from sklearn_twolayer import (
    TwoLayerSigmoidClassifier,
    _execution,
    sigmoid_unit_gradient,
)
from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss

TARGETS = ("binary", "multiclass", "multilabel")


def _by_hand(target, n_features, n_hidden, n_outputs, rng, weight_scale=1.0):
    """A 'fitted' classifier whose attributes are set by hand, as a user may."""
    clf = TwoLayerSigmoidClassifier(n_hidden=n_hidden)
    if target == "binary":
        n_outputs = 1
    clf.W1_ = weight_scale * rng.normal(size=(n_hidden, n_features))
    clf.b1_ = rng.normal(size=n_hidden)
    clf.W2_ = weight_scale * rng.normal(size=(n_outputs, n_hidden))
    clf.b2_ = rng.normal(size=n_outputs)
    clf.n_outputs_, clf.n_features_in_ = n_outputs, n_features
    clf.out_activation_ = "softmax" if target == "multiclass" else "logistic"
    clf.classes_ = np.arange(2 if target == "binary" else n_outputs)
    return clf


def _is_binary(clf):
    """Two classes, one output unit (the probability of classes_[1])."""
    return clf.n_outputs_ == 1 and clf.classes_.shape[0] == 2


def _prediction(clf, output):
    """The function input_gradient differentiates: (n_samples, n_outputs) values."""
    if output == "logit":
        return lambda X: clf.decision_function(X).reshape(X.shape[0], -1)
    if _is_binary(clf):
        return lambda X: clf.predict_proba(X)[:, 1:]  # P(classes_[1])
    return clf.predict_proba


def _as_3d(gradient, clf):
    return gradient[:, None, :] if _is_binary(clf) else gradient


# -- the document's worked example -----------------------------------------------------
def test_section_2_2_2_example_through_a_one_unit_network():
    # f = σ(wᵀx) is the hidden unit's output h1; with W2 = [[1]] and b2 = 0 the
    # logit a2 = h1, so ∂a2/∂x is the document's df/dx.
    clf = TwoLayerSigmoidClassifier(n_hidden=1)
    clf.W1_, clf.b1_ = np.array([[2.0, -3.0, -3.0]]), np.zeros(1)
    clf.W2_, clf.b2_ = np.array([[1.0]]), np.zeros(1)
    clf.classes_, clf.n_outputs_, clf.out_activation_ = np.array([0, 1]), 1, "logistic"
    clf.n_features_in_ = 3
    x = np.array([[-1.0, -2.0, 1.0]])
    logit_gradient = clf.input_gradient(x, output="logit")
    assert logit_gradient.shape == (1, 3)
    np.testing.assert_array_equal(logit_gradient.round(4), [[0.3932, -0.5898, -0.5898]])
    df_dx, _ = sigmoid_unit_gradient([2, -3, -3], [-1, -2, 1])
    np.testing.assert_allclose(logit_gradient[0], df_dx, rtol=1e-15)
    # The probability σ(a2) adds the output unit's σ'(a2) = σ(a2)σ(−a2) at
    # a2 = f = σ(1), the same 2.2.2 rule one layer up.
    a2 = 1.0 / (1.0 + np.exp(-1.0))
    h2 = 1.0 / (1.0 + np.exp(-a2))
    output_slope = h2 * (1.0 - h2)
    np.testing.assert_allclose(
        clf.input_gradient(x), output_slope * logit_gradient, rtol=1e-15
    )


def test_the_fitted_attributes_are_the_model():
    # Changing W1_ after fit changes the gradient exactly as the formula says.
    rng = np.random.default_rng(0)
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0).fit(X, y)
    before = clf.input_gradient(X[:5], output="logit")
    clf.W1_ = clf.W1_ + rng.normal(size=clf.W1_.shape)
    after = clf.input_gradient(X[:5], output="logit")
    assert not np.allclose(before, after)
    np.testing.assert_allclose(
        after, reference.input_gradient_per_sample(clf, X[:5])[:, 0], rtol=1e-12
    )


# -- exact: against central differences ------------------------------------------------
@st.composite
def networks(draw):
    target = draw(st.sampled_from(TARGETS))
    n_features = draw(st.integers(1, 6), label="n_features")
    n_hidden = draw(st.integers(1, 8), label="n_hidden")
    n_outputs = draw(st.integers(2, 5), label="n_outputs")
    if target == "multiclass":
        n_outputs = max(n_outputs, 3)
    n_samples = draw(st.integers(1, 12), label="n_samples")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    clf = _by_hand(target, n_features, n_hidden, n_outputs, rng)
    return clf, rng.normal(size=(n_samples, n_features))


@given(networks(), st.sampled_from(["proba", "logit"]))
def test_input_gradient_is_exact_against_central_differences(network_and_X, output):
    clf, X = network_and_X
    analytic = clf.input_gradient(X, output=output)
    if _is_binary(clf):
        expected_shape = X.shape
    else:
        expected_shape = (X.shape[0], clf.n_outputs_, X.shape[1])
    assert analytic.shape == expected_shape and analytic.dtype == np.float64
    numeric = reference.input_central_differences(_prediction(clf, output), X)
    assert reference.relative_error(_as_3d(analytic, clf), numeric) < 1e-7


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("output", ["proba", "logit"])
def test_fitted_networks_against_central_differences(target, output):
    # Trained weights (not only random ones), as the closing note reports them.
    if target == "multilabel":
        X, y = make_multilabel_classification(
            n_samples=80, n_features=5, n_classes=3, random_state=0
        )
        X = X / X.std(axis=0)
    else:
        X, y = make_classification(
            n_samples=80,
            n_features=5,
            n_informative=3,
            n_classes=2 if target == "binary" else 3,
            random_state=0,
        )
    clf = TwoLayerSigmoidClassifier(
        n_hidden=6, alpha=0.1, max_iter=1000, random_state=0
    )
    clf.fit(X, y)
    analytic = _as_3d(clf.input_gradient(X[:20], output=output), clf)
    numeric = reference.input_central_differences(_prediction(clf, output), X[:20])
    assert reference.relative_error(analytic, numeric) < 1e-7


def test_binary_proba_gradient_is_that_of_classes_1_and_minus_that_of_classes_0():
    rng = np.random.default_rng(1)
    clf = _by_hand("binary", 3, 4, 1, rng)
    X = rng.normal(size=(7, 3))
    gradient = clf.input_gradient(X)
    numeric = reference.input_central_differences(clf.predict_proba, X)  # both columns
    np.testing.assert_allclose(numeric[:, 1], gradient, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(numeric[:, 0], -gradient, rtol=1e-8, atol=1e-12)


def test_multiclass_proba_gradients_sum_to_zero():
    # Σ_k P_k = 1 for every x: the softmax Jacobian's rows cancel.
    rng = np.random.default_rng(2)
    clf = _by_hand("multiclass", 4, 5, 4, rng)
    gradient = clf.input_gradient(rng.normal(size=(9, 4)))
    assert gradient.shape == (9, 4, 4)
    np.testing.assert_allclose(gradient.sum(axis=1), 0.0, atol=1e-15)


# -- dtypes, sparse input, blocks ------------------------------------------------------
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("output", ["proba", "logit"])
def test_float32_stays_float32_within_the_dot_product_error_bound(target, output):
    """float32 X gives a float32 gradient, float32 arithmetic throughout.

    Compared with float64 arithmetic on the same float32-rounded weights and X, the
    only difference is rounding: a1 is a dot product of length n_features, ∂a2/∂x
    one of length n_hidden, and each such sum of n terms carries a relative error of
    at most about n·u (u = 2⁻²⁴, Higham's γ_n), plus a few u from the element-wise
    sigmoid, products and (for probabilities) the output's σ' or softmax. The bound
    10·(n_features + n_hidden)·u leaves a factor of about 10 for cancellation.
    """
    rng = np.random.default_rng(3)
    n_features, n_hidden = 6, 12
    clf = _by_hand(target, n_features, n_hidden, 4, rng)
    X = rng.normal(size=(50, n_features))
    gradient32 = clf.input_gradient(X.astype(np.float32), output=output)
    assert gradient32.dtype == np.float32
    for name in ("W1_", "b1_", "W2_", "b2_"):  # what the float32 path computes with
        setattr(clf, name, getattr(clf, name).astype(np.float32).astype(np.float64))
    gradient64 = clf.input_gradient(
        X.astype(np.float32).astype(np.float64), output=output
    )
    u = np.finfo(np.float32).eps / 2
    bound = 10 * (n_features + n_hidden) * u
    assert reference.relative_error(gradient32.astype(np.float64), gradient64) < bound


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("storage", ["csr", "csc"])
def test_sparse_X_gives_the_dense_gradient(target, storage, monkeypatch):
    monkeypatch.setattr(_execution, "BLOCK_BYTES", 7 * 5 * 8)  # many blocks of rows
    rng = np.random.default_rng(4)
    clf = _by_hand(target, 8, 5, 3, rng)
    X = rng.normal(size=(40, 8))
    X[X < 0.5] = 0.0
    X_sparse = sparse.csr_matrix(X) if storage == "csr" else sparse.csc_matrix(X)
    for output in ("proba", "logit"):
        dense = clf.input_gradient(X, output=output)
        np.testing.assert_allclose(
            clf.input_gradient(X_sparse, output=output), dense, rtol=1e-13, atol=1e-16
        )


@pytest.mark.parametrize("output", ["proba", "logit"])
def test_blocks_and_threads_do_not_change_the_gradient(output, monkeypatch):
    rng = np.random.default_rng(5)
    clf = _by_hand("multiclass", 4, 5, 3, rng)
    X = rng.normal(size=(101, 4))
    whole = clf.input_gradient(X, output=output)
    monkeypatch.setattr(_execution, "BLOCK_BYTES", 7 * 5 * 8)
    with threadpool_limits(limits=2, user_api="blas"):
        blocked = clf.input_gradient(X, output=output)
    np.testing.assert_allclose(blocked, whole, rtol=1e-14, atol=1e-17)


@pytest.mark.parametrize("output_unit, n_outputs", [("sigmoid", 1), ("softmax", 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("storage", ["dense", "csr", "csc"])
def test_memory_is_the_result_and_a_few_blocks(output_unit, n_outputs, dtype, storage):
    """The result, two (rows, n_hidden) scratch blocks, and small arrays.

    Beyond the (n_samples, n_outputs, n_features) result and the two scratch
    blocks (h1 then h1(1 − h1), and the slope times a row of W2), a block allocates
    a few (rows, n_outputs) arrays (a2, σ(a2), σ(−a2) or the softmax) and one
    (rows, n_features) product; sparse X also makes its product X W1ᵀ (one more
    block) and CSC is copied to CSR once. An (n_samples, n_hidden) array, let alone
    (n_samples, n_hidden, n_features), breaks the bound.
    """
    n_features, n_hidden = 4, 256
    itemsize = np.dtype(dtype).itemsize
    rows = _execution.BLOCK_BYTES // (n_hidden * itemsize)
    n_samples = 16 * rows + 5
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, n_features)).astype(dtype)
    extra = 0
    if storage != "dense":
        X = sparse.csr_matrix(X) if storage == "csr" else sparse.csc_matrix(X)
        extra = _execution.BLOCK_BYTES  # the sparse product X W1ᵀ of one block
        if storage == "csc":
            extra += X.data.nbytes + X.indices.nbytes + X.indptr.nbytes + 8 * n_samples
    loss = TwoLayerLoss(ParameterLayout(n_features, n_hidden, n_outputs), output_unit)
    theta = rng.normal(size=loss.layout.size).astype(dtype)
    result_bytes = n_samples * n_outputs * n_features * itemsize
    small = 8 * rows * max(n_outputs, n_features) * itemsize + 2 * 8 * np.getbufsize()
    assert small < _execution.BLOCK_BYTES / 2
    for output in ("logit", "proba"):
        with threadpool_limits(limits=1, user_api="blas"):  # one worker, one set
            peak = reference.traced_peak(lambda: loss.input_gradient(theta, X, output))  # noqa: B023
        assert peak <= result_bytes + 2 * _execution.BLOCK_BYTES + small + extra
    assert n_samples * n_hidden * itemsize > 16 * _execution.BLOCK_BYTES


# -- saturated units -------------------------------------------------------------------
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_saturated_units_give_zero_gradient_without_warnings(target, dtype):
    # pytest turns RuntimeWarnings (overflow) into errors for the whole suite.
    rng = np.random.default_rng(6)
    clf = _by_hand(target, 3, 4, 3, rng, weight_scale=1e4)
    X = rng.normal(size=(20, 3)).astype(dtype)
    for output in ("proba", "logit"):
        # Pre-activations of about 1e6: every hidden unit saturated, its σ'(a1) =
        # h1(1 − h1) is exactly 0 and so is the gradient.
        gradient = clf.input_gradient(100 * X, output=output)
        assert gradient.dtype == dtype
        np.testing.assert_array_equal(gradient, 0.0)
    # Hidden units in their working range, logits of about 1e7: the probabilities
    # are exactly 0 or 1, flat in x, while the logits still move.
    clf.W1_ = clf.W1_ * 1e-4
    clf.W2_ = clf.W2_ * 1e3
    np.testing.assert_array_equal(clf.input_gradient(X, output="proba"), 0.0)
    logit_gradient = clf.input_gradient(X, output="logit")
    assert np.all(np.isfinite(logit_gradient)) and np.abs(logit_gradient).max() > 1e5


@pytest.mark.parametrize(
    "dtype, logits, rtol",
    [(np.float64, [10, 20, 30, 36], 1e-13), (np.float32, [5, 10, 15], 1e-5)],
)
def test_confident_probabilities_keep_their_gradients_relative_precision(
    dtype, logits, rtol
):
    # ∂σ(a2)/∂x = σ(a2)σ(−a2) ∂a2/∂x: where σ(a2) rounds near 1, 1 − σ(a2) keeps a
    # few bits (float64 at a2 = 30: about 1e-3 relative) or none (0 from a2 = 37);
    # σ(−a2) keeps them all, as sigmoid_unit_gradient computes σ'.
    layout = ParameterLayout(n_features=2, n_hidden=1, n_outputs=1)
    loss = TwoLayerLoss(layout, output="sigmoid")
    X = np.array([[0.3, -0.2], [-0.5, 0.4]], dtype=dtype)
    for logit in logits:
        theta = layout.pack([[1.0, -2.0]], [0.1], [[1.5]], [logit], dtype=dtype)
        a2 = loss.logits(theta, X).astype(np.float64)
        expected = (special.expit(a2) * special.expit(-a2))[:, :, None] * (
            loss.input_gradient(theta, X, "logit").astype(np.float64)
        )
        proba_gradient = loss.input_gradient(theta, X, "proba")
        assert proba_gradient.dtype == dtype
        np.testing.assert_allclose(proba_gradient, expected, rtol=rtol, atol=0)


# -- bad input: as predict_proba -------------------------------------------------------
@pytest.fixture
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(X, y), X


def test_unknown_output_names_the_allowed_values(fitted):
    clf, X = fitted
    for bad in ("probability", None, ["proba"], np.array(["proba", "logit"])):
        message = (
            "The 'output' parameter of input_gradient must be 'proba' or 'logit'; "
            f"got {bad!r}."
        )
        with pytest.raises(InvalidParameterError, match=f"^{re.escape(message)}$"):
            clf.input_gradient(X, output=bad)
    assert issubclass(InvalidParameterError, ValueError)
    with pytest.raises(ValueError, match="output must be 'logit' or 'proba', got 'p'"):
        TwoLayerLoss(ParameterLayout(3, 2, 1)).input_gradient(np.zeros(11), X, "p")


def test_output_is_keyword_only(fitted):
    clf, X = fitted
    with pytest.raises(TypeError, match="positional argument"):
        clf.input_gradient(X, "logit")


def test_not_fitted_is_named():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        TwoLayerSigmoidClassifier().input_gradient(np.zeros((2, 3)))


def test_wrong_number_of_features_is_named(fitted):
    clf, X = fitted
    with pytest.raises(
        ValueError,
        match="X has 2 features, but TwoLayerSigmoidClassifier is expecting 3",
    ):
        clf.input_gradient(X[:, :2])


@pytest.mark.parametrize("value, name", [(np.nan, "NaN"), (np.inf, "infinity")])
@pytest.mark.parametrize("as_sparse", [False, True])
def test_nan_or_inf_is_named(fitted, value, name, as_sparse):
    clf, X = fitted
    X_bad = X.copy()
    X_bad[3, 1] = value
    X_bad = sparse.csr_matrix(X_bad) if as_sparse else X_bad
    with pytest.raises(ValueError, match=f"Input X contains {name}"):
        clf.input_gradient(X_bad)


def test_features_too_large_and_1d_X_are_named(fitted):
    clf, X = fitted
    with pytest.raises(ValueError, match="X has entries of magnitude 1e\\+200"):
        clf.input_gradient(np.full((2, 3), 1e200))
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        clf.input_gradient(X[0])


def test_list_and_integer_input_is_float64(fitted):
    clf, _ = fitted
    gradient = clf.input_gradient([[1, 0, -1]])
    assert gradient.dtype == np.float64
    np.testing.assert_allclose(gradient, clf.input_gradient(np.array([[1.0, 0, -1]])))
