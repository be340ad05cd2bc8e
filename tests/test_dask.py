"""Dask: fitting/predicting on row-chunked Dask arrays, and grid search on a cluster.

The fits run on Dask's threaded scheduler (the ``dask_threads`` fixture), the
cheapest one that computes blocks concurrently: the backend computes through any
scheduler and adds the blocks' sums in block order, and
``test_a_fit_needs_no_client_and_is_the_same_bits_on_every_scheduler`` and
``test_a_fit_on_a_cluster_of_worker_processes_is_the_same_bits`` check that every
scheduler, a ``LocalCluster`` of two worker processes included, gives the same bits.
What only a cluster has (joblib's dask backend, the user's persisted futures,
pickling between processes) runs on that cluster (``cluster_client``: a client, for
the test, of a cluster started once for the module). The problems compared with the
in-memory fit are well-posed (L-BFGS converges in a few dozen iterations): the
blocked sums differ from the in-memory sums by rounding only, and a converging
problem does not amplify rounding along the L-BFGS path.
"""

import concurrent.futures
import multiprocessing
import os
import subprocess
import sys
import textwrap
import warnings

import _reference as reference
import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import (
    load_breast_cancer,
    load_iris,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier, _classifier

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

RTOL = 1e-6  # the bound on predict_proba, relative


def _assert_same_fit(fitted_on_dask, fitted_in_memory, X):
    proba = fitted_on_dask.predict_proba(da.from_array(X, chunks=100)).compute()
    np.testing.assert_allclose(
        proba, fitted_in_memory.predict_proba(X), rtol=RTOL, atol=0
    )
    assert fitted_on_dask.n_iter_ == fitted_in_memory.n_iter_
    np.testing.assert_allclose(fitted_on_dask.loss_, fitted_in_memory.loss_, rtol=1e-9)
    np.testing.assert_array_equal(fitted_on_dask.classes_, fitted_in_memory.classes_)


# -- without a cluster -----------------------------------------------------------------
def test_numpy_fit_does_not_import_dask():
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        from sklearn_twolayer import TwoLayerSigmoidClassifier

        X = np.random.default_rng(0).normal(size=(40, 3))
        y = (X[:, 0] > 0).astype(int)
        clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0).fit(X, y)
        clf.predict(X), clf.predict_proba(X), clf.predict_log_proba(X)
        clf.decision_function(X)
        print(sorted(m for m in sys.modules if m.split(".")[0] in
                     ("dask", "distributed", "sklearn_twolayer._backends.dask")))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


LOCAL_SCHEDULERS = {
    "synchronous": {"scheduler": "synchronous"},
    "one thread": {"scheduler": "threads", "num_workers": 1},
    "four threads": {"scheduler": "threads", "num_workers": 4},
    "processes": {"scheduler": "processes"},  # and a pool, in the test
}
# Weighted, balanced, early stopping: every kind of task of a fit; 15 iterations
# are enough to compare bits (the fits need not converge).
FITS = [
    dict(class_weight="balanced", early_stopping=True, alpha=1e-2, max_iter=15),
    dict(solver="trust-ncg", early_stopping=True, alpha=1e-2, max_iter=15),
]


def _fit_under(config, params, iris):
    X, y = iris
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=y.size)
    with dask.config.set(config), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0, **params)
        return clf.fit(
            da.from_array(X, chunks=((20, 70, 35, 25), 4)),
            da.from_array(y, chunks=60),
            sample_weight=da.from_array(weights, chunks=45),
        )


def _assert_same_bits(fitted, reference, name):
    assert reference.n_iter_ > 5
    for attribute in ("W1_", "b1_", "W2_", "b2_", "validation_loss_curve_"):
        np.testing.assert_array_equal(
            getattr(fitted, attribute), getattr(reference, attribute), name
        )
    assert fitted.loss_curve_ == reference.loss_curve_, name


