"""The ONNX converter checked by running its graphs in onnxruntime.

Every graph is compared with the estimator it was converted from: the labels must be
``predict``'s and the probabilities within 1e-5 (single-precision graph) or 1e-10
(double-precision graph) of ``predict_proba`` computed in float64. The tolerances are
the issue's; the errors measured are 8e-8 to 7e-6 (float: float32 rounding, which
grows with the weights) and 1e-16 to 5e-15 (double).

Needs the ``onnx`` extra (skl2onnx and onnxruntime); without it the module is skipped.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier

skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")
import sklearn_twolayer.onnx  # noqa: E402  (registers the converter)

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}
DTYPES = [np.float32, np.float64]


def run(onx, **inputs):
    """The outputs of the graph ``onx`` in onnxruntime, as a dict by output name."""
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, inputs), strict=True))


def export(model, X, dtype):
    """(label, probabilities) of ``model`` converted with a sample of ``X``'s rows."""
    onx = skl2onnx.to_onnx(model, X[:1].astype(dtype), options={"zipmap": False})
    outputs = run(onx, X=X.astype(dtype))
    return outputs["label"], outputs["probabilities"]


def fitted_pipeline(X, y, **params):
    params = {"n_hidden": 16, "random_state": 0, **params}
    pipe = make_pipeline(StandardScaler(), TwoLayerSigmoidClassifier(**params))
    with warnings.catch_warnings():
        # The parity checked here does not depend on convergence.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return pipe.fit(X, y)


def _iris_with_string_labels():
    X, y = load_iris(return_X_y=True)
    return X, np.array(["setosa", "versicolor", "virginica"])[y]


DATA_SETS = {
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "iris_strings": _iris_with_string_labels,
    "digits": lambda: load_digits(return_X_y=True),
    "multilabel": lambda: make_multilabel_classification(
        n_samples=300, n_features=10, n_classes=4, random_state=0
    ),
}


@pytest.fixture(scope="module", params=list(DATA_SETS))
def data_set(request):
    X, y = DATA_SETS[request.param]()
    return request.param, X, y, fitted_pipeline(X, y)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bundled_data_sets_match_predict_and_predict_proba(data_set, dtype):
    name, X, _, pipe = data_set
    label, proba = export(pipe, X, dtype)
    expected_proba = pipe.predict_proba(X)
    assert proba.dtype == dtype  # float64 sample -> double graph
    assert proba.shape == expected_proba.shape
    assert np.abs(proba - expected_proba).max() <= TOLERANCE[dtype]
    expected_label = pipe.predict(X)
    assert label.shape == expected_label.shape
    assert np.array_equal(label, expected_label)
    if name == "iris_strings":
        assert label.dtype == object and set(label) <= {"setosa", "versicolor"} | {
            "virginica"
        }
    if name == "multilabel":
        assert label.dtype == np.int64 and set(np.unique(label)) <= {0, 1}


# -- options -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def string_binary():
    X, y = load_breast_cancer(return_X_y=True)
    return X, fitted_pipeline(X, np.array(["benign", "malignant"])[1 - y], n_hidden=4)


def test_default_zipmap_gives_one_dict_per_row(string_binary):
    X, pipe = string_binary
    X = X.astype(np.float32)  # ONNX's ZipMap takes float probabilities only
    onx = skl2onnx.to_onnx(pipe, X[:1])
    outputs = run(onx, X=X[:20])
    assert np.array_equal(outputs["output_label"], pipe.predict(X[:20]))
    proba = pipe.predict_proba(X[:20])
    assert len(outputs["output_probability"]) == 20
    for row, expected in zip(outputs["output_probability"], proba, strict=True):
        assert list(row) == ["benign", "malignant"]
        assert np.abs(np.array(list(row.values())) - expected).max() <= 1e-5


