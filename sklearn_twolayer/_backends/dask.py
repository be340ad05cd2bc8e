"""The Dask backend: fit on row-chunked Dask arrays, predict on them lazily.

Imported only when a Dask collection is passed to ``fit`` or to a prediction method
(:func:`sklearn_twolayer._backends.backend_for`), so that nothing imports dask
otherwise. It holds only what is Dask-specific: blocks, futures, worker checks,
timeouts and fault handling. Validation, targets and weights use the functions of
:mod:`sklearn_twolayer._targets` on each block, the sums are the in-memory kernels of
:class:`~sklearn_twolayer.network.TwoLayerLoss` mapped over the blocks, and the
solver, early stopping and the fitted attributes are the estimator's one fit path.

The rows are split into the Dask array's row blocks, persisted on the workers. Every
evaluation sends the parameter vector ``theta`` (small) with the tasks, runs the
kernel on each block where it lives, and gathers one float and one vector of
``theta``'s size per block, added on the client in float64 in block order (an order
fixed by the chunks, never by timing). Since the sum over the blocks is the sum over
the rows, the objective is the in-memory one up to the order of floating-point
additions. For ``solver="trust-ncg"`` a Hessian-vector product maps over the blocks
the same way, each task recomputing its block's forward pass. Early stopping's split
gathers one 64-bit fingerprint, target row and weight per row (never ``X``), runs
the in-memory split on them, and cuts each block into its two parts on its worker.

Pitfalls and their guards
-------------------------
- Workers must import the package: checked once per fit (:func:`_check_workers`).
- The blocks may share keys with the user's persisted arrays: this module never
  cancels a future, it only drops its references, so the user's data stays.
- Row chunks of unequal sizes: ``y`` and ``sample_weight`` are rechunked to the row
  chunks of ``X`` before anything else, whatever their own chunks.
- A lost worker: its blocks are recomputed by the scheduler when their graph allows;
  otherwise the evaluation fails with an error naming the cause. Every wait has a
  timeout (the Dask config value ``sklearn_twolayer.evaluation-timeout``, default
  10 minutes per evaluation), so a cluster without workers gives an error, not a hang.
"""

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import importlib.metadata
import itertools
import warnings

import dask
import dask.array as da
import dask.base
import numpy as np
from dask.core import flatten
from dask.utils import parse_timedelta
from scipy import sparse
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import (
    _assert_all_finite,
    _check_feature_names,
    _check_n_features,
    _check_sample_weight,
    check_consistent_length,
)

from .. import _targets
from .._split import _row_fingerprints, held_out_shares
from ..network import ParameterLayout, TwoLayerLoss
from .in_memory import ACCEPTED_SPARSE, check_magnitude
from .in_memory import prediction_input as _in_memory_input

__all__ = [
    "TIMEOUT_CONFIG_KEY",
    "DaskRows",
    "fitted_array",
    "fitted_classes",
    "map_rows",
    "prediction_input",
    "training_rows",
]

TIMEOUT_CONFIG_KEY = "sklearn_twolayer.evaluation-timeout"
_DEFAULT_TIMEOUT = "10 minutes"
_PACKAGE = "sklearn-twolayer"


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
    """Validate a dask X lazily; return it with one chunk across the columns.

    Sets or checks ``n_features_in_`` (and drops ``feature_names_in_``: a dask array
    has no column names), as ``validate_data`` does for in-memory input.
    """
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
        # check_array with dtype=(float64, float32) reads any other dtype as float64
        # (float16, integers, bools, object, strings, datetimes): the same cast,
        # block by block. A block it cannot read (strings that are no numbers)
        # raises numpy's error, the in-memory message, when the block is computed.
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
    """A sparse block in a format the in-memory kernels read (CSR or CSC).

    Blocks of SciPy sparse matrices or arrays are fitted as in memory: CSR and CSC
    as they are, any other format as CSR (what validate_data does). Dense blocks
    pass through.
    """
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
            # Ones, not np.empty: uninitialised memory may hold a NaN, and the NaN
            # check comes before the shape check, with its own message.
            _check_sample_weight(np.ones(data.shape), np.empty((n_samples, 0)))
        check_consistent_length(np.empty((n_samples, 0)), np.empty(data.shape))
    return data.rechunk({0: row_chunks, **{a: -1 for a in range(1, data.ndim)}})


