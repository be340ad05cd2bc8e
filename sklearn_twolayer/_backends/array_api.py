"""Rows on an array-API device (torch, CuPy, array-api-strict): theta in, sums out.

The backend of scikit-learn's array API dispatch (``sklearn.config_context(
array_api_dispatch=True)``) for inputs of a namespace other than NumPy. X, the 0/1
target matrix Y and the combined weights s move to X's device once per fit and stay
there; the solver keeps theta on the host, as ``LogisticRegression``'s L-BFGS path
does, so each evaluation moves

- to the device: theta (``size`` entries, in X's dtype), and for a Hessian product
  the direction v (``size`` entries);
- to the host: one vector holding the loss and the gradient (``size + 1`` entries,
  float64; ``2 (size + 1)`` float32 entries on a device without float64, see
  below), or the product ``H v``, or the loss alone.

No ``(n_samples, ·)`` array crosses during the solver's run. The kernels are the
mathematics of :mod:`sklearn_twolayer.network` (eqs. 1.1–1.6 of the document and the
R-operator of :meth:`~sklearn_twolayer.network.TwoLayerLoss.gradient_hessian_product`)
written with array-API functions only, over blocks of rows so that an evaluation's
scratch memory is bounded by a few blocks.

Sums over rows are accumulated in float64 where the device has it, as the NumPy
backend does. A device without float64 (Apple's MPS; array-api-strict's
``no_float64`` device stands in for it in the tests) reduces each block in float32
and adds the blocks' sums with Kahan's compensated summation; the sum and its
compensation both go to the host, which combines them in float64.
"""

import numpy as np
from sklearn.utils._array_api import (
    _is_numpy_namespace,
    _is_xp_namespace,
    _max_precision_float_dtype,
    get_namespace_and_device,
    move_to,
)
from sklearn.utils.validation import validate_data

from .. import _targets
from .._split import _row_fingerprints, fingerprint_salts, held_out_rows
from ..network import ParameterLayout, TwoLayerLoss

__all__ = [
    "TrainingRows",
    "hidden",
    "is_array_api_input",
    "logits",
    "prediction_input",
    "training_rows",
]

# Bytes of one (rows, n_hidden) scratch array. On torch's CPU device each operation
# is a parallel region whose start costs far more than NumPy's loops: cache-sized
# blocks (the NumPy backend's 512 KiB) made an evaluation 9x slower than 16 MiB
# ones on the 2-core development machine, and larger blocks gained little more
# (benchmarks/README.md). An accelerator gets blocks large enough to fill it,
# bounded so that an evaluation's few scratch arrays fit next to X.
_CPU_BLOCK_BYTES = 1 << 24
_ACCELERATOR_BLOCK_BYTES = 1 << 28

# splitmix64's multipliers (sklearn_twolayer._split._mix) as the int64 values with
# the same bits: int64 multiplication wraps exactly as uint64 multiplication does.
_MIX_1 = 0xBF58476D1CE4E5B9 - (1 << 64)
_MIX_2 = 0x94D049BB133111EB - (1 << 64)


# -- what crosses between host and device ------------------------------------------
# Every transfer of the backend goes through these two functions (the tests count
# them, and what array-api-strict's arrays export, to prove what crosses).
def _to_device(array, xp, device):
    """A host NumPy array on the device, through scikit-learn's ``move_to``."""
    return move_to(array, xp=xp, device=device)


def _to_host(array):
    """A device array as a host NumPy array (DLPack first, as ``move_to`` does)."""
    return move_to(array, xp=np, device="cpu")


def _host_copy(array):
    """``array`` as host NumPy data if it is another namespace's array, else as is.

    y and sample_weight may come in any namespace and device (scikit-learn's
    mixed-input convention); the targets are encoded on the host.
    """
    if array is None or isinstance(array, np.ndarray):
        return array
    if hasattr(array, "__dlpack__"):
        return _to_host(array)
    return array


def is_array_api_input(X):
    """Whether ``X``, a DLPack-exporting array other than an ndarray, is for this
    backend: its namespace (under dispatch) is not NumPy's.

    Called by ``backend_for`` only under ``array_api_dispatch=True``; NumPy arrays
    and SciPy sparse matrices keep the in-memory backend.
    """
    xp, _, _ = get_namespace_and_device(X)
    return not _is_numpy_namespace(xp)


