"""The exact Hessian-vector product of TwoLayerLoss (R-operator) vs the gradient."""

import tracemalloc

import _reference as reference
import numpy as np
import pytest
from scipy import sparse
from sklearn import config_context
from threadpoolctl import threadpool_limits

from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss

N_SAMPLES, N_FEATURES, N_HIDDEN = 40, 5, 6


def _problem(target, seed=0, dtype=np.float64):
    """A random network, data and 0/1 targets for the three output kinds."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES)).astype(dtype)
    if target == "binary":
        Y, output = rng.integers(0, 2, size=(N_SAMPLES, 1)), "sigmoid"
    elif target == "multilabel":
        Y, output = rng.integers(0, 2, size=(N_SAMPLES, 3)), "sigmoid"
    else:
        Y = np.eye(4)[rng.integers(0, 4, size=N_SAMPLES)]
        output = "softmax"
    loss = TwoLayerLoss(ParameterLayout(N_FEATURES, N_HIDDEN, Y.shape[1]), output)
    theta = rng.normal(scale=1.5, size=loss.layout.size).astype(dtype)
    weights = rng.uniform(0.0, 3.0, size=N_SAMPLES).astype(dtype)
    return loss, X, Y.astype(dtype), weights, theta, rng


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_hessian_product_matches_finite_differences(target, weighted, alpha):
    loss, X, Y, weights, theta, rng = _problem(target)
    weights = weights if weighted else None
    _, _, hessp = loss.gradient_hessian_product(theta, X, Y, weights, alpha)
    for _ in range(3):
        v = rng.normal(size=theta.size)
        exact = hessp(v)
        numeric = reference.finite_difference_product(
            loss, theta, v, X, Y, weights, alpha
        )
        relative_error = np.linalg.norm(exact - numeric) / np.linalg.norm(numeric)
        assert relative_error < 1e-6


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_each_parameter_block_of_the_product(target):
    """Directions along W1, b1, W2 and b2 alone, so no block can hide behind another."""
    loss, X, Y, weights, theta, rng = _problem(target, seed=1)
    _, _, hessp = loss.gradient_hessian_product(theta, X, Y, weights, 0.1)
    direction = np.zeros_like(theta)
    for block in loss.layout.unpack(direction):
        direction[:] = 0.0
        block[...] = rng.normal(size=block.shape)
        numeric = reference.finite_difference_product(
            loss, theta, direction, X, Y, weights, 0.1
        )
        exact = hessp(direction)
        assert np.linalg.norm(exact - numeric) < 1e-6 * np.linalg.norm(numeric)


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_loss_and_gradient_agree_with_loss_gradient(target):
    loss, X, Y, weights, theta, _ = _problem(target, seed=2)
    value, gradient, _ = loss.gradient_hessian_product(theta, X, Y, weights, 0.2)
    expected_value, expected_gradient = loss.loss_gradient(theta, X, Y, weights, 0.2)
    assert value == pytest.approx(expected_value, rel=1e-12)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-10, atol=1e-14)


def test_default_arguments_are_those_of_loss_gradient():
    """No weights and no L2 term unless asked, as in loss_gradient."""
    loss, X, Y, _, theta, _ = _problem("multiclass", seed=3)
    value, gradient, _ = loss.gradient_hessian_product(theta, X, Y)
    expected_value, expected_gradient = loss.loss_gradient(theta, X, Y)
    assert value == pytest.approx(expected_value, rel=1e-12)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_hessian_is_symmetric(target):
    """uᵀ H v = vᵀ H u: a property of any Hessian the finite differences do not use."""
    loss, X, Y, weights, theta, rng = _problem(target, seed=3)
    _, _, hessp = loss.gradient_hessian_product(theta, X, Y, weights, 0.05)
    u, v = rng.normal(size=(2, theta.size))
    assert u @ hessp(v) == pytest.approx(v @ hessp(u), rel=1e-10)


def test_product_is_linear_in_the_direction():
    loss, X, Y, weights, theta, rng = _problem("multiclass", seed=4)
    _, _, hessp = loss.gradient_hessian_product(theta, X, Y, weights, 0.05)
    u, v = rng.normal(size=(2, theta.size))
    np.testing.assert_allclose(
        hessp(2.0 * u - v), 2.0 * hessp(u) - hessp(v), rtol=1e-10, atol=1e-12
    )


def test_sparse_input_gives_the_dense_product():
    loss, X, Y, weights, theta, rng = _problem("multilabel", seed=5)
    X[np.abs(X) < 0.8] = 0.0
    v = rng.normal(size=theta.size)
    _, _, dense_hessp = loss.gradient_hessian_product(theta, X, Y, weights, 0.1)
    for X_sparse in (sparse.csr_matrix(X), sparse.csc_matrix(X)):
        _, _, sparse_hessp = loss.gradient_hessian_product(
            theta, X_sparse, Y, weights, 0.1
        )
        np.testing.assert_allclose(sparse_hessp(v), dense_hessp(v), rtol=1e-12)


def test_float32_stays_float32():
    loss, X, Y, weights, theta, rng = _problem("binary", seed=6, dtype=np.float32)
    _, gradient, hessp = loss.gradient_hessian_product(theta, X, Y, weights, 0.1)
    product = hessp(rng.normal(size=theta.size))
    assert gradient.dtype == np.float32 and product.dtype == np.float32
    theta64 = theta.astype(np.float64)
    _, _, hessp64 = loss.gradient_hessian_product(
        theta64, X.astype(np.float64), Y.astype(np.float64), weights.astype(float), 0.1
    )
    v = rng.normal(size=theta.size)
    np.testing.assert_allclose(hessp(v), hessp64(v), rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("kept", [True, False], ids=["kept", "recomputed"])
@pytest.mark.parametrize("output, n_outputs", [("sigmoid", 1), ("softmax", 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_products_memory_in_the_dtype_of_theta(output, n_outputs, dtype, kept):
    """Memory of two products H v at one theta, counted exactly (tracemalloc sees
    numpy's arrays), in (n, n_hidden) arrays.

    Each product holds R{h1} and 1 − 2 h1 (and with several outputs g2 W2). Where
    they fit in ``working_memory``, the first product also makes h1 and
    h1(1 − h1) and keeps them for the next, which makes nothing more; where they
    do not, each product makes them anew, 1 − 2 h1 in h1's array. The bound allows
    eight (n, n_outputs) arrays and four parameter-sized vectors beside them. SciPy
    hands the direction v in float64: it is cast to theta's dtype, so a float32
    product stays float32 (in float64 it would hold twice the memory, and break
    the bound).
    """
    n_samples, n_features, n_hidden = 4000, 5, 32
    rng = np.random.default_rng(7)
    X = rng.normal(size=(n_samples, n_features)).astype(dtype)
    Y = np.eye(max(n_outputs, 2))[rng.integers(0, n_outputs, n_samples)]
    Y = Y[:, :n_outputs].astype(dtype)
    loss = TwoLayerLoss(ParameterLayout(n_features, n_hidden, n_outputs), output)
    theta = rng.normal(size=loss.layout.size).astype(dtype)
    point_bytes = 2 * X.nbytes // n_features * n_hidden  # h1 and h1(1 − h1)
    with config_context(working_memory=1024 if kept else point_bytes / 2**21):
        _, _, hessp = loss.gradient_hessian_product(theta, X, Y)
    v = rng.normal(size=theta.size)  # float64, as SciPy passes it
    product_arrays = 2 if n_outputs == 1 else 3
    arrays = [product_arrays + 2, product_arrays] if kept else [product_arrays + 1] * 2
    itemsize = np.dtype(dtype).itemsize
    peaks = []
    # One worker: with two, the peak depends on how their blocks interleave.
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in arrays:
            tracemalloc.start()
            try:
                product = hessp(v)
                peaks.append(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
            assert product.dtype == dtype
    for peak, n_arrays in zip(peaks, arrays, strict=True):
        bound = itemsize * n_samples * (n_arrays * n_hidden + 8 * n_outputs)
        assert peak <= bound + 4 * 8 * theta.size
    if kept:  # the second product is made of fewer arrays than the first
        assert peaks[1] < peaks[0] - itemsize * n_samples * n_hidden


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kept_and_recomputed_forward_passes_give_the_same_bits(target, dtype):
    """Products at one theta with the blocks' forward passes kept between them are
    the very products that recompute them (a working_memory too small to keep
    them), for every direction, first or later; a pickled product keeps none."""
    import pickle

    loss, X, Y, weights, theta, rng = _problem(target, seed=11, dtype=dtype)
    X = np.tile(X, (600, 1))  # 24,000 rows: several blocks of rows
    Y, weights = np.tile(Y, (600, 1)), np.tile(weights, 600)
    directions = rng.normal(size=(3, theta.size))
    kept = loss.data_gradient_hessian_product(theta, X, Y, weights)[2]
    with config_context(working_memory=1e-6):
        recomputed = loss.data_gradient_hessian_product(theta, X, Y, weights)[2]
    assert kept.points == {} and recomputed.points is None
    for v in directions:
        np.testing.assert_array_equal(kept(v), recomputed(v))
    assert len(kept.points) > 1
    moved = pickle.loads(pickle.dumps(kept))
    assert moved.points == {}
    np.testing.assert_array_equal(moved(directions[0]), recomputed(directions[0]))


def test_the_points_of_one_fit_share_one_set_of_arrays():
    """A fit's in-memory rows give the products at its successive points one set of
    arrays (``HessianVectorProduct.shared``): a point computes its forward passes
    into the arrays the point before used, with no new (n, n_hidden) array, and a
    point whose arrays were taken computes its own into them again: products in
    any order have the bits of products that share nothing."""
    loss, X, Y, weights, theta, rng = _problem("multiclass", seed=12)
    X = np.tile(X, (600, 1))  # 24,000 rows: several blocks of rows
    Y, weights = np.tile(Y, (600, 1)), np.tile(weights, 600)
    thetas = [theta, theta + 0.1 * rng.normal(size=theta.size)]
    shared, sharing, alone = {}, [], []
    for point in thetas:
        sharing.append(loss.data_gradient_hessian_product(point, X, Y, weights)[2])
        sharing[-1].shared = shared
        alone.append(loss.data_gradient_hessian_product(point, X, Y, weights)[2])
    directions = rng.normal(size=(4, theta.size))
    retained = []  # what a product leaves allocated: its point's arrays
    with threadpool_limits(limits=1, user_api="blas"):
        for point, v in zip([0, 1, 0, 1], directions, strict=True):
            tracemalloc.start()
            try:
                product = sharing[point](v)
                retained.append(tracemalloc.get_traced_memory()[0])
            finally:
                tracemalloc.stop()
            np.testing.assert_array_equal(product, alone[point](v))
            assert shared["holder"] is sharing[point]
    kept = 2 * X.shape[0] * N_HIDDEN * X.itemsize  # h1 and h1(1 − h1)
    assert retained[0] > kept  # the first point makes them
    assert max(retained[1:]) <= retained[0] - kept  # the others compute into them


def test_no_overflow_warning_for_large_inputs():
    """Saturated units (|a| ~ 1e4) give finite products and no RuntimeWarning."""
    loss, X, Y, _, theta, rng = _problem("multiclass", seed=7)
    value, gradient, hessp = loss.gradient_hessian_product(theta, 1e4 * X, Y)
    product = hessp(rng.normal(size=theta.size))
    assert np.isfinite(value) and np.all(np.isfinite(gradient))
    assert np.all(np.isfinite(product))


def test_the_hessian_product_pickles_and_computes_the_same_after():
    """The Dask backend keeps one product per block on a worker; Dask may move it
    to another worker, which pickles it (a closure over module state could not)."""
    import pickle

    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 4)), rng.integers(0, 2, size=(30, 2)) * 1.0
    loss = TwoLayerLoss(ParameterLayout(4, 3, 2), output="sigmoid")
    theta, v = rng.normal(size=(2, loss.layout.size))
    _, _, hessp = loss.data_gradient_hessian_product(theta, X, Y, rng.random(30))
    moved = pickle.loads(pickle.dumps(hessp))
    np.testing.assert_array_equal(moved(v), hessp(v))


class _CountedRows(np.ndarray):
    """An X that counts the matrix products it enters (np.matmul and ``@``)."""

    products = 0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc is np.matmul:
            type(self).products += 1
        inputs = [np.asarray(a) if isinstance(a, _CountedRows) else a for a in inputs]
        return getattr(ufunc, method)(*inputs, **kwargs)


@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_a_product_reads_X_in_three_products_per_block(target):
    """The blocked product (the one each Dask block runs) multiplies X three times,
    ``X W1ᵀ``, ``X V1ᵀ`` and ``R{g1}ᵀ X``, its forward pass included; the gradient
    twice. (Before, a Dask block's product redid the whole gradient first: four.)
    trust-ncg's products at one theta keep the forward pass from the first to the
    next, which multiply X twice."""
    loss, X, Y, w, theta, rng = _problem(target, seed=3)
    counted = X.view(_CountedRows)
    _CountedRows.products = 0
    loss.data_hessian_product(theta, rng.normal(size=theta.size), counted, Y, w)
    assert _CountedRows.products == 3
    _CountedRows.products = 0
    loss.data_loss_gradient(theta, counted, Y, w)
    assert _CountedRows.products == 2
    hessp = loss.data_gradient_hessian_product(theta, counted, Y, w)[2]
    products = []
    for v in rng.normal(size=(3, theta.size)):
        _CountedRows.products = 0
        hessp(v)
        products.append(_CountedRows.products)
    assert products == [3, 2, 2]