# -- block functions, run on the workers ---------------------------------------------
def _block_summary(X_block, y_block, sw_block):
    """What validation needs from one block: finiteness, magnitude, labels, weights.

    A sparse block's implicit zeros are finite and of magnitude 0: its stored
    values decide.
    """
    values = X_block.data if sparse.issparse(X_block) else X_block
    finite = np.isfinite(values)
    summary = {
        "X_nonfinite": not bool(finite.all()),
        "X_nan": bool(np.isnan(values).any()),
        "X_largest": float(np.max(np.abs(values), initial=0.0, where=finite)),
        "labels": np.unique(y_block),
        # per label column of a 2-D y: what a validation y is checked on
        "column_labels": [np.unique(column) for column in y_block.T]
        if y_block.ndim == 2
        else None,
    }
    if sw_block is not None:
        summary["sw_nonfinite"] = not bool(np.isfinite(sw_block).all())
        summary["sw_nan"] = bool(np.isnan(sw_block).any())
        summary["sw_min"] = float(np.nanmin(sw_block, initial=np.inf))
        summary["sw_max"] = float(np.nanmax(sw_block, initial=-np.inf))
        summary["sw_sum"] = _targets.weight_sum(sw_block)
    return summary


def _block_data_loss_gradient(X_block, Y_block, s_block, *, loss, theta):
    """The in-memory kernel on one block; the gradient comes back in float64.

    ``theta`` arrives in the block's dtype. float32 blocks are summed within the
    block in float32, as in memory, and across blocks in float64 on the client.
    """
    data_loss, gradient = loss.data_loss_gradient(theta, X_block, Y_block, s_block)
    return data_loss, gradient.astype(np.float64, copy=False)


def _block_data_loss(X_block, Y_block, s_block, *, loss, theta):
    return loss.data_loss(theta, X_block, Y_block, s_block)


def _block_hessian_product(X_block, Y_block, s_block, *, loss, theta, v):
    """Σ s_i H_i v over one block, its forward pass recomputed in the same task.

    The network's blocked product (:meth:`TwoLayerLoss.data_hessian_product`):
    three products with the block's X (``X W1ᵀ``, ``X V1ᵀ``, ``R{g1}ᵀ X``), the
    forward pass included. It is recomputed here rather than kept on a worker
    between tasks: a kept pass is a future that the scheduler may have to move, or
    lose with its worker, and a product waiting for it could hang; the persisted
    blocks themselves can always be moved or recomputed.
    """
    product = loss.data_hessian_product(theta, v, X_block, Y_block, s_block)
    return product.astype(np.float64, copy=False)


def _block_fingerprints(X_block, Y_block, s_block):
    """The early-stopping split's fingerprints of one block's rows."""
    return _row_fingerprints(X_block, Y_block)


def _block_part(block, *, rows):
    """The rows ``rows`` (a boolean mask) of one block, or None for no block."""
    return None if block is None else block[rows]


def _block_weight_part(s_block, *, factor, dtype):
    """The weights of one block's part: ``s · factor`` (1 for no weights)."""
    weights = np.ones(factor.size, dtype) if s_block is None else s_block
    return weights * factor.astype(dtype)


def _validated_block(X_block, *, estimator, method):
    """One block validated as in-memory input.

    An empty block (a boolean mask's, once its chunk sizes are computed) is valid
    Dask input, but in-memory validation rejects 0 rows: it stays an empty block,
    whose prediction is the method's output for no rows.
    """
    if X_block.shape[0] == 0:
        return np.empty(X_block.shape, dtype=X_block.dtype)
    return _in_memory_input(estimator, X_block, method)