def _float_dtypes(xp):
    return [xp.float64, xp.float32]


def _numpy_dtype(xp, X):
    return np.dtype("float32" if X.dtype == xp.float32 else "float64")


def check_magnitude(xp, X):
    """The in-memory backend's overflow guard (``in_memory.check_magnitude``).

    One scalar crosses to the host, once per fit or prediction.
    """
    limit = float(np.sqrt(np.finfo(_numpy_dtype(xp, X)).max))
    largest = float(xp.max(xp.abs(X)))
    if largest > limit:
        raise ValueError(
            f"X has entries of magnitude {largest:.3g}, beyond {limit:.3g}, the "
            f"largest a {_numpy_dtype(xp, X)} network can multiply by its weights "
            "without overflow; scale the input features (e.g. with StandardScaler)."
        )


def training_rows(estimator, X, y, sample_weight, *, reset, n_hidden, targets=None):
    """Validate array-API fit input; return ``(targets, TrainingRows)`` on X's device.

    X is validated in its namespace (finiteness and shape checked on the device).
    y and the sample weights are brought to the host, where the targets and the
    combined weights are encoded by :mod:`sklearn_twolayer._targets` exactly as for
    in-memory data; the 0/1 matrix Y and the weights then move to X's device, once.
    With ``targets`` (the fit's), the rows are its validation rows, encoded with
    them.
    """
    xp, _, device = get_namespace_and_device(X)
    y, sample_weight = _host_copy(y), _host_copy(sample_weight)
    X, y = validate_data(
        estimator, X, y, reset=reset, dtype=_float_dtypes(xp), multi_output=True
    )
    check_magnitude(xp, X)
    dtype = _numpy_dtype(xp, X)
    # The encoding reads only the number of rows and the dtype of X: a host
    # stand-in without columns gives it both without copying X off its device.
    rows_like_X = np.empty((X.shape[0], 0), dtype=dtype)
    if targets is None:
        targets, Y, weights = _targets.encode_targets_and_weights(
            estimator.class_weight, rows_like_X, y, sample_weight
        )
    else:
        Y, weights = _targets.encode_validation_targets_and_weights(
            targets, rows_like_X, y, sample_weight
        )
    weight_sum = (
        float(X.shape[0])
        if weights is None
        else float(np.sum(weights, dtype=np.float64))
    )
    loss = TwoLayerLoss(
        ParameterLayout(X.shape[1], n_hidden, targets.n_outputs), targets.output
    )
    rows = TrainingRows(
        loss,
        X,
        _to_device(Y, xp, device),
        None if weights is None else _to_device(weights, xp, device),
        weight_sum,
        Y,
        weights,
    )
    return targets, rows


def prediction_input(estimator, X):
    """``X`` validated against the fitted estimator, on its device.

    The prediction methods' decorator has already checked that it is fitted.
    """
    xp, _, _ = get_namespace_and_device(X)
    X = validate_data(estimator, X, reset=False, dtype=_float_dtypes(xp))
    check_magnitude(xp, X)
    return X


def on_host(function, loss, theta, X, *args):
    """``function(loss, theta, X, *args)`` on a host copy of X, result on X's device.

    For the methods without a device kernel (``input_gradient``, an explanation
    method): X crosses to the host once per call, the result back.
    """
    xp, _, device = get_namespace_and_device(X)
    X_host = _to_host(X)
    theta = np.asarray(theta).astype(X_host.dtype)
    return _to_device(function(loss, theta, X_host, *args), xp, device)


def fitted_array(rows, array):
    """A fitted attribute (host NumPy) moved to the namespace and device of X."""
    return _to_device(array, rows.xp, rows.device)


def _is_cpu(device):
    """Whether ``device`` is a CPU (torch's ``cpu``, array-api-strict's devices).

    array-api-strict's devices are NumPy arrays in host memory; CuPy's and torch's
    ``cuda``/``mps``/``xpu`` devices are accelerators.
    """
    kind = getattr(device, "type", None)  # torch.device
    if kind is not None:
        return kind == "cpu"
    return not hasattr(device, "id")  # CuPy's devices have an id


