"""The package's version, in a module of its own.

Read by the build (``pyproject.toml``), re-exported as ``sklearn_twolayer.__version__``
and read by the Dask backend's worker check, which cannot import the package's
``__init__`` without an import cycle.
"""

__version__ = "0.1.0"
