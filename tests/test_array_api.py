"""The estimator on array-API input (issue 12): torch CPU and array-api-strict.

The feature-by-feature equality with the in-memory fit (float64) is in the behaviour
suite, tests/test_backends.py; scikit-learn's own array API checks run in
tests/test_common.py. Here: float32 stays float32, what a whole fit moves between
host and device, where the outputs live, the errors, and pipelines with search.
"""

import _reference as reference
import numpy as np
import pytest
from _problems import standardized_classification

from sklearn_twolayer._sklearn_compat import ARRAY_API_VERSION

# Array API dispatch needs scikit-learn 1.9 (refused before: test_sklearn_compat.py)
pytest.importorskip("sklearn", minversion=ARRAY_API_VERSION)
from scipy import sparse
from sklearn import config_context
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    FixedThresholdClassifier,
    GridSearchCV,
    RandomizedSearchCV,
    cross_val_predict,
    cross_val_score,
    cross_validate,
    learning_curve,
    permutation_test_score,
    validation_curve,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._array_api import get_namespace_and_device

from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._backends import array_api

strict = pytest.importorskip("array_api_strict")
torch = pytest.importorskip("torch")

METHODS = ["decision_function", "predict", "predict_proba", "predict_log_proba"]


def _data(n_classes=3, n_samples=240, seed=0):
    return standardized_classification(
        n_samples=n_samples,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        random_state=seed,
    )


def _strict(array, device="device1"):
    return strict.asarray(array, device=strict.Device(device))


@pytest.mark.parametrize(
    "to_device",
    [lambda a: torch.asarray(a), _strict],
    ids=["torch-cpu", "array_api_strict-device1"],
)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_float32_stays_float32_on_the_device(to_device, n_classes):
    """Every fitted weight and output in X's namespace, device and dtype.

    predict_proba and predict_log_proba are float64 as for NumPy input (small
    probabilities must not underflow); the fit itself runs in float32 and reaches
    the float64 fit's model (reference.assert_same_model).
    """
    X, y = _data(n_classes)
    X32 = X.astype(np.float32)
    params = {"n_hidden": 4, "alpha": 1.0, "random_state": 0}
    numpy64 = TwoLayerSigmoidClassifier(**params).fit(X, y)
    X_device, y_device = to_device(X32), to_device(y)
    with config_context(array_api_dispatch=True):
        clf = TwoLayerSigmoidClassifier(**params).fit(X_device, y_device)
        xp, _, device = get_namespace_and_device(X_device)
        for name in ("W1_", "b1_", "W2_", "b2_"):
            attribute = getattr(clf, name)
            assert get_namespace_and_device(attribute)[::2] == (xp, device)
            assert attribute.dtype == xp.float32
        outputs = {name: getattr(clf, name)(X_device) for name in METHODS}
        for output in outputs.values():
            assert get_namespace_and_device(output)[::2] == (xp, device)
        assert outputs["decision_function"].dtype == xp.float32
        assert outputs["predict_proba"].dtype == xp.float64
        assert outputs["predict_log_proba"].dtype == xp.float64
        assert outputs["predict"].dtype == xp.int64
        score = clf.score(X_device, y_device)
    assert isinstance(score, float)
    assert score == pytest.approx(
        np.mean(reference.on_host(outputs["predict"]) == y), rel=1e-6
    )
    # classes_ in y's namespace and device, as LogisticRegression's
    assert type(clf.classes_) is type(y_device)
    assert clf.classes_.device == y_device.device
    np.testing.assert_array_equal(reference.on_host(clf.classes_), numpy64.classes_)
    proba = reference.on_host(outputs["predict_proba"])
    np.testing.assert_allclose(
        reference.on_host(outputs["predict_log_proba"]), np.log(proba), rtol=1e-12
    )
    reference.assert_same_model(
        clf, numpy64, X, y, reference.on_host(outputs["predict"])
    )