def _block_slices(n_samples, row_bytes, device):
    """Slices cutting n_samples rows into blocks of at most the device's budget."""
    budget = _CPU_BLOCK_BYTES if _is_cpu(device) else _ACCELERATOR_BLOCK_BYTES
    rows = max(1, budget // max(1, row_bytes))
    return [
        slice(start, min(start + rows, n_samples))
        for start in range(0, n_samples, rows)
    ] or [slice(0, 0)]


# -- the mathematics, in any array-API namespace -----------------------------------
def hidden_sigmoid_(xp, A1):
    """h1 = σ(a1), overwriting ``A1`` where the namespace computes it in passes.

    torch has a one-pass sigmoid kernel (``xp.sigmoid``; not in the array API
    standard): each pass over the (rows, n_hidden) block costs memory bandwidth on
    a CPU. Elsewhere the hidden layer's form of
    :func:`sklearn_twolayer.network.hidden_sigmoid_`, ``0.5 + 0.5 tanh(a1 / 2)``,
    in place: no overflow, absolute error ~1e-16.
    """
    fused = getattr(xp, "sigmoid", None)
    if fused is not None:
        return fused(A1)
    A1 *= 0.5
    A1 = xp.tanh(A1)
    A1 *= 0.5
    A1 += 0.5
    return A1


def sigmoid(xp, z):
    """σ(z) to full relative precision, from ``exp(-|z|)``, which cannot overflow.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.utils._array_api import get_namespace
    >>> from sklearn_twolayer._backends.array_api import sigmoid
    >>> z = np.asarray([-1e4, 0.0, 1e4])
    >>> sigmoid(get_namespace(z)[0], z)
    array([0. , 0.5, 1. ])
    """
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def log_sigmoid(xp, z):
    """log σ(z) = −logaddexp(0, −z), from the logit (never the log of σ(z))."""
    return -xp.logaddexp(xp.zeros_like(z), -z)


def log_softmax(xp, A2):
    """Row-wise log-softmax, shifted by the row maximum (log-sum-exp)."""
    shifted = A2 - xp.max(A2, axis=1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))


def output_proba(xp, A2, output):
    """h2 from the logits: σ(a2) per column, or the row-wise softmax (eq. 1.2)."""
    if output == "sigmoid":
        return sigmoid(xp, A2)
    return xp.exp(log_softmax(xp, A2))


def per_sample_loss(xp, A2, Y, output):
    """Cross-entropy of each row from the logits (eq. 1.1 summed over the outputs).

    Sigmoid: ``logaddexp(0, a) − y a``; softmax: ``−Σ_k y_k log softmax(a)_k``.
    """
    if output == "sigmoid":
        return xp.sum(xp.logaddexp(xp.zeros_like(A2), A2) - Y * A2, axis=1)
    return -xp.sum(Y * log_softmax(xp, A2), axis=1)


def _unpack(xp, layout, theta):
    """Views ``(W1, b1, W2, b2)`` of a device vector laid out as ParameterLayout."""
    h, d, k = layout.n_hidden, layout.n_features, layout.n_outputs
    end_W1 = h * d
    end_b1 = end_W1 + h
    end_W2 = end_b1 + k * h
    return (
        xp.reshape(theta[:end_W1], (h, d)),
        theta[end_W1:end_b1],
        xp.reshape(theta[end_b1:end_W2], (k, h)),
        theta[end_W2 : end_W2 + k],
    )


def _flat(xp, *parts):
    """The four gradient blocks as one vector in ParameterLayout's order."""
    return xp.concat([xp.reshape(part, (-1,)) for part in parts])


def hidden_of_rows(xp, W1, b1, X):
    """h1 = σ(b1 + W1 x) for the rows of one block (eq. 1.1's hidden layer)."""
    A1 = X @ W1.T
    A1 += b1
    return hidden_sigmoid_(xp, A1)


def logits_of_rows(xp, weights, X):
    """a2 = b2 + W2 σ(b1 + W1 x) for the rows of one block, and their h1."""
    W1, b1, W2, b2 = weights
    H1 = hidden_of_rows(xp, W1, b1, X)
    A2 = H1 @ W2.T
    A2 += b2
    return A2, H1