def test_zipmap_columns_gives_one_output_per_class(string_binary):
    X, pipe = string_binary
    outputs = run(skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": "columns"}), X=X)
    proba = pipe.predict_proba(X)
    assert np.abs(outputs["sbenign"] - proba[:, 0]).max() <= 1e-10
    assert np.abs(outputs["smalignant"] - proba[:, 1]).max() <= 1e-10


def test_output_class_labels_and_nocl(string_binary):
    X, pipe = string_binary
    options = {"zipmap": False, "output_class_labels": True}
    outputs = run(skl2onnx.to_onnx(pipe, X[:1], options=options), X=X)
    assert list(outputs["class_labels"]) == ["benign", "malignant"]
    # nocl: the labels are the class indices.
    options = {"zipmap": False, "nocl": True}
    outputs = run(skl2onnx.to_onnx(pipe, X[:1], options=options), X=X)
    expected = np.searchsorted(pipe.classes_, pipe.predict(X))
    assert outputs["label"].dtype == np.int64
    assert np.array_equal(outputs["label"], expected)


def test_multilabel_labels_are_declared_as_a_matrix():
    X, Y = DATA_SETS["multilabel"]()
    pipe = fitted_pipeline(X, Y, n_hidden=4)
    onx = skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False})
    label_type = onx.graph.output[0].type.tensor_type
    assert [d.dim_value for d in label_type.shape.dim] == [0, Y.shape[1]]
    assert label_type.elem_type == 7  # int64


# -- inputs and pipelines ------------------------------------------------------------
def test_integer_input_and_integer_labels():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 5, size=(60, 3))
    y = np.array([3, 7])[(X[:, 0] > 2).astype(int)]
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0).fit(X, y)
    outputs = run(skl2onnx.to_onnx(clf, X[:1], options={"zipmap": False}), X=X)
    assert np.array_equal(outputs["label"], clf.predict(X))
    assert outputs["probabilities"].dtype == np.float32  # int64 input: float graph
    assert np.abs(outputs["probabilities"] - clf.predict_proba(X)).max() <= 1e-5


def test_column_transformer_pipeline_on_a_dataframe():
    pd = pytest.importorskip("pandas")
    X, y = _iris_with_string_labels()
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    pipe = make_pipeline(
        ColumnTransformer(
            [
                ("lengths", StandardScaler(), ["sl", "pl"]),
                ("widths", "passthrough", [1, 3]),
            ]
        ),
        TwoLayerSigmoidClassifier(n_hidden=6, random_state=0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(frame, y)
    # One graph input per column, in double precision (float64 columns).
    onx = skl2onnx.to_onnx(pipe, frame[:1], options={"zipmap": False})
    assert [i.name for i in onx.graph.input] == list(frame.columns)
    outputs = run(onx, **{c: frame[[c]].to_numpy() for c in frame.columns})
    assert np.array_equal(outputs["label"], pipe.predict(frame))
    assert np.abs(outputs["probabilities"] - pipe.predict_proba(frame)).max() <= 1e-10


# -- saturation: logits of ±50 and far beyond ------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_saturated_logits_stay_finite_and_exact(kind, dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    targets = {
        "binary": (X[:, 0] > 0).astype(int),
        "multiclass": np.digitize(X[:, 0], [-0.5, 0.5]),
        "multilabel": np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int),
    }
    # weakly penalised (MLPClassifier's alpha): a confident fit, as this test was
    # written for; at the default alpha=2 float32's multiclass error is 2.2e-5
    clf = TwoLayerSigmoidClassifier(n_hidden=4, alpha=1e-4, random_state=0)
    clf.fit(X, targets[kind])
    for shift in (50.0, 120.0, 800.0, 1e4):
        # Shifting the output biases moves every logit by ±shift: the first output
        # far down, the others (binary: its only output) far up.
        clf.b2_ = clf.b2_ + np.where(np.arange(clf.b2_.size) == 0, -shift, shift)
        expected = clf.predict_proba(X)
        outputs = run(
            skl2onnx.to_onnx(clf, X[:1].astype(dtype), options={"zipmap": False}),
            X=X.astype(dtype),
        )
        proba = outputs["probabilities"]
        assert np.all(np.isfinite(proba))
        assert np.all(proba[expected == 0] == 0)
        assert np.all(proba[expected == 1] == 1)
        assert np.abs(proba - expected).max() <= TOLERANCE[dtype]
        assert np.array_equal(outputs["label"], clf.predict(X))
        # No cancellation: a probability the dtype can hold is not rounded to 0
        # (1 − σ(a) would give exactly 0 from a ≈ 37 in float64, 17 in float32).
        tiny = np.finfo(dtype).tiny
        assert np.all(proba[expected >= tiny] > 0)
        if dtype == np.float64:
            held = expected >= tiny
            assert np.allclose(proba[held], expected[held], rtol=1e-10, atol=0)
        clf.b2_ = clf.b2_ - np.where(np.arange(clf.b2_.size) == 0, -shift, shift)


