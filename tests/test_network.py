"""The mathematics (sklearn_twolayer.network) against the source document.

Three independent oracles: the document's printed numbers (2.2.2), a per-sample
transcription of eqs. 1.1-1.6 with column vectors, and central finite differences.
"""

import re
import warnings

import _reference as reference
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import sparse

from sklearn_twolayer import (
    TwoLayerSigmoidClassifier,
    check_gradient,
    sigmoid_unit_gradient,
)
from sklearn_twolayer.network import (
    ParameterLayout,
    TwoLayerLoss,
    hidden_sigmoid_,
    input_gradient_block,
    log_sigmoid,
    per_sample_loss,
    sigmoid,
)


# -- 2.2.2: the single sigmoid unit -----------------------------------------------
def test_sigmoid_unit_gradient_reproduces_the_documents_worked_example():
    df_dx, df_dw = sigmoid_unit_gradient([2, -3, -3], [-1, -2, 1])
    assert_allclose(df_dx.round(4), [0.3932, -0.5898, -0.5898], atol=0)
    assert_allclose(df_dw.round(4), [-0.1966, -0.3932, 0.1966], atol=0)


def test_sigmoid_unit_gradient_is_the_documents_formula():
    # df/dx = w e^(-wᵀx) / (1 + e^(-wᵀx))², evaluated literally where it is safe.
    rng = np.random.default_rng(0)
    w, x = rng.normal(size=5), rng.normal(size=5)
    z = w @ x
    factor = np.exp(-z) / (1 + np.exp(-z)) ** 2
    df_dx, df_dw = sigmoid_unit_gradient(w, x)
    assert_allclose(df_dx, w * factor, rtol=1e-14)
    assert_allclose(df_dw, x * factor, rtol=1e-14)


def test_sigmoid_unit_gradient_saturates_without_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df_dx, df_dw = sigmoid_unit_gradient([1e4], [-1e4])
    assert np.all(df_dx == 0) and np.all(df_dw == 0)


def test_sigmoid_unit_gradient_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same length"):
        sigmoid_unit_gradient([1, 2], [1, 2, 3])


# -- layout -------------------------------------------------------------------------
def test_layout_pack_unpack_round_trip_with_document_shapes():
    layout = ParameterLayout(n_features=4, n_hidden=3, n_outputs=2)
    assert layout.size == 3 * 4 + 3 + 2 * 3 + 2
    theta = np.arange(layout.size, dtype=float)
    W1, b1, W2, b2 = layout.unpack(theta)
    assert (W1.shape, b1.shape, W2.shape, b2.shape) == ((3, 4), (3,), (2, 3), (2,))
    assert np.shares_memory(W1, theta) and np.shares_memory(W2, theta)
    assert W1[1, 0] == 4  # C order: row 1 of W1 starts after 4 features
    assert_allclose(layout.pack(W1, b1, W2, b2), theta)
    with pytest.raises(ValueError, match="theta must have shape"):
        layout.unpack(np.zeros(layout.size + 1))