class _Sum:
    """A device accumulator of float sums, in float64 or compensated float32.

    On a device with float64 the blocks' sums are cast and added in float64. On one
    without, Kahan's compensated summation keeps the error of the sum over blocks
    near one float32 rounding; :meth:`to_host` sends the sum and its compensation,
    which the host combines in float64.
    """

    def __init__(self, xp, device, size, dtype):
        self.xp = xp
        self.float64 = _max_precision_float_dtype(xp, device) == xp.float64
        self.dtype = xp.float64 if self.float64 else dtype
        self.total = xp.zeros(size, dtype=self.dtype, device=device)
        self.compensation = None if self.float64 else xp.zeros_like(self.total)

    def add(self, value):
        xp = self.xp
        value = xp.astype(value, self.dtype)
        if self.float64:
            self.total = self.total + value
            return
        corrected = value - self.compensation
        total = self.total + corrected
        self.compensation = (total - self.total) - corrected
        self.total = total

    def to_host(self):
        if self.float64:
            return _to_host(self.total).astype(np.float64, copy=False)
        both = _to_host(self.xp.concat([self.total, self.compensation]))
        size = self.total.shape[0]
        return both[:size].astype(np.float64) - both[size:].astype(np.float64)


# -- the rows of a fit on the device --------------------------------------------------
class TrainingRows:
    """The rows of a fit on an array-API device, evaluated with theta from the host.

    Parameters
    ----------
    loss : TwoLayerLoss
        The network (its ``layout`` and ``output``); its NumPy methods are not used.
    X : array of shape (n_samples, n_features)
        The features, in any array-API namespace, on the device of the computation.
    Y : array of shape (n_samples, n_outputs)
        The 0/1 targets, in X's namespace, dtype and device.
    sample_weight : array of shape (n_samples,) or None
        The combined sample times class weights, in X's namespace, dtype and device.
    weight_sum : float
        Σ s_i in float64 (n_samples when ``sample_weight`` is None), computed on the
        host where the weights were encoded.
    host_Y, host_weight : ndarray
        The host copies of Y and of the weights (None when unweighted) that the
        targets were encoded into: the early-stopping split reads them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss
    >>> from sklearn_twolayer._backends.array_api import TrainingRows
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(8, 3)), rng.integers(0, 2, size=(8, 1)) * 1.0
    >>> loss = TwoLayerLoss(ParameterLayout(3, 4, 1), "sigmoid")
    >>> rows = TrainingRows(loss, X, Y, None, 8.0, Y, None)
    >>> theta = rng.normal(size=loss.layout.size)
    >>> value, gradient = rows.data_loss_gradient(theta)
    >>> expected = loss.data_loss_gradient(theta, X, Y)
    >>> bool(np.isclose(value, expected[0]) and np.allclose(gradient, expected[1]))
    True
    """

    def __init__(self, loss, X, Y, sample_weight, weight_sum, host_Y, host_weight):
        self.xp, _, self.device = get_namespace_and_device(X)
        self.loss = loss
        self.layout = loss.layout
        self.output = loss.output
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.host_Y, self.host_weight = host_Y, host_weight
        self.n_samples, self.n_features = X.shape
        self.dtype = np.dtype("float32" if X.dtype == self.xp.float32 else "float64")
        self.weight_sum = float(weight_sum)
        self._blocks = _block_slices(
            self.n_samples, self.layout.n_hidden * self.dtype.itemsize, self.device
        )

    def _theta(self, theta):
        """The host float64 vector in the computation's dtype, on the device."""
        theta = np.asarray(theta, dtype=np.float64).astype(self.dtype)
        return _to_device(theta, self.xp, self.device)

    def _rows(self, block):
        s = self.sample_weight
        return self.X[block, :], self.Y[block, :], None if s is None else s[block]

    def _block_forward_backward(self, weights, block, keep_state=False):
        """eqs. 1.1–1.6 on one block: losses, gradient, and what H v reuses.

        Products are formed in place where nothing else reads the operand: each
        pass over a (rows, n_hidden) array is memory traffic.
        """
        xp = self.xp
        W2 = weights[2]
        X, Y, s = self._rows(block)
        A2, H1 = logits_of_rows(xp, weights, X)  # a1, h1 = σ(a1), a2 = b2 + W2 h1
        per_sample = per_sample_loss(xp, A2, Y, self.output)  # eq. 1.1
        H2 = output_proba(xp, A2, self.output)
        G2 = H2 - Y  # eq. 1.2: ∇a2 J = h2 − y, as a difference
        if s is not None:
            per_sample = per_sample * s
            G2 = G2 * s[:, None]
        slope1 = 1.0 - H1
        slope1 *= H1  # h1(1 − h1), never divided by
        back_h1 = G2 @ W2  # eq. 1.5: W2ᵀ g2, one row per sample
        if keep_state:
            G1 = back_h1 * slope1  # eq. 1.6: ∇a1 J
        else:
            G1 = back_h1
            G1 *= slope1
        gradient = _flat(
            xp,
            G1.T @ X,  # eq. 1.6: ∇W1 J = g1 h0ᵀ
            xp.sum(G1, axis=0),  # eq. 1.6: ∇b1 J = g1
            G2.T @ H1,  # eq. 1.4: ∇W2 J = g2 h1ᵀ
            xp.sum(G2, axis=0),  # eq. 1.3: ∇b2 J = g2
        )
        state = (H1, H2, G2, slope1, back_h1) if keep_state else None
        return per_sample, gradient, state

    def _loss_sum(self, per_sample, total):
        """Add Σ_i of one block's weighted losses to ``total`` (a _Sum of one entry)."""
        xp = self.xp
        total.add(xp.reshape(xp.sum(xp.astype(per_sample, total.dtype)), (1,)))

    def _evaluate(self, theta, keep_state):
        xp = self.xp
        weights = _unpack(xp, self.layout, self._theta(theta))
        total = _Sum(xp, self.device, self.layout.size + 1, self._device_dtype())
        states = []
        for block in self._blocks:
            per_sample, gradient, state = self._block_forward_backward(
                weights, block, keep_state
            )
            per_sample = xp.astype(per_sample, total.dtype)
            total.add(xp.concat([xp.reshape(xp.sum(per_sample), (1,)), gradient]))
            if keep_state:
                states.append(state)
        both = total.to_host()
        return float(both[0]), both[1:], weights, states

    def _device_dtype(self):
        return self.xp.float32 if self.dtype == np.float32 else self.xp.float64

    def data_loss_gradient(self, theta):
        """Σ_i s_i loss_i and its gradient (float64, on the host), from host theta.

        One transfer each way: theta to the device, ``[loss, gradient]`` back.
        """
        value, gradient, _, _ = self._evaluate(theta, keep_state=False)
        return value, gradient

    def data_loss(self, theta):
        """Σ_i s_i loss_i alone (early stopping's held-out loss): one float back."""
        xp = self.xp
        weights = _unpack(xp, self.layout, self._theta(theta))
        total = _Sum(xp, self.device, 1, self._device_dtype())
        for block in self._blocks:
            X, Y, s = self._rows(block)
            per_sample = per_sample_loss(
                xp, logits_of_rows(xp, weights, X)[0], Y, self.output
            )
            if s is not None:
                per_sample = per_sample * s
            self._loss_sum(per_sample, total)
        return float(total.to_host()[0])

    def data_hessian_product(self, theta):
        """The data sums and ``hessp(v) -> Σ_i s_i H_i v``, exact (R-operator).

        Port of :meth:`~sklearn_twolayer.network.TwoLayerLoss.gradient_hessian_product`
        (its docstring derives each line from eqs. 1.2–1.6): the forward and backward
        passes keep h1, h2, g2, h1(1 − h1) and W2ᵀ g2 per block on the device; each
        product moves v to the device and ``H v`` back, nothing else.
        """
        value, gradient, weights, states = self._evaluate(theta, keep_state=True)
        xp, layout = self.xp, self.layout
        W2 = weights[2]

        def hessp(v):
            V1, c1, V2, c2 = _unpack(xp, layout, self._theta(v))
            total = _Sum(xp, self.device, layout.size, self._device_dtype())
            for block, (H1, H2, G2, slope1, back_h1) in zip(
                self._blocks, states, strict=True
            ):
                X, _, s = self._rows(block)
                # Forward R-pass.
                RH1 = (X @ V1.T + c1) * slope1  # R{h1} = h1(1 − h1) ⊙ (V1 x + c1)
                RA2 = H1 @ V2.T + RH1 @ W2.T + c2  # R{a2} = V2 h1 + W2 R{h1} + c2
                if self.output == "sigmoid":
                    RG2 = H2 * (1.0 - H2) * RA2  # R{h2} = h2(1 − h2) ⊙ R{a2}
                else:  # R{h2} = h2 ⊙ (R{a2} − h2ᵀ R{a2})
                    RG2 = H2 * (RA2 - xp.sum(H2 * RA2, axis=1, keepdims=True))
                if s is not None:
                    RG2 = RG2 * s[:, None]  # R{g2}
                # Backward R-pass: R{∇h1 J} = V2ᵀ g2 + W2ᵀ R{g2} (eq. 1.5), then
                # R{g1} = R{∇h1 J} ⊙ h1(1 − h1) + W2ᵀ g2 ⊙ (1 − 2 h1) ⊙ R{h1} (eq. 1.6).
                RG1 = (G2 @ V2 + RG2 @ W2) * slope1
                RG1 = RG1 + back_h1 * (1.0 - 2.0 * H1) * RH1
                total.add(
                    _flat(
                        xp,
                        RG1.T @ X,  # R{∇W1 J} = R{g1} h0ᵀ
                        xp.sum(RG1, axis=0),  # R{∇b1 J} = R{g1}
                        RG2.T @ H1 + G2.T @ RH1,  # eq. 1.4's R: R{g2} h1ᵀ + g2 R{h1}ᵀ
                        xp.sum(RG2, axis=0),  # R{∇b2 J} = R{g2}
                    )
                )
            return total.to_host()

        return value, gradient, hessp

    # -- early stopping ----------------------------------------------------------
    def fingerprints(self):
        """Each row's fingerprint: the bits of ``_split._row_fingerprints``.

        Computed on the device where the namespace can reinterpret float bits as
        integers (torch and CuPy: ``view``), in int64 arithmetic that wraps as the
        host's uint64 does; one uint64 per row comes back. The array API has no
        bitcast, so for the other namespaces (array-api-strict) X and Y are copied
        to the host once for this. Returns a host uint64 vector of n_samples.
        """
        xp = self.xp
        if not (_is_xp_namespace(xp, "torch") or _is_xp_namespace(xp, "cupy")):
            return _row_fingerprints(_to_host(self.X), self.host_Y)
        n_columns = self.n_features + self.host_Y.shape[1]
        salts = fingerprint_salts(n_columns).view(np.int64)
        salts = _to_device(salts, xp, self.device)
        bits_dtype = xp.int32 if self.dtype == np.float32 else xp.int64
        fingerprints = []
        for block in _block_slices(self.n_samples, n_columns * 8, self.device):
            # −0.0 + 0.0 is +0.0: the two zeros get one fingerprint, as on the host.
            values = xp.concat([self.X[block, :], self.Y[block, :]], axis=1) + 0.0
            bits = xp.astype(values.view(bits_dtype), xp.int64)
            if self.dtype == np.float32:
                bits = bits & 0xFFFFFFFF  # uint32 bits, zero-extended
            fingerprints.append(xp.sum(_mix_int64(bits ^ salts), axis=1))
        return _to_host(xp.concat(fingerprints)).view(np.uint64)

    def split(self, validation_fraction, random_state):
        """The early-stopping split: the rows of ``weighted_stratified_split``.

        Decided on the host by ``_split.held_out_rows`` from the rows' fingerprints
        and the host copies of the targets and weights: one uint64 per row crosses
        to the host, once per fit (grouping, sorting and the loops over strata are
        host work on n_samples integers); the chosen row indices cross back and the
        rows are taken on the device.
        """
        is_held_out = held_out_rows(
            self.fingerprints(),
            self.host_Y,
            self.host_weight,
            validation_fraction,
            random_state,
        )
        return self.take(np.flatnonzero(~is_held_out)), self.take(
            np.flatnonzero(is_held_out)
        )

    def take(self, rows):
        """The TrainingRows of the host indices ``rows`` (selected on the device)."""
        xp = self.xp
        index = _to_device(rows.astype(np.int64), xp, self.device)
        weight = None if self.host_weight is None else self.host_weight[rows]
        weight_sum = (
            rows.size if weight is None else float(np.sum(weight, dtype=np.float64))
        )
        return TrainingRows(
            self.loss,
            xp.take(self.X, index, axis=0),
            xp.take(self.Y, index, axis=0),
            None
            if self.sample_weight is None
            else xp.take(self.sample_weight, index, axis=0),
            weight_sum,
            self.host_Y[rows],
            weight,
        )


