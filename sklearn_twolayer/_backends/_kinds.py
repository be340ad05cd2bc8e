"""What kind of array an input is, without importing the libraries that make them.

A module of its own so that the backends need not import the package's ``__init__``
(which imports them back).
"""

import sys

import numpy as np

__all__ = ["is_dask_collection", "is_device_array"]


def is_dask_collection(*arrays):
    """Whether any argument is a Dask collection, without importing dask (without
    the module loaded, none can exist)."""
    dask = sys.modules.get("dask")
    return dask is not None and any(dask.is_dask_collection(a) for a in arrays)


def is_device_array(X):
    """An array of a library other than NumPy that exports DLPack (torch, CuPy...):
    torch tensors have no ``__array_namespace__``."""
    return hasattr(X, "__dlpack__") and not isinstance(X, np.ndarray)
