"""Early stopping: the held-out split, the curves, the kept parameters."""

import itertools
import re
import warnings

import numpy as np
import pytest
from _fitting import fit_ignoring_convergence_warnings
from _problems import standardized_classification
from hypothesis import given
from hypothesis import strategies as st
from scipy import sparse
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._solver import ValidationMonitor
from sklearn_twolayer._split import (
    _duplicate_groups,
    _row_fingerprints,
    held_out_shares,
    part_weights,
    weighted_stratified_split,
)
from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss

SOLVERS = ["lbfgs", "trust-ncg"]


@pytest.fixture(scope="module")
def noisy_data():
    """Label noise and a wide network: fitted to convergence it overfits."""
    return standardized_classification(
        n_samples=300,
        n_features=12,
        n_informative=4,
        flip_y=0.25,
        class_sep=0.8,
        random_state=0,
    )


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
    converged = fit_ignoring_convergence_warnings(
        _overfitting_net(early_stopping=False), X[train], y[train]
    )
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
    """The guarantees the estimator relies on, for any weights and duplicates.

    Each distinct sample is held out whole, kept, or shared (the fraction held
    out) as one; both parts have positive weight; every class (every value, 0 or
    1, of every target column) keeps training weight; a sample held out whole has
    no copy in training; the split warns exactly when it shares; and integer
    weights split as repeated rows do.
    """
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 3, size=(n_samples, 2)).astype(float)  # many duplicates
    if one_hot:
        Y = np.eye(n_outputs + 1)[rng.integers(0, n_outputs + 1, n_samples)]
    else:
        Y = rng.integers(0, 2, size=(n_samples, n_outputs)).astype(float)
    weights = rng.choice([0.0, 1e-300, 0.5, 1.0, 3.0], size=n_samples)
    rows = np.hstack([X, Y])
    positive = weights > 0
    if np.unique(rows[positive], axis=0).shape[0] < 2:
        with pytest.raises(ValueError, match="at least 2 distinct samples"):
            weighted_stratified_split(X, Y, weights, validation_fraction, seed)
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        share = held_out_shares(
            _row_fingerprints(X, Y), Y, weights, validation_fraction, seed
        )
    assert set(np.unique(share)) <= {0.0, validation_fraction, 1.0}
    assert np.all(share[~positive] == 0)
    for row in np.unique(rows, axis=0):  # one share per distinct sample
        assert np.unique(share[np.all(rows == row, axis=1) & positive]).size <= 1
    train_weight, held_out_weight = weights * (1 - share), weights * share
    assert train_weight.sum() > 0 and held_out_weight.sum() > 0

    def values(targets):
        return {(j, v) for j in range(Y.shape[1]) for v in np.unique(targets[:, j])}

    assert values(Y[train_weight > 0]) == values(Y[positive])
    whole = {tuple(r) for r in rows[share == 1]}
    assert whole.isdisjoint(tuple(r) for r in rows[train_weight > 0])
    shared = np.any((share > 0) & (share < 1))
    warned = any("holds out a share" in str(w.message) for w in caught)
    assert warned == shared

    # Integer weights: the held-out weight of each sample is that of its repeats.
    counts = rng.integers(0, 4, size=n_samples)
    if np.unique(rows[counts > 0], axis=0).shape[0] < 2:
        return
    X_rep, Y_rep = np.repeat(X, counts, axis=0), np.repeat(Y, counts, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        by_weight = held_out_shares(
            _row_fingerprints(X, Y), Y, counts, validation_fraction, seed
        )
        by_repeat = held_out_shares(
            _row_fingerprints(X_rep, Y_rep), Y_rep, None, validation_fraction, seed
        )
    rows_rep = np.repeat(rows, counts, axis=0)
    for row in np.unique(rows_rep, axis=0):
        assert (counts * by_weight)[np.all(rows == row, axis=1)].sum() == (
            pytest.approx(by_repeat[np.all(rows_rep == row, axis=1)].sum())
        )


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


# -- issue 20, defect 1: a split that returned the start or trained on one class ----
def _xor_of_8_rows():
    """The issue's reproducer: 2000 rows, 8 distinct, the class x0 XOR x1."""
    rng = np.random.RandomState(0)
    X = rng.randint(0, 2, size=(2000, 3)).astype(float)
    return X, X[:, 0].astype(int) ^ X[:, 1].astype(int)


def _shares(X, Y, weights, fraction, seed):
    return held_out_shares(_row_fingerprints(X, Y), Y, weights, fraction, seed)


def test_issue_reproducer_few_distinct_rows_train_every_pattern():
    X, y = _xor_of_8_rows()
    with pytest.warns(UserWarning, match="holds out a share of training samples"):
        es = TwoLayerSigmoidClassifier(
            n_hidden=4, early_stopping=True, random_state=1
        ).fit(X, y)
    assert es.best_iteration_ > 0  # was 0: the Glorot draw itself
    assert es.score(X, y) == 1.0  # was 0.63
    # Every pattern keeps 90% of its weight for training and holds out 10%.
    with pytest.warns(UserWarning, match="holds out a share"):
        share = _shares(X, y[:, None].astype(float), None, 0.1, 1)
    np.testing.assert_array_equal(share, np.full(y.size, 0.1))


@pytest.mark.parametrize("solver", SOLVERS)
def test_issue_reproducer_75_copies_of_two_rows_train_both_classes(solver):
    X = np.repeat([[0.0, 1.0], [1.0, 0.0]], 75, axis=0)
    y = np.repeat([0, 1], 75)
    with pytest.warns(UserWarning, match="holds out a share"):
        es = TwoLayerSigmoidClassifier(
            n_hidden=2, early_stopping=True, random_state=0, solver=solver
        ).fit(X, y)
    assert es.best_iteration_ > 0
    assert es.score(X, y) == 1.0  # was 0.5: it trained on one class
    # The same with one row of weight 75 per class: both classes in both parts.
    with pytest.warns(UserWarning, match="holds out a share"):
        share = _shares(X[[0, -1]], y[[0, -1], None], np.array([75.0, 75.0]), 0.1, 0)
    np.testing.assert_array_equal(share, [0.1, 0.1])


@pytest.mark.parametrize("target", ["multiclass", "multilabel"])
def test_every_class_and_label_value_keeps_a_training_row(target):
    """Samples each alone in their target row are pooled into one stratum; the
    pooled stratum must not hold out the last sample of a class (of a label's 0
    or 1) although the fraction would take it, weighted or not."""
    rng = np.random.default_rng(0)
    if target == "multilabel":
        singles = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1]]
        Y = np.array(singles + [[1, 1, 1]] * 6, dtype=float)
    else:  # classes 1, 2, 3 have one sample each, class 0 six
        Y = np.eye(4)[[1, 2, 3] + [0] * 6]
    X = rng.normal(size=(Y.shape[0], 2))
    for weights in (None, rng.uniform(0.5, 2.0, size=Y.shape[0])):
        for seed in range(10):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                share = _shares(X, Y, weights, 0.5, seed)
            training = share < 1
            for column in range(Y.shape[1]):
                assert set(Y[training, column]) == set(Y[:, column])
            assert np.any(share > 0)


