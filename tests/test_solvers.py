"""The two solvers: the same optimum, the budgets, the cost accounting."""

import re
import warnings

import numpy as np
import pytest
import scipy.optimize
from _problems import standardized_breast_cancer, standardized_iris
from scipy import sparse
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._classifier import _glorot_start
from sklearn_twolayer._solver import (
    IterationCallback,
    ValidationMonitor,
    _IterationTracker,
    _RecordingObjective,
    _SecondOrderObjective,
    minimize_lbfgs,
    minimize_trust_ncg,
)
from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss


@pytest.mark.parametrize(
    "loader",
    [standardized_breast_cancer, standardized_iris],
    ids=["breast_cancer", "iris"],
)
def test_both_solvers_reach_the_same_optimum(loader):
    """A small, strongly penalised network (convex-ish): one minimum, both find it.

    The estimator's L-BFGS-B, like MLPClassifier's, also stops when an iteration
    reduces the objective by less than about 2e-9 relatively (scipy's ``ftol``), so
    the optimum is pinned by an oracle run of L-BFGS-B with that test switched off.
    """
    X, y = loader()
    params = {"n_hidden": 3, "alpha": 3.0, "tol": 1e-10, "max_iter": 5000}
    lbfgs = TwoLayerSigmoidClassifier(**params, random_state=0).fit(X, y)
    trust = TwoLayerSigmoidClassifier(**params, solver="trust-ncg", random_state=0)
    trust.fit(X, y)

    _, Y, _, loss = trust._training_problem(X, y, None)
    theta0 = _glorot_start(loss.layout, np.random.RandomState(0))
    oracle = scipy.optimize.minimize(
        loss.loss_gradient,
        theta0,
        args=(X, Y, None, params["alpha"]),
        method="L-BFGS-B",
        jac=True,
        options={"ftol": 0.0, "gtol": 1e-10, "maxiter": 20000, "maxfun": 40000},
    )
    assert np.max(np.abs(oracle.jac)) <= 1e-9
    fitted = loss.layout.unpack(oracle.x)
    for name, expected in zip(("W1_", "b1_", "W2_", "b2_"), fitted, strict=True):
        np.testing.assert_allclose(getattr(trust, name), expected, atol=1e-7)
    assert trust.loss_ == pytest.approx(oracle.fun, rel=1e-12)
    assert lbfgs.loss_ == pytest.approx(oracle.fun, rel=1e-8)
    assert trust.n_iter_ < lbfgs.n_iter_  # second order: far fewer iterations


def test_trust_ncg_sample_weights_act_as_repeated_rows():
    """The second-order solver sees the weighted objective (weight k = k copies)."""
    X, y = standardized_iris()
    weights = np.random.default_rng(0).integers(0, 4, size=y.size)
    params = {"n_hidden": 3, "alpha": 3.0, "tol": 1e-10, "max_iter": 5000}
    net = TwoLayerSigmoidClassifier(**params, solver="trust-ncg", random_state=0)
    weighted = net.fit(X, y, sample_weight=weights)
    weighted_proba, weighted_loss = weighted.predict_proba(X), weighted.loss_
    repeated = net.fit(np.repeat(X, weights, axis=0), np.repeat(y, weights))
    assert weighted_loss == pytest.approx(repeated.loss_, rel=1e-10)
    np.testing.assert_allclose(weighted_proba, repeated.predict_proba(X), atol=1e-7)


def _small_problem(output="sigmoid"):
    X, y = standardized_iris()
    Y = np.eye(3)[y] if output == "softmax" else (y[:, None] == 2).astype(float)
    loss = TwoLayerLoss(ParameterLayout(4, 5, Y.shape[1]), output)
    theta0 = np.random.default_rng(0).normal(scale=0.5, size=loss.layout.size)
    return loss, X, Y, theta0


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_trust_ncg_converges_on_the_max_norm_and_reuses_forward_passes(output):
    loss, X, Y, theta0 = _small_problem(output)
    calls = []

    def fun_grad_hessp(theta):
        calls.append(theta.copy())
        return loss.gradient_hessian_product(theta, X, Y, None, 1e-2)

    result = minimize_trust_ncg(
        fun_grad_hessp, theta0, max_iter=500, max_fun=10**6, tol=1e-8
    )
    assert result.converged and not result.stopped_early
    _, gradient = loss.loss_gradient(result.theta, X, Y, None, 1e-2)
    assert np.max(np.abs(gradient)) <= 1e-8
    # One evaluation per trust-region iteration (the trial point) plus the start:
    # Hessian products never repeat a forward pass.
    assert result.n_fun == len(calls) == result.n_iter + 1
    assert result.n_hessp > result.n_iter
    assert len(result.loss_curve) == result.n_iter
    assert result.loss == pytest.approx(loss.loss(result.theta, X, Y, None, 1e-2))


