"""Saving and loading a fitted model: skops (secure), pickle and joblib.

skops lists the types of a file that it does not trust by default; loading needs the
user to trust them by name. For a saved ``TwoLayerSigmoidClassifier`` that list must be
the class's one public, documented name, ``sklearn_twolayer.TwoLayerSigmoidClassifier``,
and a file whose content was tampered with must be refused.
"""

import io
import json
import pickle
import warnings
import zipfile

import joblib
import numpy as np
import pytest
import sklearn
import sklearn.exceptions
from _fitting import fit_ignoring_convergence_warnings
from _problems import unscaled_iris
from sklearn.base import BaseEstimator
from sklearn.datasets import make_multilabel_classification

import sklearn_twolayer
from sklearn_twolayer import InconsistentVersionWarning, TwoLayerSigmoidClassifier
from sklearn_twolayer._persistence import VersionedStateMixin


@pytest.fixture
def sio():
    """skops.io; the skops tests skip without skops (the pickle ones do not)."""
    return pytest.importorskip("skops.io")


PUBLIC_NAME = "sklearn_twolayer.TwoLayerSigmoidClassifier"


def _fitted(kind, dtype=np.float64, **params):
    X, y = unscaled_iris()
    if kind == "binary":
        y = np.array(["no", "yes"])[(y == 2).astype(int)]
    elif kind == "multilabel":
        X, y = make_multilabel_classification(
            n_samples=100, n_features=4, random_state=0
        )
    X = X.astype(dtype)
    clf = TwoLayerSigmoidClassifier(n_hidden=4, random_state=0, **params)
    return fit_ignoring_convergence_warnings(clf, X, y), X


def _predictions(clf, X):
    return [
        clf.predict(X),
        clf.predict_proba(X),
        clf.predict_log_proba(X),
        clf.decision_function(X),
    ]


def _assert_identical_predictions(restored, clf, X):
    assert type(restored) is TwoLayerSigmoidClassifier
    for got, expected in zip(
        _predictions(restored, X), _predictions(clf, X), strict=True
    ):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)  # bit for bit


def test_the_class_has_its_public_name():
    assert TwoLayerSigmoidClassifier.__module__ == "sklearn_twolayer"
    assert sklearn_twolayer.TwoLayerSigmoidClassifier is TwoLayerSigmoidClassifier


@pytest.mark.parametrize(
    ("kind", "dtype", "params"),
    [
        ("binary", np.float64, {}),
        ("multiclass", np.float32, {"early_stopping": True}),
        ("multilabel", np.float64, {"class_weight": "balanced"}),
    ],
)
def test_skops_round_trip_trusts_one_public_name(sio, kind, dtype, params, tmp_path):
    clf, X = _fitted(kind, dtype, **params)
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    assert sio.get_untrusted_types(file=path) == [PUBLIC_NAME]
    restored = sio.load(path, trusted=[PUBLIC_NAME])
    _assert_identical_predictions(restored, clf, X)
    assert restored.W1_.dtype == dtype
    np.testing.assert_array_equal(restored.classes_, clf.classes_)


def test_skops_refuses_the_model_unless_it_is_trusted(sio, tmp_path):
    clf, _ = _fitted("binary")
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException, match=PUBLIC_NAME):
        sio.load(path)


class _Empty:
    """An object without attributes, whose skops node a test renames."""


