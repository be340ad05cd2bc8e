"""Prediction latency: predict_proba, MLPClassifier's, and the exported ONNX graph.

One row and 1000 rows of the breast-cancer data, for

- ``ours``: ``TwoLayerSigmoidClassifier.predict_proba``;
- ``mlp``: ``MLPClassifier(activation="logistic").predict_proba``, same hidden width;
- ``onnx f32`` / ``onnx f64``: an onnxruntime session of the graph that
  ``sklearn_twolayer.onnx`` exports (``zipmap=False``), float and double.

Every contender is timed in the same rounds, in an order that rotates from round to
round; each figure is the median over all calls of the per-call time, so that a busy
machine shows in the spread, not in the ratios. The load average is printed before
and after::

    python benchmarks/bench_predict_latency.py           # the full run (about a minute)
    python benchmarks/bench_predict_latency.py --quick   # a smoke test for CI

Needs the ``onnx`` extra for the ONNX rows (they are left out without it).
"""

import argparse
import os
import platform
import statistics
import time
import warnings

import numpy as np
import sklearn
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier


def contenders(n_hidden):
    """{name: (predict function of one array, dtype of its input)}."""
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    # MLPClassifier's alpha, given: the same fit on both sides
    ours = TwoLayerSigmoidClassifier(n_hidden=n_hidden, alpha=1e-4, random_state=0)
    mlp = MLPClassifier(
        (n_hidden,), activation="logistic", solver="lbfgs", random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y)
        mlp.fit(X, y)
    found = {
        "ours": (ours.predict_proba, np.float64),
        "mlp": (mlp.predict_proba, np.float64),
    }
    try:
        import onnxruntime as ort
        from skl2onnx import to_onnx

        import sklearn_twolayer.onnx  # noqa: F401  (registers the converter)
    except ImportError:
        print("onnx extra not installed: no ONNX rows")
        return found, X
    for dtype, name in ((np.float32, "onnx f32"), (np.float64, "onnx f64")):
        onx = to_onnx(ours, X[:1].astype(dtype), options={"zipmap": False})
        session = ort.InferenceSession(
            onx.SerializeToString(), providers=["CPUExecutionProvider"]
        )

        def run(rows, session=session):
            return session.run(["probabilities"], {"X": rows})[0]

        found[name] = (run, dtype)
    return found, X


def median_latencies(found, rows, n_calls, n_rounds):
    """Median seconds per call of every contender, timed in rotating rounds.

    Also returns, per contender, the median over the rounds of its round median
    divided by ``ours``' in the same round: a ratio of times measured side by side,
    which the load of a shared machine disturbs less than the times themselves.
    """
    names = list(found)
    inputs = {name: rows.astype(found[name][1]) for name in names}
    times = {name: [] for name in names}
    round_medians = {name: [] for name in names}
    for name in names:  # warm up (first-call allocations, lazy imports)
        found[name][0](inputs[name])
    for round_ in range(n_rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            predict, X = found[name][0], inputs[name]
            this_round = []
            for _ in range(n_calls):
                start = time.perf_counter()
                predict(X)
                this_round.append(time.perf_counter() - start)
            times[name] += this_round
            round_medians[name].append(statistics.median(this_round))
    medians = {name: statistics.median(t) for name, t in times.items()}
    ratios = {
        name: statistics.median(
            m / o
            for m, o in zip(round_medians[name], round_medians["ours"], strict=True)
        )
        for name in names
    }
    return medians, ratios


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few calls: smoke test")
    parser.add_argument("--n-hidden", type=int, default=100)
    args = parser.parse_args()
    n_calls, n_rounds = (20, 2) if args.quick else (400, 10)

    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}; n_hidden={args.n_hidden}"
    )
    print(f"load average before: {os.getloadavg()}")
    found, X = contenders(args.n_hidden)
    rng = np.random.default_rng(0)
    sizes = {"1 row": X[:1], "1000 rows": X[rng.integers(0, len(X), 1000)]}
    results = {
        label: median_latencies(
            found, rows, n_calls if len(rows) == 1 else n_calls // 10, n_rounds
        )
        for label, rows in sizes.items()
    }
    print(f"load average after:  {os.getloadavg()}")
    print()
    header = " | ".join(f"{s:>12} | {'/ ours':>6}" for s in sizes)
    print(f"| {'predict_proba':<13} | {header} |")
    print(
        "|" + "-" * 15 + "|" + "|".join("-" * 14 + "|" + "-" * 8 for _ in sizes) + "|"
    )
    for name in found:
        cells = [
            f"{results[s][0][name] * 1e6:9.1f} µs | {results[s][1][name]:6.2f}"
            for s in sizes
        ]
        print(f"| {name:<13} | " + " | ".join(cells) + " |")
    ratio = 1 / results["1 row"][1]["mlp"]
    print(
        f"\none row, ours / mlp (median of per-round ratios): {ratio:.2f} "
        "(target: at most 1)"
    )


if __name__ == "__main__":
    main()
