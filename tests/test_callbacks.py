"""scikit-learn's callback API on the estimator: progress bars, monitoring, stops.

The intermediate models a ``ScoringMonitor`` scores are checked against real fits:
the score logged at iteration k is that of a separate fit stopped at ``max_iter=k``
from the same start, and the fit's own row is ``clf.score``. A stop request is
checked against the same separate fit, weight for weight.
"""

import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from _fitting import fit_ignoring_convergence_warnings
from _problems import standardized_breast_cancer
from numpy.testing import assert_array_equal

# The callback API is scikit-learn 1.9's (refused before: test_sklearn_compat.py).
pytest.importorskip("sklearn.callback")
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_html_repr

import sklearn_twolayer._classifier as classifier_module
from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._callbacks import FitCallbacks, parameters_as_attributes
from sklearn_twolayer._classifier import _glorot_start
from sklearn_twolayer._solver import IterationCallback, minimize_lbfgs
from sklearn_twolayer.network import ParameterLayout

pytest.importorskip("rich")

SOLVERS = ["lbfgs", "trust-ncg"]
PARAMETERS = ("W1_", "b1_", "W2_", "b2_")
SCORING = ["accuracy", "neg_log_loss"]


@pytest.fixture(scope="module")
def data():
    X, y = standardized_breast_cancer()
    return X[::2], y[::2]  # 285 rows: fits of a few dozen milliseconds


class Recorder:
    """A callback that records its hook calls and can ask to stop after iteration k.

    Its hooks ask for ``fitted_estimator``; the recorded models are reduced to
    copies of their parameters.
    """

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.calls = []

    def setup(self, estimator, context):
        self.calls.append(("setup", None, None, None))

    def teardown(self, estimator, context):
        self.calls.append(("teardown", None, None, None))

    def on_fit_task_begin(
        self, estimator, context, *, metadata=None, fitted_estimator=None
    ):
        self._record("begin", context, metadata, fitted_estimator)

    def on_fit_task_end(
        self, estimator, context, *, metadata=None, fitted_estimator=None
    ):
        return self._record("end", context, metadata, fitted_estimator)

    def _record(self, hook, context, metadata, model):
        self.calls.append((hook, context.task_name, metadata, _params(model)))
        return (
            hook == "end"
            and context.task_name == "iteration"
            and self.stop_after is not None
            and context.task_id + 1 == self.stop_after
        )

    def of(self, hook, task_name="iteration"):
        return [c for c in self.calls if c[0] == hook and c[1] == task_name]


class NonScoringRecorder(Recorder):
    """The same, with hooks that ask for no model (as a ``ProgressBar``)."""

    def on_fit_task_begin(self, estimator, context, *, metadata=None):
        self._record("begin", context, metadata, None)

    def on_fit_task_end(self, estimator, context, *, metadata=None):
        return self._record("end", context, metadata, None)


def _params(model):
    if model is None:
        return None
    return tuple(np.array(getattr(model, name)) for name in PARAMETERS)


def _assert_same_parameters(a, b):
    for name in PARAMETERS:
        assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def _scores_by_iteration(monitor):
    """{iteration number (1-based): row} and the fit's row, of the latest run."""
    rows = monitor.get_logs().data
    fit_rows = [row for row in rows if row["task_name"] == "fit"]
    iterations = {
        row["task_id"] + 1: row for row in rows if row["task_name"] == "iteration"
    }
    return iterations, fit_rows


# -- the package's import stays light ------------------------------------------------
def test_import_does_not_import_sklearn_callback_or_rich():
    code = textwrap.dedent(
        """
        import sys
        import sklearn_twolayer
        print(sorted(m for m in sys.modules if m.split(".")[0] == "rich"
                     or m.startswith("sklearn.callback")))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_set_callbacks_is_scikit_learns():
    clf = TwoLayerSigmoidClassifier()
    recorder = Recorder()
    assert clf.set_callbacks(recorder) is clf
    assert clf._skl_callbacks == [recorder]
    with pytest.raises(TypeError, match="FitCallback protocol"):
        clf.set_callbacks(object())
    clf.set_callbacks()
    assert not hasattr(clf, "_skl_callbacks")


def test_set_callbacks_none_removes_them_as_documented(data):
    """Issue 33, defect 8: set_callbacks(None), documented to remove the
    callbacks, raised scikit-learn's TypeError (None is no FitCallback)."""
    X, y = data
    recorder = Recorder()
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0)
    assert clf.set_callbacks(recorder).set_callbacks(None) is clf
    assert not hasattr(clf, "_skl_callbacks")
    fit_ignoring_convergence_warnings(clf, X, y)
    assert recorder.calls == []  # removed: never called
    with pytest.raises(TypeError, match="FitCallback protocol"):
        clf.set_callbacks(recorder, None)  # None among callbacks is an error


