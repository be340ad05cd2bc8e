"""The target encoding's functions (``_targets.py``) against independent references.

The estimator's tests cover these through ``fit``; here each function's own contract
is checked where a fit cannot see it: totals of blocks that lack a class (as Dask
blocks do), scikit-learn 1.6's class-weight path on a newer scikit-learn, the exact
messages of the validation labels' checks, and the dtypes of the validation rows'
encoding. Found missing by mutation testing (tests/MUTATION.md).
"""

import re

import numpy as np
import pytest
from scipy import sparse
from sklearn import config_context
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import type_of_target

from sklearn_twolayer import _targets
from sklearn_twolayer._sklearn_compat import ARRAY_API_VERSION
from sklearn_twolayer._targets import (
    Targets,
    check_any_weight_positive,
    check_indicator_values,
    check_validation_labels,
    class_weights,
    describe_targets,
    encode_validation_targets_and_weights,
    label_totals,
    representative_labels,
)


def _reference_totals(y, weights, classes):
    """Per-class rows, weight and rows of positive weight, one row at a time."""
    count = np.zeros(classes.size, dtype=np.int64)
    weighted = np.zeros(classes.size)
    positive = np.zeros(classes.size, dtype=np.int64)
    for label, weight in zip(y, weights, strict=True):
        k = classes.tolist().index(label)
        count[k] += 1
        weighted[k] += weight
        positive[k] += weight > 0
    return count, weighted, positive


def test_totals_of_blocks_lacking_classes_add_up_to_the_totals_of_all_rows():
    """A block of rows may lack the first or the last classes (a Dask block): its
    totals still have one entry per class, so the blocks' totals add up."""
    y = np.array([0, 0, 1, 2, 2, 1, 3, 3, 0, 1])
    weights = np.array([1.0, 0.0, 2.0, 0.5, 1.5, 0.0, 3.0, 1.0, 2.5, 1.0])
    targets = describe_targets(y, None)
    blocks = [slice(0, 3), slice(3, 5), slice(5, 8), slice(8, 10)]  # [0,1] [2] ...
    parts = [label_totals(y[b], weights[b], targets) for b in blocks]
    for part, block in zip(parts, blocks, strict=True):
        count, weighted, positive = _reference_totals(
            y[block], weights[block], targets.classes
        )
        np.testing.assert_array_equal(part["count"], count)
        np.testing.assert_allclose(part["weighted"], weighted)
        np.testing.assert_array_equal(part["positive"], positive)
    count, weighted, positive = _reference_totals(y, weights, targets.classes)
    np.testing.assert_array_equal(sum(p["count"] for p in parts), count)
    np.testing.assert_allclose(sum(p["weighted"] for p in parts), weighted)
    np.testing.assert_array_equal(sum(p["positive"] for p in parts), positive)


@pytest.mark.parametrize("dtype", [np.int64, bool])
def test_multilabel_totals_count_the_ones_and_the_zeros_of_each_label(dtype):
    Y = np.array([[1, 0, 1], [1, 1, 0], [0, 0, 1], [1, 0, 1]], dtype=dtype)
    weights = np.array([1.0, 2.0, 0.5, 4.0])
    totals = label_totals(Y, weights, describe_targets(Y.astype(int), None))
    ones = [[r[j] for r in Y.astype(int)].count(1) for j in range(3)]
    np.testing.assert_array_equal(totals["count"], [ones, [4 - n for n in ones]])
    weighted_ones = [
        sum(w for w, r in zip(weights, Y, strict=True) if r[j]) for j in range(3)
    ]
    weighted_zeros = [
        sum(w for w, r in zip(weights, Y, strict=True) if not r[j]) for j in range(3)
    ]
    np.testing.assert_allclose(totals["weighted"], [weighted_ones, weighted_zeros])


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 3.0, 2: 0.5}])
def test_the_class_weights_of_scikit_learn_1_6_are_those_of_1_7(
    monkeypatch, class_weight
):
    """Before 1.7, compute_class_weight takes no sample_weight and the weighted
    "balanced" formula is the package's own: it must give 1.7's weights."""
    y = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 0])
    weights = np.array([1.0, 2.0, 0.5, 1.0, 3.0, 1.0, 1.0, 0.25, 2.0, 1.0])
    targets = describe_targets(y, class_weight)
    totals = label_totals(y, weights, targets)
    # The weighted "balanced" formula of scikit-learn 1.7's compute_class_weight,
    # Σ s / (n_classes · Σ_class s), or the dict's values.
    if class_weight == "balanced":
        per_class = np.array([weights[y == k].sum() for k in range(3)])
        expected = weights.sum() / (3 * per_class)
    else:
        expected = np.array([class_weight[k] for k in range(3)])
    monkeypatch.setattr(_targets, "sklearn_at_least", lambda version: False)
    [(present, weights_of)] = class_weights(class_weight, targets, totals)
    np.testing.assert_array_equal(present, [0, 1, 2])
    np.testing.assert_allclose(weights_of, expected, rtol=1e-15)


