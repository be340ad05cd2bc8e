"""trust-ncg's own loop: the ratio test near a minimum, where f's rounding cannot
judge a step, and the Steihaug subproblem it solves."""

import warnings

import numpy as np
import pytest
from _problems import standardized_iris
from sklearn.exceptions import ConvergenceWarning

from sklearn_twolayer._solver import _steihaug_step, minimize_trust_ncg
from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss


def _iris_objective():
    X, y = standardized_iris()
    Y = np.eye(3)[y]
    loss = TwoLayerLoss(ParameterLayout(4, 3, 3), "softmax")

    def fun_grad_hessp(theta):
        return loss.gradient_hessian_product(theta, X, Y, None, 3.0)

    theta0 = np.random.default_rng(0).normal(scale=0.5, size=loss.layout.size)
    return fun_grad_hessp, theta0


def _near_the_minimum(fraction):
    """A point ``fraction`` of the way along trust-ncg's last (Newton) step on iris,
    where that step's predicted decrease is about a spacing of f = 0.59."""
    fun_grad_hessp, theta0 = _iris_objective()
    near = minimize_trust_ncg(
        fun_grad_hessp, theta0, max_iter=500, max_fun=10**6, tol=1e-8
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=1, tol=0
        last = minimize_trust_ncg(
            fun_grad_hessp, near.theta, max_iter=1, max_fun=10**6, tol=0
        )
    return near.theta + fraction * (last.theta - near.theta), last.theta


@pytest.mark.parametrize(
    "fraction, shift",
    [(0.7, 0), (0.6, -2), (0.6, 0), (0.6, 2)],
    ids=["below-1-spacing", "1.3-spacings-f-2-lower", "1.3-spacings", "f-2-higher"],
)
def test_trust_ncg_is_not_stalled_by_the_rounding_of_f(fraction, shift):
    """Near the minimum, the Newton step's predicted decrease is about one spacing
    of f (as at iris's stalled iterate, 1.4): f's last bits, not the step, decided
    scipy's ratio test. With f shifted by ``shift`` spacings at every point but
    the start (kernels that round differently), or even as it is where the
    decrease is below a spacing, scipy rejected the step, shrank its radius and
    stopped with "bad approximation" at |g| = 8e-10-1e-9 > tol. The step, judged
    by the gradient where f cannot judge it, is taken: one iteration to |g| <= tol.
    """
    fun_grad_hessp, _ = _iris_objective()
    start, minimum = _near_the_minimum(fraction)
    value, gradient, hessp = fun_grad_hessp(start)
    step = minimum - start
    predicted = -(gradient @ step + 0.5 * step @ hessp(step))
    assert 0 < predicted < 1.5 * np.spacing(value)  # the regime of the stall
    assert np.max(np.abs(gradient)) > 5e-10  # and tol is 1e-10

    def rounded_differently(theta):
        value, gradient, hessp = fun_grad_hessp(theta)
        if not np.array_equal(theta, start):
            value = value + shift * np.spacing(value)
        return value, gradient, hessp

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        result = minimize_trust_ncg(
            rounded_differently, start, max_iter=100, max_fun=10**6, tol=1e-10
        )
    assert result.converged and result.n_iter == 1
    assert np.max(np.abs(fun_grad_hessp(result.theta)[1])) <= 1e-10


def test_trust_ncg_stops_honestly_where_neither_f_nor_the_gradient_vouch():
    """A gradient of the wrong sign where f = 1 + ½‖x‖² cannot resolve any step
    (x ~ 1e-9): each step away from the minimum raises the gradient's norm and is
    rejected, the radius shrinks below the spacing of x, and the run stops with
    scipy's warning, within max_iter, where it started."""

    def wrong_gradient(theta):
        return 1.0 + 0.5 * float(theta @ theta), -theta, lambda v: v

    start = np.array([1e-9, 5e-10])
    with pytest.warns(ConvergenceWarning, match="bad approximation") as caught:
        result = minimize_trust_ncg(
            wrong_gradient, start, max_iter=1000, max_fun=10**6, tol=0
        )
    assert len(caught) == 1
    assert not result.converged and result.n_iter < 100
    np.testing.assert_array_equal(result.theta, start)


@pytest.mark.parametrize("case", ["interior", "boundary", "negative-curvature"])
def test_steihaug_step_and_its_predicted_decrease(case):
    """The step solves the subproblem (Newton to the CG tolerance inside, on the
    boundary otherwise) and the decrease summed from the CG steps is the model's,
    -(g·p + ½ p·Hp)."""
    rng = np.random.default_rng(0)
    basis, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    eigenvalues = {
        "interior": np.geomspace(0.1, 10.0, 6),
        "boundary": np.geomspace(0.1, 10.0, 6),
        "negative-curvature": np.array([-1.0, 0.5, 1.0, 2.0, 3.0, 4.0]),
    }[case]
    hessian = basis @ np.diag(eigenvalues) @ basis.T
    gradient = rng.normal(size=6)
    radius = {"interior": 1e3, "boundary": 0.5, "negative-curvature": 2.0}[case]
    step, decrease, on_boundary = _steihaug_step(
        gradient, lambda v: hessian @ v, radius
    )
    model = -(gradient @ step + 0.5 * step @ hessian @ step)
    assert decrease == pytest.approx(model, rel=1e-12) and decrease > 0
    if case == "interior":
        assert not on_boundary
        norm = np.linalg.norm(gradient)
        residual = np.linalg.norm(gradient + hessian @ step)
        assert residual < min(0.5, np.sqrt(norm)) * norm
    else:
        assert on_boundary
        assert np.linalg.norm(step) == pytest.approx(radius, rel=1e-12)


def test_trust_ncg_started_at_a_stationary_point_with_tol_0_converges():
    """A zero gradient meets tol = 0 (|g|_max <= tol): no iteration, no subproblem
    (whose every direction would be zero)."""

    def bowl(theta):
        return 0.5 * float(theta @ theta), theta.copy(), lambda v: v

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        result = minimize_trust_ncg(bowl, np.zeros(2), max_iter=10, max_fun=100, tol=0)
    assert result.converged and result.n_iter == 0
