"""One behaviour suite over the backends: no feature on one and missing on another.

Every case fits the same data on in-memory dense input (the reference), on CSR input,
on Dask arrays of dense and of CSR blocks (on Dask's threaded scheduler, the
cheapest that runs blocks concurrently; ``test_dask.py`` checks that every
scheduler, worker processes included, gives the same bits) and, under scikit-learn's
array API dispatch, on torch CPU tensors and array-api-strict arrays (float64), and
compares ``predict_proba`` (to 1e-6), ``n_iter_`` and, with early stopping,
``best_iteration_`` and each iteration's decision on the held-out rows. Bad input
must be rejected with exactly the message of the in-memory path. The problems are
well-posed (they converge in a few dozen iterations), so the backends' sums, equal
up to the order of floating-point additions, do not part along the solver's path
far enough to change a decision.
"""

import contextlib
import io
import re
import warnings
from contextlib import redirect_stdout

import _reference
import numpy as np
import pytest
from _problems import standardized_iris
from scipy import sparse
from sklearn import config_context
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._sklearn_compat import ARRAY_API_VERSION

da = pytest.importorskip("dask.array")

# The array-API backends (issue 12) run on CPU here: torch tensors and
# array-api-strict arrays, fitted and predicted under array_api_dispatch.
ARRAY_API = ["torch", "array_api_strict"]
BACKENDS = ["dense", "csr", "dask", "dask-csr", *ARRAY_API]
OTHERS = ["csr", "dask", "dask-csr", *ARRAY_API]  # compared with "dense"
RTOL = 1e-6


def _skip_without(backend):
    """Skip where an array-API backend cannot run: its library or scikit-learn 1.9
    missing (the array-api extra)."""
    pytest.importorskip(backend)
    pytest.importorskip("sklearn", minversion=ARRAY_API_VERSION)


def _dispatch(backend):
    """The array API dispatch an array-API backend needs, else nothing."""
    if backend in ARRAY_API:
        _skip_without(backend)
        return config_context(array_api_dispatch=True)
    return contextlib.nullcontext()


def _array_api(backend, array):
    """A host array in the namespace of ``backend`` (labels that are strings stay)."""
    _skip_without(backend)  # before converting: some tests convert, then dispatch
    if array is None or array.dtype.kind not in "biuf":
        return array
    if backend == "torch":
        import torch

        return torch.asarray(array)
    import array_api_strict

    return array_api_strict.asarray(array)


def _data(target):
    X, y = standardized_iris()
    if target == "binary":
        return X, np.where(y == 1, "versicolor", "other")
    if target == "multilabel":
        X, Y = make_multilabel_classification(
            n_samples=150, n_features=4, n_classes=3, random_state=0
        )
        return StandardScaler().fit_transform(X), Y
    return X, y


def _as(backend, X, y=None, sample_weight=None):
    """X (and y, sample_weight) in the form of ``backend``; Dask chunks unequal."""
    if backend == "csr":
        return sparse.csr_matrix(X), y, sample_weight
    if backend in ARRAY_API:
        return tuple(_array_api(backend, a) for a in (X, y, sample_weight))
    if backend.startswith("dask"):
        chunks = ((40, 50, 35, X.shape[0] - 125), X.shape[1])
        X = da.from_array(X, chunks=chunks)
        if backend == "dask-csr":  # blocks of SciPy CSR matrices
            X = X.map_blocks(sparse.csr_matrix, dtype=X.dtype)
        y = None if y is None else da.from_array(y, chunks=60)
        if sample_weight is not None:
            sample_weight = da.from_array(sample_weight, chunks=45)
    return X, y, sample_weight


def _fit(backend, params, X, y, sample_weight=None):
    clf = TwoLayerSigmoidClassifier(**params)
    with warnings.catch_warnings(), _dispatch(backend):
        warnings.simplefilter("error", ConvergenceWarning)  # each case converges
        return clf.fit(*_as(backend, X, y, sample_weight))


def _proba(clf, X, backend="dense"):
    """predict_proba of X (for an array-API fit, X in its namespace), on the host."""
    with _dispatch(backend):
        if backend in ARRAY_API:
            X = _array_api(backend, X)
        return _reference.on_host(clf.predict_proba(X))


def _weights(n):
    return np.random.default_rng(0).uniform(0.2, 3.0, size=n)


