"""The array-API backend's rows against the NumPy mathematics, and what crosses.

The kernels of ``_backends/array_api.py`` must give the sums of
:class:`~sklearn_twolayer.network.TwoLayerLoss` on the same rows (eqs. 1.1–1.6 and
the exact Hessian product), select the early-stopping rows of
``weighted_stratified_split``, and move nothing of n_samples rows between host and
device per evaluation. array-api-strict's devices stand in for accelerators: its
``device1`` refuses ``np.asarray`` and its ``no_float64`` device has no float64
(as Apple's MPS).
"""

import threading
import warnings

import numpy as np
import pytest
from scipy import special

from sklearn_twolayer._sklearn_compat import ARRAY_API_VERSION

# Array API dispatch needs scikit-learn 1.9 (refused before: test_sklearn_compat.py)
pytest.importorskip("sklearn", minversion=ARRAY_API_VERSION)
from sklearn import config_context
from sklearn.utils._array_api import (
    get_namespace,
    move_to,
    yield_namespace_device_dtype_combinations,
)
from sklearn.utils._testing import _array_api_for_tests

from sklearn_twolayer import _execution, network
from sklearn_twolayer._backends import array_api
from sklearn_twolayer._split import _row_fingerprints, weighted_stratified_split
from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss

strict = pytest.importorskip("array_api_strict")
torch = pytest.importorskip("torch")
StrictArray = type(strict.asarray(0.0))

# (namespace, device, dtype): every CPU-runnable combination of the issue.
DEVICES = [
    ("array_api_strict", "CPU_DEVICE", "float64"),
    ("array_api_strict", "device1", "float32"),
    ("array_api_strict", "no_float64", "float32"),
    ("torch", "cpu", "float64"),
    ("torch", "cpu", "float32"),
]
IDS = ["-".join(combination) for combination in DEVICES]
N_SAMPLES, N_FEATURES, N_HIDDEN = 150, 5, 7


def on_device(array, namespace, device):
    """A host array in the namespace, on the device."""
    if namespace == "torch":
        return torch.asarray(array, device=device)
    return strict.asarray(array, device=strict.Device(device))


def problem(target, dtype, seed=0):
    """Rows with duplicates, a −0.0, zero weights; the network and a theta."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    X[:15] = X[15:30]  # duplicated rows stay together in the split
    X[3, 2] = -0.0
    if target == "binary":
        Y, output = rng.integers(0, 2, size=(N_SAMPLES, 1)), "sigmoid"
    elif target == "multilabel":
        Y, output = rng.integers(0, 2, size=(N_SAMPLES, 3)), "sigmoid"
    else:
        Y, output = np.eye(4)[rng.integers(0, 4, size=N_SAMPLES)], "softmax"
    Y[:15] = Y[15:30]
    weights = rng.uniform(0.0, 3.0, size=N_SAMPLES)
    weights[:4] = 0.0
    loss = TwoLayerLoss(ParameterLayout(N_FEATURES, N_HIDDEN, Y.shape[1]), output)
    theta = rng.normal(size=loss.layout.size)
    return loss, X.astype(dtype), Y.astype(dtype), weights.astype(dtype), theta, rng


def device_rows(loss, X, Y, weights, namespace, device):
    weight_sum = (
        X.shape[0] if weights is None else float(np.sum(weights, dtype=np.float64))
    )
    return array_api.TrainingRows(
        loss,
        on_device(X, namespace, device),
        on_device(Y, namespace, device),
        None if weights is None else on_device(weights, namespace, device),
        weight_sum,
        Y,
        weights,
    )


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 16 float64 rows (32 float32): every evaluation adds up blocks."""
    monkeypatch.setattr(
        _execution, "device_block_bytes", lambda device: N_HIDDEN * 8 * 16
    )


def tolerances(dtype):
    # float32 kernels round each product; the reference is the NumPy backend's own
    # float32 evaluation, whose blocks add up in another order.
    return (1e-12, 1e-13) if dtype == "float64" else (2e-5, 2e-6)


