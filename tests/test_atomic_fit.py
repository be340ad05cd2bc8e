"""A fit is atomic: one that fails or is interrupted changes nothing.

Failures are injected at every stage of the one fit path (validation, start vector,
first evaluation, mid-solve, early stopping's held-out loss, storing the result), as
exceptions and as ``KeyboardInterrupt``, with both solvers. A previously fitted
model must keep every fitted attribute (the same objects) and predict as before; a
never-fitted estimator must stay unfitted (``NotFittedError``, not AttributeError).
"""

import contextlib

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_twolayer import TwoLayerSigmoidClassifier, _classifier, _prediction
from sklearn_twolayer._backends.in_memory import InMemoryRows
from sklearn_twolayer._solver import ValidationMonitor

# The fits here stop after 30 to 50 iterations to be quick: whether a failed call
# changes nothing is the question, not whether they converge.
pytestmark = pytest.mark.filterwarnings(
    "ignore:L-BFGS-B did not converge:sklearn.exceptions.ConvergenceWarning",
    "ignore:trust-ncg did not converge:sklearn.exceptions.ConvergenceWarning",
)


def _state(clf):
    return dict(vars(clf))


def _fitted(clf):
    """The fitted attributes (scikit-learn's trailing underscore)."""
    return {key: value for key, value in vars(clf).items() if key.endswith("_")}


def _assert_unchanged(clf, before, X, proba_before):
    after = _fitted(clf)
    assert after.keys() == before.keys()
    for key, value in before.items():
        assert after[key] is value, key
    np.testing.assert_array_equal(clf.predict_proba(X), proba_before)


class Injected(Exception):
    """The failure a test injects."""


def _fail_on_call(monkeypatch, owner, name, call_number, exception):
    """Make ``owner.name`` raise ``exception`` on its ``call_number``-th call."""
    original = getattr(owner, name)
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == call_number:
            raise exception
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)
    return calls


STAGES = {
    # stage: (object, attribute, call number)
    "start vector": (_classifier, "_glorot_start", 1),
    "first evaluation": (InMemoryRows, "data_loss_gradient", 1),
    "mid-solve": (InMemoryRows, "data_loss_gradient", 6),
    "first Hessian evaluation": (InMemoryRows, "data_hessian_product", 1),
    "mid-solve trust-ncg": (InMemoryRows, "data_hessian_product", 4),
    "held-out loss": (ValidationMonitor, "__call__", 3),
    "storing": (_classifier.TwoLayerSigmoidClassifier, "_fitted_attributes", 1),
}


def _params(stage):
    params = {"n_hidden": 4, "random_state": 0, "max_iter": 50}
    if "trust-ncg" in stage or "Hessian" in stage:
        params["solver"] = "trust-ncg"
    if stage == "held-out loss":
        params["early_stopping"] = True
    return params


@pytest.mark.parametrize("exception", [Injected("boom"), KeyboardInterrupt()])
@pytest.mark.parametrize("stage", list(STAGES))
def test_a_failed_refit_leaves_the_model_as_it_was(iris, monkeypatch, stage, exception):
    X, y = iris
    params = _params(stage)
    clf = TwoLayerSigmoidClassifier(**params).fit(X, y)
    before, proba = _fitted(clf), clf.predict_proba(X)
    calls = _fail_on_call(monkeypatch, *STAGES[stage], exception)
    # Refit on other targets and more units: everything would change.
    clf.set_params(n_hidden=6)
    with pytest.raises(type(exception)):
        clf.fit(X[:, :3], y == 1)
    assert calls  # the failure was reached
    _assert_unchanged(clf, before, X, proba)