@pytest.mark.parametrize("legacy", [False, True])
def test_balanced_gives_a_class_whose_weights_are_all_0_the_class_weight_0(
    monkeypatch, legacy
):
    """compute_class_weight's n / (C · 0) for it, without a division warning (an
    error here): 0; the other classes keep n / (C · n_k) with C = 3, as
    compute_class_weight counts the class. scikit-learn 1.6's path alike."""
    y = np.array([0, 0, 1, 2, 2, 1, 0])
    weights = np.array([1.0, 2.0, 0.5, 0.0, 0.0, 1.5, 1.0])
    targets = describe_targets(y, "balanced")
    if legacy:
        monkeypatch.setattr(_targets, "sklearn_at_least", lambda version: False)
    totals = label_totals(y, weights, targets)
    [(present, weights_of)] = class_weights("balanced", targets, totals)
    np.testing.assert_array_equal(present, [0, 1, 2])
    np.testing.assert_allclose(weights_of, [6 / (3 * 4), 6 / (3 * 2), 0], rtol=1e-15)
    Y = np.array([[1, 0], [1, 1], [0, 1], [1, 1]])  # the 0s of column 1: weight 0
    targets = describe_targets(Y, "balanced")
    totals = label_totals(Y, np.array([1.0, 1.0, 3.0, 1.0]) * (Y[:, 1] == 1), targets)
    columns = class_weights("balanced", targets, totals)
    np.testing.assert_allclose(columns[0][1], [5 / (2 * 3), 5 / (2 * 2)])
    np.testing.assert_allclose(columns[1][1], [0.0, 5 / (2 * 5)])


def test_all_zero_weights_get_scikit_learns_message():
    with pytest.raises(
        ValueError,
        match=r"^Sample weights must contain at least one non-zero number\.$",
    ):
        check_any_weight_positive(np.zeros(3))
    check_any_weight_positive(np.array([0.0, 1e-300]))


@pytest.mark.parametrize(
    "y, values",
    [
        (sparse.csr_matrix(np.array([[1, 2], [2, 1]])), [1, 2]),  # every entry stored
        (sparse.csr_matrix(np.array([[0, 2], [2, 1]])), [0, 1, 2]),  # an implicit 0
        (np.array([[-1, 1], [1, -1]]), [-1, 1]),
    ],
)
def test_indicator_values_name_exactly_the_values_found(y, values):
    with pytest.raises(ValueError, match=re.escape(f"got the values {values}.")):
        check_indicator_values(y)


def test_representative_labels_read_as_the_targets_they_stand_for():
    """type_of_target reads the representative array as it reads the whole y."""
    rng = np.random.default_rng(0)
    cases = [
        np.array([3, 1, 3, 3, 1]),  # binary
        np.array(["b", "a", "c", "a"]),  # multiclass, strings
        rng.integers(0, 2, size=(6, 3)),  # multilabel
        np.array([0.5, 1.5, 2.25]),  # continuous
        np.array([[1, 2], [2, 3], [3, 1]]),  # multiclass-multioutput
    ]
    for y in cases:
        n_columns = y.shape[1] if y.ndim == 2 else 1
        shown = representative_labels(np.unique(y), y.ndim, n_columns)
        assert type_of_target(shown) == type_of_target(y)
        assert shown.dtype == y.dtype
        assert set(np.unique(shown).tolist()) == set(np.unique(y).tolist())
        assert shown.ndim == y.ndim
        if y.ndim == 2:
            assert shown.shape == (np.unique(y).size, n_columns)
    # Repeated labels are read once.
    np.testing.assert_array_equal(representative_labels([2, 1, 2], 1, 1), [1, 2])


# -- the validation labels ---------------------------------------------------------
def _fitted(y, class_weight=None, weights=None):
    targets = describe_targets(y, class_weight)
    totals = label_totals(np.asarray(y), weights, targets)
    per_class = class_weights(class_weight, targets, totals)
    return Targets(targets.classes, targets.multilabel, per_class)


MULTILABEL = np.array([[0, 1, 0], [1, 1, 0], [0, 1, 1], [1, 0, 0]])


