"""The ONNX converter checked by running its graphs in onnxruntime.

Every graph is compared with the estimator it was converted from: the labels must be
``predict``'s and the probabilities within 1e-5 (single-precision graph) or 1e-10
(double-precision graph) of ``predict_proba`` computed in float64. The tolerances are
the issue's; the errors measured are 8e-8 to 7e-6 (float: float32 rounding, which
grows with the weights) and 1e-16 to 5e-15 (double).

Needs the ``onnx`` extra (skl2onnx and onnxruntime); without it the module is skipped.
"""

import importlib
import itertools
import subprocess
import sys

import numpy as np
import pytest
from _fitting import fit_ignoring_convergence_warnings
from _problems import (
    IRIS_SPECIES,
    iris_with_species_names,
    standardized_iris,
    unscaled_iris,
)
from hypothesis import given
from hypothesis import strategies as st
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    make_multilabel_classification,
)
from sklearn.decomposition import PCA
from sklearn.ensemble import BaggingClassifier, StackingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline, make_union
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
    # The parity checked here does not depend on convergence.
    return fit_ignoring_convergence_warnings(pipe, X, y)


DATA_SETS = {
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "iris_strings": iris_with_species_names,
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
    X, y = iris_with_species_names()
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
    fit_ignoring_convergence_warnings(pipe, frame, y)
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
    fit_ignoring_convergence_warnings(clf, X_fit, y)
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
    X, y = unscaled_iris()
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
    X, y = unscaled_iris()
    X = X.astype(np.float32)  # ZipMap takes float probabilities only
    clf = fitted_pipeline(X, LABELS[kind][np.minimum(y, 1)], n_hidden=4)
    outputs = run(skl2onnx.to_onnx(clf, X[:1], options={"zipmap": zipmap}), X=X)
    assert outputs["output_label"].dtype == np.int64
    np.testing.assert_array_equal(outputs["output_label"], clf.predict(X))


def test_zipmap_refuses_uint64_labels_beyond_int64():
    X, y = unscaled_iris()
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

    X, y = unscaled_iris()
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


# -- raw_scores and CalibratedClassifierCV (issue 33) ----------------------------------
def _expected_scores(clf, X, raw_scores):
    """predict_proba, or the raw scores: decision_function, binary as [−a2, a2]."""
    if not raw_scores:
        return clf.predict_proba(X)
    logits = clf.decision_function(X)
    return np.column_stack([-logits, logits]) if logits.ndim == 1 else logits


def _fitted_network(kind, **params):
    X, y = standardized_iris()
    if kind == "binary":
        y = (y == 2).astype(int)
    elif kind == "multilabel":
        y = np.column_stack([y == 2, X[:, 1] > 0, X[:, 0] > X[:, 2]]).astype(int)
    clf = TwoLayerSigmoidClassifier(**{"n_hidden": 4, "random_state": 0, **params})
    return fit_ignoring_convergence_warnings(clf, X, y), X


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("raw_scores", [False, True])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_raw_scores_are_the_logits_and_labels_stay_predicts(kind, raw_scores, dtype):
    # The option was refused: CalibratedClassifierCV's converter, which sets it
    # when the base estimator's converter allows it, then calibrated the
    # probabilities instead of decision_function.
    clf, X = _fitted_network(kind)
    options = {"zipmap": False, "raw_scores": raw_scores}
    onx = skl2onnx.to_onnx(clf, X[:1].astype(dtype), options=options)
    outputs = run(onx, X=X.astype(dtype))
    scores, expected = outputs["probabilities"], _expected_scores(clf, X, raw_scores)
    assert scores.dtype == dtype and scores.shape == expected.shape
    # Logits reach ±50 here: the tolerance scales with their size.
    scale = max(1.0, np.abs(expected).max())
    assert np.abs(scores - expected).max() <= TOLERANCE[dtype] * scale
    np.testing.assert_array_equal(outputs["label"], clf.predict(X))


def _label_and_scores(outputs):
    """The labels and the (N, n_classes) matrix of any of ZipMap's layouts."""
    label = outputs.pop("label", None)
    label = outputs.pop("output_label") if label is None else label
    outputs.pop("class_labels", None)
    if "probabilities" in outputs:
        return label, outputs["probabilities"]
    if "output_probability" in outputs:  # one {class: score} dict per row
        rows = outputs["output_probability"]
        return label, np.array([list(row.values()) for row in rows])
    return label, np.column_stack(list(outputs.values()))  # "columns": one per class


OPTION_VALUES = {
    "zipmap": [True, False, "columns"],
    "nocl": [False, True],
    "output_class_labels": [False, True],
    "raw_scores": [False, True],
}


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    "options",
    [
        dict(zip(OPTION_VALUES, values, strict=True))
        for values in itertools.product(*OPTION_VALUES.values())
    ],
    ids=lambda options: "-".join(f"{k}={v}" for k, v in options.items()),
)
def test_every_option_gives_logistic_regressions_outputs(options, n_classes):
    # Each combination of the options of skl2onnx's classifiers: the outputs of
    # LogisticRegression's graph (names and types), or its refusal; the values
    # are the network's labels (class indices with nocl) and scores.
    X, y = unscaled_iris()
    X = X.astype(np.float32)  # ZipMap takes float scores only
    y = IRIS_SPECIES[np.minimum(y, n_classes - 1)]
    clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0)
    fit_ignoring_convergence_warnings(clf, X, y)
    reference = LogisticRegression().fit(X, y)

    def converted_and_run(model):
        return run(skl2onnx.to_onnx(model, X[:1], options=options), X=X)

    try:
        expected = converted_and_run(reference)
    except Exception as refusal:  # skl2onnx's or onnxruntime's: the network's too
        with pytest.raises(type(refusal)):
            converted_and_run(clf)
        return
    outputs = converted_and_run(clf)
    assert list(outputs) == list(expected)
    for name, value in outputs.items():
        assert type(value) is type(expected[name])
        if isinstance(value, np.ndarray):
            assert value.dtype == expected[name].dtype, name
    if options["output_class_labels"]:
        np.testing.assert_array_equal(outputs["class_labels"], clf.classes_)
    label, scores = _label_and_scores(outputs)
    expected_label = clf.predict(X)
    if options["nocl"]:
        expected_label = np.searchsorted(clf.classes_, expected_label)
    np.testing.assert_array_equal(label, expected_label)
    expected_scores = _expected_scores(clf, X, options["raw_scores"])
    scale = max(1.0, np.abs(expected_scores).max())
    assert np.abs(scores - expected_scores).max() <= 1e-5 * scale


