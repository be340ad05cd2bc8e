"""TwoLayerSigmoidClassifier against MLPClassifier and the BLAS limit, side by side.

Runs the comparisons of the performance issue on ``make_classification`` data and
prints one table of ratios, with the machine and its thread settings::

    python benchmarks/bench_fit.py            # the full run (a few minutes)
    python benchmarks/bench_fit.py --quick    # tiny sizes: a smoke test for CI

Every contender runs in the same repeat loop, in an order that rotates from one
repeat to the next, and each figure is the median over the repeats: on a busy
machine the ratios stay meaningful when the absolute times do not. The contenders:

- ``gemm``: the two matrix products an evaluation cannot avoid, ``X @ W1ᵀ`` and
  ``Gᵀ @ X`` (numpy; the faster of its default threads and one thread) — the
  hardware limit of one evaluation;
- ``ours``: ``TwoLayerSigmoidClassifier``;
- ``peer``: ``MLPClassifier(activation="logistic", solver="lbfgs")`` from the same
  random_state, so both follow the same L-BFGS path.

Evaluation counts come from counting calls of each model's objective function, so
"time per evaluation inside a fit" is the fit's wall time over that count.
"""

import argparse
import contextlib
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
import warnings

import numpy as np
import scipy
import sklearn
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._objective import Objective
from sklearn_twolayer.network import TwoLayerLoss

FULL = dict(n=100_000, n_large=1_000_000, n_features=100, n_hidden=64, max_iter=200)
QUICK = dict(n=2_000, n_large=6_000, n_features=20, n_hidden=8, max_iter=5)


@contextlib.contextmanager
def counting_calls(cls, name):
    """Count the calls of ``cls.name`` (the objective of a model) while inside."""
    original = getattr(cls, name)
    counter = {"calls": 0, "values": []}

    def counted(self, *args, **kwargs):
        counter["calls"] += 1
        value_and_gradient = original(self, *args, **kwargs)
        counter["values"].append(float(value_and_gradient[0]))
        return value_and_gradient

    setattr(cls, name, counted)
    try:
        yield counter
    finally:
        setattr(cls, name, original)


def seconds(function):
    """Wall time of one call, after a garbage collection (not timed)."""
    gc.collect()
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def ours(config, **settings):
    return TwoLayerSigmoidClassifier(
        n_hidden=config["n_hidden"],
        max_iter=config["max_iter"],
        random_state=0,
        **settings,
    )


def peer(config, **settings):
    return MLPClassifier(
        hidden_layer_sizes=(config["n_hidden"],),
        activation="logistic",
        solver="lbfgs",
        max_iter=config["max_iter"],
        random_state=0,
        **settings,
    )


def two_gemms(X, n_hidden, repeats=5):
    """Median time of ``X @ W1ᵀ`` plus ``Gᵀ @ X``, outputs preallocated.

    The smaller of two medians: with numpy's BLAS threads as they are, and with one
    thread. On a loaded machine multithreaded OpenBLAS can be far slower than one
    thread (its threads wait for each other); the limit is the faster of the two.
    """
    rng = np.random.default_rng(0)
    W1 = rng.normal(size=(n_hidden, X.shape[1])).astype(X.dtype)
    G = rng.normal(size=(X.shape[0], n_hidden)).astype(X.dtype)
    A1 = np.empty_like(G)
    grad_W1 = np.empty_like(W1)

    def both():
        np.matmul(X, W1.T, out=A1)
        np.matmul(G.T, X, out=grad_W1)

    both()
    default = statistics.median(seconds(both) for _ in range(repeats))
    with threadpool_limits(limits=1, user_api="blas"):
        single = statistics.median(seconds(both) for _ in range(repeats))
    return min(default, single)


def timed_fit(model, X, y, cls, objective_name):
    """(wall time, number of evaluations, objective values) of ``model.fit(X, y)``."""
    with counting_calls(cls, objective_name) as counter:
        wall = seconds(lambda: model.fit(X, y))
    return wall, counter["calls"], counter["values"]


def fit_comparison(config, repeats, X64, y):
    """Targets 1-3: fits of ours (float64, float32) and the peer, with the GEMMs."""
    X32 = X64.astype(np.float32)
    n_hidden = config["n_hidden"]
    contenders = {
        "gemm64": lambda: (two_gemms(X64, n_hidden), None, None),
        "gemm32": lambda: (two_gemms(X32, n_hidden), None, None),
        "ours64": lambda: fit_record(ours(config), X64, y, Objective, "loss_gradient"),
        "ours32": lambda: fit_record(ours(config), X32, y, Objective, "loss_gradient"),
        "peer64": lambda: fit_record(
            peer(config), X64, y, MLPClassifier, "_loss_grad_lbfgs"
        ),
    }
    records = {name: [] for name in contenders}
    names = list(contenders)
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            records[name].append(contenders[name]())
    return records


