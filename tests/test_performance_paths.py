"""The fast paths of the evaluation give the same answers as the plain one.

The loss is evaluated over cache-sized blocks of rows, on several threads, with
scratch arrays reused from block to block, and float32 data stays float32. These
tests check each of those against the straightforward computation, and check the
rules the fast paths follow (how rows are cut, how blocks are dealt to threads, how
much scratch memory an evaluation holds, counted exactly with tracemalloc). Speed and
measured memory ratios are in ``benchmarks/``, not here.
"""

import warnings

import _reference as reference
import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from sklearn_twolayer import (
    TwoLayerSigmoidClassifier,
    _execution,
    check_gradient,
)
from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss


@pytest.fixture
def small_blocks(block_bytes, threads_for_any_work):
    """Blocks of a few rows, so that small data is cut into many blocks, shared by
    the threads BLAS allows."""
    block_bytes(7 * 5 * 8)


def _problem(output, n_samples=203, n_features=6, n_hidden=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    n_outputs = 3
    if output == "softmax":
        Y = np.eye(n_outputs)[rng.integers(0, n_outputs, n_samples)]
    else:
        Y = rng.integers(0, 2, size=(n_samples, n_outputs)).astype(float)
    loss = TwoLayerLoss(ParameterLayout(n_features, n_hidden, n_outputs), output)
    thetas = [rng.normal(size=loss.layout.size) for _ in range(2)]
    return X, Y, rng.uniform(0.5, 2.0, n_samples), loss, thetas


MATRIX_FORMS = {
    "C": np.ascontiguousarray,
    "F": np.asfortranarray,
    "csr": sparse.csr_matrix,
    "csc": sparse.csc_matrix,
}


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("form", MATRIX_FORMS)
@pytest.mark.parametrize("n_threads", [1, 2])
def test_blocks_threads_and_reused_buffers_match_reference(
    small_blocks, output, form, n_threads
):
    X, Y, s, loss, (theta_a, theta_b) = _problem(output)
    X_form = MATRIX_FORMS[form](X)
    with threadpool_limits(limits=n_threads, user_api="blas"):
        # a, b, then a again: nothing left in a reused buffer leaks into the next.
        results = [
            loss.data_loss_gradient(theta, X_form, Y, s)
            for theta in (theta_a, theta_b, theta_a)
        ]
    for theta, (data_loss, gradient) in zip(
        (theta_a, theta_b, theta_a), results, strict=True
    ):
        expected_loss, expected_gradient = reference.data_loss_gradient(
            loss, theta, X, Y, s
        )
        assert data_loss == pytest.approx(expected_loss, rel=1e-12)
        np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-10, atol=1e-12)
    assert results[0][0] == results[2][0]
    np.testing.assert_array_equal(results[0][1], results[2][1])


@pytest.mark.parametrize("form", MATRIX_FORMS)
def test_blocked_logits_match_hidden_layer(small_blocks, form):
    X, _, _, loss, (theta, _) = _problem("sigmoid")
    _, _, W2, b2 = loss.layout.unpack(theta)
    expected = loss.hidden(theta, X) @ W2.T + b2
    np.testing.assert_allclose(loss.logits(theta, MATRIX_FORMS[form](X)), expected)


@pytest.mark.parametrize("form", MATRIX_FORMS)
def test_one_block_shortcut_matches_the_blocked_logits(small_blocks, form):
    # A few rows (one block) skip the workers and scratch arrays; a row's logits
    # must not depend on whether it came alone or with others.
    X, _, _, loss, (theta, _) = _problem("softmax")
    X = MATRIX_FORMS[form](X)
    one_by_one = np.vstack([loss.logits(theta, X[i : i + 1]) for i in range(20)])
    np.testing.assert_allclose(one_by_one, loss.logits(theta, X)[:20], rtol=1e-13)


def test_gradient_check_with_many_blocks(small_blocks):
    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    clf = TwoLayerSigmoidClassifier(n_hidden=4)
    assert check_gradient(clf, X, y, random_state=0) < 1e-6


def test_empty_block_of_rows_adds_nothing():
    """A block of no rows (a Dask chunk can be empty) contributes zero."""
    _, Y, _, loss, (theta, _) = _problem("sigmoid")
    data_loss, gradient = loss.data_loss_gradient(theta, np.empty((0, 6)), Y[:0])
    assert data_loss == 0.0
    np.testing.assert_array_equal(gradient, 0.0)
    assert loss.logits(theta, np.empty((0, 6))).shape == (0, 3)


