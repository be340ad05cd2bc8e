"""Rows on an array-API device (torch, CuPy, array-api-strict): validation, transfers.

The backend of scikit-learn's array API dispatch for inputs of a namespace other
than NumPy. It holds no mathematics: the kernels are :mod:`sklearn_twolayer.network`'s,
called in X's namespace over the device's blocks, which
:func:`~sklearn_twolayer._execution.sum_device_blocks` runs and adds up. X, the 0/1
targets Y and the combined weights s move to X's device once per fit; the solver
keeps theta on the host (as ``LogisticRegression``'s L-BFGS does), so an evaluation
moves theta (and a Hessian product's v) to the device and one vector back: loss and
gradient (``size + 1`` float64, or ``2 (size + 1)`` float32 without float64), ``H v``
or the loss. No ``(n_samples, ·)`` array crosses during the solver's run, nor during
a prediction, which runs on X's device too.

Sums are float64 where the device has it, as in memory. A device without float64
(Apple's MPS; array-api-strict's ``no_float64`` device in the tests) reduces each
block in float32 and adds the blocks' sums in compensated float32
(:class:`~sklearn_twolayer._execution.DeviceSum`).
"""

import numpy as np
from sklearn.utils._array_api import (
    _is_numpy_namespace,
    _is_xp_namespace,
    _max_precision_float_dtype,
    check_same_namespace,
    get_namespace_and_device,
    move_to,
)
from sklearn.utils.validation import validate_data

from .. import _targets
from .._execution import (
    DeviceSum,
    device_row_blocks,
    point_store,
    sum_device_blocks,
)
from .._split import (
    _row_fingerprints,
    fingerprint_salts,
    held_out_shares,
    part_weights,
)
from ..network import (
    ParameterLayout,
    TwoLayerLoss,
    data_loss_block,
    hessian_product_block,
    kept_hessian_point,
    loss_gradient_block,
)
from ._kinds import is_device_array

__all__ = [
    "TrainingRows",
    "fitted_array",
    "fitted_classes",
    "is_array_api_input",
    "map_rows",
    "prediction_input",
    "training_rows",
]

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
    """``array`` as host NumPy data if it is another namespace's array, else as is:
    y and sample_weight may come in any namespace and device; targets are encoded on
    the host."""
    if is_device_array(array):
        return _to_host(array)
    return array


def is_array_api_input(X):
    """Whether ``X``, a DLPack-exporting array other than an ndarray, is for this
    backend: its namespace (under dispatch) is not NumPy's."""
    xp, _, _ = get_namespace_and_device(X)
    return not _is_numpy_namespace(xp)


def _float_dtypes(xp):
    return [xp.float64, xp.float32]


def _numpy_dtype(xp, X):
    return np.dtype("float32" if X.dtype == xp.float32 else "float64")


def check_magnitude(xp, X):
    """``in_memory.check_magnitude`` on the device: one scalar crosses to the host."""
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

    X is validated on its device; y and the weights are encoded on the host by
    :mod:`sklearn_twolayer._targets`, as in memory, then Y and the weights move to
    X's device once. With the fit's ``targets``: its validation rows.
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
    weight_sum = float(X.shape[0]) if weights is None else _targets.weight_sum(weights)
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


def prediction_input(estimator, X, method):
    """``X`` validated against the fitted estimator, in the namespace and on the
    device of the fit, where it stays. The prediction methods' decorator has
    already checked that the estimator is fitted."""
    check_same_namespace(X, estimator, attribute="W1_", method=method)
    xp, _, _ = get_namespace_and_device(X)
    X = validate_data(estimator, X, reset=False, dtype=_float_dtypes(xp))
    check_magnitude(xp, X)
    return X


def map_rows(function, X, *, dtype, shape):
    """``function(X)``: the prediction runs on X's device, in X's namespace."""
    return function(X)


def fitted_array(rows, array):
    """A fitted attribute (host NumPy) moved to the namespace and device of X."""
    return _to_device(array, rows.xp, rows.device)


