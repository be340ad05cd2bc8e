"""Estimator behaviour: the peer as oracle, targets, weights, input forms, errors."""

import io
import pickle
import re
from contextlib import redirect_stdout

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from _fitting import fit_expecting_convergence_warning
from _problems import standardized_classification
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import (
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.class_weight import compute_class_weight

from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._sklearn_compat import sklearn_at_least
from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss


@pytest.fixture(scope="module")
def binary_data():
    return standardized_classification(n_samples=200, n_features=8, random_state=0)


def _peer(n_hidden, **params):
    return MLPClassifier(
        hidden_layer_sizes=(n_hidden,), activation="logistic", solver="lbfgs", **params
    )


# -- the peer as an oracle -------------------------------------------------------------
@pytest.mark.parametrize("alpha", [1e-4, 1e-1])
def test_matches_mlpclassifier_from_the_same_start(binary_data, alpha):
    X, y = binary_data
    params = dict(alpha=alpha, tol=1e-4, max_iter=15, random_state=0)
    ours = fit_expecting_convergence_warning(
        TwoLayerSigmoidClassifier(n_hidden=10, **params), X, y
    )
    peer = fit_expecting_convergence_warning(_peer(10, **params), X, y)
    assert_allclose(ours.predict_proba(X), peer.predict_proba(X), rtol=0, atol=1e-6)
    assert_allclose(ours.W1_, peer.coefs_[0].T, atol=1e-6)
    assert_allclose(ours.W2_, peer.coefs_[1].T, atol=1e-6)
    assert_allclose(ours.b1_, peer.intercepts_[0], atol=1e-6)
    assert_allclose(ours.loss_, peer.loss_, rtol=1e-9)
    assert ours.n_iter_ == peer.n_iter_ == 15


def test_matches_mlpclassifier_on_multiclass_and_multilabel(iris):
    X, y = iris
    # alpha given: the two defaults differ (MLPClassifier's 1e-4, ours 2.0)
    params = dict(alpha=1e-4, max_iter=15, random_state=0)
    ours = fit_expecting_convergence_warning(
        TwoLayerSigmoidClassifier(n_hidden=6, **params), X, y
    )
    peer = fit_expecting_convergence_warning(_peer(6, **params), X, y)
    assert ours.out_activation_ == peer.out_activation_ == "softmax"
    assert_allclose(ours.predict_proba(X), peer.predict_proba(X), atol=1e-6)

    X, Y = make_multilabel_classification(n_samples=120, n_classes=3, random_state=0)
    ours = fit_expecting_convergence_warning(
        TwoLayerSigmoidClassifier(n_hidden=6, **params), X, Y
    )
    peer = fit_expecting_convergence_warning(_peer(6, **params), X, Y)
    assert_allclose(ours.predict_proba(X), peer.predict_proba(X), atol=1e-6)


def test_converged_fit_reaches_the_peers_objective(binary_data):
    X, y = binary_data
    ours = TwoLayerSigmoidClassifier(n_hidden=5, alpha=1e-2, random_state=3).fit(X, y)
    peer = _peer(5, alpha=1e-2, random_state=3).fit(X, y)
    assert ours.n_iter_ < 200
    assert_allclose(ours.loss_, peer.loss_, rtol=1e-6)


# -- fitted attributes and outputs -----------------------------------------------------
def test_fitted_attributes_follow_the_documents_shapes(binary_data):
    X, y = binary_data
    clf = TwoLayerSigmoidClassifier(n_hidden=7, alpha=1e-2, random_state=0).fit(X, y)
    assert clf.W1_.shape == (7, 8) and clf.b1_.shape == (7,)
    assert clf.W2_.shape == (1, 7) and clf.b2_.shape == (1,)
    assert_array_equal(clf.classes_, [0, 1])
    assert clf.n_features_in_ == 8 and clf.n_outputs_ == 1
    assert len(clf.loss_curve_) == clf.n_iter_
    assert clf.loss_ == pytest.approx(clf.loss_curve_[-1], rel=1e-12)
    assert all(np.diff(clf.loss_curve_) <= 1e-12)  # L-BFGS never accepts an ascent
    # loss_ is the documented objective evaluated at the fitted weights
    layout = ParameterLayout(8, 7, 1)
    theta = layout.pack(clf.W1_, clf.b1_, clf.W2_, clf.b2_)
    objective = TwoLayerLoss(layout).loss(
        theta, X, y[:, None].astype(float), None, 1e-2
    )
    assert clf.loss_ == pytest.approx(objective, rel=1e-10)


def test_binary_outputs_are_consistent(binary_data):
    X, y = binary_data
    clf = TwoLayerSigmoidClassifier(n_hidden=4, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    scores = clf.decision_function(X)
    assert proba.shape == (200, 2) and scores.shape == (200,)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-14)
    assert_allclose(proba[:, 1], 1 / (1 + np.exp(-scores)), rtol=1e-12)
    assert_array_equal(clf.predict(X), clf.classes_[(scores > 0).astype(int)])
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_predict_log_proba_is_computed_from_the_logits(binary_data):
    X, y = binary_data
    # weakly penalised, so that the two hidden units differ by enough for the
    # weights ±2000 to give logits far beyond float64's exp underflow
    clf = TwoLayerSigmoidClassifier(n_hidden=2, alpha=1e-4, random_state=0).fit(X, y)
    clf.W2_ = np.array([[2000.0, -2000.0]])  # logits up to ±2000
    log_proba = clf.predict_log_proba(X)
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(log_proba))
    assert (proba == 0).any()  # underflowed probabilities ...
    assert log_proba.min() < -745  # ... have a finite, exact logarithm
    mask = proba > 1e-300
    assert_allclose(log_proba[mask], np.log(proba[mask]), rtol=1e-12, atol=1e-15)


