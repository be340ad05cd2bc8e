"""The same fit gives the same bits, whatever the threads, and leaves BLAS as it was.

The evaluation cuts the rows into blocks, the blocks into a fixed number of groups,
and adds the groups' sums in group order, each BLAS call single-threaded: the order
of every floating-point addition is fixed by the data's shape, not by how many
threads computed it or what ran beside it. These tests compare fitted weights and
probabilities with ``np.array_equal``, never with a tolerance: the network's
non-convex objective amplifies a last-bit difference into a different model (the
issue's reproducer parted by 1e2 in W1). Timings of concurrent fits are in
``benchmarks/bench_concurrency.py``, not here.
"""

import threading

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_twolayer import TwoLayerSigmoidClassifier, _execution, network
from sklearn_twolayer.network import TwoLayerLoss

_WEIGHTS = ("W1_", "b1_", "W2_", "b2_")


@pytest.fixture
def small_blocks(block_bytes, threads_for_any_work):
    """Blocks of 10 rows of n_hidden=8 float64 values: small data has many blocks
    (more than the 16 groups), so several threads share every evaluation."""
    block_bytes(10 * 8 * 8)


# Every fit here stops early on purpose; what is checked does not depend on it.
pytestmark = pytest.mark.usefixtures("ignore_convergence_warnings")


def _assert_same_bits(model, reference, X):
    for name in _WEIGHTS:
        assert np.array_equal(getattr(model, name), getattr(reference, name)), name
    assert np.array_equal(model.predict_proba(X), reference.predict_proba(X))
    assert model.n_iter_ == reference.n_iter_
    assert model.loss_curve_ == reference.loss_curve_