@pytest.mark.parametrize("params", FITS, ids=["lbfgs", "trust-ncg"])
def test_a_fit_needs_no_client_and_is_the_same_bits_on_every_scheduler(iris, params):
    """The blocks' sums are added on the client in block order, whatever computes
    the blocks: in this process, on 1 or 4 threads, or in processes that unpickle
    every task. (Before this module's cluster starts: no Client exists.)"""
    distributed = pytest.importorskip("distributed")
    with pytest.raises(ValueError, match="No global client"):
        distributed.get_client()
    fits = {}
    # A pool of its own, else the processes scheduler starts new processes for
    # every compute; spawned, not forked from this process and its threads.
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=spawn) as pool:
        for name, config in LOCAL_SCHEDULERS.items():
            if name == "processes":
                config = {**config, "pool": pool}
            fits[name] = _fit_under(config, params, iris)
    reference = fits.pop("synchronous")
    for name, fitted in fits.items():
        _assert_same_bits(fitted, reference, name)


def test_a_fit_on_a_cluster_of_worker_processes_is_the_same_bits(_module_cluster, iris):
    """A distributed client of the module's cluster (two worker processes) gives
    the bits of the synchronous scheduler (trust-ncg's products are tasks of the
    same kind). The synchronous fit comes first, before the client is open: dask
    2024.1.0 warns on a local scheduler chosen while a client is open."""
    distributed = pytest.importorskip("distributed")
    reference = _fit_under({"scheduler": "synchronous"}, FITS[0], iris)
    with distributed.Client(_module_cluster):
        on_cluster = _fit_under({}, FITS[0], iris)  # the client is the default
    _assert_same_bits(on_cluster, reference, "two worker processes")


def test_tasks_cancelled_during_a_fit_are_a_clear_error_that_changes_nothing(
    iris, monkeypatch
):
    """A scheduler that cancels the fit's tasks after its first evaluation: what a
    distributed client does when it loses its scheduler, and so, before distributed
    2024.8.0, what no-workers-timeout gives (``test_dask_worker_loss.py`` loses the
    workers for real). The scheduler's error names only a task's key."""
    X, y = iris
    fitted = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0).fit(X, y)
    W1 = fitted.W1_.copy()
    cancelled = False

    def cancelling(graph, keys, **kwargs):
        if cancelled:
            raise concurrent.futures.CancelledError("_block_data_loss_gradient-1")
        return dask.get(graph, keys, **kwargs)

    minimize_lbfgs = _classifier.minimize_lbfgs

    def interrupted(fun, theta0, **kwargs):
        nonlocal cancelled
        fun(theta0)
        cancelled = True
        return minimize_lbfgs(fun, theta0, **kwargs)

    monkeypatch.setattr(_classifier, "minimize_lbfgs", interrupted)
    with (
        dask.config.set(scheduler=cancelling),
        pytest.raises(
            RuntimeError, match="The fit's Dask tasks were cancelled"
        ) as raised,
    ):
        fitted.fit(da.from_array(X, chunks=30), y)
    assert isinstance(raised.value.__cause__, concurrent.futures.CancelledError)
    np.testing.assert_array_equal(fitted.W1_, W1)


def test_only_y_and_weights_on_dask_fit_in_memory(iris):
    # Dask collections as y / sample_weight only: they are computed (as small as a
    # column of X) and the in-memory path fits; no cluster is needed.
    X, y = iris
    weights = np.linspace(0.5, 2.0, y.size)
    params = dict(n_hidden=3, alpha=1.0, random_state=0)
    lazy_targets = TwoLayerSigmoidClassifier(**params).fit(
        X, da.from_array(y, chunks=40), da.from_array(weights, chunks=70)
    )
    in_memory = TwoLayerSigmoidClassifier(**params).fit(X, y, weights)
    np.testing.assert_array_equal(lazy_targets.W1_, in_memory.W1_)


