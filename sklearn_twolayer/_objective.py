"""The training objective: the L2 term and the normalisation, once, for every backend.

The rows' sums (the network's kernels over a backend's rows) are unnormalised and
without the L2 term, so that sums over blocks of rows add up; this module turns them
into the objective the solvers minimise, in one place::

    J(theta) = [Σ_i s_i · loss_i + ½ · alpha · (‖W1‖² + ‖W2‖²)] / Σ_i s_i

Its gradient adds ``alpha · (W1, 0, W2, 0)`` to the data gradient and its Hessian
adds ``alpha`` on the weights (0 on the biases), before the same division. Of the
package it imports only :mod:`sklearn_twolayer._execution` (the L2 term's dot
products run with BLAS on one thread): the layout
(:class:`~sklearn_twolayer.network.ParameterLayout`) and the rows
(:mod:`sklearn_twolayer._backends`) are passed in.
"""

import numpy as np

from ._execution import blas_single_threaded

__all__ = [
    "Objective",
    "add_penalty_and_normalize",
    "add_penalty_and_normalize_product",
    "penalty",
]


def penalty(layout, theta, alpha):
    """The L2 term ``½ · alpha · (‖W1‖² + ‖W2‖²)``, a Python float (biases free)."""
    W1, _, W2, _ = layout.unpack(theta)
    with blas_single_threaded():  # a multi-threaded dot splits its sum
        squared_norm = np.dot(W1.ravel(), W1.ravel())
        squared_norm += np.dot(W2.ravel(), W2.ravel())
    # float(alpha): a NumPy float32 or float16 alpha would make the term, and the
    # objective it is added to, a scalar of its own precision.
    return 0.5 * float(alpha) * float(squared_norm)


def add_penalty_and_normalize(
    layout, theta, data_loss, data_gradient, weight_sum, alpha
):
    """``J`` and its gradient from the data sums: add the L2 term, divide by Σ s_i.

    ``data_gradient`` is updated in place and returned.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_twolayer.network import ParameterLayout
    >>> from sklearn_twolayer._objective import add_penalty_and_normalize
    >>> layout = ParameterLayout(n_features=1, n_hidden=1, n_outputs=1)
    >>> theta = np.array([3.0, 1.0, 4.0, 1.0])  # W1, b1, W2, b2
    >>> add_penalty_and_normalize(layout, theta, 2.0, np.zeros(4), 2.0, alpha=0.5)
    (4.125, array([0.75, 0.  , 1.  , 0.  ]))
    """
    alpha = float(alpha)  # the objective in float64, as penalty() computes it
    W1, _, W2, _ = layout.unpack(theta)
    grad_W1, _, grad_W2, _ = layout.unpack(data_gradient)
    grad_W1 += alpha * W1
    grad_W2 += alpha * W2
    data_gradient /= weight_sum
    return (data_loss + penalty(layout, theta, alpha)) / weight_sum, data_gradient


def add_penalty_and_normalize_product(layout, v, data_product, weight_sum, alpha):
    """``∇²J v`` from the data product ``Σ_i s_i H_i v``.

    The L2 term's Hessian is ``alpha`` on the weights and 0 on the biases.
    ``data_product`` is updated in place and returned.
    """
    alpha = float(alpha)
    V1, _, V2, _ = layout.unpack(np.asarray(v, dtype=data_product.dtype))
    H_W1, _, H_W2, _ = layout.unpack(data_product)
    H_W1 += alpha * V1
    H_W2 += alpha * V2
    data_product /= weight_sum
    return data_product


class Objective:
    """``J``, its gradient and its Hessian products over one set of rows.

    Parameters
    ----------
    rows : backend rows
        The training rows (see :mod:`sklearn_twolayer._backends`).
    alpha : float
        L2 penalty strength on ``W1`` and ``W2``.
    """

    def __init__(self, rows, alpha):
        self.rows, self.alpha = rows, float(alpha)
        self.layout = rows.loss.layout

    def loss_gradient(self, theta):
        """``(J(theta), ∇J(theta))`` for L-BFGS-B; ``theta`` is float64."""
        data_loss, gradient = self.rows.data_loss_gradient(theta)
        return add_penalty_and_normalize(
            self.layout, theta, data_loss, gradient, self.rows.weight_sum, self.alpha
        )

    def loss_gradient_hessp(self, theta):
        """``(J, ∇J, hessp)`` with ``hessp(v)`` the exact product ``∇²J v``."""
        data_loss, gradient, data_hessp = self.rows.data_hessian_product(theta)
        loss, gradient = add_penalty_and_normalize(
            self.layout, theta, data_loss, gradient, self.rows.weight_sum, self.alpha
        )

        def hessp(v):
            return add_penalty_and_normalize_product(
                self.layout, v, data_hessp(v), self.rows.weight_sum, self.alpha
            )

        return loss, gradient, hessp

    def data_term(self, theta):
        """``Σ s_i loss_i / Σ s_i``, no L2 term: early stopping's held-out loss."""
        return self.rows.data_loss(theta) / self.rows.weight_sum