def test_multiclass_softmax(iris):
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=5, random_state=0, max_iter=500).fit(X, y)
    proba = clf.predict_proba(X)
    assert clf.out_activation_ == "softmax" and proba.shape == (150, 3)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-14)
    assert clf.decision_function(X).shape == (150, 3)
    assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-10, atol=1e-13)
    assert clf.score(X, y) > 0.95


def test_string_labels_are_encoded_and_returned(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = TwoLayerSigmoidClassifier(n_hidden=5, random_state=0, max_iter=500)
    clf.fit(X, names)
    assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    assert set(clf.predict(X)) <= set(clf.classes_)


def test_multilabel_has_one_sigmoid_per_label():
    X, Y = make_multilabel_classification(n_samples=150, n_classes=4, random_state=1)
    X = StandardScaler().fit_transform(X)
    clf = TwoLayerSigmoidClassifier(n_hidden=8, alpha=1.0, random_state=0).fit(X, Y)
    assert clf.out_activation_ == "logistic" and clf.W2_.shape == (4, 8)
    assert_array_equal(clf.classes_, np.arange(4))
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 4)
    assert_array_equal(clf.predict(X), (proba > 0.5).astype(int))
    assert clf.decision_function(X).shape == (150, 4)


# -- weights ---------------------------------------------------------------------------
def test_integer_weights_equal_repeated_rows_in_the_objective():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    y = rng.integers(0, 3, size=12)
    sw = rng.integers(0, 4, size=12)
    clf = TwoLayerSigmoidClassifier(n_hidden=4, class_weight="balanced")
    weighted = clf._training_problem(X, y, sw)
    repeated = clf._training_problem(X.repeat(sw, axis=0), y.repeat(sw), None)
    theta = np.random.default_rng(1).normal(size=weighted[3].layout.size)
    value_w, grad_w = weighted[3].loss_gradient(theta, *weighted[:3], 0.3)
    value_r, grad_r = repeated[3].loss_gradient(theta, *repeated[:3], 0.3)
    assert_allclose(value_w, value_r, rtol=1e-12)
    assert_allclose(grad_w, grad_r, rtol=1e-10, atol=1e-14)


def test_weight_two_equals_a_repeated_row_after_fit(binary_data):
    X, y = binary_data
    sw = np.ones(len(y))
    sw[:20] = 2
    X_rep, y_rep = np.vstack([X, X[:20]]), np.concatenate([y, y[:20]])
    # Same objective, so the same L-BFGS path (compared before roundoff can drift
    # on this non-convex problem).
    params = dict(n_hidden=4, alpha=1e-2, random_state=0, max_iter=15)
    a = fit_expecting_convergence_warning(
        TwoLayerSigmoidClassifier(**params), X, y, sample_weight=sw
    )
    b = fit_expecting_convergence_warning(
        TwoLayerSigmoidClassifier(**params), X_rep, y_rep
    )
    assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-6)


def test_balanced_class_weight_uses_weighted_counts(binary_data):
    X, y = binary_data
    sw = np.random.default_rng(0).uniform(0.5, 2, size=len(y))
    clf = TwoLayerSigmoidClassifier(n_hidden=3, class_weight="balanced")
    *_, weights, _ = clf._training_problem(X, y, sw)
    # "balanced": n_samples / (n_classes * bincount(y)), with weighted counts
    counts = np.bincount(y, weights=sw)
    expected = counts.sum() / (2 * counts)
    if sklearn_at_least("1.7"):  # scikit-learn's own, with sample_weight from 1.7
        assert_array_equal(
            compute_class_weight(
                "balanced", classes=np.array([0, 1]), y=y, sample_weight=sw
            ),
            expected,
        )
    assert_allclose(weights, sw * expected[y], rtol=1e-14)


