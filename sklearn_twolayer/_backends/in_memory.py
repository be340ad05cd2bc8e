"""The in-process backend: NumPy arrays and SciPy CSR/CSC matrices.

The rows are the validated arrays themselves (never copied); every sum is a
:class:`~sklearn_twolayer.network.TwoLayerLoss` kernel run over them by
:mod:`sklearn_twolayer._execution`.
"""

import numpy as np
from sklearn.utils.validation import validate_data

from .. import _targets
from .._sklearn_compat import check_same_namespace
from .._split import _row_fingerprints, held_out_shares, part_weights
from ..network import ParameterLayout, TwoLayerLoss
from ._kinds import is_dask_collection

ACCEPTED_SPARSE = ("csr", "csc")
FLOAT_DTYPES = (np.float64, np.float32)

__all__ = [
    "InMemoryRows",
    "fitted_array",
    "fitted_classes",
    "map_rows",
    "prediction_input",
    "training_rows",
]


def training_rows(estimator, X, y, sample_weight, *, reset, n_hidden, targets=None):
    """Validate in-memory fit input; return ``(targets, InMemoryRows)``: with the
    fit's ``targets``, its validation rows, encoded with them."""
    if is_dask_collection(X, y, sample_weight):
        import dask

        # Lazy y or weights (as small as a column of X), or a fit's validation rows.
        X, y, sample_weight = dask.compute(X, y, sample_weight)
    X, y = validate_data(
        estimator,
        X,
        y,
        reset=reset,
        accept_sparse=ACCEPTED_SPARSE,
        dtype=FLOAT_DTYPES,
        multi_output=True,
    )
    check_magnitude(X)
    if targets is None:
        targets, Y, weights = _targets.encode_targets_and_weights(
            estimator.class_weight, X, y, sample_weight
        )
    else:
        Y, weights = _targets.encode_validation_targets_and_weights(
            targets, X, y, sample_weight
        )
    layout = ParameterLayout(X.shape[1], n_hidden, targets.n_outputs)
    return targets, InMemoryRows(X, Y, weights, TwoLayerLoss(layout, targets.output))


def prediction_input(estimator, X, method):
    """``X`` validated against the fitted estimator, as ``method`` needs it (in the
    fit's namespace under array API dispatch). The prediction methods' decorator
    has already checked that the estimator is fitted."""
    if _is_valid_as_it_is(estimator, X):
        return X
    check_same_namespace(X, estimator, attribute="W1_", method=method)
    X = validate_data(
        estimator, X, reset=False, accept_sparse=ACCEPTED_SPARSE, dtype=FLOAT_DTYPES
    )
    check_magnitude(X)
    return X


def _is_valid_as_it_is(estimator, X):
    """Whether ``validate_data`` and :func:`check_magnitude` would accept ``X`` as it
    is, found with the magnitude check's two reductions.

    For a prediction's common case (a float ndarray of the fitted width, a NumPy fit
    without feature names), whose full validation is most of a one-row
    ``predict_proba``; anything else gets the full validation.
    """
    if not (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype in FLOAT_DTYPES
        and X.shape[0] > 0
        and X.shape[1] == estimator.n_features_in_
        and type(estimator.W1_) is np.ndarray
        and not hasattr(estimator, "feature_names_in_")
    ):
        return False
    largest = max(float(X.max()), -float(X.min()))
    # False for NaN too: NaN compares false with everything.
    return largest <= np.sqrt(np.finfo(X.dtype).max)


def map_rows(function, X, *, dtype, shape):
    """``function(X)``: the rows are here, so the prediction runs at once."""
    return function(X)


def fitted_array(rows, array):
    """A fitted attribute as it is: host NumPy, like the rows."""
    return array


def fitted_classes(y, classes):
    """``classes_`` as they are: host NumPy."""
    return classes