def test_a_device_without_float64_fits_in_float32():
    """array-api-strict's no_float64 device (as Apple's MPS): float32 throughout,
    predict_proba included, with compensated sums (_backends/array_api.py)."""
    X, y = _data(3)
    X32 = X.astype(np.float32)
    params = {"n_hidden": 4, "alpha": 1.0, "random_state": 0}
    X_device = _strict(X32, "no_float64")
    with config_context(array_api_dispatch=True):
        clf = TwoLayerSigmoidClassifier(**params).fit(
            X_device, _strict(y, "no_float64")
        )
        proba = clf.predict_proba(X_device)
        assert proba.dtype == strict.float32
        assert clf.W1_.dtype == strict.float32
        labels = reference.on_host(clf.predict(X_device))
    numpy64 = TwoLayerSigmoidClassifier(**params).fit(X, y)
    reference.assert_same_model(clf, numpy64, X, y, labels)


class CountedTransfers:
    """Every call of the backend's two transfer functions, with the array's shape."""

    def __init__(self, monkeypatch):
        self.calls = []
        for name in ("_to_device", "_to_host"):
            original = getattr(array_api, name)

            def spy(array, *args, _original=original, _name=name, **kwargs):
                self.calls.append((_name, tuple(array.shape)))
                return _original(array, *args, **kwargs)

            monkeypatch.setattr(array_api, name, spy)


WEIGHTS = ("W1_", "b1_", "W2_", "b2_")


@pytest.mark.parametrize(
    ("solver", "early_stopping"),
    [("lbfgs", False), ("trust-ncg", False), ("lbfgs", True), ("trust-ncg", True)],
)
def test_per_evaluation_one_vector_each_way(monkeypatch, solver, early_stopping):
    """From the first evaluation on, only theta-sized vectors cross, in pairs.

    Counted on the backend's two transfer functions through a whole fit (the
    backend test proves on array-api-strict's own exports that nothing else
    crosses). Before it: y to the host and Y back, once, and with early stopping
    the rows' fingerprints and the split's indices once; after it the four fitted
    weights and the classes (to y's device, as LogisticRegression's).
    """
    X, y = _data(3, n_samples=301)
    counted = CountedTransfers(monkeypatch)
    first = []
    for name in ("data_loss_gradient", "data_hessian_product", "data_loss"):
        original = getattr(array_api.TrainingRows, name)

        def marked(self, theta, _original=original):
            first.append(len(counted.calls))
            return _original(self, theta)

        monkeypatch.setattr(array_api.TrainingRows, name, marked)
    clf = TwoLayerSigmoidClassifier(
        n_hidden=3,
        alpha=1.0,
        solver=solver,
        early_stopping=early_stopping,
        random_state=0,
    )
    with config_context(array_api_dispatch=True):
        clf.fit(_strict(X), _strict(y))
    before, during = counted.calls[: first[0]], counted.calls[first[0] :]
    shapes = {name: tuple(getattr(clf, name).shape) for name in WEIGHTS}
    size = sum(int(np.prod(shape)) for shape in shapes.values())
    if early_stopping:
        assert [call[0] for call in before] == [
            "_to_host",  # y, encoded on the host
            "_to_device",  # Y
            "_to_host",  # the rows' fingerprints (array-api-strict: X itself)
            "_to_device",  # train indices
            "_to_device",  # held-out indices
        ]
        n_train, n_held_out = before[3][1][0], before[4][1][0]
        assert n_train + n_held_out == 301 and n_held_out > 0
    else:
        assert before == [("_to_host", (301,)), ("_to_device", (301, 3))]  # y, Y
    fitted = [("_to_device", shapes[name]) for name in WEIGHTS]
    assert during[-5:] == [*fitted, ("_to_device", (3,))]  # weights, classes_
    pairs = list(zip(during[:-5:2], during[1:-5:2], strict=True))
    assert len(pairs) >= len(first) > 5
    for theta_in, sums_out in pairs:
        assert theta_in == ("_to_device", (size,))  # theta, or a Hessian direction
        assert sums_out in {
            ("_to_host", (size + 1,)),  # [loss, gradient]
            ("_to_host", (size,)),  # a Hessian product
            ("_to_host", (1,)),  # the held-out loss
        }


