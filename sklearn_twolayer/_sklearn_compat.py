"""What the package uses of scikit-learn releases newer than the oldest it supports.

The package runs on scikit-learn 1.6 and later. Two features need scikit-learn 1.9,
and are otherwise refused with an ``ImportError`` naming the release (as
scikit-learn refuses array API dispatch with too old a SciPy):

- the callback API, ``sklearn.callback`` (``set_callbacks``);
- array API dispatch on other libraries' arrays (torch, CuPy, array-api-strict),
  for ``move_to`` (1.8) and ``check_same_namespace`` (1.9). The kernels call both
  on NumPy arrays too: before 1.9, stand-ins leave those as they are.

Everything else (``validate_data``, ``__sklearn_tags__``, the parameter
validation) behaves the same from 1.6. The ``sklearn-compat`` package covers
neither feature.
"""

from functools import cache

import sklearn
from sklearn.utils._array_api import _is_numpy_namespace
from sklearn.utils.fixes import parse_version

__all__ = [
    "ARRAY_API_VERSION",
    "CALLBACK_API_VERSION",
    "check_same_namespace",
    "move_to",
    "require_sklearn",
    "sklearn_at_least",
]

# The release each feature needs.
CALLBACK_API_VERSION = "1.9"
ARRAY_API_VERSION = "1.9"


def sklearn_at_least(version):
    """Whether the installed scikit-learn is ``version`` or later."""
    # Read at each call (tests set sklearn.__version__), parsed once per pair:
    # __sklearn_tags__ asks on every prediction.
    return _version_at_least(sklearn.__version__, version)


@cache
def _version_at_least(installed, version):
    # "1.9.dev0" or "1.9.0rc1" has the 1.9 API.
    installed = parse_version(parse_version(installed).base_version)
    return installed >= parse_version(version)


def require_sklearn(version, feature):
    """Refuse ``feature`` on a scikit-learn older than ``version``.

    Raises
    ------
    ImportError
        Naming the feature, the release it needs and the one installed.
    """
    if not sklearn_at_least(version):
        raise ImportError(
            f"{feature} needs scikit-learn >= {version}; scikit-learn "
            f"{sklearn.__version__} is installed. Upgrade it with "
            f'`pip install "scikit-learn>={version}"`.'
        )


if sklearn_at_least(ARRAY_API_VERSION):
    from sklearn.utils._array_api import check_same_namespace, move_to
else:

    def check_same_namespace(X, estimator, *, attribute, method):
        """Nothing to check: before 1.9 dispatch is refused, so fitted weights are
        NumPy's and any input NumPy can read is accepted."""

    def move_to(*arrays, xp, device):
        """scikit-learn's ``move_to`` before 1.9, where dispatch is refused: the
        arrays are the host's and stay as they are."""
        if not _is_numpy_namespace(xp):  # pragma: no cover (dispatch is refused)
            require_sklearn(ARRAY_API_VERSION, "Moving arrays to another namespace")
        return arrays[0] if len(arrays) == 1 else arrays
