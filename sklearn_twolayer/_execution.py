"""How sums over rows run: blocks of rows, worker threads, BLAS threads, fixed order.

The network's kernels (:mod:`sklearn_twolayer.network`) say *what* one block of rows
contributes; this module says *how* the blocks are cut, who computes them and in
which order their contributions are added. It imports nothing of the package, and it
is the package's only user of threadpoolctl.

- Rows in this process (NumPy, SciPy CSR/CSC): :func:`row_blocks`, then
  :func:`sum_over_row_blocks` (loss, gradient, Hessian product) or :func:`map_rows`
  (one result per row), run by :func:`evaluate_groups`.
- Rows on an array-API device (torch, CuPy, array-api-strict):
  :func:`device_row_blocks`, then :func:`map_rows` or :func:`sum_device_blocks`.

The order of every addition is fixed by the data's shape alone: the same bits
whatever the number of threads.
"""

import math
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from functools import cache

import numpy as np
from scipy import sparse
from sklearn import get_config

__all__ = [
    "BLOCK_BYTES",
    "NO_VECTOR",
    "N_GROUPS",
    "TINY_PRODUCT",
    "BlockScratch",
    "DeviceSum",
    "blas_single_threaded",
    "block_groups",
    "device_block_bytes",
    "device_row_blocks",
    "evaluate_groups",
    "for_each_row_block",
    "map_rows",
    "operation_threads",
    "point_store",
    "row_blocks",
    "rows_of",
    "sum_device_blocks",
    "sum_over_row_blocks",
]

# -- blocks of rows in this process -------------------------------------------------
# Streamed through main memory, the element-wise passes (sigmoid, derivative,
# products) would cost as much as the matrix products; blocks also bound an
# evaluation's memory to a few blocks (the figures: benchmarks/README.md).
BLOCK_BYTES = 1 << 19  # size of one (rows, n_hidden) scratch array


