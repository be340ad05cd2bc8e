"""Early stopping on a validation set of one's own: ``fit(X, y, X_val=, y_val=)``.

The validation loss is checked against scikit-learn's ``log_loss`` recomputed on the
given rows with the kept parameters (weighted by ``sample_weight_val`` times the
class weights), the training objective against the objective over every training
row, and the pipeline cases against a by-hand preprocessing of the validation rows.
The other backends are in tests/test_backends.py.
"""

import warnings

import numpy as np
import pytest
from _fitting import fit_ignoring_convergence_warnings
from _problems import standardized_iris
from sklearn import config_context
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight

from sklearn_twolayer import TwoLayerSigmoidClassifier


def _time_ordered(target="multiclass", offset=0.0):
    """Rows in a fixed order; the last 50 are the hold-out (a later period)."""
    if target == "multilabel":
        X, y = make_multilabel_classification(
            n_samples=200, n_features=5, n_classes=3, random_state=0
        )
        X = StandardScaler().fit_transform(X)
    else:
        X, y = standardized_iris()
        order = np.random.default_rng(0).permutation(150)
        X, y = X[order], y[order]
        if target == "binary":
            y = np.where(y == 2, "virginica", "other")
    X = X + offset
    return X[:-50], y[:-50], X[-50:], y[-50:]


def _weighted_log_loss(clf, X_val, y_val, weights):
    """Σ s_i loss_i / Σ s_i of the fitted model on the validation rows, by
    scikit-learn's metrics (per label, summed, for multilabel targets)."""
    proba = clf.predict_proba(X_val)
    if y_val.ndim == 1:
        return log_loss(y_val, proba, sample_weight=weights, labels=clf.classes_)
    per_row = -(y_val * np.log(proba) + (1 - y_val) * np.log1p(-proba)).sum(axis=1)
    return np.average(per_row, weights=weights)


def _objective(clf, X, y, weights):
    """MLPClassifier's objective over every training row, at the fitted weights."""
    n = weights.sum()
    penalty = 0.5 * clf.alpha * ((clf.W1_**2).sum() + (clf.W2_**2).sum())
    return _weighted_log_loss(clf, X, y, weights) + penalty / n


def _class_weights(y_train, y, class_weight):
    if class_weight is None:
        return np.ones(len(y))
    classes = np.unique(y_train)
    balanced = compute_class_weight("balanced", classes=classes, y=y_train)
    weight_of = dict(zip(classes, balanced, strict=True))
    return np.array([weight_of[label] for label in y])


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
@pytest.mark.parametrize(
    "target, class_weight",
    [
        ("binary", None),
        ("binary", "balanced"),
        ("multiclass", None),
        ("multiclass", "balanced"),
        ("multilabel", None),  # balanced multilabel: tests/test_backends.py
    ],
)
def test_validation_loss_is_the_log_loss_of_the_given_rows(
    target, class_weight, solver
):
    X, y, X_val, y_val = _time_ordered(target)
    sample_weight_val = np.random.default_rng(1).uniform(0.5, 2.0, size=50)
    clf = TwoLayerSigmoidClassifier(
        n_hidden=4,
        alpha=1e-2,
        early_stopping=True,
        n_iter_no_change=5,
        class_weight=class_weight,
        solver=solver,
        random_state=0,
    )
    fit_ignoring_convergence_warnings(
        clf, X, y, X_val=X_val, y_val=y_val, sample_weight_val=sample_weight_val
    )
    weights_val = sample_weight_val * _class_weights(y, y_val, class_weight)
    expected = _weighted_log_loss(clf, X_val, y_val, weights_val)
    # The kept parameters are those of the lowest validation loss, which is the
    # log-loss of the given rows, weighted by sample_weight_val x class weights.
    assert clf.best_validation_loss_ == pytest.approx(expected, rel=1e-10)
    assert clf.best_validation_loss_ == min(clf.validation_loss_curve_)
    assert len(clf.validation_loss_curve_) == len(clf.loss_curve_) == clf.n_iter_
    # Every training row trains: the training objective is over all of X.
    weights = _class_weights(y, y, class_weight)
    assert clf.loss_ == pytest.approx(_objective(clf, X, y, weights), rel=1e-10)