# -- predictions of a device fit (issue 32, point 2) ----------------------------------
class NamespaceCrossings:
    """Every array that leaves a namespace's arrays for NumPy, or enters them from
    outside, with its shape: torch's or array-api-strict's.

    Out: ``__dlpack__`` (how ``np.from_dlpack`` and scikit-learn's ``move_to``
    read an array), ``__array__`` and ``numpy()`` (how ``np.asarray`` does). In:
    the namespace's ``from_dlpack`` and ``asarray`` of another kind of array.
    Operations between arrays of the namespace go through none of these.
    """

    def __init__(self, monkeypatch, X):
        self.log = []
        xp, _, _ = get_namespace_and_device(X)
        Array = type(X)
        for name in ("__dlpack__", "__array__", "numpy"):
            if hasattr(Array, name):
                monkeypatch.setattr(Array, name, self._out(getattr(Array, name)))
        for name in ("from_dlpack", "asarray"):
            monkeypatch.setattr(xp, name, self._in(getattr(xp, name), Array))

    def _out(self, original):
        def spy(array, *args, **kwargs):
            self.log.append(("out", tuple(array.shape)))
            return original(array, *args, **kwargs)

        return spy

    def _in(self, original, Array):
        def spy(source, *args, **kwargs):
            if not isinstance(source, Array):
                self.log.append(("in", tuple(np.shape(source))))
            return original(source, *args, **kwargs)

        return spy


PREDICTIONS = [*METHODS, "transform", "input_gradient"]


@pytest.mark.parametrize(
    "to_namespace", [torch.asarray, _strict], ids=["torch-cpu", "array_api_strict"]
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_predictions_of_a_device_fit_leave_its_weights_on_the_device(
    monkeypatch, to_namespace, dtype, n_classes
):
    """A prediction on the fit's device moves nothing of the model between host
    and device: neither the weights nor the classes (the fit put them there), in
    X's dtype or another."""
    X, y = _data(n_classes, n_samples=60)
    X_there = to_namespace(X.astype(dtype))
    with config_context(array_api_dispatch=True):
        clf = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0)
        clf.fit(to_namespace(X), to_namespace(y))  # float64 weights
        crossings = NamespaceCrossings(monkeypatch, X_there)
        for method in PREDICTIONS:
            getattr(clf, method)(X_there)
    model = {tuple(getattr(clf, name).shape) for name in (*WEIGHTS, "classes_")}
    assert not [entry for entry in crossings.log if entry[1] in model]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_device_predictions_are_those_of_the_host_round_trip(n_classes):
    """The fitted network of a torch fit holds torch weights on X's device and in
    X's dtype, and predicts what the same network did from a host copy of its
    weights (moved back to the device by the network, as every prediction did
    before), to 1e-12."""
    import dataclasses

    from sklearn_twolayer import _prediction

    X, y = _data(n_classes, n_samples=80)
    with config_context(array_api_dispatch=True):
        clf = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0)
        clf.fit(torch.asarray(X), torch.asarray(y))
        for dtype in (torch.float64, torch.float32):
            X_torch = torch.asarray(X).to(dtype)
            fitted = _prediction.fitted_network(clf, X_torch)
            assert isinstance(fitted.theta, torch.Tensor)
            assert fitted.theta.device == X_torch.device
            assert fitted.theta.dtype == dtype
            round_trip = dataclasses.replace(
                fitted,
                theta=_prediction.fitted_theta_on_host(clf, np.float64),
                classes=_prediction.fitted_classes_on_host(clf),
            )
            for method in PREDICTIONS:
                kwargs = {"output": "proba"} if method == "input_gradient" else {}
                expected = getattr(_prediction, method)(round_trip, X_torch, **kwargs)
                got = getattr(clf, method)(X_torch)
                assert got.dtype == expected.dtype and got.shape == expected.shape
                np.testing.assert_allclose(
                    reference.on_host(got),
                    reference.on_host(expected),
                    rtol=1e-12,
                    atol=1e-12,
                    err_msg=method,
                )


def test_numpy_and_sparse_input_keep_the_numpy_backend_under_dispatch():
    X, y = _data(2)
    with config_context(array_api_dispatch=True):
        dense = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0).fit(X, y)
        csr = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0).fit(
            sparse.csr_matrix(X), y
        )
        assert isinstance(dense.predict_proba(X), np.ndarray)
        assert isinstance(csr.predict_proba(sparse.csr_matrix(X)), np.ndarray)
    assert isinstance(dense.W1_, np.ndarray) and isinstance(csr.W1_, np.ndarray)