# -- random networks ------------------------------------------------------------------
@given(
    kind=st.sampled_from(["binary", "multiclass", "multilabel"]),
    string_labels=st.booleans(),
    n_features=st.integers(1, 6),
    n_hidden=st.integers(1, 6),
    n_classes=st.integers(3, 5),
    n_rows=st.integers(1, 12),
    scale=st.sampled_from([0.1, 1.0, 10.0, 30.0]),
    seed=st.integers(0, 2**16),
)
def test_random_networks_match_the_estimator(
    kind, string_labels, n_features, n_hidden, n_classes, n_rows, scale, seed
):
    rng = np.random.default_rng(seed)
    X_fit = rng.normal(size=(30, n_features))
    if kind == "multilabel":
        y = np.arange(30)[:, None] >> np.arange(n_classes - 1) & 1  # every label 0/1
    else:
        y = np.arange(30) % (2 if kind == "binary" else n_classes)
        if string_labels:
            y = np.array([f"class {i}" for i in range(n_classes)])[y]
    clf = TwoLayerSigmoidClassifier(n_hidden=n_hidden, max_iter=3, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_fit, y)
    # Random weights of the chosen size, so that logits reach far into saturation.
    for attribute in ("W1_", "b1_", "W2_", "b2_"):
        setattr(clf, attribute, scale * rng.normal(size=getattr(clf, attribute).shape))
    X = 3 * rng.normal(size=(n_rows, n_features))
    expected_proba, expected_label = clf.predict_proba(X), clf.predict(X)
    logits = clf.decision_function(X).reshape(n_rows, -1)
    if clf.out_activation_ == "softmax":
        top_two = np.sort(logits, axis=1)[:, -2:]
        margin = top_two[:, 1] - top_two[:, 0]
    else:
        margin = np.abs(logits).min(axis=1)
    for dtype in DTYPES:
        label, proba = export(clf, X, dtype)
        assert proba.shape == expected_proba.shape
        assert np.all(np.isfinite(proba))
        assert np.abs(proba - expected_proba).max() <= TOLERANCE[dtype]
        # A row whose logits are within the dtype's rounding of a tie can be decided
        # either way by the order of a sum; every other row must agree.
        clear = margin > (1e-3 if dtype == np.float32 else 1e-9)
        assert np.array_equal(label[clear], expected_label[clear])