def test_samples_that_cannot_be_spared_are_shared():
    """Two rows, one per class: neither can leave training, so both are shared
    (90% of each trains, 10% of each validates), with the warning."""
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    for y in (np.array([0, 1]), np.array([[1, 0], [0, 1]])):
        Y = y[:, None] if y.ndim == 1 else y
        with pytest.warns(UserWarning, match="holds out a share"):
            share = _shares(X, Y.astype(float), None, 0.1, 0)
        np.testing.assert_array_equal(share, [0.1, 0.1])


def test_a_heavy_sample_does_not_keep_the_light_ones_out():
    """One sample with 500 copies among 100 distinct ones of its class: the class
    still holds out its fraction, in light samples, whatever the random order
    (it held out nothing when the heavy one came first)."""
    rng = np.random.default_rng(5)
    X = np.vstack([np.zeros((500, 2)), rng.normal(size=(200, 2))])
    y = np.repeat([0, 0, 1], [500, 100, 100])
    Y = y[:, None].astype(float)
    for seed in range(20):
        _, held_out = weighted_stratified_split(X, Y, None, 0.1, seed)
        held_out_of_class_0 = np.count_nonzero(y[held_out] == 0)
        assert held_out_of_class_0 == 60  # 10% of 600, in distinct rows
        assert not np.any(held_out < 500)  # the heavy sample stays in training