def test_predict_needs_no_cluster_and_is_lazy(breast_cancer):
    X, y = breast_cancer
    clf = TwoLayerSigmoidClassifier(n_hidden=4, random_state=0).fit(X, y)
    X_nan = X.copy()
    X_nan[-1, 0] = np.nan
    lazy = clf.predict(da.from_array(X_nan, chunks=100))
    assert isinstance(lazy, da.Array)  # built without touching the blocks
    with pytest.raises(ValueError, match="NaN"):
        lazy.compute()  # the bad row is only seen when the block is computed


@pytest.mark.parametrize(
    "method",
    ["predict", "predict_proba", "predict_log_proba", "decision_function"],
)
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_predict_methods_return_dask_arrays_equal_to_numpy(method, target, iris):
    X, y = iris
    if target == "binary":
        y = y == 1
    elif target == "multilabel":
        y = np.column_stack([y == 1, y == 2, X[:, 0] > 0]).astype(int)
    clf = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0).fit(X, y)
    expected = getattr(clf, method)(X)
    result = getattr(clf, method)(da.from_array(X, chunks=(40, 2)))
    assert isinstance(result, da.Array)
    assert result.shape == expected.shape and result.dtype == expected.dtype
    computed = result.compute()
    if method == "predict":
        np.testing.assert_array_equal(computed, expected)
    else:
        np.testing.assert_allclose(computed, expected, rtol=1e-12, atol=1e-14)


def test_decision_function_keeps_float32(iris):
    X, y = iris
    X = X.astype(np.float32)
    clf = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0).fit(X, y)
    assert clf.decision_function(da.from_array(X, chunks=50)).dtype == np.float32


def _fitted_for(target, iris):
    X, y = iris
    if target == "binary":
        y = y == 1
    elif target == "multilabel":
        y = np.column_stack([y == 1, y == 2, X[:, 0] > 0]).astype(int)
    return TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0).fit(X, y)


@pytest.mark.parametrize("output", ["proba", "logit"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_input_gradient_is_lazy_per_block_and_equals_numpy(output, target, dtype, iris):
    X = iris[0].astype(dtype)
    clf = _fitted_for(target, iris)
    expected = clf.input_gradient(X, output=output)
    result = clf.input_gradient(da.from_array(X, chunks=(40, 2)), output=output)
    assert isinstance(result, da.Array)
    assert result.shape == expected.shape and result.dtype == expected.dtype == dtype
    # One chunk per row block of X; the outputs and the features whole.
    whole = tuple((size,) for size in expected.shape[1:])
    assert result.chunks == ((40, 40, 40, 30), *whole)
    np.testing.assert_array_equal(result.compute(), expected)
    other = "logit" if output == "proba" else "proba"  # not a stale graph
    other_result = clf.input_gradient(da.from_array(X, chunks=(40, 2)), output=other)
    assert other_result.name != result.name


def test_input_gradient_on_dask_checks_output_now_and_rows_lazily(iris):
    X, _ = iris
    clf = _fitted_for("multiclass", iris)
    X_nan = X.copy()
    X_nan[-1, 0] = np.nan
    with pytest.raises(ValueError, match="must be 'proba' or 'logit'; got 'p'"):
        clf.input_gradient(da.from_array(X, chunks=50), output="p")
    with pytest.raises(ValueError, match="X has 2 features, but"):
        clf.input_gradient(da.from_array(X[:, :2], chunks=50))
    lazy = clf.input_gradient(da.from_array(X_nan, chunks=50))
    with pytest.raises(ValueError, match="NaN"):
        lazy.compute()


PREDICTIONS = [
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "input_gradient",
    "transform",
]


def _targets_of(target, X, y):
    if target == "binary":
        return np.where(y == 1, "versicolor", "other")
    if target == "multilabel":
        return np.column_stack([y == 1, y == 2, X[:, 0] > 0]).astype(int)
    return y


@pytest.mark.parametrize("method", PREDICTIONS)
@pytest.mark.parametrize(
    "first, then",
    [("binary", "multiclass"), ("multiclass", "multilabel"), ("multilabel", "binary")],
)
def test_a_lazy_prediction_is_the_model_at_the_call(method, first, then, iris):
    # Issue 20, defect 3: computing after a refit gave the refitted model's values
    # (0.92 off), and a shape that disagreed with the declared one.
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0)
    clf.fit(X, _targets_of(first, X, y))
    expected = getattr(clf, method)(X)
    lazy = getattr(clf, method)(da.from_array(X, chunks=40))
    # Everything changes: targets, classes, output unit, units and features.
    clf.set_params(n_hidden=5).fit(X[:, :3], _targets_of(then, X, y))
    computed = lazy.compute()
    assert lazy.shape == computed.shape == expected.shape
    assert lazy.dtype == computed.dtype == expected.dtype
    np.testing.assert_array_equal(computed, expected)
    assert clf.n_features_in_ == 3  # while the estimator is the refitted model


@pytest.mark.parametrize("method", PREDICTIONS)
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("blocks", ["dense", "csr"])
def test_empty_blocks_predict_as_in_memory(method, target, blocks, iris):
    # Issue 20, defect 4: "Found array with 0 sample(s)" from an empty block.
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0)
    clf.fit(X, _targets_of(target, X, y))
    X_dask = da.from_array(X, chunks=25)
    if blocks == "csr":
        X_dask = X_dask.map_blocks(sparse.csr_matrix, dtype=X.dtype)
    kept = X[:, 2] > 0  # no row of the first 50 (setosa): two empty blocks
    X_kept = X_dask[da.from_array(kept, chunks=25)]
    X_kept.compute_chunk_sizes()
    assert X_kept.chunks[0][:2] == (0, 0) and X_kept.shape[0] == kept.sum()
    X_expected = sparse.csr_matrix(X[kept]) if blocks == "csr" else X[kept]
    expected = getattr(clf, method)(X_expected)
    result = getattr(clf, method)(X_kept)
    computed = result.compute()
    assert result.shape == computed.shape == expected.shape
    assert computed.dtype == expected.dtype
    np.testing.assert_array_equal(computed, expected)


