"""The Dask backend: fit and predict on row-chunked Dask arrays, on any scheduler.

Imported only for a Dask collection (:func:`sklearn_twolayer._backends.backend_for`),
so nothing imports dask otherwise. It holds only what is Dask-specific: blocks, their
tasks and the order their results are added in. Validation, targets and weights are
:mod:`sklearn_twolayer._targets`'s steps over the blocks' summaries, the sums the
in-memory kernels of :class:`~sklearn_twolayer.network.TwoLayerLoss` per block.

Everything runs through ``dask.persist`` and ``dask.compute``, so on the active
scheduler (synchronous, threads, processes or a ``distributed.Client``). X's row
blocks are persisted once per fit; an evaluation runs one task per block with
``theta`` and adds the blocks' results on the client in float64, in block order:
an order fixed by the chunks, never by the scheduler or its timing, so the bits are
the same on every scheduler. A Hessian product's task recomputes its block's
forward pass, so that no task waits on state kept on a worker. Early stopping's
split computes a fingerprint, target row and weight per row (never ``X``), runs the
in-memory split on them, and cuts each block in two in a task.

- ``y`` and ``sample_weight`` are rechunked to X's row chunks, whatever their own.
- The blocks may share keys with the user's persisted arrays: this module cancels
  nothing, it only drops its references.
- Lost workers, timeouts and retries are the scheduler's: a lost block is
  recomputed from its graph, and the scheduler's errors (``KilledWorker``, or
  ``NoWorkerError`` from distributed 2024.8.0) end the fit. Before 2024.8.0,
  ``distributed.scheduler.no-workers-timeout`` shuts the scheduler down, cancelling
  the tasks: ``_compute`` raises a RuntimeError that says so.
"""

import itertools
from concurrent.futures import CancelledError

import dask
import dask.array as da
import dask.base
import numpy as np
from scipy import sparse
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import (
    _assert_all_finite,
    _check_feature_names,
    _check_n_features,
    check_consistent_length,
)

from .. import _targets
from .._split import _row_fingerprints, held_out_shares
from ..network import ParameterLayout, TwoLayerLoss
from .in_memory import ACCEPTED_SPARSE, check_magnitude
from .in_memory import prediction_input as _in_memory_input

__all__ = [
    "DaskRows",
    "fitted_array",
    "fitted_classes",
    "map_rows",
    "prediction_input",
    "training_rows",
]


# -- input checks --------------------------------------------------------------------
def _as_dask_array(data, name):
    """``data`` as a dask array; dask dataframes get a clear error, not a guess."""
    if isinstance(data, da.Array):
        return data
    if dask.is_dask_collection(data):
        raise TypeError(
            f"{name} is a {type(data).__name__}; TwoLayerSigmoidClassifier accepts "
            f"Dask arrays. Convert it with {name}.to_dask_array(lengths=True)."
        )
    return da.from_array(np.asarray(data), chunks=-1)


def _validated_X(estimator, X, reset):
    """Validate a dask X lazily; return it with one chunk across the columns. Sets
    or checks ``n_features_in_`` and drops ``feature_names_in_``, as ``validate_data``
    does (a dask array has no column names)."""
    X = _as_dask_array(X, "X")
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D Dask array for X, got a {X.ndim}D array of shape "
            f"{X.shape}. Reshape your data, e.g. with X.reshape(-1, 1) for one feature."
        )
    if any(np.isnan(size) for size in X.chunks[0]):
        raise ValueError(
            "X has unknown chunk sizes (a Dask array from a dataframe or a boolean "
            "mask); call X.compute_chunk_sizes() first."
        )
    if X.dtype.kind == "c":  # check_array's message, with the Dask array's summary
        raise ValueError(f"Complex data not supported\n{X}\n")
    if X.dtype not in (np.float32, np.float64):
        # As check_array with dtype=(float64, float32): any other dtype as float64;
        # a block it cannot read raises numpy's error (the in-memory one) when computed.
        X = X.astype(np.float64)
    for axis, what in ((0, "sample"), (1, "feature")):
        if X.shape[axis] == 0:
            raise ValueError(
                f"Found array with 0 {what}(s) (shape={X.shape}) while a minimum of "
                f"1 is required by {type(estimator).__name__}."
            )
    _check_n_features(estimator, X, reset=reset)
    _check_feature_names(estimator, X, reset=reset)
    return X.rechunk({1: -1}) if X.numblocks[1] > 1 else X