@pytest.mark.parametrize(("namespace", "device", "dtype"), DEVICES, ids=IDS)
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sums_are_those_of_the_numpy_kernels(
    namespace, device, dtype, target, weighted, small_blocks
):
    loss, X, Y, weights, theta, rng = problem(target, dtype)
    weights = weights if weighted else None
    rtol, atol = tolerances(dtype)
    with config_context(array_api_dispatch=True):
        rows = device_rows(loss, X, Y, weights, namespace, device)
        assert len(rows._blocks) > 1
        value, gradient = rows.data_loss_gradient(theta)
        held_out_value = rows.data_loss(theta)
        hessian_value, hessian_gradient, hessp = rows.data_hessian_product(theta)
        v = rng.normal(size=theta.size)
        product = hessp(v)
    theta_in_dtype = theta.astype(dtype)
    expected_value, expected_gradient = loss.data_loss_gradient(
        theta_in_dtype, X, Y, weights
    )
    _, _, expected_hessp = loss.gradient_hessian_product(theta_in_dtype, X, Y, weights)
    weight_sum = rows.weight_sum  # gradient_hessian_product divides by it
    assert isinstance(value, float) and isinstance(held_out_value, float)
    assert gradient.dtype == product.dtype == np.float64
    assert value == pytest.approx(expected_value, rel=rtol)
    assert held_out_value == pytest.approx(expected_value, rel=rtol)
    assert hessian_value == value
    np.testing.assert_array_equal(hessian_gradient, gradient)
    scale = np.abs(expected_gradient).max()
    np.testing.assert_allclose(
        gradient, expected_gradient, rtol=rtol, atol=atol * scale
    )
    expected_product = expected_hessp(v) * weight_sum
    np.testing.assert_allclose(
        product,
        expected_product,
        rtol=rtol * 10,
        atol=atol * 10 * np.abs(expected_product).max(),
    )


# -- torch's CPU blocks on worker threads ---------------------------------------------
class _BlasStandIn:
    """threadpoolctl's BLAS controller, standing in: one library on ``n`` threads."""

    def __init__(self, n_threads):
        self.lib_controllers = [self]
        self.num_threads = n_threads

    def set_num_threads(self, n_threads):
        self.num_threads = n_threads


def _torch_threads_of_a_new_thread():
    """torch's intra-op thread count as a thread started now sees it."""
    seen = []
    thread = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    thread.start()
    thread.join()
    return seen[0]


def _evaluations_on_torch(monkeypatch, torch_threads, blas_threads=4):
    """The three sums of a torch CPU TrainingRows (38 blocks of 4 rows, in 16
    groups), with torch on ``torch_threads`` threads; and, per block computed, the
    thread and torch's thread count in it."""
    monkeypatch.setattr(
        _execution, "_blas_controller", lambda: _BlasStandIn(blas_threads)
    )
    monkeypatch.setattr(
        _execution, "device_block_bytes", lambda device: N_HIDDEN * 8 * 4
    )
    seen = []

    def watched(kernel):
        def block(*args, **kwargs):
            seen.append((threading.get_ident(), torch.get_num_threads()))
            return kernel(*args, **kwargs)

        return block

    for name in ("loss_gradient_block", "data_loss_block", "hessian_product_block"):
        monkeypatch.setattr(array_api, name, watched(getattr(network, name)))
    loss, X, Y, weights, theta, rng = problem("multiclass", "float64")
    v = rng.normal(size=theta.size)
    previous = torch.get_num_threads()
    torch.set_num_threads(torch_threads)
    try:
        with config_context(array_api_dispatch=True):
            rows = device_rows(loss, X, Y, weights, "torch", "cpu")
            sums = (
                *rows.data_loss_gradient(theta),
                rows.data_loss(theta),
                rows.data_hessian_product(theta)[2](v),
            )
        # Restored after each, for this thread and the threads started after.
        assert torch.get_num_threads() == torch_threads
        assert _torch_threads_of_a_new_thread() == torch_threads
    finally:
        torch.set_num_threads(previous)
    assert len(rows._blocks) == 38
    return sums, seen