# Dtypes that in-memory validation reads as float64 (check_array with
# dtype=(float64, float32)).
ACCEPTED_DTYPES = [np.float16, np.int32, np.uint8, bool, object, "U32", "S32"]


@pytest.mark.parametrize("method", PREDICTIONS)
@pytest.mark.parametrize("dtype", ACCEPTED_DTYPES, ids=str)
def test_dtypes_accepted_in_memory_predict_on_dask(method, dtype, iris):
    # Issue 20, defect 6: float16 and object X were refused ("X must hold real
    # numbers"), which in memory are read as float64.
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0).fit(X, y)
    X_typed = np.round(X * 4).astype(dtype)  # strings: '-3.0', b'5.0'...
    expected = getattr(clf, method)(X_typed)
    result = getattr(clf, method)(da.from_array(X_typed, chunks=40))
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result.compute(), expected)


def _unreadable_inputs():
    X = np.round(load_iris().data[:20])
    words = X.astype(object)
    words[3, 1] = "seven"
    missing = X.astype(object)
    missing[5, 0] = None
    return {"a word": words, "None": missing, "complex": X.astype(complex)}


@pytest.mark.parametrize("method", PREDICTIONS)
@pytest.mark.parametrize("case", list(_unreadable_inputs()))
def test_unreadable_x_gets_the_in_memory_message(method, case, iris):
    X, y = iris
    clf = TwoLayerSigmoidClassifier(n_hidden=3, alpha=1.0, random_state=0).fit(X, y)
    X_bad = _unreadable_inputs()[case]
    with pytest.raises(ValueError) as in_memory:
        getattr(clf, method)(X_bad)
    with pytest.raises(ValueError) as on_dask:
        getattr(clf, method)(da.from_array(X_bad, chunks=10)).compute()
    message = str(in_memory.value)
    if case == "complex":  # the message shows the array: here the Dask array's
        message = message.split("\n")[0]
        assert str(on_dask.value).startswith(message + "\ndask.array<")
    else:
        assert str(on_dask.value) == message


