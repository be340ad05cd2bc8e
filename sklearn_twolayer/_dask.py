"""Dask support: fit on row-chunked Dask arrays, predict on them lazily.

Imported by the estimator only when a Dask collection is passed to ``fit`` or to a
prediction method, so that nothing imports dask otherwise.

Fitting keeps the estimator's objective and optimiser. The rows are split into the
Dask array's row blocks, persisted on the workers; every L-BFGS evaluation sends
the parameter vector ``theta`` (small) to the workers, maps the in-memory path's own
kernel :meth:`TwoLayerLoss.data_loss_gradient` (the unnormalised Σ s_i loss_i and
its gradient) over the blocks where they live, sums the parts on the client in
float64, and calls :meth:`TwoLayerLoss.add_penalty_and_normalize` once. The optimiser
(:func:`sklearn_twolayer._solver.minimize_lbfgs`) runs on the client. Since the sum
over the blocks is the sum over the rows, the objective is the in-memory one, up to
the order of floating-point additions.

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
import importlib.metadata
import warnings

import dask
import dask.array as da
import dask.base
import numpy as np
from dask.core import flatten
from dask.utils import parse_timedelta
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    check_is_fitted,
)

from ._solver import minimize_lbfgs
from .network import ParameterLayout, TwoLayerLoss

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


def _row_blocks(estimator, X, reset):
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
    if X.dtype.kind in "biu":
        X = X.astype(np.float64)
    elif X.dtype not in (np.float32, np.float64):
        raise ValueError(
            f"X must hold real numbers; got a Dask array of dtype {X.dtype}."
        )
    for axis, what in ((0, "sample"), (1, "feature")):
        if X.shape[axis] == 0:
            raise ValueError(
                f"Found array with 0 {what}(s) (shape={X.shape}) while a minimum of "
                "1 is required."
            )
    _check_n_features(estimator, X, reset=reset)
    _check_feature_names(estimator, X, reset=reset)
    return X.rechunk({1: -1}) if X.numblocks[1] > 1 else X


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
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"X has {n_samples} rows, {name} has {data.shape[0]}."
        )
    return data.rechunk({0: row_chunks, **{a: -1 for a in range(1, data.ndim)}})


# -- block functions, run on the workers ---------------------------------------------
def _block_summary(X_block, y_block, sw_block):
    """What validation needs from one block: finiteness, labels, weight range."""
    summary = {
        "X_finite": bool(np.isfinite(X_block).all()),
        "labels": np.unique(y_block),
    }
    if sw_block is not None:
        summary["sw_finite"] = bool(np.isfinite(sw_block).all())
        summary["sw_min"] = float(sw_block.min()) if sw_block.size else np.inf
    return summary


def _block_label_totals(y_block, sw_block, classes):
    """Per class (or per label): count, weighted count, count with positive weight.

    For multilabel targets (``classes`` is None) the columns are (ones, zeros) of
    each label: counts and weighted counts of both values.
    """
    weights = np.ones(y_block.shape[0]) if sw_block is None else sw_block
    if classes is None:
        ones = np.asarray(y_block, dtype=np.float64)
        return {
            "count": np.stack([ones.sum(axis=0), (1.0 - ones).sum(axis=0)]),
            "weighted": np.stack([weights @ ones, weights @ (1.0 - ones)]),
        }
    encoded = np.searchsorted(classes, y_block)
    k = classes.size
    return {
        "count": np.bincount(encoded, minlength=k),
        "weighted": np.bincount(encoded, weights=weights, minlength=k),
        "positive": np.bincount(encoded[weights > 0], minlength=k),
    }


def _block_targets(y_block, classes, output, dtype):
    """The 0/1 target matrix Y of one block, encoded as the in-memory path does."""
    if classes is None:  # multilabel indicator
        return np.asarray(y_block).astype(dtype)
    encoded = np.searchsorted(classes, y_block)
    if output == "sigmoid":
        return encoded[:, None].astype(np.float64).astype(dtype)
    Y = np.zeros((encoded.size, classes.size))
    Y[np.arange(encoded.size), encoded] = 1.0
    return Y.astype(dtype)


def _block_weights(y_block, sw_block, classes, per_class, dtype):
    """s_i = sample_weight_i · class_weight[y_i] for one block, in X's dtype.

    Multiplies in the same order as the in-memory path, so that both give the same
    floating-point weights. ``per_class`` is a list of (present values, weights), one
    per label column for multilabel targets, one entry otherwise.
    """
    if per_class is None:
        return np.asarray(sw_block, dtype=dtype)
    weights = np.ones(y_block.shape[0], dtype=dtype)
    if classes is None:
        columns = np.asarray(y_block).T
    else:
        columns = [classes[np.searchsorted(classes, y_block)]]
    for labels, (present, class_weights) in zip(columns, per_class, strict=True):
        weights *= class_weights[np.searchsorted(present, labels)].astype(dtype)
    if sw_block is not None:
        weights *= np.asarray(sw_block, dtype=dtype)
    return weights


def _block_data_loss_gradient(X_block, Y_block, s_block, *, loss, theta):
    """The in-memory kernel on one block; the gradient comes back in float64.

    ``theta`` arrives in the block's dtype. float32 blocks are summed within the
    block in float32, as in memory, and across blocks in float64 on the client.
    """
    data_loss, gradient = loss.data_loss_gradient(theta, X_block, Y_block, s_block)
    return data_loss, gradient.astype(np.float64, copy=False)


def _predict_block(X_block, *, estimator, method):
    """The estimator's in-memory prediction on one numpy block."""
    return getattr(estimator, method)(X_block)


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
    from . import __version__

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
            stacklevel=4,
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


