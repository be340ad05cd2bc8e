"""Solver glue: minimise a flat objective ``theta -> (f, g)`` from a start vector.

It knows nothing of labels or estimators, and returns the minimiser, the
per-iteration record and the user's warnings, as
``sklearn.utils.optimize._check_optimize_result`` does. :func:`minimize_lbfgs`
(scipy's L-BFGS-B) and :func:`minimize_trust_ncg` (trust-ncg in its own loop,
:func:`_trust_region_newton_cg`, whose ratio test is safe from rounding) share one
result type and two hooks that can stop a run after an iteration: the
early-stopping :class:`ValidationMonitor` and an :class:`IterationCallback`
(bridged to scikit-learn's callback API in :mod:`sklearn_twolayer._callbacks`).
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

    ``theta`` (float64) and its objective ``loss``; ``n_iter`` iterations, ``n_fun``
    objective-and-gradient evaluations, ``n_hessp`` Hessian products (0 for
    L-BFGS); ``loss_curve``, the objective after each iteration; ``converged``: the
    tolerance was met. ``stopped_early``: a :class:`ValidationMonitor` ended the
    run; ``stopped_by_callback``: the ``callback`` asked to stop (and the monitor
    not at the same iteration). With a monitor, ``theta`` is its best iterate (up
    to the stop), else the last one.
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

    :meth:`begin_iteration` comes just before an iteration's first evaluation (the
    objective, or a Hessian product), :meth:`end_iteration` once it is accepted,
    :meth:`abandon_iteration` after a run whose last evaluations completed no
    iteration (a failed line search, an exhausted ``max_fun``). This base class
    does nothing and never stops.
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
    """Calls a callback's begin hook once per iteration, at its first evaluation,
    so a run that converges or stops leaves no begun-but-empty iteration."""

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
    """Ask the monitor, then the callback (both hear of every iteration); ->
    (monitor asked, callback asked). ``loss`` is the objective at ``theta``."""
    by_monitor = monitor is not None and monitor(theta, verbose)
    by_callback = tracker is not None and tracker.end(theta, loss)
    return by_monitor, by_callback


class _RecordingObjective:
    """Wraps fun(theta) -> (f, g) so the callback can report the accepted gradient:
    L-BFGS-B calls it right after the line search whose last evaluation that is."""

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
    """Minimise ``fun(theta) -> (objective, gradient)`` with L-BFGS-B from ``theta0``.

    ``max_iter``, ``max_fun`` and ``tol`` are scipy's ``maxiter``, ``maxfun`` and
    ``gtol`` (as in ``MLPClassifier``); ``ftol`` None keeps scipy's default (about
    2.2e-9, ``MLPClassifier``'s), 0 leaves the gradient test only (the solver
    benchmark). ``verbose > 0`` prints the objective and the gradient's max-norm per
    iteration. After each iteration the ``monitor`` (:class:`ValidationMonitor`),
    then the ``callback`` (:class:`IterationCallback`) may ask to stop. Returns a
    :class:`SolverResult`, with a :class:`ConvergenceWarning` when a budget stops
    the run or the line search fails (not when the monitor or the callback does).
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

    # Every BLAS on one thread for the whole solve (reference counted: concurrent
    # fits restore the settings once, when the last ends): SciPy's OpenBLAS does a
    # few dot products per iteration, best on one thread, and its idle threads
    # would spin against the evaluation's workers.
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

    ``validation_loss(theta) -> float`` is the held-out rows' loss; that of
    ``theta0`` is the baseline (iteration 0). An iteration improves when its loss
    is strictly below every earlier one; the monitor asks to stop after
    ``n_iter_no_change`` iterations in a row without improvement. An iteration
    that did not move ``theta`` (a rejected trust-region step) repeats the previous
    value and neither improves nor counts. Attributes: ``curve`` (the loss after
    iterations 1, 2, ...), ``best_loss`` (the start included), ``best_iteration``
    (0: none improved on the start), a copy ``best_theta`` of its iterate, and
    ``stopped`` (the patience ran out).
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
    ``fun`` and ``hessp``, keeping the latest evaluation and the current point's:
    products are asked at the current point, the last trial point (accepted) or
    the one before (rejected, maybe repeatedly), so none repeats a forward pass.
    """

    def __init__(self, fun_grad_hessp, tracker=None):
        self.fun_grad_hessp = fun_grad_hessp
        self.tracker = tracker
        self.n_fun = 0
        self.n_hessp = 0
        self._latest = self._current = None

    def evaluation(self, theta, current=False):
        """(theta, f, g, hessp) at theta, cached or new; ``current`` marks theta as
        the solver's current point, kept until another becomes current."""
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