def test_an_unknown_option_is_refused_by_name():
    clf, X = _fitted_network("binary")
    message = (
        r"Option 'raw_score' not in \['nocl', 'output_class_labels', 'raw_scores', "
        r"'zipmap'\] for class 'TwoLayerSigmoidClassifier'"
    )
    with pytest.raises(NameError, match=message):
        skl2onnx.to_onnx(clf, X[:1], options={"raw_score": True})
    with pytest.raises(NameError, match=message):
        skl2onnx.to_onnx(clf, X[:1], options={id(clf): {"raw_score": True}})
    with pytest.raises(ValueError, match="raw_scores"):  # a value outside its list
        skl2onnx.to_onnx(clf, X[:1], options={"raw_scores": "yes"})


CALIBRATION_DATA = {
    "binary": lambda: load_breast_cancer(return_X_y=True),
    "multiclass": unscaled_iris,
}


@pytest.fixture(scope="module", params=list(CALIBRATION_DATA))
def calibration_data(request):
    X, y = CALIBRATION_DATA[request.param]()
    return StandardScaler().fit_transform(X), y


def _calibrated(X, y, method):
    network = TwoLayerSigmoidClassifier(n_hidden=4, random_state=0)
    calibrated = CalibratedClassifierCV(network, method=method)
    return fit_ignoring_convergence_warnings(calibrated, X, y)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_calibration_matches_scikit_learn(calibration_data, dtype):
    # It calibrated predict_proba, where scikit-learn calibrates
    # decision_function: up to 0.73 apart, labels of 207 of 569 rows differing.
    X, y = calibration_data
    calibrated = _calibrated(X, y, "sigmoid")
    label, proba = export(calibrated, X, dtype)
    assert np.abs(proba - calibrated.predict_proba(X)).max() <= TOLERANCE[dtype]
    np.testing.assert_array_equal(label, calibrated.predict(X))


