"""Independent reference implementations the tests compare the package against.

Each is written from the source document by another route than the package's
kernels (``sklearn_twolayer.network``): one sample at a time with column vectors, all
rows at once without blocks, threads or scratch arrays, or central differences. They
are shared here, in one module, instead of living as copies in the test files.
"""

import tracemalloc

import numpy as np
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