def test_torch_cpu_blocks_run_on_workers_each_on_one_torch_thread(monkeypatch):
    """With several torch threads, the groups of blocks run on worker threads, each
    computing on one torch thread (a parallel region per operation waits for its
    slowest thread; on busy cores, for a descheduled one), and torch's thread count
    is restored after. The sums are those of one thread adding the blocks in order,
    and their bits do not depend on the number of workers."""
    sequential, seen_sequential = _evaluations_on_torch(monkeypatch, torch_threads=1)
    two, seen_two = _evaluations_on_torch(monkeypatch, torch_threads=2)
    three, seen_three = _evaluations_on_torch(monkeypatch, torch_threads=3)
    main = threading.get_ident()
    assert {thread for thread, _ in seen_sequential} == {main}
    assert len(seen_two) == len(seen_three) == 4 * 38  # each block of 4 sums, once
    for seen, n_threads in ((seen_two, 2), (seen_three, 3)):
        # Workers besides the caller, and in each sum never more threads than torch
        # had (the sums run one after the other, so each one's 38 blocks are
        # consecutive in `seen`; across the sums the workers may be other threads of
        # the process's pool, which earlier evaluations can have grown).
        assert len({thread for thread, _ in seen} - {main}) >= 1
        for start in range(0, len(seen), 38):
            assert len({thread for thread, _ in seen[start : start + 38]}) <= n_threads
        assert {threads for _, threads in seen} == {1}  # each on one torch thread
    for result, expected in zip(two, sequential, strict=True):
        np.testing.assert_allclose(result, expected, rtol=1e-13, atol=1e-13)
    for result, expected in zip(three, two, strict=True):
        np.testing.assert_array_equal(result, expected)


def test_torch_cpu_blocks_stay_on_the_callers_thread_when_not_alone(monkeypatch):
    """While another thread evaluates or fits (a threaded grid search), or BLAS is
    allowed one thread, torch's blocks run in the caller's thread on torch's own
    threads, and nothing changes torch's thread count."""
    main = threading.get_ident()
    _, seen = _evaluations_on_torch(monkeypatch, torch_threads=2, blas_threads=1)
    assert seen and set(seen) == {(main, 2)}
    entered, leave = threading.Event(), threading.Event()

    def other_fit():
        with _execution.blas_single_threaded():
            entered.set()
            leave.wait(60)

    other = threading.Thread(target=other_fit)
    other.start()
    try:
        entered.wait(60)
        _, seen = _evaluations_on_torch(monkeypatch, torch_threads=2)
    finally:
        leave.set()
        other.join()
    assert seen and set(seen) == {(main, 2)}


def test_a_failing_torch_block_on_a_worker_restores_torchs_threads(monkeypatch):
    """A block that raises on a worker: the error reaches the caller, the other
    workers stop, and torch's thread count is the caller's again."""
    monkeypatch.setattr(_execution, "_blas_controller", lambda: _BlasStandIn(2))
    monkeypatch.setattr(
        _execution, "device_block_bytes", lambda device: N_HIDDEN * 8 * 16
    )
    calls = []

    def failing(*args, **kwargs):
        calls.append(torch.get_num_threads())
        raise RuntimeError("a block failed")

    monkeypatch.setattr(array_api, "loss_gradient_block", failing)
    loss, X, Y, weights, theta, _ = problem("binary", "float64")
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with config_context(array_api_dispatch=True):
            rows = device_rows(loss, X, Y, weights, "torch", "cpu")
            with pytest.raises(RuntimeError, match="a block failed"):
                rows.data_loss_gradient(theta)
        assert torch.get_num_threads() == _torch_threads_of_a_new_thread() == 2
    finally:
        torch.set_num_threads(previous)
    assert calls and set(calls) == {1}
    assert len(calls) <= 2  # each worker stopped after its first, failing, block


def _heavy_first_row_problem(monkeypatch, n_rows, seed):
    """float32 rows cut one per block, the first weighted 1e8, the others 1.

    Every later row's loss (about 0.7) is below half a float32 unit of a running
    sum past 1e8 (8): added plainly in float32, they would all be lost.
    Returns ``(loss, X, Y, weights, theta)``.
    """
    monkeypatch.setattr(_execution, "device_block_bytes", lambda device: 1)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 3)).astype(np.float32)
    Y = rng.integers(0, 2, size=(n_rows, 1)).astype(np.float32)
    weights = np.ones(n_rows, dtype=np.float32)
    weights[0] = 1e8
    loss = TwoLayerLoss(ParameterLayout(3, 4, 1), "sigmoid")
    return loss, X, Y, weights, rng.normal(size=loss.layout.size)