def _nearest_threshold_calibration(calibrated, X):
    """skl2onnx's isotonic calibration of ``calibrated``, computed with NumPy.

    Its graph reads each calibrator at the threshold nearest to the clipped score,
    where scikit-learn interpolates between thresholds: the same rule for every
    base estimator, LogisticRegression's included (checked below).
    """
    probabilities = []
    for member in calibrated.calibrated_classifiers_:
        scores = member.estimator.decision_function(X).reshape(len(X), -1)
        columns = []
        for k, calibrator in enumerate(member.calibrators):
            score = np.clip(scores[:, k], calibrator.X_min_, calibrator.X_max_)
            distance = np.abs(score[:, None] - calibrator.X_thresholds_)
            columns.append(calibrator.y_thresholds_[distance.argmin(axis=1)])
        proba = np.column_stack(columns)
        if proba.shape[1] == 1:
            proba = np.column_stack([1 - proba[:, 0], proba[:, 0]])
        else:  # as scikit-learn: rows of zeros are uniform
            total = proba.sum(axis=1, keepdims=True)
            uniform = np.full_like(proba, 1 / proba.shape[1])
            proba = np.divide(proba, total, out=uniform, where=total > 0)
        probabilities.append(proba)
    return np.mean(probabilities, axis=0)


def test_isotonic_calibration_reads_decision_function(calibration_data):
    X, y = calibration_data
    reference = CalibratedClassifierCV(LogisticRegression(), method="isotonic")
    reference.fit(X, y)
    _, proba = export(reference, X, np.float64)
    assert np.abs(proba - _nearest_threshold_calibration(reference, X)).max() < 1e-10
    calibrated = _calibrated(X, y, "isotonic")
    label, proba = export(calibrated, X, np.float64)
    expected = _nearest_threshold_calibration(calibrated, X)
    assert np.abs(proba - expected).max() <= 1e-10
    np.testing.assert_array_equal(label, calibrated.classes_[expected.argmax(axis=1)])


# -- the network as a transformer: its hidden layer (issue 33) ------------------------
def _network():
    return TwoLayerSigmoidClassifier(n_hidden=4, random_state=0)


def _iris_targets(kind):
    X, y = unscaled_iris()
    if kind == "binary":
        return X, (y == 2).astype(int)
    if kind == "multilabel":
        return X, np.column_stack([y == 2, X[:, 1] > 3, X[:, 0] > 6]).astype(int)
    return X, IRIS_SPECIES[y]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["binary", "multiclass"])