# -- fitting --------------------------------------------------------------
def test_binary_fit_equals_in_memory_fit(dask_threads, breast_cancer):
    X, y = breast_cancer
    params = dict(n_hidden=8, alpha=1e-4, random_state=0)
    in_memory = TwoLayerSigmoidClassifier(**params).fit(X, y)
    X_dask = da.from_array(X, chunks=((100, 200, 69, 200), 30))
    on_dask = TwoLayerSigmoidClassifier(**params).fit(X_dask, da.from_array(y, 250))
    assert on_dask.W1_.shape == (8, X.shape[1])
    _assert_same_fit(on_dask, in_memory, X)


def test_weighted_multiclass_fit_with_unequal_chunks_equals_in_memory(
    dask_threads, iris
):
    X, y = iris
    sample_weight = np.random.default_rng(0).uniform(0.1, 3.0, size=y.size)
    params = dict(n_hidden=3, alpha=1.0, class_weight="balanced", random_state=0)
    in_memory = TwoLayerSigmoidClassifier(**params).fit(X, y, sample_weight)
    # X, y and the weights each chunked differently, none of them evenly.
    on_dask = TwoLayerSigmoidClassifier(**params).fit(
        da.from_array(X, chunks=((20, 70, 35, 25), (1, 3))),
        da.from_array(y, chunks=((90, 60),)),
        sample_weight=da.from_array(sample_weight, chunks=((7, 100, 43),)),
    )
    assert on_dask.out_activation_ == "softmax"
    _assert_same_fit(on_dask, in_memory, X)


