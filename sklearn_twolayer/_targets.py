"""Labels to targets, and sample times class weights: one module for every backend.

``fit`` turns the user's labels ``y`` into the network's 0/1 target matrix ``Y``
(one column per output unit) and combines ``sample_weight`` with ``class_weight``
into the per-row weights ``s_i`` of the objective. Every backend uses the functions
below, so a label or a weight means the same thing wherever the rows live.

The encoding reads the rows through a :class:`RowSummary`: the distinct labels, the
rows and the weight per label, and what the weight checks need. The summaries of
blocks of rows merge (:meth:`RowSummary.merge`, in block order) into the summary of
all of them, so the steps are sequenced once, here, for every backend:

1. :func:`describe_targets` (the labels' kind and classes);
2. :func:`summarize` each block (in memory: the one block of all rows), merge;
3. :func:`finish_targets`: the weight checks, the class totals and the class
   weights, in the in-memory path's order and with its messages;
4. :func:`encode_rows` per block (``Y`` and ``s``), then :func:`check_weight_sum` of
   the weights' sum.

:func:`encode_targets_and_weights` is these steps for rows held in memory.

A fit's validation rows (``fit(..., X_val=, y_val=)``) are encoded with the
:class:`Targets` of its training rows, class weights included: steps 1 and 3 are
:func:`check_validation_labels` and :func:`check_validation_weights`
(:func:`encode_validation_targets_and_weights` in memory).

``type_of_target`` and ``compute_class_weight`` are called here and nowhere else.
"""

import warnings
from dataclasses import dataclass, field, replace
from numbers import Real

import numpy as np
from scipy import sparse
from sklearn.exceptions import DataConversionWarning
from sklearn.utils._array_api import get_namespace_and_device
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight

from ._sklearn_compat import move_to, sklearn_at_least

__all__ = [
    "VALIDATION_SET",
    "RowSummary",
    "Targets",
    "check_validation_labels",
    "check_validation_weights",
    "class_weights",
    "describe_targets",
    "encode_rows",
    "encode_targets_and_weights",
    "encode_validation_targets_and_weights",
    "finish_targets",
    "label_totals",
    "labels_at",
    "row_weights",
    "summarize",
    "target_matrix",
    "weight_sum",
]


@dataclass(frozen=True)
class Targets:
    """What the labels of a fit make of the network's output.

    Attributes
    ----------
    classes : ndarray
        The fitted ``classes_``: the sorted distinct labels, or ``arange(n_labels)``
        for a multilabel indicator matrix.
    multilabel : bool
        Whether ``y`` is a multilabel indicator matrix (one sigmoid per label).
    class_weights : list or None
        The fit's class weights per label column, as :func:`class_weights` returns
        them (None without ``class_weight``); its validation rows are weighted
        with them. Set once the training rows' totals are known.
    """

    classes: np.ndarray
    multilabel: bool
    class_weights: list | None = field(default=None, compare=False)

    @property
    def output(self):
        """``"sigmoid"`` (binary, multilabel) or ``"softmax"`` (multiclass)."""
        return "softmax" if self.classes.size > 2 and not self.multilabel else "sigmoid"

    @property
    def out_activation(self):
        """The fitted ``out_activation_``: ``"logistic"`` or ``"softmax"``."""
        return "softmax" if self.output == "softmax" else "logistic"

    @property
    def n_outputs(self):
        """Output units: 1 for binary targets, else one per class or label."""
        return (
            1 if self.classes.size == 2 and not self.multilabel else self.classes.size
        )


# What a fit's validation set (``fit(..., X_val=, y_val=, sample_weight_val=)``)
# prefixes to the errors and warnings about it.
VALIDATION_SET = "In the validation set (X_val, y_val, sample_weight_val): "


def ravel_column_vector(y, stacklevel, validation=False):
    """A (n, 1) ``y`` becomes (n,), with scikit-learn's DataConversionWarning.

    ``validation``: ``y`` is the fit's ``y_val``, and the warning says so.
    """
    if y.ndim == 2 and y.shape[1] == 1:
        name = "y_val" if validation else "y"
        warnings.warn(
            (VALIDATION_SET if validation else "")
            + f"A column-vector {name} was passed when a 1d array was expected. "
            f"Please change the shape of {name} to (n_samples,), for example "
            "using ravel().",
            DataConversionWarning,
            stacklevel=stacklevel + 1,  # pragma: no mutate
        )
        return y.ravel()
    return y


