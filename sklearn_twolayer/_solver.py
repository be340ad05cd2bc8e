"""Solver glue: run ``scipy.optimize.minimize`` on a loss object's flat objective.

The second of the package's three layers. It knows nothing about labels or
estimators: it takes a function returning ``(objective, gradient)`` and a start
vector, and returns the minimiser with the per-iteration record and the warnings a
user needs, in the manner of ``sklearn.utils.optimize._check_optimize_result``.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning


@dataclass
class SolverResult:
    """What a solver run produced.

    Attributes
    ----------
    theta : ndarray
        The final parameter vector (float64, as L-BFGS-B works in float64).
    loss : float
        The objective at ``theta``.
    n_iter : int
        Number of L-BFGS iterations done.
    n_fun : int
        Number of objective-and-gradient evaluations.
    loss_curve : list of float
        The objective after each iteration.
    converged : bool
        Whether the solver met its tolerance.
    """

    theta: np.ndarray
    loss: float
    n_iter: int
    n_fun: int
    loss_curve: list = field(default_factory=list)
    converged: bool = True


class _RecordingObjective:
    """Wraps fun(theta) -> (f, g) so the callback can report the accepted gradient.

    L-BFGS-B calls the callback right after the line search whose last evaluation is
    the accepted iterate, so the last (f, g) evaluated is the one to report.
    """

    def __init__(self, fun):
        self.fun = fun
        self.last_gradient_norm = np.nan

    def __call__(self, theta):
        value, gradient = self.fun(theta)
        self.last_gradient_norm = float(np.max(np.abs(gradient)))
        return value, np.asarray(gradient, dtype=np.float64)


def minimize_lbfgs(fun, theta0, *, max_iter, max_fun, tol, verbose=0):
    """Minimise ``fun`` with L-BFGS-B from ``theta0``.

    Parameters
    ----------
    fun : callable
        ``fun(theta) -> (objective, gradient)`` with ``theta`` a float64 vector.
    theta0 : ndarray
        Start vector.
    max_iter, max_fun : int
        Iteration and evaluation budgets (``maxiter`` / ``maxfun``).
    tol : float
        Projected-gradient tolerance (``gtol``), as in ``MLPClassifier``.
    verbose : int
        If positive, print the objective and the gradient's max-norm per iteration.

    Returns
    -------
    SolverResult
        A :class:`ConvergenceWarning` is issued when a budget stops the run, and when
        the line search fails.
    """
    objective = _RecordingObjective(fun)
    loss_curve = []

    def callback(intermediate_result):
        loss_curve.append(float(intermediate_result.fun))
        if verbose > 0:
            print(
                f"Iteration {len(loss_curve)}: objective = {loss_curve[-1]:.8g}, "
                f"|gradient|_max = {objective.last_gradient_norm:.3e}"
            )

    result = scipy.optimize.minimize(
        objective,
        np.asarray(theta0, dtype=np.float64),
        method="L-BFGS-B",
        jac=True,
        callback=callback,
        options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
    )
    n_iter = min(int(result.nit), max_iter)
    if result.status != 0:
        if result.status == 1 and result.nfev >= max_fun:
            reason = f"the number of evaluations reached max_fun={max_fun}"
        elif result.status == 1:
            reason = f"the number of iterations reached max_iter={max_iter}"
        else:
            reason = f"L-BFGS-B stopped: {result.message}"
        warnings.warn(
            f"L-BFGS-B did not converge after {n_iter} iteration(s): {reason}. "
            "Increase max_iter / max_fun, or scale the input features.",
            ConvergenceWarning,
            stacklevel=4,  # the caller of the estimator's fit
        )
    return SolverResult(
        theta=result.x,
        loss=float(result.fun),
        n_iter=n_iter,
        n_fun=int(result.nfev),
        loss_curve=loss_curve,
        converged=result.status == 0,
    )