def test_trust_ncg_budgets_warn():
    loss, X, Y, theta0 = _small_problem()

    def fun_grad_hessp(theta):
        return loss.gradient_hessian_product(theta, X, Y)

    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        result = minimize_trust_ncg(
            fun_grad_hessp, theta0, max_iter=2, max_fun=10**6, tol=1e-12
        )
    assert result.n_iter == 2 and not result.converged
    with pytest.warns(ConvergenceWarning, match="max_fun=5"):
        result = minimize_trust_ncg(
            fun_grad_hessp, theta0, max_iter=100, max_fun=5, tol=1e-12
        )
    assert result.n_fun + result.n_hessp >= 5 and not result.converged


def test_lbfgs_result_unchanged_without_monitor():
    """The monitor hook is optional: without it L-BFGS runs exactly as before."""
    loss, X, Y, theta0 = _small_problem()

    def fun(theta):
        return loss.loss_gradient(theta, X, Y, None, 1e-3)

    result = minimize_lbfgs(fun, theta0, max_iter=3000, max_fun=10**4, tol=1e-5)
    assert result.converged and not result.stopped_early and result.n_hessp == 0
    assert len(result.loss_curve) == result.n_iter
    assert result.loss == pytest.approx(fun(result.theta)[0], rel=1e-12)


def test_trust_ncg_estimator_float32_and_sparse():
    X, y = standardized_breast_cancer()
    dense = TwoLayerSigmoidClassifier(4, solver="trust-ncg", random_state=0).fit(X, y)
    from_sparse = TwoLayerSigmoidClassifier(4, solver="trust-ncg", random_state=0)
    from_sparse.fit(sparse.csr_matrix(X), y)
    np.testing.assert_allclose(from_sparse.W1_, dense.W1_, rtol=1e-6, atol=1e-8)
    single = TwoLayerSigmoidClassifier(4, solver="trust-ncg", random_state=0)
    single.fit(X.astype(np.float32), y)
    assert single.W1_.dtype == np.float32
    assert single.score(X, y) > 0.97


def test_trust_ncg_verbose_reports_hessian_products(capsys):
    X, y = standardized_iris()
    TwoLayerSigmoidClassifier(3, solver="trust-ncg", verbose=1, random_state=0).fit(
        X, y
    )
    out = capsys.readouterr().out
    assert "Iteration 1: objective =" in out and "Hessian products =" in out


def test_every_blas_runs_single_threaded_during_the_solve_and_is_restored():
    from sklearn_twolayer._execution import _blas_controller, blas_single_threaded

    def thread_counts():
        return {
            lib.filepath: lib.num_threads for lib in _blas_controller().lib_controllers
        }

    before = thread_counts()
    with blas_single_threaded() as allowed:
        during = thread_counts()
        with blas_single_threaded() as allowed_nested:  # counted, not re-saved
            assert thread_counts() == during
        assert thread_counts() == during
    assert thread_counts() == before
    assert allowed == allowed_nested == max(before.values(), default=1)
    assert set(during.values()) <= {1}


# -- the solver glue's rules, each pinned (mutation testing of _solver.py) -----------
def _quadratic_with_hessp(calls):
    """Rosenbrock's function with its exact Hessian product; records each call."""
    from scipy.optimize import rosen, rosen_der, rosen_hess_prod

    def fun_grad_hessp(theta):
        calls["fun"].append(np.array(theta))

        def hessp(v):
            calls["hessp"] += 1
            return rosen_hess_prod(theta, v)

        return rosen(theta), rosen_der(theta), hessp

    return fun_grad_hessp