def _tampered(payload, edit):
    """A copy of the skops zip ``payload`` with ``edit(name, bytes)`` applied."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(payload)) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for name in source.namelist():
            target.writestr(name, edit(name, source.read(name)))
    return out.getvalue()


def test_skops_refuses_a_type_injected_into_the_schema(sio):
    clf, _ = _fitted("binary")
    payload = sio.dumps(clf)

    def inject(name, content):
        if name != "schema.json":
            return content
        schema = json.loads(content)
        # An attribute replaced by an object whose loading would run code: the
        # node skops writes for an object, renamed to subprocess.Popen.
        with zipfile.ZipFile(io.BytesIO(sio.dumps(_Empty()))) as archive:
            node = json.loads(archive.read("schema.json"))
        node["__module__"], node["__class__"] = "subprocess", "Popen"
        schema["content"]["content"]["solver"] = node
        return json.dumps(schema).encode()

    tampered = _tampered(payload, inject)
    assert "subprocess.Popen" in sio.get_untrusted_types(data=tampered)
    with pytest.raises(
        sio.exceptions.UntrustedTypesFoundException, match=r"subprocess\.Popen"
    ):
        sio.loads(tampered, trusted=[PUBLIC_NAME])


def test_skops_refuses_a_pickled_array_payload(sio):
    clf, _ = _fitted("binary")
    payload = sio.dumps(clf)
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        schema = json.loads(archive.read("schema.json"))
    weights_file = schema["content"]["content"]["W1_"]["file"]

    def swap(name, content):
        if name != weights_file:
            return content
        # An object array: loading it would unpickle, i.e. run, what it holds.
        buffer = io.BytesIO()
        np.save(buffer, np.array([print], dtype=object), allow_pickle=True)
        return buffer.getvalue()

    with pytest.raises(ValueError, match="allow_pickle=False"):
        sio.loads(_tampered(payload, swap), trusted=[PUBLIC_NAME])


@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_pickle_and_joblib_round_trips(how, tmp_path):
    clf, X = _fitted("multiclass", early_stopping=True)
    if how == "pickle":
        payload = pickle.dumps(clf)
        # The stream names the class by its public path, not the private module.
        assert b"sklearn_twolayer._classifier" not in payload
        restored = pickle.loads(payload)
    else:
        joblib.dump(clf, tmp_path / "model.joblib")
        restored = joblib.load(tmp_path / "model.joblib")
    _assert_identical_predictions(restored, clf, X)


def test_a_pickle_naming_the_private_module_still_loads():
    # Models pickled before the class took its public name refer to
    # sklearn_twolayer._classifier, which still defines it.
    clf, X = _fitted("binary")
    payload = pickle.dumps(clf, protocol=0)
    public = b"csklearn_twolayer\nTwoLayerSigmoidClassifier\n"
    assert public in payload
    old = payload.replace(
        public, b"csklearn_twolayer._classifier\nTwoLayerSigmoidClassifier\n"
    )
    _assert_identical_predictions(pickle.loads(old), clf, X)


# -- the versions a saved model was made with (issue 33) ------------------------------
def _save_and_load(how, clf, tmp_path, sio=None):
    """``clf`` saved by ``how`` and loaded back, as two separate steps."""
    if how == "pickle":
        payload = pickle.dumps(clf)
        return lambda: pickle.loads(payload)
    if how == "joblib":
        joblib.dump(clf, tmp_path / "model.joblib")
        return lambda: joblib.load(tmp_path / "model.joblib")
    payload = sio.dumps(clf)
    return lambda: sio.loads(payload, trusted=[PUBLIC_NAME])


HOWS = ["pickle", "joblib", "skops"]


@pytest.fixture
def saver(request, tmp_path):
    """``save(clf)``, which returns ``load()``, for the parametrized ``how``."""
    how = request.getfixturevalue("how")
    sio = pytest.importorskip("skops.io") if how == "skops" else None
    return lambda clf: _save_and_load(how, clf, tmp_path, sio)


@pytest.mark.parametrize("how", HOWS)
def test_a_saved_model_records_the_versions_and_loads_without_a_warning(how, saver):
    clf, X = _fitted("binary")
    state = clf.__getstate__()
    assert state["_sklearn_twolayer_version"] == sklearn_twolayer.__version__
    assert state["_sklearn_version"] == sklearn.__version__
    load = saver(clf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = load()
    # The versions are read from the file, not kept as attributes.
    assert restored.__dict__.keys() == clf.__dict__.keys()
    _assert_identical_predictions(restored, clf, X)


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("other", ["sklearn_twolayer", "sklearn"])
def test_a_model_saved_by_other_versions_warns_when_loaded(
    how, other, saver, monkeypatch
):
    # Nothing was recorded, so a model of another version loaded silently.
    clf, X = _fitted("multiclass")
    module = "sklearn_twolayer._persistence"
    if other == "sklearn_twolayer":
        monkeypatch.setattr(f"{module}.__version__", "0.0.1")
    else:
        monkeypatch.setattr(f"{module}.sklearn.__version__", "1.0.2")
    load = saver(clf)
    monkeypatch.undo()
    with pytest.warns(InconsistentVersionWarning) as record:
        restored = load()
    (warning,) = [w.message for w in record]
    # scikit-learn's class: a filter on it applies to this model too.
    assert isinstance(warning, sklearn.exceptions.InconsistentVersionWarning)
    assert warning.estimator_name == "TwoLayerSigmoidClassifier"
    assert warning.current_version == sklearn_twolayer.__version__
    assert warning.current_sklearn_version == sklearn.__version__
    if other == "sklearn_twolayer":
        assert warning.original_version == "0.0.1"
        assert warning.original_sklearn_version == sklearn.__version__
        assert "saved with sklearn-twolayer 0.0.1 and scikit-learn" in str(warning)
    else:
        assert warning.original_version == sklearn_twolayer.__version__
        assert warning.original_sklearn_version == "1.0.2"
        assert "and scikit-learn 1.0.2 when using" in str(warning)
    assert f"using sklearn-twolayer {sklearn_twolayer.__version__}" in str(warning)
    assert "_sklearn_twolayer_version" not in restored.__dict__
    _assert_identical_predictions(restored, clf, X)


@pytest.mark.parametrize("how", HOWS)
def test_a_model_saved_before_versions_were_recorded_warns(how, saver, monkeypatch):
    # Saved as before this record: BaseEstimator's state, without versions.
    clf, X = _fitted("binary")
    monkeypatch.setattr(VersionedStateMixin, "__getstate__", BaseEstimator.__getstate__)
    load = saver(clf)
    monkeypatch.undo()
    with pytest.warns(InconsistentVersionWarning) as record:
        restored = load()
    (warning,) = [w.message for w in record]
    assert warning.original_version is None
    assert warning.original_sklearn_version is None
    assert (
        "saved with an unrecorded version of sklearn-twolayer and an unrecorded "
        in (str(warning))
    )
    _assert_identical_predictions(restored, clf, X)


def test_loading_leaves_the_given_state_as_it_was():
    clf, _ = _fitted("binary")
    state = clf.__getstate__()
    saved = dict(state)
    restored = TwoLayerSigmoidClassifier.__new__(TwoLayerSigmoidClassifier)
    restored.__setstate__(state)
    assert state.keys() == saved.keys()
