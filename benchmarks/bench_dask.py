"""A fit on Dask arrays on a local Dask scheduler, against the in-memory fit.

The same data, in memory (NumPy) and as a Dask array of ``--n-blocks`` row blocks,
fitted with the same parameters and a fixed number of L-BFGS iterations
(``tol=0``), so both do the same work: the Dask fit's extra time is its scheduling
(one task per block and evaluation, the sum added on the client) and its one pass
of validation and encoding over the blocks. The fits are timed alternately and the
medians printed, with whether the fitted weights are the same bits on every
scheduler.

Schedulers (``--schedulers``): ``threads`` (Dask's default for arrays, two threads
here), ``synchronous`` (every block in the calling thread) and ``distributed`` (a
``LocalCluster`` of two one-thread worker processes: the tasks and the results are
pickled between processes).

Run: ``python benchmarks/bench_dask.py [--n 10000 100000] [--repeats 5]``
(needs the dask extra; ``distributed`` for that scheduler).
"""

import argparse
import contextlib
import os
import time
import warnings
from collections import defaultdict

import dask
import dask.array as da
import numpy as np
import threadpoolctl
from sklearn.exceptions import ConvergenceWarning

from sklearn_twolayer import TwoLayerSigmoidClassifier


def _scheduler(name, stack):
    """Enter the scheduler ``name`` on ``stack``."""
    if name == "distributed":
        from distributed import Client, LocalCluster

        cluster = stack.enter_context(
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
        )
        client = stack.enter_context(Client(cluster, set_as_default=False))
        return {"scheduler": client}
    if name == "threads":
        return {"scheduler": "threads", "num_workers": 2}
    return {"scheduler": name}


def _fit(X, y, n_hidden, iterations, config=None):
    clf = TwoLayerSigmoidClassifier(
        n_hidden=n_hidden, alpha=1e-4, max_iter=iterations, tol=0.0, random_state=0
    )
    context = dask.config.set(config) if config else contextlib.nullcontext()
    with context, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed budget
        start = time.perf_counter()
        clf.fit(X, y)
        return time.perf_counter() - start, clf


def measure(n, args, configs):
    rng = np.random.default_rng(n)
    X = rng.standard_normal((n, args.n_features))
    y = (X[:, 0] + 0.5 * rng.standard_normal(n) > 0).astype(int)
    rows = -(-n // args.n_blocks)
    X_dask = da.from_array(X, chunks=(rows, args.n_features))
    y_dask = da.from_array(y, chunks=rows)
    times, fitted = defaultdict(list), {}
    for repeat in range(args.repeats + 1):  # the first round warms up, untimed
        seconds, fitted["in memory"] = _fit(X, y, args.n_hidden, args.iterations)
        if repeat:
            times["in memory"].append(seconds)
        for name, config in configs.items():
            seconds, fitted[name] = _fit(
                X_dask, y_dask, args.n_hidden, args.iterations, config
            )
            if repeat:
                times[name].append(seconds)
    iterations = {name: clf.n_iter_ for name, clf in fitted.items()}
    same = {
        name: all(
            np.array_equal(getattr(clf, a), getattr(fitted[next(iter(configs))], a))
            for a in ("W1_", "b1_", "W2_", "b2_")
        )
        for name, clf in fitted.items()
        if name != "in memory"
    }
    medians = {name: float(np.median(t)) for name, t in times.items()}
    return medians, iterations, same


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--n-features", type=int, default=20)
    parser.add_argument("--n-hidden", type=int, default=16)
    parser.add_argument("--n-blocks", type=int, default=4)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--schedulers",
        nargs="+",
        default=["threads", "synchronous"],
        choices=["threads", "synchronous", "distributed"],
    )
    args = parser.parse_args()
    np.show_runtime()
    print(threadpoolctl.threadpool_info())
    print(f"load average before: {os.getloadavg()}")
    print(
        f"{args.n_blocks} row blocks; {args.n_features} features, {args.n_hidden} "
        f"hidden units; {args.iterations} L-BFGS iterations (tol=0); median of "
        f"{args.repeats} fits, the fits timed alternately"
    )
    with contextlib.ExitStack() as stack:
        configs = {name: _scheduler(name, stack) for name in args.schedulers}
        header = (
            f"{'n':>8} {'fit on':>12} {'fit s':>8} {'x in memory':>12} "
            f"{'iterations':>11} {'same bits':>10}"
        )
        print(header)
        print("-" * len(header))
        for n in args.n:
            medians, iterations, same = measure(n, args, configs)
            for name, seconds in medians.items():
                ratio = seconds / medians["in memory"]
                print(
                    f"{n:>8} {name:>12} {seconds:>8.3f} {ratio:>12.2f} "
                    f"{iterations[name]:>11} {same.get(name, '')!s:>10}"
                )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