# -- point 1: one subtask per iteration, lazy models, metadata ------------------------
@pytest.mark.parametrize("solver", SOLVERS)
def test_one_subtask_per_iteration_with_its_model(data, solver):
    X, y = data
    recorder = Recorder()
    clf = TwoLayerSigmoidClassifier(n_hidden=4, solver=solver, random_state=0)
    clf = fit_ignoring_convergence_warnings(clf.set_callbacks(recorder), X, y)
    hooks = [c[:2] for c in recorder.calls]
    assert hooks[:2] == [("setup", None), ("begin", "fit")]
    assert hooks[-2:] == [("end", "fit"), ("teardown", None)]
    # begin/end pairs, one per iteration, in order
    assert hooks[2:-2] == [("begin", "iteration"), ("end", "iteration")] * clf.n_iter_
    # the model at the end of the last iteration is the fitted model
    last = recorder.of("end")[-1][3]
    for value, name in zip(last, PARAMETERS, strict=True):
        assert_array_equal(value, getattr(clf, name))
    # each iteration begins with the model the previous one ended with
    ends, begins = recorder.of("end"), recorder.of("begin")
    for previous_end, begin in zip(ends[:-1], begins[1:], strict=True):
        for a, b in zip(previous_end[3], begin[3], strict=True):
            assert_array_equal(a, b)
    # the first iteration begins with the start vector, MLPClassifier's draw
    layout = ParameterLayout(X.shape[1], 4, 1)
    start = layout.unpack(_glorot_start(layout, np.random.RandomState(0)))
    for a, b in zip(begins[0][3], start, strict=True):
        assert_array_equal(a, b)
    assert recorder.calls[1][3] is None  # the fit task begins with no model


def test_metadata_carries_sample_weight(data):
    X, y = data
    sample_weight = np.linspace(0.5, 2.0, y.size)
    recorder = Recorder()
    clf = TwoLayerSigmoidClassifier(n_hidden=3, max_iter=5, random_state=0)
    fit_ignoring_convergence_warnings(
        clf.set_callbacks(recorder), X, y, sample_weight=sample_weight
    )
    hook_calls = [c for c in recorder.calls if c[0] in ("begin", "end")]
    assert len(hook_calls) == 2 * (clf.n_iter_ + 1)
    for call in hook_calls:
        assert call[2]["sample_weight"] is sample_weight
    recorder = Recorder()
    fit_ignoring_convergence_warnings(clf.set_callbacks(recorder), X, y)
    assert all(c[2] == {} for c in recorder.calls if c[0] in ("begin", "end"))


@pytest.mark.parametrize("want_model", [False, True])
def test_models_are_built_only_when_a_callback_asks(data, monkeypatch, want_model):
    built = []
    original = classifier_module.parameters_as_attributes

    def counting(layout, dtype, **fixed):
        attributes = original(layout, dtype, **fixed)

        def counted(theta):
            built.append(1)
            return attributes(theta)

        return counted

    monkeypatch.setattr(classifier_module, "parameters_as_attributes", counting)
    X, y = data
    clf = TwoLayerSigmoidClassifier(n_hidden=3, max_iter=6, random_state=0)
    recorder = Recorder() if want_model else NonScoringRecorder()
    fit_ignoring_convergence_warnings(clf.set_callbacks(recorder), X, y)
    # a begin and an end model per iteration when asked, none otherwise
    assert len(built) == (2 * clf.n_iter_ if want_model else 0)