def _csr_or_csc(block):
    """A block as the in-memory kernels read it: a sparse block of a format other
    than CSR or CSC as CSR (as validate_data does), any other as it is."""
    if sparse.issparse(block) and block.format not in ACCEPTED_SPARSE:
        return block.tocsr()
    return block


def _aligned_rows(data, row_chunks, name):
    """``y`` or ``sample_weight`` as a dask array chunked like the rows of X."""
    n_samples = int(sum(row_chunks))
    if np.ndim(data) == 0 and not dask.is_dask_collection(data):
        # a scalar sample_weight, as _check_sample_weight accepts
        return da.full(n_samples, data, chunks=(row_chunks,))
    data = _as_dask_array(data, name)
    if any(np.isnan(size) for size in data.chunks[0]):
        raise ValueError(
            f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes() first."
        )
    if data.shape[0] != n_samples:
        # The in-memory path's own check, for its exact message.
        if name == "sample_weight":
            _targets.check_sample_weight_shape(data.shape, n_samples)
        check_consistent_length(np.empty((n_samples, 0)), np.empty(data.shape))
    return data.rechunk({0: row_chunks, **{a: -1 for a in range(1, data.ndim)}})


def _blocks(array):
    """The row blocks of a persisted dask array, in order; not optimised, so each
    block's graph keeps the persisted results (a client's futures) alive."""
    return list(array.to_delayed(optimize_graph=False).reshape(-1))


# -- block functions, run by the scheduler -------------------------------------------
def _block_summary(X_block, y_block, sw_block, *, totals):
    """What validation needs of one block: X's finiteness and magnitude (a sparse
    block's stored values: its implicit zeros are finite and 0), and the labels' and
    weights' :class:`~sklearn_twolayer._targets.RowSummary`."""
    values = X_block.data if sparse.issparse(X_block) else X_block
    finite = np.isfinite(values)
    X_facts = (
        not bool(finite.all()),
        bool(np.isnan(values).any()),
        float(np.max(np.abs(values), initial=0.0, where=finite)),
    )
    return X_facts, _targets.summarize(y_block, sw_block, totals)


def _block_encoding(y_block, sw_block, *, targets, dtype):
    """One block's 0/1 targets, weights, and the weights' sum (None if unweighted)."""
    Y, s = _targets.encode_rows(y_block, sw_block, targets, dtype)
    return Y, s, None if s is None else _targets.weight_sum(s)


def _block_data_loss_gradient(X_block, Y_block, s_block, *, loss, theta):
    """The in-memory kernel on one block, with ``theta`` in its dtype (float32 sums
    within a block, as in memory); the gradient comes back in float64."""
    data_loss, gradient = loss.data_loss_gradient(theta, X_block, Y_block, s_block)
    return data_loss, gradient.astype(np.float64, copy=False)


def _block_data_loss(X_block, Y_block, s_block, *, loss, theta):
    return loss.data_loss(theta, X_block, Y_block, s_block)


def _block_hessian_product(X_block, Y_block, s_block, *, loss, theta, v):
    """Σ s_i H_i v over one block (:meth:`TwoLayerLoss.data_hessian_product`), its
    forward pass recomputed in the task, not kept on a worker: a product never waits
    on a result to be moved or that a lost worker held."""
    product = loss.data_hessian_product(theta, v, X_block, Y_block, s_block)
    return product.astype(np.float64, copy=False)


def _block_fingerprints(X_block, Y_block, s_block):
    """The early-stopping split's fingerprints of one block's rows, with its
    target rows and weights: what the split reads of each row."""
    return _row_fingerprints(X_block, Y_block), Y_block, s_block


