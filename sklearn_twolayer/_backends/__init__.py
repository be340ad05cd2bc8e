"""Backends: where the rows of a fit live, behind one interface.

The estimator has one ``fit`` and one set of prediction methods. What differs with
the kind of input is only *where the rows are* and how a sum over them is computed:
in this process (NumPy arrays and SciPy sparse matrices, :mod:`.in_memory`), in the
row blocks of a Dask array, computed by any Dask scheduler (:mod:`.dask`), or on the
device of an Array API namespace. :func:`backend_for` picks the backend once, at the
top of ``fit`` and of each prediction method; the solver and the estimator never see
blocks, tasks or devices,
and the mathematics (:mod:`sklearn_twolayer.network`) never sees a backend.

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
prediction method for the messages) and leaves it where it lives. ``map_rows``
applies ``function``, a function of validated rows to one result per row (of
``dtype``, ``shape`` per row: ``()``, ``(n,)`` or ``(n, m)``), to X: at once in
memory and on a device, where ``function`` computes in X's namespace; block by
block and lazily on Dask. The estimator's prediction methods and ``transform`` are
such functions over the fitted network (:mod:`sklearn_twolayer._prediction`), the
same for every backend; a new one needs no new entry point.
``fitted_array`` puts a fitted attribute (host NumPy) where the fit's rows live
(an array-API device), or leaves it as it is. ``fitted_classes`` puts the classes
(host NumPy) in ``y``'s namespace and on its device under array API dispatch, as
``LogisticRegression`` keeps them, or leaves them as they are.

``training_rows`` validates the fit input (``reset`` as in ``validate_data``),
encodes the labels and weights with :mod:`sklearn_twolayer._targets` (the same code
for every backend) and returns the :class:`~sklearn_twolayer._targets.Targets` and the
rows of the fit. Given the fit's ``targets``, the input is the fit's validation set
(``X_val``, ``y_val``, ``sample_weight_val``, with ``reset=False``): its labels are
checked against ``targets`` and weighted with its class weights, and the same
``targets`` come back. The rows are an object with::

    n_samples, n_features : int
    dtype : numpy dtype           the computation's, float32 or float64
    weight_sum : float            Σ s_i in float64 (n_samples when unweighted)
    loss : TwoLayerLoss           the network and output the rows are fitted with
    data_loss_gradient(theta)     -> (Σ s_i loss_i, its gradient)
    data_hessian_product(theta)   -> (Σ s_i loss_i, its gradient, hessp)
    data_loss(theta)              -> Σ s_i loss_i
    split(validation_fraction, random_state) -> (train rows, held-out rows)

Early stopping needs only ``loss``, ``weight_sum`` and ``data_loss`` of the
held-out rows.

What crosses the interface: ``theta`` in, as the solver's float64 host vector (the
backend casts it to its dtype and sends it where the rows are); sums out, a Python
float and float64 host vectors of ``theta``'s size. ``hessp(v)`` takes and returns
such vectors. The sums are unnormalised and without the L2 term, so a backend adds
per-block sums and the estimator's objective (:mod:`sklearn_twolayer._objective`)
adds the penalty and divides by ``weight_sum`` once, the same way for all.

Who owns the data: the rows object holds (or, on Dask, references) the validated
data, targets and weights for the duration of the fit; nothing of it is stored on
the estimator. A backend never modifies the caller's arrays and never cancels what
the caller persisted.

What every backend guarantees:

- the sums are those of the in-memory kernel (:meth:`TwoLayerLoss.data_loss_gradient`
  and friends) over the same rows, up to the order of floating-point additions,
  and that order depends only on the data's shape and chunks, never on timing;
- ``split`` holds out exactly the rows, and the parts of their weights, that
  :func:`sklearn_twolayer._split.held_out_shares` gives on the same data, so early
  stopping validates on the same rows everywhere;
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
    """Without dispatch, another namespace's array is read through ``np.asarray``.

    That works for arrays in host memory (torch CPU tensors) and fails, deep inside
    the validation, for arrays on an accelerator (CUDA, MPS, CuPy): say what to do
    instead. ``np.asarray`` of a host array is a view, so checking costs nothing.
    """
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