def test_a_device_array_without_dispatch_says_to_enable_it():
    """array-api-strict's device1 refuses np.asarray, as a CUDA tensor or CuPy does.

    (A torch CPU tensor is read through ``np.asarray`` without dispatch, so it
    fits on the NumPy backend: scikit-learn's check_array_api_input checks that.)
    """
    X, y = _data(2)
    with pytest.raises(TypeError, match=r"enable scikit-learn's array API dispatch"):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(_strict(X), y)
    with config_context(array_api_dispatch=True):
        clf = TwoLayerSigmoidClassifier(n_hidden=2, alpha=1.0, random_state=0).fit(
            _strict(X), y
        )
    with pytest.raises(TypeError, match=r"config_context\(array_api_dispatch=True\)"):
        clf.predict(_strict(X))
    cpu = TwoLayerSigmoidClassifier(n_hidden=2, alpha=1.0, random_state=0).fit(
        torch.asarray(X), y
    )
    assert isinstance(cpu.W1_, np.ndarray)


@pytest.mark.parametrize("method", METHODS)
def test_predicting_in_another_namespace_is_refused(method):
    X, y = _data(2)
    with config_context(array_api_dispatch=True):
        clf = TwoLayerSigmoidClassifier(n_hidden=2, alpha=1.0, random_state=0).fit(
            torch.asarray(X), torch.asarray(y)
        )
        with pytest.raises(
            ValueError,
            match=rf"TwoLayerSigmoidClassifier\.{method}\(\) must use the same",
        ):
            getattr(clf, method)(X)


def test_labels_and_weights_as_lists():
    """y and sample_weight need not be arrays: they are encoded on the host."""
    X, y = _data(2, n_samples=60)
    weights = np.linspace(0.5, 2.0, 60)
    params = {"n_hidden": 2, "alpha": 1.0, "random_state": 0}
    reference = TwoLayerSigmoidClassifier(**params).fit(X, y, weights)
    with config_context(array_api_dispatch=True):
        clf = TwoLayerSigmoidClassifier(**params)
        clf.fit(torch.asarray(X), y.tolist(), weights.tolist())
        proba = clf.predict_proba(torch.asarray(X))
    np.testing.assert_allclose(proba.numpy(), reference.predict_proba(X), rtol=1e-6)


@pytest.mark.parametrize(
    "to_device", [torch.asarray, _strict], ids=["torch-cpu", "array_api_strict"]
)
@pytest.mark.parametrize("case", ["sample_weight", "class_weight", "validation"])
def test_weights_whose_sums_overflow_get_the_in_memory_message(to_device, case):
    """Issue 33, defect 5, on a device: float32 weights of 5e37 (sum 3e39), a
    float32 class weight of 1e39, validation weights of 1e307 in float64."""
    X, y = _data(3, n_samples=60)
    params, fit_params = {"n_hidden": 2}, {}
    if case == "sample_weight":
        X, fit_params["sample_weight"] = X.astype(np.float32), np.full(60, 5e37)
    elif case == "class_weight":
        X, params["class_weight"] = X.astype(np.float32), {0: 1e39, 1: 1, 2: 1}
    else:
        params["early_stopping"] = True
        fit_params = {"X_val": X[40:], "y_val": y[40:]}
        fit_params["sample_weight_val"] = np.full(20, 1e307)
    with pytest.raises(ValueError, match="would overflow") as in_memory:
        TwoLayerSigmoidClassifier(**params).fit(X, y, **fit_params)
    if "X_val" in fit_params:
        fit_params["X_val"] = to_device(fit_params["X_val"])
    with config_context(array_api_dispatch=True):
        clf = TwoLayerSigmoidClassifier(**params)
        with pytest.raises(ValueError) as on_device:
            clf.fit(to_device(X), y, **fit_params)
    assert str(on_device.value) == str(in_memory.value)
    assert not hasattr(clf, "W1_")


@pytest.mark.parametrize("n_classes", [2, 3])
def test_input_gradient_of_a_device_fit(n_classes):
    """input_gradient has no device kernel: computed on a host copy of X, returned
    in X's namespace and dtype, equal to the NumPy fit's."""
    X, y = _data(n_classes, n_samples=80)
    params = {"n_hidden": 3, "alpha": 1.0, "random_state": 0}
    reference = TwoLayerSigmoidClassifier(**params).fit(X, y)
    with config_context(array_api_dispatch=True):
        clf = TwoLayerSigmoidClassifier(**params)
        clf.fit(torch.asarray(X), torch.asarray(y))
        gradient = clf.input_gradient(torch.asarray(X))
    assert isinstance(gradient, torch.Tensor) and gradient.dtype == torch.float64
    np.testing.assert_allclose(
        gradient.numpy(), reference.input_gradient(X), rtol=1e-6, atol=1e-12
    )