def _block_part(X_block, Y_block, s_block, *, rows, factor):
    """The rows ``rows`` (a boolean mask) of one block; with ``factor``, their
    weights are ``s · factor``: each row's part of its weight in this part."""
    s_part = None if s_block is None else s_block[rows]
    if factor is not None:
        ones = np.ones(factor.size, Y_block.dtype)
        s_part = (ones if s_part is None else s_part) * factor.astype(Y_block.dtype)
    return X_block[rows], Y_block[rows], s_part


def _validated_block(X_block, *, estimator, method):
    """One block validated as in-memory input; an empty block (a boolean mask's),
    valid Dask input that in-memory validation rejects, stays empty."""
    if X_block.shape[0] == 0:
        return np.empty(X_block.shape, dtype=X_block.dtype)
    return _in_memory_input(estimator, X_block, method)


# -- the rows of a fit ----------------------------------------------------------------
def _compute(*tasks, **kwargs):
    """``dask.compute(*tasks)``, with a clear error when a client that lost its
    scheduler cancels them (the error would name only a task's key)."""
    try:
        return dask.compute(*tasks, **kwargs)
    except CancelledError as error:
        raise RuntimeError(
            f"The fit's Dask tasks were cancelled ({type(error).__name__}: {error}): "
            "the distributed scheduler that held them closed or cancelled them. "
            "Before distributed 2024.8.0 a scheduler shuts itself down when tasks "
            "have waited distributed.scheduler.no-workers-timeout for a worker; a "
            "closed client or a restarted cluster cancels them too. The estimator "
            "is unchanged."
        ) from error


def _sum_in_order(parts):
    """Σ of (float, float64 vector) pairs, added in the order of the blocks."""
    data_loss = 0.0
    gradient = np.zeros_like(parts[0][1], dtype=np.float64)
    for part_loss, part_gradient in parts:
        data_loss += part_loss
        gradient += part_gradient
    return data_loss, gradient


class DaskRows:
    """Rows persisted as Dask blocks: ``blocks`` of persisted ``(X, Y, s)`` delayed
    objects (``s`` computes to None when unweighted), ``row_counts`` rows each."""

    def __init__(self, blocks, row_counts, n_features, dtype, weight_sum, loss):
        self.blocks, self.row_counts = blocks, row_counts
        self.n_samples, self.n_features = int(sum(row_counts)), n_features
        self.dtype, self.weight_sum, self.loss = dtype, weight_sum, loss

    def _map(self, function, **kwargs):
        """``function(X, Y, s, **kwargs)`` of every block, computed by the active
        scheduler; the results, in block order."""
        tasks = [
            dask.delayed(function, pure=False)(X, Y, s, **kwargs)
            for X, Y, s in self.blocks
        ]
        return _compute(*tasks, optimize_graph=False)

    def data_loss_gradient(self, theta):
        """Σ s_i loss_i and its gradient (float64), summed over the blocks."""
        theta = theta.astype(self.dtype)
        parts = self._map(_block_data_loss_gradient, loss=self.loss, theta=theta)
        return _sum_in_order(parts)

    def data_loss(self, theta):
        """Σ s_i loss_i over the blocks."""
        theta = theta.astype(self.dtype)
        return float(sum(self._map(_block_data_loss, loss=self.loss, theta=theta)))

    def data_hessian_product(self, theta):
        """The sums at ``theta`` and ``hessp(v) = Σ s_i H_i v``: a product is a task
        per block (about two gradient evaluations), added in block order."""
        data_loss, gradient = self.data_loss_gradient(theta)
        theta = theta.astype(self.dtype)

        def hessp(v):
            parts = self._map(
                _block_hessian_product,
                loss=self.loss,
                theta=theta,
                v=np.asarray(v, self.dtype),
            )
            product = np.zeros(parts[0].shape)
            for part in parts:
                product += part
            return product

        return data_loss, gradient, hessp

    def split(self, validation_fraction, random_state):
        """``(train, held_out)``: exactly the in-memory split's rows (``_split``)."""
        fingerprints, Y, s = zip(*self._map(_block_fingerprints), strict=True)
        share = held_out_shares(
            np.concatenate(fingerprints),
            np.concatenate(Y),
            None if s[0] is None else np.concatenate(s),
            validation_fraction,
            random_state,
        )
        bounds = list(itertools.pairwise(np.cumsum([0, *self.row_counts])))
        shared = np.any((share > 0) & (share < 1))  # then every part is reweighted
        parts = []
        for in_part, part_of_weight in ((share < 1, 1 - share), (share > 0, share)):
            blocks, row_counts = [], []
            for block, (a, b) in zip(self.blocks, bounds, strict=True):
                rows = in_part[a:b]
                if rows.any():
                    factor = part_of_weight[a:b][rows] if shared else None
                    task = dask.delayed(_block_part, nout=3, pure=False)
                    blocks.append(tuple(task(*block, rows=rows, factor=factor)))
                    row_counts.append(int(rows.sum()))
            weighted = shared or s[0] is not None
            parts.append(self._rows_of(blocks, row_counts, weighted))
        return tuple(parts)

    def _rows_of(self, blocks, row_counts, weighted):
        """Rows of these (X, Y, s) blocks, persisted, with their weights' sum."""
        (blocks,) = dask.persist(blocks)
        weight_sum = float(sum(row_counts))
        if weighted:
            sums = [dask.delayed(_targets.weight_sum)(b[2]) for b in blocks]
            weight_sum = 0.0
            for part in _compute(*sums):  # in block order
                weight_sum += part
        return DaskRows(
            blocks, row_counts, self.n_features, self.dtype, weight_sum, self.loss
        )


