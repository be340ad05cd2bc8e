"""TwoLayerSigmoidClassifierCV: the warm-started path per fold, the choice of alpha,
the refit, and the estimator's every kind of input (issue 31, point 3)."""

import re

import _reference
import numpy as np
import pytest
from _problems import standardized_breast_cancer
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import (
    make_multilabel_classification,
)
from sklearn.exceptions import NotFittedError
from sklearn.metrics import get_scorer, log_loss
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_common import _needs_a_cuda_device

from sklearn_twolayer import TwoLayerSigmoidClassifier, TwoLayerSigmoidClassifierCV
from sklearn_twolayer._cv import _label_log_loss, alpha_grid

# Small and quick: 4 alphas, 3 folds, 3 hidden units.
ALPHAS = [10.0, 1.0, 0.1, 0.01]
PARAMS = {"n_hidden": 3, "random_state": 0, "max_iter": 100}


# Every fit here stops early on purpose; what is checked does not depend on it.
pytestmark = pytest.mark.usefixtures("ignore_convergence_warnings")


@pytest.fixture(scope="module")
def cancer():
    X, y = standardized_breast_cancer()
    return X[::3], y[::3]  # 190 rows


def _folds(X, y, n_splits=3):
    return list(StratifiedKFold(n_splits).split(X, y))


def _manual_path(X, y, train, test, alphas, sample_weight=None, **params):
    """Each alpha's network and validation score, warm-started by hand."""
    net = TwoLayerSigmoidClassifier(**{**PARAMS, **params})
    fit_params = (
        {} if sample_weight is None else {"sample_weight": sample_weight[train]}
    )
    score_weight = None if sample_weight is None else sample_weight[test]
    networks, scores = [], []
    max_iter = net.max_iter
    for index, alpha in enumerate(alphas):
        # the first fit takes at most half of max_iter
        first = max_iter // 2 if index == 0 else max_iter
        net.set_params(alpha=alpha, warm_start=index > 0, max_iter=first).fit(
            X[train], y[train], **fit_params
        )
        net.set_params(max_iter=max_iter)
        proba = net.predict_proba(X[test])
        scores.append(
            -log_loss(y[test], proba, labels=net.classes_, sample_weight=score_weight)
        )
        networks.append(clone(net).set_params(warm_start=False))
        networks[-1].__dict__.update(
            {k: v for k, v in vars(net).items() if k.endswith("_")}
        )
    return networks, np.array(scores)


# -- what the path computes ------------------------------------------------------------
def test_scores_are_the_warm_started_estimators_validation_scores(cancer):
    X, y = cancer
    folds = _folds(X, y)
    cv = TwoLayerSigmoidClassifierCV(
        **PARAMS, alphas=ALPHAS, cv=folds, n_alphas_no_change=None
    ).fit(X, y)
    assert_array_equal(cv.alphas_, ALPHAS)
    assert cv.scores_.shape == cv.path_n_iter_.shape == (3, 4)
    for fold, (train, test) in enumerate(folds):
        networks, scores = _manual_path(X, y, train, test, ALPHAS)
        assert_allclose(cv.scores_[fold], scores, rtol=1e-12)  # rounding only
        assert_array_equal(cv.path_n_iter_[fold], [net.n_iter_ for net in networks])


def test_the_first_fit_takes_at_most_half_of_max_iter_and_the_others_all(cancer):
    """The path's first fit (the random start at the strongest alpha) is a start
    and a score: half of max_iter; the others and the refit have all of it."""
    X, y = cancer
    cv = TwoLayerSigmoidClassifierCV(
        **{**PARAMS, "max_iter": 9},
        tol=1e-12,
        alphas=ALPHAS,
        cv=3,
        n_alphas_no_change=None,
    ).fit(X, y)
    assert np.all(cv.path_n_iter_[:, 0] == 4)
    assert np.all(cv.path_n_iter_[:, 1:] == 9) and cv.n_iter_ == 9
    assert cv.max_iter == 9