def test_float32_device_without_float64_compensates_its_sums(monkeypatch):
    """Kahan's compensation keeps the float32 sum over blocks at float32 rounding."""
    loss, X, Y, weights, theta = _heavy_first_row_problem(monkeypatch, 3000, seed=5)
    with config_context(array_api_dispatch=True):
        rows = device_rows(loss, X, Y, weights, "array_api_strict", "no_float64")
        assert len(rows._blocks) == 3000
        value = rows.data_loss(theta)
    A2 = loss.logits(theta.astype(np.float32), X)[:, 0]
    per_row = (np.logaddexp(np.float32(0), A2) - Y[:, 0] * A2) * weights
    exact = float(np.sum(per_row, dtype=np.float64))
    plain = np.float32(0)
    for term in per_row:
        plain = np.float32(plain + term)
    assert abs(value - exact) < 1e-6 * exact < abs(float(plain) - exact)
    # Tighter: the compensation holds what the float32 total lost, and the host
    # takes it off in float64, so what is left is a float32 rounding of each row's
    # term (about 1e-3 here), not a rounding of the total (32 at 3.4e8).
    row_roundings = per_row.size * np.finfo(np.float32).eps * np.abs(per_row[1:]).max()
    assert abs(value - exact) < row_roundings < np.spacing(np.float32(exact))


def test_a_workers_sum_is_added_with_its_compensation():
    """A worker's group sum joins the total with its compensation: on a device
    without float64, each group's float32 total lost its 0.75s (a unit is 8 at
    1e8), its compensation kept them, and the combined sum keeps both groups'."""
    xp, device = strict, strict.Device("no_float64")

    def group_sum(n_small):
        total = _execution.DeviceSum(
            xp, device, 1, xp.float32, False, array_api._to_host
        )
        for value in [1e8] + [0.75] * n_small:
            total.add(xp.asarray([value], dtype=xp.float32, device=device))
        return total

    total = group_sum(100)
    total.add_sum(group_sum(111))  # the totals' sum rounds (a unit is 16 at 2e8)
    assert abs(total.to_host()[0] - (2e8 + 0.75 * 211)) < 1e-3


@pytest.mark.parametrize(
    ("namespace", "device"), [("array_api_strict", "device1"), ("torch", "cpu")]
)
def test_a_float32_blocks_losses_are_summed_in_float64_where_the_device_has_it(
    namespace, device
):
    """Within one block too: 1e8 and a thousand 0.75s sum to 1e8 + 750 in float64
    (in float32, whose unit is 8 at 1e8, the 0.75s would be lost)."""
    values = np.full(1001, 0.75, dtype=np.float32)
    values[0] = 1e8
    with config_context(array_api_dispatch=True):
        values_on_device = on_device(values, namespace, device)
        xp = get_namespace(values_on_device)[0]
        total = network._sum_in_float64(values_on_device, xp)
        assert total.dtype == xp.float64 and total.shape == (1,)
        total = array_api._to_host(total)[0]
    assert total == 1e8 + 750


@pytest.mark.parametrize(
    ("namespace", "device"), [("array_api_strict", "device1"), ("torch", "cpu")]
)
def test_float32_sums_on_a_device_with_float64_are_added_in_float64(
    namespace, device, monkeypatch
):
    """The blocks' float32 sums are added in float64 where the device has it: the
    rows after a weight of 1e8 count, as in a float64 sum of the same terms."""
    loss, X, Y, weights, theta = _heavy_first_row_problem(monkeypatch, 1000, seed=6)
    with config_context(array_api_dispatch=True):
        rows = device_rows(loss, X, Y, weights, namespace, device)
        assert len(rows._blocks) == 1000
        value = rows.data_loss(theta)
        # The same device terms: the heavy row alone, then the 999 others.
        heavy = rows.take(np.arange(1)).data_loss(theta)
        rest = rows.take(np.arange(1, 1000)).data_loss(theta)
    # A float64 running sum loses a float64 rounding per block, far less than the
    # rest (about 600); a float32 one loses whole rows (its unit is 2 at 2.9e7).
    float64_roundings = 1000 * np.finfo(np.float64).eps * value
    assert abs(value - (heavy + rest)) < float64_roundings < 1e-3 * rest