# -- eqs. 1.1-1.6, sample by sample ----------------------------------------------------
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_loss_gradient_equals_the_documents_equations_per_sample(n_outputs):
    rng = np.random.default_rng(1)
    n, d, h = 7, 4, 5
    X = rng.normal(size=(n, d))
    Y = rng.integers(0, 2, size=(n, n_outputs)).astype(float)
    s = rng.uniform(0.5, 2.0, size=n)
    alpha = 0.3
    layout = ParameterLayout(d, h, n_outputs)
    loss = TwoLayerLoss(layout, output="sigmoid")
    theta = rng.normal(size=layout.size)
    W1, b1, W2, b2 = layout.unpack(theta)

    total_loss = 0.0
    totals = [np.zeros_like(p) for p in (W1, b1, W2, b2)]
    for i in range(n):
        sample_loss, *grads = reference.document_gradients(W1, b1, W2, b2, X[i], Y[i])
        total_loss += s[i] * sample_loss
        for total, grad in zip(totals, grads, strict=True):
            total += s[i] * grad
    totals[0] += alpha * W1
    totals[2] += alpha * W2
    expected_loss = (
        total_loss + 0.5 * alpha * (np.sum(W1**2) + np.sum(W2**2))
    ) / s.sum()
    expected_gradient = layout.pack(*totals) / s.sum()

    value, gradient = loss.loss_gradient(theta, X, Y, s, alpha)
    assert_allclose(value, expected_loss, rtol=1e-12)
    assert_allclose(gradient, expected_gradient, rtol=1e-10, atol=1e-14)
    assert_allclose(loss.loss(theta, X, Y, s, alpha), value, rtol=1e-13)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_float32_gradient_is_the_documents_equations_to_float32_precision(
    n_outputs, block_bytes
):
    """float32 is eqs. 1.1-1.6 to float32's precision, against the per-sample
    transcription in float64 on the same float32 numbers, weighted, over several
    blocks of rows."""
    rng = np.random.default_rng(4)
    n, d, h = 300, 6, 5
    X = rng.normal(size=(n, d)).astype(np.float32)
    Y = rng.integers(0, 2, size=(n, n_outputs)).astype(np.float32)
    s = rng.uniform(0.5, 2.0, size=n).astype(np.float32)
    layout = ParameterLayout(d, h, n_outputs)
    loss = TwoLayerLoss(layout, output="sigmoid")
    theta = rng.normal(size=layout.size).astype(np.float32)
    W1, b1, W2, b2 = (p.astype(np.float64) for p in layout.unpack(theta))

    totals = [np.zeros_like(p) for p in (W1, b1, W2, b2)]
    for i in range(n):
        _, *grads = reference.document_gradients(
            W1, b1, W2, b2, X[i].astype(np.float64), Y[i].astype(np.float64)
        )
        for total, grad in zip(totals, grads, strict=True):
            total += float(s[i]) * grad
    expected = layout.pack(*totals)

    block_bytes(64 * h * 4)  # blocks of 64 rows: the sums of blocks are checked too
    _, gradient = loss.data_loss_gradient(theta, X, Y, s)
    assert gradient.dtype == np.float32
    scale = np.abs(expected).max()
    assert_allclose(gradient, expected, rtol=1e-5, atol=1e-6 * scale)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("output, n_outputs", [("sigmoid", 1), ("softmax", 3)])
def test_input_gradient_block_needs_no_buffer_of_the_execution_layer(
    dtype, output, n_outputs
):
    # The kernel alone (no `out`, no scratch) gives the blocked driver's result;
    # it raised TypeError ('NoneType' object is not subscriptable) on NumPy.
    rng = np.random.default_rng(7)
    layout = ParameterLayout(4, 5, n_outputs)
    theta = rng.normal(size=layout.size).astype(dtype)
    X = rng.normal(size=(9, 4)).astype(dtype)
    loss = TwoLayerLoss(layout, output)
    for proba in (False, True):
        alone = input_gradient_block(layout, output, layout.unpack(theta), X, proba)
        assert alone.dtype == dtype and alone.shape == (9, n_outputs, 4)
        expected = loss.input_gradient(theta, X, "proba" if proba else "logit")
        np.testing.assert_array_equal(alone, expected)


def test_softmax_output_gradient_has_the_form_h2_minus_y():
    rng = np.random.default_rng(2)
    n, d, h, k = 6, 3, 4, 3
    X = rng.normal(size=(n, d))
    Y = np.eye(k)[rng.integers(0, k, size=n)]
    layout = ParameterLayout(d, h, k)
    loss = TwoLayerLoss(layout, output="softmax")
    theta = rng.normal(size=layout.size)
    _, gradient = loss.loss_gradient(theta, X, Y)
    H2 = loss.output_proba(loss.logits(theta, X))
    assert_allclose(H2.sum(axis=1), 1.0, rtol=1e-14)
    grad_b2 = layout.unpack(gradient)[3]
    assert_allclose(grad_b2, (H2 - Y).sum(axis=0) / n, rtol=1e-12, atol=1e-15)