def fit_record(model, X, y, cls, objective_name):
    wall, calls, values = timed_fit(model, X, y, cls, objective_name)
    return wall, calls, model, np.array(values)


def first_departure(values, reference, rel=1e-6):
    """Index of the first evaluation whose objective differs from the reference's."""
    m = min(values.size, reference.size)
    apart = np.abs(values[:m] - reference[:m]) > rel * np.abs(reference[:m])
    return int(np.argmax(apart)) if apart.any() else m


def peak_memory_of_fit(model, X, y):
    """Peak bytes traced by tracemalloc during ``fit``, beyond what existed before."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    model.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - before


def fit_sees_X_uncopied(X, y, config):
    """Whether every evaluation of a short fit reads the caller's X in place."""
    shared = []
    original = TwoLayerLoss.data_loss_gradient

    def spy(self, theta, X_seen, *args, **kwargs):
        seen_data = X_seen.data if sparse.issparse(X_seen) else X_seen
        shared.append(np.shares_memory(seen_data, X.data if sparse.issparse(X) else X))
        return original(self, theta, X_seen, *args, **kwargs)

    TwoLayerLoss.data_loss_gradient = spy
    try:
        ours(dict(config, max_iter=2)).fit(X, y)
    finally:
        TwoLayerLoss.data_loss_gradient = original
    return bool(shared) and all(shared)


def evaluation_time(X, y, config, repeats):
    """Median time of one loss-and-gradient evaluation at the Glorot start."""
    model = ours(config)
    _, Y, weights, loss = model._training_problem(X, y, None)
    from sklearn_twolayer._classifier import _glorot_start

    theta = _glorot_start(loss.layout, np.random.RandomState(0)).astype(X.dtype)
    loss.loss_gradient(theta, X, Y, weights, model.alpha)
    return statistics.median(
        seconds(lambda: loss.loss_gradient(theta, X, Y, weights, model.alpha))
        for _ in range(repeats)
    )


def isolated_evaluation_ratio(X, y, config, repeats):
    """Median over calls of (one evaluation) / (the two GEMMs), alternated call by call.

    Pairs taken back to back see the same load, which the in-fit figure (a long fit
    against a short GEMM measurement) cannot promise on a busy machine.
    """
    model = ours(config)
    _, Y, weights, loss = model._training_problem(X, y, None)
    from sklearn_twolayer._classifier import _glorot_start

    theta = _glorot_start(loss.layout, np.random.RandomState(0)).astype(X.dtype)
    evaluation = lambda: loss.loss_gradient(theta, X, Y, weights, model.alpha)  # noqa: E731
    evaluation()
    pairs = [
        (seconds(evaluation), two_gemms(X, config["n_hidden"], 1))
        for _ in range(repeats)
    ]
    return statistics.median(a / b for a, b in pairs), pairs


def objective_at_solution(fitted, X, y):
    """Relative gap of the float32 and float64 objectives at the fit's final theta."""
    values = []
    for dtype in (np.float64, np.float32):
        problem = clone(fitted)._training_problem(X.astype(dtype), y, None)
        _, Y, weights, loss = problem
        theta = loss.layout.pack(fitted.W1_, fitted.b1_, fitted.W2_, fitted.b2_, dtype)
        values.append(loss.loss(theta, X.astype(dtype), Y, weights, fitted.alpha))
    return abs(values[1] - values[0]) / values[0]


