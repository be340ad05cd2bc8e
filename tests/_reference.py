"""Independent reference implementations the tests compare the package against.

Each is written from the source document by another route than the package's
kernels (``sklearn_twolayer.network``): one sample at a time with column vectors
(:func:`document_gradients`, eqs. 1.2-1.6 exactly as printed), all rows at once
without blocks, threads or scratch arrays (:func:`forward` and what is built on it),
or central differences. They are shared here, in one module, instead of living as
copies in the test files.
"""

import tracemalloc

import numpy as np
import pytest
from scipy import sparse

# Central differences of the reference objective run in extended precision, so
# that their rounding error stays far below the float64 tolerances they check.
EXTENDED = np.longdouble
EXTENDED_EPS = float(np.finfo(EXTENDED).eps)


def sigma(z):
    """σ(z) as the document prints it, 1 / (1 + e^(−z))."""
    return 1.0 / (1.0 + np.exp(-z))


def sigma_without_overflow(z):
    """σ(z) written ½ + ½·tanh(z/2): the same function, in the dtype of ``z``
    (``np.longdouble`` included), with no e^(−z) to overflow for very negative z."""
    return 0.5 + 0.5 * np.tanh(z / 2)


def document_gradients(W1, b1, W2, b2, x, y):
    """Eqs. 1.2-1.6 for one sample, as column vectors, exactly as printed."""
    h0 = x[:, None]
    h1 = sigma(b1[:, None] + W1 @ h0)
    h2 = sigma(b2[:, None] + W2 @ h1)
    y = y[:, None]
    g = h2 - y  # 1.2
    grad_b2 = g  # 1.3
    grad_W2 = g @ h1.T  # 1.4
    grad_h1 = W2.T @ g  # 1.5
    g = grad_h1 * h1 * (1 - h1)  # 1.6
    grad_b1 = g
    grad_W1 = g @ h0.T
    loss = float(np.sum(-y * np.log(h2) - (1 - y) * np.log(1 - h2)))  # 1.1's L
    return loss, grad_W1, grad_b1.ravel(), grad_W2, grad_b2.ravel()


# -- all rows at once -----------------------------------------------------------------
def forward(W1, b1, W2, b2, X):
    """The forward pass of eq. 1.1 for every row (dense ``X``, one row a sample):
    the hidden layer H1 = σ(X W1ᵀ + b1) and the logits A2 = H1 W2ᵀ + b2, in the
    dtype of the operands."""
    H1 = sigma_without_overflow(X @ W1.T + b1)
    return H1, H1 @ W2.T + b2


