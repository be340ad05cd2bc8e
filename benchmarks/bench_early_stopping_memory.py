"""Peak traced memory of a fit with and without early stopping, side by side.

Early stopping must hold its split as row indices, not as copies of ``X``: the peak
memory a fit traces (``tracemalloc``, which numpy reports its buffers to) beyond
what was allocated before it should be about the same with ``early_stopping=True``
as without it. The default problem is the issue's: a 10,000 x 2,000 float32 ``X``
(76 MB), 20 hidden units, 5 iterations; each figure is the median of ``--repeats``
runs::

    python benchmarks/bench_early_stopping_memory.py
    python benchmarks/bench_early_stopping_memory.py --quick   # 2,000 x 200, one run
"""

import argparse
import platform
import statistics
import tracemalloc
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info

from sklearn_twolayer import TwoLayerSigmoidClassifier


def peak_fit_bytes(X, y, **params):
    """Peak traced bytes of one fit, beyond what was traced before it."""
    clf = TwoLayerSigmoidClassifier(n_hidden=20, max_iter=5, random_state=0, **params)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small X, one run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    n, d, repeats = (2_000, 200, 1) if args.quick else (10_000, 2_000, args.repeats)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d), dtype=np.float32)
    y = (X[:, 0] + 0.5 * rng.standard_normal(n) > 0).astype(int)
    print(
        f"machine: {platform.machine()} {platform.processor()}, numpy {np.__version__}"
    )
    for pool in threadpool_info():
        print(f"  {pool['internal_api']}: {pool['num_threads']} threads")
    print(f"X: {n} x {d} float32 ({X.nbytes / 1e6:.1f} MB), median of {repeats}")
    runs = {False: [], True: []}
    for _ in range(repeats):  # side by side in each repeat
        for early_stopping in runs:
            runs[early_stopping].append(
                peak_fit_bytes(X, y, early_stopping=early_stopping)
            )
    print("| early_stopping | peak traced memory (MB) | / X |")
    print("|---|---|---|")
    for early_stopping, peaks in runs.items():
        peak = statistics.median(peaks)
        print(f"| {early_stopping} | {peak / 1e6:.1f} | {peak / X.nbytes:.2f} |")


if __name__ == "__main__":
    main()