def _mix_int64(bits):
    """splitmix64's finaliser (``_split._mix``) in int64 arithmetic.

    A logical right shift is an arithmetic shift with the sign's copies masked off;
    int64 multiplication wraps as uint64's does, so the bits are those of ``_mix``.
    """
    bits = bits ^ _shift_right_logical(bits, 30)
    bits = bits * _MIX_1
    bits = bits ^ _shift_right_logical(bits, 27)
    bits = bits * _MIX_2
    return bits ^ _shift_right_logical(bits, 31)


def _shift_right_logical(bits, shift):
    return (bits >> shift) & ((1 << (64 - shift)) - 1)


def logits(loss, theta, X):
    """a2 for every row of X (an array on its device), in X's namespace and dtype.

    ``theta`` is a host vector; it crosses once, the rows never do.
    """
    xp, _, device = get_namespace_and_device(X)
    dtype = np.float32 if X.dtype == xp.float32 else np.float64
    theta = _to_device(np.asarray(theta).astype(dtype), xp, device)
    weights = _unpack(xp, loss.layout, theta)
    blocks = _block_slices(
        X.shape[0], loss.layout.n_hidden * np.dtype(dtype).itemsize, device
    )
    return xp.concat([logits_of_rows(xp, weights, X[block, :])[0] for block in blocks])