def test_data_loss_gradient_sums_over_blocks_of_rows():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 3))
    Y = np.eye(3)[rng.integers(0, 3, size=20)]
    s = rng.uniform(size=20)
    loss = TwoLayerLoss(ParameterLayout(3, 4, 3), output="softmax")
    theta = rng.normal(size=loss.layout.size)
    whole = loss.data_loss_gradient(theta, X, Y, s)
    parts = [
        loss.data_loss_gradient(theta, X[b], Y[b], s[b])
        for b in (slice(0, 7), slice(7, 20))
    ]
    assert_allclose(whole[0], parts[0][0] + parts[1][0], rtol=1e-12)
    assert_allclose(whole[1], parts[0][1] + parts[1][1], rtol=1e-12, atol=1e-14)
    combined = loss.add_penalty_and_normalize(theta, *whole, s.sum(), 0.1)
    direct = loss.loss_gradient(theta, X, Y, s, 0.1)
    assert_allclose(combined[0], direct[0], rtol=1e-13)
    assert_allclose(combined[1], direct[1], rtol=1e-13)


# -- numerics ------------------------------------------------------------------------
def test_float32_losses_and_weights_are_summed_in_float64():
    """Sums over rows and weights are float64 sums, whatever the dtype of the data.

    With W1 = W2 = 0 and b2 = 0 every row's loss is the float32 number fl(log 2).
    With weights [2**24, 1, 1, 1] a float32 sum rounds each added 1 away (2**24 + 1
    is not a float32), while float64 sums of these values are exact.
    """
    layout = ParameterLayout(2, 3, 1)
    loss = TwoLayerLoss(layout)
    theta = np.zeros(layout.size, dtype=np.float32)
    X = np.ones((4, 2), dtype=np.float32)
    Y = np.zeros((4, 1), dtype=np.float32)
    s = np.array([2**24, 1, 1, 1], dtype=np.float32)
    row_loss = float(np.logaddexp(np.float32(0), np.float32(0)))  # fl(log 2)
    data_loss, gradient = loss.data_loss_gradient(theta, X, Y, s)
    assert data_loss == row_loss * (2**24 + 3)
    assert gradient.dtype == np.float32
    assert loss.loss(theta, X, Y, s) == row_loss
    assert loss.loss_gradient(theta, X, Y, s)[0] == row_loss
    assert loss.loss(theta, X, Y) == row_loss


def test_forward_pass_stays_in_the_dtype_of_theta():
    rng = np.random.default_rng(4)
    loss = TwoLayerLoss(ParameterLayout(3, 5, 2))
    theta = rng.normal(size=loss.layout.size).astype(np.float32)
    X = rng.normal(size=(7, 3)).astype(np.float32)
    for X_form in (X, sparse.csr_matrix(X)):
        assert loss.hidden(theta, X_form).dtype == np.float32
        assert loss.logits(theta, X_form).dtype == np.float32


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_preactivations_of_1e4_give_finite_values_and_no_warnings(output, dtype):
    layout = ParameterLayout(2, 3, 1 if output == "sigmoid" else 3)
    loss = TwoLayerLoss(layout, output=output)
    X = np.array([[1.0, -1.0], [-1.0, 1.0], [0.5, 0.5]], dtype=dtype)
    Y = np.eye(layout.n_outputs, dtype=dtype)[[0, 0, 0]]
    if output == "sigmoid":
        Y = np.array([[0.0], [1.0], [1.0]], dtype=dtype)
    theta = np.full(layout.size, 5e3, dtype=dtype)  # a1 and a2 reach ±1e4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, gradient = loss.loss_gradient(theta, X, Y, None, 1e-4)
        A2 = loss.logits(theta, X)
        proba = loss.output_proba(A2)
        log_proba = loss.log_output_proba(A2)
    assert np.abs(A2).max() >= 1e4
    assert np.isfinite(value) and np.all(np.isfinite(gradient))
    assert np.all((proba >= 0) & (proba <= 1)) and np.all(np.isfinite(log_proba))
    assert gradient.dtype == dtype


def test_loss_from_logits_is_exact_where_the_probability_rounds_to_one():
    # σ(40) rounds to 1.0 in float64; -log(1 - σ(40)) from a clipped probability
    # would be ~36; from the logit it is log(1 + e^40) = 40 + 4.2e-18.
    layout = ParameterLayout(1, 1, 1)
    loss = TwoLayerLoss(layout)
    theta = layout.pack(np.zeros((1, 1)), [0.0], np.zeros((1, 1)), [40.0])
    value = loss.loss(theta, np.zeros((1, 1)), np.zeros((1, 1)))
    assert_allclose(value, 40.0, rtol=1e-15)


