"""Labels to targets, and sample times class weights, for every backend.

``fit`` turns ``y`` into the 0/1 target matrix ``Y`` (one column per output unit)
and combines ``sample_weight`` with ``class_weight`` into the row weights ``s_i``
of the objective, so a label or a weight means the same wherever the rows live.
Every backend runs these steps, on blocks of rows:

1. :func:`describe_targets` (the labels' kind and classes);
2. :func:`summarize` each block, then :meth:`RowSummary.merge` in block order;
3. :func:`finish_targets`: the weight checks (the in-memory path's, in its order
   and with its messages) and the class weights;
4. :func:`encode_rows` per block (``Y`` and ``s``), then :func:`check_weight_sum`.

:func:`encode_targets_and_weights` is these steps in memory. Validation rows
(``fit(..., X_val=, y_val=)``) use the training :class:`Targets`, class weights
included; steps 1 and 3 are :func:`check_validation_labels` and
:func:`check_validation_weights` (:func:`encode_validation_targets_and_weights`).

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

    ``classes``: the fitted ``classes_`` (sorted labels, or ``arange(n_labels)``
    where ``multilabel``: an indicator matrix, one sigmoid per label);
    ``class_weights``: :func:`class_weights`' result (None without ``class_weight``),
    set once the training totals are known, used for the validation rows too.
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


# The prefix of the errors and warnings about a fit's validation set.
VALIDATION_SET = "In the validation set (X_val, y_val, sample_weight_val): "


def ravel_column_vector(y, stacklevel, validation=False):
    """A (n, 1) ``y`` as (n,), with scikit-learn's DataConversionWarning (about
    ``y_val`` where ``validation``)."""
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
    """Reject an indicator matrix with entries other than 0 and 1.

    type_of_target calls any 2-D integer y of 2 values ({-1, 1}, {1, 2}) an
    indicator matrix; as the loss's targets, other values drive it to -inf. ``y``:
    the whole target or (Dask) an array of its distinct values.
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

    ``y``: the whole target or (Dask) an array of its distinct values, dtype,
    dimensions and columns, all that ``type_of_target`` reads.
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
    """An array that ``type_of_target`` reads as a ``y`` of distinct values
    ``labels``, ``y_ndim`` dimensions and ``n_columns`` columns (a row per value)."""
    labels = np.unique(labels)
    if y_ndim == 1:
        return labels
    return np.repeat(labels[:, None], n_columns, axis=1)


def _encoded(y, targets):
    """Index of each row's class in ``targets.classes`` (1-D ``y`` only)."""
    return np.searchsorted(targets.classes, y)