# -- the cluster side ----------------------------------------------------------------
def _client():
    try:
        from distributed import get_client
    except ImportError as error:
        raise ImportError(
            "Fitting on Dask arrays needs dask.distributed; install it with "
            'pip install "sklearn-twolayer[dask]".'
        ) from error
    try:
        return get_client()
    except ValueError as error:
        raise ValueError(
            "Fitting on Dask arrays needs a dask.distributed Client, e.g. "
            "Client(LocalCluster()); none is running. For data that fits in memory, "
            "pass X.compute() instead."
        ) from error


def _timeout():
    return parse_timedelta(dask.config.get(TIMEOUT_CONFIG_KEY, _DEFAULT_TIMEOUT))


def _check_workers(client, timeout):
    """Every worker must have this package installed, in the version of the client.

    Asks each worker for the installed distribution's version with a standard
    library function (anything from this package would already need the package to
    be importable on the worker to be unpickled there).
    """
    from .._version import __version__

    client.wait_for_workers(1, timeout=timeout)
    versions = _call_within(
        client,
        timeout,
        client.run,
        importlib.metadata.version,
        _PACKAGE,
        on_error="return",
    )
    missing = sorted(w for w, v in versions.items() if isinstance(v, BaseException))
    if missing:
        raise ImportError(
            f"{_PACKAGE} is not installed on the Dask worker(s) {missing}: install it "
            f"(version {__version__}) in the workers' environment."
        )
    other = {w: v for w, v in versions.items() if v != __version__}
    if other:
        warnings.warn(
            f"Dask workers run {_PACKAGE} versions {other}, the client {__version__}.",
            UserWarning,
            # The caller of fit (_fit_context's wrapper -> fit -> _fit_and_assign
            # -> _fit -> training_rows -> here).
            stacklevel=7,
        )


def _block_futures(client, collections):
    """Persist the collections; return, per collection, its block futures in order."""
    persisted = client.persist(collections)
    from distributed import futures_of

    ordered = []
    for collection in persisted:
        by_key = {future.key: future for future in futures_of(collection)}
        ordered.append([by_key[key] for key in flatten(collection.__dask_keys__())])
    return ordered


@contextlib.contextmanager
def _cluster_errors(client, timeout, what):
    """Turn a lost cluster into errors that say so (never a silent hang)."""
    from distributed.scheduler import KilledWorker

    try:
        yield
    except (TimeoutError, asyncio.TimeoutError) as error:  # distinct before 3.11
        raise TimeoutError(
            f"Dask did not finish {what} within {timeout:g} s "
            f"({_connected_workers(client)} worker(s) connected): a worker or the "
            "scheduler may have been lost. Raise the "
            f"limit with dask.config.set({{{TIMEOUT_CONFIG_KEY!r}: '1 hour'}}) if "
            "one step legitimately takes longer."
        ) from error
    # distributed's FutureCancelledError (2024.4+) subclasses concurrent.futures'.
    except (KilledWorker, concurrent.futures.CancelledError) as error:
        raise RuntimeError(
            f"A Dask worker holding training blocks was lost during {what} and the "
            f"blocks could not be recomputed ({type(error).__name__}: {error})."
        ) from error


async def _within(awaitable, seconds):
    return await asyncio.wait_for(awaitable, seconds)


def _call_within(client, seconds, method, *args, **kwargs):
    """``method(*args, **kwargs)`` of the client, given up after ``seconds``.

    The client's blocking calls can wait forever on a connection to a worker that
    died (seen with ``scatter(broadcast=True)``, whose own ``timeout`` only bounds
    the wait for workers); their asynchronous form under ``asyncio.wait_for`` cannot.
    """
    return client.sync(_within, method(*args, asynchronous=True, **kwargs), seconds)


def _connected_workers(client):
    """The scheduler's worker count, asked with a short timeout of its own."""
    try:
        # what Client.nthreads() asks, but with a timeout
        threads_per_worker = client.sync(client.scheduler.ncores, callback_timeout=5)
    except Exception:  # the scheduler is gone too: say so rather than hang here
        return "unknown; the scheduler does not answer:"
    return len(threads_per_worker)