def test_every_class_holds_out_something_even_when_small():
    """A class of 3 rows cannot hold out a whole row within 10%: it shares its
    rows' weight, and is validated on, instead of being left out."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(103, 2))
    y = np.repeat([0, 1], [100, 3])
    for seed in range(10):
        with pytest.warns(UserWarning, match="in 1 of the 2 strata"):
            share = _shares(X, y[:, None].astype(float), None, 0.1, seed)
        np.testing.assert_array_equal(share[y == 1], [0.1] * 3)
        assert np.count_nonzero(share[y == 0] == 1) == 10


@pytest.mark.parametrize("solver", SOLVERS)
def test_early_stopping_that_keeps_the_start_says_so(solver):
    """XOR on 8 distinct rows starts on a plateau: when no iteration beats the
    random start within the patience, the fit must not return it silently."""
    rng = np.random.RandomState(0)
    X = rng.randint(0, 2, size=(400, 3)).astype(float)
    y = X[:, 0].astype(int) ^ X[:, 1].astype(int)
    net = TwoLayerSigmoidClassifier(
        n_hidden=4, alpha=1e-2, early_stopping=True, random_state=0, solver=solver
    )
    with (
        pytest.warns(UserWarning, match="holds out a share"),
        pytest.warns(ConvergenceWarning, match="kept the untrained start"),
    ):
        net.fit(X, y)
    assert net.best_iteration_ == 0
    # The kept start's training objective, evaluated (no iteration recorded it).
    start = TwoLayerSigmoidClassifier(n_hidden=4, alpha=1e-2, random_state=0)
    assert net.loss_ > 0 and np.isfinite(net.loss_)
    np.testing.assert_array_equal(net.W1_, _start_of(start, X, y).W1_)
    # A warm start that does not improve keeps the previous fit: no warning.
    fitted = _overfitting_net(n_hidden=3, max_iter=200).fit(*_noisy())
    fitted.set_params(warm_start=True, n_iter_no_change=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted.fit(*_noisy())
    assert fitted.best_iteration_ == 0
    assert not [w for w in caught if "untrained start" in str(w.message)]


def _start_of(net, X, y):
    """The estimator after 0 iterations: its Glorot start."""
    from sklearn_twolayer._classifier import _glorot_start

    layout = ParameterLayout(X.shape[1], net.n_hidden, 1)
    net.W1_ = layout.unpack(_glorot_start(layout, np.random.RandomState(0)))[0]
    return net


def _noisy():
    return standardized_classification(n_samples=200, flip_y=0.3, random_state=1)


def test_fingerprints_do_not_depend_on_the_chunk_size():
    """The fingerprint works a chunk of rows at a time, sized in bytes: any chunk
    gives the same fingerprints (the issue's 378 MB came from 8192-row chunks)."""
    from sklearn_twolayer._split import _row_fingerprints

    rng = np.random.default_rng(7)
    X = rng.normal(size=(50, 7))
    Y = rng.integers(0, 2, size=(50, 2)).astype(float)
    whole = _row_fingerprints(X, Y)
    for chunk_bytes in (1, 56, 57, 8 * 7 * 13, 1 << 30):
        np.testing.assert_array_equal(_row_fingerprints(X, Y, chunk_bytes), whole)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("container", [np.asarray, sparse.csr_matrix])
@pytest.mark.parametrize("few_distinct", [False, True])  # whole rows; shared rows
def test_early_stopping_holds_no_copy_of_X(weighted, container, few_distinct):
    """The training rows are X itself (weighted by their training part, 0 for the
    rows held out), the held-out rows indices into it with their held-out part;
    both give the sums of the rows they stand for."""
    from sklearn_twolayer._backends import in_memory

    X, y = _noisy()
    fraction = 0.2
    if few_distinct:  # 4 distinct rows of 50 copies, 2 per class: shared
        first = [*np.flatnonzero(y == 0)[:2], *np.flatnonzero(y == 1)[:2]]
        X, y = np.repeat(X[first], 50, axis=0), np.repeat(y[first], 50)
    X = container(X)
    weights = np.random.default_rng(8).uniform(0.5, 2.0, y.size) if weighted else None
    net = TwoLayerSigmoidClassifier(n_hidden=3)
    _, rows = in_memory.training_rows(net, X, y, weights, reset=True, n_hidden=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        share = _shares(rows.X, rows.Y, rows.sample_weight, fraction, 0)
        train, held_out = rows.split(fraction, 0)
    assert np.any((share > 0) & (share < 1)) == few_distinct
    assert train.X is rows.X and held_out.rows is rows
    held_out._chunk_rows = 7  # several chunks
    theta = np.random.default_rng(9).normal(size=rows.loss.layout.size)
    loss = rows.loss
    s = np.ones(y.size) if weights is None else rows.sample_weight
    for part, part_weight in ((train, s * (1 - share)), (held_out, s * share)):
        index = np.flatnonzero(part_weight)
        assert part.weight_sum == pytest.approx(part_weight.sum(), rel=1e-12)
        assert part.data_loss(theta) == pytest.approx(
            loss.data_loss(theta, rows.X[index], rows.Y[index], part_weight[index]),
            rel=1e-12,
        )
    index = np.flatnonzero(share < 1)
    train_weight = (s * (1 - share))[index]
    np.testing.assert_allclose(
        train.data_loss_gradient(theta)[1],
        loss.data_loss_gradient(theta, rows.X[index], rows.Y[index], train_weight)[1],
        rtol=1e-10,
        atol=1e-12,
    )


# -- the rules of the split, each pinned (mutation testing of _split.py) -------------
def test_the_sharing_warning_and_the_error_say_everything():
    X, y = _xor_of_8_rows()
    message = (
        "early_stopping=True holds out a share of training samples' weight in 2 of "
        "the 2 strata of the split (classes; label sets for multilabel targets): no "
        "distinct sample there could be held out whole, each carrying more than "
        "twice validation_fraction=0.1 of its stratum's weight or being the last of "
        "its class, so each keeps 90% of its weight for training and holds out the "
        "rest. The validation loss then measures the fit to training samples, not "
        "to new ones. Fit without early stopping, or with more distinct samples."
    )
    with pytest.warns(UserWarning) as caught:
        _shares(X, y[:, None].astype(float), None, 0.1, 0)
    assert [str(w.message) for w in caught] == [message]
    assert caught[0].category is UserWarning
    message = (
        "early_stopping=True needs at least 2 distinct samples of positive weight "
        "to hold some out; got 0."
    )
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        weighted_stratified_split(X, y[:, None], np.zeros(y.size), 0.1, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_part_weights_are_in_the_data_dtype(dtype):
    share = np.array([0.0, 0.25, 1.0])
    for weights in (None, np.array([2.0, 4.0, 8.0], dtype=dtype)):
        train, held_out = part_weights(weights, share, dtype)
        assert train.dtype == held_out.dtype == dtype
        s = np.ones(3) if weights is None else weights
        np.testing.assert_array_equal(train, s * [1.0, 0.75, 0.0])
        np.testing.assert_array_equal(held_out, s * [0.0, 0.25, 1.0])


def test_a_row_of_exactly_twice_the_target_is_held_out_whole():
    """5 unit rows at 10%: the target is half a row, and a row's midpoint (0.5) is
    within it: one whole row, no sharing (the boundaries are inclusive)."""
    X = np.arange(10.0)[:, None]
    y = np.repeat([0, 1], 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        share = _shares(X, y[:, None].astype(float), None, 0.1, 0)
    assert sorted(share) == [0.0] * 8 + [1.0] * 2


def test_a_sample_between_two_and_three_targets_does_not_block_the_class():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(201, 2))
    y = np.repeat([0, 1], [101, 100])
    weights = np.ones(201)
    weights[0] = 30.0  # target 13.0 of class 0's 130: 30 is in (26, 39]
    for seed in range(20):
        share = _shares(X, y[:, None].astype(float), weights, 0.1, seed)
        held_out_weight = (weights * share)[y == 0].sum()
        assert held_out_weight == 13.0 and share[0] == 0.0


def test_a_stratum_always_keeps_one_distinct_sample():
    X = np.arange(20.0)[:, None]
    y = np.repeat([0, 1], 10)
    share = _shares(X, y[:, None].astype(float), None, 0.9, 0)
    for label in (0, 1):
        assert np.count_nonzero(share[y == label] == 1) == 9


def test_the_pooled_stratum_holds_out_a_value_that_two_samples_share():
    """Four label sets, each once: every 0 and 1 of both labels is held by exactly
    two of them. One may be held out whole (its values keep one training sample
    each); no second one that would take a value's last sample."""
    Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=float)
    X = np.arange(4.0)[:, None]
    for fraction in (0.3, 0.5, 0.9):
        for seed in range(10):
            with warnings.catch_warnings():
                warnings.simplefilter("error", UserWarning)
                share = _shares(X, Y, None, fraction, seed)
            assert set(share) <= {0.0, 1.0}
            held_out = np.flatnonzero(share == 1)
            assert held_out.size >= 1
            training = Y[share == 0]
            for column in range(2):
                assert set(training[:, column]) == {0.0, 1.0}
