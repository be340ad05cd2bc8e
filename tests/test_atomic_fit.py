"""A fit is atomic: one that fails or is interrupted changes nothing.

Failures are injected at every stage of the one fit path (validation, start vector,
first evaluation, mid-solve, early stopping's held-out loss, storing the result), as
exceptions and as ``KeyboardInterrupt``, with both solvers. A previously fitted
model must keep every fitted attribute (the same objects) and predict as before; a
never-fitted estimator must stay unfitted (``NotFittedError``, not AttributeError).
"""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier, _classifier
from sklearn_twolayer._backends.in_memory import InMemoryRows
from sklearn_twolayer._solver import ValidationMonitor


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


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