def progress(stage):
    print(f"  ... {stage} ({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)


def median(values):
    return statistics.median(values)


def machine_report():
    lines = [
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}",
        f"{platform.machine()} {_cpu_name()}, os.cpu_count()={os.cpu_count()}, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]
    for lib in threadpool_info():
        lines.append(
            f"  {lib['user_api']:<7} {lib['internal_api']:<9} "
            f"{lib.get('version') or '':<14} threads={lib['num_threads']:<3} "
            f"{lib.get('architecture') or ''} {os.path.basename(lib['filepath'])}"
        )
    variables = {
        k: v
        for k, v in os.environ.items()
        if k.split("_")[0] in ("OPENBLAS", "OMP", "MKL")
    }
    lines.append(f"  thread variables: {variables or 'none set'}")
    return "\n".join(lines)


def _cpu_name():
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes (CI smoke test)"
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="repeats per contender"
    )
    parser.add_argument("--n", type=int, default=None, help="rows of the main data")
    parser.add_argument("--n-large", type=int, default=None, help="rows for scaling")
    args = parser.parse_args(argv)
    config = dict(QUICK if args.quick else FULL)
    repeats = args.repeats or (1 if args.quick else 3)
    if args.n:
        config["n"] = args.n
    if args.n_large:
        config["n_large"] = args.n_large
    warnings.simplefilter("ignore", ConvergenceWarning)
    n, n_large, d, h = (config[k] for k in ("n", "n_large", "n_features", "n_hidden"))
    started = time.perf_counter()

    print("sklearn-twolayer benchmark:", " ".join(sys.argv[1:]) or "(full)")
    print(machine_report())
    print(
        f"data: make_classification(n_samples, n_features={d}, random_state=0), "
        f"n_hidden={h}, max_iter={config['max_iter']}, alpha=1e-4, tol=1e-4, "
        f"random_state=0; medians of {repeats} repeat(s), contenders alternated"
    )

    X64, y = make_classification(n_samples=n, n_features=d, random_state=0)
    rows = []

    # Targets 1-3: one repeat loop for all fits and the GEMM references.
    progress("fits")
    records = fit_comparison(config, repeats, X64, y)
    gemm = {dtype: median(r[0] for r in records[f"gemm{dtype}"]) for dtype in (64, 32)}
    fit_time = {name: median(r[0] for r in records[name]) for name in records}
    per_eval = {
        name: median(r[0] / r[1] for r in records[name])
        for name in ("ours64", "ours32", "peer64")
    }
    model = {name: records[name][-1][2] for name in ("ours64", "ours32", "peer64")}
    evals = {name: records[name][-1][1] for name in ("ours64", "ours32", "peer64")}
    for dtype in (64, 32):
        rows.append(
            (
                f"1. evaluation in fit / two GEMMs, float{dtype}",
                f"{per_eval[f'ours{dtype}'] * 1e3:.1f} ms / {gemm[dtype] * 1e3:.1f} ms",
                per_eval[f"ours{dtype}"] / gemm[dtype],
                "<= 1.3",
                per_eval[f"ours{dtype}"] / gemm[dtype] <= 1.3,
            )
        )
    rows.append(
        (
            "   peer's evaluation in fit / two GEMMs, float64",
            f"{per_eval['peer64'] * 1e3:.1f} ms / {gemm[64] * 1e3:.1f} ms",
            per_eval["peer64"] / gemm[64],
            "(reference)",
            None,
        )
    )
    for dtype, X in ((64, X64), (32, X64.astype(np.float32))):
        ratio, pairs = isolated_evaluation_ratio(X, y, config, 3 * repeats)
        rows.append(
            (
                f"1. evaluation alone / two GEMMs, paired calls, float{dtype}",
                f"{median(a for a, _ in pairs) * 1e3:.1f} ms / "
                f"{median(b for _, b in pairs) * 1e3:.1f} ms",
                ratio,
                "<= 1.3",
                ratio <= 1.3,
            )
        )
    ratio = fit_time["ours64"] / fit_time["peer64"]
    rows.append(
        (
            "2. fit time ours / peer, float64",
            f"{fit_time['ours64']:.2f} s / {fit_time['peer64']:.2f} s "
            f"({evals['ours64']} / {evals['peer64']} evals, "
            f"{model['ours64'].n_iter_} / {model['peer64'].n_iter_} iters)",
            ratio,
            "<= 0.333",
            ratio <= 1 / 3,
        )
    )
    gap = abs(model["ours64"].loss_ - model["peer64"].loss_) / model["peer64"].loss_
    rows.append(
        (
            "   final objective |ours - peer| / peer",
            f"{model['ours64'].loss_:.10g} vs {model['peer64'].loss_:.10g}",
            gap,
            "<= 1e-6",
            gap <= 1e-6,
        )
    )
    values = {name: records[name][-1][3] for name in ("ours64", "ours32", "peer64")}
    rows.append(
        (
            "   evaluations before ours and peer part by > 1e-6 rel.",
            f"{first_departure(values['ours64'], values['peer64'])} of "
            f"{values['peer64'].size} (the same L-BFGS path until then)",
            None,
            "(reference)",
            None,
        )
    )
    ratio = fit_time["ours32"] / fit_time["ours64"]
    rows.append(
        (
            "3. fit time float32 / float64 (ours)",
            f"{fit_time['ours32']:.2f} s / {fit_time['ours64']:.2f} s "
            f"(W1_ {model['ours32'].W1_.dtype})",
            ratio,
            "<= 0.6",
            ratio <= 0.6 and model["ours32"].W1_.dtype == np.float32,
        )
    )
    gap = abs(model["ours32"].loss_ - model["ours64"].loss_) / model["ours64"].loss_
    rows.append(
        (
            "   final objective |float32 - float64| / float64",
            f"{model['ours32'].loss_:.8g} vs {model['ours64'].loss_:.8g}",
            gap,
            "<= 1e-4",
            gap <= 1e-4,
        )
    )

    point = objective_at_solution(model["ours64"], X64, y)
    rows.append(
        (
            "   same point (float64 fit's end): |J32 - J64| / J64",
            "the float32 evaluation's own error",
            point,
            "(reference)",
            None,
        )
    )
    progress("memory")

    # Target 4: memory beyond X during fit, and X read in place.
    short = dict(config, max_iter=min(config["max_iter"], 10))
    for X in (X64, X64.astype(np.float32)):
        limit = 1.1 * n * h * X.itemsize
        peak = peak_memory_of_fit(ours(short), X, y)
        peer_peak = peak_memory_of_fit(peer(short), X, y)
        rows.append(
            (
                f"4. peak memory beyond X in fit / (n·h·itemsize), {X.dtype}",
                f"{peak / 2**20:.1f} MiB (peer {peer_peak / 2**20:.1f} MiB, "
                f"{peer_peak / (n * h * X.itemsize):.2f})",
                peak / (n * h * X.itemsize),
                "<= 1.1",
                peak <= limit,
            )
        )
    forms = {
        "C float64": X64,
        "F float64": np.asfortranarray(X64),
        "C float32": X64.astype(np.float32),
        "CSR float64": sparse.csr_matrix(X64[: min(n, 20_000)]),
    }
    for form, X in forms.items():
        in_place = fit_sees_X_uncopied(X, y[: X.shape[0]], short)
        rows.append(
            (f"   X read in place by fit, {form}", "", None, "no copy", in_place)
        )

    # Target 5: linear growth in n; target 6: predict_proba on n_large rows.
    progress("scaling and predict_proba")
    X_large, y_large = make_classification(
        n_samples=n_large, n_features=d, random_state=0
    )
    per_sample = {}
    predict = {"ours": [], "peer": []}
    fitted_ours, fitted_peer = model["ours64"], model["peer64"]
    for repeat in range(repeats):
        for size, X, yy in ((n, X64, y), (n_large, X_large, y_large))[
            :: 1 - 2 * (repeat % 2)
        ]:
            per_sample.setdefault(size, []).append(
                evaluation_time(X, yy, config, 3) / size
            )
        order = [("ours", fitted_ours), ("peer", fitted_peer)][:: 1 - 2 * (repeat % 2)]
        for name, fitted in order:
            predict[name].append(seconds(lambda f=fitted: f.predict_proba(X_large)))
    growth = median(per_sample[n_large]) / median(per_sample[n])
    rows.append(
        (
            f"5. time per sample, n={n_large:.0e} / n={n:.0e}",
            f"{median(per_sample[n_large]) * 1e9:.0f} ns / "
            f"{median(per_sample[n]) * 1e9:.0f} ns per row per evaluation",
            growth,
            "<= 1.2",
            growth <= 1.2,
        )
    )
    speedup = median(predict["peer"]) / median(predict["ours"])
    rows.append(
        (
            f"6. predict_proba on {n_large:.0e} rows, peer / ours",
            f"{median(predict['peer']) * 1e3:.0f} ms / "
            f"{median(predict['ours']) * 1e3:.0f} ms",
            speedup,
            ">= 2",
            speedup >= 2,
        )
    )

    print()
    header = f"{'target':<58} | {'measured':<54} | {'ratio':>8} | {'goal':<11} | met"
    print(f"| {header} |")
    print(f"|{'-' * 60}|{'-' * 56}|{'-' * 10}|{'-' * 13}|-----|")
    for target, measured, value, goal, met in rows:
        shown = "" if value is None else f"{value:.3g}"
        verdict = "" if met is None else ("yes" if met else "NO")
        cells = (
            f"{target:<58} | {measured:<54} | {shown:>8} | {goal:<11} | {verdict:<3}"
        )
        print(f"| {cells} |")
    print(
        f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"total {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