# -- point 2: stop requests ------------------------------------------------------------
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("k", [1, 4])
def test_stop_request_at_iteration_k(data, solver, k):
    X, y = data
    params = {"n_hidden": 4, "solver": solver, "random_state": 0}
    stopped = TwoLayerSigmoidClassifier(**params).set_callbacks(Recorder(stop_after=k))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a stop is not a failure
        stopped.fit(X, y)
    assert stopped.n_iter_ == k
    assert len(stopped.loss_curve_) == k
    with pytest.warns(ConvergenceWarning, match=f"reached max_iter={k}"):
        budget = TwoLayerSigmoidClassifier(max_iter=k, **params).fit(X, y)
    _assert_same_parameters(stopped, budget)
    assert stopped.loss_ == budget.loss_


@pytest.mark.parametrize("solver", SOLVERS)
def test_stop_request_with_early_stopping_keeps_the_best_iterate_so_far(data, solver):
    X, y = data
    params = {
        "n_hidden": 6,
        # weakly penalised: the fit runs past k iterations (with the default
        # alpha=2, trust-ncg converges in 7)
        "alpha": 1e-4,
        "solver": solver,
        "early_stopping": True,
        "n_iter_no_change": 50,
        "random_state": 0,
    }
    k = 8
    stopped = TwoLayerSigmoidClassifier(**params).set_callbacks(Recorder(stop_after=k))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        stopped.fit(X, y)
    assert stopped.n_iter_ == k
    assert len(stopped.validation_loss_curve_) == k
    with pytest.warns(ConvergenceWarning):
        budget = TwoLayerSigmoidClassifier(max_iter=k, **params).fit(X, y)
    # the kept parameters are the best-validation iterate among the k run
    assert stopped.best_iteration_ == budget.best_iteration_ <= k
    assert stopped.best_validation_loss_ == min(stopped.validation_loss_curve_)
    _assert_same_parameters(stopped, budget)


def test_early_stopping_stops_first_and_the_callback_hears_every_iteration(data):
    X, y = data
    params = {"n_hidden": 6, "early_stopping": True, "n_iter_no_change": 2}
    plain = TwoLayerSigmoidClassifier(**params, random_state=0).fit(X, y)
    recorder = Recorder(stop_after=plain.n_iter_ + 5)
    watched = TwoLayerSigmoidClassifier(**params, random_state=0)
    watched.set_callbacks(recorder).fit(X, y)
    assert watched.n_iter_ == plain.n_iter_
    assert len(recorder.of("end")) == plain.n_iter_
    _assert_same_parameters(watched, plain)


# -- point 3: callbacks change nothing -------------------------------------------------
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_callbacks_give_bit_identical_fits(data, solver, early_stopping, capsys):
    X, y = data
    params = {
        "n_hidden": 5,
        "solver": solver,
        "early_stopping": early_stopping,
        "random_state": 0,
    }
    plain = fit_ignoring_convergence_warnings(TwoLayerSigmoidClassifier(**params), X, y)
    watched = TwoLayerSigmoidClassifier(**params).set_callbacks(
        ScoringMonitor(scoring=SCORING), Recorder(), ProgressBar()
    )
    fit_ignoring_convergence_warnings(watched, X, y)
    _assert_same_parameters(watched, plain)
    assert watched.n_iter_ == plain.n_iter_
    assert watched.loss_curve_ == plain.loss_curve_
    assert watched.loss_ == plain.loss_
    if early_stopping:
        assert watched.validation_loss_curve_ == plain.validation_loss_curve_


# -- point 5: the monitor's log holds real models --------------------------------------
@pytest.mark.parametrize("solver", SOLVERS)
def test_scoring_monitor_log_rows_and_fit_score(data, solver):
    X, y = data
    monitor = ScoringMonitor(scoring=SCORING)
    clf = TwoLayerSigmoidClassifier(n_hidden=4, solver=solver, random_state=0)
    fit_ignoring_convergence_warnings(clf.set_callbacks(monitor), X, y)
    log = monitor.get_logs()
    assert log.estimator_name == "TwoLayerSigmoidClassifier"
    iterations, fit_rows = _scores_by_iteration(monitor)
    assert len(log.data) == clf.n_iter_ + 1
    assert sorted(iterations) == list(range(1, clf.n_iter_ + 1))
    assert len(fit_rows) == 1
    assert fit_rows[0]["accuracy"] == clf.score(X, y)
    assert fit_rows[0]["neg_log_loss"] == -_log_loss(clf, X, y)
    # the last iteration's model is the fitted one
    assert iterations[clf.n_iter_]["neg_log_loss"] == fit_rows[0]["neg_log_loss"]