@pytest.mark.parametrize(
    "start",
    [np.full(4, -1.2), np.zeros(2)],  # from (0, 0) the first step is rejected
    ids=["first-step-accepted", "first-step-rejected"],
)
def test_trust_ncg_evaluates_each_point_once_and_counts_its_products(start):
    """Rejected steps revisit the current point: it is kept, never re-evaluated;
    the result counts exactly the evaluations and products made."""
    calls = {"fun": [], "hessp": 0}
    result = minimize_trust_ncg(
        _quadratic_with_hessp(calls),
        start,
        max_iter=200,
        max_fun=10**6,
        tol=1e-8,
    )
    assert result.converged
    points = {tuple(p) for p in calls["fun"]}
    assert len(points) == len(calls["fun"]) == result.n_fun
    assert result.n_hessp == calls["hessp"] > 0


@pytest.mark.parametrize("minimize", [minimize_lbfgs, minimize_trust_ncg])
def test_solvers_are_silent_by_default(minimize, capsys):
    from scipy.optimize import rosen, rosen_der, rosen_hess_prod

    if minimize is minimize_lbfgs:
        fun = lambda t: (rosen(t), rosen_der(t))  # noqa: E731
    else:
        fun = lambda t: (rosen(t), rosen_der(t), lambda v: rosen_hess_prod(t, v))  # noqa: E731
    minimize(fun, np.zeros(3), max_iter=50, max_fun=10**4, tol=1e-6)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "solver, method", [("lbfgs", "L-BFGS-B"), ("trust-ncg", "trust-ncg")]
)
def test_the_convergence_warning_says_everything(solver, method):
    X, y = make_classification(n_samples=60, random_state=0)
    clf = TwoLayerSigmoidClassifier(n_hidden=3, max_iter=2, solver=solver)
    message = (
        f"{method} did not converge after 2 iteration(s): the number of iterations "
        "reached max_iter=2. Increase max_iter / max_fun, or scale the input "
        "features."
    )
    with pytest.warns(ConvergenceWarning) as caught:
        clf.set_params(random_state=0).fit(X, y)
    assert [str(w.message) for w in caught] == [message]


def test_monitor_rules_at_their_boundaries(capsys):
    """A tie is no improvement; the patience counts from 0; the start itself
    (a first step rejected) repeats the start's loss and uses no patience; the
    validation line is printed only when verbose."""
    start = np.array([0.0])
    losses = {0.0: 4.0, 1.0: 4.0, 2.0: 5.0, 3.0: 3.0}
    monitor = ValidationMonitor(lambda t: losses[float(t[0])], start, 2)
    assert monitor(np.array([0.0])) is False  # the start again: nothing counted
    assert monitor.curve == [4.0]
    assert monitor(np.array([1.0])) is False  # a tie: no improvement, patience 1
    assert monitor.best_iteration == 0
    assert monitor(np.array([2.0])) is True  # patience 2 of 2
    assert capsys.readouterr().out == ""
    monitor = ValidationMonitor(lambda t: losses[float(t[0])], start, 2)
    monitor(np.array([3.0]), verbose=1)
    assert capsys.readouterr().out == (
        "    validation loss = 3 (best 3 at iteration 1)\n"
    )
    monitor(np.array([2.0]), verbose=0)
    assert capsys.readouterr().out == ""


class _HookLog(IterationCallback):
    """Records the hooks an _IterationTracker calls."""

    def __init__(self):
        self.calls = []

    def begin_iteration(self):
        self.calls.append("begin")

    def end_iteration(self, theta, loss):
        self.calls.append("end")
        return loss > 1.0

    def abandon_iteration(self):
        self.calls.append("abandon")


def test_the_iteration_tracker_begins_once_and_abandons_only_what_is_open():
    log = _HookLog()
    tracker = _IterationTracker(log)
    tracker.close()  # nothing begun: nothing to abandon
    tracker.begin()
    tracker.begin()  # a second evaluation of the same iteration
    assert tracker.end(np.zeros(1), 2.0) is True  # the callback's stop request
    assert tracker.end(np.zeros(1), 0.5) is False
    tracker.begin()
    tracker.close()  # an iteration begun and not completed
    tracker.close()  # already abandoned
    tracker.begin()  # a new iteration after the abandoned one
    assert log.calls == ["begin", "end", "end", "begin", "abandon", "begin"]


def _linear(slope):
    """f(x) = slope · Σ x: a constant gradient of max-norm |slope|, no curvature.
    trust-ncg steps to its trust region's boundary and every step is accepted."""

    def fun_grad_hessp(theta):
        gradient = np.full(theta.size, float(slope))
        return slope * float(theta.sum()), gradient, lambda v: np.zeros_like(v)

    return fun_grad_hessp