def check_indicator_values(y):
    """Reject an indicator matrix whose entries are not all 0 or 1.

    type_of_target calls any 2-D integer y with 2 distinct values an indicator
    matrix ({-1, 1}, {1, 2}...); its entries are the 0/1 targets of the loss, so
    any other value would drive the loss to -inf. ``y`` may be the whole target
    or (Dask) an array of its distinct values.
    """
    if sparse.issparse(y):  # the stored values, and the implicit zeros
        implicit = [0] if y.nnz < y.shape[0] * y.shape[1] else []
        values = np.unique(np.concatenate([y.data, implicit]).astype(y.dtype))
    else:
        values = np.unique(np.asarray(y))
    if not np.all((values == 0) | (values == 1)):
        raise ValueError(
            "A 2-D y is a multilabel indicator matrix and must hold only 0 "
            f"and 1 (or False and True); got the values {values.tolist()}. "
            "Map the labels to 0/1 first, e.g. (y == 1).astype(int) for "
            "-1/1 labels; a y of class labels must be 1-D."
        )


def describe_targets(y, class_weight):
    """The :class:`Targets` of ``y``, or a clear error for targets we cannot fit.

    ``y`` is the whole target, or (Dask) an array with the same distinct values,
    dtype and number of dimensions and columns: ``type_of_target`` reads nothing
    else, so both give the same answer and the same errors.
    """
    check_classification_targets(y)  # raises type_of_target's errors about y
    target_type = type_of_target(y)
    if target_type == "multilabel-indicator":
        check_indicator_values(y)
        if isinstance(class_weight, dict):
            raise ValueError(
                "class_weight must be None or 'balanced' for multilabel targets; "
                "pass sample_weight for other weightings."
            )
        return Targets(np.arange(y.shape[1]), multilabel=True)
    if target_type not in ("binary", "multiclass"):
        raise ValueError(
            "TwoLayerSigmoidClassifier supports binary, multiclass and multilabel "
            f"targets; got a {target_type!r} target."
        )
    classes = np.unique(y)
    if classes.size < 2:
        raise ValueError(
            "TwoLayerSigmoidClassifier needs samples of at least 2 classes in the "
            f"data, but the data contains only one class: {classes[0]!r}."
        )
    if isinstance(class_weight, dict):
        _check_class_weight_dict(class_weight, classes)
    return Targets(classes, multilabel=False)


def representative_labels(labels, y_ndim, n_columns):
    """An array that ``type_of_target`` reads as it reads a ``y`` with these labels.

    ``labels`` are the distinct values of a ``y`` with ``y_ndim`` dimensions and
    ``n_columns`` columns; one row per distinct value keeps its dtype and values.
    """
    labels = np.unique(labels)
    if y_ndim == 1:
        return labels
    return np.repeat(labels[:, None], n_columns, axis=1)


def _encoded(y, targets):
    """Index of each row's class in ``targets.classes`` (1-D ``y`` only)."""
    return np.searchsorted(targets.classes, y)


def label_totals(y, sample_weight, targets):
    """Counts the class weights and the weight checks need, for one set of rows.

    Per class: ``count`` (rows), ``weighted`` (sum of ``sample_weight``) and
    ``positive`` (rows of positive weight). For multilabel targets ``count`` and
    ``weighted`` have one row for the ones and one for the zeros of each label.
    Totals over blocks of rows add up to the totals of all rows.
    """
    weights = np.ones(y.shape[0]) if sample_weight is None else sample_weight
    if targets.multilabel:
        ones = np.asarray(y, dtype=np.float64)  # pragma: no mutate
        return {
            "count": np.stack([ones.sum(axis=0), (1.0 - ones).sum(axis=0)]),
            "weighted": np.stack([weights @ ones, weights @ (1.0 - ones)]),
        }
    encoded = _encoded(y, targets)
    k = targets.classes.size
    return {
        "count": np.bincount(encoded, minlength=k),
        "weighted": np.bincount(encoded, weights=weights, minlength=k),
        "positive": np.bincount(encoded[weights > 0], minlength=k),
    }


