"""Independent reference implementations the tests compare the package against.

Each is written from the source document by another route than the package's
kernels (``sklearn_twolayer.network``): one sample at a time with column vectors, all
rows at once without blocks, threads or scratch arrays, or central differences. They
are shared here, in one module, instead of living as copies in the test files.
"""

import tracemalloc

import numpy as np
import pytest
from scipy import sparse
from scipy.special import expit


def sigma(z):
    """σ(z) as the document prints it, 1 / (1 + e^(−z))."""
    return 1.0 / (1.0 + np.exp(-z))


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


def data_loss_gradient(loss, theta, X, Y, s):
    """Eqs. 1.1-1.6 for all rows at once, with no blocks, threads or buffers."""
    W1, b1, W2, b2 = loss.layout.unpack(theta)
    X = X.toarray() if sparse.issparse(X) else X
    H1 = 1.0 / (1.0 + np.exp(-(X @ W1.T + b1)))
    A2 = H1 @ W2.T + b2
    G2 = (loss.output_proba(A2) - Y) * s[:, None]
    G1 = (G2 @ W2) * H1 * (1.0 - H1)
    data_loss = float(loss._per_sample_loss(A2, Y) @ s)
    gradient = loss.layout.pack(G1.T @ X, G1.sum(0), G2.T @ H1, G2.sum(0))
    return data_loss, gradient


def hidden_of_fitted(clf, X):
    """h1 from W1_ and b1_, in float64, by another route than the package's."""
    X = X.toarray() if sparse.issparse(X) else np.asarray(X)
    W1 = np.asarray(clf.W1_, dtype=np.float64)
    return expit(X.astype(np.float64) @ W1.T + np.asarray(clf.b1_, dtype=np.float64))


def finite_difference_product(loss, theta, v, X, Y, weights, alpha, epsilon=1e-5):
    """Central differences of the analytic gradient: (g(θ + εv) − g(θ − εv)) / 2ε."""
    _, grad_plus = loss.loss_gradient(theta + epsilon * v, X, Y, weights, alpha)
    _, grad_minus = loss.loss_gradient(theta - epsilon * v, X, Y, weights, alpha)
    return (grad_plus - grad_minus) / (2 * epsilon)


def traced_peak(function):
    """Peak bytes allocated while ``function`` runs (numpy reports to tracemalloc)."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


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