@pytest.mark.parametrize(
    "fitted_y, y_val, message",
    [
        (
            np.array([0, 1, 2]),
            np.array([[1, 2], [2, 3], [3, 1]]),
            "TwoLayerSigmoidClassifier supports binary, multiclass and multilabel "
            "targets; got a 'multiclass-multioutput' target.",
        ),
        (
            np.array([0, 1, 2]),
            np.array([[0, 1], [1, 0]]),
            "y is a 'multilabel-indicator' target, but the network was set up for a "
            "binary or multiclass target by the training y.",
        ),
        (
            MULTILABEL,
            np.array([0, 1, 1]),
            "y is a 'binary' target, but the network was set up for a multilabel "
            "target by the training y.",
        ),
        (
            MULTILABEL,
            np.array([[1, 2, 1], [2, 1, 2]]),
            "A 2-D y is a multilabel indicator matrix and must hold only 0 and 1 "
            "(or False and True); got the values [1, 2].",
        ),
        (
            MULTILABEL,
            np.array([[1, 0], [0, 1]]),
            "y has 2 label columns, but the training y has 3.",
        ),
        (
            np.array(["a", "b"]),
            np.array(["a", "c", "d", "c"]),
            "y contains previously unseen labels: ['c', 'd']; the classes of the "
            "training y are ['a', 'b'].",
        ),
    ],
)
def test_validation_labels_are_refused_with_a_message_that_names_the_problem(
    fitted_y, y_val, message
):
    with pytest.raises(ValueError) as error:
        check_validation_labels(y_val, _fitted(fitted_y))
    assert str(error.value).startswith(message)


def test_a_label_value_without_a_class_weight_is_named():
    """Balanced multilabel weights: label 1 of column 0 was never 0 in training, so
    a validation 0 there has no class weight; column 1 is always 1."""
    fitted_y = np.array([[1, 1], [1, 1], [1, 0]])
    targets = _fitted(fitted_y, "balanced")
    check_validation_labels(np.array([[1, 1], [1, 0]]), targets)  # values it has
    with pytest.raises(ValueError) as error:
        check_validation_labels(np.array([[1, 1], [0, 1], [1, 0]]), targets)
    assert str(error.value) == (
        "y has the value(s) [0] in label column 0, which the training y never has: "
        "there is no class weight for them."
    )
    # Without class weights every 0/1 value is fine.
    check_validation_labels(np.array([[0, 1], [0, 0]]), _fitted(fitted_y))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_validation_rows_are_encoded_in_the_dtype_of_x(dtype, class_weight):
    y = np.array([0, 1, 1, 2, 2, 2])
    targets = _fitted(y, class_weight)
    X_val = np.ones((4, 2), dtype=dtype)
    y_val = np.array([2, 0, 1, 2])
    Y, weights = encode_validation_targets_and_weights(
        targets, X_val, y_val, [1, 2, 3, 4]
    )
    assert Y.dtype == dtype and weights.dtype == dtype
    np.testing.assert_array_equal(Y, np.eye(3)[y_val])
    per_class = (
        np.ones(3)
        if class_weight is None
        else compute_class_weight("balanced", classes=np.arange(3), y=y)
    )
    np.testing.assert_allclose(
        weights,
        per_class[y_val] * [1, 2, 3, 4],
        rtol=1e-6 if dtype is np.float32 else 0,
    )
    Y, weights = encode_validation_targets_and_weights(targets, X_val, y_val, None)
    assert Y.dtype == dtype
    assert weights is None if class_weight is None else weights.dtype == dtype


@pytest.mark.parametrize(
    "sample_weight, message",
    [
        ([1.0, -1.0, 1.0, 1.0], "Negative values in data passed to `sample_weight`"),
        ([1.0, 1.0], r"sample_weight.shape == \(2,\), expected \(4,\)"),
        (
            [0.0, 0.0, 0.0, 0.0],
            r"^Sample weights must contain at least one non-zero number\.$",
        ),
    ],
)
def test_validation_sample_weights_are_checked_as_the_training_ones(
    sample_weight, message
):
    targets = _fitted(np.array([0, 1, 1, 0]))
    X_val = np.ones((4, 2))
    with pytest.raises(ValueError, match=message):
        encode_validation_targets_and_weights(
            targets, X_val, np.array([0, 1, 0, 1]), sample_weight
        )


def test_validation_weights_that_sum_to_zero_name_the_validation_loss():
    """Class weight 0 on the only validation class: no validation loss."""
    targets = _fitted(np.array([0, 1, 1, 0]), {0: 0.0, 1: 1.0})
    with pytest.raises(ValueError, match=r"sum to 0: no validation loss\.$"):
        encode_validation_targets_and_weights(
            targets, np.ones((2, 2)), np.array([0, 0]), None
        )