@dataclass(frozen=True)
class WeightFacts:
    """What the checks of ``sample_weight`` read of a set of rows' weights.

    Attributes
    ----------
    nan, infinite : bool
        Whether a weight is NaN, or infinite.
    smallest, largest : float
        The smallest and the largest finite weight.
    total : float
        Their sum in float64 (:func:`weight_sum`).
    """

    nan: bool
    infinite: bool
    smallest: float
    largest: float
    total: float


@dataclass(frozen=True)
class RowSummary:
    """What the encoding reads of a set of rows' labels and sample weights.

    The summary of one block of rows is :func:`summarize`'s; the summaries of
    blocks merge (:meth:`merge`) into the summary of all their rows.

    Attributes
    ----------
    labels : ndarray
        The distinct values of ``y``, sorted.
    column_labels : tuple of ndarray or None
        For a 2-D ``y``, the distinct values of each column.
    totals : dict or None
        :func:`label_totals` of the rows, per label (a 1-D ``y``; its labels are
        the classes) or per column of a numeric 2-D ``y`` (an indicator matrix);
        None when not asked for, or for a 2-D ``y`` that cannot be one.
    weights : WeightFacts or None
        None without sample weights.
    """

    labels: np.ndarray
    column_labels: tuple | None
    totals: dict | None
    weights: WeightFacts | None

    def merge(self, *others):
        """The summary of the rows of ``self`` and ``others``, added in that order.

        Per label: the labels of every block, each with the sum of its totals
        over the blocks that hold it (0 in the others).
        """
        if not others:
            return self
        parts = (self, *others)
        labels = np.unique(np.concatenate([part.labels for part in parts]))
        column_labels = None
        if self.column_labels is not None:
            column_labels = tuple(
                np.unique(np.concatenate(columns))
                for columns in zip(*(p.column_labels for p in parts), strict=True)
            )
        totals = None
        if self.totals is not None:
            per_column = column_labels is not None  # an indicator matrix's
            totals = {}
            for key, first in self.totals.items():
                if per_column:
                    total = np.zeros_like(first)
                    for part in parts:
                        total += part.totals[key]
                else:
                    total = np.zeros(labels.size, dtype=first.dtype)
                    for part in parts:
                        total[np.searchsorted(labels, part.labels)] += part.totals[key]
                totals[key] = total
        weights = None
        if self.weights is not None:
            facts = [part.weights for part in parts]
            total = 0.0
            for fact in facts:  # in block order: the same rows, the same bits
                total += fact.total
            weights = WeightFacts(
                nan=any(fact.nan for fact in facts),
                infinite=any(fact.infinite for fact in facts),
                smallest=min(fact.smallest for fact in facts),
                largest=max(fact.largest for fact in facts),
                total=total,
            )
        return RowSummary(labels, column_labels, totals, weights)

    def labels_like_y(self, per_column=False):
        """An array that ``type_of_target`` and the label checks read as they
        read the summarised ``y``: its distinct values, one row per value, with
        ``y``'s dtype, dimensions and columns; ``per_column``: each column with
        its own values (what the validation labels are checked on)."""
        if self.column_labels is None:
            return self.labels
        if per_column:
            return _columns_with_values(self.column_labels)
        return representative_labels(self.labels, 2, len(self.column_labels))


def _columns_with_values(values_per_column):
    """Rows whose column j takes exactly the values ``values_per_column[j]``."""
    n_rows = max(len(values) for values in values_per_column)
    return np.column_stack(
        [
            values[np.minimum(np.arange(n_rows), len(values) - 1)]
            for values in values_per_column
        ]
    )