def test_dict_class_weight_equals_sample_weight(iris):
    X, y = iris
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    params = dict(n_hidden=4, random_state=0, max_iter=30)
    a = fit_expecting_convergence_warning(
        TwoLayerSigmoidClassifier(class_weight=class_weight, **params), X, y
    )
    sw = np.array([class_weight[c] for c in y])
    b = fit_expecting_convergence_warning(
        TwoLayerSigmoidClassifier(**params), X, y, sample_weight=sw
    )
    assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-10)


def test_score_accepts_sample_weight(binary_data):
    X, y = binary_data
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0).fit(X, y)
    correct = clf.predict(X) == y
    sw = np.where(correct, 0.0, 1.0)
    assert clf.score(X, y, sample_weight=sw) == 0.0


def test_sample_weight_is_routed_through_metadata_routing(binary_data):
    X, y = binary_data
    sw = np.ones(len(y))
    sw[y == 0] = 3
    with sklearn.config_context(enable_metadata_routing=True):
        clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0, max_iter=10)
        clf.set_fit_request(sample_weight=True).set_score_request(sample_weight=False)
        search = GridSearchCV(clf, {"alpha": [1e-3]}, cv=2)
        with pytest.warns(ConvergenceWarning):
            search.fit(X, y, sample_weight=sw)
    direct = fit_expecting_convergence_warning(
        clone(clf).set_params(alpha=1e-3), X, y, sample_weight=sw
    )
    assert_allclose(search.best_estimator_.W1_, direct.W1_)


# -- solver behaviour ------------------------------------------------------------------
def test_convergence_warning_names_the_budget(binary_data):
    X, y = binary_data
    with pytest.warns(ConvergenceWarning, match=r"after 3 iteration.*max_iter=3"):
        TwoLayerSigmoidClassifier(n_hidden=3, max_iter=3).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="max_fun=4"):
        TwoLayerSigmoidClassifier(n_hidden=3, max_fun=4).fit(X, y)


def test_verbose_prints_objective_and_gradient_norm(binary_data):
    X, y = binary_data
    out = io.StringIO()
    with redirect_stdout(out):
        clf = fit_expecting_convergence_warning(
            TwoLayerSigmoidClassifier(n_hidden=3, max_iter=4, verbose=1), X, y
        )
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    pattern = (
        r"Iteration (\d+): objective = ([\d.e+-]+), \|gradient\|_max = ([\d.e+-]+)"
    )
    values = [float(re.match(pattern, line).group(2)) for line in lines]
    assert_allclose(values, clf.loss_curve_, rtol=1e-7)


def test_warm_start_continues_from_previous_weights(binary_data):
    X, y = binary_data
    clf = TwoLayerSigmoidClassifier(
        n_hidden=4, warm_start=True, max_iter=5, random_state=0
    )
    fit_expecting_convergence_warning(clf, X, y)
    first_loss, first_W1 = clf.loss_, clf.W1_.copy()
    clf.set_params(random_state=1)  # a fresh draw would use this; warm start must not
    fit_expecting_convergence_warning(clf, X, y)
    assert clf.loss_curve_[0] < first_loss
    assert not np.allclose(clf.W1_, first_W1)
    cold = fit_expecting_convergence_warning(
        clone(clf).set_params(warm_start=False, random_state=0), X, y
    )
    assert_allclose(cold.W1_, first_W1)
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X, np.where(y == 1, 2, y))
    with pytest.raises(ValueError, match="same n_hidden"):
        clf.set_params(n_hidden=5).fit(X, y)


def test_same_random_state_gives_identical_weights(binary_data):
    X, y = binary_data
    a = TwoLayerSigmoidClassifier(n_hidden=4, random_state=7).fit(X, y)
    b = TwoLayerSigmoidClassifier(n_hidden=4, random_state=7).fit(X, y)
    assert_array_equal(a.W1_, b.W1_)
    assert_array_equal(a.W2_, b.W2_)


# -- input forms -----------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_matches_dense(binary_data, fmt):
    X, y = binary_data
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    params = dict(n_hidden=4, random_state=0, max_iter=20)
    dense = fit_expecting_convergence_warning(TwoLayerSigmoidClassifier(**params), X, y)
    sparse_X = sparse.csr_matrix(X).asformat(fmt)
    sparse_fit = fit_expecting_convergence_warning(
        TwoLayerSigmoidClassifier(**params), sparse_X, y
    )
    assert_allclose(
        sparse_fit.predict_proba(sparse_X), dense.predict_proba(X), atol=1e-8
    )