def check_magnitude(X):
    """Reject features beyond sqrt(largest float) (1e154 in float64, 1.8e19 in
    float32): times a weight as large, the pre-activations and the gradient would
    overflow to inf and the fit silently return nonsense."""
    limit = np.sqrt(np.finfo(X.dtype).max)
    # X is validated, so not empty; a sparse X's implicit zeros change nothing here.
    largest = max(float(X.max()), -float(X.min()))
    if largest > limit:
        raise ValueError(
            f"X has entries of magnitude {largest:.3g}, beyond {limit:.3g}, the "
            f"largest a {X.dtype} network can multiply by its weights without "
            "overflow; scale the input features (e.g. with StandardScaler)."
        )


class InMemoryRows:
    """Rows held in this process: ``X`` (ndarray, CSR or CSC, in the computation's
    dtype), the 0/1 targets ``Y`` and the combined sample and class weights
    (None: all 1), both in ``X``'s dtype."""

    def __init__(self, X, Y, sample_weight, loss):
        self.X, self.Y, self.sample_weight, self.loss = X, Y, sample_weight, loss
        self.n_samples, self.n_features = X.shape
        self._kept_points = {}  # HessianVectorProduct.shared
        self.dtype = X.dtype
        self.weight_sum = (
            float(X.shape[0])
            if sample_weight is None
            else float(np.sum(sample_weight, dtype=np.float64))
        )

    def _theta(self, theta):
        # The solver's float64 vector in the rows' dtype: float32 data runs in float32.
        return theta.astype(self.dtype, copy=False)

    def data_loss_gradient(self, theta):
        """Σ s_i loss_i and its gradient (float64) over these rows."""
        data_loss, gradient = self.loss.data_loss_gradient(
            self._theta(theta), self.X, self.Y, self.sample_weight
        )
        return data_loss, gradient.astype(np.float64, copy=False)

    def data_hessian_product(self, theta):
        """The sums of :meth:`data_loss_gradient` and ``hessp(v) = Σ s_i H_i v``."""
        data_loss, gradient, hessp = self.loss.data_gradient_hessian_product(
            self._theta(theta), self.X, self.Y, self.sample_weight
        )
        hessp.shared = self._kept_points  # one set of arrays for the fit's points

        def data_hessp(v):
            return hessp(v).astype(np.float64, copy=False)

        return data_loss, gradient.astype(np.float64, copy=False), data_hessp

    def data_loss(self, theta):
        """Σ s_i loss_i over these rows."""
        return self.loss.data_loss(
            self._theta(theta), self.X, self.Y, self.sample_weight
        )

    def split(self, validation_fraction, random_state):
        """``(train, held_out)`` rows of early stopping (``_split``), neither a copy of
        ``X``: all rows weighted by their training part (0 if held out, at a cost of
        ``validation_fraction`` of an evaluation), and the held-out rows' indices
        with their held-out part."""
        share = held_out_shares(
            _row_fingerprints(self.X, self.Y),
            self.Y,
            self.sample_weight,
            validation_fraction,
            random_state,
        )
        train_weight, held_out_weight = part_weights(
            self.sample_weight, share, self.dtype
        )
        held_out = np.flatnonzero(share > 0)
        return (
            InMemoryRows(self.X, self.Y, train_weight, self.loss),
            IndexedRows(self, held_out, held_out_weight[held_out]),
        )


class IndexedRows:
    """The held-out rows ``index`` of an :class:`InMemoryRows` with their held-out
    ``weights``, for early stopping's ``data_loss``: gathered about ``chunk_bytes``
    of ``X`` at a time, not copied whole, the chunks' sums added in index order."""

    def __init__(self, rows, index, weights, chunk_bytes=1 << 24):
        self.rows, self.index, self.weights = rows, index, weights
        self.loss = rows.loss
        self.weight_sum = float(np.sum(weights, dtype=np.float64))
        row_bytes = max(1, rows.n_features * rows.dtype.itemsize)
        self._chunk_rows = max(1, chunk_bytes // row_bytes)

    def _chunks(self):
        X, Y = self.rows.X, self.rows.Y
        for start in range(0, self.index.size, self._chunk_rows):
            part = slice(start, start + self._chunk_rows)
            index = self.index[part]
            yield InMemoryRows(X[index], Y[index], self.weights[part], self.loss)

    def data_loss(self, theta):
        """Σ s_i loss_i over these rows."""
        return sum(chunk.data_loss(theta) for chunk in self._chunks())