BASE = {"n_hidden": 3, "alpha": 1.0, "random_state": 0}
# (name, target, extra parameters, weighted): every feature of the estimator.
CASES = [
    ("binary", "binary", {}, False),
    ("multiclass", "multiclass", {}, False),
    ("multilabel", "multilabel", {}, False),
    ("sample_weight", "multiclass", {}, True),
    (
        "class_weight dict",
        "multiclass",
        {"class_weight": {0: 1.0, 1: 3.0, 2: 0.5}},
        False,
    ),
    ("class_weight balanced", "binary", {"class_weight": "balanced"}, True),
    ("balanced multilabel", "multilabel", {"class_weight": "balanced"}, False),
    ("trust-ncg", "multiclass", {"solver": "trust-ncg"}, False),
    ("trust-ncg weighted", "binary", {"solver": "trust-ncg"}, True),
    ("early stopping", "multiclass", {"early_stopping": True, "alpha": 1e-3}, False),
    (
        "early stopping weighted",
        "binary",
        {"early_stopping": True, "n_iter_no_change": 3, "alpha": 1e-2},
        True,
    ),
    (
        "early stopping trust-ncg",
        "multilabel",
        {"early_stopping": True, "solver": "trust-ncg", "alpha": 1e-2},
        False,
    ),
]


@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize(
    "name, target, extra, weighted", CASES, ids=[case[0] for case in CASES]
)
def test_every_feature_gives_the_in_memory_model(
    request, backend, name, target, extra, weighted
):
    if backend.startswith("dask"):
        request.getfixturevalue("dask_threads")
    X, y = _data(target)
    sample_weight = _weights(X.shape[0]) if weighted else None
    params = {**BASE, **extra}
    reference = _fit("dense", params, X, y, sample_weight)
    fitted = _fit(backend, params, X, y, sample_weight)
    np.testing.assert_allclose(
        _proba(fitted, X, backend), _proba(reference, X), rtol=RTOL
    )
    assert fitted.n_iter_ == reference.n_iter_
    np.testing.assert_array_equal(
        _reference.on_host(fitted.classes_), reference.classes_
    )
    assert fitted.best_iteration_ == reference.best_iteration_
    if params.get("early_stopping"):
        # The same held-out rows: the same validation loss at every iteration.
        np.testing.assert_allclose(
            fitted.validation_loss_curve_, reference.validation_loss_curve_, rtol=1e-6
        )


@pytest.mark.parametrize("backend", OTHERS)
def test_warm_start_continues_as_in_memory(request, backend):
    if backend.startswith("dask"):
        request.getfixturevalue("dask_threads")
    X, y = _data("multiclass")
    params = {**BASE, "warm_start": True, "max_iter": 5}
    fits = {}
    for where in ("dense", backend):
        clf = TwoLayerSigmoidClassifier(**params)
        with warnings.catch_warnings(), _dispatch(where):
            warnings.simplefilter("ignore", ConvergenceWarning)  # 5 iterations
            clf.fit(*_as(where, X, y))
            first = _reference.on_host(clf.W1_).copy()
            clf.fit(*_as(where, X, y))
        assert not np.array_equal(
            _reference.on_host(clf.W1_), first
        )  # it went on from the first
        fits[where] = clf
    np.testing.assert_allclose(
        _proba(fits[backend], X, backend), _proba(fits["dense"], X), rtol=RTOL
    )
    with (
        pytest.raises(ValueError, match="warm_start=True needs the same classes"),
        _dispatch(backend),
    ):
        fits[backend].fit(*_as(backend, X, np.where(y == 2, 1, y)))


@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
def test_verbose_prints_the_same_iterations(request, backend, solver):
    if backend.startswith("dask"):
        request.getfixturevalue("dask_threads")
    X, y = _data("binary")
    params = {**BASE, "verbose": 1, "solver": solver, "early_stopping": True}
    outputs = {}
    for where in ("dense", backend):
        with redirect_stdout(io.StringIO()) as printed:
            _fit(where, params, X, y)
        outputs[where] = printed.getvalue().splitlines()
    assert len(outputs[backend]) == len(outputs["dense"]) > 2
    number = re.compile(r"[-+]?\d+\.?\d*(?:e[-+]?\d+)?")
    for line, expected in zip(outputs[backend], outputs["dense"], strict=True):
        assert number.sub("#", line) == number.sub("#", expected)
        # Objective values to 1e-6, as predict_proba; gradient norms near the
        # optimum are cancellations of O(1) terms, so they agree to the same
        # absolute accuracy (1e-8), not relatively.
        np.testing.assert_allclose(
            [float(v) for v in number.findall(line)],
            [float(v) for v in number.findall(expected)],
            rtol=1e-6,
            atol=1e-8,
        )