def summarize(y, sample_weight, totals=True):
    """The :class:`RowSummary` of one block of rows.

    ``y`` is dense, 1-D or 2-D, and ``sample_weight`` None or 1-D in the rows'
    dtype; neither needs to be valid (the summary is what finds out). ``totals``:
    whether to count the rows and weights per label (the class weights and the
    weight checks need them).
    """
    y = np.asarray(y)
    labels = np.unique(y)
    column_labels = None
    if y.ndim == 2:
        column_labels = tuple(np.unique(column) for column in y.T)
    label_total = None
    if totals and (y.ndim == 1 or y.dtype.kind in "biuf"):
        if y.ndim == 1:
            like = Targets(labels, multilabel=False)
        else:
            like = Targets(np.arange(y.shape[1]), multilabel=True)
        # Weights whose sum overflows are refused (finish_targets) before any
        # total is read, with a message naming them.
        with np.errstate(over="ignore", invalid="ignore"):
            label_total = label_totals(y, sample_weight, like)
    weights = None
    if sample_weight is not None:
        finite = np.isfinite(sample_weight)
        weights = WeightFacts(
            nan=bool(np.isnan(sample_weight).any()),
            infinite=bool(np.isinf(sample_weight).any()),
            smallest=float(np.min(sample_weight, initial=np.inf, where=finite)),
            largest=float(np.max(sample_weight, initial=-np.inf, where=finite)),
            total=weight_sum(sample_weight),
        )
    return RowSummary(labels, column_labels, label_total, weights)


def _check_weight_facts(facts, dtype):
    """scikit-learn's checks of ``sample_weight`` (``_check_sample_weight``), with
    its messages, on one- and two-value arrays that have the weights' faults."""
    if facts.nan or facts.infinite:
        bad = np.array([np.nan if facts.nan else np.inf], dtype=dtype)
        _check_sample_weight(bad, np.empty((1, 0)), dtype=dtype)
    extremes = np.array([facts.smallest, facts.largest], dtype=dtype)
    _check_sample_weight(
        extremes, np.empty((2, 0)), dtype=dtype, ensure_non_negative=True
    )
    check_any_weight_positive(extremes)


def finish_targets(targets, summary, class_weight, dtype):
    """``targets`` with its class weights, once the weights of ``summary`` (all
    the training rows) are checked: the in-memory path's checks, in its order.

    ``targets`` is :func:`describe_targets`'s. The sample weights must be valid,
    not all 0, of a sum within ``dtype``'s range and positive in two classes; the
    class weights come from the summary's totals per class.
    """
    weighted = summary.weights is not None
    if weighted:
        _check_weight_facts(summary.weights, dtype)
        # Before the class counts, which sum the weights too.
        check_weight_sum(summary.weights.total, dtype, weights="sample weights")
    if not weighted and class_weight is None:
        return targets
    # A 1-D y's classes are its distinct labels: the summary's totals are per class.
    if weighted:
        check_positive_classes(summary.totals, targets)
    per_class = class_weights(class_weight, targets, summary.totals)
    return replace(targets, class_weights=per_class)


def check_validation_weights(summary, dtype):
    """The checks of :func:`finish_targets` that validation weights get (no sum:
    :func:`check_weight_sum` of the weights times the class weights follows)."""
    if summary.weights is not None:
        _check_weight_facts(summary.weights, dtype)


def encode_rows(y, sample_weight, targets, dtype):
    """``(Y, s)`` of one block of rows: the 0/1 targets and the weights in
    ``dtype`` (None when all 1), with the fit's ``targets.class_weights``."""
    return (
        target_matrix(y, targets, dtype),
        row_weights(y, sample_weight, targets, targets.class_weights, dtype),
    )


def check_positive_classes(totals, targets):
    """With sample weights, at least two classes must keep a positive weight."""
    if not targets.multilabel and np.count_nonzero(totals["positive"]) < 2:
        raise ValueError(
            "Only one class has positive sample_weight; at least 2 classes are "
            "needed to fit."
        )