def test_string_labels_come_back_on_the_host():
    """Labels that cannot live on a device: predict returns them as NumPy."""
    X, y = _data(3)
    names = np.array(["ant", "bee", "cat"])[y]
    with config_context(array_api_dispatch=True):
        clf = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0)
        clf.fit(torch.asarray(X), names)
        predicted = clf.predict(torch.asarray(X))
        score = clf.score(torch.asarray(X), names)
    reference = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0)
    np.testing.assert_array_equal(predicted, reference.fit(X, names).predict(X))
    assert score == reference.score(X, names)


def test_multilabel_predictions_on_the_device():
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(
        n_samples=150, n_features=4, n_classes=3, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    reference = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0)
    reference.fit(X, Y)
    with config_context(array_api_dispatch=True):
        clf = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0)
        clf.fit(torch.asarray(X), torch.asarray(Y))
        predicted = clf.predict(torch.asarray(X))
        log_proba = clf.predict_log_proba(torch.asarray(X))
    assert predicted.dtype == torch.int64
    np.testing.assert_array_equal(predicted.numpy(), reference.predict(X))
    np.testing.assert_allclose(
        log_proba.numpy(), reference.predict_log_proba(X), rtol=1e-6
    )


def test_pipeline_and_grid_search_on_torch_tensors():
    """StandardScaler, the classifier and GridSearchCV, all on torch tensors."""
    X, y = _data(3, n_samples=120)
    X_torch, y_torch = torch.asarray(X * 10.0 + 3.0), torch.asarray(y)
    pipeline = make_pipeline(
        StandardScaler(), TwoLayerSigmoidClassifier(n_hidden=3, random_state=0)
    )
    search = GridSearchCV(
        pipeline, {"twolayersigmoidclassifier__alpha": [0.3, 3.0]}, cv=2
    )
    with config_context(array_api_dispatch=True):
        search.fit(X_torch, y_torch)
        best = search.best_estimator_
        proba = best.predict_proba(X_torch)
        assert isinstance(best[-1].W1_, torch.Tensor)
        assert isinstance(best[0].mean_, torch.Tensor)
        assert isinstance(proba, torch.Tensor) and proba.dtype == torch.float64
        score = search.score(X_torch, y_torch)
    reference = GridSearchCV(
        pipeline, {"twolayersigmoidclassifier__alpha": [0.3, 3.0]}, cv=2
    ).fit(X * 10.0 + 3.0, y)
    assert search.best_params_ == reference.best_params_
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"],
        reference.cv_results_["mean_test_score"],
    )
    assert isinstance(score, float)
    np.testing.assert_allclose(
        proba.numpy(), reference.predict_proba(X * 10.0 + 3.0), rtol=1e-5
    )