# -- the backend's entry points ------------------------------------------------------
def training_rows(estimator, X, y, sample_weight, *, reset, n_hidden, targets=None):
    """Validate Dask fit input block by block; return ``(targets, DaskRows)``: with
    the fit's ``targets``, its validation rows, checked against them."""
    X = _validated_X(estimator, X, reset=reset)
    dtype = X.dtype
    # Per block: Dask does not always know a sparse block's type (its meta of
    # map_blocks(coo_matrix) is an ndarray).
    X = X.map_blocks(_csr_or_csc, dtype=dtype, meta=X._meta)
    y = _aligned_rows(y, X.chunks[0], "y")
    validation = targets is not None
    # The caller of fit (one frame further for the validation rows).
    y = _targets.ravel_column_vector(y, 6 + validation, validation)
    if y.ndim > 2:
        raise ValueError(f"y must be 1D or 2D, got shape {y.shape}.")
    sw = None
    if sample_weight is not None:
        sw = _aligned_rows(sample_weight, X.chunks[0], "sample_weight")
        if sw.ndim != 1:
            raise ValueError(
                f"sample_weight must be 1D of shape ({X.shape[0]},), got {sw.shape}."
            )
        sw = sw.astype(dtype)

    # Persisted once: every pass below and every evaluation reads these blocks.
    X, y, sw = dask.persist(X, y, sw)
    X_blocks, y_blocks = _blocks(X), _blocks(y)
    sw_blocks = [None] * len(X_blocks) if sw is None else _blocks(sw)
    totals = not validation and (sw is not None or estimator.class_weight is not None)
    X_facts, summaries = zip(
        *_compute(
            *(
                dask.delayed(_block_summary)(*block, totals=totals)
                for block in zip(X_blocks, y_blocks, sw_blocks, strict=True)
            )
        ),
        strict=True,
    )
    _check_X(estimator, X_facts, dtype)
    summary = summaries[0].merge(*summaries[1:])
    if summary.labels.dtype.kind == "f":  # validate_data's check of y, its message
        _assert_all_finite(
            summary.labels, input_name="y", estimator_name=type(estimator).__name__
        )
    if validation:
        _targets.check_validation_labels(
            summary.labels_like_y(per_column=True), targets
        )
        _targets.check_validation_weights(summary, dtype)
    else:
        targets = _targets.describe_targets(
            summary.labels_like_y(), estimator.class_weight
        )
        targets = _targets.finish_targets(
            targets, summary, estimator.class_weight, dtype
        )

    encoded = [
        dask.delayed(_block_encoding, nout=3, pure=False)(
            y_block, sw_block, targets=targets, dtype=dtype
        )
        for y_block, sw_block in zip(y_blocks, sw_blocks, strict=True)
    ]
    (encoded,) = dask.persist(encoded)
    weight_sum = float(X.shape[0])
    if sw is not None or targets.class_weights is not None:
        weight_sum = 0.0
        for part in _compute(*(sums for _, _, sums in encoded)):  # block order
            weight_sum += part
        _targets.check_weight_sum(weight_sum, dtype, validation)

    layout = ParameterLayout(X.shape[1], n_hidden, targets.n_outputs)
    rows = DaskRows(
        [(X_block, Y, s) for X_block, (Y, s, _) in zip(X_blocks, encoded, strict=True)],
        [int(size) for size in X.chunks[0]],
        X.shape[1],
        dtype,
        weight_sum,
        TwoLayerLoss(layout, targets.output),
    )
    return targets, rows


