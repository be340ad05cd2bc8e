"""scikit-learn from 1.6: what needs 1.9 is refused before it, the rest is the same.

The refusals are tested on any installed scikit-learn by making it report an older
version (``sklearn.__version__``, which ``_sklearn_compat`` reads at each check);
CI's minimum run (scikit-learn 1.6.0) runs the whole suite on the real thing.
"""

import re
import warnings

import numpy as np
import pytest
import sklearn
from _fitting import fit_ignoring_convergence_warnings
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

import sklearn_twolayer._backends as backends
from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._sklearn_compat import (
    ARRAY_API_VERSION,
    CALLBACK_API_VERSION,
    require_sklearn,
    sklearn_at_least,
)


class _DLPackArray:
    """A host array of "another library": it exports DLPack and is no ndarray."""

    def __init__(self, array):
        self.array = np.asarray(array)
        self.shape, self.dtype, self.ndim = self.array.shape, self.array.dtype, 2

    def __dlpack__(self, **kwargs):
        return self.array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self.array.__dlpack_device__()

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)


def _data(n_classes=2):
    return make_classification(
        n_samples=80, n_features=4, n_informative=3, n_redundant=0,
        n_classes=n_classes, random_state=0,
    )  # fmt: skip


def _parameters(clf):
    return np.concatenate([clf.W1_.ravel(), clf.b1_, clf.W2_.ravel(), clf.b2_])


@pytest.fixture
def sklearn_1_6(monkeypatch):
    monkeypatch.setattr(sklearn, "__version__", "1.6.1")


@pytest.mark.parametrize(
    ("installed", "expected"),
    [("1.6.1", False), ("1.8.0", False), ("1.9.0rc1", True), ("1.9.dev0", True),
     ("1.9.0", True), ("1.10.2", True)],
)  # fmt: skip
def test_version_comparison(monkeypatch, installed, expected):
    monkeypatch.setattr(sklearn, "__version__", installed)
    assert sklearn_at_least("1.9") is expected
    assert sklearn_at_least("1.6")


def test_the_refusal_names_the_feature_and_both_versions(sklearn_1_6):
    message = (
        "set_callbacks needs scikit-learn >= 1.9; scikit-learn 1.6.1 is installed. "
        'Upgrade it with `pip install "scikit-learn>=1.9"`.'
    )
    with pytest.raises(ImportError, match=re.escape(message)):
        require_sklearn("1.9", "set_callbacks")
    require_sklearn("1.6", "anything")  # no error


def test_set_callbacks_is_refused_before_1_9(sklearn_1_6):
    assert CALLBACK_API_VERSION == "1.9"
    message = r"set_callbacks \(sklearn\.callback\) needs scikit-learn >= 1\.9; "
    with pytest.raises(ImportError, match=message + r"scikit-learn 1\.6\.1"):
        TwoLayerSigmoidClassifier().set_callbacks(object())


def test_fit_without_the_callback_api_is_the_same_fit(monkeypatch):
    """Before 1.9 the fit runs with no callback context, to the same weights."""
    X, y = _data()
    params = {"n_hidden": 3, "max_iter": 30, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = TwoLayerSigmoidClassifier(**params).fit(X, y)
        monkeypatch.setattr(sklearn, "__version__", "1.6.1")
        old = TwoLayerSigmoidClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(_parameters(old), _parameters(reference))
    assert old.n_iter_ == reference.n_iter_
    assert old.loss_curve_ == reference.loss_curve_


def test_array_api_dispatch_is_refused_before_1_9(sklearn_1_6, monkeypatch):
    assert ARRAY_API_VERSION == "1.9"
    # Dispatch on (sklearn itself refuses to enable it without array-api-compat
    # and SciPy >= 1.14, so the configuration is patched where backend_for reads it).
    monkeypatch.setattr(backends, "get_config", lambda: {"array_api_dispatch": True})
    X, y = _data()
    clf = TwoLayerSigmoidClassifier(n_hidden=2)
    with pytest.raises(
        ImportError,
        match=r"Array API dispatch on non-NumPy arrays needs scikit-learn >= 1\.9; "
        r"scikit-learn 1\.6\.1 is installed",
    ):
        clf.fit(_DLPackArray(X), y)
    assert not hasattr(clf, "W1_")  # nothing of the refused fit remains


def test_without_dispatch_other_arrays_are_read_through_numpy(sklearn_1_6):
    """The refusal is for dispatch only: a host array NumPy can read still fits."""
    X, y = _data()
    params = {"n_hidden": 2, "max_iter": 20, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        other = TwoLayerSigmoidClassifier(**params).fit(_DLPackArray(X), y)
        reference = TwoLayerSigmoidClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(_parameters(other), _parameters(reference))
    np.testing.assert_array_equal(
        other.predict_proba(_DLPackArray(X)), reference.predict_proba(X)
    )


def test_array_api_support_tag_follows_the_version(monkeypatch):
    clf = TwoLayerSigmoidClassifier()
    assert clf.__sklearn_tags__().array_api_support is sklearn_at_least("1.9")
    monkeypatch.setattr(sklearn, "__version__", "1.8.0")
    assert clf.__sklearn_tags__().array_api_support is False


def test_a_device_fitted_model_is_refused_before_1_9(sklearn_1_6):
    """A model fitted on a device (unpickled from a 1.9 environment) cannot be
    brought to the host without scikit-learn 1.9's move_to: say so."""
    X, y = _data()
    clf = TwoLayerSigmoidClassifier(n_hidden=2, max_iter=5, random_state=0)
    fit_ignoring_convergence_warnings(clf, X, y)
    clf.W1_ = _DLPackArray(clf.W1_)
    with pytest.raises(
        ImportError,
        match=r"A model fitted on an array API device needs scikit-learn >= 1\.9",
    ):
        clf.predict(X)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_balanced_class_weight_is_the_same_before_1_7(monkeypatch, n_classes):
    """1.6's compute_class_weight has no sample_weight; the weighted "balanced"
    weights are computed by its formula instead, to the same fit."""
    X, y = _data(n_classes)
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, y.size)
    params = {"n_hidden": 3, "max_iter": 20, "random_state": 0}
    params["class_weight"] = "balanced"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = TwoLayerSigmoidClassifier(**params).fit(X, y, sample_weight)
        monkeypatch.setattr(sklearn, "__version__", "1.6.1")
        old = TwoLayerSigmoidClassifier(**params).fit(X, y, sample_weight)
    np.testing.assert_array_equal(_parameters(old), _parameters(reference))