def row_blocks(X, n_hidden, itemsize):
    """Slices cutting X's rows into cache-sized blocks; a CSC matrix, which cannot
    give a block of rows without a copy, is one block."""
    n_samples = X.shape[0]
    if sparse.issparse(X) and X.format != "csr":
        return [slice(0, n_samples)]
    rows = max(1, BLOCK_BYTES // (n_hidden * itemsize))
    return [
        slice(start, min(start + rows, n_samples))
        for start in range(0, n_samples, rows)
    ]


def rows_of(X, block):
    """The rows ``block`` of X, as a view: no copy of a dense or CSR matrix."""
    if not sparse.issparse(X) or X.format != "csr":
        return X[block]
    indptr = X.indptr[block.start : block.stop + 1]
    start, stop = indptr[0], indptr[-1]
    # Assigned, not passed to the constructor: SciPy's constructor copies arrays
    # that are slices of less than half of a larger array (its `prune` step).
    rows = type(X)((block.stop - block.start, X.shape[1]))  # dtype: of its data
    rows.data, rows.indices = X.data[start:stop], X.indices[start:stop]
    rows.indptr = indptr - start
    return rows


def point_store(n_samples, n_hidden, itemsize):
    """A dict for the Hessian products at one point to keep its forward pass in
    (two ``(n_samples, n_hidden)`` arrays), or None beyond scikit-learn's
    ``working_memory`` (MiB)."""
    kept = 2 * n_samples * n_hidden * itemsize
    return {} if kept <= get_config()["working_memory"] * 2**20 else None


# -- BLAS threads ---------------------------------------------------------------------
def thread_pools():
    """threadpoolctl's report of the BLAS and OpenMP libraries loaded, with their
    threads (what :func:`sklearn_twolayer.show_versions` prints)."""
    from threadpoolctl import threadpool_info

    return threadpool_info()


@cache
def _blas_controller():
    """threadpoolctl's view of the BLAS libraries loaded (numpy's and SciPy's)."""
    from threadpoolctl import ThreadpoolController  # a scikit-learn dependency

    return ThreadpoolController().select(user_api="blas")


class _SingleThreadedBlas:
    """Every BLAS library on one thread while any evaluation or solve runs.

    Why one thread: OpenBLAS gives other bits on several threads (a threaded
    ``ddot`` splits its sum, ``Gᵀ X`` is cut differently), so results would depend
    on BLAS's thread count. The parallelism is the evaluation's own worker threads
    (:func:`evaluate_groups`), which run NumPy's element-wise passes in parallel too;
    an idle threaded OpenBLAS (SciPy's, in the solver) would spin against them.

    Why reference counted: threadpoolctl's limits are process-wide, so a
    save-and-restore per fit is unsafe across threads (a second fit saves the first
    one's limit of 1 and restores it last: BLAS stays on one thread). The first
    user, in any thread, saves every library's count and sets it to 1; the last to
    leave restores it; both under one lock, leaving in ``finally`` blocks so
    interrupted fits restore too.

    Users are counted per thread: only a caller alone inside may start worker
    threads, so concurrent fits (a threaded grid search) never run more busy
    threads than BLAS was allowed.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._depth = {}  # thread id -> how many times it entered
        self._saved = []  # (library controller, its thread count before)

    @contextmanager
    def __call__(self):
        """Enter; yields the threads this caller may use for an evaluation: BLAS's
        count before the first caller entered if this caller is alone, else 1."""
        thread = threading.get_ident()
        with self._lock:
            if not self._depth:
                self._saved = [
                    (lib, lib.num_threads) for lib in _blas_controller().lib_controllers
                ]
                for lib, _ in self._saved:
                    _set_num_threads(lib, 1)
            self._depth[thread] = self._depth.get(thread, 0) + 1
            alone = len(self._depth) == 1
            allowed = max((n for _, n in self._saved), default=1) if alone else 1
        try:
            yield allowed
        finally:
            with self._lock:
                self._depth[thread] -= 1
                if not self._depth[thread]:
                    del self._depth[thread]
                if not self._depth:
                    for lib, n_threads in self._saved:
                        _set_num_threads(lib, n_threads)
                    self._saved = []


def _set_num_threads(lib, num_threads):
    """Set a BLAS library's thread count, from whatever thread calls.

    threadpoolctl (3.6+) lets only the first live Python thread to set an OpenBLAS
    limit change OpenBLAS's process-wide count and silently ignores the others, so
    a fit in another thread could leave BLAS multi-threaded. The only caller,
    :class:`_SingleThreadedBlas`, holds its lock, so OpenBLAS on its own threads is
    set through its own setter; others (OpenBLAS on OpenMP too, whose limits are
    per thread) through threadpoolctl.
    """
    setter = None
    if getattr(lib, "internal_api", None) == "openblas" and (
        getattr(lib, "threading_layer", None) != "openmp"
    ):
        setter = _openblas_setter(lib.filepath)
    (setter or lib.set_num_threads)(num_threads)


# OpenBLAS's thread setter: its own name and those of NumPy's and SciPy's
# scipy-openblas builds (a prefix, and a suffix for 64-bit integers).
_OPENBLAS_SETTER_NAMES = tuple(
    f"{prefix}openblas_set_num_threads{suffix}"
    for prefix in ("", "scipy_")
    for suffix in ("", "64_")
)


@cache
def _openblas_setter(filepath):
    """``openblas_set_num_threads`` of the OpenBLAS loaded from ``filepath``
    (already loaded: this finds it, it does not load another), or None."""
    import ctypes

    library = ctypes.CDLL(filepath)
    for name in _OPENBLAS_SETTER_NAMES:
        setter = getattr(library, name, None)
        if setter is not None:
            setter.argtypes, setter.restype = [ctypes.c_int], None
            return setter
    return None


blas_single_threaded = _SingleThreadedBlas()

# -- deterministic reduction over groups of blocks -------------------------------------
# The blocks are cut into at most N_GROUPS contiguous groups, each summed in order into
# its own float64 accumulator; the groups' sums are added in group order, whichever
# thread computed which group.
N_GROUPS = 16

# Products of at most this many multiply-adds run on one thread in any BLAS (OpenBLAS
# keeps a GEMM below 2^18 multiply-adds, a GEMV below 9,216 entries, on one thread):
# a one-block prediction skips the BLAS settings for them, which would cost more.
TINY_PRODUCT = 1 << 13


def block_groups(n_blocks):
    """Contiguous groups of block indices; their number and sizes depend only on
    ``n_blocks`` (sizes differ by at most one block)."""
    n_groups = min(N_GROUPS, n_blocks)
    if n_groups == 0:
        return []
    bounds = [group * n_blocks // n_groups for group in range(n_groups + 1)]
    return [range(bounds[g], bounds[g + 1]) for g in range(n_groups)]


# A worker pays only for work that outlasts the hand-over (waking it, passing a sum
# back): the seconds of work, at the first group's pace on the caller's thread, each
# worker must get. Seconds hold on any CPU and for any kernel; less runs on one thread.
MIN_SECONDS_PER_WORKER = 5e-4
# Trials of the way not chosen (:class:`_ThreadPayoff`): after EXPLORE_EVERY
# evaluations, twice as many after each trial that changed nothing, up to
# EXPLORE_AT_MOST; SAMPLES recent evaluations of each way are compared.
EXPLORE_EVERY = 16
EXPLORE_AT_MOST = 256
SAMPLES = 3


class _ThreadPayoff:
    """Whether threads pay for work of each size, from evaluations timed both ways.

    That depends on what else runs on the cores (other processes, a sibling
    hyperthread, a virtual machine's host), on how the kernel scales and on the
    hand-over's cost: no constant knows it, and the first group's time does not
    predict it (groups differ by a block; the first pays for cold caches). So per
    size of work (a factor of two of its one-thread estimate) evaluations are timed
    in seconds per block, and threads are used where the median of the last
    :data:`SAMPLES` on threads is below 1/1.1 of that on one thread. Trials of the
    other way (two on threads: the first after a pause pays for waking a thread)
    see a change of load; they grow rarer while the choice holds, since each costs
    what it loses, and restart when it changes. The chosen way is timed all along.
    Only which thread computes a group changes, never the groups or their order.
    """

    def __init__(self):
        self.sizes = {}  # size class -> _SizeRecord

    @staticmethod
    def _size_class(one_thread_seconds):
        return int(math.log2(one_thread_seconds / MIN_SECONDS_PER_WORKER))

    def n_workers(self, one_thread_seconds, most):
        """How many threads (at most ``most``) work that takes an estimated
        ``one_thread_seconds`` on one thread is to run on; below 2 means one."""
        n_workers = min(most, int(one_thread_seconds / MIN_SECONDS_PER_WORKER))
        if n_workers < 2:
            return n_workers
        record = self.sizes.setdefault(
            self._size_class(one_thread_seconds), _SizeRecord()
        )
        return n_workers if record.threaded_next() else 1

    def observe(self, one_thread_seconds, seconds_per_block, threaded):
        """Record an evaluation's ``seconds_per_block``, first group included (a
        threaded evaluation can slow the next one's first group: its rows were in
        another core's cache)."""
        if one_thread_seconds / MIN_SECONDS_PER_WORKER < 2:
            return
        record = self.sizes.get(self._size_class(one_thread_seconds))
        if record is not None:
            record.add(seconds_per_block, threaded)


class _SizeRecord:
    """The recent evaluations of one size of work, on threads and on one."""

    def __init__(self):
        self.threaded, self.one_thread = [], []  # seconds per block
        self.count = 0  # evaluations since the last trial of the other way
        self.every = EXPLORE_EVERY  # evaluations between two trials
        self.burst = 0  # threaded evaluations left in a trial
        self.paid = None  # the choice the last evaluation made

    def _threads_pay(self):
        if not self.threaded:
            return True  # try them first
        if not self.one_thread:
            return False  # then the other way
        # statistics' median: NumPy's first makes an array, costly beside small work
        return 1.1 * statistics.median(self.threaded) < statistics.median(
            self.one_thread
        )

    def threaded_next(self):
        pay = self._threads_pay()
        if self.burst:
            self.burst -= 1
            return True
        if pay != self.paid:  # a new choice: its trials start afresh
            self.paid, self.count, self.every = pay, 0, EXPLORE_EVERY
        self.count += 1
        if self.count >= self.every:  # a trial of the other way
            self.count, self.every = 0, min(2 * self.every, EXPLORE_AT_MOST)
            if not pay:
                self.burst = 1  # this one and the next on threads
            return not pay
        return pay

    def add(self, ratio, threaded):
        samples = self.threaded if threaded else self.one_thread
        samples.append(ratio)
        del samples[:-SAMPLES]


_thread_payoff = _ThreadPayoff()


def evaluate_groups(new_worker, n_blocks, combine):
    """Sum ``compute(group)`` over the groups of blocks, in group order.

    ``new_worker()`` returns a ``compute(group)`` with its own scratch;
    ``combine(total, partial)`` adds a group's partial sum to ``total`` (None for
    the first group) and returns the new total. The caller computes and times the
    first group. The rest runs on the caller and the process's worker threads, each
    taking the next group: at most as many as BLAS was allowed before (so
    ``threadpool_limits`` and ``OMP_NUM_THREADS`` hold), as groups are left, and as
    get :data:`MIN_SECONDS_PER_WORKER` each, where :class:`_ThreadPayoff` finds that
    threads pay; else (or beside another evaluation) the caller computes it alone.
    """
    groups = block_groups(n_blocks)
    if not groups:  # no rows
        return None
    with blas_single_threaded() as n_threads:
        compute = new_worker()
        started = time.perf_counter()
        total = combine(None, compute(groups[0]))
        seconds = time.perf_counter() - started
        rest = groups[1:]
        # the rest's time on one thread at the first group's pace per block
        estimate = seconds / len(groups[0]) * (n_blocks - len(groups[0]))
        most = min(n_threads, len(rest))
        n_workers = _thread_payoff.n_workers(estimate, most)
        if n_workers < 2:
            for group in rest:
                total = combine(total, compute(group))
        else:
            total = _evaluate_groups_threaded(
                new_worker, rest, combine, n_workers, total=total, compute=compute
            )
        if most >= 2:  # not an evaluation beside another, or under a limit of one
            _thread_payoff.observe(
                estimate,
                (time.perf_counter() - started) / n_blocks,
                threaded=n_workers >= 2,
            )
        return total


def _evaluate_groups_threaded(
    new_worker, groups, combine, n_workers, total=None, compute=None
):
    """``groups`` on the caller and ``n_workers - 1`` worker threads, combined in
    order into ``total``; ``compute`` is the caller's own (else it makes one).

    Returns only once every worker has stopped, also on a failure or interruption
    (the others stop after their current group): nothing computes for the
    evaluation after it has returned or raised.
    """
    lock = threading.Lock()
    state = {"next": 0, "added": 0, "total": total, "stop": False}
    partials, ready = [None] * len(groups), [False] * len(groups)

    def run(compute=None):
        compute = compute or new_worker()
        while True:
            with lock:
                index = state["next"]
                if state["stop"] or index == len(groups):
                    return
                state["next"] = index + 1
            try:
                partial = compute(groups[index])
            except BaseException:
                with lock:  # the other workers stop after their current group
                    state["stop"] = True
                raise
            with lock:
                partials[index], ready[index] = partial, True
                while state["added"] < len(groups) and ready[state["added"]]:
                    added = state["added"]
                    state["total"] = combine(state["total"], partials[added])
                    partials[added] = None
                    state["added"] = added + 1

    pool = _worker_threads(n_workers - 1)
    futures = [pool.submit(run) for _ in range(n_workers - 1)]
    try:
        run(compute)
        for future in futures:
            future.result()  # a worker's exception is raised here
    except BaseException:
        with lock:
            state["stop"] = True
        wait(futures)
        raise
    return state["total"]


class _WorkerThreads:
    """The process's worker threads, started once and reused by every evaluation
    (a pool per evaluation would cost more than a small one). The pool grows when
    more threads are allowed; a forked child, without its parent's threads, starts
    its own."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pool, self._size = None, 0
        if hasattr(os, "register_at_fork"):  # not on Windows
            os.register_at_fork(after_in_child=self._forget)

    def __call__(self, n_threads):
        with self._lock:
            if self._pool is None or self._size < n_threads:
                old = self._pool
                self._pool = ThreadPoolExecutor(
                    n_threads, thread_name_prefix="sklearn_twolayer"
                )
                self._size = n_threads
                if old is not None:
                    old.shutdown(wait=False)  # its idle threads end
            return self._pool

    def _forget(self):
        self._lock = threading.Lock()
        self._pool, self._size = None, 0


_worker_threads = _WorkerThreads()


class BlockScratch:
    """The kernels' ``scratch`` for blocks of at most ``rows`` rows: ``n_arrays``
    ``(rows, n_hidden)`` arrays in ``dtype``, a vector of ones (row sums as products)
    and a parameter-sized vector (a block's sums) with its four parameter blocks as
    views (``parts``), all made once and reused block by block."""

    def __init__(self, rows, layout, dtype, n_arrays):
        shape = (rows, layout.n_hidden)
        self.arrays = [np.empty(shape, dtype=dtype) for _ in range(n_arrays)]
        self.ones = np.ones(rows, dtype=dtype)
        self.vector = np.empty(layout.size, dtype=dtype)
        self.parts = layout.unpack(self.vector)

    def take(self, n_rows):
        """The scratch arrays cut to ``n_rows`` rows."""
        return [array[:n_rows] for array in self.arrays]


# The vector part of a sum that has none (the loss alone): adds nothing.
NO_VECTOR = np.zeros(0)


def sum_over_row_blocks(kernel, X, row_arrays, *, layout, dtype, n_arrays):
    """``Σ_blocks kernel(block, X_block, *row_array_blocks, scratch)``, in fixed order.

    ``kernel`` returns a block's ``(value, vector)`` (a Python float and a vector,
    :data:`NO_VECTOR` for none), added per group in float64 so that float32 data
    loses nothing over many blocks. ``row_arrays`` are cut like X's rows (None stays
    None); each worker has a :class:`BlockScratch` of ``n_arrays`` arrays. Returns
    ``(value, vector)``, the vector in ``dtype``; ``(0.0, zeros)`` for no rows.
    """
    blocks = row_blocks(X, layout.n_hidden, np.dtype(dtype).itemsize)

    def new_worker():
        # the first block is the largest
        scratch = BlockScratch(blocks[0].stop, layout, dtype, n_arrays)

        def compute(group):
            value, total = 0.0, None
            for block in (blocks[index] for index in group):
                parts = [None if a is None else a[block] for a in row_arrays]
                block_value, vector = kernel(block, rows_of(X, block), *parts, scratch)
                value += block_value
                if total is None:
                    total = vector.astype(np.float64)  # a copy: vector is scratch
                else:
                    total += vector
            return value, total

        return compute

    def combine(total, partial):
        if total is None:
            return partial
        total[1][...] += partial[1]  # in place: the first group's accumulator
        return total[0] + partial[0], total[1]

    total = evaluate_groups(new_worker, len(blocks), combine)
    if total is None:  # no rows: nothing to add
        return 0.0, np.zeros(layout.size, dtype=dtype)
    value, vector = total
    return value, vector.astype(dtype, copy=False)


def for_each_row_block(kernel, X, *, n_hidden, dtype, new_scratch):
    """``kernel(block, X_block, scratch)`` for each block of X's rows, threaded.

    For results of one row each: ``kernel`` writes its block's rows of the result,
    so nothing is added up. ``new_scratch(rows)`` makes a worker's scratch.
    """
    blocks = row_blocks(X, n_hidden, np.dtype(dtype).itemsize)

    def new_worker():
        scratch = new_scratch(blocks[0].stop)  # the first block is the largest

        def compute(group):
            for block in (blocks[index] for index in group):
                kernel(block, rows_of(X, block), scratch)

        return compute

    evaluate_groups(new_worker, len(blocks), lambda total, partial: None)


def map_rows(
    rows_function,
    X,
    xp,
    device,
    *,
    row_shape,
    dtype,
    n_hidden,
    widest,
    new_scratch,
    numbers_per_row=None,
    csc_to_csr=False,
):
    """``rows_function(X_rows, scratch, out)`` over X's rows: one result per row.

    The result has shape ``(n_samples, *row_shape)``; nothing is added up, so a
    row's bits do not depend on the blocks. On an array-API device (``xp`` not
    NumPy) the calls get :func:`device_row_blocks` for ``numbers_per_row`` numbers
    of X's dtype per row (default ``n_hidden``), ``scratch`` and ``out`` None, and
    return their rows, concatenated. In this process each call gets a
    ``new_scratch(rows)`` (cut to its rows) and writes ``out``, its rows of the
    ``dtype`` result. One block runs on the caller's thread (workers would cost a
    prediction more than its arithmetic), BLAS single-threaded unless its products
    (``rows · n_hidden · widest``) are within :data:`TINY_PRODUCT`; more blocks run
    on workers (:func:`for_each_row_block`). A CSC matrix is one block or, with
    ``csc_to_csr``, converted to CSR once (a copy of its nonzeros).
    """
    if xp is not np:
        itemsize = 4 if X.dtype == xp.float32 else 8
        row_bytes = (
            n_hidden if numbers_per_row is None else numbers_per_row
        ) * itemsize
        blocks = device_row_blocks(X.shape[0], row_bytes, device)
        return xp.concat([rows_function(X[b, :], None, None) for b in blocks])
    if csc_to_csr and sparse.issparse(X):
        X = X.tocsr()  # a CSR matrix is its own tocsr()
    result = np.empty((X.shape[0], *row_shape), dtype=dtype)
    if X.shape[0] * n_hidden * np.dtype(dtype).itemsize <= BLOCK_BYTES:
        scratch = new_scratch(X.shape[0])
        if X.shape[0] * n_hidden * widest <= TINY_PRODUCT:
            rows_function(X, scratch, result)
            return result
        with blas_single_threaded():
            rows_function(X, scratch, result)
        return result

    def block_rows(block, X_block, scratch):
        rows_function(X_block, scratch, result[block])

    for_each_row_block(
        block_rows, X, n_hidden=n_hidden, dtype=dtype, new_scratch=new_scratch
    )
    return result


# -- blocks of rows on an array-API device -------------------------------------------
# Bytes of a block's (rows, n_hidden) array on a CPU device with several intra-op
# threads (torch): its blocks run on workers (device_workers) or, beside another fit,
# as parallel regions that cost more to start than NumPy's loops; larger, they would
# stream through main memory. On one thread: BLOCK_BYTES. An accelerator's blocks fill
# it, bounded so that an evaluation's few scratch arrays fit next to X.
CPU_BLOCK_BYTES = 1 << 20
ACCELERATOR_BLOCK_BYTES = 1 << 28


def is_cpu(device):
    """Whether ``device`` is a CPU: torch's ``cpu`` or array-api-strict's (host
    memory); CuPy's and torch's ``cuda``/``mps``/``xpu`` are accelerators."""
    kind = getattr(device, "type", None)  # torch.device
    if kind is not None:
        return kind == "cpu"
    return not hasattr(device, "id")  # CuPy's devices have an id


def operation_threads(device):
    """Threads of one element-wise operation on a CPU ``device``: torch's intra-op
    threads, or 1 for array-api-strict (NumPy's single-threaded loops)."""
    if getattr(device, "type", None) == "cpu":  # only torch's devices have a type
        import torch  # imported already: the device is torch's

        return torch.get_num_threads()
    return 1


def device_block_bytes(device):
    """The bytes of one ``(rows, n_hidden)`` array of a block on ``device``."""
    if not is_cpu(device):
        return ACCELERATOR_BLOCK_BYTES
    return BLOCK_BYTES if operation_threads(device) == 1 else CPU_BLOCK_BYTES


def device_row_blocks(n_samples, row_bytes, device):
    """Slices cutting n_samples rows into blocks of at most the device's budget."""
    rows = max(1, device_block_bytes(device) // row_bytes)
    return [
        slice(start, min(start + rows, n_samples))
        for start in range(0, n_samples, rows)
    ] or [slice(0, 0)]


class DeviceSum:
    """A device accumulator of ``size``-vectors, in float64 or compensated float32.

    Without ``float64`` on the device, the sums stay in ``dtype`` (the computation's),
    Kahan's compensated summation keeps their error near one float32 rounding, and
    :meth:`to_host` sends the sum and its compensation (through ``to_host``, the
    backend's transfer to host NumPy), which the host combines in float64.
    """

    def __init__(self, xp, device, size, dtype, float64, to_host):
        self.xp, self._to_host = xp, to_host
        self.float64 = float64
        self.dtype = xp.float64 if float64 else dtype
        self.total = xp.zeros(size, dtype=self.dtype, device=device)
        self.compensation = xp.zeros_like(self.total)  # read without float64 only

    def add(self, value):
        xp = self.xp
        value = xp.astype(value, self.dtype, copy=False)  # only read below
        if self.float64:
            self.total = self.total + value
            return
        corrected = value - self.compensation
        total = self.total + corrected
        self.compensation = (total - self.total) - corrected
        self.total = total

    def to_host(self):
        """The sum as a host float64 vector: one transfer."""
        if self.float64:
            return self._to_host(self.total)
        both = self._to_host(self.xp.concat([self.total, self.compensation]))
        both = np.asarray(both, dtype=np.float64)
        size = self.total.shape[0]
        return both[:size] - both[size:]

    def add_sum(self, other):
        """Add another accumulator's sum (a worker's group), its compensation too.

        Two totals of one magnitude, where :meth:`add` would round the compensation
        away: their sum is taken with its exact rounding error ``e`` (Knuth's
        two-sum); each sum being its total minus its compensation, the new
        compensation is ``c1 + c2 − e``, a sum of small numbers.
        """
        if self.float64:
            self.total = self.total + other.total
            return
        total = self.total + other.total
        other_part = total - self.total
        error = (self.total - (total - other_part)) + (other.total - other_part)
        self.compensation = (self.compensation + other.compensation) - error
        self.total = total


def sum_device_blocks(block_value, blocks, new_sum, device):
    """``Σ_blocks block_value(block, dtype)``, as a host float64 vector.

    ``block_value`` returns a block's device vector, added in ``dtype``, that of the
    :class:`DeviceSum` that ``new_sum()`` makes: in block order on one thread, or
    with :func:`device_workers` by groups (:func:`block_groups`) as in this process.
    """
    with device_workers(device, len(blocks)) as n_workers:
        if n_workers < 2:
            total = new_sum()
            for block in blocks:
                total.add(block_value(block, total.dtype))
            return total.to_host()

        def new_worker():
            # One thread for its operations and MKL products (a new thread's first
            # product, before any torch operation, would take MKL's default: all cores).
            _set_torch_threads(1)

            def compute(group):
                partial = new_sum()
                for index in group:
                    partial.add(block_value(blocks[index], partial.dtype))
                return partial

            return compute

        def combine(total, partial):
            if total is None:
                return partial
            total.add_sum(partial)
            return total

        groups = block_groups(len(blocks))
        total = _evaluate_groups_threaded(new_worker, groups, combine, n_workers)
        return total.to_host()


# On several threads, each torch CPU operation is a parallel region that waits for
# its slowest thread, one the system may have descheduled on busy cores: so its
# blocks run whole on worker threads, as NumPy's do (benchmarks/bench_fit.py).
@contextmanager
def device_workers(device, n_blocks):
    """Yields how many worker threads compute a device's blocks (1: none).

    Several only on torch's CPU device with several intra-op threads, for an
    evaluation alone and allowed several BLAS threads (as in :func:`evaluate_groups`):
    as many as torch's threads, BLAS's and the groups allow. The workers set torch's
    process-wide count to one; a ``finally`` restores it, after a failure too.
    """
    n_threads = operation_threads(device) if is_cpu(device) else 1
    if n_blocks < 2 or n_threads < 2:
        yield 1
        return
    with blas_single_threaded() as allowed:
        n_workers = min(allowed, n_threads, len(block_groups(n_blocks)))
        if n_workers < 2:
            yield 1
            return
        try:
            yield n_workers
        finally:  # each worker set torch's process-wide count to one
            _set_torch_threads(n_threads)


def _set_torch_threads(n_threads):
    """torch's intra-op threads (and MKL's) for the calling thread and the threads
    it starts after."""
    import torch  # imported already: only torch's devices have several threads

    torch.set_num_threads(n_threads)