def _gather(client, futures, timeout, what):
    """The results of ``futures``, waiting at most ``timeout`` seconds for them."""
    from distributed import wait

    with _cluster_errors(client, timeout, what):
        wait(futures, timeout=timeout)
        return client.gather(futures)


# -- the rows of a fit ----------------------------------------------------------------
def _sum_in_order(parts):
    """Σ of (float, float64 vector) pairs, added in the order of the blocks."""
    data_loss = 0.0
    gradient = np.zeros_like(parts[0][1], dtype=np.float64)
    for part_loss, part_gradient in parts:
        data_loss += part_loss
        gradient += part_gradient
    return data_loss, gradient


class DaskRows:
    """Rows persisted as blocks on a Dask cluster (see the module docstring).

    Parameters
    ----------
    client : distributed.Client
    blocks : list of (X, Y, s) futures per block, ``s`` None when unweighted
    row_counts : list of int
        Rows per block.
    n_features : int
    dtype : numpy dtype
    weight_sum : float
    loss : TwoLayerLoss
    """

    def __init__(self, client, blocks, row_counts, n_features, dtype, weight_sum, loss):
        self.client, self.blocks, self.row_counts = client, blocks, row_counts
        self.n_samples, self.n_features = int(sum(row_counts)), n_features
        self.dtype, self.weight_sum, self.loss = dtype, weight_sum, loss

    def _map(self, function, what, **kwargs):
        """``function`` over the blocks where they live; the results, in order."""
        X, Y, s = zip(*self.blocks, strict=True)
        futures = self.client.map(function, X, Y, s, pure=False, **kwargs)
        return _gather(self.client, futures, _timeout(), what)

    def _theta(self, theta):
        # theta goes with the tasks, through the scheduler, not by scatter: a
        # scatter(broadcast=True) to a worker killed since the last evaluation could
        # block for good, beyond any timeout (asyncio could not cancel it).
        return theta.astype(self.dtype)

    def data_loss_gradient(self, theta):
        """Σ s_i loss_i and its gradient (float64), summed over the blocks."""
        parts = self._map(
            _block_data_loss_gradient,
            "an evaluation of the loss",
            loss=self.loss,
            theta=self._theta(theta),
        )
        return _sum_in_order(parts)

    def data_loss(self, theta):
        """Σ s_i loss_i over the blocks."""
        parts = self._map(
            _block_data_loss,
            "an evaluation of the held-out loss",
            loss=self.loss,
            theta=self._theta(theta),
        )
        return float(sum(parts))

    def data_hessian_product(self, theta):
        """The sums at ``theta`` and ``hessp(v) = Σ s_i H_i v`` over the blocks.

        Each product maps one task per block over the persisted blocks, which
        recomputes the block's forward pass and applies the R-operator to it (about
        two gradient evaluations of work), and gathers one vector per block.
        """
        # The sums are the gradient evaluation's own (blocked kernel); each product
        # then redoes its block's forward pass, so nothing waits on a worker's state.
        data_loss, gradient = self.data_loss_gradient(theta)
        theta = self._theta(theta)

        def hessp(v):
            parts = self._map(
                _block_hessian_product,
                "a Hessian-vector product",
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
        """``(train, held_out)``: exactly the in-memory split's rows (``_split``).

        Gathers per row a fingerprint, the target row and the weight, never ``X``;
        each block is cut into its two parts on its worker.
        """
        timeout = _timeout()
        fingerprints = self._map(_block_fingerprints, "the early-stopping split")
        _X, Y, s = zip(*self.blocks, strict=True)
        Y_rows = _gather(self.client, list(Y), timeout, "the early-stopping split")
        weights = None
        if s[0] is not None:
            weights = _gather(self.client, list(s), timeout, "the early-stopping split")
            weights = np.concatenate(weights)
        share = held_out_shares(
            np.concatenate(fingerprints),
            np.concatenate(Y_rows),
            weights,
            validation_fraction,
            random_state,
        )
        bounds = list(itertools.pairwise(np.cumsum([0, *self.row_counts])))
        shared = np.any((share > 0) & (share < 1))  # then every part is reweighted
        parts = []
        for in_part, part_of_weight in ((share < 1, 1 - share), (share > 0, share)):
            masks = [in_part[a:b] for a, b in bounds]
            factors = None
            if shared:
                factors = [part_of_weight[a:b][in_part[a:b]] for a, b in bounds]
            parts.append(self._part(masks, factors))
        return tuple(parts)

    def _part(self, masks, factors=None):
        """The rows of each block that ``masks`` selects, cut on the workers.

        ``factors`` (per block, one per selected row): the part of each row's
        weight in this part, when a row's weight is shared between the parts.
        """
        blocks, row_counts = [], []
        factors = [None] * len(masks) if factors is None else factors
        for block, mask, factor in zip(self.blocks, masks, factors, strict=True):
            if mask.any():
                X, Y, s = (
                    None
                    if future is None
                    else self.client.submit(_block_part, future, rows=mask, pure=False)
                    for future in block
                )
                if factor is not None:
                    s = self.client.submit(
                        _block_weight_part,
                        s,
                        factor=factor,
                        dtype=self.dtype,
                        pure=False,
                    )
                blocks.append((X, Y, s))
                row_counts.append(int(mask.sum()))
        weight_sum = float(sum(row_counts))
        if blocks[0][2] is not None:
            sums = self.client.map(
                _targets.weight_sum, [b[2] for b in blocks], pure=False
            )
            weight_sum = float(
                sum(_gather(self.client, sums, _timeout(), "the sum of the weights"))
            )
        return DaskRows(
            self.client,
            blocks,
            row_counts,
            self.n_features,
            self.dtype,
            weight_sum,
            self.loss,
        )


# -- the backend's entry points ------------------------------------------------------
def training_rows(estimator, X, y, sample_weight, *, reset, n_hidden, targets=None):
    """Validate Dask fit input block by block; return ``(targets, DaskRows)``.

    With ``targets`` (the fit's), the rows are its validation rows: their labels
    are checked against it and weighted with its class weights.
    """
    client = _client()
    timeout = _timeout()
    X = _validated_X(estimator, X, reset=reset)
    # Per block: Dask does not always know a sparse block's type (its meta of
    # map_blocks(coo_matrix) is an ndarray).
    X = X.map_blocks(_csr_or_csc, dtype=X.dtype, meta=X._meta)
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
        sw = sw.astype(X.dtype)
    with _cluster_errors(client, timeout, "waiting for a worker"):
        _check_workers(client, timeout)

    # The futures are only ever dropped, never cancelled: cancelling would also
    # cancel the user's persisted arrays when they share these keys.
    if sw is None:
        X_blocks, y_blocks = _block_futures(client, [X, y])
        sw_blocks = [None] * len(X_blocks)
    else:
        X_blocks, y_blocks, sw_blocks = _block_futures(client, [X, y, sw])
    summaries = _gather(
        client,
        client.map(_block_summary, X_blocks, y_blocks, sw_blocks, pure=False),
        timeout,
        "the validation of the data",
    )
    _check_summaries(estimator, summaries, X.dtype, sw is not None)
    if sw is not None and not validation:  # before the class counts sum them
        _targets.check_weight_sum(
            sum(summary["sw_sum"] for summary in summaries),
            X.dtype,
            weights="sample weights",
        )

    labels = np.concatenate([summary["labels"] for summary in summaries])
    if labels.dtype.kind == "f":  # validate_data's check of y, with its message
        _assert_all_finite(
            labels, input_name="y", estimator_name=type(estimator).__name__
        )
    n_columns = y.shape[1] if y.ndim == 2 else 1
    representative = _targets.representative_labels(labels, y.ndim, n_columns)
    if validation:
        if y.ndim == 2:  # each label column's own values (class weights per column)
            representative = _columns_with_values(
                [
                    np.unique(
                        np.concatenate([s["column_labels"][j] for s in summaries])
                    )
                    for j in range(n_columns)
                ]
            )
        _targets.check_validation_labels(representative, targets)
        per_class = targets.class_weights
    else:
        targets = _targets.describe_targets(representative, estimator.class_weight)
        per_class = None
    if not validation and (estimator.class_weight is not None or sw is not None):
        parts = _gather(
            client,
            client.map(
                _targets.label_totals, y_blocks, sw_blocks, targets=targets, pure=False
            ),
            timeout,
            "the class counts",
        )
        totals = {key: sum(part[key] for part in parts) for key in parts[0]}
        if sw is not None:
            _targets.check_positive_classes(totals, targets)
        per_class = _targets.class_weights(estimator.class_weight, targets, totals)
    targets = dataclasses.replace(targets, class_weights=per_class)

    dtype = X.dtype
    Y_blocks = client.map(
        _targets.target_matrix, y_blocks, targets=targets, dtype=dtype, pure=False
    )
    if per_class is None and sw is None:
        s_blocks, weight_sum = [None] * len(X_blocks), float(X.shape[0])
    else:
        s_blocks = client.map(
            _targets.row_weights,
            y_blocks,
            sw_blocks,
            targets=targets,
            per_class=per_class,
            dtype=dtype,
            pure=False,
        )
        sums = client.map(_targets.weight_sum, s_blocks, pure=False)
        weight_sum = float(
            sum(_gather(client, sums, timeout, "the sum of the weights"))
        )
        _targets.check_weight_sum(weight_sum, dtype, validation)

    layout = ParameterLayout(X.shape[1], n_hidden, targets.n_outputs)
    rows = DaskRows(
        client,
        list(zip(X_blocks, Y_blocks, s_blocks, strict=True)),
        [int(size) for size in X.chunks[0]],
        X.shape[1],
        dtype,
        weight_sum,
        TwoLayerLoss(layout, targets.output),
    )
    return targets, rows


def _columns_with_values(values_per_column):
    """Rows whose column j takes exactly the values ``values_per_column[j]``.

    For a 2-D ``y``: ``type_of_target`` and the per-column checks of
    :func:`~sklearn_twolayer._targets.check_validation_labels` read it as they
    read the whole ``y``.
    """
    n_rows = max(len(values) for values in values_per_column)
    return np.column_stack(
        [
            values[np.minimum(np.arange(n_rows), len(values) - 1)]
            for values in values_per_column
        ]
    )


def _check_summaries(estimator, summaries, dtype, weighted):
    """Raise the in-memory path's error for bad data seen in the block summaries.

    Each check runs scikit-learn's (or the in-memory backend's) own function on a
    one-value array that has the offending property, so the message is the same.
    """
    if any(summary["X_nonfinite"] for summary in summaries):
        bad = np.nan if any(summary["X_nan"] for summary in summaries) else np.inf
        _assert_all_finite(
            np.array([bad], dtype=dtype),
            input_name="X",
            estimator_name=type(estimator).__name__,
        )
    check_magnitude(
        np.array([max(summary["X_largest"] for summary in summaries)], dtype=dtype)
    )
    if weighted:
        if any(summary["sw_nonfinite"] for summary in summaries):
            bad = np.nan if any(summary["sw_nan"] for summary in summaries) else np.inf
            _check_sample_weight(np.array([bad]), np.empty((1, 0)))
        extremes = np.array(
            [
                min(summary["sw_min"] for summary in summaries),
                max(summary["sw_max"] for summary in summaries),
            ]
        )
        _check_sample_weight(extremes, np.empty((2, 0)), ensure_non_negative=True)
        _targets.check_any_weight_positive(extremes)


def prediction_input(estimator, X, method):
    """A lazy dask X validated for ``method``: at once what needs no data, block by
    block (as in-memory input, with its messages) when computed.

    ``estimator`` is the prediction's snapshot of the fitted estimator (taken by
    the estimator's prediction methods), never the user's estimator: the graph holds
    it, so a refit after this call changes neither the values nor the shape computed.
    """
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
    """``function`` over the row blocks of X, lazily: a dask array of its results.

    ``shape`` is the result's shape per row: ``()`` for one value per row,
    ``(n,)`` for n columns, ``(n, m)`` for a new axis of n entries.
    """
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
