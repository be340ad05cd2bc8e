"""Backends: where the rows of a fit live, behind one interface.

Only *where the rows are* and how a sum over them is computed depend on the input:
in this process (NumPy arrays, SciPy sparse matrices: :mod:`.in_memory`), in a Dask
array's row blocks on any scheduler (:mod:`.dask`), or on an Array API namespace's
device (:mod:`.array_api`). :func:`backend_for` picks the backend at the top of
``fit`` and of each prediction method; the solver and the estimator never see
blocks, tasks or devices, and the mathematics (:mod:`sklearn_twolayer.network`)
never sees a backend.

The interface
-------------
A backend is a module with these five functions (``tests/test_architecture.py``
checks each backend against this list)::

    training_rows(estimator, X, y, sample_weight, *, reset, n_hidden, targets=None)
        -> (targets, rows)
    prediction_input(estimator, X, method) -> X validated for ``method``
    map_rows(function, X, *, dtype, shape) -> function's rows for X, in X's kind
    fitted_array(rows, array) -> a fitted attribute in the kind of the fit's X
    fitted_classes(y, classes) -> classes_ where LogisticRegression keeps them

``prediction_input`` validates X against the fitted estimator (``method`` names the
method in messages) and leaves it where it lives. ``map_rows`` applies ``function``,
from validated rows to one result per row (of ``dtype``, ``shape`` per row: ``()``,
``(n,)`` or ``(n, m)``; the prediction methods of :mod:`sklearn_twolayer._prediction`,
the same for every backend), at once in memory and on a device, lazily per block on
Dask. ``fitted_array`` and ``fitted_classes`` put a fitted attribute and the classes
(host NumPy) where the fit's rows and ``y`` live under array API dispatch (the
classes as ``LogisticRegression`` keeps them), or leave them as they are.

``training_rows`` validates the fit input (``reset`` as in ``validate_data``),
encodes labels and weights with :mod:`sklearn_twolayer._targets` and returns the
:class:`~sklearn_twolayer._targets.Targets` and the rows. Given the fit's
``targets``, the input is its validation set (``reset=False``): its labels are
checked against them, weighted with their class weights, and the same ``targets``
come back. The rows are an object with::

    n_samples, n_features : int
    dtype : numpy dtype           the computation's, float32 or float64
    weight_sum : float            Σ s_i in float64 (n_samples when unweighted)
    loss : TwoLayerLoss           the network and output the rows are fitted with
    data_loss_gradient(theta)     -> (Σ s_i loss_i, its gradient)
    data_hessian_product(theta)   -> (Σ s_i loss_i, its gradient, hessp)
    data_loss(theta)              -> Σ s_i loss_i
    split(validation_fraction, random_state) -> (train rows, held-out rows)

Held-out rows need only ``loss``, ``weight_sum`` and ``data_loss``. ``theta`` comes
in as the solver's float64 host vector (the backend casts and moves it); the sums go
out as a float and float64 host vectors, as ``hessp(v)`` takes and returns, summed
per block, unnormalised and without the L2 term: the objective
(:mod:`sklearn_twolayer._objective`) adds the penalty and divides by ``weight_sum``.
The rows object holds (on Dask, references) the data for the fit; nothing of it is
stored on the estimator, and a backend never modifies the caller's arrays nor
cancels what the caller persisted. Every backend guarantees:

- the in-memory kernel's sums (:meth:`TwoLayerLoss.data_loss_gradient` and friends)
  over the same rows, up to an order of additions fixed by the data's shape and
  chunks, never by timing;
- ``split`` holds out exactly the rows, and weight parts, that
  :func:`sklearn_twolayer._split.held_out_shares` gives on the same data;
- bad input is rejected with the in-memory path's message.
"""

import numpy as np
from sklearn import get_config

from .._sklearn_compat import ARRAY_API_VERSION, require_sklearn
from ._kinds import is_dask_collection, is_device_array

__all__ = ["backend_for", "is_dask_collection"]


def backend_for(X):
    """The backend module for rows given as ``X`` (imported on first use)."""
    if is_dask_collection(X):
        from . import dask

        return dask
    if is_device_array(X):
        if get_config()["array_api_dispatch"]:
            require_sklearn(ARRAY_API_VERSION, "Array API dispatch on non-NumPy arrays")
            from . import array_api

            if array_api.is_array_api_input(X):
                return array_api
        _check_numpy_can_read(X)
    from . import in_memory

    return in_memory


def _check_numpy_can_read(X):
    """Without dispatch, another namespace's array is read by ``np.asarray``, which
    fails deep in validation for accelerator arrays (CUDA, MPS, CuPy): say what to
    do instead. For a host array (torch CPU tensors) it is a view: a free check."""
    try:
        np.asarray(X)
    except (TypeError, RuntimeError, ValueError) as error:
        raise TypeError(
            f"X is a {type(X).__module__}.{type(X).__name__} on device "
            f"{getattr(X, 'device', '?')!s} that NumPy cannot read ({error}). To fit "
            "and predict on its device, enable scikit-learn's array API dispatch: "
            "`with sklearn.config_context(array_api_dispatch=True): ...` (with the "
            "environment variable SCIPY_ARRAY_API=1 set before SciPy is imported); "
            "or move X to the host first."
        ) from error
