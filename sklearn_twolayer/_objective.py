"""The training objective: the L2 term and the normalisation, once, for every backend.

The rows' sums (unnormalised and without the L2 term, so that sums over blocks of
rows add up) become the objective the solvers minimise::

    J(theta) = [Σ_i s_i · loss_i + ½ · alpha · (‖W1‖² + ‖W2‖²)] / Σ_i s_i

whose gradient adds ``alpha · (W1, 0, W2, 0)`` and whose Hessian adds ``alpha`` on
the weights, before the same division. :class:`Objective` composes them, for ``fit``
over a backend's rows and for :class:`~sklearn_twolayer.network.TwoLayerLoss` over
arrays (:class:`ArrayRows`). Of the package, only :mod:`sklearn_twolayer._execution`
is imported (BLAS on one thread for the L2 term); layout and rows are passed in.
"""

import numpy as np

from ._execution import blas_single_threaded, point_store

__all__ = [
    "ArrayRows",
    "HessianVectorProduct",
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
    """``∇²J v`` from the data product ``Σ_i s_i H_i v`` (the L2 term's Hessian is
    ``alpha`` on the weights, 0 on the biases), updated in place and returned."""
    alpha = float(alpha)
    V1, _, V2, _ = layout.unpack(np.asarray(v, dtype=data_product.dtype))
    H_W1, _, H_W2, _ = layout.unpack(data_product)
    H_W1 += alpha * V1
    H_W2 += alpha * V2
    data_product /= weight_sum
    return data_product


class Objective:
    """``J``, its gradient and Hessian products over one set of rows, in their dtype:
    the one composition of the objective, ``fit``'s over a backend's training rows and
    :class:`~sklearn_twolayer.network.TwoLayerLoss`'s over :class:`ArrayRows`. ``rows``
    has ``loss`` (its ``layout``), ``weight_sum`` and the ``data_*`` sums
    (:mod:`sklearn_twolayer._backends`); ``alpha`` is the L2 strength on W1 and W2."""

    def __init__(self, rows, alpha):
        self.rows, self.alpha = rows, float(alpha)
        self.layout = rows.loss.layout

    def loss(self, theta):
        """``J(theta)``, a Python float."""
        data_loss = self.rows.data_loss(theta)
        return (data_loss + penalty(self.layout, theta, self.alpha)) / (
            self.rows.weight_sum
        )

    def loss_gradient(self, theta):
        """``(J(theta), ∇J(theta))``: L-BFGS-B's objective."""
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


def check_weight_sum(weight_sum):
    """The objective divides by Σ s_i: refuse 0 (no rows, or weights all 0)."""
    if not weight_sum > 0:
        raise ValueError(
            "The objective is divided by the sum of the sample weights, which is "
            f"{weight_sum:g} (no rows, or weights summing to 0): it has no value "
            "there. data_loss and data_loss_gradient give the unnormalised sums "
            "(0 for no rows)."
        )


class ArrayRows:
    """Rows given as arrays, summed by a loss's ``data_*`` methods in theta's dtype:
    those of :class:`~sklearn_twolayer.network.TwoLayerLoss`'s ``loss``,
    ``loss_gradient`` and ``gradient_hessian_product``. Refuses weights summing to 0."""

    def __init__(self, loss, X, Y, sample_weight):
        self.loss, self.X, self.Y, self.sample_weight = loss, X, Y, sample_weight
        if sample_weight is None:
            self.weight_sum = float(X.shape[0])
        else:
            self.weight_sum = float(np.sum(sample_weight, dtype=np.float64))
        check_weight_sum(self.weight_sum)

    def data_loss(self, theta):
        return self.loss.data_loss(theta, self.X, self.Y, self.sample_weight)

    def data_loss_gradient(self, theta):
        return self.loss.data_loss_gradient(theta, self.X, self.Y, self.sample_weight)

    def data_hessian_product(self, theta):
        return self.loss.data_gradient_hessian_product(
            theta, self.X, self.Y, self.sample_weight
        )


class HessianVectorProduct:
    """``hessp(v) = Σ_i s_i H_i v`` at one point, over in-memory rows.

    Returned by :meth:`TwoLayerLoss.data_gradient_hessian_product
    <sklearn_twolayer.network.TwoLayerLoss.data_gradient_hessian_product>`; an object,
    not a closure, so that it pickles by reference (without its kept arrays). trust-ncg
    takes many products at one theta: the blocks' forward passes
    (:func:`~sklearn_twolayer.network.hessian_point_block`) are kept between them where
    they fit in ``working_memory`` (:func:`~sklearn_twolayer._execution.point_store`).
    ``shared``, None or a dict set by one fit's rows, gives its successive points one
    set of arrays: the point whose product was taken last holds them, and the next
    computes its forward passes into them rather than into new arrays.
    """

    def __init__(self, loss, theta, X, Y, sample_weight):
        self.loss, self.theta, self.X, self.Y = loss, theta, X, Y
        self.sample_weight = sample_weight
        self.points = point_store(X.shape[0], loss.layout.n_hidden, theta.itemsize)
        self.shared = None

    def __call__(self, v):
        shared = self.shared
        if shared is not None and self.points is not None:
            holder = shared.get("holder")
            if holder is not self:  # its arrays, h1 and h1(1 − h1), for this point
                points = {} if holder is None else holder.points or {}
                self.points = {start: point[:2] for start, point in points.items()}
                shared["holder"] = self
        return self.loss.data_hessian_product(
            self.theta, v, self.X, self.Y, self.sample_weight, points=self.points
        )

    def __getstate__(self):
        state = dict(self.__dict__, shared=None)
        if state["points"] is not None:
            state["points"] = {}
        return state
