"""What kind of array an input is, without importing the libraries that make them.

Read by :func:`sklearn_twolayer._backends.backend_for` and by the backends; a module
of its own so that no backend imports the package's ``__init__`` (which imports the
backends back).
"""

import sys

import numpy as np

__all__ = ["is_dask_collection", "is_device_array"]


def is_dask_collection(*arrays):
    """Whether any argument is a Dask collection, without ever importing dask.

    A Dask collection can only exist once dask is imported, so an absent module
    means none was passed; the Dask backend is imported only then.
    """
    dask = sys.modules.get("dask")
    return dask is not None and any(dask.is_dask_collection(a) for a in arrays)


def is_device_array(X):
    """An array of a library other than NumPy that exports DLPack (torch, CuPy...).

    (torch tensors have no ``__array_namespace__``; scikit-learn reaches them
    through array-api-compat.)
    """
    return hasattr(X, "__dlpack__") and not isinstance(X, np.ndarray)
