"""pytest configuration for the whole checkout, the package's doctests included."""

import importlib.util
import sys
from pathlib import Path

from sklearn_twolayer._sklearn_compat import (
    ARRAY_API_VERSION,
    CALLBACK_API_VERSION,
    sklearn_at_least,
)

# Modules whose doctests cannot run here, as the ends of their paths: they match
# the checkout's files and the installed package's, when CI runs the tests against
# the wheel installed in site-packages (outside this directory).
_NOT_COLLECTED = []
# Dask support is an optional extra (``pip install -e ".[test,dask]"``). Without it
# its module cannot be imported, so ``--doctest-modules`` must not collect it; the
# Dask tests skip themselves with the reason.
if not (importlib.util.find_spec("dask") and importlib.util.find_spec("distributed")):
    _NOT_COLLECTED.append("sklearn_twolayer/_backends/dask.py")
# Likewise the ONNX converter, which needs the onnx extra (skl2onnx, onnxruntime).
if not (
    importlib.util.find_spec("skl2onnx") and importlib.util.find_spec("onnxruntime")
):
    _NOT_COLLECTED.append("sklearn_twolayer/onnx.py")
# The array API backend and the callback bridge's example need a newer
# scikit-learn than the oldest supported (sklearn_twolayer/_sklearn_compat.py).
if not sklearn_at_least(ARRAY_API_VERSION):
    _NOT_COLLECTED.append("sklearn_twolayer/_backends/array_api.py")
if not sklearn_at_least(CALLBACK_API_VERSION):
    _NOT_COLLECTED.append("sklearn_twolayer/_callbacks.py")
# The mutation runner is a script for Python 3.11+ (tomllib), with no doctests.
if sys.version_info < (3, 11):
    _NOT_COLLECTED.append("tests/mutate_decorated.py")


class _IgnoreUnavailable:
    """A plugin, not this conftest's own hook: a conftest's collection hooks apply
    only below its directory, and the installed package lies outside it."""

    @staticmethod
    def pytest_ignore_collect(collection_path):
        if collection_path.as_posix().endswith(tuple(_NOT_COLLECTED)):
            return True
        return None


def pytest_configure(config):
    config.pluginmanager.register(_IgnoreUnavailable(), "sklearn_twolayer_ignore")


def pytest_report_header(config):
    """Which package the run tests (a checkout, or the wheel in site-packages)."""
    import numpy
    import scipy
    import sklearn

    import sklearn_twolayer

    return [
        f"sklearn_twolayer {sklearn_twolayer.__version__} imported from "
        f"{Path(sklearn_twolayer.__file__).resolve().parent}",
        f"numpy {numpy.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}",
    ]