def _fit_in_threads(make, datasets):
    """Fit make() on each dataset, each in its own thread, all started together."""
    barrier = threading.Barrier(len(datasets))
    models, errors = [None] * len(datasets), []

    def fit(index, X, y):
        try:
            barrier.wait()
            models[index] = make().fit(X, y)
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [
        threading.Thread(target=fit, args=(index, X, y))
        for index, (X, y) in enumerate(datasets)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    return models


def _blas_threads():
    return [
        lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"
    ]


# -- the issue's reproducer ------------------------------------------------------------
def test_issue_reproducer_same_weights_on_one_thread_and_beside_another_fit():
    X, y = make_classification(
        n_samples=5000, n_features=20, flip_y=0.2, random_state=0
    )

    def make():
        return TwoLayerSigmoidClassifier(
            n_hidden=30, random_state=0, alpha=1e-6, max_iter=400
        )

    reference = make().fit(X, y)
    with threadpool_limits(1):
        one_thread = make().fit(X, y)
    beside = _fit_in_threads(make, [(X, y), (X, y)])
    for model in (one_thread, *beside):
        _assert_same_bits(model, reference, X)


# -- threads ---------------------------------------------------------------------------
def _data(n_samples=600, seed=0):
    return make_classification(
        n_samples=n_samples,
        n_features=6,
        n_informative=4,
        flip_y=0.1,
        random_state=seed,
    )


def _make(**params):
    settings = dict(n_hidden=8, alpha=1e-5, max_iter=60, random_state=0)
    return TwoLayerSigmoidClassifier(**{**settings, **params})


# trust-ncg: 20 iterations, every evaluation and Hessian product of them through
# the threaded groups; its last 40 of 60 only ran more conjugate-gradient products
# of the same kind (2.0 s of a 2.3 s fit, four fits per case).
TRUST_NCG = {"solver": "trust-ncg", "max_iter": 20}


@pytest.mark.parametrize(
    "params",
    [{"solver": "lbfgs"}, TRUST_NCG, {"early_stopping": True}],
    ids=["lbfgs", "trust-ncg", "early-stopping"],
)
def test_same_bits_for_one_two_and_default_blas_threads(small_blocks, params):
    X, y = _data()
    assert len(_execution.row_blocks(X, 8, 8)) > _execution.N_GROUPS
    reference = _make(**params).fit(X, y)
    for limit in (1, 2, None):
        with threadpool_limits(limit):
            _assert_same_bits(_make(**params).fit(X, y), reference, X)


def test_same_bits_for_float32(small_blocks):
    X, y = _data()
    X = X.astype(np.float32)
    reference = _make().fit(X, y)
    with threadpool_limits(1):
        _assert_same_bits(_make().fit(X, y), reference, X)


def test_the_evaluation_gives_the_same_bits_on_any_number_of_workers(small_blocks):
    """One evaluation, through the sequential and the threaded path."""
    X, y = _data()
    model = _make(max_iter=5).fit(X, y)
    loss = TwoLayerLoss(network.ParameterLayout(6, 8, 1), "sigmoid")
    theta = loss.layout.pack(model.W1_, model.b1_, model.W2_, model.b2_)
    Y = y[:, None].astype(float)
    results, threaded = {}, []
    run_threaded = _execution._evaluate_groups_threaded

    def counted(*args, **kwargs):
        threaded.append(1)
        return run_threaded(*args, **kwargs)

    for limit in (1, 2):
        with threadpool_limits(limit), pytest.MonkeyPatch.context() as patch:
            patch.setattr(_execution, "_evaluate_groups_threaded", counted)
            results[limit] = (
                loss.loss_gradient(theta, X, Y, None, 1e-3),
                loss.logits(theta, X),
            )
        assert len(threaded) == (0 if limit == 1 else 2)
    (value_1, gradient_1), logits_1 = results[1]
    (value_2, gradient_2), logits_2 = results[2]
    assert value_1 == value_2
    assert np.array_equal(gradient_1, gradient_2)
    assert np.array_equal(logits_1, logits_2)


def _at_byte_offset(array, offset):
    """A copy of ``array`` starting ``offset`` bytes past a 64-byte boundary."""
    buffer = np.empty(array.nbytes + 128, dtype=np.uint8)
    start = (-buffer.ctypes.data) % 64 + offset
    moved = buffer[start : start + array.nbytes].view(array.dtype)
    moved[...] = array
    return moved


@pytest.mark.parametrize("offset", [1, 4, 8, 40])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_the_evaluation_gives_the_same_bits_wherever_theta_lies(offset, n_outputs):
    """theta unpickled from a Dask message can start at any byte: the loss, the
    gradient, the Hessian product and the logits must not depend on it (an
    unaligned theta took NumPy's scalar loops, whose last bits differ; a Dask fit
    then gave other weights on each run)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 30))
    Y = (
        np.eye(n_outputs)[rng.integers(0, n_outputs, 150)]
        if n_outputs > 1
        else (rng.integers(0, 2, (150, 1)).astype(float))
    )
    output = "softmax" if n_outputs > 1 else "sigmoid"
    loss = TwoLayerLoss(network.ParameterLayout(30, 3, n_outputs), output)
    theta = rng.normal(size=loss.layout.size)
    v = rng.normal(size=loss.layout.size)
    moved = _at_byte_offset(theta, offset)
    assert moved.flags.aligned == (offset % 8 == 0)

    def everything(t, direction):
        value, gradient = loss.data_loss_gradient(t, X, Y)
        product = loss.data_hessian_product(t, direction, X, Y)
        return value, gradient, product, loss.logits(t, X)

    expected = everything(theta, v)
    got = everything(moved, _at_byte_offset(v, offset))
    assert got[0] == expected[0]
    for got_array, expected_array in zip(got[1:], expected[1:], strict=True):
        assert np.array_equal(got_array, expected_array)


# -- what runs beside ------------------------------------------------------------------
def test_same_bits_while_another_fit_runs_in_another_thread(small_blocks):
    X, y = _data()
    X_other, y_other = _data(n_samples=900, seed=1)
    reference = _make().fit(X, y)
    other_reference = _make().fit(X_other, y_other)
    model, other = _fit_in_threads(_make, [(X, y), (X_other, y_other)])
    _assert_same_bits(model, reference, X)
    _assert_same_bits(other, other_reference, X_other)


def test_one_block_predictions_same_bits_for_one_and_two_threads():
    """The one-block shortcut of a prediction (no workers) keeps BLAS to one thread
    when its products are large enough for OpenBLAS to split them: 300 rows x 300
    features x 200 hidden units is one block, and OpenBLAS on two threads rounds
    its ``X W1ᵀ`` differently (measured: the logits differ without the setting)."""
    X, y = make_classification(n_samples=300, n_features=300, random_state=0)
    model = TwoLayerSigmoidClassifier(n_hidden=200, max_iter=3, random_state=0)
    model.fit(X, y)
    assert len(_execution.row_blocks(X, 200, 8)) == 1
    results = {}
    for limit in (1, 2):
        with threadpool_limits(limit):
            results[limit] = (
                model.decision_function(X),
                model.predict_proba(X),
                model.input_gradient(X[:100]),
            )
    for one, two in zip(results[1], results[2], strict=True):
        assert np.array_equal(one, two)


def test_same_predict_proba_while_another_prediction_runs(small_blocks):
    X, y = _data(n_samples=2000)
    model = _make(max_iter=10).fit(X, y)
    reference = model.predict_proba(X)
    results, barrier = [], threading.Barrier(2)

    def predict():
        barrier.wait()
        results.extend(model.predict_proba(X) for _ in range(5))

    threads = [threading.Thread(target=predict) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 10
    assert all(np.array_equal(proba, reference) for proba in results)


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_grid_search_scores_equal_with_two_jobs(backend):
    """Default blocks here (loky's workers are other processes, which a monkeypatch
    does not reach): 256 rows of n_hidden=256, so a training fold is 4 blocks."""
    X, y = make_classification(n_samples=2000, n_features=8, flip_y=0.1, random_state=0)
    assert len(_execution.row_blocks(X[:1000], 256, 8)) == 4
    grid = {"alpha": [1e-5, 1e-2], "max_iter": [20, 40]}

    def search(n_jobs):
        return GridSearchCV(
            TwoLayerSigmoidClassifier(n_hidden=256, random_state=0),
            grid,
            cv=2,
            scoring="neg_log_loss",
            n_jobs=n_jobs,
        ).fit(X, y)

    sequential = search(1)
    with parallel_backend(backend):
        parallel = search(2)
    for key in ("split0_test_score", "split1_test_score", "mean_test_score"):
        assert np.array_equal(parallel.cv_results_[key], sequential.cv_results_[key])
    assert parallel.best_params_ == sequential.best_params_
    _assert_same_bits(parallel.best_estimator_, sequential.best_estimator_, X)


# -- BLAS settings restored ------------------------------------------------------------
def test_blas_single_threaded_in_a_fit_thread_when_another_thread_controls_blas():
    """threadpoolctl lets only the first thread that set an OpenBLAS limit (and is
    alive) change it later, and ignores the others silently. A fit in another
    thread must still make BLAS single-threaded, and restore it."""
    from threadpoolctl import OpenBLASController, ThreadpoolController

    before = _blas_threads()
    for lib in ThreadpoolController().select(user_api="blas").lib_controllers:
        lib.set_num_threads(lib.num_threads)  # the main thread takes control
    during = []

    def in_a_thread():
        with _execution.blas_single_threaded():
            during.extend(_blas_threads())

    try:
        thread = threading.Thread(target=in_a_thread)
        thread.start()
        thread.join()
    finally:
        OpenBLASController.clear_controlling_thread(force=True)
    assert during and set(during) == {1}
    assert _blas_threads() == before


def test_blas_settings_restored_after_concurrent_fits(small_blocks):
    before = threadpool_info()
    X, y = _data()
    for _ in range(3):
        _fit_in_threads(_make, [(X, y)] * 3)
    assert threadpool_info() == before
    with threadpool_limits(1):  # the user's own limit is what is restored
        _fit_in_threads(_make, [(X, y)] * 2)
        assert set(_blas_threads()) == {1}
    assert threadpool_info() == before


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
def test_blas_settings_restored_after_interrupted_fits(
    small_blocks, monkeypatch, error, solver
):
    """An exception in the objective, in one of several concurrent fits, and one
    raised inside a worker thread of the evaluation: BLAS ends as it started."""
    before = threadpool_info()
    X, y = _data()
    # The hidden layer of a block (L-BFGS, 60 per evaluation) or of all rows
    # (trust-ncg): the failure comes a few evaluations into the solve.
    original, fail_at = network.hidden_layer, 200 if solver == "lbfgs" else 5
    params = TRUST_NCG if solver == "trust-ncg" else {"solver": solver}
    calls = {"n": 0}
    lock = threading.Lock()

    def failing(*args):
        with lock:
            calls["n"] += 1
            fail = calls["n"] == fail_at
        if fail:
            raise error("interrupted")
        return original(*args)

    monkeypatch.setattr(network, "hidden_layer", failing)
    with pytest.raises(error, match="interrupted"):
        _make(**params).fit(X, y)
    assert threadpool_info() == before

    # One of three concurrent fits fails; the others finish.
    calls["n"] = 0
    outcomes = []

    def fit():
        try:
            _make(**params).fit(X, y)
            outcomes.append("fitted")
        except error:
            outcomes.append("interrupted")

    threads = [threading.Thread(target=fit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["fitted", "fitted", "interrupted"]
    assert threadpool_info() == before