def test_multilabel_fit_equals_in_memory_fit(dask_threads):
    X, Y = make_multilabel_classification(
        n_samples=200, n_features=5, n_classes=3, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    params = dict(n_hidden=4, alpha=1.0, class_weight="balanced", random_state=0)
    in_memory = TwoLayerSigmoidClassifier(**params).fit(X, Y)
    on_dask = TwoLayerSigmoidClassifier(**params).fit(
        da.from_array(X, chunks=64), da.from_array(Y, chunks=(50, 3))
    )
    _assert_same_fit(on_dask, in_memory, X)


@pytest.mark.parametrize("target", ["multiclass", "multilabel"])
def test_balanced_class_without_weight_fits_as_in_memory(dask_threads, iris, target):
    """Issue 33, defect 6, on Dask: "balanced" with a class (a label value) whose
    sample weights are all 0 gives it the class weight 0, as in memory, and the
    blocks' totals (the class lacks weight in every block) add up to that."""
    X, y = iris
    sample_weight = np.random.default_rng(3).uniform(0.5, 2.0, size=y.size)
    if target == "multilabel":
        y = np.column_stack([y == 0, y == 1, X[:, 0] > 0]).astype(int)
        sample_weight[y[:, 1] == 1] = 0.0
    else:
        sample_weight[y == 2] = 0.0
    params = dict(n_hidden=3, alpha=1.0, class_weight="balanced", random_state=0)
    in_memory = TwoLayerSigmoidClassifier(**params).fit(X, y, sample_weight)
    on_dask = TwoLayerSigmoidClassifier(**params).fit(
        da.from_array(X, chunks=((20, 70, 35, 25), 4)),
        da.from_array(y, chunks=(50, *y.shape[1:])),
        sample_weight=da.from_array(sample_weight, chunks=40),
    )
    _assert_same_fit(on_dask, in_memory, X)


def test_float32_blocks_stay_float32_and_converge(dask_threads, iris):
    X, y = iris
    params = dict(n_hidden=3, alpha=1.0, random_state=0)
    in_memory_float64 = TwoLayerSigmoidClassifier(**params).fit(X, y)
    X32 = da.from_array(X.astype(np.float32), chunks=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # L-BFGS-B must not stall
        on_dask = TwoLayerSigmoidClassifier(**params).fit(X32, y)
    assert on_dask.W1_.dtype == np.float32
    # The float32 optimum is the float64 one: the same stationary point and
    # objective to float32 accuracy, the same labels away from ties.
    reference.assert_same_model(
        on_dask, in_memory_float64, X, y, on_dask.predict(X32).compute()
    )


def test_fit_leaves_the_users_persisted_arrays_alone(cluster_client, breast_cancer):
    X, y = breast_cancer
    X_dask = da.from_array(X, chunks=150).persist()
    y_dask = da.from_array(y, chunks=150).persist()
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0, max_iter=5)
    with pytest.warns(ConvergenceWarning, match="did not converge") as record:
        clf.fit(X_dask, y_dask)
    if "MUTANT_UNDER_TEST" not in os.environ:  # mutmut adds trampoline frames
        assert record[0].filename == __file__  # the user's call, as in memory
    # Twice, so that the second fit reuses keys the first fit persisted.
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        clf.fit(X_dask, y_dask)
    distributed = pytest.importorskip("distributed")
    futures = distributed.futures_of(X_dask) + distributed.futures_of(y_dask)
    assert futures and all(future.status == "finished" for future in futures)
    np.testing.assert_array_equal(X_dask.compute(), X)


def test_numpy_y_and_a_scalar_sample_weight_with_x_on_dask(dask_threads, iris):
    X, y = iris
    params = dict(n_hidden=3, alpha=1.0, random_state=0)
    on_dask = TwoLayerSigmoidClassifier(**params).fit(
        da.from_array(X, chunks=60), y, sample_weight=2.0
    )
    in_memory = TwoLayerSigmoidClassifier(**params).fit(X, y, sample_weight=2.0)
    _assert_same_fit(on_dask, in_memory, X)


@pytest.mark.parametrize("where", ["y", "y_val"])
def test_a_column_vector_y_warns_at_the_call_of_fit_naming_it(
    dask_threads, iris, where
):
    """The in-memory warning, at the caller's line; for y_val with the
    validation set's prefix (issue 33, defect 8)."""
    from sklearn.exceptions import DataConversionWarning

    X, y = iris
    X_dask, y_dask = da.from_array(X, chunks=50), da.from_array(y, chunks=50)
    clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0, max_iter=5)
    fit_params, name = {}, where
    if where == "y_val":
        clf.set_params(early_stopping=True)
        fit_params = {"X_val": X_dask[100:], "y_val": y_dask[100:, None]}
    else:
        y_dask = y_dask[:, None]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_dask, y_dask, **fit_params)
    prefix = "In the validation set (X_val, y_val, sample_weight_val): "
    assert [str(warning.message) for warning in record] == [
        (prefix if where == "y_val" else "")
        + f"A column-vector {name} was passed when a 1d array was expected. Please "
        f"change the shape of {name} to (n_samples,), for example using ravel()."
    ]
    assert record[0].category is DataConversionWarning
    if "MUTANT_UNDER_TEST" not in os.environ:  # mutmut adds trampoline frames
        assert record[0].filename == __file__


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_input_gradient_on_the_cluster_equals_in_memory(cluster_client, target, iris):
    X, _ = iris
    clf = _fitted_for(target, iris)
    X_dask = da.from_array(X, chunks=((20, 70, 35, 25), 4))
    for output in ("proba", "logit"):
        lazy = clf.input_gradient(X_dask, output=output)
        np.testing.assert_array_equal(
            lazy.compute(), clf.input_gradient(X, output=output)
        )


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda X, y, w: (np.where(X == X[3, 2], np.inf, X), y, w),
            r"^Input X contains infinity or a value too large for "
            r"dtype\('float64'\)\.$",
        ),
        (lambda X, y, w: (X, y, -w), "Negative values"),
        (lambda X, y, w: (X, y[:-1], w), "inconsistent numbers of samples"),
        (lambda X, y, w: (X, y + 0.5, w), "Unknown label type"),
        (lambda X, y, w: (X, np.zeros_like(y), w), "only one class"),
        (lambda X, y, w: (X, y, np.where(y == 0, w, 0)), "Only one class has positive"),
        (lambda X, y, w: (X[:, 0], y, w), "Expected a 2D Dask array"),
    ],
)
def test_bad_input_gets_a_clear_error(dask_threads, iris, change, message):
    X, y = iris
    X, y, w = change(X, y, np.ones(y.size))
    X_dask = da.from_array(X, chunks=50)
    with pytest.raises(ValueError, match=message):
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X_dask, y, sample_weight=w)