def class_weights(class_weight, targets, totals):
    """Per label column, ``(present values, their class weights)``; None if unused.

    ``compute_class_weight`` is called on the present values with their weighted
    counts as sample weights, which gives exactly its weights on the whole ``y``
    (``"balanced"`` uses weighted counts, so integer weights equal repeated rows).
    For multilabel targets each column is balanced, 0 against 1, and the
    per-column weights are multiplied (scikit-learn's multi-output convention).
    """
    if class_weight is None:
        return None
    if targets.multilabel:
        per_column = []
        count, weighted_totals = totals["count"], totals["weighted"]
        counts = zip(*count, *weighted_totals, strict=True)  # pragma: no mutate
        for ones, zeros, w_ones, w_zeros in counts:
            present = np.array([v for v, n in ((0, zeros), (1, ones)) if n > 0])
            weighted = np.array([w for w, n in ((w_zeros, zeros), (w_ones, ones)) if n])
            per_column.append((present, _weights_of(class_weight, present, weighted)))
        return per_column
    seen = totals["count"] > 0
    present = targets.classes[seen]
    return [(present, _weights_of(class_weight, present, totals["weighted"][seen]))]


def _weights_of(class_weight, present, weighted_counts):
    """``compute_class_weight``'s weights of the ``present`` values.

    With ``"balanced"``, a present class whose rows all have sample weight 0 gets
    the class weight 0, not ``compute_class_weight``'s ``n / (C · 0)`` (``0 · inf``
    would be NaN); it still counts among the ``C`` classes of the formula, so the
    other classes keep ``compute_class_weight``'s weights.
    """
    with np.errstate(divide="ignore"):  # the unweighted classes', replaced below
        if not sklearn_at_least("1.7"):  # pragma: no mutate
            # scikit-learn 1.6's compute_class_weight takes no sample_weight:
            # "balanced" is its formula, n_samples / (n_classes * counts), on the
            # weighted counts; a dict's weights do not depend on the counts.
            if class_weight == "balanced":
                weights = weighted_counts.sum() / (len(present) * weighted_counts)
            else:
                weights = compute_class_weight(class_weight, classes=present, y=present)
        else:
            weights = compute_class_weight(
                class_weight, classes=present, y=present, sample_weight=weighted_counts
            )
    if class_weight == "balanced":
        weights = np.where(weighted_counts > 0, weights, 0.0)
    return weights


def target_matrix(y, targets, dtype):
    """The 0/1 target matrix ``Y`` of shape (n_rows, n_outputs), in ``dtype``.

    Binary: one column, 1 for ``classes[1]``. Multiclass: one-hot rows.
    Multilabel: the indicator matrix itself.
    """
    if targets.multilabel:
        return np.asarray(y).astype(dtype)
    encoded = _encoded(y, targets)
    if targets.n_outputs == 1:
        return encoded[:, None].astype(dtype)
    Y = np.zeros((encoded.size, targets.classes.size), dtype=dtype)
    Y[np.arange(encoded.size), encoded] = 1
    return Y


def row_weights(y, sample_weight, targets, per_class, dtype):
    """``s_i = sample_weight_i · class_weight[y_i]`` in ``dtype``, or None when all 1.

    ``per_class`` comes from :func:`class_weights`. The factors are multiplied in
    place in ``dtype``, so float32 data gets float32 weights.
    """
    if per_class is None:
        return None if sample_weight is None else np.asarray(sample_weight, dtype)
    weights = np.ones(y.shape[0], dtype=dtype)
    if targets.multilabel:
        columns = np.asarray(y).T
    else:
        columns = [targets.classes[_encoded(y, targets)]]
    pairs = zip(columns, per_class, strict=True)  # pragma: no mutate
    # A product beyond the dtype's range becomes inf (0 · inf: NaN) without a
    # warning: check_weight_sum names it, with the weights, before any fit.
    with np.errstate(over="ignore", invalid="ignore"):
        for labels, (present, weight_of) in pairs:
            weights *= weight_of[np.searchsorted(present, labels)]
        if sample_weight is not None:
            weights *= sample_weight
    return weights


def check_any_weight_positive(sample_weight):
    """scikit-learn 1.9's ``_check_sample_weight`` refuses all-zero weights; before
    1.9 it does not: the same message on every release (non-negative weights)."""
    if not np.any(sample_weight):
        raise ValueError("Sample weights must contain at least one non-zero number.")