def test_alpha_is_the_best_mean_score_and_the_refit_is_the_estimator_there(cancer):
    X, y = cancer
    cv = TwoLayerSigmoidClassifierCV(**PARAMS, alphas=ALPHAS, cv=3).fit(X, y)
    mean = cv.scores_.mean(axis=0)
    assert cv.alpha_ == cv.alphas_[np.argmax(mean)]
    # the refit: the estimator at alpha_ from the same random start, on all rows
    single = TwoLayerSigmoidClassifier(**PARAMS, alpha=cv.alpha_).fit(X, y)
    for name in ("W1_", "b1_", "W2_", "b2_"):
        assert_array_equal(getattr(cv, name), getattr(single, name))
    assert cv.n_iter_ == single.n_iter_ and cv.loss_curve_ == single.loss_curve_
    assert cv.loss_ == single.loss_
    assert cv.validation_loss_curve_ is None and cv.best_iteration_ is None
    for method in ("predict", "predict_proba", "predict_log_proba", "transform"):
        assert_array_equal(getattr(cv, method)(X), getattr(single, method)(X))
    assert_array_equal(cv.input_gradient(X[:5]), single.input_gradient(X[:5]))
    assert_allclose(cv.score(X, y), -log_loss(y, single.predict_proba(X)), rtol=1e-12)
    names = cv.get_feature_names_out()
    assert names[0] == "twolayersigmoidclassifiercv0" and len(names) == 3


def test_the_paths_end_together_when_a_fold_runs_out_of_patience(cancer):
    X, y = cancer
    alphas = alpha_grid(11)
    folds = _folds(X, y)
    full = TwoLayerSigmoidClassifierCV(
        **PARAMS, alphas=alphas, cv=folds, n_alphas_no_change=None
    ).fit(X, y)
    # a warm-started fit may take 0 iterations: its start already meets tol
    assert np.all(np.isfinite(full.scores_)) and np.all(full.path_n_iter_ >= 0)
    for patience in (1, 2):
        early = TwoLayerSigmoidClassifierCV(
            **PARAMS, alphas=alphas, cv=folds, n_alphas_no_change=patience
        ).fit(X, y)
        ends = []
        for fold in range(3):
            scores = full.scores_[fold]
            best_so_far = np.maximum.accumulate(scores)
            improved = np.r_[True, scores[1:] > best_so_far[:-1]]
            # the first alpha after `patience` alphas in a row without improvement
            run = 0
            last = len(alphas) - 1
            for index in range(len(alphas)):
                run = 0 if improved[index] else run + 1
                if run == patience:
                    last = index
                    break
            ends.append(last)
        # every fold ends at the first fold's end: the alphas past it, which
        # that fold did not reach, could not be chosen
        last = min(ends)
        assert_array_equal(early.scores_[:, : last + 1], full.scores_[:, : last + 1])
        assert np.all(early.scores_[:, last + 1 :] == -np.inf)
        assert np.all(early.path_n_iter_[:, last + 1 :] == -1)
        assert_array_equal(
            early.path_n_iter_[:, : last + 1], full.path_n_iter_[:, : last + 1]
        )
        mean = full.scores_[:, : last + 1].mean(axis=0)
        assert early.alpha_ == alphas[np.argmax(mean)]


def test_no_fold_fits_an_alpha_that_cannot_be_chosen(cancer):
    # A fold whose path had not yet run out of patience used to go on alone once
    # another's had ended: its fits past that end scored alphas whose mean is
    # -inf. The folds end together, at the same alpha.
    X, y = cancer
    alphas = alpha_grid(11)
    for patience in (1, 2, 3):
        cv = TwoLayerSigmoidClassifierCV(
            **PARAMS, alphas=alphas, cv=_folds(X, y), n_alphas_no_change=patience
        ).fit(X, y)
        reached = np.isfinite(cv.scores_)
        assert np.all(reached == reached[0]), patience
        assert np.all((cv.path_n_iter_ >= 0) == reached)