def output_proba(A2, output):
    """h2 from the logits: σ(a2) per output (``"sigmoid"``), or softmax(a2)."""
    if output == "sigmoid":
        return sigma_without_overflow(A2)
    exponentials = np.exp(A2 - A2.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def per_sample_loss(A2, Y, output):
    """Each row's cross-entropy from its logits, for 0/1 targets. Sigmoid outputs:
    eq. 1.1 summed over the outputs, log(1 + e^a) − y·a; softmax: log Σ e^a − Σ y·a.

    Both are written so that a small loss is not the difference of two large
    numbers: where a > 0, log(1 + e^a) − y·a is (1 − y)·a + log(1 + e^(−a)); the
    softmax's is log(1 + Σ_(j≠top) e^(a_j − a_top)) + (a_top − Σ y·a). Otherwise a
    confident right answer (a loss of 1e-8 from a logit of 18, say) keeps only
    eps·18 of absolute accuracy, and the central differences of it lose five
    digits.
    """
    zero = A2.dtype.type(0)
    if output == "sigmoid":
        per_entry = np.where(
            A2 > 0,
            (1 - Y) * A2 + np.logaddexp(zero, -A2),
            np.logaddexp(zero, A2) - Y * A2,
        )
        return per_entry.sum(axis=1)
    rows = np.arange(A2.shape[0])
    top_index = A2.argmax(axis=1)
    top = A2[rows, top_index]
    others = np.exp(A2 - top[:, None])
    others[rows, top_index] = zero
    return np.log1p(others.sum(axis=1)) + (top - (Y * A2).sum(axis=1))


def data_loss_gradient(loss, theta, X, Y, s):
    """Eqs. 1.1-1.6 for all rows at once, with no blocks, threads or buffers:
    Σ_i s_i·L_i and its gradient, packed by ``loss.layout``."""
    W1, b1, W2, b2 = loss.layout.unpack(theta)
    X = X.toarray() if sparse.issparse(X) else X
    H1, A2 = forward(W1, b1, W2, b2, X)
    G2 = (output_proba(A2, loss.output) - Y) * s[:, None]  # 1.2, weighted
    G1 = (G2 @ W2) * H1 * (1.0 - H1)  # 1.5 and 1.6
    data_loss = float(per_sample_loss(A2, Y, loss.output) @ s)
    # W1 and b1 (1.6), W2 (1.4) and b2 (1.3), each summed over the rows
    gradient = loss.layout.pack(G1.T @ X, G1.sum(0), G2.T @ H1, G2.sum(0))
    return data_loss, gradient


def objective(layout, output, theta, X, Y, sample_weight, l2):
    """J(θ) straight from the document, in the dtype of ``theta``.

    The rows' cross-entropies (:func:`per_sample_loss` of :func:`forward`'s
    logits), their weighted mean, with the L2 term ½·l2·(‖W1‖² + ‖W2‖²) not
    rescaled by the weights. θ is cut into W1, b1, W2, b2 here, not by the
    package's layout.
    """
    dtype = theta.dtype
    X = X.toarray() if sparse.issparse(X) else np.asarray(X)
    X, Y = X.astype(dtype), Y.astype(dtype)
    d, h, k = layout.n_features, layout.n_hidden, layout.n_outputs
    W1 = theta[: h * d].reshape(h, d)
    b1 = theta[h * d : h * d + h]
    W2 = theta[h * d + h : h * d + h + k * h].reshape(k, h)
    b2 = theta[h * d + h + k * h :]
    _, A2 = forward(W1, b1, W2, b2, X)
    per_sample = per_sample_loss(A2, Y, output)
    s = np.ones(X.shape[0], dtype) if sample_weight is None else sample_weight
    s = s.astype(dtype)
    penalty = 0.5 * dtype.type(l2) * ((W1 * W1).sum() + (W2 * W2).sum())
    return ((per_sample * s).sum() + penalty) / s.sum()


def hidden_of_fitted(clf, X):
    """h1 from W1_ and b1_, in float64, by another route than the package's."""
    X = X.toarray() if sparse.issparse(X) else np.asarray(X)
    W1 = np.asarray(clf.W1_, dtype=np.float64)
    b1 = np.asarray(clf.b1_, dtype=np.float64)
    return sigma_without_overflow(X.astype(np.float64) @ W1.T + b1)


def input_gradient_per_sample(clf, X):
    """∂a2/∂x = W2 diag(h1 ⊙ (1 − h1)) W1, one column vector x at a time."""
    out = []
    for x in X:
        a1 = clf.W1_ @ x + clf.b1_
        # h1(1 − h1) as e^(−a1) / (1 + e^(−a1))², 2.2.2's factor, literally.
        slope = np.exp(-a1) / (1.0 + np.exp(-a1)) ** 2
        out.append(clf.W2_ @ np.diag(slope) @ clf.W1_)
    return np.array(out)


# -- numerical differentiation --------------------------------------------------------
def central_differences(layout, output, theta, X, Y, sample_weight, l2):
    """∂J/∂θ_i ≈ (J(θ + h e_i) − J(θ − h e_i)) / 2h of :func:`objective`, in
    extended precision, returned in float64.

    h = eps^(1/3)·max(1, |θ_i|) balances the truncation (∝ h²) and rounding
    (∝ eps/h) errors of the central difference.
    """
    theta = theta.astype(EXTENDED)
    shifted = theta.copy()
    gradient = np.empty_like(theta)
    for i in range(theta.size):
        step = EXTENDED(EXTENDED_EPS ** (1 / 3)) * max(EXTENDED(1), abs(theta[i]))
        shifted[i] = theta[i] + step
        forward_value = objective(layout, output, shifted, X, Y, sample_weight, l2)
        shifted[i] = theta[i] - step
        backward_value = objective(layout, output, shifted, X, Y, sample_weight, l2)
        shifted[i] = theta[i]
        gradient[i] = (forward_value - backward_value) / (2 * step)
    return gradient.astype(np.float64)


def input_central_differences(function, X, step=1e-3):
    """∂function/∂x by fourth-order central differences, (n, n_outputs, n_features).

    (−f(x + 2h) + 8 f(x + h) − 8 f(x − h) + f(x − 2h)) / 12h has truncation error
    O(h⁴) (about 1e-13 here) and rounding error about 1e-16 / h = 1e-13: both far
    below the 1e-7 the input-gradient tests ask, so a failure is the analytic
    gradient's.
    """
    columns = []
    for j in range(X.shape[1]):
        shifted = [X.copy() for _ in range(4)]
        for copy, multiple in zip(shifted, (2, 1, -1, -2), strict=True):
            copy[:, j] += multiple * step
        f2, f1, m1, m2 = (function(copy) for copy in shifted)
        columns.append((-f2 + 8 * f1 - 8 * m1 + m2) / (12 * step))
    return np.stack(columns, axis=-1)


def relative_error(actual, expected):
    """‖actual − expected‖ / max(‖actual‖, ‖expected‖), in float64 (0 when both
    are zero)."""
    actual = np.asarray(actual, dtype=np.float64)
    scale = max(np.linalg.norm(actual), np.linalg.norm(expected), np.finfo(float).tiny)
    return float(np.linalg.norm(actual - expected) / scale)


def finite_difference_product(loss, theta, v, X, Y, weights, alpha, epsilon=1e-5):
    """Central differences of the analytic gradient: (g(θ + εv) − g(θ − εv)) / 2ε."""
    _, grad_plus = loss.loss_gradient(theta + epsilon * v, X, Y, weights, alpha)
    _, grad_minus = loss.loss_gradient(theta - epsilon * v, X, Y, weights, alpha)
    return (grad_plus - grad_minus) / (2 * epsilon)


# -- memory ----------------------------------------------------------------------------
def traced_peak(function):
    """Peak bytes allocated while ``function`` runs (numpy reports to tracemalloc)."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# -- fitted models ---------------------------------------------------------------------
def float64_objective(clf, X, y):
    """The objective of a fitted binary or multiclass network and its gradient's
    max-norm, recomputed in float64 on all rows at once (no sample weights).

    Two fits reach the same model when both stop at a stationary point of this
    objective with the same value, whatever dtype or namespace each ran in: the
    question a float32 fit is asked, rather than where two float32 optimisation
    paths, parted by the CPU's roundings, happen to be after their iterations.
    """
    from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss

    X = np.asarray(X, dtype=np.float64)
    classes = np.unique(y)
    if classes.size == 2:
        Y = (y == classes[1]).astype(np.float64)[:, None]
    else:
        Y = (y[:, None] == classes).astype(np.float64)
    output = "sigmoid" if classes.size == 2 else "softmax"
    loss = TwoLayerLoss(ParameterLayout(X.shape[1], clf.n_hidden, Y.shape[1]), output)
    weights = [
        np.asarray(on_host(getattr(clf, name)), dtype=np.float64)
        for name in ("W1_", "b1_", "W2_", "b2_")
    ]
    theta = loss.layout.pack(*weights)
    data_loss, gradient = data_loss_gradient(loss, theta, X, Y, np.ones(X.shape[0]))
    W1, W2 = weights[0], weights[2]
    objective = (
        data_loss + 0.5 * clf.alpha * (np.sum(W1 * W1) + np.sum(W2 * W2))
    ) / X.shape[0]
    penalty_gradient = loss.layout.pack(
        W1, np.zeros_like(weights[1]), W2, np.zeros_like(weights[3])
    )
    gradient = (gradient + clf.alpha * penalty_gradient) / X.shape[0]
    return float(objective), float(np.abs(gradient).max())


def on_host(array):
    """A result or fitted attribute (NumPy, Dask, torch, array-api-strict) as a
    host NumPy array."""
    if hasattr(array, "compute"):
        return array.compute()
    if isinstance(array, np.ndarray):
        return array
    from sklearn import config_context
    from sklearn.utils._array_api import move_to

    with config_context(array_api_dispatch=True):
        return move_to(array, xp=np, device="cpu")


def assert_same_model(fit32, fit64, X, y, labels32):
    """A float32 fit reached the float64 fit's model: both stop at a stationary
    point of the float64 objective (gradient max-norm within the solver's tol,
    twice it for float32's own rounding of the gradient it stopped on), with the
    same objective to float32 accuracy summed over the rows (1e-4, about 1,000
    epsilons), and the same labels wherever the float64 logits are not within 0.05
    of a tie. Not where two float32 L-BFGS paths happen to be after their
    iterations: those part by CPU-dependent roundings (NumPy's float32 ``exp``
    loop follows the CPU's SIMD level) and land a few 1e-3 apart in probability.
    """
    objective64, gradient64 = float64_objective(fit64, X, y)
    objective32, gradient32 = float64_objective(fit32, X, y)
    assert gradient64 <= fit64.tol
    assert gradient32 <= 2 * fit32.tol
    assert objective32 == pytest.approx(objective64, rel=1e-4)
    logits = fit64.decision_function(X)
    margin = np.abs(logits) if logits.ndim == 1 else top_two_gap(logits)
    clear = margin > 0.05
    np.testing.assert_array_equal(labels32[clear], fit64.predict(X)[clear])


def top_two_gap(logits):
    """Per row, the largest logit minus the second largest."""
    top_two = np.sort(logits, axis=1)[:, -2:]
    return top_two[:, 1] - top_two[:, 0]