class _BlockObjective:
    """theta -> (J, ∇J) over persisted blocks, for :func:`minimize_lbfgs`."""

    def __init__(self, client, loss, blocks, sw_sum, alpha, dtype):
        self.client, self.loss, self.blocks = client, loss, blocks
        self.sw_sum, self.alpha, self.dtype = sw_sum, alpha, dtype

    def __call__(self, theta):
        timeout = _timeout()  # read at each evaluation: dask.config.set applies now
        # theta goes with the tasks, through the scheduler, not by scatter: a
        # scatter(broadcast=True) to a worker killed since the last evaluation could
        # block for good, beyond any timeout (asyncio could not cancel it).
        theta_in_block_dtype = theta.astype(self.dtype)
        X_futures, Y_futures, s_futures = self.blocks
        parts = self.client.map(
            _block_data_loss_gradient,
            X_futures,
            Y_futures,
            s_futures,
            loss=self.loss,
            theta=theta_in_block_dtype,
            pure=False,
        )
        results = _gather(self.client, parts, timeout, "an evaluation of the loss")
        data_loss = sum(part_loss for part_loss, _ in results)
        gradient = np.zeros(theta.shape, dtype=np.float64)
        for _, part_gradient in results:
            gradient += part_gradient
        return self.loss.add_penalty_and_normalize(
            theta, data_loss, gradient, self.sw_sum, self.alpha
        )


# -- targets and weights -------------------------------------------------------------
def _targets(estimator, labels, y_ndim, n_columns):
    """(classes_, output kind) from the labels of all blocks, as in memory."""
    if y_ndim == 2:
        if not set(np.unique(labels).tolist()) <= {0, 1}:
            kind = "multiclass-multioutput"
            if labels.dtype.kind == "f" and np.any(labels != np.round(labels)):
                kind = "continuous-multioutput"
            raise ValueError(
                "TwoLayerSigmoidClassifier supports binary, multiclass and multilabel "
                f"targets; got a {kind!r} target."
            )
        if isinstance(estimator.class_weight, dict):
            raise ValueError(
                "class_weight must be None or 'balanced' for multilabel targets; "
                "pass sample_weight for other weightings."
            )
        return None, np.arange(n_columns), "sigmoid"
    classes = np.unique(labels)
    check_classification_targets(classes)
    target_type = type_of_target(classes, input_name="y")
    if target_type not in ("binary", "multiclass"):
        raise ValueError(
            "TwoLayerSigmoidClassifier supports binary, multiclass and multilabel "
            f"targets; got a {target_type!r} target."
        )
    if classes.size < 2:
        raise ValueError(
            "TwoLayerSigmoidClassifier needs samples of at least 2 classes in the "
            f"data, but the data contains only one class: {classes[0]!r}."
        )
    return classes, classes, "sigmoid" if classes.size == 2 else "softmax"