def test_scoring_monitor_fit_score_with_sample_weight(data):
    X, y = data
    sample_weight = np.where(y == 1, 0.5, 3.0)
    monitor = ScoringMonitor(scoring="accuracy")
    clf = TwoLayerSigmoidClassifier(n_hidden=3, max_iter=8, random_state=0)
    fit_ignoring_convergence_warnings(
        clf.set_callbacks(monitor), X, y, sample_weight=sample_weight
    )
    _, fit_rows = _scores_by_iteration(monitor)
    weighted = clf.score(X, y, sample_weight=sample_weight)
    assert fit_rows[0]["accuracy"] == weighted != clf.score(X, y)


def _log_loss(clf, X, y):
    """The monitor's own scorer, applied to a fitted estimator."""
    return -get_scorer("neg_log_loss")(clf, X, y)


@pytest.mark.parametrize("solver", SOLVERS)
def test_score_at_iteration_k_is_that_of_a_fit_stopped_at_k(data, solver):
    X, y = data
    params = {"n_hidden": 4, "solver": solver, "random_state": 0}
    monitor = ScoringMonitor(scoring=SCORING)
    clf = TwoLayerSigmoidClassifier(**params).set_callbacks(monitor)
    fit_ignoring_convergence_warnings(clf, X, y)
    iterations, _ = _scores_by_iteration(monitor)
    assert clf.n_iter_ > 7
    for k in (1, 2, 7):
        with pytest.warns(ConvergenceWarning):
            at_k = TwoLayerSigmoidClassifier(max_iter=k, **params).fit(X, y)
        assert iterations[k]["accuracy"] == at_k.score(X, y)
        assert iterations[k]["neg_log_loss"] == -_log_loss(at_k, X, y)


# -- point 4: everywhere a fit runs ----------------------------------------------------
def test_progress_bar_output(data, capsys):
    X, y = data
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0)
    fit_ignoring_convergence_warnings(clf.set_callbacks(ProgressBar()), X, y)
    out = capsys.readouterr().out
    assert re.search(r"TwoLayerSigmoidClassifier - fit\s.*100%", out)
    assert not re.search(r"\b[0-9]{1,2}%", out)  # the finished bar only


def test_verbose_keeps_its_output_with_callbacks(data, capsys):
    X, y = data
    clf = TwoLayerSigmoidClassifier(n_hidden=3, max_iter=4, verbose=1, random_state=0)
    fit_ignoring_convergence_warnings(clf.set_callbacks(ProgressBar()), X, y)
    out = capsys.readouterr().out
    for i in range(1, 5):
        assert f"Iteration {i}: objective = " in out
    assert "TwoLayerSigmoidClassifier - fit" in out


def test_warm_start_continues_from_the_previous_model(data):
    X, y = data
    recorder = Recorder()
    clf = TwoLayerSigmoidClassifier(n_hidden=4, max_iter=5, warm_start=True)
    fit_ignoring_convergence_warnings(clf.set_params(random_state=0), X, y)
    before = tuple(np.array(getattr(clf, name)) for name in PARAMETERS)
    fit_ignoring_convergence_warnings(clf.set_callbacks(recorder), X, y)
    first_begin = recorder.of("begin")[0][3]
    for a, b in zip(first_begin, before, strict=True):
        assert_array_equal(a, b)
    assert len(recorder.of("end")) == clf.n_iter_ == 5