def test_every_row_trains_where_a_split_would_hold_some_out():
    X, y, X_val, y_val = _time_ordered()
    params = {"n_hidden": 3, "alpha": 1.0, "random_state": 0}
    own = TwoLayerSigmoidClassifier(early_stopping=True, n_iter_no_change=1000)
    own.set_params(**params).fit(X, y, X_val=X_val, y_val=y_val)
    plain = TwoLayerSigmoidClassifier(**params).fit(X, y)
    # With a patience longer than the fit, the path is the fit on all of X.
    np.testing.assert_array_equal(own.loss_curve_, plain.loss_curve_)
    assert own.best_validation_loss_ == pytest.approx(
        _weighted_log_loss(own, X_val, y_val, None), rel=1e-10
    )


@pytest.mark.parametrize(
    "given, message",
    [
        ({"X_val": True}, "X_val is provided, but y_val was not provided."),
        ({"y_val": True}, "y_val is provided, but X_val was not provided."),
        (
            {"sample_weight_val": True},
            "sample_weight_val is provided, but X_val and y_val were not provided.",
        ),
    ],
)
def test_an_incomplete_validation_set_is_refused(given, message):
    X, y, X_val, y_val = _time_ordered()
    data = {"X_val": X_val, "y_val": y_val, "sample_weight_val": np.ones(50)}
    clf = TwoLayerSigmoidClassifier(early_stopping=True)
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y, **{name: data[name] for name in given})
    assert not hasattr(clf, "n_features_in_")


def test_a_validation_set_needs_early_stopping():
    X, y, X_val, y_val = _time_ordered()
    with pytest.raises(ValueError, match="early_stopping is False"):
        TwoLayerSigmoidClassifier().fit(X, y, X_val=X_val, y_val=y_val)


def test_one_class_in_the_validation_set_is_fine():
    X, y, X_val, y_val = _time_ordered()
    clf = TwoLayerSigmoidClassifier(n_hidden=3, early_stopping=True, random_state=0)
    clf.set_params(alpha=1e-2).fit(
        X, y, X_val=X_val[y_val == 1], y_val=y_val[y_val == 1]
    )
    expected = _weighted_log_loss(clf, X_val[y_val == 1], y_val[y_val == 1], None)
    assert clf.best_validation_loss_ == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(
    "case, message",
    [
        ("other feature count", "X has 3 features, but TwoLayerSigmoidClassifier"),
        ("unseen class", r"y contains previously unseen labels: \[7\]"),
        ("multilabel y_val", "y is a 'multilabel-indicator' target, but"),
        ("zero class weights", "sum to 0: no validation loss"),
    ],
)
def test_validation_only_errors_name_the_problem(case, message):
    X, y, X_val, y_val = _time_ordered()
    sample_weight_val, class_weight = None, None
    if case == "other feature count":
        X_val = X_val[:, :3]
    elif case == "unseen class":
        y_val = np.where(y_val == 2, 7, y_val)
    elif case == "multilabel y_val":
        y_val = np.eye(3, dtype=int)[y_val]
    else:  # only the classes weighted 0 in the validation rows
        class_weight = {0: 0.0, 1: 0.0, 2: 1.0}
        X_val, y_val = X_val[y_val < 2], y_val[y_val < 2]
    clf = TwoLayerSigmoidClassifier(
        n_hidden=2, early_stopping=True, class_weight=class_weight
    )
    with pytest.raises(ValueError, match=message) as error:
        clf.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=sample_weight_val)
    assert str(error.value).startswith("In the validation set (X_val, y_val")
    assert not hasattr(clf, "n_features_in_")  # a failed fit changes nothing


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
def test_warm_start_continues_against_the_same_validation_rows(solver):
    X, y, X_val, y_val = _time_ordered()
    clf = TwoLayerSigmoidClassifier(
        n_hidden=3,
        alpha=1e-3,
        early_stopping=True,
        warm_start=True,
        max_iter=4,
        solver=solver,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, X_val=X_val, y_val=y_val)
        first = _weighted_log_loss(clf, X_val, y_val, None)
        first_W1 = clf.W1_.copy()
        clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert not np.array_equal(clf.W1_, first_W1)  # it went on from the first fit
    # The first fit's kept model is the baseline: never worse than it.
    assert clf.best_validation_loss_ <= first
    assert clf.best_validation_loss_ == pytest.approx(
        _weighted_log_loss(clf, X_val, y_val, None), rel=1e-10
    )