def weight_sum(weights):
    """Σ of ``weights`` in float64, as a Python float; inf, without a warning,
    where it overflows (:func:`check_weight_sum` names it)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sum(weights, dtype=np.float64))


def check_sample_weight_shape(shape, n_samples):
    """scikit-learn's error for sample weights of ``shape`` for ``n_samples`` rows
    (of another length), without the weights (ones: NaN would be named first)."""
    _check_sample_weight(np.ones(shape), np.empty((n_samples, 0)))


def _checked_sample_weight(sample_weight, X):
    """scikit-learn's validation of ``sample_weight``, cast to ``X.dtype``.

    A weight beyond float32's range, cast for float32 data, is inf: scikit-learn
    names it ("contains infinity or a value too large for dtype('float32')"),
    and NumPy's cast warning before that message would say nothing more.
    """
    with np.errstate(over="ignore"):
        return _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )


def check_weight_sum(
    weight_sum,
    dtype,
    validation=False,
    weights="sample weights times the class weights",
):
    """Σ s_i must be positive, and small enough for the sums over rows in ``dtype``.

    The objective (or the validation loss) divides by Σ s_i. The kernels sum
    ``s_i`` times each row's loss and gradient in the rows' dtype: up to the
    square root of its largest float, times terms as large (``check_magnitude``
    bounds the features so), the sums stay finite. Dividing all the weights (and
    ``alpha``) by a constant changes nothing, as the error says. ``weights`` names
    what was summed.
    """
    dtype = np.dtype(dtype)
    limit = float(np.sqrt(np.finfo(dtype).max))
    if not weight_sum <= limit:  # NaN too: 0 · inf of an overflowed product
        amount = (
            f"sum to {weight_sum:.3g}"
            if np.isfinite(weight_sum)
            else f"overflow {dtype.name} (in a product or in their sum)"
        )
        if validation:
            sums = "the validation loss's weighted sum"
            remedy = "sample_weight_val by a constant: the validation loss is the same"
        else:
            sums = "the objective's weighted sums of the losses and of their gradient"
            remedy = (
                "sample_weight (or class_weight) by a constant: the objective is the "
                "same with alpha divided by it too"
            )
        raise ValueError(
            f"The {weights} {amount}, beyond {limit:.3g}, the square root of the "
            f"largest {dtype.name}: {sums}, computed in {dtype.name}, would "
            f"overflow. Divide {remedy}."
        )
    if not weight_sum > 0:
        raise ValueError(
            "The sample weights times the class weights sum to 0: "
            + ("no validation loss." if validation else "nothing to fit.")
        )


def encode_targets_and_weights(class_weight, X, y, sample_weight):
    """``(targets, Y, s)`` for rows held in memory (validated ``X`` and ``y``).

    ``Y`` is the 0/1 target matrix and ``s`` the combined weights (None when all
    are 1), both in ``X.dtype``. The rows are one block of the module's steps.
    """
    y = ravel_column_vector(y, stacklevel=7)  # pragma: no mutate, the caller of fit
    targets = describe_targets(y, class_weight)
    if targets.multilabel and hasattr(y, "toarray"):
        y = y.toarray()
    y = np.asarray(y)
    if sample_weight is not None:
        sample_weight = _checked_sample_weight(sample_weight, X)
    weighted = sample_weight is not None or class_weight is not None
    summary = summarize(y, sample_weight, totals=weighted)
    targets = finish_targets(targets, summary, class_weight, X.dtype)
    Y, weights = encode_rows(y, sample_weight, targets, X.dtype)
    if weights is not None:
        check_weight_sum(weight_sum(weights), X.dtype)
    return targets, Y, weights


def check_validation_labels(y, targets):
    """Reject validation labels the fit's network has no output for.

    ``y`` is the validation target, or (Dask) an array with its distinct values,
    as for :func:`describe_targets`, whose checks and messages it shares. It may
    hold a single class. Its kind must be the fit's (a 1-D label vector, or an
    indicator matrix with as many labels); a label outside ``targets.classes`` is
    an error, as is, with balanced multilabel class weights, a 0 or 1 that a
    training label column never held (it has no class weight).
    """
    check_classification_targets(y)  # raises type_of_target's errors about y
    target_type = type_of_target(y)
    if target_type not in ("binary", "multiclass", "multilabel-indicator"):
        raise ValueError(
            "TwoLayerSigmoidClassifier supports binary, multiclass and multilabel "
            f"targets; got a {target_type!r} target."
        )
    if target_type == "multilabel-indicator":  # before the kinds are compared,
        check_indicator_values(y)  # so the message is the training y's
    if targets.multilabel != (target_type == "multilabel-indicator"):
        fitted = "multilabel" if targets.multilabel else "binary or multiclass"
        raise ValueError(
            f"y is a {target_type!r} target, but the network was set up for a "
            f"{fitted} target by the training y."
        )
    if targets.multilabel:
        if y.shape[1] != targets.classes.size:
            raise ValueError(
                f"y has {y.shape[1]} label columns, but the training y has "
                f"{targets.classes.size}."
            )
        for column, (present, _) in enumerate(targets.class_weights or []):
            values = np.unique(np.asarray(y[:, column]))
            missing = [v for v in values.tolist() if v not in present.tolist()]
            if missing:
                raise ValueError(
                    f"y has the value(s) {missing} in label column {column}, which "
                    "the training y never has: there is no class weight for them."
                )
        return
    known = set(targets.classes.tolist())
    unseen = [label for label in np.unique(y).tolist() if label not in known]
    if unseen:
        raise ValueError(
            f"y contains previously unseen labels: {unseen}; the classes of the "
            f"training y are {targets.classes.tolist()}."
        )


def encode_validation_targets_and_weights(targets, X, y, sample_weight):
    """``(Y, s)`` of validation rows held in memory, encoded as the fit's.

    The labels are checked by :func:`check_validation_labels` and weighted by the
    fit's class weights (``targets.class_weights``) times ``sample_weight``;
    ``Y`` and ``s`` are in ``X.dtype``, ``s`` None when all weights are 1.
    """
    # The caller of fit, two frames further than for the training rows
    # (_validation_rows -> training_rows -> here).
    y = ravel_column_vector(y, stacklevel=8, validation=True)  # pragma: no mutate
    if targets.multilabel and hasattr(y, "toarray"):
        y = y.toarray()
    y = np.asarray(y)
    check_validation_labels(y, targets)
    if sample_weight is not None:
        sample_weight = _checked_sample_weight(sample_weight, X)
        check_validation_weights(summarize(y, sample_weight, totals=False), X.dtype)
    Y, weights = encode_rows(y, sample_weight, targets, X.dtype)
    if weights is not None:
        check_weight_sum(weight_sum(weights), X.dtype, validation=True)
    return Y, weights


def _check_class_weight_dict(class_weight, classes):
    """Reject keys that are not classes of y and weights that are not finite and >= 0.

    An unknown key is almost always a typo or a label of the wrong type (``"1"``
    for ``1``), which would otherwise silently leave a class unweighted; a negative
    weight makes the objective unbounded below.
    """
    known = set(classes.tolist())
    unknown = [key for key in class_weight if key not in known]
    if unknown:
        raise InvalidParameterError(
            f"class_weight has keys {unknown} that are not classes of y; the classes "
            f"are {classes.tolist()}."
        )
    for key, weight in class_weight.items():
        if not (isinstance(weight, Real) and np.isfinite(weight) and weight >= 0):
            raise InvalidParameterError(
                "class_weight values must be finite non-negative numbers; got "
                f"{weight!r} for class {key!r}."
            )


def labels_at(classes, index):
    """``classes[index]``, in the namespace and on the device of ``index``.

    ``predict``'s labels from the indices of the winning outputs. Numeric and
    boolean classes go to the device (``n_classes`` values) and are taken there;
    other labels (strings) cannot live on a device, so the indices come to the host.
    """
    if isinstance(index, np.ndarray):
        return classes[index]
    xp, _, device = get_namespace_and_device(index)
    if classes.dtype.kind in "biuf":
        return xp.take(move_to(classes, xp=xp, device=device), index, axis=0)
    return classes[move_to(index, xp=np, device="cpu")]