def hidden(loss, theta, X):
    """h1 = σ(b1 + W1 x) for every row of X, on its device, in its namespace and dtype.

    As :func:`logits`: ``theta`` crosses once, the rows never do.
    """
    xp, _, device = get_namespace_and_device(X)
    dtype = np.float32 if X.dtype == xp.float32 else np.float64
    theta = _to_device(np.asarray(theta).astype(dtype), xp, device)
    W1, b1, _, _ = _unpack(xp, loss.layout, theta)
    blocks = _block_slices(
        X.shape[0], loss.layout.n_hidden * np.dtype(dtype).itemsize, device
    )
    return xp.concat([hidden_of_rows(xp, W1, b1, X[block, :]) for block in blocks])


# -- the outputs of prediction, in X's namespace ---------------------------------------
def decision(A2, binary):
    """``decision_function``'s output: the logits, one column ravelled if binary."""
    xp, _, _ = get_namespace_and_device(A2)
    return xp.reshape(A2, (-1,)) if binary else A2


def probabilities(A2, binary, output, log=False):
    """``predict_proba`` (or ``predict_log_proba``) from the logits, on X's device.

    In float64, as the in-memory backend's, so that small probabilities do not
    underflow; a device without float64 keeps float32. Binary: the pair
    ``[σ(−a2), σ(a2)]``; logs as log-sigmoid / log-softmax of the logits.
    """
    xp, _, device = get_namespace_and_device(A2)
    if _max_precision_float_dtype(xp, device) == xp.float64:
        A2 = xp.astype(A2, xp.float64)
    if binary:
        unit = log_sigmoid if log else sigmoid
        return xp.concat([unit(xp, -A2), unit(xp, A2)], axis=1)
    if not log:
        return output_proba(xp, A2, output)
    return log_sigmoid(xp, A2) if output == "sigmoid" else log_softmax(xp, A2)


def labels(classes, scores, kind):
    """``predict``'s output from the decision scores, in X's namespace and device.

    ``kind`` is "binary", "softmax" or "multilabel". Numeric and boolean classes go
    to the device (``n_classes`` values) and are taken there; other labels
    (strings) cannot live on a device, so the indices come to the host instead.
    """
    xp, _, device = get_namespace_and_device(scores)
    if kind == "multilabel":
        return xp.astype(scores > 0, xp.int64)
    if kind == "binary":
        index = xp.astype(scores > 0, xp.int64)
    else:
        index = xp.argmax(scores, axis=1)
    if classes.dtype.kind in "biuf":
        return xp.take(_to_device(classes, xp, device), index, axis=0)
    return classes[_to_host(index)]