class CurveRecorder(Recorder):
    """Records each model's ``loss_curve_`` and ``loss_`` (issue 20)."""

    def _record(self, hook, context, metadata, model):
        if context.task_name == "iteration":
            self.calls.append((hook, list(model.loss_curve_), model.loss_))
        return False


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
def test_warm_start_models_carry_this_fits_curve_not_the_previous(data, solver):
    """After a warm start the estimator still holds the previous fit's loss_curve_
    and loss_; the model of iteration k must show this fit's first k values."""
    X, y = data
    clf = TwoLayerSigmoidClassifier(n_hidden=4, max_iter=5, warm_start=True)
    fit_ignoring_convergence_warnings(
        clf.set_params(random_state=0, solver=solver), X, y
    )
    previous_curve = list(clf.loss_curve_)
    recorder = CurveRecorder()
    fit_ignoring_convergence_warnings(clf.set_callbacks(recorder), X, y)
    assert clf.loss_curve_ != previous_curve
    begins = [c for c in recorder.calls if c[0] == "begin"]
    ends = [c for c in recorder.calls if c[0] == "end"]
    assert begins[0][1:] == ([], None)  # the start: no iteration of this fit yet
    for k, (_, curve, loss) in enumerate(ends, start=1):
        assert curve == clf.loss_curve_[:k]
        assert loss == clf.loss_curve_[k - 1]
    for k, (_, curve, loss) in enumerate(begins[1:], start=1):
        assert curve == clf.loss_curve_[:k] and loss == clf.loss_curve_[k - 1]


class EarlyStoppingRecorder(Recorder):
    """Records each iteration model's early-stopping attributes (issue 20)."""

    def _record(self, hook, context, metadata, model):
        if context.task_name == "iteration":
            curve = model.validation_loss_curve_
            self.calls.append(
                (
                    hook,
                    None if curve is None else list(curve),
                    model.best_validation_loss_,
                    model.best_iteration_,
                )
            )
        return False


def _best_after(start_loss, curve):
    """(best loss, its iteration) over the start and ``curve``, strictly lower wins."""
    best, at = start_loss, 0
    for k, value in enumerate(curve, start=1):
        if value < best:
            best, at = value, k
    return best, at


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
def test_warm_start_models_carry_this_fits_early_stopping_state(data, solver):
    """After a warm start with early stopping, the model of iteration k shows this
    fit's validation curve up to k and its best so far, not the previous fit's."""
    X, y = data
    clf = TwoLayerSigmoidClassifier(
        n_hidden=4,
        max_iter=6,
        warm_start=True,
        early_stopping=True,
        n_iter_no_change=50,
        solver=solver,
        random_state=0,
    )
    fit_ignoring_convergence_warnings(clf, X, y)
    previous_curve = list(clf.validation_loss_curve_)
    recorder = EarlyStoppingRecorder()
    fit_ignoring_convergence_warnings(clf.set_callbacks(recorder), X, y)
    curve = list(clf.validation_loss_curve_)
    assert curve != previous_curve[: len(curve)]
    begins = [c for c in recorder.calls if c[0] == "begin"]
    ends = [c for c in recorder.calls if c[0] == "end"]
    assert len(ends) == clf.n_iter_ == len(curve)
    # The start's validation loss: the best of the first model, before any iteration.
    assert begins[0][1:] == ([], begins[0][2], 0)
    start_loss = begins[0][2]
    for k, (_, model_curve, best_loss, best_iteration) in enumerate(ends, start=1):
        assert model_curve == curve[:k]
        assert (best_loss, best_iteration) == _best_after(start_loss, curve[:k])
    for k, (_, model_curve, best_loss, best_iteration) in enumerate(
        begins[1:], start=1
    ):
        assert model_curve == curve[:k]
        assert (best_loss, best_iteration) == _best_after(start_loss, curve[:k])
    assert (ends[-1][2], ends[-1][3]) == (
        clf.best_validation_loss_,
        clf.best_iteration_,
    )