@pytest.mark.parametrize("exception", [Injected("boom"), KeyboardInterrupt()])
@pytest.mark.parametrize("stage", list(STAGES))
def test_a_failed_first_fit_leaves_the_model_unfitted(
    iris, monkeypatch, stage, exception
):
    X, y = iris
    clf = TwoLayerSigmoidClassifier(**_params(stage))
    _fail_on_call(monkeypatch, *STAGES[stage], exception)
    with pytest.raises(type(exception)):
        clf.fit(X, y)
    assert _state(clf) == TwoLayerSigmoidClassifier(**_params(stage)).__dict__
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_invalid_input_on_refit_changes_nothing(iris):
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0).fit(X, y)
    before, proba = _fitted(clf), clf.predict_proba(X)
    X_bad = np.hstack([X, X])  # validation with reset=True sets n_features_in_ = 8
    X_bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(X_bad, y)
    _assert_unchanged(clf, before, X, proba)
    assert clf.n_features_in_ == 4


def test_issue_reproducer_memory_error_in_the_start_vector(iris):
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=5, random_state=0, max_iter=500)
    clf.fit(X, y)
    before, proba = _fitted(clf), clf.predict_proba(X)
    with pytest.raises(MemoryError):
        clf.set_params(n_hidden=10**12).fit(X, y > 0)
    _assert_unchanged(clf, before, X, proba)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    np.testing.assert_allclose(clf.predict_proba(X[:2]).sum(axis=1), 1.0)
    assert clf.predict(X[:2]).shape == (2,)


def test_issue_reproducer_tiny_weights_leave_a_fresh_model_unfitted(iris):
    # Weights of 1e-300 make alpha over Σ s_i overflow the solver: refused first.
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=5, random_state=0)
    with pytest.raises(ValueError, match="Lower alpha, or scale sample_weight up"):
        clf.fit(X, y, sample_weight=np.full(y.size, 1e-300))
    with pytest.raises(NotFittedError):
        clf.predict(X)
    assert _state(clf) == TwoLayerSigmoidClassifier(n_hidden=5, random_state=0).__dict__


# -- fit_transform, and the fit task's end (issue 33, defect 7) -----------------------
# 30 iterations: enough for a model to compare, not to converge.
_NOT_CONVERGED = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


@_NOT_CONVERGED
def test_fit_transform_is_fit_then_transform(iris):
    X, y = iris
    params = {"n_hidden": 3, "random_state": 0, "max_iter": 30}
    hidden = TwoLayerSigmoidClassifier(**params).fit_transform(X, y)
    reference = TwoLayerSigmoidClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(hidden, reference.transform(X))
    weights = np.linspace(0.5, 2.0, y.size)
    clf = TwoLayerSigmoidClassifier(**params, early_stopping=True)
    hidden = clf.fit_transform(X, y, weights, X_val=X[::3], y_val=y[::3])
    reference = TwoLayerSigmoidClassifier(**params, early_stopping=True)
    reference.fit(X, y, weights, X_val=X[::3], y_val=y[::3])
    np.testing.assert_array_equal(hidden, reference.transform(X))
    assert clf.best_iteration_ == reference.best_iteration_


@_NOT_CONVERGED
@pytest.mark.parametrize("fitted", [False, True])
@pytest.mark.parametrize("exception", [Injected("boom"), KeyboardInterrupt()])
def test_a_failed_transform_of_fit_transform_changes_nothing(
    iris, monkeypatch, exception, fitted
):
    """fit_transform fits, then transforms: a transform that fails must not leave
    the new model behind (the call failed), nor a half-fitted estimator."""
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0, max_iter=30)
    if fitted:
        clf.fit(X, y)
        before, proba = _fitted(clf), clf.predict_proba(X)
    state = _state(clf)
    _fail_on_call(monkeypatch, _prediction, "transform", 1, exception)
    with pytest.raises(type(exception)):
        clf.set_params(n_hidden=5).fit_transform(X[:, :3], y == 1)
    clf.set_params(n_hidden=3)
    if fitted:
        _assert_unchanged(clf, before, X, proba)
        np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    else:
        assert _state(clf) == state
        with pytest.raises(NotFittedError):
            clf.predict(X)


