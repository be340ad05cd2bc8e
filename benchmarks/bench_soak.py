"""Many consecutive fits and predictions in one process: memory and threads stay flat.

Fits a small ``TwoLayerSigmoidClassifier`` and predicts with it again and again
(2,000 times by default) and prints, at checkpoints, the memory numpy and Python
hold (``tracemalloc``), the resident set size (RSS, from ``/proc/self/statm`` on
Linux, else ``resource``'s peak) and the number of live threads. A leak of even a
few hundred bytes per fit shows as a steady climb; flat numbers after the warm-up
are the pass::

    python benchmarks/bench_soak.py            # 2,000 fits (about a minute)
    python benchmarks/bench_soak.py --quick    # 100 fits: CI's smoke test

The data has more rows than one block of the evaluation, so every fit runs the
worker threads of the evaluation (on a machine with several cores), which is what
would leave threads or scratch arrays behind.
"""

import argparse
import gc
import os
import sys
import threading
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sklearn_twolayer import TwoLayerSigmoidClassifier


def rss_bytes():
    """Resident set size now (Linux), else the peak RSS (``resource``)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # pragma: no cover - not Linux
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak * (1 if sys.platform == "darwin" else 1024)


def soak(n_fits, X, y, checkpoints, report=print):
    """Fit and predict ``n_fits`` times; return the measurements at checkpoints."""
    rows = []
    tracemalloc.start()
    try:
        for fit in range(1, n_fits + 1):
            clf = TwoLayerSigmoidClassifier(n_hidden=16, max_iter=15, random_state=fit)
            clf.fit(X, y).predict_proba(X)
            clf.predict(X)
            del clf
            if fit in checkpoints:
                gc.collect()
                row = {
                    "fits": fit,
                    "traced": tracemalloc.get_traced_memory()[0],
                    "rss": rss_bytes(),
                    "threads": threading.active_count(),
                }
                rows.append(row)
                report(
                    f"| {fit:6d} | {row['traced'] / 1024:12.1f} | "
                    f"{row['rss'] / 2**20:9.1f} | {row['threads']:7d} |"
                )
    finally:
        tracemalloc.stop()
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 fits (CI smoke)")
    parser.add_argument("--fits", type=int, default=2000)
    args = parser.parse_args(argv)
    n_fits = 100 if args.quick else args.fits
    X, y = make_classification(n_samples=3000, n_features=10, random_state=0)
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"sklearn-twolayer soak: {n_fits} fits + predictions, X {X.shape}")
    print("load average before:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    warm_up = max(1, n_fits // 10)
    checkpoints = sorted({warm_up, *np.linspace(warm_up, n_fits, 6, dtype=int)})
    print("| fits   | traced (KiB) | RSS (MiB) | threads |")
    print("|--------|--------------|-----------|---------|")
    start = time.perf_counter()
    rows = soak(n_fits, X, y, set(checkpoints))
    first, last = rows[0], rows[-1]
    per_fit = (last["traced"] - first["traced"]) / max(1, last["fits"] - first["fits"])
    print(
        f"after the warm-up ({first['fits']} fits): traced "
        f"{(last['traced'] - first['traced']) / 1024:+.1f} KiB "
        f"({per_fit:+.1f} bytes per fit), RSS "
        f"{(last['rss'] - first['rss']) / 2**20:+.1f} MiB, threads "
        f"{last['threads'] - first['threads']:+d}; "
        f"{time.perf_counter() - start:.1f} s"
    )
    print("load average after:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
