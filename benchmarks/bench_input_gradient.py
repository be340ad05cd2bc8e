"""input_gradient against a forward pass and against finite differences, side by side.

Prints, per target kind, the median time of ``decision_function`` (one forward pass),
of ``input_gradient`` (``output="logit"`` and ``"proba"``) and of the central
differences a user would otherwise compute (``2 · n_features`` calls of
``predict_proba``), as ratios to the forward pass, and the peak memory of
``input_gradient`` beyond its result (tracemalloc)::

    python benchmarks/bench_input_gradient.py            # the full run (a minute)
    python benchmarks/bench_input_gradient.py --quick    # tiny sizes: a smoke test

All contenders run in the same repeat loop, in an order that rotates from one repeat
to the next; on a busy machine the ratios stay meaningful when the times do not.
"""

import argparse
import os
import statistics
import time
import tracemalloc

import numpy as np

from sklearn_twolayer import TwoLayerSigmoidClassifier, _execution

FULL = dict(n=20_000, n_features=64, n_hidden=64, n_outputs=10, repeats=7)
QUICK = dict(n=500, n_features=8, n_hidden=8, n_outputs=3, repeats=2)


def _network(target, n_features, n_hidden, n_outputs, rng):
    clf = TwoLayerSigmoidClassifier(n_hidden=n_hidden)
    n_outputs = 1 if target == "binary" else n_outputs
    clf.W1_ = rng.normal(size=(n_hidden, n_features)) / np.sqrt(n_features)
    clf.b1_ = rng.normal(size=n_hidden)
    clf.W2_ = rng.normal(size=(n_outputs, n_hidden))
    clf.b2_ = rng.normal(size=n_outputs)
    clf.n_outputs_, clf.n_features_in_ = n_outputs, n_features
    clf.out_activation_ = "softmax" if target == "multiclass" else "logistic"
    clf.classes_ = np.arange(2 if target == "binary" else n_outputs)
    return clf


def _finite_differences(clf, X, step=1e-5):
    columns = []
    for j in range(X.shape[1]):
        X[:, j] += step
        forward = clf.predict_proba(X)
        X[:, j] -= 2 * step
        backward = clf.predict_proba(X)
        X[:, j] += step
        columns.append((forward - backward) / (2 * step))
    return np.stack(columns, axis=-1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (CI smoke)")
    sizes = QUICK if parser.parse_args(argv).quick else FULL
    n, d, m, k = (sizes[key] for key in ("n", "n_features", "n_hidden", "n_outputs"))
    print(
        f"n={n} n_features={d} n_hidden={m} n_outputs={k} (multi) cpus={os.cpu_count()}"
    )
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    print(
        f"{'target':>10} {'forward s':>10} {'logit':>7} {'proba':>7} {'fin.diff':>9}"
        f" {'extra MiB':>10} {'block MiB':>10}  loadavg"
    )
    for target in ("binary", "multiclass", "multilabel"):
        clf = _network(target, d, m, k, rng)
        contenders = {
            "forward": lambda: clf.decision_function(X),  # noqa: B023
            "logit": lambda: clf.input_gradient(X, output="logit"),  # noqa: B023
            "proba": lambda: clf.input_gradient(X, output="proba"),  # noqa: B023
            "fin.diff": lambda: _finite_differences(clf, X.copy()),  # noqa: B023
        }
        for contender in contenders.values():  # warm-up: first-call costs out
            contender()
        times = {name: [] for name in contenders}
        names = list(contenders)
        for repeat in range(sizes["repeats"]):
            for name in names[repeat % 4 :] + names[: repeat % 4]:
                start = time.perf_counter()
                contenders[name]()
                times[name].append(time.perf_counter() - start)
        median = {name: statistics.median(t) for name, t in times.items()}
        tracemalloc.start()
        result = clf.input_gradient(X, output="proba")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        extra = (peak - result.nbytes) / 2**20
        ratios = " ".join(
            f"{median[name] / median['forward']:{width}.1f}"
            for name, width in (("logit", 7), ("proba", 7), ("fin.diff", 9))
        )
        print(
            f"{target:>10} {median['forward']:10.4f} {ratios} {extra:10.2f}"
            f" {_execution.BLOCK_BYTES / 2**20:10.2f}  "
            + " ".join(f"{load:.1f}" for load in os.getloadavg())
        )


if __name__ == "__main__":
    main()
