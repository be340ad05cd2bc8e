"""The training objective over any backend's rows, for the solvers.

Backends return the rows' unnormalised sums (see :mod:`sklearn_twolayer._backends`);
this module adds the L2 term and divides by Σ s_i, once and the same way for every
backend, in float64 on the host::

    J(theta) = [Σ_i s_i · loss_i + ½ · alpha · (‖W1‖² + ‖W2‖²)] / Σ_i s_i
"""

__all__ = ["Objective"]


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
        self.rows, self.alpha = rows, alpha
        self.loss = rows.loss

    def loss_gradient(self, theta):
        """``(J(theta), ∇J(theta))`` for L-BFGS-B; ``theta`` is float64."""
        data_loss, gradient = self.rows.data_loss_gradient(theta)
        return self.loss.add_penalty_and_normalize(
            theta, data_loss, gradient, self.rows.weight_sum, self.alpha
        )

    def loss_gradient_hessp(self, theta):
        """``(J, ∇J, hessp)`` with ``hessp(v)`` the exact product ``∇²J v``."""
        data_loss, gradient, data_hessp = self.rows.data_hessian_product(theta)
        loss, gradient = self.loss.add_penalty_and_normalize(
            theta, data_loss, gradient, self.rows.weight_sum, self.alpha
        )

        def hessp(v):
            return self.loss.add_penalty_and_normalize_product(
                v, data_hessp(v), self.rows.weight_sum, self.alpha
            )

        return loss, gradient, hessp

    def data_term(self, theta):
        """``Σ s_i loss_i / Σ s_i``, no L2 term: early stopping's held-out loss."""
        return self.rows.data_loss(theta) / self.rows.weight_sum
