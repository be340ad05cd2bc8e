"""Early stopping: the held-out split, the curves, the kept parameters."""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import sparse
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._solver import ValidationMonitor
from sklearn_twolayer._split import _duplicate_groups, weighted_stratified_split
from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss

SOLVERS = ["lbfgs", "trust-ncg"]


@pytest.fixture(scope="module")
def noisy_data():
    """Label noise and a wide network: fitted to convergence it overfits."""
    X, y = make_classification(
        n_samples=300,
        n_features=12,
        n_informative=4,
        flip_y=0.25,
        class_sep=0.8,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


def _overfitting_net(**params):
    defaults = {
        "n_hidden": 30,
        "alpha": 1e-5,
        "max_iter": 500,
        "early_stopping": True,
        "validation_fraction": 0.2,
        "n_iter_no_change": 5,
        "random_state": 0,
    }
    return TwoLayerSigmoidClassifier(**{**defaults, **params})


def _validation_loss_of_fitted(net, X, y, sample_weight=None):
    """The validation loss of the fitted parameters, recomputed from scratch."""
    Y = (y[:, None] == net.classes_[1]).astype(float)
    _, held_out = weighted_stratified_split(
        X, Y, sample_weight, net.validation_fraction, net.random_state
    )
    loss = TwoLayerLoss(ParameterLayout(X.shape[1], net.n_hidden, 1), "sigmoid")
    theta = loss.layout.pack(net.W1_, net.b1_, net.W2_, net.b2_)
    weights = None if sample_weight is None else sample_weight[held_out]
    return loss.loss(theta, X[held_out], Y[held_out], weights)


# -- the estimator ------------------------------------------------------------------
@pytest.mark.parametrize("solver", SOLVERS)
def test_stops_and_keeps_the_best_validation_parameters(noisy_data, solver):
    X, y = noisy_data
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # stopping is no failure
        net = _overfitting_net(solver=solver).fit(X, y)

    curve = net.validation_loss_curve_
    assert net.n_iter_ < net.max_iter
    assert len(curve) == len(net.loss_curve_) == net.n_iter_
    # The patience ran out: the last n_iter_no_change iterations that moved the
    # parameters did not improve (a rejected trust-ncg step repeats the value).
    after_best = curve[net.best_iteration_ - 1 :]
    moved = sum(later != earlier for earlier, later in itertools.pairwise(after_best))
    assert moved == net.n_iter_no_change
    if solver == "lbfgs":
        assert net.n_iter_ == net.best_iteration_ + net.n_iter_no_change
    assert net.best_validation_loss_ == min(curve) == curve[net.best_iteration_ - 1]
    assert curve[-1] > net.best_validation_loss_
    # The kept parameters are the best iteration's, not the last ones.
    assert net.loss_ == net.loss_curve_[net.best_iteration_ - 1]
    assert net.loss_ > net.loss_curve_[-1]
    recomputed = _validation_loss_of_fitted(net, X, y)
    assert recomputed == pytest.approx(net.best_validation_loss_, rel=1e-10)


def test_early_stopping_generalises_better_on_noisy_data(noisy_data):
    """The point of the feature: a lower held-out log-loss than the converged fit's.

    With label noise and almost no L2, the converged fit drives its training loss
    towards 0 with confident, often wrong, probabilities.
    """
    X, y = noisy_data
    train, test = np.arange(0, 300, 2), np.arange(1, 300, 2)
    stopped = _overfitting_net().fit(X[train], y[train])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        converged = _overfitting_net(early_stopping=False).fit(X[train], y[train])
    assert converged.n_iter_ > stopped.n_iter_
    stopped_loss = log_loss(y[test], stopped.predict_proba(X[test]))
    converged_loss = log_loss(y[test], converged.predict_proba(X[test]))
    assert stopped_loss < converged_loss


def test_attributes_are_none_without_early_stopping(noisy_data):
    X, y = noisy_data
    net = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0).fit(X, y)
    assert net.validation_loss_curve_ is None
    assert net.best_validation_loss_ is None
    assert net.best_iteration_ is None