@pytest.mark.parametrize(("namespace", "device", "dtype"), DEVICES, ids=IDS)
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_early_stopping_split_is_the_numpy_split(
    namespace, device, dtype, target, small_blocks
):
    loss, X, Y, weights, theta, _ = problem(target, dtype, seed=3)
    with config_context(array_api_dispatch=True):
        rows = device_rows(loss, X, Y, weights, namespace, device)
        np.testing.assert_array_equal(rows.fingerprints(), _row_fingerprints(X, Y))
        train, held_out = rows.split(0.25, 7)
        train_value = train.data_loss(theta)
        held_out_value = held_out.data_loss(theta)
    expected_train, expected_held_out = weighted_stratified_split(
        X, Y, weights, 0.25, 7
    )
    for part, expected in ((train, expected_train), (held_out, expected_held_out)):
        assert part.n_samples == expected.size
        np.testing.assert_array_equal(part.host_Y, Y[expected])
        np.testing.assert_array_equal(part.host_weight, weights[expected])
        assert part.weight_sum == pytest.approx(float(np.sum(weights[expected])))
        # The device holds the same rows as the host copies.
        np.testing.assert_array_equal(array_api._to_host(part.X), X[expected])
    rtol = tolerances(dtype)[0]
    for value, rows_index in ((train_value, expected_train), (held_out_value, None)):
        index = expected_held_out if rows_index is None else rows_index
        expected = loss.data_loss_gradient(
            theta.astype(dtype), X[index], Y[index], weights[index]
        )[0]
        assert value == pytest.approx(expected, rel=rtol)


def test_split_without_weights():
    loss, X, Y, _, _, _ = problem("multiclass", "float64", seed=4)
    with config_context(array_api_dispatch=True):
        train, held_out = device_rows(loss, X, Y, None, "torch", "cpu").split(0.3, 1)
    expected_train, expected_held_out = weighted_stratified_split(X, Y, None, 0.3, 1)
    assert train.host_weight is None and train.sample_weight is None
    assert (train.weight_sum, held_out.weight_sum) == (
        expected_train.size,
        expected_held_out.size,
    )


def test_torch_int64_fingerprint_arithmetic_wraps_as_uint64():
    """The device fingerprint's int64 steps give splitmix64's uint64 bits."""
    from sklearn_twolayer._split import _mix

    values = np.array(
        [0, 1, 2**63 - 1, 2**63, 2**64 - 1, 0xDEADBEEFCAFEF00D], dtype=np.uint64
    )
    on_torch = torch.asarray(values.view(np.int64))
    mixed = array_api._mix_int64(on_torch).numpy().view(np.uint64)
    np.testing.assert_array_equal(mixed, _mix(values))


# -- what crosses between host and device -----------------------------------------
class CrossingSpy:
    """Records every array that leaves or enters array-api-strict's arrays.

    Out of the "device": ``__dlpack__`` (how ``np.from_dlpack``/``move_to`` read an
    array), ``__array__``, and the conversions to Python scalars. Onto it:
    ``from_dlpack`` and ``asarray`` of host data. Operations between arrays on a
    device never go through these.
    """

    def __init__(self, monkeypatch):
        self.log = []
        Array = StrictArray
        for name in ("__dlpack__", "__array__", "__float__", "__int__", "__bool__"):
            self._spy_method(monkeypatch, Array, name)
        for name in ("from_dlpack", "asarray"):
            self._spy_function(monkeypatch, name)

    def _spy_method(self, monkeypatch, Array, name):
        original = getattr(Array, name)
        log = self.log

        def spy(array, *args, **kwargs):
            log.append(("to host", tuple(array.shape)))
            return original(array, *args, **kwargs)

        monkeypatch.setattr(Array, name, spy)

    def _spy_function(self, monkeypatch, name):
        original = getattr(strict, name)
        log = self.log

        def spy(source, *args, **kwargs):
            if not isinstance(source, StrictArray):
                log.append(("to device", tuple(np.shape(source))))
            return original(source, *args, **kwargs)

        monkeypatch.setattr(strict, name, spy)

    def take(self):
        log, self.log[:] = list(self.log), []
        return log


