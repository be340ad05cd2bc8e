"""Fit and predict_proba at every size: default threads against one thread, and
against MLPClassifier.

For ``make_classification(n, 30)`` and ``n_hidden=100`` (MLPClassifier's
parameters given to both models: ``alpha=1e-4``, ``tol=1e-4``, L-BFGS), from one row
to a million, four contenders:

- ``ours``: ``TwoLayerSigmoidClassifier`` with nothing set (its default threads);
- ``ours 1t``: the same inside ``threadpool_limits(1)``;
- ``mlp`` / ``mlp 1t``: ``MLPClassifier(activation="logistic", solver="lbfgs")``,
  likewise.

Every figure is a median over rounds in which the four run one after the other, in
an order that rotates from round to round; each ratio is the median of the ratios
measured within a round, so a busy machine shows in the spread, not in the ratios.
The goals, from the project's issue "Fast at every size": ``ours / ours 1t`` at
most 1.05 (the default threads never lose), ``ours / mlp`` and
``ours 1t / mlp 1t`` at most 1 (ahead of the peer at the same thread settings).
A third table takes a few other widths and hidden sizes, ours only. The machine's
lines (``np.show_runtime()``, threadpoolctl) are printed first::

    python benchmarks/bench_sizes.py                  # the full run (about 15 minutes)
    python benchmarks/bench_sizes.py --quick          # a smoke test for CI
    python benchmarks/bench_sizes.py --json out.json  # also the figures, as JSON
    python benchmarks/bench_sizes.py --plot fig.png --from-json out.json  # the figure

The fits take ``max_iter=100`` L-BFGS iterations at most (20 from 10^5 rows, 5 at
10^6, so that the run ends: a ratio of fits of the same iterations is what is
compared); predictions use models fitted on 1,000 rows, whose cost does not depend
on the weights.
"""

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
import warnings

from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_fit import machine_report

from sklearn_twolayer import TwoLayerSigmoidClassifier

N_FEATURES, N_HIDDEN = 30, 100
PREDICT_ROWS = [1, 10, 100, 300, 600, 1_000, 2_000, 4_000, 10_000, 100_000, 1_000_000]
FIT_ROWS = [10, 30, 100, 300, 1_000, 2_000, 5_000, 10_000, 20_000, 100_000, 1_000_000]
# (n_features, n_hidden) beside the main table's (30, 100), ours only
SHAPES = [(10, 16), (10, 256), (200, 16), (200, 256)]
SHAPE_ROWS = [300, 1_000, 4_000, 20_000]
QUICK = dict(
    predict=[1, 1_000, 4_000], fit=[100, 2_000], shapes=[(10, 16)], rows=[1_000]
)
CONTENDERS = ["ours", "ours 1t", "mlp", "mlp 1t"]
RATIOS = {  # name: (numerator, denominator, goal)
    "ours / ours 1t": ("ours", "ours 1t", 1.05),
    "ours / mlp": ("ours", "mlp", 1.0),
    "ours 1t / mlp 1t": ("ours 1t", "mlp 1t", 1.0),
}


def max_iter_for(n):
    return 100 if n < 100_000 else 20 if n < 1_000_000 else 5


def ours(**params):
    return TwoLayerSigmoidClassifier(
        n_hidden=N_HIDDEN, alpha=1e-4, tol=1e-4, random_state=0, **params
    )


def mlp(**params):
    return MLPClassifier(
        (N_HIDDEN,),
        activation="logistic",
        solver="lbfgs",
        alpha=1e-4,
        tol=1e-4,
        random_state=0,
        **params,
    )


class one_thread:
    """A contender timed inside ``threadpool_limits(1)``, entered outside the timer
    (entering costs milliseconds, more than a small prediction)."""

    def __init__(self, function):
        self.function = function

    def __call__(self):
        return self.function()


def _limits(function):
    if isinstance(function, one_thread):
        return threadpool_limits(limits=1)
    return contextlib.nullcontext()


def data(n, n_features=N_FEATURES):
    # make_classification needs two rows per class and cluster at least
    X, y = make_classification(
        max(n, 8), n_features, n_informative=min(n_features, 5), random_state=0
    )
    return X[:n], y[:n]


def calls_per_timing(function, at_least=0.02):
    """How many calls take about ``at_least`` seconds (one call when longer)."""
    with _limits(function):
        start = time.perf_counter()
        function()
        elapsed = time.perf_counter() - start
    return max(1, min(10_000, int(at_least / max(elapsed, 1e-7))))