@pytest.mark.parametrize("solver", SOLVERS)
def test_deterministic_for_an_integer_random_state(noisy_data, solver):
    X, y = noisy_data
    first = _overfitting_net(solver=solver).fit(X, y)
    second = _overfitting_net(solver=solver).fit(X, y)
    assert first.validation_loss_curve_ == second.validation_loss_curve_
    assert first.loss_curve_ == second.loss_curve_
    np.testing.assert_array_equal(first.W1_, second.W1_)


def test_random_state_changes_the_split(noisy_data):
    X, y = noisy_data
    Y = y[:, None].astype(float)
    _, held_out_0 = weighted_stratified_split(X, Y, None, 0.2, 0)
    _, held_out_1 = weighted_stratified_split(X, Y, None, 0.2, 1)
    assert not np.array_equal(held_out_0, held_out_1)


def test_grid_search(noisy_data):
    X, y = noisy_data
    search = GridSearchCV(
        _overfitting_net(n_hidden=10),
        {"n_iter_no_change": [2, 8], "validation_fraction": [0.1, 0.3]},
        cv=2,
    ).fit(X, y)
    best = search.best_estimator_
    assert len(best.validation_loss_curve_) == best.n_iter_
    assert search.cv_results_["mean_test_score"].min() > 0.5


def test_warm_start_continues_from_the_best_parameters(noisy_data):
    X, y = noisy_data
    net = _overfitting_net(warm_start=True).fit(X, y)
    first_best, first_W1 = net.best_validation_loss_, net.W1_.copy()
    net.fit(X, y)
    # Same integer random_state and data: the same split, so the first fit's best
    # parameters are the baseline of the second, which can only improve on them.
    assert net.best_validation_loss_ <= first_best
    assert len(net.validation_loss_curve_) == net.n_iter_
    if net.best_iteration_ == 0:
        np.testing.assert_array_equal(net.W1_, first_W1)
    assert _validation_loss_of_fitted(net, X, y) == pytest.approx(
        net.best_validation_loss_, rel=1e-10
    )


def test_integer_weights_equal_repeated_rows(noisy_data):
    X, y = noisy_data
    weights = np.random.default_rng(0).integers(0, 4, size=y.size)
    weighted = _overfitting_net(n_hidden=5).fit(X, y, sample_weight=weights)
    repeated = _overfitting_net(n_hidden=5).fit(
        np.repeat(X, weights, axis=0), np.repeat(y, weights)
    )
    assert weighted.n_iter_ == repeated.n_iter_
    assert weighted.best_iteration_ == repeated.best_iteration_
    np.testing.assert_allclose(
        weighted.validation_loss_curve_, repeated.validation_loss_curve_, rtol=1e-7
    )
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-6
    )


def test_held_out_weights_weight_the_validation_loss(noisy_data):
    X, y = noisy_data
    weights = np.random.default_rng(1).uniform(0.1, 3.0, size=y.size)
    net = _overfitting_net(n_hidden=5).fit(X, y, sample_weight=weights)
    recomputed = _validation_loss_of_fitted(net, X, y, weights)
    assert recomputed == pytest.approx(net.best_validation_loss_, rel=1e-10)
    unweighted = _validation_loss_of_fitted(net, X, y, None)
    assert unweighted != pytest.approx(recomputed, rel=1e-6)