# scipy's trust-ncg constants (Nocedal & Wright, Numerical Optimization, 2nd ed.,
# ch. 4): first radius, its cap, actual/predicted decrease ratio to take a step.
_INITIAL_RADIUS = 1.0
_MAX_RADIUS = 1000.0
_ACCEPT_RATIO = 0.15
_BAD_APPROXIMATION = "A bad approximation caused failure to predict improvement"


def _steihaug_step(gradient, hessp, radius):
    """Steihaug's truncated conjugate gradient on the trust-region subproblem.

    Minimises ``g·p + ½ p·Hp`` over ``‖p‖ ≤ radius`` (Nocedal & Wright, algorithm
    7.2), stopping when the residual is below ``min(0.5, √‖g‖) ‖g‖``, on the
    boundary, or, along non-positive curvature, at the boundary point of lower
    model value. Returns ``(step, model_decrease, on_boundary)``; the decrease
    ``-(g·p + ½ p·Hp)`` is summed from the CG steps (each ``½ α r·r > 0``): no
    cancellation, so it stays accurate far below the rounding of ``f``, where
    scipy's ``f - (f + g·p + ½ p·Hp)`` is a few spacings of ``f`` or zero.
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

    Near a minimum scipy's ``f - f_trial`` and ``f - m(p)`` are a few spacings of
    ``f`` or zero: one rounding rejects a good Newton step, the radius shrinks, and
    the run ends with "bad approximation" while the gradient is above ``tol``. Here
    the predicted decrease is summed from the CG steps (:func:`_steihaug_step`),
    both reductions get the slack ``δ = 10 ε |f|`` (Conn, Gould & Toint,
    Trust-Region Methods, 2000, 17.4.2, take ``max(1, |f|)``; the objective is a sum
    of non-negative terms, so its rounding scales with ``|f|``), and where both are
    within ``δ`` the step is taken only if it lowers the gradient's norm. The run
    gives up once the radius is below the spacing of ``theta`` (or ``√tiny``).

    ``after_iteration(theta, value, gradient)`` runs after every iteration,
    rejected steps included, and returns a reason to stop or None. Returns
    ``(theta, value, n_iter, reason)``: that reason, "converged" when the start
    meets scipy's ``‖g‖₂ < tol``, "max_iter", or scipy's bad-approximation message.
    """
    value, gradient = objective.fun(theta)
    gradient_norm = float(np.linalg.norm(gradient))
    # scipy's strict 2-norm test at the start (== 0: with tol = 0 the subproblem
    # would have no direction); later after_iteration's max-norm test, implied.
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

    ``fun_grad_hessp(theta) -> (objective, gradient, hessp)``, ``hessp(v)`` the
    exact Hessian product at ``theta`` (as
    :meth:`~sklearn_twolayer.network.TwoLayerLoss.gradient_hessian_product`).
    Steihaug's CG (:func:`_steihaug_step`) follows negative curvature to the
    boundary, so it is sound on the non-convex objective; no line search: one
    evaluation per iteration plus a product per CG step. As :func:`minimize_lbfgs`
    otherwise, except: ``max_iter`` counts rejected steps (iterations that do not
    move, as in scipy); ``max_fun`` bounds evaluations plus products, checked after
    each iteration; converged is a gradient max-norm of at most ``tol``
    (L-BFGS-B's ``gtol`` test); ``verbose`` prints the products too; the
    :class:`ConvergenceWarning` comes too when no decrease can be predicted.
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