def test_sparse_input_is_never_densified():
    # Dense, this X would take 80 GB: fitting it proves it stays sparse.
    n = 100_000
    rng = np.random.default_rng(0)
    rows = np.arange(n)
    X = sparse.csr_matrix((rng.normal(size=n), (rows, rows)), shape=(n, n))
    y = rng.integers(0, 2, size=n)
    # A fixed start: from some of the global RNG's starts (which depend on the
    # tests run before) L-BFGS-B met its tolerance within the two iterations on
    # this flat problem, and the expected ConvergenceWarning did not come.
    clf = TwoLayerSigmoidClassifier(n_hidden=2, max_iter=2, random_state=0)
    clf = fit_expecting_convergence_warning(clf, X, y)
    assert clf.W1_.shape == (2, n)
    assert clf.predict_proba(X[:5]).shape == (5, 2)


def test_float32_is_computed_in_float32(binary_data):
    X, y = binary_data
    # A well-regularised problem run to a tight tolerance, so both dtypes converge
    # to the same minimum rather than parting on a long non-convex path; not
    # tighter than float32's objective resolves: at tol=1e-6 the last line search
    # rests on differences of f below its float32 roundings and may end abnormally.
    params = dict(n_hidden=4, alpha=0.1, tol=1e-5, max_iter=2000, random_state=0)
    clf32 = TwoLayerSigmoidClassifier(**params).fit(X.astype(np.float32), y)
    clf64 = TwoLayerSigmoidClassifier(**params).fit(X, y)
    for name in ("W1_", "b1_", "W2_", "b2_"):
        assert getattr(clf32, name).dtype == np.float32
        assert getattr(clf64, name).dtype == np.float64
    assert clf32.decision_function(X.astype(np.float32)).dtype == np.float32
    assert_allclose(clf32.loss_, clf64.loss_, rtol=1e-4)
    assert np.mean(clf32.predict(X) == clf64.predict(X)) > 0.98


def test_dataframe_feature_names(binary_data):
    X, y = binary_data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0).fit(frame, y)
    assert_array_equal(clf.feature_names_in_, frame.columns)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        clf.predict(X)
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(frame.rename(columns={"f0": "other"}))


# -- sklearn workflows -----------------------------------------------------------------
def test_pipeline_gridsearch_and_cross_validate(binary_data):
    X, y = binary_data
    pipe = make_pipeline(StandardScaler(), TwoLayerSigmoidClassifier(random_state=0))
    grid = {
        "twolayersigmoidclassifier__n_hidden": [2, 6],
        "twolayersigmoidclassifier__alpha": [1e-3, 1.0],
    }
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert search.best_score_ > 0.8
    assert len(search.cv_results_["mean_test_score"]) == 4
    scores = cross_validate(
        TwoLayerSigmoidClassifier(n_hidden=3, random_state=0), X, y, cv=3
    )
    assert np.all(scores["test_score"] > 0.8)


@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_round_trip_serialisation(binary_data, how, tmp_path):
    X, y = binary_data
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0).fit(X, y)
    if how == "pickle":
        restored = pickle.loads(pickle.dumps(clf))
    else:
        joblib.dump(clf, tmp_path / "model.joblib")
        restored = joblib.load(tmp_path / "model.joblib")
    assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert restored.get_params() == clf.get_params()


# -- bad input gets a clear error ------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_X_is_rejected(binary_data, bad):
    X, y = binary_data
    X = X.copy()
    X[3, 2] = bad
    with pytest.raises(ValueError, match=r"NaN|infinity"):
        TwoLayerSigmoidClassifier().fit(X, y)


def test_errors_name_the_problem(binary_data):
    X, y = binary_data
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="8 features"):
        clf.predict(X[:, :5])
    with pytest.raises(ValueError, match="only one class"):
        clf.fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="could not convert string to float"):
        clf.fit(np.array([["a", "b"]] * 4), [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"[Nn]egative"):
        clf.fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="zero"):
        clf.fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="Only one class has positive sample_weight"):
        clf.fit(X, y, sample_weight=(y == 1).astype(float))
    with pytest.raises(
        InvalidParameterError,
        match=r"class_weight has keys \[5\] that are not classes of y",
    ):
        clf.set_params(class_weight={0: 1.0, 5: 2.0}).fit(X, y)
    with pytest.raises(ValueError, match="continuous"):
        clf.set_params(class_weight=None).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="multilabel"):
        Y = np.stack([y, 1 - y], axis=1)
        clf.set_params(class_weight={0: 1, 1: 2}).fit(X, Y)


@pytest.mark.parametrize(
    "params",
    [
        {"n_hidden": 0},
        {"alpha": -1.0},
        {"max_iter": 0},
        {"tol": -1},
        {"class_weight": "auto"},
    ],
)
def test_invalid_hyper_parameters_raise_at_fit_not_construction(binary_data, params):
    X, y = binary_data
    clf = TwoLayerSigmoidClassifier(**params)  # construction never validates
    with pytest.raises(InvalidParameterError):
        clf.fit(X, y)