@_NOT_CONVERGED
def test_fit_transform_refused_by_the_output_on_dask_changes_nothing(
    dask_threads, iris
):
    """The issue's reproducer: fit_transform on Dask input with pandas output
    refitted the model (classes [0 1 2] -> [10 11 12]) and then refused."""
    da = pytest.importorskip("dask.array")
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0, max_iter=30)
    clf.fit(X, y).set_output(transform="pandas")
    before, proba = _fitted(clf), clf.predict_proba(X)
    X_dask, y_dask = da.from_array(X, chunks=50), da.from_array(y + 10, chunks=50)
    with pytest.raises(ValueError, match="would compute the whole Dask array"):
        clf.fit_transform(X_dask, y_dask)
    _assert_unchanged(clf, before, X, proba)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    fresh = TwoLayerSigmoidClassifier(n_hidden=3).set_output(transform="pandas")
    with pytest.raises(ValueError, match="would compute the whole Dask array"):
        fresh.fit_transform(X_dask, y_dask)
    with pytest.raises(NotFittedError):
        fresh.predict(X)
    # With the default output the same call fits, lazily transformed.
    hidden = clf.set_output(transform="default").fit_transform(X_dask, y_dask)
    np.testing.assert_array_equal(clf.classes_, [10, 11, 12])
    np.testing.assert_allclose(hidden.compute(), clf.transform(X), rtol=1e-12)


@_NOT_CONVERGED
def test_fit_transform_whose_output_cannot_be_made_on_a_device_changes_nothing(iris):
    """polars cannot read an array-api-strict array: fit_transform fitted, then
    raised polars's TypeError, keeping the new model."""
    pytest.importorskip("polars")
    strict = pytest.importorskip("array_api_strict")
    from sklearn import config_context

    from sklearn_twolayer._sklearn_compat import ARRAY_API_VERSION, sklearn_at_least

    if not sklearn_at_least(ARRAY_API_VERSION):
        pytest.skip("array API dispatch needs a newer scikit-learn")
    X, y = iris
    with config_context(array_api_dispatch=True):
        X_strict, y_strict = strict.asarray(X), strict.asarray(y)
        clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0, max_iter=30)
        clf.fit(X_strict, y_strict)
        before = _fitted(clf)
        proba = clf.predict_proba(X_strict)
        clf.set_output(transform="polars")
        with pytest.raises(TypeError):
            clf.fit_transform(X_strict, strict.asarray(y + 10))
        assert _fitted(clf).keys() == before.keys()
        for key, value in before.items():
            assert _fitted(clf)[key] is value, key
        assert np.array_equal(
            np.asarray(clf.predict_proba(X_strict)), np.asarray(proba)
        )


class _FailingAtTheEndOfTheFit:
    """A callback whose end hook of the fit task raises: the fit call fails."""

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.task_name == "fit":
            raise Injected("the fit task's end hook failed")


@_NOT_CONVERGED
@pytest.mark.parametrize("method", ["fit", "fit_transform"])
def test_a_callback_failing_at_the_end_of_the_fit_changes_nothing(iris, method):
    """The fit task's end hook runs once the fitted state is assigned (it is the
    task's model): when it raises, the call failed and the state goes back."""
    pytest.importorskip("sklearn.callback")
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0, max_iter=30)
    clf.fit(X, y)
    before, proba = _fitted(clf), clf.predict_proba(X)
    clf.set_callbacks(_FailingAtTheEndOfTheFit())
    with pytest.raises(Injected):
        getattr(clf, method)(X[:, :3], y == 1)
    _assert_unchanged(clf, before, X, proba)
    assert not hasattr(clf, "_callback_fit_ctx")  # torn down all the same


@_NOT_CONVERGED
@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
def test_a_refused_warm_start_of_fit_transform_changes_nothing(iris, solver):
    X, y = iris
    clf = TwoLayerSigmoidClassifier(
        n_hidden=3, random_state=0, max_iter=30, warm_start=True, solver=solver
    )
    clf.fit(X, y)
    before, proba = _fitted(clf), clf.predict_proba(X)
    with pytest.raises(ValueError, match="warm_start=True needs the same classes"):
        clf.fit_transform(X, y == 1)
    with pytest.raises(ValueError, match="warm_start=True needs the same n_hidden"):
        clf.set_params(n_hidden=4).fit_transform(X, y)
    _assert_unchanged(clf, before, X, proba)