def _bad_inputs():
    X, y = standardized_iris()
    w = np.ones(y.size)
    X_nan, X_inf = X.copy(), X.copy()
    X_nan[7, 2], X_inf[100, 1] = np.nan, np.inf
    w_nan, w_negative = w.copy(), w.copy()
    w_nan[3], w_negative[120] = np.nan, -1.0
    return {
        "NaN in X": (X_nan, y, None),
        "inf in X": (X_inf, y, None),
        "huge X": (X * 1e160, y, None),
        "NaN in y": (X, np.where(y == 2, np.nan, y), None),
        "continuous y": (X, y + 0.5, None),
        "one class": (X, np.zeros_like(y), None),
        "y too short": (X, y[:-1], None),
        "weights too short": (X, y, w[:-1]),
        "NaN weight": (X, y, w_nan),
        "negative weight": (X, y, w_negative),
        "all weights zero": (X, y, np.zeros(y.size)),
        "one class weighted": (X, y, np.where(y == 0, 1.0, 0.0)),
        "multiclass-multioutput y": (X, np.column_stack([y, y]), None),
        # Issue 20, defect 2: 2-D integer y that type_of_target calls multilabel.
        "multilabel y of -1/1": (X, 2 * np.eye(3, dtype=int)[y] - 1, None),
        "multilabel y of 1/2": (X, np.eye(3, dtype=int)[y] + 1, None),
    }


