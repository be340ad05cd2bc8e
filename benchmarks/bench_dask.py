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

With two worker processes the work is shared, so at large n the Dask path can beat
the in-memory one even on 2 cores; the overhead is what does not shrink. Timings on
a machine shared with other work are noisy: the two paths are timed alternately, and
the medians are shown.

Run: ``python benchmarks/bench_dask.py [--n 1000 10000 100000] [--repeats 30]``
(needs the dask extra).
"""

import argparse
import time
from collections import defaultdict

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, get_task_stream

from sklearn_twolayer import _dask
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
    objective = _dask._BlockObjective(
        client,
        loss,
        (X_blocks, Y_blocks, [None] * len(X_blocks)),
        float(n),
        1e-4,
        np.float64,
    )
    value_dask, grad_dask = objective(theta)  # warm-up: workers import, caches
    value_memory, grad_memory = loss.loss_gradient(theta, X, Y, None, 1e-4)
    agreement = max(
        abs(value_dask - value_memory) / abs(value_memory),
        np.max(np.abs(grad_dask - grad_memory)) / np.max(np.abs(grad_memory)),
    )
    memory_times, dask_times, worker_times = [], [], []
    for _ in range(repeats):
        start = time.perf_counter()
        loss.loss_gradient(theta, X, Y, None, 1e-4)
        memory_times.append(time.perf_counter() - start)
        with get_task_stream(client) as stream:
            start = time.perf_counter()
            objective(theta)
            dask_times.append(time.perf_counter() - start)
        worker_times.append(_busiest_worker_seconds(stream.data))
    return (
        _median_ms(memory_times),
        _median_ms(dask_times),
        _median_ms(worker_times),
        agreement,
    )


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
        print(
            f"LocalCluster: 2 worker processes x 1 thread; {args.n_blocks} row blocks; "
            f"{args.n_features} features, {args.n_hidden} hidden units; median of "
            f"{args.repeats} evaluations, both paths timed alternately"
        )
        header = (
            f"{'n':>9} {'in-memory ms':>13} {'dask ms':>9} {'worker ms':>10} "
            f"{'overhead ms':>12} {'max rel diff':>13}"
        )
        print(header)
        print("-" * len(header))
        for n in args.n:
            memory_ms, dask_ms, worker_ms, agreement = measure(
                client,
                n,
                args.n_features,
                args.n_hidden,
                args.n_blocks,
                args.repeats,
                seed=n,
            )
            print(
                f"{n:>9} {memory_ms:>13.2f} {dask_ms:>9.2f} {worker_ms:>10.2f} "
                f"{dask_ms - worker_ms:>12.2f} {agreement:>13.1e}"
            )


if __name__ == "__main__":
    main()