def label_totals(y, sample_weight, targets):
    """Per class ``count`` (rows), ``weighted`` (Σ ``sample_weight``) and
    ``positive`` (rows of positive weight), adding up over blocks of rows.

    Multilabel: ``count`` and ``weighted`` per label, a row of ones then of zeros.
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
    """What the ``sample_weight`` checks read of a set of rows' weights: whether
    one is NaN or infinite, the smallest and largest finite ones, and their float64
    sum (:func:`weight_sum`)."""

    nan: bool
    infinite: bool
    smallest: float
    largest: float
    total: float


@dataclass(frozen=True)
class RowSummary:
    """What the encoding reads of a set of rows' labels and sample weights.

    ``labels``: the sorted distinct values of ``y``; ``column_labels``: those of
    each column of a 2-D ``y``, else None; ``totals``: :func:`label_totals` per
    label (1-D ``y``) or per column (numeric 2-D ``y``), None when not asked for or
    for a 2-D ``y`` that cannot be an indicator matrix; ``weights``: a
    :class:`WeightFacts`, None without sample weights. One block's summary is
    :func:`summarize`'s; blocks' summaries :meth:`merge`.
    """

    labels: np.ndarray
    column_labels: tuple | None
    totals: dict | None
    weights: WeightFacts | None

    def merge(self, *others):
        """The summary of the rows of ``self`` then ``others``: every block's labels,
        each with its totals summed over the blocks that hold it."""
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
        """An array the label checks read as the summarised ``y`` (its values,
        dtype, dimensions, columns); ``per_column``: each column with its own
        values (for the validation labels)."""
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

    ``y`` dense, 1-D or 2-D; ``sample_weight`` None or 1-D in the rows' dtype;
    neither validated (the summary is what checks). ``totals``: whether to count
    rows and weights per label, for the class weights and the weight checks.
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
        # Overflowing weights are refused (finish_targets) before a total is read.
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
    """:func:`describe_targets`' ``targets`` with the class weights of ``summary``
    (all training rows), once its sample weights pass the in-memory path's checks,
    in its order: valid, not all 0, a sum within ``dtype``'s range, positive in two
    classes."""
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

    ``compute_class_weight`` of the present values with their weighted counts as
    sample weights: exactly its weights on the whole ``y`` (integer weights act as
    repeated rows). Multilabel: each column balanced 0 against 1, the per-column
    weights multiplied (scikit-learn's multi-output convention).
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

    ``"balanced"`` gives a present class of zero total weight 0, not ``n / (C · 0)``
    (``0 · inf`` would be NaN); it still counts among the ``C`` classes, so the
    others keep ``compute_class_weight``'s weights.
    """
    with np.errstate(divide="ignore"):  # the unweighted classes', replaced below
        if not sklearn_at_least("1.7"):  # pragma: no mutate
            # scikit-learn 1.6's compute_class_weight takes no sample_weight: its
            # "balanced" formula on the weighted counts; a dict ignores the counts.
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
    """The 0/1 target matrix ``Y`` (n_rows, n_outputs) in ``dtype``: binary, one
    column, 1 for ``classes[1]``; multiclass, one-hot rows; multilabel, ``y``."""
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

    ``per_class`` is :func:`class_weights`' result. Multiplied in ``dtype``:
    float32 data gets float32 weights.
    """
    if per_class is None:
        return None if sample_weight is None else np.asarray(sample_weight, dtype)
    weights = np.ones(y.shape[0], dtype=dtype)
    if targets.multilabel:
        columns = np.asarray(y).T
    else:
        columns = [targets.classes[_encoded(y, targets)]]
    pairs = zip(columns, per_class, strict=True)  # pragma: no mutate
    # An overflowing product becomes inf (0 · inf: NaN) silently: check_weight_sum
    # names it before any fit.
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

    A weight beyond float32's range becomes inf, which scikit-learn's message
    names; NumPy's cast warning before it would say nothing more.
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

    The objective (or validation loss) divides by Σ s_i; the kernels' sums of
    ``s_i`` times a row's loss or gradient stay finite in ``dtype`` up to √(largest
    float), times terms as large (``check_magnitude`` bounds the features so).
    ``weights`` names what was summed.
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
    """``(targets, Y, s)`` of validated in-memory ``X`` and ``y`` (one block of the
    module's steps); ``Y`` and ``s`` (None when all 1) in ``X.dtype``."""
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

    ``y`` as for :func:`describe_targets`, whose checks and messages it shares; it
    may hold one class. Its kind must be the fit's (1-D labels, or an indicator
    matrix of as many labels), its labels in ``targets.classes`` and, with balanced
    multilabel class weights, each column's values in that training column.
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
    """``(Y, s)`` of in-memory validation rows, encoded as the fit's: checked by
    :func:`check_validation_labels`, weighted by ``targets.class_weights`` times
    ``sample_weight``, in ``X.dtype`` (``s`` None when all 1)."""
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

    An unknown key (a typo, or ``"1"`` for ``1``) would silently leave a class
    unweighted; a negative weight makes the objective unbounded below.
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
    """``predict``'s ``classes[index]``, in ``index``'s namespace and device.

    Numeric and boolean classes move to the device; other labels (strings) cannot,
    so the indices come to the host.
    """
    if isinstance(index, np.ndarray):
        return classes[index]
    xp, _, device = get_namespace_and_device(index)
    if classes.dtype.kind in "biuf":
        return xp.take(move_to(classes, xp=xp, device=device), index, axis=0)
    return classes[move_to(index, xp=np, device="cpu")]
