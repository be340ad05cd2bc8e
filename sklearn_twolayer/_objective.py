"""The training objective: the L2 term and the normalisation, once, for every backend.

The rows' sums (the network's kernels over a backend's rows) are unnormalised and
without the L2 term, so that sums over blocks of rows add up; this module turns them
into the objective the solvers minimise, in one place::

    J(theta) = [Σ_i s_i · loss_i + ½ · alpha · (‖W1‖² + ‖W2‖²)] / Σ_i s_i

Its gradient adds ``alpha · (W1, 0, W2, 0)`` to the data gradient and its Hessian
adds ``alpha`` on the weights (0 on the biases), before the same division.
:class:`Objective` is the one composition of these, for ``fit`` over a backend's
rows and for :class:`~sklearn_twolayer.network.TwoLayerLoss` over arrays
(:class:`ArrayRows`). Of the package it imports only
:mod:`sklearn_twolayer._execution` (the L2 term's dot products run with BLAS on
one thread): the layout (:class:`~sklearn_twolayer.network.ParameterLayout`) and
the rows (:mod:`sklearn_twolayer._backends`) are passed in.
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

    The one composition of the objective: ``fit`` builds it over a backend's
    training rows, :class:`~sklearn_twolayer.network.TwoLayerLoss`'s ``loss``,
    ``loss_gradient`` and ``gradient_hessian_product`` over :class:`ArrayRows`.
    Everything is computed in the dtype the rows compute in.

    Parameters
    ----------
    rows : backend rows
        The rows (see :mod:`sklearn_twolayer._backends`): ``loss`` (its
        ``layout``), ``weight_sum`` and the ``data_*`` sums.
    alpha : float
        L2 penalty strength on ``W1`` and ``W2``.
    """

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
    """Rows given as arrays, summed by a loss's ``data_*`` methods in theta's dtype.

    The rows of :class:`~sklearn_twolayer.network.TwoLayerLoss`'s objective
    methods (``loss``, ``loss_gradient``, ``gradient_hessian_product``), which take
    ``X``, ``Y`` and the sample weights with each call. Refuses rows whose weights
    sum to 0, which the objective would divide by.
    """

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
    <sklearn_twolayer.network.TwoLayerLoss.data_gradient_hessian_product>`. An
    object, not a closure, so that it pickles by reference to this class.
    trust-ncg's conjugate gradient takes many products at one theta: the blocks'
    forward passes there (:func:`~sklearn_twolayer.network.hessian_point_block`,
    two ``(n_samples, n_hidden)`` arrays) are kept from the first product to the
    next where they fit in scikit-learn's ``working_memory``
    (:func:`~sklearn_twolayer._execution.point_store`), and recomputed
    for each product where not. A pickled product keeps none of them.

    ``shared``, None or a dict set by the rows of one fit, gives the products at
    its successive points one set of arrays: the point whose product was taken
    last holds them, and a point that takes a product after another computes its
    forward passes into them again, instead of into new arrays of its own.
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
