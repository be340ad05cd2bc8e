"""Public gradient helpers: the single-unit result of section 2.2.2, a gradient check.

Both are built on :mod:`sklearn_twolayer.network`; nothing here re-derives the network.
"""

from numbers import Real

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from .network import sigmoid

__all__ = ["check_gradient", "sigmoid_unit_gradient"]


def sigmoid_unit_gradient(w, x):
    """Gradients of one sigmoid unit f = σ(wᵀx), the document's section 2.2.2.

    ``df/dx = s w`` and ``df/dw = s x`` with ``s = e^(−wᵀx) / (1 + e^(−wᵀx))²``,
    evaluated as ``σ(wᵀx) · σ(−wᵀx)``: no exponential can overflow.

    Parameters
    ----------
    w : array-like of shape (n,)
        Weights of the unit.
    x : array-like of shape (n,)
        Input of the unit.

    Returns
    -------
    df_dx : ndarray of shape (n,)
    df_dw : ndarray of shape (n,)

    Examples
    --------
    The document's worked example, ``wᵀx = 1``:

    >>> from sklearn_twolayer import sigmoid_unit_gradient
    >>> df_dx, df_dw = sigmoid_unit_gradient([2, -3, -3], [-1, -2, 1])
    >>> df_dx.round(4)
    array([ 0.3932, -0.5898, -0.5898])
    >>> df_dw.round(4)
    array([-0.1966, -0.3932,  0.1966])
    """
    w = np.asarray(w, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if w.ndim != 1 or w.shape != x.shape:
        raise ValueError(
            f"w and x must be 1-d arrays of the same length, got shapes {w.shape} "
            f"and {x.shape}."
        )
    z = np.dot(w, x)
    slope = sigmoid(z) * sigmoid(-z)  # = e^(−z) / (1 + e^(−z))², σ'(z)
    return slope * w, slope * x


def check_gradient(
    estimator, X, y, sample_weight=None, *, epsilon=1e-6, random_state=None
):
    """Compare the analytic gradient of the training objective with finite differences.

    The relative error, in float64, between the analytic gradient of the objective that
    ``estimator.fit(X, y, sample_weight)`` minimises and central differences, at the
    fitted parameters (unfitted: the Glorot start drawn from ``random_state``)::

        ‖g_analytic − g_numeric‖ / max(‖g_analytic‖, ‖g_numeric‖, tiny)

    Check away from an optimum: there the gradient is about ``tol`` and the ratio
    mostly measures finite-difference noise.

    Parameters
    ----------
    estimator : TwoLayerSigmoidClassifier
        Fitted or not; it is not modified.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_labels)
    sample_weight : array-like of shape (n_samples,), default=None
    epsilon : float, default=1e-6
        Step of the central differences, a finite positive number.
    random_state : int, RandomState instance or None, default=None
        Seeds the start vector when ``estimator`` is not fitted.

    Returns
    -------
    relative_error : float
        Below about 1e-7 when the gradient is right.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_twolayer import TwoLayerSigmoidClassifier, check_gradient
    >>> X, y = make_classification(n_samples=30, n_features=4, random_state=0)
    >>> clf = TwoLayerSigmoidClassifier(n_hidden=3)
    >>> check_gradient(clf, X, y, random_state=0) < 1e-6
    True
    """
    from ._classifier import _glorot_start

    if (
        isinstance(epsilon, bool)
        or not isinstance(epsilon, Real)
        or not 0 < epsilon < np.inf  # NaN included
    ):
        raise InvalidParameterError(
            "The 'epsilon' parameter of check_gradient must be a float in the "
            f"range (0, inf), the step of the differences. Got {epsilon!r} instead."
        )
    # Python floats: a NumPy float32 or float16 step (or alpha) would round the
    # differences, or the objective, to its own precision.
    epsilon, alpha = float(epsilon), float(estimator.alpha)
    problem = clone(estimator)
    X, Y, weights, loss = problem._training_problem(
        X.astype(np.float64) if hasattr(X, "astype") else np.asarray(X, np.float64),
        y,
        sample_weight,
    )
    weights = None if weights is None else weights.astype(np.float64)
    layout = loss.layout
    try:
        check_is_fitted(estimator)
        theta = layout.pack(
            estimator.W1_, estimator.b1_, estimator.W2_, estimator.b2_, np.float64
        )
    except Exception as exc:
        if hasattr(estimator, "W1_"):
            raise ValueError(
                "The fitted estimator does not match X and y: " + str(exc)
            ) from exc
        theta = _glorot_start(layout, check_random_state(random_state))

    def objective(t):
        return loss.loss(t, X, Y, weights, alpha)

    _, analytic = loss.loss_gradient(theta, X, Y, weights, alpha)
    numeric = np.empty_like(theta)
    shifted = theta.copy()
    for i in range(theta.size):
        shifted[i] = theta[i] + epsilon
        forward = objective(shifted)
        shifted[i] = theta[i] - epsilon
        numeric[i] = (forward - objective(shifted)) / (2 * epsilon)
        shifted[i] = theta[i]
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric), np.finfo(float).tiny)
    return float(np.linalg.norm(analytic - numeric) / scale)