@pytest.mark.parametrize(
    "case", ["sample_weight", "sample_weight float32", "class_weight", "validation"]
)
def test_weights_whose_sums_overflow_get_the_in_memory_message(
    dask_threads, iris, case
):
    """Issue 33, defect 5, on Dask: weights whose sum (or products) overflow are
    named before the fit, with the in-memory message, and no worker warns."""
    X, y = iris
    params, fit_params = {"n_hidden": 2}, {}
    if case.startswith("sample_weight"):
        fit_params["sample_weight"] = np.full(y.size, 1e307)
        if case.endswith("float32"):
            X, fit_params["sample_weight"] = X.astype(np.float32), np.full(y.size, 5e37)
    elif case == "class_weight":
        X, params["class_weight"] = X.astype(np.float32), {0: 1e39, 1: 1, 2: 1}
    else:
        params["early_stopping"] = True
        fit_params = {"X_val": X[100:], "y_val": y[100:]}
        fit_params["sample_weight_val"] = np.full(50, 1e307)
    with pytest.raises(ValueError) as in_memory:
        TwoLayerSigmoidClassifier(**params).fit(X, y, **fit_params)
    assert "would overflow" in str(in_memory.value)
    chunked = {
        key: da.from_array(value, chunks=25) for key, value in fit_params.items()
    }
    clf = TwoLayerSigmoidClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError) as on_dask:
            clf.fit(da.from_array(X, chunks=50), y, **chunked)
    assert str(on_dask.value) == str(in_memory.value)
    assert not hasattr(clf, "W1_")


# -- grid search with joblib's dask backend --------------------------------------------
def test_grid_search_on_the_cluster_matches_serial(cluster_client, breast_cancer):
    import joblib

    X, y = load_breast_cancer(return_X_y=True)
    pipeline = make_pipeline(
        StandardScaler(), TwoLayerSigmoidClassifier(random_state=0)
    )
    grid = {
        "twolayersigmoidclassifier__n_hidden": [2, 6],
        "twolayersigmoidclassifier__alpha": [1e-2, 1.0],
    }
    serial = GridSearchCV(pipeline, grid, cv=3).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        on_cluster = GridSearchCV(pipeline, grid, cv=3, n_jobs=-1).fit(X, y)
    for key in ["mean_test_score", *(f"split{i}_test_score" for i in range(3))]:
        np.testing.assert_array_equal(
            on_cluster.cv_results_[key], serial.cv_results_[key]
        )
    assert on_cluster.best_params_ == serial.best_params_


