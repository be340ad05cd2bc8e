"""The versions a saved model was made with, and the warning when they differ.

scikit-learn records its version in the state of its own estimators (``sklearn.*``
classes only) and warns with :class:`~sklearn.exceptions.InconsistentVersionWarning`
when another version loads one. :class:`VersionedStateMixin` does the same for this
package's estimator, with both packages' versions: pickle, joblib,
``copy.deepcopy`` and ``skops.io`` all go through ``__getstate__`` and
``__setstate__``.
"""

import warnings

import sklearn
from sklearn.exceptions import InconsistentVersionWarning as _SklearnVersionWarning

from ._version import __version__

__all__ = ["InconsistentVersionWarning", "VersionedStateMixin"]

# The keys of the versions in the saved state (scikit-learn's: its own name).
_VERSION_KEY = "_sklearn_twolayer_version"
_SKLEARN_VERSION_KEY = "_sklearn_version"


class InconsistentVersionWarning(_SklearnVersionWarning):
    """Warning raised when a model is loaded with other versions than it was saved.

    A subclass of scikit-learn's
    :class:`~sklearn.exceptions.InconsistentVersionWarning` (its filters apply),
    emitted when a saved :class:`~sklearn_twolayer.TwoLayerSigmoidClassifier` is
    loaded under other versions of sklearn-twolayer or scikit-learn. It may fail or
    predict other values: refit it, or load it with the versions that saved it.

    Parameters
    ----------
    estimator_name : str
        The estimator's class name.
    current_version : str
        sklearn-twolayer's version now.
    original_version : str or None
        sklearn-twolayer's version that saved the model; None for a model saved
        before the versions were recorded.
    current_sklearn_version : str
        scikit-learn's version now.
    original_sklearn_version : str or None
        scikit-learn's version that saved the model; None where not recorded.

    Examples
    --------
    >>> import pickle
    >>> import warnings
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_twolayer import InconsistentVersionWarning
    >>> from sklearn_twolayer import TwoLayerSigmoidClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = TwoLayerSigmoidClassifier(n_hidden=2, max_iter=5, random_state=0)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # (not converged)
    ...     payload = pickle.dumps(clf.fit(X, y))
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", InconsistentVersionWarning)
    ...     restored = pickle.loads(payload)  # the same versions: no warning
    """

    def __init__(
        self,
        *,
        estimator_name,
        current_version,
        original_version,
        current_sklearn_version,
        original_sklearn_version,
    ):
        super().__init__(
            estimator_name=estimator_name,
            current_sklearn_version=current_sklearn_version,
            original_sklearn_version=original_sklearn_version,
        )
        self.current_version = current_version
        self.original_version = original_version

    def __str__(self):
        def named(version, package):
            if version is None:
                return f"an unrecorded version of {package}"
            return f"{package} {version}"

        original = (
            f"{named(self.original_version, 'sklearn-twolayer')} and "
            f"{named(self.original_sklearn_version, 'scikit-learn')}"
        )
        return (
            f"Trying to unpickle estimator {self.estimator_name} saved with "
            f"{original} when using sklearn-twolayer {self.current_version} and "
            f"scikit-learn {self.current_sklearn_version}. This might lead to "
            "breaking code or invalid results. Use at your own risk: refit the "
            "model, or load it with the versions that saved it. For more info "
            "please refer to:\n"
            "https://scikit-learn.org/stable/model_persistence.html"
            "#security-maintainability-limitations"
        )


class VersionedStateMixin:
    """Records the versions in the saved state and warns when a load differs; placed
    before :class:`~sklearn.base.BaseEstimator`, whose state methods it extends."""

    def __getstate__(self):
        state = super().__getstate__()
        return {
            **state,
            _VERSION_KEY: __version__,
            _SKLEARN_VERSION_KEY: sklearn.__version__,
        }

    def __setstate__(self, state):
        state = dict(state)  # the caller's dictionary stays as it was
        original_version = state.pop(_VERSION_KEY, None)
        original_sklearn_version = state.pop(_SKLEARN_VERSION_KEY, None)
        if (original_version, original_sklearn_version) != (
            __version__,
            sklearn.__version__,
        ):
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_version=__version__,
                    original_version=original_version,
                    current_sklearn_version=sklearn.__version__,
                    original_sklearn_version=original_sklearn_version,
                ),
                stacklevel=2,
            )
        super().__setstate__(state)