REFUSALS = ["unseen validation label", "overflowing weights", "other classes"]


def _refused_refit(X, y, refusal, as_rows):
    """A refit refused once the training rows are validated, in ``as_rows``'s
    kind of arrays: (parameters to set, fit's arguments, the error's words)."""
    if refusal == "unseen validation label":
        kwargs = {"X_val": as_rows(X[:10]), "y_val": as_rows(y[:10] + 7)}
        return {"early_stopping": True}, (as_rows(X), as_rows(y)), kwargs, "unseen"
    if refusal == "overflowing weights":
        kwargs = {"sample_weight": as_rows(np.full(y.size, 1e307))}
        return {}, (as_rows(X), as_rows(y)), kwargs, "would overflow"
    return {"warm_start": True}, (as_rows(X), as_rows(y + 10)), {}, "same classes"


@_NOT_CONVERGED
@pytest.mark.parametrize("method", ["fit", "fit_transform"])
@pytest.mark.parametrize("refusal", REFUSALS)
@pytest.mark.parametrize("backend", ["dask", "array_api"])
def test_a_refused_refit_on_another_backend_changes_nothing(
    iris, request, backend, refusal, method
):
    """The same one fit path for every backend: Dask's persisted blocks and a
    device's rows are the working copy's, never the estimator's."""
    X, y = iris
    if backend == "dask":
        request.getfixturevalue("dask_threads")
        da = pytest.importorskip("dask.array")

        def as_rows(a):
            return da.from_array(a, chunks=50)

        context = contextlib.nullcontext()
    else:
        torch = pytest.importorskip("torch")
        from sklearn import config_context

        from sklearn_twolayer._sklearn_compat import (
            ARRAY_API_VERSION,
            sklearn_at_least,
        )

        if not sklearn_at_least(ARRAY_API_VERSION):
            pytest.skip("array API dispatch needs a newer scikit-learn")
        as_rows, context = torch.asarray, config_context(array_api_dispatch=True)
    with context:
        clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0, max_iter=30)
        clf.fit(as_rows(X), as_rows(y))
        before = _fitted(clf)
        params, args, kwargs, words = _refused_refit(X, y, refusal, as_rows)
        clf.set_params(**params)
        with pytest.raises(ValueError, match=words):
            getattr(clf, method)(*args, **kwargs)
        assert _fitted(clf).keys() == before.keys()
        for key, value in before.items():
            assert _fitted(clf)[key] is value, key


class _FitsItsOwnWay(TwoLayerSigmoidClassifier):
    """A subclass whose fit is its own (as a cross-validating subclass's is)."""

    def fit(self, X, y, sample_weight=None, **params):
        self.own_fit_calls = getattr(self, "own_fit_calls", 0) + 1
        return super().fit(X, y, sample_weight, **params)


@_NOT_CONVERGED
@pytest.mark.parametrize("exception", [Injected("boom"), KeyboardInterrupt()])
def test_fit_transform_of_a_subclass_is_its_fit_then_transform(
    iris, monkeypatch, exception
):
    X, y = iris
    clf = _FitsItsOwnWay(n_hidden=3, random_state=0, max_iter=30)
    weights = np.linspace(0.5, 2.0, y.size)
    hidden = clf.fit_transform(X, y, weights)
    assert clf.own_fit_calls == 1
    reference = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0, max_iter=30)
    np.testing.assert_array_equal(hidden, reference.fit(X, y, weights).transform(X))
    before, proba = _fitted(clf), clf.predict_proba(X)
    state = _state(clf)
    _fail_on_call(monkeypatch, _prediction, "transform", 1, exception)
    with pytest.raises(type(exception)):
        clf.fit_transform(X[:, :3], y == 1)
    assert _state(clf) == state  # own_fit_calls included: as it was
    monkeypatch.undo()
    _assert_unchanged(clf, before, X, proba)