@pytest.mark.parametrize("solver", SOLVERS)
def test_multiclass_multilabel_and_sparse(solver):
    X, Y = make_multilabel_classification(n_samples=120, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    for targets in (Y, Y.argmax(axis=1)):
        for data in (X, sparse.csr_matrix(X)):
            net = _overfitting_net(n_hidden=6, solver=solver).fit(data, targets)
            curve = net.validation_loss_curve_
            assert len(curve) == len(net.loss_curve_) == net.n_iter_
            assert net.best_validation_loss_ <= min(curve)
            if net.best_iteration_ > 0:
                assert net.best_validation_loss_ == curve[net.best_iteration_ - 1]


def test_sparse_and_dense_fits_agree(noisy_data):
    X, y = noisy_data
    dense = _overfitting_net(n_hidden=5).fit(X, y)
    from_sparse = _overfitting_net(n_hidden=5).fit(sparse.csr_matrix(X), y)
    assert dense.best_iteration_ == from_sparse.best_iteration_
    np.testing.assert_allclose(dense.W1_, from_sparse.W1_, rtol=1e-6, atol=1e-9)


def test_too_few_distinct_samples_is_a_clear_error():
    """Three copies of one multilabel row: nothing distinct to hold out."""
    X = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    Y = np.array([[1, 0], [1, 0], [1, 0], [0, 1]])
    with pytest.raises(ValueError, match="at least 2 distinct samples"):
        TwoLayerSigmoidClassifier(early_stopping=True).fit(
            X, Y, sample_weight=np.array([1.0, 2.0, 1.0, 0.0])
        )


# -- the split -------------------------------------------------------------------
@given(
    n_samples=st.integers(2, 30),
    n_outputs=st.integers(1, 4),
    one_hot=st.booleans(),
    validation_fraction=st.floats(0.01, 0.99),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_split_leaves_positive_weight_on_both_sides(
    n_samples, n_outputs, one_hot, validation_fraction, seed
):
    """The guarantees the estimator relies on, for any weights and duplicates."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 3, size=(n_samples, 2)).astype(float)  # many duplicates
    if one_hot:
        Y = np.eye(n_outputs + 1)[rng.integers(0, n_outputs + 1, n_samples)]
    else:
        Y = rng.integers(0, 2, size=(n_samples, n_outputs)).astype(float)
    weights = rng.choice([0.0, 1e-300, 0.5, 1.0, 3.0], size=n_samples)
    positive_rows = {tuple(r) for r in np.hstack([X, Y])[weights > 0]}
    if len(positive_rows) < 2:
        with pytest.raises(ValueError, match="at least 2 distinct samples"):
            weighted_stratified_split(X, Y, weights, validation_fraction, seed)
        return
    train, held_out = weighted_stratified_split(
        X, Y, weights, validation_fraction, seed
    )
    assert np.array_equal(
        np.sort(np.concatenate([train, held_out])), np.arange(n_samples)
    )
    assert held_out.size > 0 and np.all(weights[held_out] > 0)
    assert weights[train].sum() > 0
    rows = np.hstack([X, Y])
    held_out_rows = {tuple(r) for r in rows[held_out]}
    assert held_out_rows.isdisjoint(tuple(r) for r in rows[train][weights[train] > 0])


def test_split_is_stratified_and_measured_in_weight():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [200, 100, 40])
    X = rng.normal(size=(y.size, 3))
    Y = np.eye(3)[y]
    weights = rng.uniform(0.5, 1.5, size=y.size)
    train, held_out = weighted_stratified_split(X, Y, weights, 0.25, 0)
    assert np.intersect1d(train, held_out).size == 0
    assert np.union1d(train, held_out).size == y.size
    for label in range(3):
        in_class = y == label
        fraction = weights[held_out][in_class[held_out]].sum() / weights[in_class].sum()
        # Whole rows of weight at most 1.5: within one row's weight of 25%.
        assert abs(fraction - 0.25) <= 1.5 / weights[in_class].sum()


def test_split_keeps_duplicates_together_and_ignores_row_order():
    rng = np.random.default_rng(1)
    distinct = rng.normal(size=(30, 2))
    copies = rng.integers(1, 4, size=30)
    X = np.repeat(distinct, copies, axis=0)
    Y = np.repeat(rng.integers(0, 2, size=(30, 1)), copies, axis=0).astype(float)
    _, held_out = weighted_stratified_split(X, Y, None, 0.3, 0)
    held_out_rows = {tuple(row) for row in X[held_out]}
    train_rows = {tuple(row) for row in np.delete(X, held_out, axis=0)}
    assert held_out_rows.isdisjoint(train_rows)

    order = rng.permutation(X.shape[0])
    _, held_out_shuffled = weighted_stratified_split(X[order], Y[order], None, 0.3, 0)
    assert {tuple(row) for row in X[order][held_out_shuffled]} == held_out_rows


def test_split_of_sparse_input_is_the_dense_split():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 5)) * (rng.uniform(size=(60, 5)) < 0.4)
    Y = rng.integers(0, 2, size=(60, 1)).astype(float)
    dense = weighted_stratified_split(X, Y, None, 0.2, 3)
    for container in (sparse.csr_matrix, sparse.csc_matrix):
        split = weighted_stratified_split(container(X), Y, None, 0.2, 3)
        np.testing.assert_array_equal(split[1], dense[1])


def test_multilabel_split_pools_rare_label_sets():
    """Label sets seen once cannot be stratified; pooled, they are still split."""
    rng = np.random.default_rng(3)
    codes = rng.permutation(2**12)[:200]  # 200 distinct label sets over 12 labels
    Y = ((codes[:, None] >> np.arange(12)) & 1).astype(float)
    X = rng.normal(size=(200, 3))
    _, held_out = weighted_stratified_split(X, Y, None, 0.1, 0)
    assert held_out.size == 20  # one pooled stratum of 200 unit weights

    Y_common = np.repeat([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [100, 60, 40], axis=0)
    X_common = rng.normal(size=(200, 3))
    _, held_out = weighted_stratified_split(X_common, Y_common, None, 0.1, 0)
    for label_set, size in (([1.0, 0.0], 100), ([0.0, 1.0], 60), ([1.0, 1.0], 40)):
        held_out_of_set = np.all(Y_common[held_out] == label_set, axis=1).sum()
        assert held_out_of_set == size // 10


def test_zero_weight_rows_stay_in_training():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(50, 2))
    Y = rng.integers(0, 2, size=(50, 1)).astype(float)
    weights = np.where(np.arange(50) % 5 == 0, 0.0, 1.0)
    train, held_out = weighted_stratified_split(X, Y, weights, 0.3, 0)
    assert np.all(weights[held_out] > 0)
    assert np.all(np.isin(np.flatnonzero(weights == 0), train))


# -- the monitor -----------------------------------------------------------------
def test_monitor_ignores_iterations_that_did_not_move():
    """A rejected trust-region step repeats the iterate: no patience is used up."""
    values = {1.0: 3.0, 2.0: 2.0, 3.0: 2.5}
    monitor = ValidationMonitor(lambda t: values.get(t[0], 5.0), np.array([0.0]), 2)
    steps = [1.0, 2.0, 2.0, 2.0, 3.0]
    assert [monitor(np.array([step])) for step in steps] == [False] * 5
    assert monitor.curve == [3.0, 2.0, 2.0, 2.0, 2.5]
    assert monitor.best_iteration == 2
    assert monitor(
        np.array([4.0])
    )  # the second iteration that moved and did not improve


def test_duplicate_groups_are_exact_on_structured_rows():
    """Sign flips and permuted columns are different rows; −0.0 is 0.0."""
    X = np.array(
        [[1.5, 2.0], [-1.5, -2.0], [2.0, 1.5], [1.5, 2.0], [0.0, -0.0], [-0.0, 0.0]]
    )
    Y = np.zeros((6, 1))
    for data in (X, sparse.csr_matrix(X), X.astype(np.float32)):
        groups = _duplicate_groups(data, Y)
        assert groups[0] == groups[3] and groups[4] == groups[5]
        assert np.unique(groups[[0, 1, 2, 4]]).size == 4
    Y_other = Y.copy()
    Y_other[3] = 1.0  # same features, other target: another row
    groups = _duplicate_groups(X, Y_other)
    assert groups[0] != groups[3]