def test_a_sequence_of_alphas_is_tried_strongest_first(iris):
    X, y = iris
    cv = TwoLayerSigmoidClassifierCV(**PARAMS, alphas=[0.1, 10, 1, 10], cv=3)
    cv.fit(X, y)
    assert_array_equal(cv.alphas_, [10.0, 1.0, 0.1])
    assert_allclose(alpha_grid(11), np.logspace(1, -4, 11))
    assert TwoLayerSigmoidClassifierCV().alphas == 11


def test_one_alpha_scores_as_grid_search(cancer):
    # One alpha: no warm start, so the folds' fits and scores are GridSearchCV's.
    X, y = cancer
    folds = _folds(X, y)
    cv = TwoLayerSigmoidClassifierCV(**PARAMS, alphas=[1.0], cv=folds).fit(X, y)
    grid = GridSearchCV(
        TwoLayerSigmoidClassifier(**PARAMS),
        {"alpha": [1.0]},
        cv=folds,
        scoring="neg_log_loss",
    ).fit(X, y)
    split_scores = [grid.cv_results_[f"split{k}_test_score"][0] for k in range(3)]
    assert_allclose(cv.scores_[:, 0], split_scores, rtol=1e-12)
    assert_array_equal(cv.W1_, grid.best_estimator_.W1_)


def test_refit_false_averages_the_folds_logits(cancer):
    X, y = cancer
    folds = _folds(X, y)
    cv = TwoLayerSigmoidClassifierCV(
        **PARAMS, alphas=ALPHAS, cv=folds, refit=False, n_alphas_no_change=None
    ).fit(X, y)
    best = list(cv.alphas_).index(cv.alpha_)
    fold_networks = [
        _manual_path(X, y, train, test, ALPHAS)[0][best] for train, test in folds
    ]
    expected = np.mean([net.decision_function(X) for net in fold_networks], axis=0)
    assert_allclose(cv.decision_function(X), expected, rtol=1e-12, atol=1e-12)
    assert cv.W1_.shape == (3 * 3, X.shape[1])
    assert cv.transform(X).shape == (X.shape[0], 9)
    assert not hasattr(cv, "loss_curve_") and not hasattr(cv, "loss_")
    assert cv.n_iter_ == max(net.n_iter_ for net in fold_networks)


def test_refit_false_averages_multiclass_logits(iris):
    X, y = iris
    folds = _folds(X, y)
    cv = TwoLayerSigmoidClassifierCV(**PARAMS, alphas=[1.0], cv=folds, refit=False).fit(
        X, y
    )
    fold_networks = [_manual_path(X, y, tr, te, [1.0])[0][0] for tr, te in folds]
    expected = np.mean([net.decision_function(X) for net in fold_networks], axis=0)
    assert_allclose(cv.decision_function(X), expected, rtol=1e-12, atol=1e-12)
    assert cv.predict_proba(X).shape == (150, 3)


def test_n_jobs_changes_nothing(cancer):
    X, y = cancer
    params = {**PARAMS, "alphas": ALPHAS, "cv": 3, "random_state": None}
    serial = TwoLayerSigmoidClassifierCV(**params, n_jobs=1)
    parallel = TwoLayerSigmoidClassifierCV(**params, n_jobs=2)
    rng = np.random.RandomState(5)
    serial.set_params(random_state=rng).fit(X, y)
    parallel.set_params(random_state=np.random.RandomState(5)).fit(X, y)
    assert_array_equal(parallel.scores_, serial.scores_)
    assert_array_equal(parallel.path_n_iter_, serial.path_n_iter_)
    assert_array_equal(parallel.W1_, serial.W1_)