def _class_weights(class_weight, classes, totals):
    """Per label column: (present values, their class weights), from block totals.

    ``compute_class_weight`` is called on the present values themselves with their
    weighted counts as sample weights, which gives exactly its weights on the full y.
    """
    per_class = []
    if classes is None:  # multilabel: each column balanced, values 0 and 1
        for ones, zeros, w_ones, w_zeros in zip(
            *totals["count"], *totals["weighted"], strict=True
        ):
            present = np.array([v for v, n in ((0, zeros), (1, ones)) if n > 0])
            weighted = np.array([w for w, n in ((w_zeros, zeros), (w_ones, ones)) if n])
            per_class.append((present, _balanced(class_weight, present, weighted)))
        return per_class
    present = classes[totals["count"] > 0]
    weighted = totals["weighted"][totals["count"] > 0]
    return [(present, _balanced(class_weight, present, weighted))]


def _balanced(class_weight, present, weighted_counts):
    return compute_class_weight(
        class_weight, classes=present, y=present, sample_weight=weighted_counts
    )


# -- the estimator's entry points ----------------------------------------------------
def fit(estimator, X, y, sample_weight=None):
    """``estimator.fit`` for Dask input; see the module docstring."""
    if not dask.is_dask_collection(X):
        # Only y or the weights are lazy: they are as small as a column of X.
        y, sample_weight = dask.compute(y, sample_weight)
        return estimator.fit(X, y, sample_weight)
    if getattr(estimator, "solver", "lbfgs") != "lbfgs" or getattr(
        estimator, "early_stopping", False
    ):
        raise ValueError(
            "Fitting on Dask arrays supports solver='lbfgs' without early_stopping; "
            f"got solver={estimator.solver!r}, "
            f"early_stopping={estimator.early_stopping!r}."
        )
    client = _client()
    timeout = _timeout()
    continuing = estimator.warm_start and hasattr(estimator, "W1_")
    X = _row_blocks(estimator, X, reset=not continuing)
    y = _aligned_rows(y, X.chunks[0], "y")
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please "
            "change the shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        y = y.ravel()
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
    with warnings.catch_warnings(record=True) as caught:
        result, layout = _fit_blocks(
            estimator, client, timeout, X, y, X_blocks, y_blocks, sw_blocks, continuing
        )
    for warning in caught:
        # Issued two calls deeper than on the in-memory path: re-issue them so that
        # they point at the user's call of fit, as there.
        warnings.warn(warning.message, warning.category, stacklevel=4)

    return estimator._store_solution(layout, result, X.dtype)