@pytest.mark.parametrize("device", ["device1", "no_float64"])
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_per_evaluation_only_theta_and_the_sums_cross(
    monkeypatch, device, target, small_blocks
):
    loss, X, Y, weights, theta, rng = problem(target, "float32", seed=6)
    size = loss.layout.size
    # Sums come back as float64 [loss, gradient]; a device without float64 sends
    # float32 sums and their compensations.
    sums = (size + 1,) if device == "device1" else (2 * (size + 1),)
    with config_context(array_api_dispatch=True):
        rows = device_rows(loss, X, Y, weights, "array_api_strict", device)
        spy = CrossingSpy(monkeypatch)
        rows.data_loss_gradient(theta)
        assert spy.take() == [("to device", (size,)), ("to host", sums)]
        rows.data_loss(theta)
        one = (1,) if device == "device1" else (2,)
        assert spy.take() == [("to device", (size,)), ("to host", one)]
        _, _, hessp = rows.data_hessian_product(theta)
        assert spy.take() == [("to device", (size,)), ("to host", sums)]
        hessp(rng.normal(size=size))
        product = (size,) if device == "device1" else (2 * size,)
        assert spy.take() == [("to device", (size,)), ("to host", product)]


def test_logits_move_theta_only(monkeypatch):
    loss, X, _, _, theta, _ = problem("multiclass", "float64", seed=8)
    with config_context(array_api_dispatch=True):
        X_device = on_device(X, "array_api_strict", "device1")
        spy = CrossingSpy(monkeypatch)
        A2 = loss.logits(theta, X_device)
        assert spy.take() == [("to device", (loss.layout.size,))]
        assert A2.device == X_device.device and A2.dtype == X_device.dtype
    np.testing.assert_allclose(
        array_api._to_host(A2), loss.logits(theta, X), rtol=1e-12, atol=1e-13
    )


