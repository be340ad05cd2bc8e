"""The mathematics of the two-layer sigmoid network, over one flat parameter vector.

This module is the first of the package's three layers (mathematics / solver glue /
estimator). It holds no estimator state and imports nothing from scikit-learn's
estimator machinery: every function here is a direct transcription of an equation of
the project's source document, cited by number.

Notation (the document's)
-------------------------
``h0 = x``, ``h1 = σ(a1)`` with ``a1 = b1 + W1 x``, and the output logits
``a2 = b2 + W2 h1``. For a sigmoid output ``h2 = σ(a2)``; for a softmax output
``h2 = softmax(a2)``. Shapes: ``W1`` is ``(n_hidden, n_features)``, ``b1`` is
``(n_hidden,)``, ``W2`` is ``(n_outputs, n_hidden)`` and ``b2`` is ``(n_outputs,)``.
Samples are rows, so the document's column-vector formulas are applied to all rows of
``X`` at once: ``A1 = X W1ᵀ + b1`` and so on.

Flat parameter layout
---------------------
``theta = [W1.ravel(), b1, W2.ravel(), b2]`` with both matrices in C (row-major) order,
so ``theta`` has ``n_hidden * (n_features + 1) + n_outputs * (n_hidden + 1)`` entries.
:class:`ParameterLayout` packs and unpacks it without copying.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import sparse
from scipy.special import expit

__all__ = ["ParameterLayout", "TwoLayerLoss", "log_sigmoid", "sigmoid"]


def sigmoid(z, out=None):
    """Logistic function σ(z) = 1 / (1 + exp(-z)), to full relative precision.

    Used for output probabilities, where small values matter relatively
    (``predict_log_proba`` must agree with ``log(predict_proba)``). scipy's ``expit``
    neither overflows nor warns for large ``|z|``.

    Parameters
    ----------
    z : ndarray
        Pre-activations.
    out : ndarray, optional
        Where to write the result; may be ``z`` itself for an in-place update.

    Returns
    -------
    ndarray
        σ(z), same shape and floating dtype as ``z``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_twolayer.network import sigmoid
    >>> sigmoid(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """
    return expit(z, out=out) if out is not None else expit(z)


def hidden_sigmoid_(z):
    """σ(z) in place, as ``0.5 + 0.5 · tanh(z / 2)``: the hidden layer's activation.

    The same function as :func:`sigmoid`, evaluated through numpy's vectorised
    ``tanh``, which is several times faster than ``expit`` on large arrays and
    saturates instead of overflowing. Its error is absolute (about 1e-16), not
    relative, which is all the hidden layer needs: h1 only enters sums and products
    with weights, never a logarithm.
    """
    z *= 0.5
    np.tanh(z, out=z)
    z *= 0.5
    z += 0.5
    return z


def log_sigmoid(z):
    """log σ(z) = -log(1 + exp(-z)), computed from the logit with log-sum-exp.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_twolayer.network import log_sigmoid
    >>> log_sigmoid(np.array([-1e4, 0.0]))
    array([-1.00000000e+04, -6.93147181e-01])
    """
    z = np.asarray(z)
    return -np.logaddexp(np.zeros((), dtype=z.dtype), -z)


def _log_softmax(a2):
    """Row-wise log-softmax of the logits, shifted by the row maximum (log-sum-exp)."""
    shifted = a2 - a2.max(axis=1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted


@dataclass(frozen=True)
class ParameterLayout:
    """Where ``W1``, ``b1``, ``W2`` and ``b2`` live inside the flat vector ``theta``.

    Parameters
    ----------
    n_features : int
        Width of the input ``x = h0``.
    n_hidden : int
        Number of hidden sigmoid units (rows of ``W1``).
    n_outputs : int
        Number of output units (rows of ``W2``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_twolayer.network import ParameterLayout
    >>> layout = ParameterLayout(n_features=3, n_hidden=2, n_outputs=1)
    >>> layout.size
    11
    >>> W1, b1, W2, b2 = layout.unpack(np.arange(11.0))
    >>> W1.shape, b1.shape, W2.shape, b2.shape
    ((2, 3), (2,), (1, 2), (1,))
    >>> np.array_equal(layout.pack(W1, b1, W2, b2), np.arange(11.0))
    True
    """

    n_features: int
    n_hidden: int
    n_outputs: int

    @property
    def _ends(self):
        h, d, k = self.n_hidden, self.n_features, self.n_outputs
        end_W1 = h * d
        end_b1 = end_W1 + h
        end_W2 = end_b1 + k * h
        return end_W1, end_b1, end_W2, end_W2 + k

    @property
    def size(self):
        """Length of the flat parameter vector."""
        return self._ends[-1]

    def unpack(self, theta):
        """Views ``(W1, b1, W2, b2)`` into ``theta`` (no copy)."""
        end_W1, end_b1, end_W2, end_b2 = self._ends
        if theta.shape != (end_b2,):
            raise ValueError(
                f"theta must have shape ({end_b2},) for {self}, got {theta.shape}."
            )
        W1 = theta[:end_W1].reshape(self.n_hidden, self.n_features)
        W2 = theta[end_b1:end_W2].reshape(self.n_outputs, self.n_hidden)
        return W1, theta[end_W1:end_b1], W2, theta[end_W2:end_b2]

    def pack(self, W1, b1, W2, b2, dtype=None):
        """Concatenate the four arrays into a new flat vector."""
        parts = [np.ravel(W1), np.ravel(b1), np.ravel(W2), np.ravel(b2)]
        theta = np.concatenate(parts, dtype=dtype)
        if theta.shape != (self.size,):
            raise ValueError(f"Shapes of W1, b1, W2, b2 do not match {self}.")
        return theta


# -- blocks of rows and the threads that share them ------------------------------
# The evaluation runs over blocks of rows so that the (rows, n_hidden) scratch arrays
# stay in the CPU cache across the element-wise passes (sigmoid, derivative,
# products): streamed through main memory instead, those passes cost as much as the
# two matrix products. Blocks also bound the memory of an evaluation by a few blocks
# instead of several (n_samples, n_hidden) arrays.
_BLOCK_BYTES = 1 << 19  # size of one (rows, n_hidden) scratch array


def _row_blocks(X, n_hidden, itemsize):
    """Slices that cut the rows of X into cache-sized blocks.

    Dense and CSR matrices are cut; other sparse formats (CSC) cannot give a block of
    rows without copying, so they are one block.
    """
    n_samples = X.shape[0]
    if sparse.issparse(X) and X.format != "csr":
        return [slice(0, n_samples)]
    rows = max(1, _BLOCK_BYTES // (n_hidden * itemsize))
    return [
        slice(start, min(start + rows, n_samples))
        for start in range(0, n_samples, rows)
    ]


def _rows(X, block):
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


@cache
def _blas_controller():
    """threadpoolctl's view of the BLAS libraries loaded (numpy's and SciPy's)."""
    from threadpoolctl import ThreadpoolController  # a scikit-learn dependency

    return ThreadpoolController().select(user_api="blas")


class _SingleThreadedBlas:
    """Every BLAS library on one thread while any evaluation or solve runs.

    Why one thread: OpenBLAS does not give the same bits on one and on several
    threads (a multi-threaded ``ddot`` splits its sum; ``Gᵀ X`` is cut differently),
    so an evaluation whose BLAS calls used the threads BLAS happens to have could
    not be reproducible. The evaluation's parallelism comes from its own worker
    threads instead (:func:`_evaluate_groups`), each calling BLAS single-threaded;
    and an idle multi-threaded OpenBLAS (SciPy's, used by the solver) would spin
    against them.

    Why reference counted: threadpoolctl's limits are process-wide, so a
    save-and-restore per fit is not safe across threads (a second fit saves the
    first one's limit of 1 and restores it last, leaving BLAS on one thread for
    good). Here the first user, in whatever thread, saves every library's thread
    count and sets it to 1; later users only count; the last one to leave restores
    what the first saved. Entering and leaving are under one lock, and leaving runs
    in ``finally`` blocks, so interrupted fits restore too.

    Who else is inside: users are counted per thread, so an evaluation knows
    whether a fit or an evaluation of another thread is running. Only a caller
    alone may start worker threads; with several callers each runs on its own
    thread, so there are never more busy threads than BLAS was allowed (concurrent
    fits from a threaded grid search already use the cores).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._depth = {}  # thread id -> how many times it entered
        self._saved = []  # (library controller, its thread count before)

    @contextmanager
    def __call__(self):
        """Enter; yields how many threads this caller may use for an evaluation.

        That is the thread count BLAS was allowed before the first caller
        entered, when this caller is the only thread inside, else 1.
        """
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

    threadpoolctl (3.6 and later) lets only one Python thread, the first to set an
    OpenBLAS limit while alive, change OpenBLAS's process-wide thread count, and
    ignores the others silently: after a fit or a ``threadpool_limits`` in the
    main thread, a fit in another thread could not make BLAS single-threaded, and
    two threads then ran OpenBLAS's shared thread pool against each other (fits
    50 times slower). :class:`_SingleThreadedBlas` is the one place that changes
    the count, under its lock, so it calls the library's own setter.
    """
    setter = getattr(lib, "_real_set_num_threads", None) or lib.set_num_threads
    setter(num_threads)


_blas_single_threaded = _SingleThreadedBlas()

# -- deterministic reduction over groups of blocks --------------------------------
# The blocks of rows are cut into at most _N_GROUPS contiguous groups. Each group is
# summed block after block into its own float64 accumulator, and the groups' sums
# are added in group order: the order of every addition is fixed by the data's shape
# alone, so the bits of the result do not depend on how many threads computed the
# groups, or which thread computed which group.
_N_GROUPS = 16

# Products of at most this many multiply-adds run on one thread in any BLAS (the
# one-block prediction skips the BLAS settings for them; see TwoLayerLoss.logits).
_TINY_PRODUCT = 1 << 13


def _block_groups(n_blocks):
    """Contiguous groups of block indices; their number and sizes depend only on
    ``n_blocks`` (sizes differ by at most one block)."""
    n_groups = min(_N_GROUPS, n_blocks)
    if n_groups == 0:
        return []
    bounds = [group * n_blocks // n_groups for group in range(n_groups + 1)]
    return [range(bounds[g], bounds[g + 1]) for g in range(n_groups)]


def _evaluate_groups(new_worker, n_blocks, combine):
    """Sum ``compute(group)`` over the groups of blocks, in group order.

    ``new_worker()`` returns a ``compute(group)`` function with its own scratch
    arrays; ``combine(total, partial)`` adds a group's partial sum to the total
    (``total`` is None for the first group) and returns the new total.

    The groups run on as many worker threads as BLAS was allowed before the
    evaluation (so ``threadpool_limits`` and ``OMP_NUM_THREADS`` are honoured), each
    taking the next group in turn and calling BLAS single-threaded: numpy's
    element-wise passes then run on all cores too. Only an evaluation alone in the
    process runs threaded: while another thread fits or evaluates (concurrent
    fits, a threaded grid search, Dask blocks on threads) each runs its groups in
    sequence in its own thread (see :class:`_SingleThreadedBlas`). Either way the
    total is combined in group order, as each next group is ready, so at most
    about one partial sum per worker waits to be added.
    """
    groups = _block_groups(n_blocks)
    if not groups:  # no rows
        return None
    with _blas_single_threaded() as n_threads:
        n_workers = min(n_threads, len(groups))
        if n_workers < 2:
            compute = new_worker()
            total = None
            for group in groups:
                total = combine(total, compute(group))
            return total
        return _evaluate_groups_threaded(new_worker, groups, combine, n_workers)


def _evaluate_groups_threaded(new_worker, groups, combine, n_workers):
    lock = threading.Lock()
    state = {"next": 0, "added": 0, "total": None, "stop": False}
    partials, ready = [None] * len(groups), [False] * len(groups)

    def run():
        compute = new_worker()
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

    with ThreadPoolExecutor(n_workers) as pool:
        futures = [pool.submit(run) for _ in range(n_workers)]
        try:
            for future in futures:
                future.result()  # a worker's exception is raised here
        except BaseException:
            # Interrupted or failed: the other workers stop after their group
            # instead of computing the rest before the pool shuts down.
            with lock:
                state["stop"] = True
            raise
    return state["total"]


def _preactivation_into(A1, W1, b1, X):
    """a1 = b1 + W1 x for every row of X, written into the scratch array A1."""
    if sparse.issparse(X):
        A1[...] = X @ W1.T  # sparse @ ndarray is an ndarray
    else:
        np.matmul(X, W1.T, out=A1)
    A1 += b1
    return A1


def _hidden_into(H1, W1, b1, X):
    """h1 = σ(b1 + W1 x) for every row of X, written into the scratch array H1."""
    return hidden_sigmoid_(_preactivation_into(H1, W1, b1, X))


class TwoLayerLoss:
    """Loss and exact gradient of the document's two-layer sigmoid network.

    A pure object in the manner of scikit-learn's ``LinearModelLoss``: it knows the
    network and the output, holds no data and no fitted state, and evaluates the
    objective over a flat parameter vector laid out as in :class:`ParameterLayout`.

    The objective, identical to ``MLPClassifier``'s L-BFGS objective, is::

        J(theta) = [Σ_i s_i · loss_i + ½ · l2_reg_strength · (‖W1‖² + ‖W2‖²)] / Σ_i s_i

    where ``s_i`` are the sample weights and ``loss_i`` is the binary cross-entropy
    summed over the sigmoid outputs (eq. 1.1), or the categorical cross-entropy of a
    softmax output. Biases are not penalised.

    Parameters
    ----------
    layout : ParameterLayout
        Sizes of the network.
    output : {"sigmoid", "softmax"}
        ``"sigmoid"``: one independent sigmoid unit per output column (binary or
        multilabel targets; exactly the document's network). ``"softmax"``: one
        softmax over the outputs (multiclass targets).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(5, 3)), rng.integers(0, 2, size=(5, 1)).astype(float)
    >>> loss = TwoLayerLoss(ParameterLayout(3, 4, 1), output="sigmoid")
    >>> theta = rng.normal(size=loss.layout.size)
    >>> value, grad = loss.loss_gradient(theta, X, Y, l2_reg_strength=1e-4)
    >>> grad.shape == theta.shape
    True
    """

    def __init__(self, layout, output="sigmoid"):
        if output not in ("sigmoid", "softmax"):
            raise ValueError(f"output must be 'sigmoid' or 'softmax', got {output!r}.")
        self.layout = layout
        self.output = output

    def __repr__(self):
        return f"TwoLayerLoss({self.layout}, output={self.output!r})"

    # -- forward pass ------------------------------------------------------------
    def hidden(self, theta, X):
        """h1 = σ(b1 + W1 x) for every row of X (the document's ``h1``, eq. 1.1).

        Returns an ``(n_samples, n_hidden)`` array in the dtype of ``theta``. Run as
        :meth:`logits` runs: one block of rows computed directly, more blocks on
        the evaluation's workers, BLAS single-threaded either way (except for
        products too small for any BLAS to split), so a row's ``h1`` has the same
        bits whatever the threads.
        """
        W1, b1, _, _ = self.layout.unpack(theta)
        n_hidden = self.layout.n_hidden
        H1 = np.empty((X.shape[0], n_hidden), dtype=theta.dtype)
        if X.shape[0] * n_hidden * theta.dtype.itemsize <= _BLOCK_BYTES:
            tiny = X.shape[0] * n_hidden * self.layout.n_features <= _TINY_PRODUCT
            with nullcontext() if tiny else _blas_single_threaded():
                return _hidden_into(H1, W1, b1, X)
        blocks = _row_blocks(X, n_hidden, theta.dtype.itemsize)

        def new_worker():
            def compute(group):
                for block in (blocks[index] for index in group):
                    _hidden_into(H1[block], W1, b1, _rows(X, block))

            return compute

        # Each row's h1 comes from its own block alone: nothing to combine.
        _evaluate_groups(new_worker, len(blocks), lambda total, partial: None)
        return H1

    def logits(self, theta, X):
        """Output logits a2 = b2 + W2 h1, shape ``(n_samples, n_outputs)``.

        Computed block of rows by block of rows, so h1 is never held for all rows.
        """
        W1, b1, W2, b2 = self.layout.unpack(theta)
        n_hidden = self.layout.n_hidden
        if X.shape[0] * n_hidden * theta.dtype.itemsize <= _BLOCK_BYTES:
            # One block (a few rows: a prediction's latency): the block's own
            # computation, without the workers and scratch arrays that would cost
            # more than the arithmetic. BLAS single-threaded, as in every
            # evaluation, for the same bits whatever the threads; except for
            # products too small for any BLAS to split across threads (OpenBLAS
            # keeps a GEMM below 2^18 multiply-adds, a GEMV below 9,216 entries, on
            # one thread), where setting the thread counts would cost more.
            widest = max(self.layout.n_features, self.layout.n_outputs)
            tiny = X.shape[0] * n_hidden * widest <= _TINY_PRODUCT
            with nullcontext() if tiny else _blas_single_threaded():
                H1 = np.empty((X.shape[0], n_hidden), dtype=theta.dtype)
                A2 = _hidden_into(H1, W1, b1, X) @ W2.T
            A2 += b2
            return A2
        blocks = _row_blocks(X, n_hidden, theta.dtype.itemsize)
        A2 = np.empty((X.shape[0], self.layout.n_outputs), dtype=theta.dtype)

        def new_worker():
            rows = blocks[0].stop - blocks[0].start  # the first block is the largest
            H1 = np.empty((rows, self.layout.n_hidden), dtype=theta.dtype)

            def compute(group):
                for block in (blocks[index] for index in group):
                    H1_block = _hidden_into(
                        H1[: block.stop - block.start], W1, b1, _rows(X, block)
                    )
                    np.matmul(H1_block, W2.T, out=A2[block])
                    A2[block] += b2

            return compute

        # Each row's logits come from its own block alone: nothing to combine.
        _evaluate_groups(new_worker, len(blocks), lambda total, partial: None)
        return A2

    # -- sensitivity to the input (section 2.2.2 through the network) -------------
    def input_gradient(self, theta, X, output="logit"):
        """Exact derivative of each output with respect to each input feature.

        Section 2.2.2 differentiates one sigmoid unit ``f = σ(wᵀx)`` with respect to
        its input: ``df/dx = σ'(wᵀx) w`` with ``σ' = σ(1 − σ)``. Carried through
        the network by the chain rule, for one sample ``x``:

        - hidden layer, 2.2.2 applied to each unit j with ``w = W1[j]`` (its bias
          is a constant): ``∂h1_j/∂x = h1_j (1 − h1_j) W1[j]``, i.e.
          ``∂h1/∂x = diag(h1 ⊙ (1 − h1)) W1``, of shape ``(n_hidden, n_features)``;
        - logits ``a2 = b2 + W2 h1`` (linear, as in eq. 1.5):
          ``∂a2/∂x = W2 diag(h1 ⊙ (1 − h1)) W1``, of shape
          ``(n_outputs, n_features)``; row k is ``(h1(1 − h1) ⊙ W2[k]) W1``;
        - sigmoid outputs ``h2 = σ(a2)`` (the σ' of eq. 1.2, per output):
          ``∂h2_k/∂x = h2_k (1 − h2_k) ∂a2_k/∂x``;
        - a softmax output, whose Jacobian is ``diag(h2) − h2 h2ᵀ``:
          ``∂h2_k/∂x = h2_k (∂a2_k/∂x − Σ_l h2_l ∂a2_l/∂x)``.

        ``h1(1 − h1)`` and ``h2_k(1 − h2_k)`` are evaluated as ``σ(a) σ(−a)`` from
        the pre-activation, as :func:`~sklearn_twolayer.sigmoid_unit_gradient`
        does, so they keep their relative precision where a unit saturates. The
        rows of X are taken block by block (as :meth:`logits` does): the scratch
        memory is two ``(block rows, n_hidden)`` arrays, never an array of
        ``n_samples · n_hidden · n_features`` numbers; the result itself is
        ``(n_samples, n_outputs, n_features)``. A CSC matrix is converted to CSR
        once, to be cut into blocks of rows.

        Parameters
        ----------
        theta : ndarray of shape (layout.size,)
            Flat parameters; its dtype is the dtype of the computation.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        output : {"logit", "proba"}, default="logit"
            ``"logit"``: ``∂a2/∂x``. ``"proba"``: ``∂h2/∂x``, through the sigmoid
            outputs or the softmax.

        Returns
        -------
        ndarray of shape (n_samples, n_outputs, n_features), dtype of ``theta``
            Entry ``[i, k, j]`` is the derivative of output k of sample i with
            respect to its feature j.

        Examples
        --------
        Section 2.2.2's worked example through a network with one hidden unit
        ``W1 = wᵀ``, no biases and ``W2 = [[1]]``, whose logit is ``a2 = h1 = f``:

        >>> import numpy as np
        >>> from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss
        >>> loss = TwoLayerLoss(ParameterLayout(n_features=3, n_hidden=1, n_outputs=1))
        >>> theta = loss.layout.pack([[2.0, -3.0, -3.0]], [0.0], [[1.0]], [0.0])
        >>> loss.input_gradient(theta, np.array([[-1.0, -2.0, 1.0]])).round(4)
        array([[[ 0.3932, -0.5898, -0.5898]]])
        """
        if output not in ("logit", "proba"):
            raise ValueError(f"output must be 'logit' or 'proba', got {output!r}.")
        W1, b1, W2, b2 = self.layout.unpack(theta)
        n_hidden, n_outputs = self.layout.n_hidden, self.layout.n_outputs
        if sparse.issparse(X) and X.format != "csr":
            # CSC cannot give a block of rows without a copy per block; one CSR copy
            # (the size of X's nonzeros) keeps the scratch to blocks of rows.
            X = X.tocsr()
        gradient = np.empty(
            (X.shape[0], n_outputs, self.layout.n_features), theta.dtype
        )
        blocks = _row_blocks(X, n_hidden, theta.dtype.itemsize)

        def new_worker():
            rows = blocks[0].stop - blocks[0].start  # the first block is the largest
            H1 = np.empty((rows, n_hidden), dtype=theta.dtype)
            scaled = np.empty_like(H1)

            def compute(group):
                for block in (blocks[index] for index in group):
                    one_block(block, H1, scaled)

            return compute

        def one_block(block, H1, scaled):
            n_rows = block.stop - block.start
            A1 = _preactivation_into(H1[:n_rows], W1, b1, _rows(X, block))
            h1 = sigmoid(A1, out=scaled[:n_rows])  # h1 = σ(a1)
            if output == "proba":
                A2 = h1 @ W2.T  # a2 = b2 + W2 h1
                A2 += b2
            # h1(1 − h1) = σ(a1) σ(−a1), as 2.2.2's factor: to full relative
            # precision where a unit saturates (1 − h1 would cancel), in place.
            slope = sigmoid(np.negative(A1, out=A1), out=A1)
            slope *= h1
            G = gradient[block]
            for k in range(n_outputs):
                # ∂a2_k/∂x = (h1(1 − h1) ⊙ W2[k]) W1, one row per sample.
                np.multiply(slope, W2[k], out=scaled[:n_rows])
                np.matmul(scaled[:n_rows], W1, out=G[:, k, :])
            if output == "proba":
                self._through_output(A2, G)

        # Each row's derivatives come from its own block alone: nothing to combine.
        _evaluate_groups(new_worker, len(blocks), lambda total, partial: None)
        return gradient

    def _through_output(self, A2, G):
        """∂a2/∂x (``G``, rows × outputs × features) into ∂h2/∂x, in place."""
        if self.output == "sigmoid":
            # ∂h2_k/∂x = σ'(a2_k) ∂a2_k/∂x with σ'(a) = σ(a) σ(−a) (eq. 1.2's σ').
            slope = sigmoid(A2)
            slope *= sigmoid(-A2)
            G *= slope[:, :, None]
            return
        # Softmax: ∂h2_k/∂x = h2_k (∂a2_k/∂x − Σ_l h2_l ∂a2_l/∂x), as a batched
        # product (rows × 1 × outputs) @ (rows × outputs × features).
        H2 = self.output_proba(A2)
        G -= np.matmul(H2[:, None, :], G)
        G *= H2[:, :, None]

    def output_proba(self, A2):
        """h2 from the logits: σ(a2) per column, or the row-wise softmax."""
        if self.output == "sigmoid":
            return sigmoid(A2)
        return np.exp(_log_softmax(A2))

    def log_output_proba(self, A2):
        """log h2 from the logits (log-sigmoid or log-softmax), never as log(h2)."""
        if self.output == "sigmoid":
            return log_sigmoid(A2)
        return _log_softmax(A2)

    def _per_sample_loss(self, A2, Y):
        """Cross-entropy of each row, from the logits.

        Sigmoid (eq. 1.1 summed over outputs): ``-y log σ(a) - (1 - y) log(1 - σ(a))``
        equals ``log(1 + exp(a)) - y a``, i.e. ``logaddexp(0, a) - y a``.
        Softmax: ``logsumexp(a) - Σ_k y_k a_k``.
        """
        if self.output == "sigmoid":
            per_entry = np.logaddexp(np.zeros((), dtype=A2.dtype), A2)
            per_entry -= Y * A2
            return per_entry.sum(axis=1)
        return -(Y * _log_softmax(A2)).sum(axis=1)

    # -- objective ---------------------------------------------------------------
    def _weights_and_sum(self, X, sample_weight):
        if sample_weight is None:
            return None, float(X.shape[0])
        return sample_weight, float(np.sum(sample_weight, dtype=np.float64))

    def _penalty(self, theta, l2_reg_strength):
        W1, _, W2, _ = self.layout.unpack(theta)
        with _blas_single_threaded():  # a multi-threaded dot splits its sum
            squared_norm = np.dot(W1.ravel(), W1.ravel())
            squared_norm += np.dot(W2.ravel(), W2.ravel())
        return 0.5 * l2_reg_strength * float(squared_norm)

    def data_loss(self, theta, X, Y, sample_weight=None):
        """Σ_i s_i · loss_i (eq. 1.1 per row), summed in float64, as a Python float.

        The rows' part of the objective, unnormalised and without the L2 term:
        sums over blocks of rows add up (early stopping's held-out loss is this
        divided by Σ s_i).
        """
        per_sample = self._per_sample_loss(self.logits(theta, X), Y)
        if sample_weight is not None:
            per_sample *= sample_weight
        # Summed in float64, as data_loss_gradient does: a float32 sum of many rows
        # would lose the small losses next to the large ones.
        return float(per_sample.sum(dtype=np.float64))

    def loss(self, theta, X, Y, sample_weight=None, l2_reg_strength=0.0):
        """The objective J(theta) (see the class docstring), as a Python float.

        Parameters
        ----------
        theta : ndarray of shape (layout.size,)
            Flat parameters; its dtype is the dtype of the computation.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_outputs)
            0/1 target matrix (one-hot rows for softmax).
        sample_weight : ndarray of shape (n_samples,), optional
        l2_reg_strength : float, default=0
        """
        _, sw_sum = self._weights_and_sum(X, sample_weight)
        data_loss = self.data_loss(theta, X, Y, sample_weight)
        return (data_loss + self._penalty(theta, l2_reg_strength)) / sw_sum

    def loss_gradient(self, theta, X, Y, sample_weight=None, l2_reg_strength=0.0):
        """The objective J(theta) and its exact gradient with respect to ``theta``.

        Combines :meth:`data_loss_gradient` (the weighted sums over the rows of X)
        with the L2 term, ``½ · l2_reg_strength · ‖W‖²`` whose gradient is
        ``l2_reg_strength · W``, and divides both by Σ s_i. A caller that splits the
        rows into blocks (Dask) sums :meth:`data_loss_gradient` over the blocks and
        does this combination once.

        Returns
        -------
        loss : float
        gradient : ndarray of shape (layout.size,), same dtype as ``theta``
        """
        _, sw_sum = self._weights_and_sum(X, sample_weight)
        data_loss, gradient = self.data_loss_gradient(theta, X, Y, sample_weight)
        return self.add_penalty_and_normalize(
            theta, data_loss, gradient, sw_sum, l2_reg_strength
        )

    def add_penalty_and_normalize(
        self, theta, data_loss, data_gradient, sw_sum, l2_reg_strength
    ):
        """(Σ s_i loss_i + ½ α ‖W‖²) / Σ s_i and its gradient, from the data sums.

        ``data_gradient`` is updated in place and returned.
        """
        W1, _, W2, _ = self.layout.unpack(theta)
        grad_W1, _, grad_W2, _ = self.layout.unpack(data_gradient)
        grad_W1 += l2_reg_strength * W1
        grad_W2 += l2_reg_strength * W2
        data_gradient /= sw_sum
        loss = (data_loss + self._penalty(theta, l2_reg_strength)) / sw_sum
        return loss, data_gradient

    def data_loss_gradient(self, theta, X, Y, sample_weight=None):
        """Σ_i s_i · loss_i and its exact gradient: the rows' part of the objective.

        Not normalised and without the L2 term, so that sums over blocks of rows add
        up. Back-propagation through the document's equations, for all rows at once:

        - eq. 1.2 / 1.3: ``∇a2 J = ∇b2 J = h2 − y`` (weighted by ``s_i``). The same
          form holds for softmax with cross-entropy. It is computed as a difference,
          never through the intermediate form of eq. 1.1, which divides by h2(1 − h2).
        - eq. 1.4: ``∇W2 J = (h2 − y) h1ᵀ``
        - eq. 1.5: ``∇h1 J = W2ᵀ (h2 − y)``
        - eq. 1.6: ``∇b1 J = W2ᵀ(h2 − y) ⊙ h1(1 − h1)`` and
          ``∇W1 J = [W2ᵀ(h2 − y) ⊙ h1(1 − h1)] h0ᵀ`` with ``h0 = x``.

        Returns
        -------
        data_loss : float
            Σ_i s_i · loss_i (s_i = 1 when ``sample_weight`` is None).
        gradient : ndarray of shape (layout.size,), same dtype as ``theta``
        """
        W1, b1, W2, b2 = self.layout.unpack(theta)
        n_hidden = self.layout.n_hidden
        blocks = _row_blocks(X, n_hidden, theta.dtype.itemsize)

        def new_worker():
            # Scratch reused by every block this worker computes; each group's sums
            # are kept in float64 so that float32 data loses nothing when many
            # blocks are added up.
            rows = blocks[0].stop - blocks[0].start  # the first block is the largest
            H1 = np.empty((rows, n_hidden), dtype=theta.dtype)
            derivative = np.empty_like(H1)
            ones = np.ones(rows, dtype=theta.dtype)
            block_gradient = np.empty_like(theta)

            def compute(group):
                data_loss, gradient = 0.0, np.zeros(theta.shape)  # float64
                for block in (blocks[index] for index in group):
                    n_rows = block.stop - block.start
                    data_loss += self._block_loss_gradient(
                        (W1, b1, W2, b2),
                        _rows(X, block),
                        Y[block],
                        None if sample_weight is None else sample_weight[block],
                        (H1[:n_rows], derivative[:n_rows], ones[:n_rows]),
                        block_gradient,
                    )
                    gradient += block_gradient
                return data_loss, gradient

            return compute

        def combine(total, partial):
            if total is None:
                return partial
            data_loss, gradient = total
            gradient += partial[1]  # in place: the first group's accumulator
            return data_loss + partial[0], gradient

        total = _evaluate_groups(new_worker, len(blocks), combine)
        if total is None:  # no rows: nothing to add
            return 0.0, np.zeros_like(theta)
        data_loss, gradient = total
        return data_loss, gradient.astype(theta.dtype, copy=False)

    def _block_loss_gradient(self, weights, X, Y, s, scratch, gradient):
        """Σ s_i loss_i over the rows of one block; its gradient into ``gradient``.

        ``scratch`` holds two ``(n_rows, n_hidden)`` arrays, whose contents are
        overwritten, and a vector of ``n_rows`` ones.
        """
        H1, derivative, ones = scratch
        W1, b1, W2, b2 = weights
        grad_W1, grad_b1, grad_W2, grad_b2 = self.layout.unpack(gradient)

        _hidden_into(H1, W1, b1, X)  # h1 = σ(b1 + W1 x)
        A2 = H1 @ W2.T  # a2 = b2 + W2 h1
        A2 += b2
        per_sample = self._per_sample_loss(A2, Y)  # eq. 1.1
        if s is not None:
            per_sample *= s
        data_loss = float(per_sample.sum(dtype=np.float64))

        G2 = self.output_proba(A2)  # eq. 1.2: ∇a2 J = h2 − y
        G2 -= Y
        if s is not None:
            G2 *= s[:, None]
        G2.sum(axis=0, out=grad_b2)  # eq. 1.3
        np.matmul(G2.T, H1, out=grad_W2)  # eq. 1.4

        # eq. 1.5 then 1.6: ∇a1 J = W2ᵀ(h2 − y) ⊙ h1(1 − h1), built in `derivative`.
        np.subtract(1.0, H1, out=derivative)
        derivative *= H1
        if self.layout.n_outputs == 1:
            # W2ᵀ(h2 − y) is an outer product: two broadcast products are several
            # times faster than a matrix product with an inner dimension of 1.
            derivative *= W2
            derivative *= G2
        else:
            derivative *= np.matmul(G2, W2, out=H1)
        G1 = derivative
        np.matmul(ones, G1, out=grad_b1)  # eq. 1.6: Σ_i G1, as a BLAS product
        if sparse.issparse(X):  # eq. 1.6: G1ᵀ h0
            grad_W1[...] = (X.T @ G1).T
        else:
            np.matmul(G1.T, X, out=grad_W1)
        return data_loss

    # -- second order --------------------------------------------------------------
    def gradient_hessian_product(
        self, theta, X, Y, sample_weight=None, l2_reg_strength=0.0
    ):
        """J(theta), its gradient, and a function computing exact products H v.

        ``H`` is the Hessian of the objective J (class docstring) at ``theta``. Each
        product is exact, computed analytically with one forward and one backward
        pass of Pearlmutter's R-operator ``R{·} = d/dr (·)(theta + r v) at r = 0``
        applied to the document's network: no finite differences, and the
        ``(size, size)`` Hessian is never formed. This call does the ordinary forward
        and backward pass (eqs. 1.1–1.6) once and keeps what the products reuse.

        Derivation, per sample, for a direction ``v = (V1, c1, V2, c2)`` laid out
        like ``theta`` (``R{W1} = V1``, ``R{b1} = c1``, ``R{W2} = V2``,
        ``R{b2} = c2``; ``x`` and ``y`` are constants).

        Forward pass, the R-operator applied to ``a1 = b1 + W1 x``,
        ``h1 = σ(a1)``, ``a2 = b2 + W2 h1`` and ``h2``:

        - ``R{a1} = V1 x + c1``
        - ``R{h1} = h1(1 − h1) ⊙ R{a1}`` (σ' = σ(1 − σ), eq. 1.2)
        - ``R{a2} = V2 h1 + W2 R{h1} + c2``
        - ``R{h2} = h2(1 − h2) ⊙ R{a2}`` for sigmoid outputs, and
          ``R{h2} = h2 ⊙ (R{a2} − h2ᵀ R{a2})`` for softmax (its Jacobian is
          ``diag(h2) − h2 h2ᵀ``).

        Backward pass, the R-operator applied to eqs. 1.2–1.6 with
        ``g2 = ∇a2 J = h2 − y`` and ``g1 = ∇a1 J = W2ᵀ g2 ⊙ h1(1 − h1)``:

        - eqs. 1.2 / 1.3: ``R{g2} = R{h2}`` and ``R{∇b2 J} = R{g2}``
        - eq. 1.4: ``R{∇W2 J} = R{g2} h1ᵀ + g2 R{h1}ᵀ``
        - eq. 1.5: ``R{∇h1 J} = V2ᵀ g2 + W2ᵀ R{g2}``
        - eq. 1.6: ``R{g1} = R{∇h1 J} ⊙ h1(1 − h1) + W2ᵀ g2 ⊙ (1 − 2 h1) ⊙ R{h1}``,
          the last term from ``R{h1(1 − h1)} = (1 − 2 h1) ⊙ R{h1}``; then
          ``R{∇b1 J} = R{g1}`` and ``R{∇W1 J} = R{g1} h0ᵀ`` with ``h0 = x``.

        Each sample's terms are weighted by ``s_i`` and summed; the L2 term adds
        ``l2_reg_strength · (V1, 0, V2, 0)`` and the sum is divided by ``Σ_i s_i``,
        exactly as the gradient is. ``R{∇θ J}`` is ``H v``.

        Parameters
        ----------
        theta : ndarray of shape (layout.size,)
            Flat parameters; its dtype is the dtype of the computation.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_outputs)
            0/1 target matrix (one-hot rows for softmax).
        sample_weight : ndarray of shape (n_samples,), optional
        l2_reg_strength : float, default=0

        Returns
        -------
        loss : float
            J(theta), as :meth:`loss_gradient` returns it.
        gradient : ndarray of shape (layout.size,), same dtype as ``theta``
        hessp : callable
            ``hessp(v) -> H v``, an ndarray of shape (layout.size,) in the dtype of
            ``theta``. Each call costs about one gradient evaluation.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss
        >>> rng = np.random.default_rng(0)
        >>> X, Y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=(6, 2)) * 1.0
        >>> loss = TwoLayerLoss(ParameterLayout(3, 4, 2), output="sigmoid")
        >>> theta, v = rng.normal(size=(2, loss.layout.size))
        >>> value, grad, hessp = loss.gradient_hessian_product(theta, X, Y)
        >>> epsilon = 1e-6  # central differences of the analytic gradient
        >>> _, grad_plus = loss.loss_gradient(theta + epsilon * v, X, Y)
        >>> _, grad_minus = loss.loss_gradient(theta - epsilon * v, X, Y)
        >>> numeric = (grad_plus - grad_minus) / (2 * epsilon)
        >>> bool(np.allclose(hessp(v), numeric, rtol=1e-6, atol=1e-8))
        True
        """
        _, sw_sum = self._weights_and_sum(X, sample_weight)
        data_loss, gradient, data_hessp = self.data_gradient_hessian_product(
            theta, X, Y, sample_weight
        )
        loss, gradient = self.add_penalty_and_normalize(
            theta, data_loss, gradient, sw_sum, l2_reg_strength
        )

        def hessp(v):
            return self.add_penalty_and_normalize_product(
                v, data_hessp(v), sw_sum, l2_reg_strength
            )

        return loss, gradient, hessp

    def add_penalty_and_normalize_product(self, v, data_product, sw_sum, l2_reg):
        """(Σ_i s_i H_i v + l2_reg · (V1, 0, V2, 0)) / Σ s_i, from the data product.

        The L2 term ``½ l2_reg ‖W‖²`` has the Hessian ``l2_reg`` on the weights and
        0 on the biases. ``data_product`` is updated in place and returned.
        """
        V1, _, V2, _ = self.layout.unpack(np.asarray(v, dtype=data_product.dtype))
        H_W1, _, H_W2, _ = self.layout.unpack(data_product)
        H_W1 += l2_reg * V1
        H_W2 += l2_reg * V2
        data_product /= sw_sum
        return data_product

    def data_gradient_hessian_product(self, theta, X, Y, sample_weight=None):
        """Σ_i s_i loss_i, its gradient, and ``hessp(v) = Σ_i s_i H_i v``.

        The rows' part of :meth:`gradient_hessian_product` (see its derivation):
        unnormalised and without the L2 term, so that sums over blocks of rows add
        up (the Dask backend maps it over its blocks). ``hessp(v)`` returns an
        ndarray in the dtype of ``theta``; ``hessp`` is a picklable object
        (:class:`_HessianVectorProduct`), not a closure, since the Dask backend keeps
        one per block on its worker and Dask may move it to another.
        """
        # BLAS single-threaded, as in every evaluation: the same bits whatever the
        # threads (the products below are not cut into blocks of rows).
        with _blas_single_threaded():
            data_loss, gradient, hessp = self._data_gradient_hessian_product(
                theta, X, Y, sample_weight
            )
        return data_loss, gradient, hessp

    def _data_gradient_hessian_product(self, theta, X, Y, sample_weight):
        layout = self.layout
        _, _, W2, b2 = layout.unpack(theta)
        s = sample_weight

        # Ordinary forward and backward pass (as in data_loss_gradient), keeping
        # h1, h2, g2 = s ⊙ (h2 − y) and W2ᵀ g2 for the products.
        H1 = self.hidden(theta, X)
        A2 = H1 @ W2.T
        A2 += b2
        per_sample = self._per_sample_loss(A2, Y)
        data_loss = float(np.dot(per_sample, s) if s is not None else per_sample.sum())
        H2 = self.output_proba(A2)
        G2 = H2 - Y  # eq. 1.2
        if s is not None:
            G2 *= s[:, None]
        sigmoid_slope1 = H1 * (1.0 - H1)  # h1(1 − h1)
        back_h1 = G2 @ W2  # eq. 1.5: W2ᵀ g2, one row per sample
        # W2ᵀ g2 ⊙ (1 − 2 h1): the second-derivative factor of the hidden sigmoid.
        curvature1 = 1.0 - 2.0 * H1
        curvature1 *= back_h1
        G1 = back_h1 * sigmoid_slope1  # eq. 1.6

        gradient = np.empty_like(theta)
        grad_W1, grad_b1, grad_W2, grad_b2 = layout.unpack(gradient)
        G2.sum(axis=0, out=grad_b2)  # eq. 1.3
        np.matmul(G2.T, H1, out=grad_W2)  # eq. 1.4
        G1.sum(axis=0, out=grad_b1)
        grad_W1[...] = (X.T @ G1).T  # eq. 1.6
        del A2, G1

        hessp = _HessianVectorProduct(
            self, theta, X, s, (H1, H2, G2, sigmoid_slope1, curvature1)
        )
        return data_loss, gradient, hessp


class _HessianVectorProduct:
    """``hessp(v) = Σ_i s_i H_i v`` at one point, with its forward pass kept.

    Returned by :meth:`TwoLayerLoss.data_gradient_hessian_product`. An object, not
    a closure, so that it pickles by reference to this class: the Dask backend keeps
    one per block on its worker, and Dask may move it to another worker. Each call
    runs BLAS single-threaded, as every evaluation does (the same bits whatever the
    threads). The derivation is in :meth:`TwoLayerLoss.gradient_hessian_product`.
    """

    def __init__(self, loss, theta, X, sample_weight, forward):
        self.loss, self.theta, self.X = loss, theta, X
        self.sample_weight = sample_weight
        self.forward = forward  # h1, h2, g2, h1(1 − h1), W2ᵀ g2 ⊙ (1 − 2 h1)

    def __call__(self, v):
        with _blas_single_threaded():
            return self._product(np.asarray(v, dtype=self.theta.dtype))

    def _product(self, v):
        layout, X, s = self.loss.layout, self.X, self.sample_weight
        H1, H2, G2, sigmoid_slope1, curvature1 = self.forward
        _, _, W2, _ = layout.unpack(self.theta)
        V1, c1, V2, c2 = layout.unpack(v)
        # Forward R-pass.
        RH1 = X @ V1.T  # R{a1} = V1 x + c1
        RH1 += c1
        RH1 *= sigmoid_slope1  # R{h1} = h1(1 − h1) ⊙ R{a1}
        RA2 = H1 @ V2.T  # R{a2} = V2 h1 + W2 R{h1} + c2
        RA2 += RH1 @ W2.T
        RA2 += c2
        if self.loss.output == "sigmoid":
            RG2 = H2 * (1.0 - H2)
            RG2 *= RA2  # R{h2} = h2(1 − h2) ⊙ R{a2}
        else:
            RA2 -= np.sum(H2 * RA2, axis=1, keepdims=True)
            RG2 = H2 * RA2  # R{h2} = h2 ⊙ (R{a2} − h2ᵀ R{a2})
        if s is not None:
            RG2 *= s[:, None]  # R{g2}
        # Backward R-pass.
        product = np.empty_like(self.theta)
        H_W1, H_b1, H_W2, H_b2 = layout.unpack(product)
        RG2.sum(axis=0, out=H_b2)  # R{∇b2 J} = R{g2}
        H_W2[...] = RG2.T @ H1  # R{∇W2 J} = R{g2} h1ᵀ + g2 R{h1}ᵀ
        H_W2 += G2.T @ RH1
        RG1 = G2 @ V2  # R{∇h1 J} = V2ᵀ g2 + W2ᵀ R{g2}
        RG1 += RG2 @ W2
        RG1 *= sigmoid_slope1
        RH1 *= curvature1  # W2ᵀ g2 ⊙ (1 − 2 h1) ⊙ R{h1}
        RG1 += RH1  # R{g1}
        RG1.sum(axis=0, out=H_b1)  # R{∇b1 J} = R{g1}
        H_W1[...] = (X.T @ RG1).T  # R{∇W1 J} = R{g1} h0ᵀ
        return product