@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize("case", list(_bad_inputs()))
def test_bad_input_gets_the_in_memory_message(request, backend, case):
    if backend.startswith("dask"):
        request.getfixturevalue("dask_threads")
    X, y, sample_weight = _bad_inputs()[case]
    with pytest.raises(ValueError) as in_memory:
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X, y, sample_weight)
    with pytest.raises(ValueError) as elsewhere, _dispatch(backend):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(*_as(backend, X, y, sample_weight))
    message = str(elsewhere.value)
    if backend in ARRAY_API:
        # scikit-learn's validation names the input's own dtype ("torch.float64",
        # "array_api_strict.float64") where NumPy's says "dtype('float64')".
        message = re.sub(
            r"\b(torch|array_api_strict)\.(float\d+)", r"dtype('\2')", message
        )
    assert message == str(in_memory.value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failed_fit_changes_nothing(request, backend):
    if backend.startswith("dask"):
        request.getfixturevalue("dask_threads")
    X, y = _data("multiclass")
    clf = _fit(backend, BASE, X, y)
    before = {key: value for key, value in vars(clf).items() if key.endswith("_")}
    clf.set_params(n_hidden=4, warm_start=True)  # refused: n_hidden changed
    with pytest.raises(ValueError, match="the same n_hidden"), _dispatch(backend):
        clf.fit(*_as(backend, X, y))
    after = {key: value for key, value in vars(clf).items() if key.endswith("_")}
    assert after.keys() == before.keys()
    for key, value in before.items():
        assert after[key] is value
    fresh = TwoLayerSigmoidClassifier(n_hidden=2)
    with pytest.raises(ValueError, match="NaN"), _dispatch(backend):
        fresh.fit(*_as(backend, np.where(X > 1, np.nan, X), y))
    with pytest.raises(NotFittedError):
        fresh.predict(X)
    assert not hasattr(fresh, "n_features_in_")


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_an_interrupted_refit_changes_nothing(request, monkeypatch, backend, solver):
    """Ctrl-C in the middle of a refit, with early stopping, on every backend."""
    if backend.startswith("dask"):
        request.getfixturevalue("dask_threads")
        from sklearn_twolayer._backends.dask import DaskRows as rows_type
    elif backend in ARRAY_API:
        _skip_without(backend)
        from sklearn_twolayer._backends.array_api import TrainingRows as rows_type
    else:
        from sklearn_twolayer._backends.in_memory import InMemoryRows as rows_type
    X, y = _data("multiclass")
    params = {**BASE, "solver": solver, "early_stopping": True}
    clf = _fit(backend, params, X, y)
    before = {key: value for key, value in vars(clf).items() if key.endswith("_")}
    proba = _proba(clf, X, backend)
    name = "data_loss_gradient" if solver == "lbfgs" else "data_hessian_product"
    original, calls = getattr(rows_type, name), []

    def interrupted(self, theta):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return original(self, theta)

    monkeypatch.setattr(rows_type, name, interrupted)
    with pytest.raises(KeyboardInterrupt), _dispatch(backend):
        clf.set_params(n_hidden=5).fit(*_as(backend, X, y == 1))
    after = {key: value for key, value in vars(clf).items() if key.endswith("_")}
    assert after.keys() == before.keys()
    assert all(after[key] is value for key, value in before.items())
    np.testing.assert_array_equal(_proba(clf, X, backend), proba)


@pytest.mark.parametrize("backend", OTHERS)
def test_transform_gives_the_in_memory_hidden_layer(request, backend):
    """h1 where X lives: lazily per block on Dask, on X's device for array API."""
    if backend.startswith("dask"):
        request.getfixturevalue("dask_threads")
    X, y = _data("multiclass")
    params = {**BASE, "n_hidden": 4}
    reference = _fit("dense", params, X, y)
    fitted = _fit(backend, params, X, y)
    X_there = _as(backend, X)[0]
    with _dispatch(backend):
        H1 = fitted.transform(X_there)
    if backend.startswith("dask"):
        assert isinstance(H1, da.Array)  # lazy, one block per row block of X
        assert H1.chunks == (X_there.chunks[0], (4,))
    elif backend in ARRAY_API:
        assert type(H1) is type(X_there)  # in X's namespace, on its device
        assert H1.device == X_there.device
    H1 = _reference.on_host(H1)
    assert H1.shape == (X.shape[0], 4) and H1.dtype == np.float64
    np.testing.assert_allclose(H1, reference.transform(X), rtol=RTOL)


# (name, target, extra parameters, weighted validation rows): fit(..., X_val=, y_val=)
VALIDATION_CASES = [
    ("multiclass weighted", "multiclass", {}, True),
    ("balanced binary", "binary", {"class_weight": "balanced"}, False),  # L-BFGS
    ("balanced multilabel", "multilabel", {"class_weight": "balanced"}, True),
    # trust-ncg's later steps magnify rounding: a short patience keeps the case
    # within the iterations where the backends' sums leave the path unchanged.
    (
        "multilabel trust-ncg",
        "multilabel",
        {"solver": "trust-ncg", "n_iter_no_change": 3},
        True,
    ),
]


def _hold_out_the_last(X, y, n=40):
    """A time-ordered hold-out: the last ``n`` rows, after a fixed shuffle."""
    order = np.random.default_rng(3).permutation(X.shape[0])
    X, y = X[order], y[order]
    return X[:-n], y[:-n], X[-n:], y[-n:]


def _as_rows(backend, X, y, sample_weight=None):
    """As ``_as``, for any number of rows: unequal Dask chunks of X, y, weights."""
    if not backend.startswith("dask"):
        return _as(backend, X, y, sample_weight)
    n = X.shape[0]
    X = da.from_array(X, chunks=((n // 3, n - n // 3), X.shape[1]))
    if backend == "dask-csr":
        X = X.map_blocks(sparse.csr_matrix, dtype=X.dtype)
    y = da.from_array(y, chunks=n // 4 + 1)
    if sample_weight is not None:
        sample_weight = da.from_array(sample_weight, chunks=n // 5 + 1)
    return X, y, sample_weight


def _fit_with_validation(backend, params, X, y, X_val, y_val, sample_weight_val):
    clf = TwoLayerSigmoidClassifier(**params)
    X, y, _ = _as_rows(backend, X, y)
    X_val, y_val, sample_weight_val = _as_rows(backend, X_val, y_val, sample_weight_val)
    with warnings.catch_warnings(), _dispatch(backend):
        warnings.simplefilter("error", ConvergenceWarning)  # each case converges
        return clf.fit(
            X, y, X_val=X_val, y_val=y_val, sample_weight_val=sample_weight_val
        )


@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize(
    "name, target, extra, weighted",
    VALIDATION_CASES,
    ids=[case[0] for case in VALIDATION_CASES],
)
def test_a_validation_set_gives_the_in_memory_model(
    request, backend, name, target, extra, weighted
):
    """The same early stopping as in memory: each iteration's decision (better than
    the best so far, or not), hence the same iterations and kept iterate; the loss
    the backend reports is the held-out loss of its weights, recomputed from
    scratch.

    The backends' sums differ from the in-memory ones in the order of their
    additions, so the two solver paths part by roundings: after the 31 L-BFGS
    iterations of the balanced binary case, whose class weights make it the
    least well conditioned, the probabilities are 5e-8 apart with numpy 2.0
    (1e-6 of the smallest), in the other cases 1e-11. How far they have parted is
    no property of the backend. Being the same iterate is: the backend's model
    lies within a thousandth of the kept iterate's last step (the distance from
    the iterate before it, 0.015 to 0.45 in probability) of the in-memory model.
    """
    if backend.startswith("dask"):
        request.getfixturevalue("dask_threads")
    X, y, X_val, y_val = _hold_out_the_last(*_data(target))
    sample_weight_val = _weights(X_val.shape[0]) if weighted else None
    params = {**BASE, "alpha": 1e-2, "early_stopping": True, **extra}
    data = (X, y, X_val, y_val, sample_weight_val)
    reference = _fit_with_validation("dense", params, *data)
    fitted = _fit_with_validation(backend, params, *data)
    assert fitted.n_iter_ == reference.n_iter_
    assert fitted.best_iteration_ == reference.best_iteration_
    assert _improvements(fitted.validation_loss_curve_) == _improvements(
        reference.validation_loss_curve_
    )
    for clf in (reference, fitted):
        assert clf.best_validation_loss_ == pytest.approx(
            _held_out_loss(clf, y, X_val, y_val, sample_weight_val), rel=1e-10
        )
    # The same iterate, by probabilities and by the training objective (over all
    # of X: every training row trained).
    best = reference.best_iteration_
    kept = _proba(reference, X)
    last_step = np.abs(kept - _iterate(params, X, y, best - 1).predict_proba(X)).max()
    assert np.abs(_proba(fitted, X, backend) - kept).max() < 1e-3 * last_step
    last_loss_step = abs(reference.loss_ - reference.loss_curve_[best - 2])
    assert abs(fitted.loss_ - reference.loss_) < 1e-3 * last_loss_step


def _iterate(params, X, y, n_iter):
    """The in-memory solver's iterate after ``n_iter`` iterations on all of X: a
    fit without early stopping that stops there (the monitor only watches)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # stopped on purpose
        return TwoLayerSigmoidClassifier(
            **{**params, "early_stopping": False, "max_iter": n_iter}
        ).fit(X, y)


def _improvements(curve):
    """For each iteration after the first, whether its validation loss beat the
    best before it (the start's loss, the first one's rival, is not in the curve)."""
    best = np.minimum.accumulate(curve)
    return [
        bool(now < before) for before, now in zip(best[:-1], curve[1:], strict=True)
    ]


def _held_out_loss(clf, y_train, X_val, y_val, sample_weight_val):
    """The weighted mean cross-entropy of ``clf``'s weights on the validation rows,
    in float64 from the document's forward pass, with the class weights of
    ``y_train`` recomputed by scikit-learn (per label column for multilabel
    targets, multiplied)."""
    from sklearn.utils.class_weight import compute_class_weight

    weights = [
        np.asarray(_reference.on_host(getattr(clf, name)), dtype=np.float64)
        for name in ("W1_", "b1_", "W2_", "b2_")
    ]
    _, logits = _reference.forward(*weights, X_val)
    classes = _reference.on_host(clf.classes_)
    s = np.ones(X_val.shape[0]) if sample_weight_val is None else sample_weight_val
    if y_val.ndim == 2:  # multilabel: one sigmoid per label column
        Y, output, columns = y_val.astype(float), "sigmoid", y_val.T
        train_columns, column_classes = y_train.T, [np.array([0, 1])] * y_val.shape[1]
    else:
        Y = (y_val[:, None] == classes).astype(float)
        output = "softmax"
        if classes.size == 2:
            Y, output = Y[:, 1:], "sigmoid"
        columns, train_columns, column_classes = [y_val], [y_train], [classes]
    if clf.class_weight is not None:
        for column, train_column, present in zip(
            columns, train_columns, column_classes, strict=True
        ):
            per_class = compute_class_weight(
                clf.class_weight, classes=present, y=train_column
            )
            s = s * per_class[np.searchsorted(present, column)]
    per_sample = _reference.per_sample_loss(logits, Y, output)
    return float(per_sample @ s / s.sum())


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "case",
    [c for c in _bad_inputs() if c not in ("one class", "one class weighted")],
)
def test_bad_validation_input_gets_the_training_message(request, backend, case):
    """The validation rows are validated as training rows are, on every backend:
    the error is the training input's, prefixed by where it was found."""
    if backend.startswith("dask"):
        request.getfixturevalue("dask_threads")
    X_bad, y_bad, sample_weight_bad = _bad_inputs()[case]
    with pytest.raises(ValueError) as training:
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X_bad, y_bad, sample_weight_bad)
    X, y = standardized_iris()
    clf = TwoLayerSigmoidClassifier(n_hidden=2, early_stopping=True)
    X, y, _ = _as(backend, X, y)
    X_val, y_val, sample_weight_val = _as_rows(backend, X_bad, y_bad, sample_weight_bad)
    with pytest.raises(ValueError) as validation, _dispatch(backend):
        clf.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=sample_weight_val)
    message = str(validation.value)
    if backend in ARRAY_API:  # as in test_bad_input_gets_the_in_memory_message
        message = re.sub(
            r"\b(torch|array_api_strict)\.(float\d+)", r"dtype('\2')", message
        )
    prefix = "In the validation set (X_val, y_val, sample_weight_val): "
    assert message == prefix + str(training.value)
    assert not hasattr(clf, "n_features_in_")  # a failed fit changes nothing


def test_validation_rows_of_another_kind_than_the_training_rows(dask_threads):
    """Dask X with NumPy X_val, and NumPy X with Dask X_val: the same model."""
    X, y, X_val, y_val = _hold_out_the_last(*_data("multiclass"))
    params = {**BASE, "early_stopping": True, "alpha": 1e-2}
    reference = _fit_with_validation("dense", params, X, y, X_val, y_val, None)
    on_dask = TwoLayerSigmoidClassifier(**params).fit(
        *_as_rows("dask", X, y)[:2], X_val=X_val, y_val=y_val
    )
    lazy_val = TwoLayerSigmoidClassifier(**params).fit(
        X, y, X_val=da.from_array(X_val, chunks=15), y_val=da.from_array(y_val)
    )
    for fitted in (on_dask, lazy_val):
        assert fitted.n_iter_ == reference.n_iter_
        np.testing.assert_allclose(
            fitted.validation_loss_curve_, reference.validation_loss_curve_, rtol=1e-6
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_balanced_multilabel_validation_labels_are_checked_per_column(request, backend):
    """A label column that is always 0 in training has no class weight for a 1:
    refused in that column only, wherever the rows live."""
    if backend == "dask":
        request.getfixturevalue("dask_threads")
    X, Y = _data("multilabel")
    Y = Y.copy()
    Y[:110, 2] = 0  # the training rows never have label 2
    params = {**BASE, "class_weight": "balanced", "early_stopping": True}
    X_train, Y_train, _ = _as_rows(backend, X[:110], Y[:110])
    clf = TwoLayerSigmoidClassifier(**params)
    fine = Y[110:].copy()
    fine[:, 2] = 0  # ones in the other columns only
    with warnings.catch_warnings(), _dispatch(backend):
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, Y_train, X_val=_as_rows(backend, X[110:], fine)[0], y_val=fine)
        assert clf.best_validation_loss_ > 0
        bad = fine.copy()
        bad[0, 2] = 1
        with pytest.raises(ValueError, match=r"the value\(s\) \[1\] in label column 2"):
            clf.fit(
                X_train,
                Y_train,
                X_val=_as_rows(backend, X[110:], bad)[0],
                y_val=_as_rows(backend, X[110:], bad)[1],
            )


@pytest.mark.parametrize("backend", ["csr", *ARRAY_API])
def test_grid_search_over_a_pipeline_with_a_validation_set(backend):
    """GridSearchCV over Pipeline(scaler, net, transform_input=["X_val"]) under
    metadata routing: on sparse input and on device arrays, the dense search."""
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MaxAbsScaler

    X, y, X_val, y_val = _hold_out_the_last(*_data("multiclass"))
    X, X_val = 3.0 * X + 5.0, 3.0 * X_val + 5.0  # scaling the rows matters

    def search(where):
        with config_context(enable_metadata_routing=True), _dispatch(where):
            net = TwoLayerSigmoidClassifier(**BASE, early_stopping=True)
            pipeline = Pipeline(
                [
                    # for sparse rows and device arrays alike (StandardScaler's
                    # first partial_fit divides 0 by 0 on array-api-strict)
                    ("scale", MaxAbsScaler()),
                    ("net", net.set_fit_request(X_val=True, y_val=True)),
                ],
                transform_input=["X_val"],
            )
            grid = GridSearchCV(pipeline, {"net__alpha": [1e-2, 1.0]}, cv=2)
            X_there, y_there, _ = _as_rows(where, X, y)
            X_val_there, y_val_there, _ = _as_rows(where, X_val, y_val)
            return grid.fit(X_there, y_there, X_val=X_val_there, y_val=y_val_there)

    reference, fitted = search("dense"), search(backend)
    assert fitted.best_params_ == reference.best_params_
    np.testing.assert_allclose(
        fitted.cv_results_["mean_test_score"], reference.cv_results_["mean_test_score"]
    )
    np.testing.assert_allclose(
        fitted.best_estimator_[-1].validation_loss_curve_,
        reference.best_estimator_[-1].validation_loss_curve_,
        rtol=1e-6,
    )


# -- issue 20, defect 1: early stopping on few distinct samples ---------------------
def _few_distinct(target):
    """400 rows, 8 distinct: each distinct sample is an eighth of the data, far
    more than twice validation_fraction=0.1 of its class, so no sample can be
    held out whole; their weight is shared."""
    rng = np.random.RandomState(0)
    X = rng.randint(0, 2, size=(400, 3)).astype(float)
    a, b = X[:, 0].astype(int), X[:, 1].astype(int)
    if target == "binary":
        return X, a | b
    if target == "multiclass":
        return X, a + b
    return X, np.column_stack([a | b, a & b, 1 - b])


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_early_stopping_on_few_distinct_samples_trains_every_pattern(
    request, backend, target, solver, weighted
):
    """Every distinct sample keeps 90% of its weight for training and holds out
    10%, with a warning that names the cause; the model learns every pattern, and every
    backend holds out the same rows (the same validation curve)."""
    if backend.startswith("dask"):
        request.getfixturevalue("dask_threads")
    if backend in ARRAY_API:  # skip before pytest.warns: pytest 8.0 reads a skip
        _skip_without(backend)  # raised inside it as a missing warning
    X, y = _few_distinct(target)
    sample_weight = _weights(X.shape[0]) if weighted else None
    params = {
        "n_hidden": 4,
        "alpha": 1.0,  # well-posed: the backends' paths do not part
        "tol": 1e-7,  # a fit that converges ends at the optimum, not on its path
        "early_stopping": True,
        "solver": solver,
        "random_state": 0,
    }
    fits = {}
    for where in dict.fromkeys(["dense", backend]):
        with pytest.warns(UserWarning, match="holds out a share of training samples"):
            fits[where] = _fit(where, params, X, y, sample_weight)
    fitted, reference = fits[backend], fits["dense"]
    assert reference.best_iteration_ > 0
    assert reference.score(X, y) == 1.0
    best = reference.best_iteration_
    assert fitted.best_iteration_ == best
    # The curve up to the kept iteration; after it, trust-ncg's steps on this
    # nearly separable problem amplify the backends' last-bit differences.
    np.testing.assert_allclose(
        fitted.validation_loss_curve_[:best],
        reference.validation_loss_curve_[:best],
        rtol=1e-6,
    )
    # Probabilities to 1e-6 absolutely: the kept iterate is on trust-ncg's path,
    # where relative differences of a few 1e-6 reach the smallest probabilities.
    np.testing.assert_allclose(
        _proba(fitted, X, backend), _proba(reference, X), rtol=0, atol=1e-6
    )