def test_importing_the_package_imports_no_array_library():
    import subprocess
    import sys

    code = (
        "import sys, sklearn_twolayer; "
        "print(sorted({'torch', 'array_api_strict', 'cupy'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# -- model selection: every tool that works for LogisticRegression (issue 20, 5) ----
def _search(search_type, **kwargs):
    def run(estimator, X, y):
        name = "C" if isinstance(estimator, LogisticRegression) else "alpha"
        search = search_type(estimator, {name: [0.3, 3.0]}, cv=3, **kwargs)
        return search.fit(X, y).predict_proba(X)

    return run


def _cross_val_predict(method):
    def run(estimator, X, y):
        return cross_val_predict(estimator, X, y, cv=3, method=method)

    return run


def _validation_curve(estimator, X, y):
    name = "C" if isinstance(estimator, LogisticRegression) else "alpha"
    return validation_curve(
        estimator, X, y, param_name=name, param_range=[0.3, 3.0], cv=3
    )[1]


MODEL_SELECTION = {
    **{f"cross_val_predict {m}": _cross_val_predict(m) for m in METHODS},
    "cross_val_score": lambda e, X, y: cross_val_score(
        e, X, y, cv=3, error_score="raise"
    ),
    "cross_val_score neg_log_loss": lambda e, X, y: cross_val_score(
        e, X, y, cv=3, scoring="neg_log_loss", error_score="raise"
    ),
    "cross_validate": lambda e, X, y: cross_validate(
        e, X, y, cv=3, scoring=["accuracy", "neg_log_loss"], error_score="raise"
    )["test_neg_log_loss"],
    "GridSearchCV": _search(GridSearchCV, error_score="raise"),
    "RandomizedSearchCV": _search(
        RandomizedSearchCV, n_iter=2, random_state=0, error_score="raise"
    ),
    "learning_curve": lambda e, X, y: learning_curve(
        e, X, y, cv=3, train_sizes=[0.6, 1.0], error_score="raise"
    )[2],
    "validation_curve": _validation_curve,
    "permutation_test_score": lambda e, X, y: permutation_test_score(
        e, X, y, cv=3, n_permutations=2, random_state=0
    )[0],
    # (its predict fails for LogisticRegression on torch: "'Tensor' object has no
    # attribute 'astype'")
    "FixedThresholdClassifier": lambda e, X, y: (
        FixedThresholdClassifier(e, threshold=0.3).fit(X, y).predict_proba(X)
    ),
}
# Where LogisticRegression runs them, in scikit-learn 1.9.1. Left out: every
# TunedThresholdClassifierCV (torch: "min(): argument 'dim' must be int";
# array-api-strict: "Expected Array or Python scalar"), permutation_test_score on
# array-api-strict ("object of type 'Array' has no len()"). Binary and multiclass
# targets for cross_val_predict, the threshold for binary ones, the other tools
# (which read classes_ the same way for both) for multiclass ones.
MODEL_SELECTION_CASES = [
    (namespace, tool, n_classes)
    for namespace in ("torch", "array_api_strict")
    for tool in MODEL_SELECTION
    for n_classes in (
        (2, 3)
        if tool.startswith("cross_val_predict")
        else (2,)
        if tool == "FixedThresholdClassifier"
        else (3,)
    )
    if not (namespace == "array_api_strict" and tool == "permutation_test_score")
]


@pytest.mark.parametrize("namespace, tool, n_classes", MODEL_SELECTION_CASES)
def test_model_selection_works_as_for_logistic_regression(namespace, tool, n_classes):
    # Issue 20, defect 5: cross_val_predict(method="predict_proba" and the other
    # per-class methods) failed with "Multiple namespaces for array inputs":
    # classes_ stayed NumPy next to predictions in X's namespace.
    X, y = _data(n_classes, n_samples=120)
    to_namespace = torch.asarray if namespace == "torch" else strict.asarray
    X_there, y_there = to_namespace(X), to_namespace(y)
    run = MODEL_SELECTION[tool]
    ours = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0)
    with config_context(array_api_dispatch=True):
        expected_type = type(run(LogisticRegression(), X_there, y_there))
        result = run(ours, X_there, y_there)
    assert type(result) is expected_type  # in X's namespace where LR's is
    in_memory = run(ours, X, y)
    np.testing.assert_allclose(
        reference.on_host(result), in_memory, rtol=1e-6, atol=1e-12
    )


@pytest.mark.parametrize(
    "to_namespace", [torch.asarray, _strict], ids=["torch", "array_api_strict"]
)
@pytest.mark.parametrize("labels", ["int", "float", "bool", "str", "numpy int"])
def test_classes_live_where_logistic_regressions_do(to_namespace, labels):
    X, y = _data(2, n_samples=80)
    y = {"float": y * 2.0, "bool": y == 1, "str": np.where(y == 1, "b", "a")}.get(
        labels, y
    )
    X_there = to_namespace(X)
    y_there = y if labels in ("str", "numpy int") else to_namespace(y)
    with config_context(array_api_dispatch=True):
        lr = LogisticRegression().fit(X_there, y_there)
        clf = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0)
        clf.fit(X_there, y_there)
        assert type(clf.classes_) is type(lr.classes_)
        assert clf.classes_.dtype == lr.classes_.dtype
        np.testing.assert_array_equal(
            reference.on_host(clf.classes_), reference.on_host(lr.classes_)
        )
        predicted = clf.predict(X_there)
        # warm_start compares the classes on the host
        clf.set_params(warm_start=True, max_iter=3).fit(X_there, y_there)
    in_memory = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0)
    np.testing.assert_array_equal(
        reference.on_host(predicted), in_memory.fit(X, y).predict(X)
    )
