"""The array-API backend on each available device against its own matrix products
and against this package's NumPy fit (issue 12).

For every device found (torch ``cpu`` always; torch ``cuda`` and ``mps`` and CuPy
where present) and every size n (10⁵ and 10⁶ rows, 100 float32 features, 256
hidden units, binary targets), it prints:

- ``eval``: one loss-and-gradient evaluation on the device, theta from the host and
  ``[loss, gradient]`` back (``TrainingRows.data_loss_gradient``), median of the
  repeats;
- ``2 products``: the device's own ``X @ W1ᵀ`` and ``G1ᵀ @ X`` of the same shapes,
  synchronised (the hardware cost an evaluation cannot avoid); ``eval / products``
  is the ratio (target on a CUDA GPU: at most 1.3);
- ``fit``: ``TwoLayerSigmoidClassifier(n_hidden=256, max_iter, tol=0)`` under
  ``array_api_dispatch`` on the device, and the same fit on the NumPy backend with
  ``--cpu-threads`` threads (2 by default, the development machine's cores), and
  their ratio (targets: a 200-iteration fit on 10⁶ rows at least 30x faster on a
  CUDA GPU; on torch CPU at most 2x the NumPy fit).

Usage::

    python benchmarks/bench_device.py          # full run (on the GPU machine)
    python benchmarks/bench_device.py --quick  # tiny sizes, torch CPU: CI's smoke test
    python benchmarks/bench_device.py --sizes 100000 --max-iter 20  # a shorter run

Nothing needs changing for a CUDA machine: the cuda device is found and used. The
load average is printed before and after; on a shared machine read the ratios.
"""

import argparse
import os
import platform
import statistics
import time
import warnings

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before SciPy is imported

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._backends import array_api
from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss

FULL = dict(sizes=[100_000, 1_000_000], n_features=100, n_hidden=256, max_iter=200)
QUICK = dict(sizes=[2_000], n_features=10, n_hidden=16, max_iter=5)


def devices(quick):
    """(name, namespace module, device, synchronize) for every available device."""
    import torch

    found = [("torch cpu", torch, torch.device("cpu"), lambda: None)]
    if quick:
        return found
    if torch.cuda.is_available():  # pragma: no cover - no GPU in CI
        found.append(
            ("torch cuda", torch, torch.device("cuda"), torch.cuda.synchronize)
        )
    if torch.backends.mps.is_available():  # pragma: no cover - Apple only
        found.append(("torch mps", torch, torch.device("mps"), torch.mps.synchronize))
    try:  # pragma: no cover - CuPy needs a GPU
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            found.append(("cupy", cupy, None, lambda: cupy.cuda.Device().synchronize()))
    except Exception:  # absent, or without a driver: no CuPy device
        pass
    return found


def to_device(namespace, device, array):
    if namespace.__name__ == "torch":
        return namespace.asarray(array, device=device)
    return namespace.asarray(array)  # pragma: no cover - CuPy


def median_seconds(function, synchronize, repeats):
    """Median wall time of ``function()`` followed by ``synchronize()``."""
    function()  # warm-up: kernels compiled, memory pooled
    synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def problem(n, n_features, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features), dtype=np.float32)
    w = rng.standard_normal(n_features, dtype=np.float32)
    y = (X @ w + rng.standard_normal(n, dtype=np.float32) > 0).astype(np.int64)
    return X, y


def fit_seconds(X, y, config, dispatch):
    clf = TwoLayerSigmoidClassifier(
        n_hidden=config["n_hidden"],
        max_iter=config["max_iter"],
        tol=0.0,
        random_state=0,
    )
    with warnings.catch_warnings(), sklearn.config_context(array_api_dispatch=dispatch):
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter on purpose
        start = time.perf_counter()
        clf.fit(X, y)
        return time.perf_counter() - start, clf.n_iter_


def rows_of_the_table(n, config, cpu_threads, repeats, quick):
    """The table's rows for n samples: one per device."""
    X, y = problem(n, config["n_features"])
    loss = TwoLayerLoss(ParameterLayout(config["n_features"], config["n_hidden"], 1))
    theta = np.random.default_rng(1).uniform(-0.1, 0.1, loss.layout.size)
    Y = y[:, None].astype(np.float32)
    theta32 = theta.astype(np.float32)
    with threadpool_limits(cpu_threads):
        numpy_eval = median_seconds(
            lambda: loss.data_loss_gradient(theta32, X, Y), lambda: None, repeats
        )
        numpy_fit, numpy_iter = fit_seconds(X, y, config, dispatch=False)
    for name, xp, device, synchronize in devices(quick):
        X_device = to_device(xp, device, X)
        with sklearn.config_context(array_api_dispatch=True):
            rows = array_api.TrainingRows(
                loss, X_device, to_device(xp, device, Y), None, float(n), Y, None
            )
            evaluation = median_seconds(
                lambda rows=rows: rows.data_loss_gradient(theta), synchronize, repeats
            )
        W1 = to_device(xp, device, theta32[: loss.layout.n_hidden * X.shape[1]])
        W1 = xp.reshape(W1, (-1, X.shape[1]))
        G1 = to_device(xp, device, np.ones((n, config["n_hidden"]), dtype=np.float32))

        def products(X_device=X_device, W1=W1, G1=G1):
            return X_device @ W1.T, G1.T @ X_device

        two_products = median_seconds(products, synchronize, repeats)
        del G1
        fit, n_iter = fit_seconds(X_device, to_device(xp, device, y), config, True)
        yield (
            f"| {name} | {n:.0e} | {evaluation:.4f} | {two_products:.4f} "
            f"| {evaluation / two_products:.2f} | {numpy_eval:.4f} "
            f"| {fit:.2f} ({n_iter} it) | {numpy_fit:.2f} ({numpy_iter} it) "
            f"| {numpy_fit / fit:.2f} |"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny CI smoke test")
    parser.add_argument("--sizes", type=int, nargs="+")
    parser.add_argument("--max-iter", type=int)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cpu-threads", type=int, default=2)
    args = parser.parse_args(argv)
    config = dict(QUICK if args.quick else FULL)
    config["sizes"] = args.sizes or config["sizes"]
    config["max_iter"] = args.max_iter or config["max_iter"]
    repeats = 1 if args.quick else args.repeats

    import torch

    torch.set_num_threads(args.cpu_threads)  # torch cpu gets the NumPy fit's cores
    print(
        f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cpus; "
        f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
        f"torch {torch.__version__}; load average {os.getloadavg()}"
    )
    print(
        f"n_features={config['n_features']}, n_hidden={config['n_hidden']}, float32, "
        f"fits of max_iter={config['max_iter']} (tol=0), {repeats} repeats, "
        f"CPU fits on {args.cpu_threads} threads"
    )
    header = (
        "| device | n | eval (s) | 2 products (s) | eval / products "
        "| NumPy eval (s) | fit (s) | NumPy fit (s) | NumPy fit / fit |"
    )
    print(header)
    print("|" + "---|" * 9)
    for n in config["sizes"]:
        for line in rows_of_the_table(n, config, args.cpu_threads, repeats, args.quick):
            print(line)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