def fitted_classes(y, classes):
    """``classes_`` in ``y``'s namespace and device, as ``LogisticRegression`` keeps
    them under dispatch: ``cross_val_predict`` combines them with the predictions in
    one namespace. Labels that cannot live on a device (strings), and y given as
    NumPy data or a list, keep host classes."""
    if not is_device_array(y) or classes.dtype.kind not in "biuf":
        return classes
    xp, _, device = get_namespace_and_device(y)
    if _is_numpy_namespace(xp):
        return classes
    return _to_device(classes, xp, device)


# -- the rows of a fit on the device --------------------------------------------------
class TrainingRows:
    """The rows of a fit on an array-API device, evaluated with theta from the host.

    ``X``, the 0/1 targets ``Y`` and the combined weights ``sample_weight`` (None:
    unweighted) share a namespace, dtype and device; ``weight_sum`` is Σ s_i in
    float64, from the host; ``host_Y`` and ``host_weight`` are the host arrays the
    targets were encoded into, for the early-stopping split. Of ``loss`` only the
    ``layout`` and ``output`` are used.

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
        self.dtype = _numpy_dtype(self.xp, X)
        self.weight_sum = float(weight_sum)
        self._blocks = device_row_blocks(
            self.n_samples, self.layout.n_hidden * self.dtype.itemsize, self.device
        )

    def _theta(self, theta):
        """The host float64 vector in the computation's dtype, on the device."""
        theta = np.asarray(theta, dtype=np.float64).astype(self.dtype)
        return _to_device(theta, self.xp, self.device)

    def _rows(self, block):
        s = self.sample_weight
        return self.X[block, :], self.Y[block, :], None if s is None else s[block]

    def _sum(self, size):
        """A device accumulator of ``size`` sums (float64, or compensated float32)."""
        xp = self.xp
        return DeviceSum(
            xp,
            self.device,
            size,
            xp.float32 if self.dtype == np.float32 else xp.float64,
            _max_precision_float_dtype(xp, self.device) == xp.float64,
            _to_host,
        )

    def _sum_over_blocks(self, size, block_value):
        """Σ over the device's blocks of ``block_value(block, rows, dtype)`` (the
        block's slice, its ``(X, Y, s)``, the accumulator's dtype), on the host."""
        return sum_device_blocks(
            lambda block, dtype: block_value(block, self._rows(block), dtype),
            self._blocks,
            lambda: self._sum(size),
            self.device,
        )

    def _one(self, value, dtype):
        """A block's loss sum as a one-element array of the accumulator's dtype: the
        kernels return a Python float with NumPy, else such an array already."""
        if isinstance(value, float):
            return self.xp.asarray([value], dtype=dtype, device=self.device)
        return value

    def _loss_gradient(self, weights):
        """[Σ s_i loss_i, gradient] on the host, from weights on the device."""
        xp = self.xp

        def block_value(block, rows, dtype):
            value, gradient = loss_gradient_block(
                self.layout, self.output, weights, *rows, xp
            )
            gradient = xp.astype(gradient, dtype, copy=False)
            return xp.concat([self._one(value, dtype), gradient])

        both = self._sum_over_blocks(self.layout.size + 1, block_value)
        return float(both[0]), both[1:]

    def data_loss_gradient(self, theta):
        """Σ_i s_i loss_i and its gradient (host float64) from host theta: theta to
        the device, ``[loss, gradient]`` back."""
        return self._loss_gradient(self.layout.unpack(self._theta(theta), self.xp))

    def data_loss(self, theta):
        """Σ_i s_i loss_i alone (early stopping's held-out loss): one float back."""
        xp = self.xp
        weights = self.layout.unpack(self._theta(theta), xp)

        def block_value(block, rows, dtype):
            value = data_loss_block(self.layout, self.output, weights, *rows, xp)
            return self._one(value, dtype)

        return float(self._sum_over_blocks(1, block_value)[0])

    def data_hessian_product(self, theta):
        """The data sums and ``hessp(v) -> Σ_i s_i H_i v``, exact (R-operator,
        :func:`~sklearn_twolayer.network.hessian_product_block`): theta stays on the
        device, each product moves v there and ``H v`` back."""
        xp, layout = self.xp, self.layout
        weights = layout.unpack(self._theta(theta), xp)
        value, gradient = self._loss_gradient(weights)

        # the blocks' forward passes at theta, kept between products where they fit
        points = point_store(self.n_samples, layout.n_hidden, self.dtype.itemsize)

        def hessp(v):
            direction = layout.unpack(self._theta(v), xp)

            def block_value(block, rows, dtype):
                point = kept_hessian_point(
                    points, block.start, self.output, weights, *rows, xp
                )
                return hessian_product_block(
                    layout, self.output, weights, direction, *rows, xp, point=point
                )

            return self._sum_over_blocks(layout.size, block_value)

        return value, gradient, hessp

    # -- early stopping ----------------------------------------------------------
    def fingerprints(self):
        """The bits of ``_split._row_fingerprints``, as a host uint64 vector.

        torch and CuPy compute them on the device (``view`` reinterprets float bits;
        int64 arithmetic wraps as uint64's) and send one uint64 per row; the array
        API has no bitcast, so others (array-api-strict) copy X and Y to the host.
        """
        xp = self.xp
        if not (_is_xp_namespace(xp, "torch") or _is_xp_namespace(xp, "cupy")):
            return _row_fingerprints(_to_host(self.X), self.host_Y)
        n_columns = self.n_features + self.host_Y.shape[1]
        salts = fingerprint_salts(n_columns).view(np.int64)
        salts = _to_device(salts, xp, self.device)
        bits_dtype = xp.int32 if self.dtype == np.float32 else xp.int64
        fingerprints = []
        for block in device_row_blocks(self.n_samples, n_columns * 8, self.device):
            # −0.0 + 0.0 is +0.0: the two zeros get one fingerprint, as on the host.
            values = xp.concat([self.X[block, :], self.Y[block, :]], axis=1) + 0.0
            bits = xp.astype(values.view(bits_dtype), xp.int64)
            if self.dtype == np.float32:
                bits = bits & 0xFFFFFFFF  # uint32 bits, zero-extended
            fingerprints.append(xp.sum(_mix_int64(bits ^ salts), axis=1))
        return _to_host(xp.concat(fingerprints)).view(np.uint64)

    def split(self, validation_fraction, random_state):
        """The early-stopping split, decided on the host by ``_split.held_out_shares``
        from the fingerprints (one uint64 per row) and the host targets and weights;
        the chosen indices cross back and the rows are taken on the device, with
        their part of a weight shared between the two sides."""
        share = held_out_shares(
            self.fingerprints(),
            self.host_Y,
            self.host_weight,
            validation_fraction,
            random_state,
        )
        train, held_out = np.flatnonzero(share < 1), np.flatnonzero(share > 0)
        if np.all(share[held_out] == 1):  # no shared row: the rows' own weights
            return self.take(train), self.take(held_out)
        train_weight, held_out_weight = part_weights(
            self.host_weight, share, self.dtype
        )
        return (
            self.take(train, train_weight[train]),
            self.take(held_out, held_out_weight[held_out]),
        )

    def take(self, rows, weight=None):
        """The TrainingRows of the host indices ``rows``, taken on the device;
        ``weight``: their host weights, if not their own."""
        xp = self.xp
        index = _to_device(rows.astype(np.int64), xp, self.device)
        if weight is not None:
            sample_weight = _to_device(weight, xp, self.device)
        elif self.host_weight is not None:
            weight = self.host_weight[rows]
            sample_weight = xp.take(self.sample_weight, index, axis=0)
        else:
            sample_weight = None
        weight_sum = rows.size if weight is None else _targets.weight_sum(weight)
        return TrainingRows(
            self.loss,
            xp.take(self.X, index, axis=0),
            xp.take(self.Y, index, axis=0),
            sample_weight,
            weight_sum,
            self.host_Y[rows],
            weight,
        )


def _mix_int64(bits):
    """splitmix64's finaliser (``_split._mix``) in int64 arithmetic, with its bits:
    int64 multiplication wraps as uint64's, and a logical right shift is an
    arithmetic one with the sign's copies masked off."""
    bits = bits ^ _shift_right_logical(bits, 30)
    bits = bits * _MIX_1
    bits = bits ^ _shift_right_logical(bits, 27)
    bits = bits * _MIX_2
    return bits ^ _shift_right_logical(bits, 31)


def _shift_right_logical(bits, shift):
    return (bits >> shift) & ((1 << (64 - shift)) - 1)