def _pipeline(**net):
    return Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "net",
                TwoLayerSigmoidClassifier(
                    n_hidden=3, alpha=1e-2, early_stopping=True, random_state=0, **net
                ).set_fit_request(X_val=True, y_val=True, sample_weight_val=True),
            ),
        ],
        transform_input=["X_val"],
    )


def test_a_pipeline_scales_the_validation_rows():
    """transform_input=["X_val"]: X_val goes through the scaler fitted on X."""
    # An offset of 100: unscaled validation rows would be far off the scaled data.
    X, y, X_val, y_val = _time_ordered(offset=100.0)
    sample_weight_val = np.linspace(0.5, 2.0, 50)
    with config_context(enable_metadata_routing=True):
        pipeline = _pipeline().fit(
            X, y, X_val=X_val, y_val=y_val, sample_weight_val=sample_weight_val
        )
    scaler = StandardScaler().fit(X)
    by_hand = TwoLayerSigmoidClassifier(
        n_hidden=3, alpha=1e-2, early_stopping=True, random_state=0
    ).fit(
        scaler.transform(X),
        y,
        X_val=scaler.transform(X_val),
        y_val=y_val,
        sample_weight_val=sample_weight_val,
    )
    net = pipeline[-1]
    assert net.validation_loss_curve_ == by_hand.validation_loss_curve_
    np.testing.assert_array_equal(net.W1_, by_hand.W1_)
    assert net.best_validation_loss_ == pytest.approx(
        log_loss(y_val, pipeline.predict_proba(X_val), sample_weight=sample_weight_val),
        rel=1e-10,
    )
    # Without transform_input the unscaled rows would have been validated on: far
    # off the training rows' scale, no iteration improves on the start there.
    with pytest.warns(ConvergenceWarning, match="kept the untrained start"):
        unscaled = TwoLayerSigmoidClassifier(
            n_hidden=3, alpha=1e-2, early_stopping=True, random_state=0
        ).fit(scaler.transform(X), y, X_val=X_val, y_val=y_val)
    assert unscaled.validation_loss_curve_ != net.validation_loss_curve_


def test_grid_search_over_the_pipeline_routes_the_validation_set():
    X, y, X_val, y_val = _time_ordered(offset=100.0)
    with config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            _pipeline(), {"net__n_hidden": [2, 4]}, cv=3, error_score="raise"
        ).fit(X, y, X_val=X_val, y_val=y_val)
    assert set(search.cv_results_["param_net__n_hidden"]) == {2, 4}
    best = search.best_estimator_
    # The refit on all of X validated on the scaled X_val.
    assert best[-1].best_validation_loss_ == pytest.approx(
        log_loss(y_val, best.predict_proba(X_val)), rel=1e-10
    )
    assert best[-1].n_hidden == search.best_params_["net__n_hidden"]