def test_trust_ncg_converges_when_the_gradient_is_exactly_tol():
    """The test is |g|_max <= tol, as L-BFGS-B's gtol (scipy's own 2-norm test is
    strict: with one parameter it does not stop the run here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        result = minimize_trust_ncg(
            _linear(0.5), np.zeros(1), max_iter=5, max_fun=100, tol=0.5
        )
    assert result.converged and result.n_iter == 1


def test_trust_ncg_started_at_a_minimum_converges_without_an_iteration():
    """scipy stops before the first iteration (the callback never runs): that is
    convergence, not a failure to report."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        result = minimize_trust_ncg(
            _quadratic_with_hessp({"fun": [], "hessp": 0}),
            np.ones(4),  # Rosenbrock's minimum
            max_iter=5,
            max_fun=100,
            tol=1e-8,
        )
    assert result.converged and result.n_iter == 0 and result.loss_curve == []


def test_trust_ncg_stops_when_the_budget_is_reached_exactly():
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        once = minimize_trust_ncg(
            _linear(1.0), np.zeros(2), max_iter=1, max_fun=10**6, tol=0
        )
    spent = once.n_fun + once.n_hessp  # after one iteration
    with pytest.warns(ConvergenceWarning, match=f"max_fun={spent}"):
        at_budget = minimize_trust_ncg(
            _linear(1.0), np.zeros(2), max_iter=50, max_fun=spent, tol=0
        )
    assert at_budget.n_iter == 1
    with pytest.warns(ConvergenceWarning, match=f"max_fun={spent + 1}"):
        beyond = minimize_trust_ncg(
            _linear(1.0), np.zeros(2), max_iter=50, max_fun=spent + 1, tol=0
        )
    assert beyond.n_iter == 2


class _StopAt(IterationCallback):
    def __init__(self, n_iter):
        self.n_iter, self.seen = n_iter, 0

    def end_iteration(self, theta, loss):
        self.seen += 1
        return self.seen == self.n_iter


@pytest.mark.parametrize("minimize", [minimize_lbfgs, minimize_trust_ncg])
def test_the_result_says_who_stopped_the_run(minimize):
    def fun(theta):
        value, gradient = scipy.optimize.rosen(theta), scipy.optimize.rosen_der(theta)
        if minimize is minimize_lbfgs:
            return value, gradient
        return value, gradient, lambda v: scipy.optimize.rosen_hess_prod(theta, v)

    start = np.full(4, -1.2)
    budgets = {"max_iter": 200, "max_fun": 10**5, "tol": 1e-8}
    plain = minimize(fun, start, **budgets)
    assert (plain.stopped_early, plain.stopped_by_callback) == (False, False)
    by_callback = minimize(fun, start, callback=_StopAt(3), **budgets)
    assert (by_callback.stopped_early, by_callback.stopped_by_callback) == (False, True)
    assert by_callback.n_iter == 3 and not by_callback.converged
    # A monitor whose held-out loss never improves on the start's stops it.
    monitor = ValidationMonitor(lambda theta: 1.0, start, n_iter_no_change=2)
    by_monitor = minimize(fun, start, monitor=monitor, callback=_StopAt(50), **budgets)
    assert (by_monitor.stopped_early, by_monitor.stopped_by_callback) == (True, False)
    assert by_monitor.n_iter == 2 and not by_monitor.converged


def test_the_second_order_objective_hands_scipy_float64():
    """A float32 fit's gradient and products reach scipy in float64."""

    def fun_grad_hessp(theta):
        gradient = theta.astype(np.float32)
        return float(theta @ theta) / 2, gradient, lambda v: v.astype(np.float32)

    objective = _SecondOrderObjective(fun_grad_hessp)
    theta = np.array([1.0, 2.0])
    _, gradient = objective.fun(theta)
    product = objective.hessp(theta, np.array([0.5, 0.25]))
    assert gradient.dtype == np.float64 and product.dtype == np.float64
    np.testing.assert_array_equal(product, [0.5, 0.25])
    assert objective.n_fun == 1 and objective.n_hessp == 1


def _rosen(theta):
    return scipy.optimize.rosen(theta), scipy.optimize.rosen_der(theta)