def _fit_blocks(estimator, client, timeout, X, y, X_blocks, y_blocks, sw_blocks, cont):
    """Validate the persisted blocks, encode them, run L-BFGS; -> (result, layout)."""
    from ._classifier import _glorot_start

    summaries = _gather(
        client,
        client.map(_block_summary, X_blocks, y_blocks, sw_blocks, pure=False),
        timeout,
        "the validation of the data",
    )
    if not all(s["X_finite"] for s in summaries):
        raise ValueError("Input X contains NaN or infinity.")
    if sw_blocks[0] is not None:
        if not all(s["sw_finite"] for s in summaries):
            raise ValueError("Input sample_weight contains NaN or infinity.")
        if min(s["sw_min"] for s in summaries) < 0:
            raise ValueError("Negative values in data passed to `sample_weight`.")
    labels = np.concatenate([s["labels"] for s in summaries])
    n_columns = y.shape[1] if y.ndim == 2 else 1
    classes, classes_, output = _targets(estimator, labels, y.ndim, n_columns)
    out_activation = "softmax" if output == "softmax" else "logistic"
    if cont:
        estimator._check_same_targets_as_before(classes_, out_activation)

    has_sw = sw_blocks[0] is not None
    per_class = None
    if estimator.class_weight is not None or has_sw:
        totals_parts = _gather(
            client,
            client.map(
                _block_label_totals, y_blocks, sw_blocks, classes=classes, pure=False
            ),
            timeout,
            "the class counts",
        )
        totals = {k: sum(p[k] for p in totals_parts) for k in totals_parts[0]}
        if has_sw and classes is not None and np.count_nonzero(totals["positive"]) < 2:
            raise ValueError(
                "Only one class has positive sample_weight; at least 2 classes are "
                "needed to fit."
            )
        if estimator.class_weight is not None:
            per_class = _class_weights(estimator.class_weight, classes, totals)
    estimator.classes_, estimator.out_activation_ = classes_, out_activation

    dtype = X.dtype
    Y_blocks = client.map(
        _block_targets,
        y_blocks,
        classes=classes,
        output=output,
        dtype=dtype,
        pure=False,
    )
    if per_class is None and not has_sw:
        s_blocks, sw_sum = [None] * len(X_blocks), float(X.shape[0])
    else:
        s_blocks = client.map(
            _block_weights,
            y_blocks,
            sw_blocks,
            classes=classes,
            per_class=per_class,
            dtype=dtype,
            pure=False,
        )
        sums = client.map(np.sum, s_blocks, dtype=np.float64, pure=False)
        sw_sum = float(sum(_gather(client, sums, timeout, "the sum of the weights")))
        if not sw_sum > 0:
            raise ValueError(
                "The sample weights times the class weights sum to 0: nothing to fit."
            )

    if classes is None or output == "softmax":
        n_outputs = classes_.size
    else:
        n_outputs = 1
    layout = ParameterLayout(X.shape[1], estimator.n_hidden, n_outputs)
    loss = TwoLayerLoss(layout, output)
    if cont:
        if estimator.W1_.shape[0] != estimator.n_hidden:
            raise ValueError(
                "warm_start=True needs the same n_hidden as the previous fit "
                f"({estimator.W1_.shape[0]}), got n_hidden={estimator.n_hidden}."
            )
        theta0 = layout.pack(
            estimator.W1_, estimator.b1_, estimator.W2_, estimator.b2_, np.float64
        )
    else:
        theta0 = _glorot_start(layout, check_random_state(estimator.random_state))
    objective = _BlockObjective(
        client,
        loss,
        (X_blocks, Y_blocks, s_blocks),
        sw_sum,
        estimator.alpha,
        dtype,
    )
    result = minimize_lbfgs(
        objective,
        theta0,
        max_iter=estimator.max_iter,
        max_fun=estimator.max_fun,
        tol=estimator.tol,
        verbose=estimator.verbose,
    )
    return result, layout


def predict(estimator, X, method):
    """``estimator.<method>(X)`` for a dask X: a lazy dask array, block by block."""
    check_is_fitted(estimator)
    X = _row_blocks(estimator, X, reset=False)
    binary = estimator._is_binary()
    if method == "predict":
        multilabel = estimator.out_activation_ == "logistic" and not binary
        dtype = np.dtype(int) if multilabel else estimator.classes_.dtype
        n_columns = estimator.n_outputs_ if multilabel else None
    elif method == "decision_function":
        dtype = X.dtype
        n_columns = None if binary else estimator.n_outputs_
    else:  # predict_proba, predict_log_proba: float64 (see their docstrings)
        dtype = np.dtype(np.float64)
        n_columns = 2 if binary else estimator.n_outputs_
    # A full name (not token=, deprecated in some dask versions): the estimator's
    # token changes when it is refitted, so stale results are never reused.
    name = f"twolayer-{method}-{dask.base.tokenize(X, estimator, method)}"
    if n_columns is None:  # one value per row
        shape = {"drop_axis": 1, "meta": np.empty((0,), dtype=dtype)}
    else:
        shape = {
            "chunks": (X.chunks[0], (n_columns,)),
            "meta": np.empty((0, 0), dtype=dtype),
        }
    return X.map_blocks(
        _predict_block,
        estimator=estimator,
        method=method,
        name=name,
        dtype=dtype,
        **shape,
    )