def test_sample_weight_equals_repeated_rows(cancer):
    X, y = cancer
    weights = np.random.RandomState(0).randint(1, 4, size=X.shape[0])
    folds = _folds(X, y)
    repeated = np.repeat(np.arange(X.shape[0]), weights)
    # the same folds, on the repeated rows
    position = np.repeat(np.arange(X.shape[0]), weights)
    repeated_folds = [
        (
            np.flatnonzero(np.isin(position, train)),
            np.flatnonzero(np.isin(position, test)),
        )
        for train, test in folds
    ]
    params = {**PARAMS, "alphas": ALPHAS, "n_alphas_no_change": None}
    weighted = TwoLayerSigmoidClassifierCV(**params, cv=folds).fit(
        X, y, sample_weight=weights.astype(float)
    )
    copies = TwoLayerSigmoidClassifierCV(**params, cv=repeated_folds).fit(
        X[repeated], y[repeated]
    )
    assert_allclose(weighted.scores_, copies.scores_, rtol=1e-6)
    assert weighted.alpha_ == copies.alpha_
    assert_allclose(weighted.predict_proba(X), copies.predict_proba(X), rtol=1e-6)


def test_sample_weight_reaches_the_fits_and_the_scorer(cancer):
    X, y = cancer
    weights = np.random.RandomState(1).uniform(0.2, 3.0, size=X.shape[0])
    folds = _folds(X, y)
    cv = TwoLayerSigmoidClassifierCV(
        **PARAMS, alphas=ALPHAS, cv=folds, n_alphas_no_change=None
    ).fit(X, y, sample_weight=weights)
    for fold, (train, test) in enumerate(folds):
        _, scores = _manual_path(X, y, train, test, ALPHAS, sample_weight=weights)
        assert_allclose(cv.scores_[fold], scores, rtol=1e-12)  # rounding only


def test_class_weight_is_the_estimators(cancer):
    X, y = cancer
    cv = TwoLayerSigmoidClassifierCV(
        **PARAMS, alphas=ALPHAS, cv=3, class_weight="balanced"
    ).fit(X, y)
    single = TwoLayerSigmoidClassifier(
        **PARAMS, alpha=cv.alpha_, class_weight="balanced"
    ).fit(X, y)
    assert_array_equal(cv.W1_, single.W1_)


def test_sparse_and_float32_input(cancer):
    X, y = cancer
    params = {**PARAMS, "alphas": ALPHAS, "cv": 3}
    dense = TwoLayerSigmoidClassifierCV(**params).fit(X, y)
    csr = TwoLayerSigmoidClassifierCV(**params).fit(sparse.csr_matrix(X), y)
    assert_allclose(csr.scores_, dense.scores_, rtol=1e-6)
    assert csr.alpha_ == dense.alpha_
    single = TwoLayerSigmoidClassifierCV(**params).fit(X.astype(np.float32), y)
    assert single.W1_.dtype == np.float32
    assert single.transform(X.astype(np.float32)).dtype == np.float32
    assert single.predict_proba(X.astype(np.float32)).dtype == np.float64