@pytest.mark.parametrize("torch_threads", [1, 2])
def test_accelerators_get_large_blocks(torch_threads):
    """CPU devices computing on one thread get the in-process cache-sized blocks,
    torch's CPU on several threads large ones, CUDA/MPS/CuPy devices larger ones."""
    assert _execution.is_cpu(torch.device("cpu"))
    assert not _execution.is_cpu(torch.device("cuda"))
    assert _execution.is_cpu(strict.Device("device1"))

    class CupyDevice:  # CuPy's devices have an id and no type
        id = 0

    assert not _execution.is_cpu(CupyDevice())
    row_bytes = 256 * 4
    n_rows = 10**6
    previous = torch.get_num_threads()
    torch.set_num_threads(torch_threads)
    try:
        assert _execution.operation_threads(torch.device("cpu")) == torch_threads
        cpu_blocks = _execution.device_row_blocks(
            n_rows, row_bytes, torch.device("cpu")
        )
    finally:
        torch.set_num_threads(previous)
    gpu_blocks = _execution.device_row_blocks(n_rows, row_bytes, torch.device("cuda"))
    strict_blocks = _execution.device_row_blocks(
        n_rows, row_bytes, strict.Device("device1")
    )
    torch_cpu_bytes = (
        _execution.BLOCK_BYTES if torch_threads == 1 else _execution.CPU_BLOCK_BYTES
    )
    assert cpu_blocks[0].stop == torch_cpu_bytes // row_bytes
    assert strict_blocks[0].stop == _execution.BLOCK_BYTES // row_bytes
    assert _execution.operation_threads(strict.Device("device1")) == 1
    assert len(gpu_blocks) == -(-n_rows // (_execution.ACCELERATOR_BLOCK_BYTES // 1024))
    assert _execution.device_row_blocks(0, row_bytes, "cpu") == [slice(0, 0)]


@pytest.mark.parametrize("namespace", ["array_api_strict", "torch"])
def test_probability_functions_from_logits(namespace):
    """σ, log σ and (log-)softmax in the namespace equal the NumPy forms."""
    from sklearn_twolayer.network import log_sigmoid, log_softmax, output_proba, sigmoid

    device = "cpu" if namespace == "torch" else "CPU_DEVICE"
    z = np.array([[-800.0, -30.0, -1.0], [0.0, 2.5, 800.0]])
    with config_context(array_api_dispatch=True):
        z_device = on_device(z, namespace, device)
        xp = get_namespace(z_device)[0]
        results = {
            "sigmoid": output_proba(z_device, "sigmoid", xp),
            "log_sigmoid": log_sigmoid(z_device, xp),
            "softmax": output_proba(z_device, "softmax", xp),
            "log_softmax": log_softmax(z_device, xp),
        }
        results = {key: array_api._to_host(value) for key, value in results.items()}
    shifted = z - z.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(results["sigmoid"], sigmoid(z), rtol=1e-15)
    np.testing.assert_allclose(results["log_sigmoid"], log_sigmoid(z), rtol=1e-15)
    np.testing.assert_allclose(results["log_softmax"], log_softmax, rtol=1e-15)
    np.testing.assert_array_equal(network.log_softmax(z), log_softmax)  # NumPy's
    with config_context(array_api_dispatch=True), warnings.catch_warnings():
        warnings.simplefilter("error")  # exp(800) overflows to inf: σ is 0
        hidden = network.hidden_sigmoid_(z_device, xp)
        hidden = array_api._to_host(hidden)
    np.testing.assert_allclose(hidden, sigmoid(z), rtol=0, atol=4e-16)
    np.testing.assert_allclose(results["softmax"], np.exp(log_softmax), rtol=1e-15)


# -- the network's kernels in every namespace (issue 19) -------------------------------
NAMESPACES = list(yield_namespace_device_dtype_combinations())


@pytest.mark.parametrize(
    ("namespace", "device_name", "dtype_name"),
    NAMESPACES,
    ids=["-".join(str(part) for part in combination) for combination in NAMESPACES],
)
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_the_kernels_are_the_same_in_every_namespace(
    namespace, device_name, dtype_name, target
):
    """One kernel per equation, run in a namespace, equals it run by NumPy.

    Over scikit-learn's namespace, device and dtype combinations (those not
    installed, or without a device here, skip): the loss and gradient of eqs.
    1.1-1.6 and the Hessian-vector product on one block, the logits and the input
    gradient over all rows, with NumPy's in-place scratch path as the reference.
    """
    # (xp, device) and, in recent scikit-learn, the dtype.
    xp, device = _array_api_for_tests(namespace, device_name, dtype_name)[:2]
    try:
        xp.asarray([0.0], device=device)
    except Exception as error:  # e.g. torch built for CUDA, no usable GPU here
        pytest.skip(f"no {namespace} device {device_name} here: {error}")
    dtype = dtype_name or "float64"
    loss, X, Y, weights, theta, rng = problem(target, dtype, seed=11)
    layout, output = loss.layout, loss.output
    theta = theta.astype(dtype)
    v = rng.normal(size=theta.size).astype(dtype)

    def moved(array):
        return xp.asarray(array, device=device)

    with config_context(array_api_dispatch=True):
        weights_xp = layout.unpack(moved(theta), xp)
        direction_xp = layout.unpack(moved(v), xp)
        rows = (moved(X), moved(Y), moved(weights))
        value, gradient = network.loss_gradient_block(
            layout, output, weights_xp, *rows, xp
        )
        product = network.hessian_product_block(
            layout, output, weights_xp, direction_xp, *rows, xp
        )
        results = {
            "value": value,
            "gradient": gradient,
            "product": product,
            "logits": loss.logits(theta, rows[0]),
            "input_gradient": loss.input_gradient(theta, rows[0], "proba"),
        }
        results = {
            key: np.asarray(move_to(array, xp=np, device="cpu"), dtype=np.float64)
            if not isinstance(array, float)
            else np.float64(array)
            for key, array in results.items()
        }
    scratch = _execution.BlockScratch(N_SAMPLES, layout, np.dtype(dtype), 4)
    numpy_weights, numpy_direction = layout.unpack(theta), layout.unpack(v)
    expected_value, expected_gradient = network.loss_gradient_block(
        layout, output, numpy_weights, X, Y, weights, np, scratch
    )
    expected_gradient = expected_gradient.copy()
    expected = {
        "value": expected_value,
        "gradient": expected_gradient,
        "product": network.hessian_product_block(
            layout, output, numpy_weights, numpy_direction, X, Y, weights, np, scratch
        ),
        "logits": loss.logits(theta, X),
        "input_gradient": loss.input_gradient(theta, X, "proba"),
    }
    rtol, atol = tolerances(dtype)
    for key, result in results.items():
        reference = np.asarray(expected[key], dtype=np.float64)
        scale = max(1.0, float(np.abs(reference).max()))
        np.testing.assert_allclose(
            np.reshape(result, reference.shape),
            reference,
            rtol=rtol * 10,
            atol=atol * 10 * scale,
            err_msg=key,
        )


@pytest.mark.parametrize(("namespace", "device", "dtype"), DEVICES, ids=IDS)
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_predictions_over_device_blocks_are_numpys(
    namespace, device, dtype, target, small_blocks, monkeypatch
):
    """What the prediction methods compute from rows on a device, cut into blocks
    of 16 rows, equals NumPy's: h1, the logits, the outputs and their logarithm,
    both input gradients; each in X's namespace, dtype and device."""
    loss, X, _, _, theta, _ = problem(target, dtype, seed=12)
    cut = _recording_device_blocks(monkeypatch)
    with config_context(array_api_dispatch=True):
        X_device = on_device(X, namespace, device)
        A2 = loss.logits(theta, X_device)
        results = {
            "hidden": loss.hidden(theta, X_device),
            "logits": A2,
            "proba": loss.output_proba(A2),
            "log_proba": loss.log_output_proba(A2),
            "logit_gradient": loss.input_gradient(theta, X_device, "logit"),
            "proba_gradient": loss.input_gradient(theta, X_device, "proba"),
        }
        assert all(len(blocks) > 1 for blocks in cut)
        for key, result in results.items():
            assert result.device == X_device.device, key
            assert result.dtype == X_device.dtype, key
        results = {key: array_api._to_host(value) for key, value in results.items()}
    theta_in_dtype = theta.astype(dtype)
    A2 = loss.logits(theta_in_dtype, X)
    # The outputs from SciPy's functions, not the network's own.
    sigmoid_outputs = loss.output == "sigmoid"
    expected = {
        "hidden": loss.hidden(theta_in_dtype, X),
        "logits": A2,
        "proba": special.expit(A2) if sigmoid_outputs else special.softmax(A2, 1),
        "log_proba": (
            special.log_expit(A2) if sigmoid_outputs else special.log_softmax(A2, 1)
        ),
        "logit_gradient": loss.input_gradient(theta_in_dtype, X, "logit"),
        "proba_gradient": loss.input_gradient(theta_in_dtype, X, "proba"),
    }
    rtol, atol = tolerances(dtype)
    for key, result in results.items():
        scale = max(1.0, float(np.abs(expected[key]).max()))
        np.testing.assert_allclose(
            result, expected[key], rtol=rtol * 10, atol=atol * 10 * scale, err_msg=key
        )


def _recording_device_blocks(monkeypatch, row_bytes=None):
    """Record the blocks ``device_row_blocks`` cuts (and each call's row bytes)."""
    cut, cut_rows = [], _execution.device_row_blocks

    def recording(n_samples, bytes_per_row, device):
        if row_bytes is not None:
            row_bytes.append(bytes_per_row)
        cut.append(cut_rows(n_samples, bytes_per_row, device))
        return cut[-1]

    monkeypatch.setattr(_execution, "device_row_blocks", recording)
    return cut


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_device_prediction_blocks_are_sized_by_what_a_row_holds(dtype, monkeypatch):
    """A row of h1 or of the logits' pass holds n_hidden numbers of X's dtype; a
    row of the input gradient n_hidden · n_features (its slope through W1)."""
    loss, X, _, _, theta, _ = problem("multiclass", dtype, seed=13)
    row_bytes = []
    _recording_device_blocks(monkeypatch, row_bytes)
    itemsize = np.dtype(dtype).itemsize
    with config_context(array_api_dispatch=True):
        X_device = on_device(X, "torch", "cpu")
        loss.hidden(theta, X_device)
        loss.logits(theta, X_device)
        loss.input_gradient(theta, X_device, "proba")
    assert row_bytes == [
        N_HIDDEN * itemsize,
        N_HIDDEN * itemsize,
        N_HIDDEN * N_FEATURES * itemsize,
    ]