@pytest.mark.parametrize(
    "make_model",
    [
        # skl2onnx's "InvalidInputLengthException ... ['label', 'probabilities']"
        pytest.param(
            lambda: make_pipeline(StandardScaler(), _network(), LogisticRegression()),
            id="intermediate-step",
        ),
        # converted, then onnxruntime's "Concat ... rank 1 != 2" (the labels)
        pytest.param(
            lambda: make_pipeline(
                make_union(StandardScaler(), _network()), LogisticRegression()
            ),
            id="feature-union",
        ),
        pytest.param(
            lambda: make_pipeline(
                make_union(make_pipeline(StandardScaler(), _network()), PCA(2)),
                LogisticRegression(),
            ),
            id="last-step-of-a-pipeline-in-a-feature-union",
        ),
        pytest.param(
            lambda: make_pipeline(
                ColumnTransformer(
                    [("net", _network(), [0, 1, 2, 3]), ("kept", "passthrough", [2])]
                ),
                LogisticRegression(),
            ),
            id="column-transformer",
        ),
    ],
)
def test_the_network_as_a_transformer_inside_a_pipeline(make_model, kind, dtype):
    X, y = _iris_targets(kind)
    pipe = fit_ignoring_convergence_warnings(make_model(), X, y)
    label, proba = export(pipe, X, dtype)
    assert np.abs(proba - pipe.predict_proba(X)).max() <= TOLERANCE[dtype]
    np.testing.assert_array_equal(label, pipe.predict(X))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_the_graph_of_a_transformer_gives_the_hidden_layer(kind, dtype):
    # transform's output, its dtype included (float32 stays float32), where the
    # network (fitted on any target) is a transformer.
    X, y = _iris_targets(kind)
    union = fit_ignoring_convergence_warnings(
        make_union(StandardScaler(), _network()), X, y
    )
    X = X.astype(dtype)
    onx = skl2onnx.to_onnx(union, X[:1])
    (hidden,) = run(onx, X=X).values()
    expected = union.transform(X)
    assert hidden.dtype == expected.dtype == dtype
    assert hidden.shape == expected.shape == (len(X), 4 + 4)
    assert np.abs(hidden - expected).max() <= TOLERANCE[dtype]


def test_the_last_step_is_still_the_classifier_after_a_transformer_network():
    # The same class as a transformer and as the classifier of one pipeline.
    X, y = _iris_targets("multiclass")
    pipe = make_pipeline(StandardScaler(), _network(), _network())
    pipe = fit_ignoring_convergence_warnings(pipe, X, y)
    label, proba = export(pipe, X, np.float64)
    assert np.abs(proba - pipe.predict_proba(X)).max() <= 1e-10
    np.testing.assert_array_equal(label, pipe.predict(X))


def test_a_reload_of_the_module_wraps_skl2onnxs_parsers_once():
    from skl2onnx._parse import sklearn_parsers_map
    from sklearn.pipeline import Pipeline

    original = sklearn_parsers_map[Pipeline]._parser_before_sklearn_twolayer
    importlib.reload(sklearn_twolayer.onnx)
    wrapped = sklearn_parsers_map[Pipeline]
    assert wrapped._parser_before_sklearn_twolayer is original
    X, y = _iris_targets("binary")
    pipe = make_pipeline(StandardScaler(), _network(), LogisticRegression())
    pipe = fit_ignoring_convergence_warnings(pipe, X, y)
    label, proba = export(pipe, X, np.float64)
    assert np.abs(proba - pipe.predict_proba(X)).max() <= 1e-10
    np.testing.assert_array_equal(label, pipe.predict(X))


# -- scikit-learn's ensembles around the network --------------------------------------
ENSEMBLES = {
    "one-vs-rest": lambda: OneVsRestClassifier(_network()),
    "bagging": lambda: BaggingClassifier(_network(), n_estimators=3, random_state=0),
    "stacking": lambda: StackingClassifier(
        [("net", _network()), ("lr", LogisticRegression())]
    ),
    # skl2onnx refuses flatten_transform=True, LogisticRegression's votes too
    "soft-voting": lambda: VotingClassifier(
        [("net", _network()), ("lr", LogisticRegression())],
        voting="soft",
        flatten_transform=False,
    ),
    "grid-search": lambda: GridSearchCV(_network(), {"alpha": [1e-4, 1e-2]}, cv=3),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["binary", "multiclass"])
@pytest.mark.parametrize("ensemble", list(ENSEMBLES))
def test_ensembles_of_the_network_match_scikit_learn(ensemble, kind, dtype):
    X, y = _iris_targets(kind)
    X = StandardScaler().fit_transform(X)
    model = fit_ignoring_convergence_warnings(ENSEMBLES[ensemble](), X, y)
    label, proba = export(model, X, dtype)
    assert np.abs(proba - model.predict_proba(X)).max() <= TOLERANCE[dtype]
    np.testing.assert_array_equal(label, model.predict(X))
