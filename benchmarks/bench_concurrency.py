"""Concurrent fits against the same fits one after the other, side by side.

Runs the timings of the concurrency issue and prints one table of ratios, with the
machine, its thread settings and the load average::

    python benchmarks/bench_concurrency.py            # the full run (a few minutes)
    python benchmarks/bench_concurrency.py --quick    # small sizes: CI's smoke test

Contenders, alternated within each repeat (the order rotates) and reported as
medians over the repeats:

- two fits one after the other, against the same two fits in two threads started
  together (goal: at most 1.2x);
- ``GridSearchCV(n_jobs=1)`` against ``GridSearchCV(n_jobs=2)`` with joblib's
  threading backend (goal: at most 1.1x), and with loky (processes; reference);
- every BLAS library's thread count before and after all of it (goal: unchanged),
  and whether the concurrent fits gave the same weights as the sequential ones.
"""

import argparse
import os
import platform
import statistics
import threading
import time
import warnings

import numpy as np
import scipy
import sklearn
from joblib import parallel_backend
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_info

from sklearn_twolayer import TwoLayerSigmoidClassifier

FULL = dict(n=6000, n_features=20, n_hidden=30, max_iter=200, repeats=5, grid_n=4000)
QUICK = dict(n=1500, n_features=10, n_hidden=8, max_iter=20, repeats=2, grid_n=600)


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def make(size, seed=0):
    return TwoLayerSigmoidClassifier(
        n_hidden=size["n_hidden"], max_iter=size["max_iter"], random_state=seed
    )


def two_sequential(size, data):
    return [make(size, seed).fit(X, y) for seed, (X, y) in enumerate(data)]


def two_in_threads(size, data):
    models = [None, None]
    barrier = threading.Barrier(2)

    def fit(index):
        barrier.wait()
        X, y = data[index]
        models[index] = make(size, index).fit(X, y)

    threads = [threading.Thread(target=fit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return models


def grid_search(size, X, y, n_jobs, backend):
    search = GridSearchCV(
        make(size),
        {
            "alpha": [1e-5, 1e-3, 1e-1],
            "n_hidden": [size["n_hidden"], 2 * size["n_hidden"]],
        },
        cv=2,
        scoring="neg_log_loss",
        n_jobs=n_jobs,
    )
    with parallel_backend(backend):
        return search.fit(X, y)


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke)")
    parser.add_argument("--repeats", type=int)
    args = parser.parse_args(argv)
    size = dict(QUICK if args.quick else FULL)
    if args.repeats:
        size["repeats"] = args.repeats
    warnings.simplefilter("ignore", ConvergenceWarning)

    print(
        f"sklearn-twolayer concurrency benchmark: ({'quick' if args.quick else 'full'})"
    )
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scipy "
        f"{scipy.__version__}, scikit-learn {sklearn.__version__}"
    )
    print(
        f"{platform.machine()}, os.cpu_count()={os.cpu_count()}, load average {load()}"
    )
    blas_before = threadpool_info()
    for lib in blas_before:
        print(
            f"  {lib['user_api']:6s}  {lib['internal_api']:8s}  "
            f"threads={lib['num_threads']}  {os.path.basename(lib['filepath'])}"
        )
    data = [
        make_classification(
            n_samples=size["n"], n_features=size["n_features"], random_state=seed
        )
        for seed in range(2)
    ]
    X_grid, y_grid = make_classification(
        n_samples=size["grid_n"], n_features=size["n_features"], random_state=2
    )
    print(
        f"data: two make_classification({size['n']} x {size['n_features']}) fits, "
        f"n_hidden={size['n_hidden']}, max_iter={size['max_iter']}; grid search on "
        f"{size['grid_n']} rows, 6 candidates x cv=2; medians of {size['repeats']} "
        "repeats, contenders alternated"
    )

    contenders = {
        "two fits, sequential": lambda: two_sequential(size, data),
        "two fits, two threads": lambda: two_in_threads(size, data),
        "grid search n_jobs=1": lambda: grid_search(
            size, X_grid, y_grid, 1, "threading"
        ),
        "grid search n_jobs=2, threading": lambda: grid_search(
            size, X_grid, y_grid, 2, "threading"
        ),
        "grid search n_jobs=2, loky": lambda: grid_search(
            size, X_grid, y_grid, 2, "loky"
        ),
    }
    grid_search(size, X_grid, y_grid, 2, "loky")  # start loky's workers once
    times = {name: [] for name in contenders}
    results = {}
    names = list(contenders)
    for repeat in range(size["repeats"]):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            seconds, results[name] = timed(contenders[name])
            times[name].append(seconds)
    median = {name: statistics.median(values) for name, values in times.items()}

    same_fits = all(
        np.array_equal(a.W1_, b.W1_) and np.array_equal(a.W2_, b.W2_)
        for a, b in zip(
            results["two fits, sequential"],
            results["two fits, two threads"],
            strict=True,
        )
    )
    reference = results["grid search n_jobs=1"].cv_results_["mean_test_score"]
    same_scores = {
        backend: np.array_equal(
            results[f"grid search n_jobs=2, {backend}"].cv_results_["mean_test_score"],
            reference,
        )
        for backend in ("threading", "loky")
    }
    blas_same = threadpool_info() == blas_before

    def row(target, measured, ratio, goal, met):
        print(
            f"| {target:44s} | {measured:30s} | {ratio:>6s} | {goal:11s} | {met:3s} |"
        )

    print()
    row("target", "measured", "ratio", "goal", "met")
    print(f"|{'-' * 46}|{'-' * 32}|{'-' * 8}|{'-' * 13}|{'-' * 5}|")
    seq, par = median["two fits, sequential"], median["two fits, two threads"]
    row(
        "two fits in two threads / one after other",
        f"{par:.2f} s / {seq:.2f} s",
        f"{par / seq:.2f}",
        "<= 1.2",
        "yes" if par / seq <= 1.2 else "NO",
    )
    one = median["grid search n_jobs=1"]
    for backend, goal in (("threading", 1.1), ("loky", None)):
        two = median[f"grid search n_jobs=2, {backend}"]
        row(
            f"GridSearchCV n_jobs=2 ({backend}) / n_jobs=1",
            f"{two:.2f} s / {one:.2f} s",
            f"{two / one:.2f}",
            f"<= {goal}" if goal else "(reference)",
            ("yes" if two / one <= goal else "NO") if goal else "",
        )
    row(
        "same weights, threads vs sequential",
        "",
        "",
        "bit-identical",
        "yes" if same_fits else "NO",
    )
    for backend, same in same_scores.items():
        row(
            f"cv_results_ scores, n_jobs=2 {backend} vs 1",
            "",
            "",
            "equal",
            "yes" if same else "NO",
        )
    row(
        "BLAS thread settings after all the fits",
        "",
        "",
        "as before",
        "yes" if blas_same else "NO",
    )
    print(f"\nload average after: {load()}")


if __name__ == "__main__":
    main()
