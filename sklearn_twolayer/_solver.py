"""Solver glue: minimise a flat objective ``theta -> (f, g)`` from a start vector.

It knows nothing about labels or estimators, and returns the minimiser with the
per-iteration record and the warnings a user needs, in the manner of
``sklearn.utils.optimize._check_optimize_result``. :func:`minimize_lbfgs` (scipy's
L-BFGS-B) and :func:`minimize_trust_ncg` (scipy's trust-ncg method, run by its own
loop, :func:`_trust_region_newton_cg`, so that its ratio test is safe from
rounding) share one result type and two per-iteration hooks, either of which can
ask to stop after an iteration: the early-stopping :class:`ValidationMonitor` and
an :class:`IterationCallback` (the bridge to scikit-learn's callback API in
:mod:`sklearn_twolayer._callbacks`).
"""

import functools
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from ._execution import blas_single_threaded


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
        Number of iterations done.
    n_fun : int
        Number of objective-and-gradient evaluations.
    loss_curve : list of float
        The objective after each iteration.
    converged : bool
        Whether the solver met its tolerance.
    n_hessp : int
        Number of Hessian-vector products (0 for L-BFGS).
    stopped_early : bool
        Whether a :class:`ValidationMonitor` ended the run; ``theta`` is then the
        monitor's best iterate, not the last one.
    stopped_by_callback : bool
        Whether the ``callback`` asked to stop (and the monitor did not ask at the
        same iteration). ``theta`` is then the iterate of that iteration, or, with a
        monitor, the monitor's best iterate up to it.
    """

    theta: np.ndarray
    loss: float
    n_iter: int
    n_fun: int
    loss_curve: list = field(default_factory=list)
    converged: bool = True
    n_hessp: int = 0
    stopped_early: bool = False
    stopped_by_callback: bool = False


class IterationCallback:
    """The per-iteration hook protocol of the solvers' ``callback`` argument.

    The solvers call :meth:`begin_iteration` just before the first evaluation an
    iteration makes (the objective, or a Hessian product), :meth:`end_iteration`
    once it is accepted, and :meth:`abandon_iteration` after the run when
    evaluations were made that completed no iteration (a failed line search, an
    exhausted ``max_fun``). This base class does nothing and never stops.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_twolayer._solver import IterationCallback, minimize_lbfgs
    >>> class StopAtThree(IterationCallback):
    ...     n_iter = 0
    ...     def end_iteration(self, theta, loss):
    ...         self.n_iter += 1
    ...         return self.n_iter == 3
    >>> from scipy.optimize import rosen, rosen_der
    >>> result = minimize_lbfgs(
    ...     lambda t: (rosen(t), rosen_der(t)), np.zeros(4), max_iter=100,
    ...     max_fun=1000, tol=1e-8, callback=StopAtThree(),
    ... )
    >>> result.n_iter, result.stopped_by_callback, result.converged
    (3, True, False)
    """

    def begin_iteration(self):
        """An iteration starts: its first evaluation is about to be made."""

    def end_iteration(self, theta, loss):
        """An iteration ended at ``theta`` (the solver's buffer), of objective
        ``loss``; True asks to stop."""
        return False

    def abandon_iteration(self):
        """The run ended with an iteration begun but not completed."""


class _IterationTracker:
    """Calls a callback's begin hook once per iteration, at its first evaluation.

    Beginning lazily, rather than right after the previous iteration ended, means a
    run that converges or stops leaves no begun-but-empty iteration behind.
    """

    def __init__(self, callback):
        self.callback = callback
        self.open = False  # pragma: no mutate: None is as falsy

    def begin(self):
        if not self.open:
            self.open = True
            self.callback.begin_iteration()

    def end(self, theta, loss):
        self.open = False  # pragma: no mutate: None is as falsy
        return bool(self.callback.end_iteration(theta, loss))

    def close(self):
        if self.open:
            self.open = False
            self.callback.abandon_iteration()


def _stop_requests(theta, loss, verbose, monitor, tracker):
    """Ask the monitor, then the callback; -> (monitor asked, callback asked).

    Both hear about every iteration, the one where the other asks to stop included;
    ``loss`` is the objective at ``theta``.
    """
    by_monitor = monitor is not None and monitor(theta, verbose)
    by_callback = tracker is not None and tracker.end(theta, loss)
    return by_monitor, by_callback


class _RecordingObjective:
    """Wraps fun(theta) -> (f, g) so the callback can report the accepted gradient.

    L-BFGS-B calls the callback right after the line search whose last evaluation is
    the accepted iterate, so the last (f, g) evaluated is the one to report.
    """

    def __init__(self, fun, tracker=None):
        self.fun = fun
        self.tracker = tracker
        # Read only after an evaluation sets it.
        self.last_gradient_norm = np.nan  # pragma: no mutate

    def __call__(self, theta):
        if self.tracker is not None:
            self.tracker.begin()
        value, gradient = self.fun(theta)
        self.last_gradient_norm = float(np.max(np.abs(gradient)))
        return value, np.asarray(gradient, dtype=np.float64)


def minimize_lbfgs(
    fun,
    theta0,
    *,
    max_iter,
    max_fun,
    tol,
    verbose=0,
    monitor=None,
    ftol=None,
    callback=None,
):
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
    monitor : ValidationMonitor, optional
        Called with the accepted iterate after each iteration; when it asks to stop,
        the callback raises ``StopIteration`` and the result carries
        the monitor's best iterate.
    ftol : float, optional
        L-BFGS-B's relative-reduction stop; None keeps scipy's default (about
        2.2e-9, what ``MLPClassifier`` uses), 0 leaves only the gradient test
        (used by the solver benchmark).
    callback : IterationCallback, optional
        Told when each iteration begins and ends; when its ``end_iteration`` returns
        True the run stops after that iteration, keeping that iterate (with a
        monitor, the monitor's best iterate up to it). The monitor is asked first;
        both are told of every iteration, and the first request stops the run.

    Returns
    -------
    SolverResult
        A :class:`ConvergenceWarning` is issued when a budget stops the run, and when
        the line search fails; not when the monitor or the callback stops it.
    """
    tracker = None if callback is None else _IterationTracker(callback)
    objective = _RecordingObjective(fun, tracker)
    loss_curve = []
    requests = [False, False]  # (monitor, callback) asked to stop

    def scipy_callback(intermediate_result):
        loss_curve.append(float(intermediate_result.fun))
        if verbose > 0:
            print(
                f"Iteration {len(loss_curve)}: objective = {loss_curve[-1]:.8g}, "
                f"|gradient|_max = {objective.last_gradient_norm:.3e}"
            )
        requests[:] = _stop_requests(
            intermediate_result.x, loss_curve[-1], verbose, monitor, tracker
        )
        if any(requests):
            raise StopIteration

    # Every BLAS library on one thread for the whole solve (reference counted, so
    # concurrent fits restore the settings once, when the last one ends): SciPy's
    # own OpenBLAS does a few dot products per iteration, which one thread does
    # best, and its idle threads would otherwise spin against the evaluation's
    # workers.
    with blas_single_threaded():
        result = scipy.optimize.minimize(
            objective,
            # scipy copies the start to float64 and ignores the method's case.
            np.asarray(theta0, dtype=np.float64),  # pragma: no mutate
            method="L-BFGS-B",  # pragma: no mutate
            jac=True,
            callback=scipy_callback,
            options={
                "maxiter": max_iter,
                "maxfun": max_fun,
                "gtol": tol,
                **({} if ftol is None else {"ftol": ftol}),
            },
        )
    if tracker is not None:
        tracker.close()
    n_iter = min(int(result.nit), max_iter)
    stopped_early, stopped_by_callback = requests[0], requests[1] and not requests[0]
    if result.status != 0 and not (stopped_early or stopped_by_callback):
        # scipy stops after max_fun + 1 evaluations: > would do, >= states the rule.
        if result.status == 1 and result.nfev >= max_fun:  # pragma: no mutate
            reason = f"the number of evaluations reached max_fun={max_fun}"
        elif result.status == 1:
            reason = f"the number of iterations reached max_iter={max_iter}"
        else:
            reason = f"L-BFGS-B stopped: {result.message.rstrip(' .:')}"
        _warn_not_converged("L-BFGS-B", n_iter, reason)
    return _result_with_best_iterate(
        SolverResult(
            theta=result.x,
            loss=float(result.fun),
            n_iter=n_iter,
            n_fun=int(result.nfev),
            loss_curve=loss_curve,
            converged=result.status == 0 and not any(requests),
            stopped_early=stopped_early,
            stopped_by_callback=stopped_by_callback,
        ),
        monitor,
        fun,
    )


def _warn_not_converged(method, n_iter, reason):
    """The ConvergenceWarning of both solvers, pointing at the user's call of fit."""
    warnings.warn(
        f"{method} did not converge after {n_iter} iteration(s): {reason}. "
        "Increase max_iter / max_fun, or scale the input features.",
        ConvergenceWarning,
        # The caller of fit (_fit_context's wrapper -> fit -> _fit_and_assign ->
        # _fit -> minimize_* -> here).
        stacklevel=7,  # pragma: no mutate
    )


class ValidationMonitor:
    """Early-stopping hook: the validation loss after each iteration, and the best.

    Either solver calls the monitor with the accepted iterate after every
    iteration. The loss of the start vector is the baseline (iteration 0); an
    iteration improves when its validation loss is strictly below every earlier
    one. The monitor asks to stop once ``n_iter_no_change`` consecutive iterations
    have not improved, and keeps a copy of the best iterate. An iteration that did
    not move ``theta`` (a rejected trust-region step) repeats the previous value in
    the curve and neither improves nor counts towards ``n_iter_no_change``.

    Parameters
    ----------
    validation_loss : callable
        ``validation_loss(theta) -> float`` on the held-out rows.
    theta0 : ndarray
        The start vector.
    n_iter_no_change : int
        Patience, in iterations.

    Attributes
    ----------
    curve : list of float
        Validation loss after each iteration (iterations 1, 2, ...).
    best_loss : float
        Lowest validation loss seen, the start included.
    best_iteration : int
        Iteration of ``best_loss``; 0 means no iteration improved on the start.
    best_theta : ndarray
        Copy of the iterate of ``best_loss``.
    stopped : bool
        Whether the patience ran out.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_twolayer._solver import ValidationMonitor
    >>> monitor = ValidationMonitor(lambda t: float(t[0]), np.array([5.0]), 2)
    >>> [monitor(np.array([value])) for value in (4.0, 3.0, 3.5, 3.2)]
    [False, False, False, True]
    >>> monitor.best_iteration, monitor.best_loss, monitor.curve
    (2, 3.0, [4.0, 3.0, 3.5, 3.2])
    """

    def __init__(self, validation_loss, theta0, n_iter_no_change):
        self.validation_loss = validation_loss
        self.n_iter_no_change = n_iter_no_change
        self.best_theta = np.array(theta0, dtype=np.float64, copy=True)
        self.best_loss = float(validation_loss(self.best_theta))
        self.best_iteration = 0
        self.curve = []
        self.stopped = False  # pragma: no mutate: read only after a call sets it
        self._previous_theta = self.best_theta
        self._previous_loss = self.best_loss
        self._iterations_without_improvement = 0

    def __call__(self, theta, verbose=0):
        """Record the iterate after one more iteration; return True to stop."""
        if np.array_equal(theta, self._previous_theta):
            self.curve.append(self._previous_loss)
            return False
        value = float(self.validation_loss(theta))
        self.curve.append(value)
        # theta is the solver's own buffer (L-BFGS-B updates it in place): copy.
        self._previous_theta = theta.copy()
        self._previous_loss = value
        if value < self.best_loss:
            self.best_loss, self.best_iteration = value, len(self.curve)
            self.best_theta = self._previous_theta
            self._iterations_without_improvement = 0
        else:
            self._iterations_without_improvement += 1
        if verbose > 0:
            print(
                f"    validation loss = {value:.8g} (best {self.best_loss:.8g} at "
                f"iteration {self.best_iteration})"
            )
        self.stopped = self._iterations_without_improvement >= self.n_iter_no_change
        return self.stopped


def _result_with_best_iterate(result, monitor, fun):
    """With a monitor, the result describes its best iterate, not the last one."""
    if monitor is None:
        return result
    result.theta = monitor.best_theta.copy()
    # (> 1 would evaluate again the point of the first value of the curve.)
    if monitor.best_iteration > 0:  # pragma: no mutate
        result.loss = result.loss_curve[monitor.best_iteration - 1]
    else:
        result.loss = float(fun(result.theta)[0])
    return result


class _SecondOrderObjective:
    """Wraps fun_grad_hessp(theta) -> (f, g, hessp) into the trust-region loop's
    ``fun`` and ``hessp``.

    The trust-region method evaluates the objective at a trial point, then asks for
    Hessian products at the current point, which is either that trial point
    (accepted) or the current point of before (rejected, possibly several times in
    a row). Two evaluations are kept, the latest one and the current point's, so a
    product never repeats a forward pass.
    """

    def __init__(self, fun_grad_hessp, tracker=None):
        self.fun_grad_hessp = fun_grad_hessp
        self.tracker = tracker
        self.n_fun = 0
        self.n_hessp = 0
        self._latest = self._current = None

    def evaluation(self, theta, current=False):
        """(theta, f, g, hessp) at theta, from the cache or a new evaluation.

        ``current`` marks theta as the solver's current point, kept until another
        point becomes current.
        """
        for entry in (self._latest, self._current):
            if entry is not None and np.array_equal(entry[0], theta):
                break
        else:
            value, gradient, hessp = self.fun_grad_hessp(theta)
            self.n_fun += 1
            entry = (
                np.array(theta, copy=True),
                float(value),
                np.asarray(gradient, dtype=np.float64),
                hessp,
            )
            self._latest = entry
        if current:
            self._current = entry
        return entry

    def fun(self, theta):
        if self.tracker is not None:
            self.tracker.begin()
        _, value, gradient, _ = self.evaluation(theta)
        return value, gradient

    def hessp(self, theta, direction):
        if self.tracker is not None:
            self.tracker.begin()
        self.n_hessp += 1
        hessp = self.evaluation(theta, current=True)[3]
        return np.asarray(hessp(direction), dtype=np.float64)


# The trust-region constants of scipy's trust-ncg (and of Nocedal & Wright,
# Numerical Optimization, 2nd ed., chapter 4): the first radius, its cap, and the
# ratio of actual to predicted decrease above which a step is taken.
_INITIAL_RADIUS = 1.0
_MAX_RADIUS = 1000.0
_ACCEPT_RATIO = 0.15
_BAD_APPROXIMATION = "A bad approximation caused failure to predict improvement"


def _steihaug_step(gradient, hessp, radius):
    """Steihaug's truncated conjugate gradient on the trust-region subproblem.

    Minimises the model ``g·p + ½ p·Hp`` over ``‖p‖ ≤ radius`` (Nocedal & Wright,
    algorithm 7.2), stopping when the residual falls below
    ``min(0.5, √‖g‖) ‖g‖``, on the boundary, or, along a direction of non-positive
    curvature, at the boundary point of lower model value.

    Returns
    -------
    step : ndarray
    model_decrease : float
        ``-(g·p + ½ p·Hp)``, summed from the conjugate-gradient steps: each interior
        step lowers the model by ``½ α r·r > 0``, so the sum has no cancellation
        and stays accurate where the decrease is far below the rounding of the
        objective (computed as ``f - (f + g·p + ½ p·Hp)``, as scipy does, it rounds
        to a few spacings of ``f`` or to zero).
    on_boundary : bool
    """
    gradient_norm = float(np.linalg.norm(gradient))
    tolerance = min(0.5, np.sqrt(gradient_norm)) * gradient_norm
    step = np.zeros_like(gradient)
    residual = gradient  # of the model's gradient g + Hp, at p = step
    direction = -residual
    residual_squared = float(residual @ residual)
    model_decrease = 0.0
    while True:
        product = hessp(direction)
        curvature = float(direction @ product)
        if curvature > 0:
            length = residual_squared / curvature
            interior = step + length * direction
            if np.linalg.norm(interior) < radius:
                model_decrease += 0.5 * length * residual_squared
                step = interior
                residual = residual + length * product
                next_squared = float(residual @ residual)
                if np.sqrt(next_squared) < tolerance:
                    return step, model_decrease, False
                direction = -residual + (next_squared / residual_squared) * direction
                residual_squared = next_squared
                continue
        # To the boundary along the direction: its model change there, from the
        # step reached, is t (r·d) + ½ t² (d·Hd).
        slope = float(residual @ direction)
        roots = _boundary_crossings(step, direction, radius)
        if curvature > 0:
            roots = roots[1:]  # forward only: the model falls all the way
        changes = [t * slope + 0.5 * t * t * curvature for t in roots]
        best = int(np.argmin(changes))
        return (
            step + roots[best] * direction,
            model_decrease - changes[best],
            True,
        )


def _boundary_crossings(start, direction, radius):
    """The two t, ascending, where ``‖start + t direction‖ = radius`` (start
    inside): the quadratic's roots in the form that does not cancel."""
    a = float(direction @ direction)
    b = 2.0 * float(start @ direction)
    c = float(start @ start) - radius * radius
    q = -0.5 * (b + np.copysign(np.sqrt(b * b - 4.0 * a * c), b))
    return sorted((q / a, c / q))


def _trust_region_newton_cg(objective, theta, *, max_iter, tol, after_iteration):
    """The trust-region Newton-CG loop (scipy's trust-ncg's method and constants),
    with a ratio test that rounding cannot decide.

    scipy (``scipy.optimize._trustregion``) compares ``f - f_trial`` with
    ``f - m(p)``; near a minimum both are a few spacings of ``f`` or zero, so one
    rounding of the objective rejects a good Newton step, the radius shrinks, and
    the run ends with "bad approximation" while the gradient is still above
    ``tol``. Here the predicted decrease is summed from the conjugate-gradient
    steps (:func:`_steihaug_step`), both reductions get the slack ``δ = 10 ε |f|``
    (Conn, Gould & Toint, Trust-Region Methods, 2000, section 17.4.2, who take
    ``max(1, |f|)``: the network's objective is a sum of non-negative terms, each
    computed to relative precision, so its rounding scales with ``|f|`` and a fit
    with ``f`` near 0 keeps the plain ratio test), and where ``f`` cannot tell
    (both reductions within ``δ``) the step is taken only if it lowers the
    gradient's norm. A rejected step shrinks the radius; once it is below the
    spacing of ``theta`` (or below ``√tiny``, where its square underflows) the run
    gives up.

    ``after_iteration(theta, value, gradient)`` is called after every iteration,
    rejected steps included, and returns a reason to stop or None.

    Returns
    -------
    theta, value, n_iter, reason
        ``reason`` is what ``after_iteration`` returned, "converged" when the start
        already meets scipy's test ``‖g‖₂ < tol``, "max_iter", or scipy's message
        of failure to predict a decrease.
    """
    value, gradient = objective.fun(theta)
    gradient_norm = float(np.linalg.norm(gradient))
    # scipy's strict 2-norm test before the first iteration (and a stationary
    # start, where tol = 0 would leave the subproblem no direction); after each
    # iteration, after_iteration applies the max-norm test, which it implies.
    if gradient_norm < tol or gradient_norm == 0:
        return theta, value, 0, "converged"
    radius = _INITIAL_RADIUS
    n_iter = 0
    epsilon = np.finfo(np.float64).eps
    # (Below it, radius² underflows and the boundary crossings are undefined.)
    smallest_radius = np.sqrt(np.finfo(np.float64).tiny)
    while True:
        step, predicted, on_boundary = _steihaug_step(
            gradient, functools.partial(objective.hessp, theta), radius
        )
        # (A NaN product, or a radius that underflowed to zero.)
        if not predicted > 0:
            return theta, value, n_iter, _BAD_APPROXIMATION
        trial = theta + step
        trial_value, trial_gradient = objective.fun(trial)
        trial_gradient_norm = float(np.linalg.norm(trial_gradient))
        actual = value - trial_value
        slack = 10.0 * epsilon * abs(value)
        ratio = (actual + slack) / (predicted + slack)
        accepted = ratio > _ACCEPT_RATIO
        if predicted <= slack and abs(actual) <= slack:
            # f cannot judge the step: the gradient, which near a minimum the
            # Newton step reduces by orders of magnitude, does.
            accepted = trial_gradient_norm < gradient_norm
        # (not >=: a NaN ratio, from a non-finite trial value, shrinks too.)
        if not accepted or not ratio >= 0.25:
            radius *= 0.25
        elif ratio > 0.75 and on_boundary:
            radius = min(2.0 * radius, _MAX_RADIUS)
        if accepted:
            theta, value = trial, trial_value
            gradient, gradient_norm = trial_gradient, trial_gradient_norm
        n_iter += 1
        reason = after_iteration(theta, value, gradient)
        if reason is not None:
            return theta, value, n_iter, reason
        if n_iter >= max_iter:
            return theta, value, n_iter, "max_iter"
        if radius <= max(epsilon * np.linalg.norm(theta), smallest_radius):
            # No step can move theta by more than its rounding: f and the model
            # have disagreed down to that scale.
            return theta, value, n_iter, _BAD_APPROXIMATION


def minimize_trust_ncg(
    fun_grad_hessp,
    theta0,
    *,
    max_iter,
    max_fun,
    tol,
    verbose=0,
    monitor=None,
    callback=None,
):
    """Minimise with a Newton-CG trust-region method and exact Hessian products.

    Steihaug's truncated conjugate gradient (:func:`_steihaug_step`) follows
    directions of negative curvature to the trust-region boundary, so it is sound
    on the network's non-convex objective; there is no line search: one
    evaluation per iteration plus one product per conjugate-gradient step.

    Parameters
    ----------
    fun_grad_hessp : callable
        ``fun_grad_hessp(theta) -> (objective, gradient, hessp)`` with ``hessp(v)``
        the exact product of the Hessian at ``theta`` with ``v``, as
        :meth:`~sklearn_twolayer.network.TwoLayerLoss.gradient_hessian_product`.
    theta0 : ndarray
        Start vector.
    max_iter : int
        Iteration budget (rejected trust-region steps count, as in scipy).
    max_fun : int
        Budget of objective evaluations plus Hessian products, checked after each
        iteration.
    tol : float
        The run converges when the gradient's max-norm is at most ``tol``, the test
        L-BFGS-B applies with ``gtol``.
    verbose : int
        If positive, print the objective, the gradient's max-norm and the number of
        Hessian products per iteration.
    monitor : ValidationMonitor, optional
        As in :func:`minimize_lbfgs`.
    callback : IterationCallback, optional
        As in :func:`minimize_lbfgs`. A rejected trust-region step is an iteration
        too (the iterate does not move).

    Returns
    -------
    SolverResult
        A :class:`ConvergenceWarning` is issued when a budget stops the run, and when
        the trust-region method fails to predict a decrease; not when the monitor
        or the callback stops it.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.optimize import rosen, rosen_der, rosen_hess_prod
    >>> from sklearn_twolayer._solver import minimize_trust_ncg
    >>> def fun_grad_hessp(theta):
    ...     return rosen(theta), rosen_der(theta), lambda v: rosen_hess_prod(theta, v)
    >>> result = minimize_trust_ncg(
    ...     fun_grad_hessp, np.full(4, -1.2), max_iter=200, max_fun=10**4, tol=1e-8
    ... )
    >>> result.converged, bool(np.allclose(result.theta, 1.0))
    (True, True)
    """
    tracker = None if callback is None else _IterationTracker(callback)
    objective = _SecondOrderObjective(fun_grad_hessp, tracker)
    loss_curve = []

    def after_iteration(theta, value, gradient):
        loss_curve.append(float(value))
        gradient_norm = float(np.max(np.abs(gradient)))
        if verbose > 0:
            print(
                f"Iteration {len(loss_curve)}: objective = {loss_curve[-1]:.8g}, "
                f"|gradient|_max = {gradient_norm:.3e}, "
                f"Hessian products = {objective.n_hessp}"
            )
        by_monitor, by_callback = _stop_requests(
            theta, loss_curve[-1], verbose, monitor, tracker
        )
        if by_monitor:
            return "monitor"
        if by_callback:
            return "callback"
        if gradient_norm <= tol:
            return "converged"
        if objective.n_fun + objective.n_hessp >= max_fun:
            return "max_fun"
        return None

    # A copy: the result's theta must not be the caller's array.
    theta0 = np.array(theta0, dtype=np.float64, copy=True)
    with blas_single_threaded():  # as in minimize_lbfgs
        theta, value, n_iter, reason = _trust_region_newton_cg(
            objective,
            theta0,
            max_iter=max_iter,
            tol=tol,
            after_iteration=after_iteration,
        )
    if tracker is not None:
        tracker.close()
    converged = reason == "converged"
    if reason == "max_iter":
        message = f"the number of iterations reached max_iter={max_iter}"
    elif reason == "max_fun":
        message = (
            f"the number of evaluations and Hessian products reached max_fun={max_fun}"
        )
    else:
        message = f"trust-ncg stopped: {reason}"
    if not converged and reason not in ("monitor", "callback"):
        _warn_not_converged("trust-ncg", n_iter, message)
    return _result_with_best_iterate(
        SolverResult(
            theta=theta,
            loss=float(value),
            n_iter=n_iter,
            n_fun=objective.n_fun,
            loss_curve=loss_curve,
            converged=converged,
            n_hessp=objective.n_hessp,
            stopped_early=reason == "monitor",
            stopped_by_callback=reason == "callback",
        ),
        monitor,
        objective.fun,
    )