def test_a_target_kind_the_network_has_no_output_for_is_named():
    with pytest.raises(ValueError) as error:
        describe_targets(np.array([[1, 2], [2, 3], [3, 1]]), None)
    assert str(error.value) == (
        "TwoLayerSigmoidClassifier supports binary, multiclass and multilabel "
        "targets; got a 'multiclass-multioutput' target."
    )


@pytest.mark.parametrize("class_weight", ["balanced", {0: 2.0, 1: 0.5, 2: 3.0}])
def test_row_weights_are_compute_class_weights_per_row(class_weight):
    """A class of a single row included: every row gets its class's weight."""
    y = np.array([0, 1, 1, 2, 1, 0, 1])  # class 2 has one row
    targets = describe_targets(y, class_weight)
    per_class = class_weights(class_weight, targets, label_totals(y, None, targets))
    expected = compute_class_weight(class_weight, classes=np.arange(3), y=y)
    for dtype in (np.float32, np.float64):
        weights = _targets.row_weights(y, None, targets, per_class, dtype)
        assert weights.dtype == dtype
        np.testing.assert_allclose(weights, expected[y], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_targets_and_weights_come_in_the_requested_dtype(dtype):
    cases = [np.array([3, 5, 5, 3]), np.array([0, 2, 1, 2]), MULTILABEL]
    for y in cases:
        targets = describe_targets(y, None)
        Y = _targets.target_matrix(y, targets, dtype)
        assert Y.dtype == dtype
        if targets.multilabel:
            np.testing.assert_array_equal(Y, y)
        elif targets.n_outputs == 1:
            np.testing.assert_array_equal(Y[:, 0], y == targets.classes[1])
        else:
            np.testing.assert_array_equal(Y, np.eye(3)[y])
    weights = _targets.row_weights(y, [1, 2, 3, 4], targets, None, dtype)
    assert weights.dtype == dtype
    np.testing.assert_array_equal(weights, [1, 2, 3, 4])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_weights_come_in_the_dtype_of_x(dtype):
    X = np.ones((4, 2), dtype=dtype)
    sample_weight = np.array([1.0, 2.0, 3.0, 4.0])  # float64 whatever X is
    _, Y, weights = _targets.encode_targets_and_weights(
        "balanced", X, np.array([0, 1, 1, 0]), sample_weight
    )
    assert Y.dtype == dtype and weights.dtype == dtype
    _, _, weights = _targets.encode_targets_and_weights(
        None, X, np.array([0, 1, 1, 0]), sample_weight
    )
    assert weights.dtype == dtype
    np.testing.assert_array_equal(weights, sample_weight)


@pytest.mark.parametrize(
    "classes",
    [np.array([10, 20, 30]), np.array([0.5, 1.5, 2.5]), np.array(["a", "b", "c"])],
)
def test_labels_at_indices_on_a_device_stay_there_where_they_can(classes):
    """Numeric labels are taken where the indices are; strings on the host."""
    pytest.importorskip("sklearn", minversion=ARRAY_API_VERSION)
    xp = pytest.importorskip("array_api_strict")
    index = np.array([2, 0, 1, 1])
    np.testing.assert_array_equal(_targets.labels_at(classes, index), classes[index])
    device = xp.Device("device1")
    with config_context(array_api_dispatch=True):  # predict's setting there
        labels = _targets.labels_at(classes, xp.asarray(index, device=device))
    if classes.dtype.kind in "iuf":
        assert labels.device == device
        labels = np.asarray(labels.to_device(xp.Device("CPU_DEVICE")))
    else:
        assert isinstance(labels, np.ndarray)
    np.testing.assert_array_equal(labels, classes[index])


def test_float32_weights_are_multiplied_in_float32():
    """The class weight and the sample weight of a float32 fit are both float32
    factors, multiplied in float32 (the weights' rounding is X's dtype's, not a
    float64 product rounded to float32)."""
    X = np.ones((6, 2), dtype=np.float32)
    y = np.array([0, 1, 1, 0, 0, 1])
    class_weight = {0: 1 / 3, 1: 3.0}
    sample_weight = np.array([0.1, 0.2, 0.3, 0.7, 1.1, 1.3])  # float64
    expected = np.array([class_weight[k] for k in y], dtype=np.float32)
    expected *= sample_weight.astype(np.float32)
    targets, _, weights = _targets.encode_targets_and_weights(
        class_weight, X, y, sample_weight
    )
    np.testing.assert_array_equal(weights, expected)
    _, weights = encode_validation_targets_and_weights(targets, X, y, sample_weight)
    np.testing.assert_array_equal(weights, expected)