def rounds(functions, n_rounds, calls=None):
    """Seconds per call of each function, by round, the order rotating by round."""
    names = list(functions)
    calls = calls or {name: calls_per_timing(functions[name]) for name in names}
    times = {name: [] for name in names}
    for name in names:  # a round not counted: first calls, caches, thread starts
        with _limits(functions[name]):
            functions[name]()
    for round_ in range(n_rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            with _limits(functions[name]):
                start = time.perf_counter()
                for _ in range(calls[name]):
                    functions[name]()
                times[name].append((time.perf_counter() - start) / calls[name])
    return times


def summary(times):
    """Medians of the times and of the within-round ratios."""
    row = {name: statistics.median(values) for name, values in times.items()}
    for ratio, (top, bottom, _) in RATIOS.items():
        if top in times and bottom in times:
            row[ratio] = statistics.median(
                a / b for a, b in zip(times[top], times[bottom], strict=True)
            )
    return row


def predict_table(sizes, n_rounds):
    X_fit, y_fit = data(1_000)
    models = {"ours": ours(max_iter=20), "mlp": mlp(max_iter=20)}
    for model in models.values():
        model.fit(X_fit, y_fit)
    ours_, mlp_ = models["ours"].predict_proba, models["mlp"].predict_proba
    table = {}
    for n in sizes:
        X = data(n)[0]
        functions = {
            "ours": lambda X=X: ours_(X),
            "ours 1t": one_thread(lambda X=X: ours_(X)),
            "mlp": lambda X=X: mlp_(X),
            "mlp 1t": one_thread(lambda X=X: mlp_(X)),
        }
        table[n] = summary(rounds(functions, n_rounds if n < 10**6 else 3))
        _progress("predict_proba", n, table[n])
    return table


def fit_table(sizes, n_rounds):
    table = {}
    for n in sizes:
        X, y = data(n)
        max_iter = max_iter_for(n)

        def fitter(make, X=X, y=y, max_iter=max_iter):
            return lambda: make(max_iter=max_iter).fit(X, y)

        functions = {
            "ours": fitter(ours),
            "ours 1t": one_thread(fitter(ours)),
            "mlp": fitter(mlp),
            "mlp 1t": one_thread(fitter(mlp)),
        }
        repeats = n_rounds if n < 100_000 else 3
        once = dict.fromkeys(functions, 1)
        table[n] = summary(rounds(functions, repeats, calls=once))
        table[n]["max_iter"] = max_iter
        _progress("fit", n, table[n])
    return table


def shapes_table(shapes, sizes, n_rounds):
    """ours / ours 1t for other widths and hidden sizes: fit and predict_proba."""
    table = []
    for n_features, n_hidden in shapes:
        for n in sizes:
            X, y = data(n, n_features)
            model = TwoLayerSigmoidClassifier(
                n_hidden=n_hidden, alpha=1e-4, max_iter=20
            )
            model.fit(X, y)

            def fit(model=model, X=X, y=y):
                return TwoLayerSigmoidClassifier(**model.get_params()).fit(X, y)

            predict = {
                "ours": lambda model=model, X=X: model.predict_proba(X),
                "ours 1t": one_thread(lambda model=model, X=X: model.predict_proba(X)),
            }
            fits = {"ours": fit, "ours 1t": one_thread(fit)}
            row = {
                "n_features": n_features,
                "n_hidden": n_hidden,
                "rows": n,
                "predict": summary(rounds(predict, n_rounds)),
                "fit": summary(rounds(fits, n_rounds, calls=dict.fromkeys(fits, 1))),
            }
            table.append(row)
            print(
                f"  ... {n_features} x {n_hidden}, {n} rows: predict "
                f"{row['predict']['ours / ours 1t']:.2f}, fit "
                f"{row['fit']['ours / ours 1t']:.2f}",
                file=sys.stderr,
            )
    return table


def _progress(what, n, row):
    print(
        f"  ... {what} {n} rows: "
        + ", ".join(f"{k} {v:.3g}" for k, v in row.items() if k in RATIOS),
        file=sys.stderr,
    )


def _time(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def print_table(title, table):
    names = [*CONTENDERS, *RATIOS]
    print(f"\n{title}")
    print("| rows | " + " | ".join(names) + " |")
    print("|---:" * (len(names) + 1) + "|")
    for n, row in table.items():
        cells = [_time(row[name]) for name in CONTENDERS]
        for ratio, (_, _, goal) in RATIOS.items():
            mark = "" if row[ratio] <= goal else " **over**"
            cells.append(f"{row[ratio]:.2f}{mark}")
        print(f"| {n:,} | " + " | ".join(cells) + " |")


def print_shapes(table):
    print("\nours / ours 1t at other shapes (fit: max_iter=20)")
    print("| n_features | n_hidden | rows | predict_proba | fit |")
    print("|---:|---:|---:|---:|---:|")
    for row in table:
        p, f = row["predict"]["ours / ours 1t"], row["fit"]["ours / ours 1t"]
        print(
            f"| {row['n_features']} | {row['n_hidden']} | {row['rows']:,} | "
            f"{p:.2f}{'' if p <= 1.05 else ' **over**'} | "
            f"{f:.2f}{'' if f <= 1.05 else ' **over**'} |"
        )


def crossover(table):
    """The smallest size from which the default threads are faster than one
    thread at every larger size measured (None when they never are)."""
    found = None
    for n in sorted(table, reverse=True):
        if table[n]["ours / ours 1t"] < 0.95:
            found = n
        else:
            break
    return found


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    styles = {
        "ours": ("C0", "-"),
        "ours 1t": ("C0", "--"),
        "mlp": ("C1", "-"),
        "mlp 1t": ("C1", "--"),
    }
    for axis, (what, label) in zip(
        axes, [("predict", "predict_proba"), ("fit", "fit")], strict=True
    ):
        table = {int(n): row for n, row in results[what].items()}
        sizes = sorted(table)
        for name, (color, line) in styles.items():
            axis.loglog(
                sizes,
                [table[n][name] for n in sizes],
                color=color,
                linestyle=line,
                marker="o",
                markersize=3,
                label=name.replace("1t", "(one thread)"),
            )
        axis.set_xlabel("rows")
        axis.set_ylabel("seconds per call")
        axis.set_title(label)
        axis.grid(True, which="major", alpha=0.3)
    axes[0].legend()
    figure.suptitle(results.get("machine_line", ""), fontsize=8)
    figure.savefig(path, dpi=110)
    print(f"wrote {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few sizes (CI)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (>= 5)")
    parser.add_argument("--json", help="write the figures to this JSON file")
    parser.add_argument("--plot", help="draw the figure (time against rows) here")
    parser.add_argument("--from-json", help="plot this JSON file, measure nothing")
    parser.add_argument(
        "--only", choices=["predict", "fit", "shapes"], nargs="+", help="parts to run"
    )
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json) as file:
            plot(json.load(file), args.plot)
        return
    warnings.simplefilter("ignore", ConvergenceWarning)
    parts = args.only or ["predict", "fit", "shapes"]
    n_rounds = 3 if args.quick else args.rounds
    started = time.perf_counter()
    machine = machine_report()
    print("sklearn-twolayer bench_sizes:", " ".join(sys.argv[1:]) or "(full)")
    print(machine)
    print(
        f"data: make_classification(n, {N_FEATURES}), n_hidden={N_HIDDEN}, "
        f"alpha=1e-4, tol=1e-4, random_state=0; medians of {n_rounds} rounds"
    )
    results = {"machine": machine, "machine_line": machine.splitlines()[1]}
    if "predict" in parts:
        sizes = QUICK["predict"] if args.quick else PREDICT_ROWS
        results["predict"] = predict_table(sizes, n_rounds)
        print_table("predict_proba, seconds per call", results["predict"])
        print(f"default threads faster from: {crossover(results['predict'])} rows")
    if "fit" in parts:
        sizes = QUICK["fit"] if args.quick else FIT_ROWS
        results["fit"] = fit_table(sizes, n_rounds)
        print_table(
            "fit, seconds (max_iter 100; 20 from 10^5 rows, 5 at 10^6)",
            results["fit"],
        )
        print(f"default threads faster from: {crossover(results['fit'])} rows")
    if "shapes" in parts:
        shapes, rows = (
            (QUICK["shapes"], QUICK["rows"]) if args.quick else (SHAPES, SHAPE_ROWS)
        )
        results["shapes"] = shapes_table(shapes, rows, n_rounds)
        print_shapes(results["shapes"])
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average after: {load}; total {time.perf_counter() - started:.0f} s")
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=1)
    if args.plot and "predict" in results and "fit" in results:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
