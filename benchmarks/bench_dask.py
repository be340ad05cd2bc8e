"""Per-evaluation overhead of fitting on Dask arrays, against the in-memory path.

Every L-BFGS evaluation of the Dask path sends theta to the workers, maps
``TwoLayerLoss.data_loss_gradient`` over the persisted row blocks and gathers one
gradient per block. Its cost is the in-memory work (now spread over the workers)
plus a scheduling overhead that depends on the number of blocks, not on the number
of rows. This script measures both paths side by side at several n, with the number
of blocks fixed, and prints milliseconds per evaluation:

- ``in-memory``: ``TwoLayerLoss.loss_gradient`` on the whole numpy array;
- ``dask``: the wall time of one evaluation of the Dask objective (send theta,
  map the kernel over the blocks, gather, sum, penalty);
- ``worker``: the compute time of the busiest worker in that evaluation, from the
  scheduler's task stream (the work, which the workers share);
- ``overhead``: ``dask - worker``, the time spent on anything but the work.

Each n has two rows: ``gradient`` (one evaluation of the objective and its
gradient, what L-BFGS asks for) and ``hessp`` (one exact Hessian-vector product at a
point already evaluated, what trust-ncg's inner loop asks for: on Dask, one task per
block, each recomputing its block's forward pass).

With two worker processes the work is shared, so at large n the Dask path can beat
the in-memory one even on 2 cores; the overhead is what does not shrink. Timings on
a machine shared with other work are noisy: the two paths are timed alternately, and
the medians are shown.

Run: ``python benchmarks/bench_dask.py [--n 1000 10000 100000] [--repeats 30]``
(needs the dask extra).
"""

import argparse
import os
import time
from collections import defaultdict

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, get_task_stream

from sklearn_twolayer._backends import dask as _dask
from sklearn_twolayer._objective import Objective
from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss


def _median_ms(times):
    return 1e3 * float(np.median(times))


def measure(client, n, n_features, n_hidden, n_blocks, repeats, seed):
    # The data is made on the workers (as a user's would be loaded there), then
    # copied to the client for the in-memory path.
    rows = -(-n // n_blocks)
    dask_rng = da.random.default_rng(seed)
    X_dask = dask_rng.standard_normal((n, n_features), chunks=(rows, n_features))
    noise = dask_rng.standard_normal((n, 1), chunks=(rows, 1))
    Y_dask = (X_dask[:, :1] + 0.5 * noise > 0).astype(np.float64)
    X_blocks, Y_blocks = _dask._block_futures(client, [X_dask, Y_dask])
    X, Y = client.gather(X_blocks), client.gather(Y_blocks)
    X, Y = np.concatenate(X), np.concatenate(Y)
    loss = TwoLayerLoss(ParameterLayout(n_features, n_hidden, 1), output="sigmoid")
    theta = np.random.default_rng(seed).normal(scale=0.1, size=loss.layout.size)
    dask_rows = _dask.DaskRows(
        client,
        [(X_b, Y_b, None) for X_b, Y_b in zip(X_blocks, Y_blocks, strict=True)],
        [int(size) for size in X_dask.chunks[0]],
        n_features,
        np.dtype(np.float64),
        float(n),
        loss,
    )
    objective = Objective(dask_rows, 1e-4)
    value_dask, grad_dask = objective.loss_gradient(theta)  # warm-up: imports
    value_memory, grad_memory = loss.loss_gradient(theta, X, Y, None, 1e-4)
    # trust-ncg: Hessian-vector products at theta, each mapped over the blocks'
    # blocks (Dask) or on the in-memory arrays.
    direction = np.random.default_rng(seed + 1).normal(size=theta.size)
    hessp_dask = objective.loss_gradient_hessp(theta)[2]
    hessp_memory = loss.gradient_hessian_product(theta, X, Y, None, 1e-4)[2]
    product_dask, product_memory = hessp_dask(direction), hessp_memory(direction)
    agreement = max(
        abs(value_dask - value_memory) / abs(value_memory),
        np.max(np.abs(grad_dask - grad_memory)) / np.max(np.abs(grad_memory)),
        np.max(np.abs(product_dask - product_memory)) / np.max(np.abs(product_memory)),
    )
    times = defaultdict(list)
    for _ in range(repeats):
        for name, in_memory, on_dask in (
            (
                "gradient",
                lambda: loss.loss_gradient(theta, X, Y, None, 1e-4),
                lambda: objective.loss_gradient(theta),
            ),
            ("hessp", lambda: hessp_memory(direction), lambda: hessp_dask(direction)),
        ):
            start = time.perf_counter()
            in_memory()
            times[name, "memory"].append(time.perf_counter() - start)
            with get_task_stream(client) as stream:
                start = time.perf_counter()
                on_dask()
                times[name, "dask"].append(time.perf_counter() - start)
            times[name, "worker"].append(_busiest_worker_seconds(stream.data))
    medians = {key: _median_ms(values) for key, values in times.items()}
    return medians, agreement


def _busiest_worker_seconds(task_stream):
    """Compute time of the busiest worker: the part of an evaluation that is work."""
    busy = defaultdict(float)
    for task in task_stream:
        for interval in task["startstops"]:
            if interval["action"] == "compute":
                busy[task["worker"]] += interval["stop"] - interval["start"]
    return max(busy.values(), default=0.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--n-features", type=int, default=20)
    parser.add_argument("--n-hidden", type=int, default=16)
    parser.add_argument("--n-blocks", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        print(f"load average before: {os.getloadavg()}")
        print(
            f"LocalCluster: 2 worker processes x 1 thread; {args.n_blocks} row blocks; "
            f"{args.n_features} features, {args.n_hidden} hidden units; median of "
            f"{args.repeats} evaluations, both paths timed alternately"
        )
        header = (
            f"{'n':>9} {'what':>9} {'in-memory ms':>13} {'dask ms':>9} "
            f"{'worker ms':>10} {'overhead ms':>12} {'max rel diff':>13}"
        )
        print(header)
        print("-" * len(header))
        for n in args.n:
            medians, agreement = measure(
                client,
                n,
                args.n_features,
                args.n_hidden,
                args.n_blocks,
                args.repeats,
                seed=n,
            )
            for what in ("gradient", "hessp"):
                memory_ms, dask_ms, worker_ms = (
                    medians[what, where] for where in ("memory", "dask", "worker")
                )
                print(
                    f"{n:>9} {what:>9} {memory_ms:>13.2f} {dask_ms:>9.2f} "
                    f"{worker_ms:>10.2f} {dask_ms - worker_ms:>12.2f} "
                    f"{agreement:>13.1e}"
                )
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