def test_models_of_a_refit_without_early_stopping_have_none_of_the_previous(data):
    """A warm refit without early stopping after one with it: the iteration models
    show no validation curve, as the fitted estimator will."""
    X, y = data
    clf = TwoLayerSigmoidClassifier(
        n_hidden=4, max_iter=4, warm_start=True, early_stopping=True, random_state=0
    )
    fit_ignoring_convergence_warnings(clf, X, y)
    assert clf.validation_loss_curve_ is not None
    recorder = EarlyStoppingRecorder()
    fit_ignoring_convergence_warnings(
        clf.set_params(early_stopping=False).set_callbacks(recorder), X, y
    )
    assert clf.validation_loss_curve_ is None
    assert recorder.calls
    assert all(call[1:] == (None, None, None) for call in recorder.calls)


def test_pipeline_propagates_the_progress_bar(data, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    X, y = data
    pipe = make_pipeline(
        StandardScaler(), TwoLayerSigmoidClassifier(n_hidden=3, random_state=0)
    )
    fit_ignoring_convergence_warnings(
        pipe.set_callbacks(ProgressBar(max_propagation_depth=None)), X, y
    )
    out = capsys.readouterr().out
    assert "Pipeline - fit" in out
    assert re.search(r"Pipeline - .*\| TwoLayerSigmoidClassifier - fit", out)
    assert not re.search(r"\b[0-9]{1,2}%", out)


def test_scoring_monitor_on_the_estimator_inside_a_pipeline(data):
    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0).set_callbacks(monitor)
    pipe = Pipeline([("scale", StandardScaler()), ("net", clf)])
    fit_ignoring_convergence_warnings(pipe, X, y)
    log = monitor.get_logs()
    assert log.estimator_name == "Pipeline"
    rows = [r for r in log.data if r["estimator_name"] == "TwoLayerSigmoidClassifier"]
    assert len(rows) == pipe["net"].n_iter_ + 1
    fit_row = next(r for r in rows if r["task_name"] == "fit")
    # X and y are those the estimator is fitted on: the scaled features
    assert fit_row["accuracy"] == pipe.score(X, y)


def test_grid_search_monitor_logs_every_candidates_iterations(iris):
    X, y = iris
    monitor = ScoringMonitor(scoring="accuracy")
    net = TwoLayerSigmoidClassifier(random_state=0, max_iter=30).set_callbacks(monitor)
    search = GridSearchCV(net, {"n_hidden": [2, 5]}, cv=2)
    fit_ignoring_convergence_warnings(search, X, y)
    log = monitor.get_logs()
    assert log.estimator_name == "GridSearchCV"
    fits = {r["task_id_path"] for r in log.data if r["task_name"] == "fit"}
    assert len(fits) == 2 * 2 + 1  # each candidate on each split, and the refit
    for path in fits:
        iterations = sorted(
            r["task_id"]
            for r in log.data
            if r["task_name"] == "iteration" and r["parent_task_id_path"] == path
        )
        assert iterations == list(range(len(iterations)))
        assert 1 <= len(iterations) <= 30
    # the refit's subtree is the best estimator's fit
    refit_path = max(fits)
    n_refit_iterations = sum(r["parent_task_id_path"] == refit_path for r in log.data)
    assert n_refit_iterations == search.best_estimator_.n_iter_