def test_without_routing_fit_still_takes_the_validation_set_directly():
    X, y, X_val, y_val = _time_ordered()
    clf = TwoLayerSigmoidClassifier(n_hidden=3, early_stopping=True, random_state=0)
    with config_context(enable_metadata_routing=True):
        request = clf.get_metadata_routing().fit.requests
    # HistGradientBoosting's requests: each one unrequested until set.
    assert request == {
        "sample_weight": None,
        "X_val": None,
        "y_val": None,
        "sample_weight_val": None,
    }
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert clf.best_iteration_ >= 0


def test_a_multilabel_validation_set_has_the_fits_label_columns():
    X, Y, X_val, Y_val = _time_ordered("multilabel")
    clf = TwoLayerSigmoidClassifier(n_hidden=3, early_stopping=True, random_state=0)
    with pytest.raises(ValueError, match="y has 2 label columns, but the training y"):
        clf.fit(X, Y, X_val=X_val, y_val=Y_val[:, :2])
    # A sparse indicator matrix is the dense one.
    dense = clf.fit(X, Y, X_val=X_val, y_val=Y_val).validation_loss_curve_
    sparse_Y_val = pytest.importorskip("scipy.sparse").csr_matrix(Y_val)
    assert (
        clf.fit(X, Y, X_val=X_val, y_val=sparse_Y_val).validation_loss_curve_ == dense
    )


@pytest.mark.parametrize("named", ["X", "X_val"])
def test_feature_name_warnings_about_x_val_say_so(named):
    """Issue 33, defect 8: scikit-learn's feature-name warnings about X_val spoke
    of "X", without the validation set's prefix that its errors carry."""
    pd = pytest.importorskip("pandas")
    X, y, X_val, y_val = _time_ordered()
    columns = ["a", "b", "c", "d"]
    if named == "X":
        X = pd.DataFrame(X, columns=columns)
        expected = (
            "In the validation set (X_val, y_val, sample_weight_val): X_val does "
            "not have valid feature names, but TwoLayerSigmoidClassifier was "
            "fitted with feature names"
        )
    else:
        X_val = pd.DataFrame(X_val, columns=columns)
        expected = (
            "In the validation set (X_val, y_val, sample_weight_val): X_val has "
            "feature names, but TwoLayerSigmoidClassifier was fitted without "
            "feature names"
        )
    clf = TwoLayerSigmoidClassifier(n_hidden=2, early_stopping=True, random_state=0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert [str(warning.message) for warning in record] == [expected]
    assert record[0].category is UserWarning
    assert record[0].filename == __file__  # the caller of fit
    reference = TwoLayerSigmoidClassifier(
        n_hidden=2, early_stopping=True, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference.fit(np.asarray(X), y, X_val=np.asarray(X_val), y_val=y_val)
    assert clf.validation_loss_curve_ == reference.validation_loss_curve_
    assert hasattr(clf, "feature_names_in_") == (named == "X")  # the fit's own


def test_x_val_with_other_feature_names_is_an_error_with_the_prefix():
    pd = pytest.importorskip("pandas")
    X, y, X_val, y_val = _time_ordered()
    X = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    X_val = pd.DataFrame(X_val, columns=["a", "b", "c", "e"])
    clf = TwoLayerSigmoidClassifier(n_hidden=2, early_stopping=True)
    with pytest.raises(ValueError, match="should match those that were passed") as e:
        clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert str(e.value).startswith("In the validation set (X_val, y_val")


def test_a_column_vector_y_val_is_raveled_with_a_warning_that_names_it():
    from sklearn.exceptions import DataConversionWarning

    X, y, X_val, y_val = _time_ordered()
    clf = TwoLayerSigmoidClassifier(n_hidden=2, early_stopping=True, random_state=0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, X_val=X_val, y_val=y_val[:, None])
    assert [str(warning.message) for warning in record] == [
        "In the validation set (X_val, y_val, sample_weight_val): A column-vector "
        "y_val was passed when a 1d array was expected. Please change the shape of "
        "y_val to (n_samples,), for example using ravel()."
    ]
    assert record[0].category is DataConversionWarning
    assert record[0].filename == __file__