def test_callbacks_on_dask_arrays(dask_threads, breast_cancer):
    # scikit-learn's callbacks on a fit of Dask arrays: one subtask per iteration
    # whose models the monitor scores (a Dask score is the in-memory score of the
    # same model), a stop request, and weights unchanged by the callbacks.
    pytest.importorskip("sklearn.callback")  # scikit-learn >= 1.9
    from sklearn.callback import ProgressBar, ScoringMonitor

    pytest.importorskip("rich")
    X, y = breast_cancer
    X_dask, y_dask = da.from_array(X, chunks=150), da.from_array(y, chunks=150)
    params = dict(n_hidden=3, max_iter=15, random_state=0)
    with pytest.warns(ConvergenceWarning):
        plain = TwoLayerSigmoidClassifier(**params).fit(X_dask, y_dask)
    monitor = ScoringMonitor(scoring="accuracy")
    watched = TwoLayerSigmoidClassifier(**params).set_callbacks(monitor, ProgressBar())
    with pytest.warns(ConvergenceWarning):
        watched.fit(X_dask, y_dask)
    for name in ("W1_", "b1_", "W2_", "b2_"):
        np.testing.assert_array_equal(getattr(watched, name), getattr(plain, name))
    rows = monitor.get_logs().data
    assert [row["task_name"] for row in rows] == ["fit"] + ["iteration"] * 15
    assert rows[0]["accuracy"] == watched.score(X, y)

    class StopAfterFour:
        def setup(self, estimator, context):
            pass

        def teardown(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context):
            pass

        def on_fit_task_end(self, estimator, context):
            return context.task_name == "iteration" and context.task_id == 3

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        stopped = TwoLayerSigmoidClassifier(**params).set_callbacks(StopAfterFour())
        stopped.fit(X_dask, y_dask)
    assert stopped.n_iter_ == 4
    with pytest.warns(ConvergenceWarning):
        four = TwoLayerSigmoidClassifier(n_hidden=3, max_iter=4, random_state=0)
        four.fit(X_dask, y_dask)
    np.testing.assert_array_equal(stopped.W1_, four.W1_)


@pytest.mark.parametrize("dtype", [np.float16, object, "U32"], ids=str)
def test_fit_on_dtypes_accepted_in_memory(dask_threads, dtype, breast_cancer):
    # Issue 20, defect 6, for fit: the in-memory fit of the same array.
    X, y = breast_cancer
    X = X.astype(dtype)
    params = dict(n_hidden=3, alpha=1.0, random_state=0)
    fitted = TwoLayerSigmoidClassifier(**params).fit(da.from_array(X, chunks=150), y)
    assert fitted.W1_.dtype == np.float64
    _assert_same_fit(fitted, TwoLayerSigmoidClassifier(**params).fit(X, y), X)


@pytest.mark.parametrize("case", list(_unreadable_inputs()))
def test_fit_on_unreadable_x_gets_the_in_memory_message(dask_threads, case):
    X = _unreadable_inputs()[case]
    y = np.arange(X.shape[0]) % 2
    with pytest.raises(ValueError) as in_memory:
        TwoLayerSigmoidClassifier(n_hidden=2).fit(X, y)
    with pytest.raises(ValueError) as on_dask:
        TwoLayerSigmoidClassifier(n_hidden=2).fit(da.from_array(X, chunks=10), y)
    message = str(in_memory.value)
    if case == "complex":
        assert str(on_dask.value).startswith(message.split("\n")[0] + "\ndask.array<")
    else:
        assert str(on_dask.value) == message


@pytest.mark.parametrize("blocks", ["dense", "csr"])
def test_fit_and_predict_with_empty_blocks(dask_threads, blocks, iris):
    # Issue 20, defect 4: the fit worked; predicting on the same array must too.
    X, y = iris
    kept = X[:, 2] > 0
    X_dask = da.from_array(X, chunks=25)
    if blocks == "csr":
        X_dask = X_dask.map_blocks(sparse.csr_matrix, dtype=X.dtype)
    X_kept = X_dask[da.from_array(kept, chunks=25)]
    X_kept.compute_chunk_sizes()
    params = dict(n_hidden=3, alpha=1.0, random_state=0)
    fitted = TwoLayerSigmoidClassifier(**params).fit(X_kept, y[kept])
    in_memory = TwoLayerSigmoidClassifier(**params).fit(X[kept], y[kept])
    np.testing.assert_allclose(
        fitted.predict_proba(X_kept).compute(),
        in_memory.predict_proba(X[kept]),
        rtol=RTOL,
    )
    assert fitted.n_iter_ == in_memory.n_iter_