# -- the optional dependency ---------------------------------------------------------
def test_importing_the_package_does_not_import_skl2onnx():
    code = (
        "import sys, sklearn_twolayer; "
        "assert 'skl2onnx' not in sys.modules and 'onnxruntime' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_converter_is_registered_under_its_alias():
    from skl2onnx._supported_operators import sklearn_operator_name_map

    alias = sklearn_operator_name_map[TwoLayerSigmoidClassifier]
    assert alias == sklearn_twolayer.onnx.ALIAS


# -- labels: predict's, dtype included (issue 20) ------------------------------------
LABELS = {
    "bool": np.array([False, True, True]),
    "float64": np.array([-1.0, 2.0, 7.0]),
    "float32": np.array([0.0, 3.0, 5.0], dtype=np.float32),
    "uint64 beyond int64": np.array([3, 2**63, 2**64 - 1], dtype=np.uint64),
    "uint8": np.array([0, 7, 255], dtype=np.uint8),
    "int8": np.array([-128, 0, 127], dtype=np.int8),
    "int32": np.array([-5, 0, 2**31 - 1], dtype=np.int32),
    "int64": np.array([-(2**63), 0, 2**62], dtype=np.int64),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("kind", list(LABELS))
def test_labels_are_predicts_in_its_dtype(kind, n_classes, dtype):
    # The graph returned bool and float labels as int64, and uint64 labels of
    # 2**63 and more wrapped to negative int64.
    X, y = load_iris(return_X_y=True)
    y = np.minimum(y, n_classes - 1)
    classes = LABELS[kind][-n_classes:] if kind != "bool" else LABELS[kind][:2]
    labels = classes[np.minimum(y, classes.size - 1)]
    clf = fitted_pipeline(X, labels, n_hidden=4)
    label, _ = export(clf, X, dtype)
    expected = clf.predict(X)
    assert label.dtype == expected.dtype
    np.testing.assert_array_equal(label, expected)


@pytest.mark.parametrize("zipmap", [True, "columns"])
@pytest.mark.parametrize("kind", ["bool", "float64", "uint8"])
def test_zipmap_labels_are_int64_keys_of_predicts_values(kind, zipmap):
    # ZipMap's dictionaries are keyed by int64 (or strings), and skl2onnx casts
    # the labels beside them to int64: the values are predict's.
    X, y = load_iris(return_X_y=True)
    X = X.astype(np.float32)  # ZipMap takes float probabilities only
    clf = fitted_pipeline(X, LABELS[kind][np.minimum(y, 1)], n_hidden=4)
    outputs = run(skl2onnx.to_onnx(clf, X[:1], options={"zipmap": zipmap}), X=X)
    assert outputs["output_label"].dtype == np.int64
    np.testing.assert_array_equal(outputs["output_label"], clf.predict(X))


def test_zipmap_refuses_uint64_labels_beyond_int64():
    X, y = load_iris(return_X_y=True)
    X = X.astype(np.float32)
    clf = fitted_pipeline(X, LABELS["uint64 beyond int64"][y], n_hidden=4)
    with pytest.raises(ValueError, match=r"options=\{'zipmap': False\}"):
        skl2onnx.to_onnx(clf, X[:1])
    label, _ = export(clf, X, np.float32)  # without ZipMap: predict's labels
    np.testing.assert_array_equal(label, clf.predict(X))


@pytest.mark.parametrize("zipmap", [False, True])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_fit_on_torch_tensors_converts_as_a_numpy_fit(zipmap, n_classes):
    # Under array API dispatch classes_ lives in y's namespace (as
    # LogisticRegression's) and the weights on X's device: the converter reads a
    # host copy, and options given for the model itself still apply.
    torch = pytest.importorskip("torch")
    from sklearn import config_context

    X, y = load_iris(return_X_y=True)
    X, y = X.astype(np.float32), np.minimum(y, n_classes - 1)
    with config_context(array_api_dispatch=True):
        clf = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0)
        clf.fit(torch.asarray(X), torch.asarray(y))
        expected = clf.predict(torch.asarray(X)).numpy()
    assert isinstance(clf.classes_, torch.Tensor)
    onx = skl2onnx.to_onnx(clf, X[:1], options={id(clf): {"zipmap": zipmap}})
    outputs = run(onx, X=X)
    label = outputs["output_label" if zipmap else "label"]
    assert label.dtype == expected.dtype
    np.testing.assert_array_equal(label, expected)
    assert isinstance(clf.classes_, torch.Tensor)  # the model itself is unchanged
