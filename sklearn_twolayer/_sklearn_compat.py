"""What the package uses of scikit-learn releases newer than the oldest it supports.

The package runs on scikit-learn 1.6 and later. Two features need a newer release,
and are enabled when it is installed, otherwise refused with an ``ImportError``
that names the release needed (as scikit-learn refuses array API dispatch with too
old a SciPy):

- the callback API, ``sklearn.callback`` (``set_callbacks``): scikit-learn 1.9;
- array API dispatch on arrays of another library (torch, CuPy, array-api-strict):
  scikit-learn 1.9, for ``move_to`` (1.8) and ``check_same_namespace`` (1.9).
  The kernels call both on NumPy arrays too: before 1.9 they are stand-ins that
  leave NumPy arrays as they are (the only arrays that reach them there).

Everything else (``validate_data``, ``__sklearn_tags__``, the parameter
validation) exists from 1.6 and behaves the same there. The few lines below are
this package's own rather than the ``sklearn-compat`` package's, which covers
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

    Examples
    --------
    >>> from sklearn_twolayer._sklearn_compat import require_sklearn
    >>> require_sklearn("1.6", "this package")
    >>> require_sklearn("99.0", "time travel")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ImportError: time travel needs scikit-learn >= 99.0; scikit-learn ...
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
        """Nothing to check: before scikit-learn 1.9 no fit runs on another
        namespace (array API dispatch is refused), so fitted weights are NumPy's
        and any input NumPy can read is accepted, as without dispatch."""

    def move_to(*arrays, xp, device):
        """scikit-learn's ``move_to`` where only NumPy is reached: before 1.9 the
        arrays are the host's (dispatch is refused), so they stay as they are."""
        if not _is_numpy_namespace(xp):  # pragma: no cover (dispatch is refused)
            require_sklearn(ARRAY_API_VERSION, "Moving arrays to another namespace")
        return arrays[0] if len(arrays) == 1 else arrays