def test_multilabel_targets_score_every_label():
    X, Y = make_multilabel_classification(
        n_samples=120, n_features=5, n_classes=3, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    cv = TwoLayerSigmoidClassifierCV(**PARAMS, alphas=ALPHAS, cv=3).fit(X, Y)
    assert cv.predict(X).shape == Y.shape
    proba = cv.predict_proba(X)
    assert cv.score(X, Y) == -_label_log_loss(Y, cv.decision_function(X))
    # The same cross-entropy as from the probabilities (none of them 0 or 1 here)
    expected = -np.mean(
        np.sum(-(Y * np.log(proba) + (1 - Y) * np.log(1 - proba)), axis=1)
    )
    assert_allclose(cv.score(X, Y), expected, rtol=1e-12)


def test_a_given_scoring_chooses_alpha_and_scores(cancer):
    X, y = cancer
    cv = TwoLayerSigmoidClassifierCV(
        **PARAMS, alphas=ALPHAS, cv=3, scoring="accuracy"
    ).fit(X, y)
    assert np.all(cv.scores_[np.isfinite(cv.scores_)] <= 1)
    assert cv.score(X, y) == get_scorer("accuracy")(cv, X, y)


# -- in a pipeline and inside a search -------------------------------------------------
def test_in_a_pipeline_inside_a_grid_search_over_n_hidden(cancer):
    X, y = cancer
    pipe = make_pipeline(
        StandardScaler(),
        TwoLayerSigmoidClassifierCV(alphas=[10.0, 1.0], cv=2, random_state=0),
    )
    search = GridSearchCV(
        pipe, {"twolayersigmoidclassifiercv__n_hidden": [2, 4]}, cv=2
    ).fit(X, y)
    best = search.best_estimator_[-1]
    assert best.n_hidden in (2, 4) and best.alpha_ in (10.0, 1.0)
    # the search's default score is the CV estimator's: the negative log-loss
    assert_allclose(
        search.score(X, y), -log_loss(y, search.predict_proba(X)), rtol=1e-12
    )


# -- parameters and failures -----------------------------------------------------------
@pytest.mark.parametrize(
    "params, message",
    [
        ({"alphas": 0}, "'alphas' parameter"),
        ({"alphas": []}, "non-empty 1-D"),
        ({"alphas": [1.0, -1.0]}, "non-negative"),
        ({"alphas": [1.0, np.nan]}, "finite"),
        ({"alphas": "11"}, "'alphas' parameter"),
        ({"alphas": [[1.0, 0.1]]}, "non-empty 1-D"),
        ({"n_alphas_no_change": 0}, "'n_alphas_no_change' parameter"),
        ({"n_alphas_no_change": True}, "not a bool"),
        ({"n_hidden": True}, "not a bool"),
        ({"cv": "five"}, "'cv' parameter"),
        ({"refit": "yes"}, "'refit' parameter"),
        ({"scoring": "no such score"}, "'scoring' parameter"),
        ({"solver": "adam"}, "'solver' parameter"),
    ],
)
def test_bad_parameters_are_named_and_change_nothing(cancer, params, message):
    X, y = cancer
    cv = TwoLayerSigmoidClassifierCV(**PARAMS, alphas=[1.0], cv=2).fit(X, y)
    before = {k: v for k, v in vars(cv).items() if k.endswith("_")}
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        cv.set_params(**params).fit(X, y)
    after = {k: v for k, v in vars(cv).items() if k.endswith("_")}
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before)


def test_bad_input_gets_the_estimators_message(cancer):
    X, y = cancer
    X = X.copy()
    X[3, 2] = np.nan
    with pytest.raises(ValueError) as expected:
        TwoLayerSigmoidClassifier(**PARAMS).fit(X, y)
    with pytest.raises(ValueError) as got:
        TwoLayerSigmoidClassifierCV(**PARAMS, alphas=[1.0]).fit(X, y)
    assert str(got.value) == str(expected.value)
    with pytest.raises(NotFittedError):
        TwoLayerSigmoidClassifierCV().predict(X)


def test_early_stopping_is_not_a_parameter():
    params = TwoLayerSigmoidClassifierCV().get_params()
    for name in ("alpha", "early_stopping", "warm_start", "validation_fraction"):
        assert name not in params