def test_grid_search_progress_bar_shows_the_nested_fits(iris, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich's width off a terminal: no cut lines
    X, y = iris
    net = TwoLayerSigmoidClassifier(random_state=0, max_iter=30)
    search = GridSearchCV(net, {"n_hidden": [2, 5]}, cv=2)
    search.set_callbacks(ProgressBar(max_propagation_depth=None))
    fit_ignoring_convergence_warnings(search, X, y)
    out = capsys.readouterr().out
    assert "GridSearchCV - fit" in out
    nested = re.findall(r"\| TwoLayerSigmoidClassifier - fit #\d+ .* 100%", out)
    assert len(nested) == 2 * 2 + 1
    assert not re.search(r"\b[0-9]{1,2}%", out)


# -- the solver's hook on its own --------------------------------------------------
class _CountingHook(IterationCallback):
    def __init__(self):
        self.events = []

    def begin_iteration(self):
        self.events.append("begin")

    def end_iteration(self, theta, loss):
        self.events.append("end")
        return False

    def abandon_iteration(self):
        self.events.append("abandon")


def test_an_iteration_that_never_completes_is_abandoned():
    # A wrong gradient sign: the line search of the first iteration fails.
    def wrong_gradient(theta):
        return float(theta @ theta), -2.0 * theta

    hook = _CountingHook()
    with pytest.warns(ConvergenceWarning, match="L-BFGS-B stopped"):
        result = minimize_lbfgs(
            wrong_gradient, np.ones(3), max_iter=10, max_fun=100, tol=0.0, callback=hook
        )
    assert result.n_iter == 0
    assert hook.events == ["begin", "abandon"]


def test_an_abandoned_iteration_ends_its_task_with_no_model(data):
    # The bridge on a run whose only iteration never completes (wrong gradient).
    X, y = data
    recorder = Recorder()
    clf = TwoLayerSigmoidClassifier(n_hidden=2).set_callbacks(recorder)
    clf.n_features_in_ = X.shape[1]
    layout = ParameterLayout(X.shape[1], 2, 1)
    theta0 = np.zeros(layout.size)
    callbacks = FitCallbacks(clf, X, y, None, max_iter=10)
    callbacks.begin()
    model = parameters_as_attributes(
        layout, np.float64, classes_=np.array([0, 1]), out_activation_="logistic"
    )
    bridge = callbacks.solver_callback(theta0, model)
    with pytest.warns(ConvergenceWarning, match="L-BFGS-B stopped"):
        minimize_lbfgs(
            lambda t: (float(t @ t) + 1.0, -2.0 * t - 1.0),
            theta0,
            max_iter=10,
            max_fun=100,
            tol=0.0,
            callback=bridge,
        )
    iteration_calls = [c for c in recorder.calls if c[1] == "iteration"]
    assert [c[0] for c in iteration_calls] == ["begin", "end"]
    assert iteration_calls[0][3] is not None  # it began with theta0's model
    assert iteration_calls[1][3] is None  # and ended with none


def test_the_base_hook_never_stops():
    hook = IterationCallback()
    assert hook.begin_iteration() is None
    assert hook.end_iteration(np.zeros(2), 1.0) is False
    assert hook.abandon_iteration() is None


# -- point 6: the HTML representation's documentation link ---------------------------
DOC_PAGE = (
    "https://sklearn-twolayer.readthedocs.io/en/stable/generated/"
    "sklearn_twolayer.TwoLayerSigmoidClassifier.html"
)


def test_html_repr_links_to_this_packages_api_page():
    clf = TwoLayerSigmoidClassifier()
    assert clf._get_doc_link() == DOC_PAGE
    html = estimator_html_repr(make_pipeline(StandardScaler(), clf))
    assert f'href="{DOC_PAGE}"' in html
    # scikit-learn's own estimators keep their links
    assert "https://scikit-learn.org/" in html
    assert "sklearn.preprocessing.StandardScaler.html" in html


class FailingAtIteration(Recorder):
    """Raises in the end hook of iteration k (an error of the callback's own)."""

    def on_fit_task_end(
        self, estimator, context, *, metadata=None, fitted_estimator=None
    ):
        super().on_fit_task_end(
            estimator, context, metadata=metadata, fitted_estimator=fitted_estimator
        )
        if context.task_name == "iteration" and context.task_id + 1 == self.stop_after:
            raise RuntimeError("callback failed")


def test_a_failed_fit_still_tears_the_callbacks_down(data, capsys):
    # The fit is atomic (a failure restores the estimator); the callbacks' context
    # must survive the restore, or a ProgressBar's thread would never be joined.
    X, y = data
    failing = FailingAtIteration(stop_after=2)
    bar = ProgressBar()
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0)
    clf.set_callbacks(failing, bar)
    with pytest.raises(RuntimeError, match="callback failed"):
        clf.fit(X, y)
    assert failing.calls[-1][0] == "teardown"
    assert not hasattr(clf, "W1_")
    assert not hasattr(clf, "_callback_fit_ctx")
    assert not bar._listener_handles  # the bar's run was closed
    # and the estimator fits again, with the same callbacks
    failing.stop_after = None
    fit_ignoring_convergence_warnings(clf, X, y)
    assert failing.calls[-1][0] == "teardown" and hasattr(clf, "W1_")