def _check_X(estimator, X_facts, dtype):
    """Raise the in-memory path's error for X's faults seen in the blocks: its own
    checks, on a one-value array that has the fault, for the same message."""
    if any(nonfinite for nonfinite, _, _ in X_facts):
        bad = np.nan if any(nan for _, nan, _ in X_facts) else np.inf
        _assert_all_finite(
            np.array([bad], dtype=dtype),
            input_name="X",
            estimator_name=type(estimator).__name__,
        )
    check_magnitude(np.array([max(largest for _, _, largest in X_facts)], dtype=dtype))


def prediction_input(estimator, X, method):
    """A lazy dask X validated for ``method``: at once what needs no data, each
    block as in-memory input when computed. ``estimator`` is the prediction's
    snapshot of the fitted estimator, held by the graph: a later refit changes
    nothing computed."""
    if method == "transform":
        output = _get_output_config("transform", estimator)["dense"]
        if output != "default":
            raise ValueError(
                f"transform's output is set to {output!r} (set_output or "
                "sklearn's transform_output), which would compute the whole Dask "
                "array into memory. For a lazy result keep the default output and "
                "name its columns with dask.dataframe.from_dask_array(clf."
                "transform(X), columns=clf.get_feature_names_out()); or pass "
                "X.compute()."
            )
    X = _validated_X(estimator, X, reset=False)
    return X.map_blocks(
        _validated_block,
        estimator=estimator,
        method=method,
        dtype=X.dtype,
        meta=np.empty((0, 0), dtype=X.dtype),
    )


def map_rows(function, X, *, dtype, shape):
    """``function`` over X's row blocks, lazily; ``shape`` per row: ``()``, ``(n,)``
    for n columns, or ``(n, m)`` for a new axis of n entries."""
    if not shape:  # one value per row
        layout = {"drop_axis": 1, "meta": np.empty((0,), dtype=dtype)}
    else:
        layout = {
            "chunks": (X.chunks[0], *((size,) for size in shape)),
            "meta": np.empty((0,) * (1 + len(shape)), dtype=dtype),
        }
        if len(shape) == 2:
            layout["new_axis"] = 1
    # A full name (not token=, deprecated in some dask versions), from the function
    # and its fitted state: a refitted estimator never reuses stale results.
    name = f"twolayer-{dask.base.tokenize(X, function)}"
    return X.map_blocks(function, name=name, dtype=dtype, **layout)


def fitted_array(rows, array):
    """A fitted attribute as it is: host NumPy (predictions map it over blocks)."""
    return array


def fitted_classes(y, classes):
    """``classes_`` as they are: host NumPy."""
    return classes