def test_lbfgs_takes_scipys_relative_reduction_test_as_given():
    """ftol=None keeps scipy's default; a larger ftol stops sooner, 0 later."""
    budgets = {"max_iter": 1000, "max_fun": 10**5, "tol": 1e-10}
    start = np.full(4, -1.2)
    default = minimize_lbfgs(_rosen, start, **budgets)
    loose = minimize_lbfgs(_rosen, start, ftol=0.5, **budgets)
    exact = minimize_lbfgs(_rosen, start, ftol=0, **budgets)
    assert loose.n_iter < default.n_iter < exact.n_iter
    assert loose.converged and default.converged


def test_lbfgs_counts_its_evaluations_and_hands_scipy_float64():
    calls = []

    def fun(theta):
        calls.append(theta.copy())
        value, gradient = _rosen(theta)
        return value, gradient.astype(np.float32)  # a float32 fit's gradient

    objective = _RecordingObjective(fun)
    assert objective(np.zeros(2))[1].dtype == np.float64
    calls.clear()
    with pytest.warns(ConvergenceWarning, match="max_iter=30"):
        result = minimize_lbfgs(
            fun, np.full(4, -1.2), max_iter=30, max_fun=10**4, tol=0
        )
    assert result.n_fun == len(calls) > result.n_iter


@pytest.mark.parametrize("minimize", [minimize_lbfgs, minimize_trust_ncg])
def test_a_kept_start_reports_the_starts_objective(minimize):
    """The monitor keeps the start (no iteration improves): the result's loss is
    the objective at the start, not at the last iterate."""

    def fun(theta):
        value, gradient = _rosen(theta)
        if minimize is minimize_lbfgs:
            return value, gradient
        return value, gradient, lambda v: scipy.optimize.rosen_hess_prod(theta, v)

    start = np.full(4, -1.2)
    # A held-out loss that every step away from the start raises.
    monitor = ValidationMonitor(
        lambda theta: float(np.sum((theta - start) ** 2)), start, 3
    )
    result = minimize(fun, start, monitor=monitor, max_iter=50, max_fun=10**4, tol=0)
    assert monitor.best_iteration == 0 and result.stopped_early
    np.testing.assert_array_equal(result.theta, start)
    assert result.loss == scipy.optimize.rosen(start)


def test_a_monitor_told_to_be_verbose_prints_its_line(capsys):
    start = np.full(4, -1.2)
    monitor = ValidationMonitor(lambda theta: float(np.sum(theta**2)), start, 100)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        minimize_lbfgs(
            _rosen, start, monitor=monitor, verbose=1, max_iter=2, max_fun=100, tol=0
        )
    out = capsys.readouterr().out
    assert out.count("validation loss = ") == 2


def test_trust_ncg_passes_on_scipys_reason_when_it_fails():
    """A gradient of the wrong sign: the model predicts no decrease (scipy's
    status 2) and the warning says so in scipy's words."""

    def wrong_gradient(theta):
        return float(theta @ theta), -2 * theta, lambda v: 2 * v

    with pytest.warns(ConvergenceWarning) as caught:
        result = minimize_trust_ncg(
            wrong_gradient, np.array([1.0, 0.5]), max_iter=50, max_fun=10**4, tol=0
        )
    assert not result.converged
    assert [str(w.message) for w in caught] == [
        f"trust-ncg did not converge after {result.n_iter} iteration(s): trust-ncg "
        "stopped: A bad approximation caused failure to predict improvement. "
        "Increase max_iter / max_fun, or scale the input features."
    ]


def test_lbfgs_passes_on_scipys_reason_when_its_line_search_fails():
    """A gradient of the wrong sign: no step decreases the objective. scipy's
    message ('ABNORMAL: ' in recent releases, 'ABNORMAL_TERMINATION_IN_LNSRCH' in
    older ones)
    is quoted without its trailing punctuation."""

    def wrong_gradient(theta):
        return float(theta @ theta), -2 * theta

    with pytest.warns(ConvergenceWarning) as caught:
        result = minimize_lbfgs(
            wrong_gradient, np.array([1.0, 0.5]), max_iter=50, max_fun=10**4, tol=0
        )
    assert not result.converged
    [message] = [str(w.message) for w in caught]
    assert re.fullmatch(
        r"L-BFGS-B did not converge after 0 iteration\(s\): L-BFGS-B stopped: "
        r"ABNORMAL[A-Z_]*\. Increase max_iter / max_fun, or scale the input "
        r"features\.",
        message,
    ), message
