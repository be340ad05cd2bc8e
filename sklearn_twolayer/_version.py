"""The package's version, in a module of its own.

Read by the build (``pyproject.toml``), re-exported as ``sklearn_twolayer.__version__``
and read by ``show_versions`` and by ``_persistence``, which records it in a saved
model's state and cannot import the package's ``__init__`` without an import cycle.
"""

__version__ = "0.1.0"