def test_saturated_correct_output_has_zero_gradient_not_nan():
    # h2 = 1 exactly and y = 1: eq. 1.1's intermediate form would be 0/0; h2 − y is 0.
    layout = ParameterLayout(1, 1, 1)
    loss = TwoLayerLoss(layout)
    theta = layout.pack(np.zeros((1, 1)), [0.0], np.zeros((1, 1)), [800.0])
    _, gradient = loss.loss_gradient(theta, np.ones((1, 1)), np.ones((1, 1)))
    assert np.all(gradient == 0.0)


def test_hidden_sigmoid_works_in_place_and_saturates_without_warnings():
    z = np.array([-1e4, -800.0, 0.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exp(800) overflows to inf: σ is 0
        h = hidden_sigmoid_(z)
    assert h is z
    np.testing.assert_array_equal(h, [0.0, 0.0, 0.5, 1.0, 1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_cross_entropy_is_exact_to_a_few_ulps_of_itself(dtype):
    """per_sample_loss's log(1 + e^a) − y a, from logits saturated either way, in
    the logits' dtype and without warnings, to a few roundings of the loss itself:
    a confidently right row (y = 1, a large) has the loss log(1 + e^-a), which
    log(1 + e^a) − a computed in that order would cancel to 0."""
    a = np.concatenate(
        [[-1e4, -800.0, -90.0, 90.0, 800.0, 1e4], np.linspace(-40, 40, 801)]
    ).astype(dtype)
    Y = (np.arange(a.size) % 2).astype(dtype)[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = per_sample_loss(a[:, None], Y, "sigmoid")
    assert losses.dtype == dtype
    a64 = a.astype(np.float64)
    # -log σ(a) for y = 1, -log(1 − σ(a)) for y = 0: each one term, no cancellation
    exact = np.where(Y[:, 0] == 1, np.logaddexp(0.0, -a64), np.logaddexp(0.0, a64))
    # a few roundings of the computation's dtype; below the smallest normal
    # number (e^-90 in float32), its absolute spacing
    info = np.finfo(dtype)
    bound = 4 * info.eps * exact + info.smallest_subnormal
    assert np.all(np.abs(losses - exact) <= bound)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_float32_gradient_of_confidently_right_rows_is_exact_to_a_few_ulps(n_outputs):
    """A row whose probability of its class is 1 − 1e-6: h2 − y (eq. 1.2) is
    −1e-6, which h2 − 1 in float32 has only to 6e-8 (6 %); formed from the
    logits it is as exact as float32 is, like the float64 gradient."""
    layout = ParameterLayout(2, 3, n_outputs)
    rng = np.random.default_rng(0)
    W1, b1 = rng.normal(size=(3, 2)), rng.normal(size=3)
    W2 = rng.normal(size=(n_outputs, 3))
    b2 = np.full(n_outputs, 14.0) if n_outputs == 1 else np.array([14.0, 0.0, -1.0])
    theta = layout.pack(W1, b1, W2, b2)
    X = rng.normal(size=(4, 2)) * 0.01
    Y = np.zeros((4, n_outputs))
    Y[:, 0] = 1.0  # every row confidently right
    loss = TwoLayerLoss(layout, "sigmoid" if n_outputs == 1 else "softmax")
    _, exact = loss.loss_gradient(theta, X, Y)
    _, gradient = loss.loss_gradient(
        theta.astype(np.float32), X.astype(np.float32), Y.astype(np.float32)
    )
    assert gradient.dtype == np.float32
    assert 1e-7 < np.abs(exact).max() < 1e-4  # tiny, well inside float32's range
    assert reference.relative_error(gradient, exact) < 1e-5


def test_hidden_sigmoid_matches_expit_in_absolute_terms():
    z = np.linspace(-50, 50, 1001)
    # exp, + 1 and the reciprocal each round once: at most 2 ulp of 1.0 in
    # absolute terms.
    assert_allclose(
        hidden_sigmoid_(z.copy()), reference.sigma(z), rtol=0, atol=2 * 2.3e-16
    )
    assert_allclose(sigmoid(z), reference.sigma(z), rtol=1e-15)
    exact_log_sigmoid = np.where(z > 0, -np.log1p(np.exp(-z)), z - np.log1p(np.exp(z)))
    assert_allclose(log_sigmoid(z), exact_log_sigmoid, rtol=1e-14)
    assert_allclose(log_sigmoid(np.array([-800.0])), [-800.0])


def test_unknown_output_is_rejected():
    with pytest.raises(ValueError, match="output must be"):
        TwoLayerLoss(ParameterLayout(1, 1, 1), output="relu")


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.longdouble])
def test_a_numpy_float_l2_strength_gives_the_float64_objective(dtype):
    """Issue 33, defect 4: a NumPy float ``l2_reg_strength`` made the L2 term, and
    the objective, a scalar of its own type (float16: a few significant digits)."""
    rng = np.random.default_rng(24)
    loss = TwoLayerLoss(ParameterLayout(3, 4, 1))
    X, Y = rng.normal(size=(7, 3)), rng.integers(0, 2, size=(7, 1)).astype(float)
    theta, v = rng.normal(size=(2, loss.layout.size))
    strength = dtype(0.5)
    value, gradient = loss.loss_gradient(theta, X, Y, l2_reg_strength=strength)
    expected, expected_gradient = loss.loss_gradient(theta, X, Y, l2_reg_strength=0.5)
    assert type(value) is float and value == expected
    assert type(loss.loss(theta, X, Y, l2_reg_strength=strength)) is float
    assert gradient.dtype == np.float64
    np.testing.assert_array_equal(gradient, expected_gradient)
    value, _, hessp = loss.gradient_hessian_product(
        theta, X, Y, l2_reg_strength=strength
    )
    _, _, expected_hessp = loss.gradient_hessian_product(
        theta, X, Y, l2_reg_strength=0.5
    )
    assert type(value) is float and value == expected
    np.testing.assert_array_equal(hessp(v), expected_hessp(v))


# -- the public boundary (issue 33, defect 9) -----------------------------------------
@pytest.mark.parametrize(
    "sizes, error, message",
    [
        ((0, 2, 1), ValueError, "n_features must be a positive int, got 0."),
        ((3, -1, 1), ValueError, "n_hidden must be a positive int, got -1."),
        ((3, 2, 0), ValueError, "n_outputs must be a positive int, got 0."),
        ((3, 2.5, 1), TypeError, "n_hidden must be a positive int, got 2.5 of type"),
        ((3.0, 2, 1), TypeError, "n_features must be a positive int, got 3.0 of"),
        ((3, True, 1), TypeError, "n_hidden must be a positive int, got True of"),
        ((3, "2", 1), TypeError, "n_hidden must be a positive int, got '2' of type"),
    ],
)
def test_layout_sizes_are_positive_ints(sizes, error, message):
    """Sizes of 0, negative or fractional gave layouts of no or fractional size."""
    with pytest.raises(error, match="^" + re.escape(message)):
        ParameterLayout(*sizes)


def test_layout_sizes_of_numpy_ints_are_python_ints():
    layout = ParameterLayout(np.int8(3), np.uint16(2), np.int64(1))
    assert layout == ParameterLayout(3, 2, 1)
    assert all(type(size) is int for size in (layout.n_features, layout.n_hidden))
    assert layout.shapes == ((2, 3), (2,), (1, 2), (1,))


def test_pack_refuses_a_transposed_W1_and_every_other_shape():
    """pack concatenated the raveled arrays and checked only their total size: a
    W1 of shape (n_features, n_hidden), MLPClassifier's coefs_[0], packed into
    another network without a word."""
    layout = ParameterLayout(n_features=3, n_hidden=2, n_outputs=1)
    W1, b1, W2, b2 = np.ones((2, 3)), np.zeros(2), np.ones((1, 2)), np.zeros(1)
    prefix = f"Shapes of W1, b1, W2, b2 do not match {layout}: "
    cases = [
        (
            (W1.T, b1, W2, b2),
            "W1 has shape (3, 2), expected (2, 3), its transpose "
            "(MLPClassifier's coefs_[0] is W1.T).",
        ),
        (
            (W1, b1, W2.T, b2),
            "W2 has shape (2, 1), expected (1, 2), its transpose "
            "(MLPClassifier's coefs_[1] is W2.T).",
        ),
        ((W1.ravel(), b1, W2, b2), "W1 has shape (6,), expected (2, 3)."),
        ((W1, b1[:, None], W2, b2), "b1 has shape (2, 1), expected (2,)."),
        ((W1, b1, W2, 0.0), "b2 has shape (), expected (1,)."),
        ((W1, b1, W2, np.zeros(2)), "b2 has shape (2,), expected (1,)."),
    ]
    for arrays, message in cases:
        with pytest.raises(ValueError, match="^" + re.escape(prefix + message) + "$"):
            layout.pack(*arrays)
    np.testing.assert_array_equal(
        layout.pack(W1, b1, W2, b2), [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0]
    )
    assert layout.pack(W1.tolist(), [0, 0], [[1, 1]], [0]).shape == (11,)  # lists
    with pytest.raises(ValueError, match=r"theta must have shape \(11,\) .* got list"):
        layout.unpack(list(range(11)))


def _loss_problem(output="sigmoid", n=6):
    rng = np.random.default_rng(25)
    n_outputs = 1 if output == "sigmoid" else 3
    loss = TwoLayerLoss(ParameterLayout(3, 4, n_outputs), output)
    X = rng.normal(size=(n, 3))
    Y = np.eye(3)[rng.integers(0, 3, n)] if n_outputs == 3 else (X[:, :1] > 0) * 1.0
    return loss, rng.normal(size=loss.layout.size), X, Y


OBJECTIVE_METHODS = {
    "loss": lambda loss, t, X, Y, s: loss.loss(t, X, Y, s),
    "loss_gradient": lambda loss, t, X, Y, s: loss.loss_gradient(t, X, Y, s),
    "gradient_hessian_product": lambda loss, t, X, Y, s: loss.gradient_hessian_product(
        t, X, Y, s
    ),
    "data_loss": lambda loss, t, X, Y, s: loss.data_loss(t, X, Y, s),
    "data_loss_gradient": lambda loss, t, X, Y, s: loss.data_loss_gradient(t, X, Y, s),
    "data_hessian_product": lambda loss, t, X, Y, s: loss.data_hessian_product(
        t, t, X, Y, s
    ),
    "data_gradient_hessian_product": lambda loss, t, X, Y, s: (
        loss.data_gradient_hessian_product(t, X, Y, s)
    ),
}


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("method", list(OBJECTIVE_METHODS))
def test_objective_methods_name_bad_targets_and_weights(method, output):
    """A 1-D Y or weights of the wrong length gave NumPy broadcast errors, and Y=2
    (a scalar) was broadcast to every entry."""
    loss, theta, X, Y = _loss_problem(output)
    call = OBJECTIVE_METHODS[method]
    k = loss.layout.n_outputs
    bad_targets = [Y.ravel() if k == 1 else Y[:, 0], 2, Y[:-1], np.hstack([Y, Y])]
    for bad in bad_targets:
        message = re.escape(
            f"Y must be the 0/1 target matrix of shape (6, {k}), a row per row of "
            "X and a column per output unit (one column for a binary target), got "
            f"shape {np.shape(bad)}."
        )
        with pytest.raises(ValueError, match="^" + message + "$"):
            call(loss, theta, X, bad, None)
    for bad in (np.ones(5), np.ones((6, 1)), 1.0):
        message = re.escape(
            "sample_weight must have shape (6,), a weight per row of X, got shape "
            f"{np.shape(bad)}."
        )
        with pytest.raises(ValueError, match="^" + message + "$"):
            call(loss, theta, X, Y, bad)
    for bad, given in ((X[:, :2], "shape (6, 2)"), (X[0], "shape (3,)"), (2, "int")):
        message = re.escape(
            f"X must be a 2-D array of shape (n_samples, 3) for {loss.layout}, got "
            f"{given}."
        )
        with pytest.raises(ValueError, match="^" + message + "$"):
            call(loss, theta, bad, Y, None)
    call(loss, theta, X, Y, np.ones(6))  # the right shapes compute


@pytest.mark.parametrize(
    "method", ["loss", "loss_gradient", "gradient_hessian_product"]
)
def test_the_objective_of_no_rows_or_no_weight_is_named(method):
    """With no rows the objective divided by 0: ZeroDivisionError."""
    loss, theta, X, Y = _loss_problem()
    message = (
        r"^The objective is divided by the sum of the sample weights, which is 0 "
        r"\(no rows, or weights summing to 0\)"
    )
    call = OBJECTIVE_METHODS[method]
    with pytest.raises(ValueError, match=message):
        call(loss, theta, X[:0], Y[:0], None)
    with pytest.raises(ValueError, match=message):
        call(loss, theta, X, Y, np.zeros(6))
    with pytest.raises(ValueError, match=message):
        loss.add_penalty_and_normalize(theta, 0.0, np.zeros_like(theta), 0.0, 1.0)
    with pytest.raises(ValueError, match=message):
        loss.add_penalty_and_normalize_product(theta, np.zeros_like(theta), 0.0, 1.0)
    # The unnormalised sums of no rows are 0 (an empty Dask block's).
    assert loss.data_loss(theta, X[:0], Y[:0]) == 0.0


def test_forward_methods_name_a_wrong_x():
    loss, theta, X, _ = _loss_problem("softmax")
    message = re.escape(
        f"X must be a 2-D array of shape (n_samples, 3) for {loss.layout}, got "
        "shape (6, 2)."
    )
    for method in (loss.hidden, loss.logits, loss.input_gradient):
        with pytest.raises(ValueError, match="^" + message + "$"):
            method(theta, X[:, :2])
    for method in (loss.output_proba, loss.log_output_proba):
        with pytest.raises(ValueError, match=r"^A2 must be the logits, of shape"):
            method(np.zeros(6))
        assert method(loss.logits(theta, X)).shape == (6, 3)
    with pytest.raises(TypeError, match="layout must be a ParameterLayout"):
        TwoLayerLoss((3, 4, 1))


# -- the public gradient check ---------------------------------------------------
def _problem(target, n=40, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if target == "binary":
        y = rng.integers(0, 2, size=n)
    elif target == "multiclass":
        y = rng.integers(0, 4, size=n)
    else:
        y = rng.integers(0, 2, size=(n, 3))
    return X, y


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("container", [np.asarray, sparse.csr_matrix, sparse.csc_array])
def test_check_gradient_below_1e_6(target, weighted, container):
    X, y = _problem(target)
    X[X < 0.3] = 0.0  # a genuinely sparse input
    sample_weight = (
        np.random.default_rng(5).uniform(0, 3, size=len(y)) if weighted else None
    )
    clf = TwoLayerSigmoidClassifier(n_hidden=4, alpha=1e-2)
    error = check_gradient(clf, container(X), y, sample_weight, random_state=0)
    assert error < 1e-6


def test_check_gradient_on_a_fitted_estimator_uses_its_weights():
    X, y = _problem("binary")
    clf = TwoLayerSigmoidClassifier(n_hidden=3, max_iter=3, random_state=0)
    with pytest.warns(Warning):
        clf.fit(X, y)
    assert check_gradient(clf, X, y) < 1e-6
    with pytest.raises(ValueError, match="does not match"):
        check_gradient(clf, X[:, :4], y)


def test_check_gradient_detects_a_wrong_gradient(monkeypatch):
    X, y = _problem("binary")
    original = TwoLayerLoss.data_loss_gradient

    def off_by_a_factor(self, *args, **kwargs):
        value, gradient = original(self, *args, **kwargs)
        return value, 1.01 * gradient

    monkeypatch.setattr(TwoLayerLoss, "data_loss_gradient", off_by_a_factor)
    clf = TwoLayerSigmoidClassifier(n_hidden=3)
    assert check_gradient(clf, X, y, random_state=0) > 1e-3


@pytest.mark.parametrize(
    "epsilon", [0, 0.0, -1e-6, "1e-6", None, True, np.inf, np.nan, [1e-6]], ids=repr
)
def test_check_gradient_names_a_bad_epsilon(epsilon):
    """Issue 33, defect 8: epsilon=0 raised ZeroDivisionError, epsilon="1e-6" a
    NumPy UFuncTypeError from the differences."""
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = _problem("binary")
    message = (
        "^The 'epsilon' parameter of check_gradient must be a float in the range "
        r"\(0, inf\), the step of the differences\. Got .* instead\.$"
    )
    with pytest.raises(InvalidParameterError, match=message):
        check_gradient(TwoLayerSigmoidClassifier(n_hidden=3), X, y, epsilon=epsilon)


def test_check_gradient_takes_a_numpy_float_or_an_int_epsilon():
    X, y = _problem("binary")
    clf = TwoLayerSigmoidClassifier(n_hidden=3)
    step = np.float32(1e-4)  # as a Python float: the step of 1e-4 in float32
    error = check_gradient(clf, X, y, epsilon=step, random_state=0)
    assert error == check_gradient(clf, X, y, epsilon=float(step), random_state=0)
    assert error < 1e-6
    assert check_gradient(clf, X, y, epsilon=1, random_state=0) < 1  # valid, coarse


# -- the block kernels' conventions ---------------------------------------------------
@pytest.mark.parametrize("output, n_outputs", [("sigmoid", 1), ("softmax", 3)])
def test_block_kernels_default_to_numpy_and_write_into_the_scratch_vector(
    output, n_outputs
):
    """``xp=None`` is NumPy; with a scratch, the gradient and the Hessian product
    are written into its parameter-sized vector (no vector per block)."""
    from sklearn_twolayer import _execution, network

    rng = np.random.default_rng(21)
    layout = ParameterLayout(4, 6, n_outputs)
    X = rng.normal(size=(9, 4))
    Y = np.eye(max(n_outputs, 2))[rng.integers(0, n_outputs, 9), :n_outputs]
    s = rng.uniform(0.5, 2.0, size=9)
    weights = layout.unpack(rng.normal(size=layout.size))
    direction = layout.unpack(rng.normal(size=layout.size))
    value, gradient = network.loss_gradient_block(layout, output, weights, X, Y, s)
    product = network.hessian_product_block(layout, output, weights, direction, X, Y, s)
    proba_slopes = np.empty((9, n_outputs, 4))
    network.input_gradient_block(layout, output, weights, X, True, out=proba_slopes)
    value_np, gradient_np = network.loss_gradient_block(
        layout, output, weights, X, Y, s, np
    )
    assert value == value_np
    np.testing.assert_array_equal(gradient, gradient_np)
    np.testing.assert_array_equal(
        product,
        network.hessian_product_block(layout, output, weights, direction, X, Y, s, np),
    )
    slopes_np = np.empty_like(proba_slopes)
    network.input_gradient_block(layout, output, weights, X, True, np, slopes_np)
    np.testing.assert_array_equal(proba_slopes, slopes_np)
    scratch = _execution.BlockScratch(9, layout, np.dtype(np.float64), 4)
    _, into_scratch = network.loss_gradient_block(
        layout, output, weights, X, Y, s, np, scratch
    )
    assert into_scratch is scratch.vector
    np.testing.assert_allclose(into_scratch, gradient, rtol=1e-13)
    into_scratch = network.hessian_product_block(
        layout, output, weights, direction, X, Y, s, np, scratch
    )
    assert into_scratch is scratch.vector
    np.testing.assert_allclose(into_scratch, product, rtol=1e-13)


def test_input_gradient_defaults_to_the_logits():
    rng = np.random.default_rng(22)
    loss = TwoLayerLoss(ParameterLayout(3, 4, 2))
    theta, X = rng.normal(size=loss.layout.size), rng.normal(size=(5, 3))
    np.testing.assert_array_equal(
        loss.input_gradient(theta, X), loss.input_gradient(theta, X, "logit")
    )


def test_float32_block_sums_are_float32_and_no_rows_sum_to_zero():
    """A float32 scratch vector receives float32 products (in float64 they would be
    computed in float64: slower, and not the float32 evaluation); no rows give a
    zero loss and a zero gradient of theta's shape and dtype (an empty Dask chunk)."""
    from sklearn_twolayer import _execution, network

    rng = np.random.default_rng(23)
    layout = ParameterLayout(3, 5, 1)
    X = rng.normal(size=(6, 3)).astype(np.float32)
    Y = rng.integers(0, 2, size=(6, 1)).astype(np.float32)
    theta = rng.normal(size=layout.size).astype(np.float32)
    scratch = _execution.BlockScratch(6, layout, np.dtype(np.float32), 3)
    weights = layout.unpack(theta)
    _, gradient = network.loss_gradient_block(
        layout, "sigmoid", weights, X, Y, None, np, scratch
    )
    assert gradient.dtype == np.float32
    loss = TwoLayerLoss(layout)
    value, gradient = loss.data_loss_gradient(theta, X[:0], Y[:0])
    assert value == 0.0
    assert gradient.dtype == np.float32 and gradient.shape == theta.shape
    assert not gradient.any()
