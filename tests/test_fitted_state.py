"""A prediction reads one fitted state, whole, even while a refit runs.

Issue 20, defect 8: validation set ``n_features_in_`` at the start of a refit while
the weights changed at its end, so a callback predicting during a refit from 4 to 2
features saw ``n_features_in_ = 2`` next to a ``W1_`` of 4 columns, and threads
predicting while another refitted binary <-> multiclass got shapes (100, 6) and
(100, 1) and rows not summing to 1. A fit now assigns every attribute, those of
validation included, in one assignment, and each prediction reads the state once.
"""

import sys
import threading
import warnings

import numpy as np
import pytest
from _fitting import fit_ignoring_convergence_warnings

from sklearn_twolayer import TwoLayerSigmoidClassifier

PREDICTIONS = [
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "input_gradient",
    "transform",
]


class PredictingCallback:
    """At every iteration of a fit, predict with the estimator being fitted and
    record what it holds, and what the iteration's own model holds."""

    def __init__(self, X_old, X_new):
        self.X_old, self.X_new = X_old, X_new
        self.seen, self.iteration_models = [], []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name != "iteration":
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no feature-name warning either
            self.seen.append(
                {
                    "n_features_in_": estimator.n_features_in_,
                    "W1_columns": estimator.W1_.shape[1],
                    "names": getattr(estimator, "feature_names_in_", None),
                    "proba": estimator.predict_proba(self.X_old),
                }
            )
            self.iteration_models.append(
                (
                    fitted_estimator.n_features_in_,
                    fitted_estimator.predict_proba(self.X_new).shape,
                )
            )
        return False


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("names", ["array", "dataframe"])
def test_a_callback_predicting_during_a_refit_sees_the_previous_model(
    iris, solver, early_stopping, names
):
    pytest.importorskip("sklearn.callback")  # scikit-learn >= 1.9
    X, y = iris
    X_old = X
    if names == "dataframe":  # the refit on an array drops feature_names_in_
        pd = pytest.importorskip("pandas")
        X_old = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    params = dict(
        n_hidden=3,
        random_state=0,
        max_iter=8,
        solver=solver,
        early_stopping=early_stopping,
    )
    clf = TwoLayerSigmoidClassifier(**params)
    fit_ignoring_convergence_warnings(clf, X_old, y)
    proba = clf.predict_proba(X_old)
    W1 = clf.W1_
    callback = PredictingCallback(X_old, X[:, :2])
    clf.set_callbacks(callback)
    # 4 -> 2 features, multiclass -> binary
    fit_ignoring_convergence_warnings(clf, X[:, :2], y == 1)
    assert callback.seen
    for seen in callback.seen:
        assert seen["n_features_in_"] == seen["W1_columns"] == 4
        if names == "dataframe":
            np.testing.assert_array_equal(seen["names"], ["a", "b", "c", "d"])
        np.testing.assert_array_equal(seen["proba"], proba)
    # Each iteration's model is the refit's own: 2 features, binary.
    assert set(callback.iteration_models) == {(2, (X.shape[0], 2))}
    # After the refit, its state, whole.
    assert clf.n_features_in_ == clf.W1_.shape[1] == 2
    assert not hasattr(clf, "feature_names_in_")
    assert clf.W1_ is not W1


def _reference_predictions(X, y, params):
    """The predictions of the binary and of the multiclass model, per method."""
    binary = TwoLayerSigmoidClassifier(**params).fit(X, y == 1)
    multiclass = TwoLayerSigmoidClassifier(**params).fit(X, y)
    return {
        method: [getattr(model, method)(X) for model in (binary, multiclass)]
        for method in PREDICTIONS
    }


def test_threads_predicting_during_refits_get_one_model_or_the_other(iris):
    X, y = iris
    X = X[:100]
    y = y[:100] % 3
    y[::7] = 2  # three classes in the first 100 rows
    params = dict(n_hidden=3, alpha=1.0, random_state=0)
    expected = _reference_predictions(X, y, params)
    clf = TwoLayerSigmoidClassifier(**params).fit(X, y == 1)
    done = threading.Event()
    failures, counts = [], []

    def predict(method):
        n = 0
        while not done.is_set():
            result = getattr(clf, method)(X)
            if not any(
                result.shape == reference.shape and np.array_equal(result, reference)
                for reference in expected[method]
            ):
                failures.append((method, result.shape))
                return
            if method == "predict_proba":
                np.testing.assert_allclose(result.sum(axis=1), 1.0)
            n += 1
        counts.append(n)

    def refit():
        try:
            for i in range(30):
                clf.fit(X, y if i % 2 == 0 else y == 1)
        finally:
            done.set()

    # Switch threads as often as possible, so that a prediction is interrupted
    # between any two of its reads of the estimator.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [
            threading.Thread(target=predict, args=(method,)) for method in PREDICTIONS
        ]
        threads.append(threading.Thread(target=refit))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures, failures[:5]
    assert len(counts) == len(PREDICTIONS) and min(counts) > 0