@pytest.mark.parametrize("form", ["C", "F", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_never_copies_X(monkeypatch, form, dtype):
    X, y = make_classification(n_samples=300, n_features=8, random_state=0)
    X = MATRIX_FORMS[form](X.astype(dtype))
    seen = []
    original = TwoLayerLoss.data_loss_gradient

    def spy(self, theta, X_seen, *args, **kwargs):
        seen.append(X_seen)
        return original(self, theta, X_seen, *args, **kwargs)

    monkeypatch.setattr(TwoLayerLoss, "data_loss_gradient", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        TwoLayerSigmoidClassifier(n_hidden=3, max_iter=3, random_state=0).fit(X, y)
    assert seen
    data = X.data if sparse.issparse(X) else X
    for X_seen in seen:
        assert np.shares_memory(X_seen.data if sparse.issparse(X) else X_seen, data)


@pytest.mark.parametrize("class_weight", [None, "balanced"])
@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
def test_float32_fit_evaluates_everything_in_float32(monkeypatch, solver, class_weight):
    """The solver works in float64; every evaluation it asks for is float32.

    Parameters, data, targets and the weights (sample times class weights) all
    reach the loss in float32, so no product is silently promoted to float64.
    """
    X, y = make_classification(n_samples=300, n_features=8, random_state=0)
    sample_weight = np.random.default_rng(0).uniform(0.5, 2.0, size=y.size)
    seen = []

    def spy_on(original):
        def spy(self, theta, X, Y, sample_weight, *args, **kwargs):
            seen.append({a.dtype for a in (theta, X, Y, sample_weight)})
            return original(self, theta, X, Y, sample_weight, *args, **kwargs)

        return spy

    for name in ("data_loss_gradient", "data_loss", "data_gradient_hessian_product"):
        monkeypatch.setattr(TwoLayerLoss, name, spy_on(getattr(TwoLayerLoss, name)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        TwoLayerSigmoidClassifier(
            n_hidden=3,
            max_iter=5,
            early_stopping=True,
            class_weight=class_weight,
            solver=solver,
            random_state=0,
        ).fit(X.astype(np.float32), y, sample_weight=sample_weight)
    assert len(seen) > 5
    assert all(dtypes == {np.dtype(np.float32)} for dtypes in seen)


def test_float32_fit_runs_in_float32_and_reaches_float64_objective(small_blocks):
    # Run both fits to convergence: before it, the two L-BFGS paths part as any
    # rounding difference grows, and their objectives say nothing about precision.
    X, y = make_classification(n_samples=400, n_features=10, random_state=0)
    settings = dict(n_hidden=6, alpha=0.1, tol=1e-5, max_iter=1000, random_state=0)
    fits = {
        dtype: TwoLayerSigmoidClassifier(**settings).fit(X.astype(dtype), y)
        for dtype in (np.float64, np.float32)
    }
    fit32, fit64 = fits[np.float32], fits[np.float64]
    assert max(fit32.n_iter_, fit64.n_iter_) < settings["max_iter"]
    for name in ("W1_", "b1_", "W2_", "b2_"):
        assert getattr(fit32, name).dtype == np.float32
    assert fit32.predict_proba(X.astype(np.float32)).dtype == np.float64
    assert fit32.loss_ == pytest.approx(fit64.loss_, rel=1e-4)


def test_float32_objective_at_one_point_agrees_with_float64(small_blocks):
    X, Y, s, loss, (theta, _) = _problem("sigmoid", n_samples=2000)
    value64, gradient64 = loss.loss_gradient(theta, X, Y, s, 1e-4)
    value32, gradient32 = loss.loss_gradient(
        theta.astype(np.float32),
        X.astype(np.float32),
        Y.astype(np.float32),
        s.astype(np.float32),
        1e-4,
    )
    assert gradient32.dtype == np.float32
    assert value32 == pytest.approx(value64, rel=1e-6)
    error = np.linalg.norm(gradient32 - gradient64) / np.linalg.norm(gradient64)
    assert error < 1e-6


@pytest.mark.parametrize("form", ["C", "csr"])
def test_same_path_as_mlpclassifier_with_many_blocks(small_blocks, form):
    X, y = make_classification(n_samples=500, n_features=8, random_state=0)
    settings = dict(alpha=1e-3, max_iter=15, random_state=0)
    peer = MLPClassifier(
        hidden_layer_sizes=(7,), activation="logistic", solver="lbfgs", **settings
    )
    ours = TwoLayerSigmoidClassifier(n_hidden=7, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        peer.fit(X, y)
        ours.fit(MATRIX_FORMS[form](X), y)
    np.testing.assert_allclose(ours.predict_proba(X), peer.predict_proba(X), atol=1e-6)


# -- how rows are cut into blocks ------------------------------------------------
def test_dense_and_csr_rows_are_cut_into_blocks_csc_is_one_block(small_blocks):
    X = np.arange(20.0 * 3).reshape(20, 3)
    rows = _execution.BLOCK_BYTES // (5 * 8)  # 7 rows of n_hidden=5 float64 values
    expected = [slice(0, 7), slice(7, 14), slice(14, 20)]
    assert rows == 7
    for form in ("C", "F", "csr"):
        assert _execution.row_blocks(MATRIX_FORMS[form](X), 5, 8) == expected
    # CSC cannot give a block of rows without copying the matrix.
    assert _execution.row_blocks(sparse.csc_matrix(X), 5, 8) == [slice(0, 20)]
    # float32 rows are half the bytes: twice as many per block.
    assert _execution.row_blocks(X, 5, 4) == [slice(0, 14), slice(14, 20)]


def test_a_row_larger_than_a_block_is_a_block_of_its_own(small_blocks):
    blocks = _execution.row_blocks(np.zeros((3, 2)), n_hidden=1000, itemsize=8)
    assert blocks == [slice(0, 1), slice(1, 2), slice(2, 3)]


@pytest.mark.parametrize("form", ["C", "csr"])
def test_a_block_of_rows_is_a_view_of_X(form):
    X = MATRIX_FORMS[form](np.arange(30.0).reshape(10, 3))
    block = _execution.rows_of(X, slice(3, 7))
    if sparse.issparse(X):
        assert np.shares_memory(block.data, X.data)
        np.testing.assert_array_equal(block.toarray(), X.toarray()[3:7])
    else:
        assert np.shares_memory(block, X)
        np.testing.assert_array_equal(block, X[3:7])


# -- how blocks are grouped and the groups dealt to threads -----------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_of_one_result_each_are_cut_by_the_bytes_of_their_dtype(dtype):
    """for_each_row_block's blocks hold BLOCK_BYTES of (rows, n_hidden) in the dtype
    of the computation, and every worker's scratch fits the largest block."""
    n_hidden = 16
    rows = _execution.BLOCK_BYTES // (n_hidden * np.dtype(dtype).itemsize)
    X = np.zeros((3 * rows + 5, 2), dtype=dtype)
    seen = []

    def kernel(block, X_block, scratch):
        assert X_block.shape[0] == block.stop - block.start <= scratch
        seen.append(block)

    _execution.for_each_row_block(
        kernel, X, n_hidden=n_hidden, dtype=dtype, new_scratch=lambda n_rows: n_rows
    )
    assert sorted((b.start, b.stop) for b in seen) == [
        (0, rows),
        (rows, 2 * rows),
        (2 * rows, 3 * rows),
        (3 * rows, 3 * rows + 5),
    ]


# -- how much scratch memory an evaluation holds ---------------------------------
@pytest.mark.parametrize("output, n_outputs", [("sigmoid", 1), ("softmax", 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scratch_memory_is_a_few_blocks_however_many_rows(output, n_outputs, dtype):
    """An evaluation holds two (rows, n_hidden) scratch blocks, not (n, n_hidden);
    the held-out loss one.

    Each scratch block is _BLOCK_BYTES in the dtype of the data. Beyond them an
    evaluation allocates a few (rows, n_outputs) arrays (a2, h2 − y, the per-row
    losses), a few parameter-sized vectors (the gradients) and numpy's ufunc
    buffers (np.getbufsize() elements); the bound allows eight, four and two of
    those, which together stay under half a block here. A third scratch block (a
    product not written into a scratch array, a float32 block held in float64)
    breaks the bound, and so does any array that grows with the number of rows.
    """
    n_features, n_hidden = 4, 256
    itemsize = np.dtype(dtype).itemsize
    rows = _execution.BLOCK_BYTES // (n_hidden * itemsize)
    n_samples = 16 * rows + 5
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, n_features)).astype(dtype)
    Y = np.eye(max(n_outputs, 2))[rng.integers(0, n_outputs, n_samples), :n_outputs]
    Y = Y.astype(dtype)
    loss = TwoLayerLoss(ParameterLayout(n_features, n_hidden, n_outputs), output)
    theta = rng.normal(size=loss.layout.size).astype(dtype)
    small = (
        8 * rows * n_outputs * itemsize
        + 4 * loss.layout.size * 8
        + 2 * 8 * np.getbufsize()
    )
    assert small < _execution.BLOCK_BYTES / 2
    A2_bytes = n_samples * n_outputs * itemsize  # logits returns all of them
    with threadpool_limits(limits=1, user_api="blas"):  # one worker, one set
        gradient_peak = reference.traced_peak(
            lambda: loss.data_loss_gradient(theta, X, Y)
        )
        logits_peak = reference.traced_peak(lambda: loss.logits(theta, X))
        held_out_peak = reference.traced_peak(lambda: loss.data_loss(theta, X, Y))
        hidden_peak = reference.traced_peak(lambda: loss.hidden(theta, X))
    assert gradient_peak <= 2 * _execution.BLOCK_BYTES + small
    # Early stopping's held-out loss needs h1 alone: one block, reused.
    assert held_out_peak <= _execution.BLOCK_BYTES + small
    assert logits_peak <= A2_bytes + _execution.BLOCK_BYTES + small
    # h1 is computed into the result's rows: no scratch block beside them.
    assert hidden_peak <= n_samples * n_hidden * itemsize + small
    # What an evaluation holding full (n_samples, n_hidden) arrays would need:
    assert n_samples * n_hidden * itemsize > 16 * _execution.BLOCK_BYTES