# -- callbacks -------------------------------------------------------------------------
def test_callbacks_see_every_path_point_and_the_refit(cancer, capsys, monkeypatch):
    callback = pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich")
    X, y = cancer
    monitor = callback.ScoringMonitor(scoring="accuracy")
    cv = TwoLayerSigmoidClassifierCV(
        **PARAMS, alphas=ALPHAS, cv=3, n_alphas_no_change=None
    ).set_callbacks(monitor)
    cv.fit(X, y)
    rows = monitor.get_logs().data
    points = [r for r in rows if r["task_name"] == "alpha"]
    assert len(points) == 3 * len(ALPHAS)
    # the model of a path point is the fold's network at that alpha
    assert all(0.5 < r["accuracy"] <= 1.0 for r in points)
    fit_row = next(r for r in rows if r["task_name"] == "fit")
    assert fit_row["accuracy"] == cv.score(X, y) or fit_row["accuracy"] == (
        get_scorer("accuracy")(cv, X, y)
    )
    monkeypatch.setenv("COLUMNS", "200")
    cv.set_callbacks(callback.ProgressBar(max_propagation_depth=None)).fit(X, y)
    out = capsys.readouterr().out
    nested = re.findall(r"\| TwoLayerSigmoidClassifier - fit", out)
    assert len(nested) == 3 * len(ALPHAS) + 1  # every path point, and the refit


# -- scikit-learn's checks ------------------------------------------------------------
@parametrize_with_checks(
    [TwoLayerSigmoidClassifierCV(n_hidden=3, alphas=3, cv=3, random_state=0)]
)
def test_sklearn_compatible_estimator(estimator, check):
    if _needs_a_cuda_device(check):
        pytest.skip("torch cuda checks need a CUDA device; none is available")
    check(estimator)


# -- every backend of the estimator ----------------------------------------------------
ARRAY_API = ["torch", "array_api_strict"]


def _on(backend, X, y, sample_weight):
    """X, y and sample_weight in the form of ``backend`` (as test_backends.py)."""
    if backend == "csr":
        return sparse.csr_matrix(X), y, sample_weight
    if backend in ARRAY_API:
        xp = pytest.importorskip(backend)
        pytest.importorskip("sklearn", minversion="1.9")
        return tuple(xp.asarray(a) for a in (X, y, sample_weight))
    da = pytest.importorskip("dask.array")
    chunks = ((40, 50, X.shape[0] - 90), X.shape[1])
    X_dask = da.from_array(X, chunks=chunks)
    if backend == "dask-csr":
        X_dask = X_dask.map_blocks(sparse.csr_matrix, dtype=X.dtype)
    return X_dask, da.from_array(y, chunks=60), da.from_array(sample_weight, chunks=45)


@pytest.mark.parametrize("backend", ["csr", "dask", "dask-csr", *ARRAY_API])
def test_every_backend_gives_the_in_memory_path(request, backend, iris):
    if backend.startswith("dask"):
        request.getfixturevalue("dask_threads")
    X, y = iris
    weights = np.random.RandomState(0).uniform(0.5, 2.0, size=X.shape[0])
    # Strong alphas: every fit converges well within max_iter, so the backends'
    # sums, equal up to the order of additions, do not part along the path.
    params = {
        **PARAMS,
        "alphas": [10.0, 3.0, 1.0],
        "n_alphas_no_change": None,
        "cv": 3,
        "class_weight": "balanced",
        "max_iter": 500,
    }
    reference = TwoLayerSigmoidClassifierCV(**params).fit(X, y, sample_weight=weights)
    X_there, y_there, w_there = _on(backend, X, y, weights)
    dispatch = config_context(array_api_dispatch=backend in ARRAY_API)
    with dispatch:
        fitted = TwoLayerSigmoidClassifierCV(**params)
        fitted.fit(X_there, y_there, sample_weight=w_there)
        X_predict = X_there if backend in ARRAY_API else X
        proba = _reference.on_host(fitted.predict_proba(X_predict))
    assert fitted.alpha_ == reference.alpha_
    assert_allclose(_reference.on_host(fitted.scores_), reference.scores_, rtol=1e-6)
    assert_array_equal(_reference.on_host(fitted.path_n_iter_), reference.path_n_iter_)
    assert np.all(reference.path_n_iter_ < 500) and reference.n_iter_ < 500
    assert_allclose(proba, reference.predict_proba(X), rtol=1e-6)
