"""TwoLayerSigmoidClassifier against its peers and the BLAS limit, at 1 and 2 threads.

Prints the machine (``np.show_runtime()``: NumPy's SIMD level and its BLAS with the
kernel it picked; threadpoolctl's view; the thread variables), then one table per
thread count::

    python benchmarks/bench_fit.py            # the full run (several minutes)
    python benchmarks/bench_fit.py --quick    # tiny sizes: a smoke test for CI
    python benchmarks/bench_fit.py --json fit.json --plot docs/_static/evaluation.png
    python benchmarks/bench_fit.py --from-json fit.json --plot fig.png  # no timing

Every contender runs in the same repeat loop, in an order that rotates from one
repeat to the next, and each figure is the median over the repeats: on a busy
machine the ratios stay meaningful when the absolute times do not. The contenders:

- ``gemm``: the two matrix products an evaluation cannot avoid, ``X @ W1ᵀ`` and
  ``Gᵀ @ X``: the limit of one evaluation;
- ``ours``: ``TwoLayerSigmoidClassifier`` (L-BFGS), float64 and float32, and the
  float64 fit on torch CPU tensors under scikit-learn's array API dispatch;
- ``MLPClassifier(activation="logistic", solver="lbfgs")`` from the same
  random_state, so both follow the same L-BFGS path, float64 and float32;
- ``torch``: one loss-and-gradient evaluation of the same network by torch's
  autograd, float64 and float32.

A thread count ``t`` is set for everything at once: BLAS and OpenMP through
``threadpool_limits(t)`` (which also sets how many worker threads our evaluation
starts) and ``torch.set_num_threads(t)``. "Per evaluation" inside a fit is the fit's
wall time over its number of objective evaluations, counted by wrapping each model's
objective function.

The last table is trust-ncg's Hessian-vector product against a gradient evaluation
(time, peak traced memory, and the float32 loss's error) on the issue's problem: the
products after the first at a point (which read the forward pass the first kept),
the first, and a product where the forward pass is not kept (``working_memory`` too
small); its times are medians of five times the repeats, alternating them.
"""

import os

# scikit-learn's array API dispatch needs SciPy's array API mode, read at its import.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import argparse
import contextlib
import gc
import io
import json
import platform
import statistics
import sys
import time
import tracemalloc
import warnings

import numpy as np
import scipy
import sklearn
from sklearn import config_context
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._objective import Objective
from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss

FULL = dict(n=50_000, n_features=100, n_hidden=64, max_iter=40, repeats=5)
QUICK = dict(n=2_000, n_features=20, n_hidden=8, max_iter=3, repeats=1)
# The trust-ncg figures of the issue: n = 20,000, d = 20, 32 hidden units.
HESSIAN = dict(n=20_000, n_features=20, n_hidden=32)
HESSIAN_QUICK = dict(n=2_000, n_features=10, n_hidden=8)


def _torch():
    try:
        import torch
    except ImportError:  # torch is optional: its rows are left out
        return None
    return torch


@contextlib.contextmanager
def counting_calls(cls, name):
    """Count the calls of ``cls.name`` (the objective of a model) while inside."""
    original = getattr(cls, name)
    counter = {"calls": 0}

    def counted(self, *args, **kwargs):
        counter["calls"] += 1
        return original(self, *args, **kwargs)

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


def ours(config):
    # alpha=1e-4 is MLPClassifier's default (ours is 2.0): the same L-BFGS path
    return TwoLayerSigmoidClassifier(
        n_hidden=config["n_hidden"],
        alpha=1e-4,
        max_iter=config["max_iter"],
        random_state=0,
    )


def peer(config):
    return MLPClassifier(
        hidden_layer_sizes=(config["n_hidden"],),
        activation="logistic",
        solver="lbfgs",
        max_iter=config["max_iter"],
        random_state=0,
    )


def fit_per_evaluation(model, X, y, cls, objective_name):
    """(fit wall time, time per objective evaluation) of ``model.fit(X, y)``."""
    with counting_calls(cls, objective_name) as counter:
        wall = seconds(lambda: model.fit(X, y))
    return wall, wall / max(1, counter["calls"])


def two_gemms(X, n_hidden):
    """Time of ``X @ W1ᵀ`` plus ``Gᵀ @ X``, outputs preallocated (median of 3)."""
    rng = np.random.default_rng(0)
    W1 = rng.normal(size=(n_hidden, X.shape[1])).astype(X.dtype)
    G = rng.normal(size=(X.shape[0], n_hidden)).astype(X.dtype)
    A1, grad_W1 = np.empty_like(G), np.empty_like(W1)

    def both():
        np.matmul(X, W1.T, out=A1)
        np.matmul(G.T, X, out=grad_W1)

    both()
    return statistics.median(seconds(both) for _ in range(3))


def torch_evaluation(torch, X, y, n_hidden, dtype):
    """Time of one loss-and-gradient evaluation of the same network by autograd.

    The objective is ours (binary cross-entropy from the logits, the L2 term,
    divided by n); the parameters start from the same Glorot draw.
    """
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    Xt = torch.from_numpy(X.astype(dtype))
    yt = torch.from_numpy(y.astype(dtype)).reshape(-1, 1)
    rng = np.random.RandomState(0)
    d = X.shape[1]
    weights = []
    for fan_in, fan_out in ((d, n_hidden), (n_hidden, 1)):
        bound = np.sqrt(2.0 / (fan_in + fan_out))
        weights += [
            rng.uniform(-bound, bound, (fan_out, fan_in)),
            rng.uniform(-bound, bound, fan_out),
        ]
    W1, b1, W2, b2 = (
        torch.tensor(w, dtype=tdtype, requires_grad=True) for w in weights
    )
    alpha, n = 1e-4, X.shape[0]

    def evaluate():
        for w in (W1, b1, W2, b2):
            w.grad = None
        a2 = torch.sigmoid(Xt @ W1.T + b1) @ W2.T + b2
        data = torch.nn.functional.binary_cross_entropy_with_logits(
            a2, yt, reduction="sum"
        )
        loss = (data + 0.5 * alpha * ((W1 * W1).sum() + (W2 * W2).sum())) / n
        loss.backward()
        return loss.detach()

    evaluate()
    return statistics.median(seconds(evaluate) for _ in range(3))


def torch_fit(torch, config, X, y):
    """(fit wall time, time per evaluation) of ours on torch CPU tensors (dispatch)."""
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    with sklearn.config_context(array_api_dispatch=True):
        return fit_per_evaluation(ours(config), Xt, yt, Objective, "loss_gradient")


def comparison(config, X64, y, threads, torch):
    """Every contender in one rotating repeat loop, at ``threads`` threads."""
    X32 = X64.astype(np.float32)
    h = config["n_hidden"]
    contenders = {
        "gemm64": lambda: (two_gemms(X64, h),) * 2,
        "gemm32": lambda: (two_gemms(X32, h),) * 2,
        "ours64": lambda: fit_per_evaluation(
            ours(config), X64, y, Objective, "loss_gradient"
        ),
        "ours32": lambda: fit_per_evaluation(
            ours(config), X32, y, Objective, "loss_gradient"
        ),
        "mlp64": lambda: fit_per_evaluation(
            peer(config), X64, y, MLPClassifier, "_loss_grad_lbfgs"
        ),
        "mlp32": lambda: fit_per_evaluation(
            peer(config), X32, y, MLPClassifier, "_loss_grad_lbfgs"
        ),
    }
    if torch is not None:
        contenders["torch64"] = lambda: (
            (torch_evaluation(torch, X64, y, h, np.float64),) * 2
        )
        contenders["torch32"] = lambda: (
            (torch_evaluation(torch, X32, y, h, np.float32),) * 2
        )
        contenders["ours64_on_torch"] = lambda: torch_fit(torch, config, X64, y)
    records = {name: [] for name in contenders}
    names = list(contenders)
    previous = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=threads):
        if torch is not None:
            torch.set_num_threads(threads)
        try:
            for repeat in range(config["repeats"]):
                shift = repeat % len(names)
                for name in names[shift:] + names[:shift]:
                    records[name].append(contenders[name]())
        finally:
            if torch is not None:
                torch.set_num_threads(previous)
    fit = {name: statistics.median(r[0] for r in rec) for name, rec in records.items()}
    per_eval = {
        name: statistics.median(r[1] for r in rec) for name, rec in records.items()
    }
    return fit, per_eval


def print_comparison(threads, fit, per_eval):
    print(f"\n### {threads} thread(s)\n")
    print(f"| {'measure':<54} | {'times':<28} | {'ratio':>6} | {'goal':<7} |")
    print(f"|{'-' * 56}|{'-' * 30}|{'-' * 8}|{'-' * 9}|")

    def row(measure, times, ratio, goal=""):
        print(f"| {measure:<54} | {times:<28} | {ratio:>6.2f} | {goal:<7} |")

    def ms(name):
        return f"{per_eval[name] * 1e3:.1f} ms"

    for dtype, goal in ((64, "<= 1.5"), (32, "<= 1.3")):
        gemm = f"gemm{dtype}"
        row(
            f"ours, evaluation in fit / the two GEMMs, float{dtype}",
            f"{ms(f'ours{dtype}')} / {ms(gemm)}",
            per_eval[f"ours{dtype}"] / per_eval[gemm],
            goal if threads == 1 else "",
        )
    for dtype in (64, 32):
        row(
            f"MLPClassifier, evaluation in fit / two GEMMs, float{dtype}",
            f"{ms(f'mlp{dtype}')} / {ms(f'gemm{dtype}')}",
            per_eval[f"mlp{dtype}"] / per_eval[f"gemm{dtype}"],
        )
    if "torch64" in per_eval:
        for dtype in (64, 32):
            row(
                f"torch autograd evaluation / two GEMMs, float{dtype}",
                f"{ms(f'torch{dtype}')} / {ms(f'gemm{dtype}')}",
                per_eval[f"torch{dtype}"] / per_eval[f"gemm{dtype}"],
            )
        row(
            "ours float32 evaluation / torch's, float32",
            f"{ms('ours32')} / {ms('torch32')}",
            per_eval["ours32"] / per_eval["torch32"],
            "<= 1" if threads == 1 else "",
        )
    row(
        "fit time ours / MLPClassifier, float64",
        f"{fit['ours64']:.2f} s / {fit['mlp64']:.2f} s",
        fit["ours64"] / fit["mlp64"],
        "<= 0.75" if threads == 1 else "<= 0.5",
    )
    if "ours64_on_torch" in fit:
        row(
            "fit on torch CPU tensors / on NumPy, per evaluation",
            f"{ms('ours64_on_torch')} / {ms('ours64')}",
            per_eval["ours64_on_torch"] / per_eval["ours64"],
            "<= 1.3",
        )


def traced_peak(function):
    """Peak bytes traced by tracemalloc during ``function()``, beyond before."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - before


def hessian_comparison(sizes, repeats):
    """trust-ncg's product against a gradient evaluation: time, memory, accuracy."""
    n, d, h = sizes["n"], sizes["n_features"], sizes["n_hidden"]
    X, y = make_classification(n_samples=n, n_features=d, random_state=0)
    Y = y.reshape(-1, 1).astype(np.float64)
    loss = TwoLayerLoss(ParameterLayout(d, h, 1), "sigmoid")
    rng = np.random.default_rng(0)
    theta = rng.normal(scale=0.3, size=loss.layout.size)
    v = rng.normal(size=loss.layout.size)

    def products_at(theta):
        return loss.gradient_hessian_product(theta, X, Y, None, 1e-4)[2]

    hessp = products_at(theta)
    hessp(v)  # keeps the forward pass at theta for the next products
    with config_context(working_memory=0.01):  # too small to keep it
        recomputing = products_at(theta)
    gradient_times, product_times, first_times, recomputed_times = [], [], [], []
    for _ in range(repeats):
        gradient_times.append(seconds(lambda: loss.loss_gradient(theta, X, Y)))
        product_times.append(seconds(lambda: hessp(v)))
        fresh = products_at(theta)
        first_times.append(seconds(lambda: fresh(v)))  # noqa: B023 (called here)
        recomputed_times.append(seconds(lambda: recomputing(v)))
    # Peaks with one worker: with two, whether the second worker allocates its
    # scratch before the first has finished every group and freed its own is up to
    # the scheduler (one run of 2026-12-03 measured a gradient at 1.14 MiB, one
    # worker's, against 2.24 MiB in the others), so the ratio was a race.
    with threadpool_limits(limits=1):
        gradient_peak = traced_peak(lambda: loss.loss_gradient(theta, X, Y))
        product_peak = traced_peak(lambda: hessp(v))
        fresh = products_at(theta)
        first_peak = traced_peak(lambda: fresh(v))
    exact = loss.loss_gradient(theta, X, Y)[0]
    X32, Y32, theta32 = (a.astype(np.float32) for a in (X, Y, theta))
    gradient_error = abs(loss.loss_gradient(theta32, X32, Y32)[0] - exact) / exact
    hessian_error = (
        abs(loss.gradient_hessian_product(theta32, X32, Y32)[0] - exact) / exact
    )
    gradient_time = statistics.median(gradient_times)
    product_time = statistics.median(product_times)
    first_time = statistics.median(first_times)
    recomputed_time = statistics.median(recomputed_times)
    print(f"\n### trust-ncg: n={n}, d={d}, {h} hidden units, default threads\n")
    print(
        "A product at a point where one was taken before reads the forward pass "
        "kept by the first\n(`working_memory` allowing); the first computes it, as "
        "every product does where it is not kept.\n"
    )
    print(f"| {'measure':<54} | {'figures':<28} | {'ratio':>6} | {'goal':<7} |")
    print(f"|{'-' * 56}|{'-' * 30}|{'-' * 8}|{'-' * 9}|")
    rows = [
        ("time: next product / gradient evaluation", product_time, "<= 1.5"),
        ("time: first product at a point / gradient", first_time, ""),
        ("time: product, forward pass not kept / gradient", recomputed_time, ""),
    ]
    for label, measured, goal in rows:
        print(
            f"| {label:<54} | "
            f"{f'{measured * 1e3:.1f} ms / {gradient_time * 1e3:.1f} ms':<28} | "
            f"{measured / gradient_time:>6.2f} | {goal:<7} |"
        )
    print(
        f"| {'peak memory, one worker: next product / gradient':<54} | "
        f"{f'{product_peak / 2**20:.2f} MiB / {gradient_peak / 2**20:.2f} MiB':<28} | "
        f"{product_peak / gradient_peak:>6.2f} | {'<= 2':<7} |"
    )
    kept = 2 * n * h * 8
    print(
        f"| {'first product: peak, of which the kept forward pass':<54} | "
        f"{f'{first_peak / 2**20:.2f} MiB, {kept / 2**20:.2f} MiB':<28} | "
        f"{'':>6} | {'':<7} |"
    )
    print(
        f"| {'float32 loss error: Hessian path / gradient path':<54} | "
        f"{f'{hessian_error:.2g} / {gradient_error:.2g}':<28} | "
        f"{hessian_error / max(gradient_error, 1e-300):>6.2f} | {'~1':<7} |"
    )
    return {
        "product ms": round(product_time * 1e3, 3),
        "first product ms": round(first_time * 1e3, 3),
        "recomputed product ms": round(recomputed_time * 1e3, 3),
        "gradient ms": round(gradient_time * 1e3, 3),
    }


def sigmoid_forms(repeats):
    """ns per element of each form of the hidden sigmoid, on a cache-sized block.

    The forms: ``0.5 + 0.5 tanh(z / 2)`` (the form before issue 19), the exp form
    ``1 / (1 + exp(−z))`` the network uses, with ``−z`` given (the network gets it
    from the same pass that adds the bias), and scipy's ``expit``.
    """
    from scipy.special import expit

    try:
        from sklearn_twolayer._execution import BLOCK_BYTES
    except ImportError:  # a checkout before issue 19 (a before/after run)
        BLOCK_BYTES = 1 << 19

    def tanh_form(z):
        z *= 0.5
        np.tanh(z, out=z)
        z *= 0.5
        z += 0.5

    def exp_form(z):
        with np.errstate(over="ignore"):
            np.exp(z, out=z)
        z += 1.0
        np.reciprocal(z, out=z)

    forms = {
        "tanh form": tanh_form,
        "exp form": exp_form,
        "expit": lambda z: expit(z, out=z),
    }
    print("\n### the hidden sigmoid's forms, ns per element (one thread, in cache)\n")
    print(f"| {'dtype':<8} | " + " | ".join(f"{name:>9}" for name in forms) + " |")
    print(f"|{'-' * 10}|" + "|".join("-" * 11 for _ in forms) + "|")
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        rows = BLOCK_BYTES // (64 * np.dtype(dtype).itemsize)
        source = rng.normal(scale=4.0, size=(rows, 64)).astype(dtype)
        block = np.empty_like(source)
        costs = {}
        for name, form in forms.items():
            times = []
            for _ in range(repeats):
                np.copyto(block, source)
                start = time.perf_counter()
                for _ in range(20):
                    form(block)  # values drift, the cost per element does not
                times.append(time.perf_counter() - start)
            costs[name] = min(times) / (20 * block.size) * 1e9
        cells = " | ".join(f"{costs[name]:>9.2f}" for name in forms)
        print(f"| {np.dtype(dtype).name:<8} | {cells} |")
    try:
        from sklearn_twolayer.network import float32_tanh_is_simd
    except ImportError:  # one float32 form: before the choice, or from issue 32 on
        return
    form = "t = tanh(a1/2)" if float32_tanh_is_simd() else "h1, the exp form"
    print(f"\nfloat32 loss and gradient with one output, on this CPU: {form}")


def machine_report():
    runtime = io.StringIO()
    with contextlib.redirect_stdout(runtime):
        np.show_runtime()
    lines = [
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}"
        + (f", torch {_torch().__version__}" if _torch() else ""),
        f"{platform.machine()} {_cpu_name()}, os.cpu_count()={os.cpu_count()}, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        "np.show_runtime():",
        *("  " + line for line in runtime.getvalue().splitlines()),
        "threadpoolctl:",
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
    lines.append(f"thread variables: {variables or 'none set'}")
    return "\n".join(lines)


def machine_line():
    """CPU model, NumPy's SIMD extensions found, OpenBLAS versions: the figure's."""
    # what np.show_runtime() prints as "found" (numpy._core: NumPy >= 2.0, required)
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    found = " ".join(f for f in __cpu_dispatch__ if __cpu_features__[f])
    blas = {
        f"OpenBLAS {lib['version']} {lib.get('architecture')}"
        for lib in threadpool_info()
        if lib["internal_api"] == "openblas"
    }
    return f"{_cpu_name()}; NumPy SIMD found: {found}; {', '.join(sorted(blas))}"


def plot(results, path):
    """One panel per thread count: per-evaluation time over the two GEMMs'."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = results["threads"]
    figure, axes = plt.subplots(
        1, len(panels), figsize=(9, 4), sharey=True,
        layout="constrained", squeeze=False,
    )  # fmt: skip
    contenders = [
        ("ours", "ours"),
        ("mlp", "MLPClassifier"),
        ("torch", "torch autograd"),
    ]
    width = 0.8 / len(contenders)
    for axis, (threads, panel) in zip(axes[0], panels.items(), strict=True):
        per_eval = panel["ms per evaluation"]
        for i, (name, label) in enumerate(contenders):
            if f"{name}64" not in per_eval:  # torch left out
                continue
            ratios = [per_eval[f"{name}{d}"] / per_eval[f"gemm{d}"] for d in (64, 32)]
            offset = (i - (len(contenders) - 1) / 2) * width
            bars = axis.bar(
                [g + offset for g in range(2)], ratios, width, color=f"C{i}",
                label=label,
            )  # fmt: skip
            axis.bar_label(bars, fmt="%.2f", fontsize=7)
        axis.axhline(1, color="k", linestyle="--", linewidth=1, label="the two GEMMs")
        axis.set_xticks([0, 1], ["float64", "float32"])
        axis.set_title(f"{threads} thread{'s' if threads != '1' else ''}")
    axes[0][0].set_ylabel("time per evaluation / the two GEMMs'")
    axes[0][0].legend(fontsize=8, loc="upper left")
    figure.suptitle(f"One loss-and-gradient evaluation: {results['data']}")
    figure.supxlabel(results["machine"][-1], fontsize=7)
    figure.savefig(path, dpi=110)
    print(f"wrote {path}")


def _cpu_name():
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (CI)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats (>= 5)")
    parser.add_argument("--n", type=int, default=None, help="rows of the data")
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[1, 2], help="thread counts"
    )
    parser.add_argument("--no-torch", action="store_true", help="leave torch out")
    parser.add_argument("--json", help="write the tables' figures to this JSON file")
    parser.add_argument("--plot", help="draw the per-evaluation figure here")
    parser.add_argument("--from-json", help="plot this JSON file, measure nothing")
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json) as file:
            plot(json.load(file), args.plot)
        return
    config = dict(QUICK if args.quick else FULL)
    if args.repeats:
        config["repeats"] = args.repeats
    if args.n:
        config["n"] = args.n
    warnings.simplefilter("ignore", ConvergenceWarning)
    torch = None if args.no_torch else _torch()
    started = time.perf_counter()
    print("sklearn-twolayer bench_fit:", " ".join(sys.argv[1:]) or "(full)")
    machine = machine_report()
    print(machine)
    results = {
        "machine": [*machine.splitlines()[:2], machine_line()],
        "data": f"{config['n']:,} × {config['n_features']}, "
        f"{config['n_hidden']} hidden units, {config['max_iter']} L-BFGS iterations",
        "threads": {},
    }
    print(
        f"data: make_classification({config['n']}, {config['n_features']}, "
        f"random_state=0), n_hidden={config['n_hidden']}, "
        f"max_iter={config['max_iter']} (L-BFGS), alpha=1e-4, random_state=0; "
        f"medians of {config['repeats']} repeat(s), contenders alternated"
    )
    X, y = make_classification(
        n_samples=config["n"], n_features=config["n_features"], random_state=0
    )
    with threadpool_limits(limits=1):
        sigmoid_forms(max(3, config["repeats"]))
    for threads in args.threads:
        print(
            f"  ... {threads} thread(s) ({time.strftime('%H:%M:%S')})", file=sys.stderr
        )
        fit, per_eval = comparison(config, X, y, threads, torch)
        print_comparison(threads, fit, per_eval)
        results["threads"][str(threads)] = {
            "ms per evaluation": {k: round(t * 1e3, 3) for k, t in per_eval.items()},
            "fit s": {k: round(fit[k], 3) for k in ("ours64", "mlp64")},
        }
    # A product and a gradient take milliseconds each: five times the repeats
    # cost well under a second, and a median of five such short timings on a
    # shared machine moved between 1.16 and 1.99 from run to run.
    results["trust-ncg"] = hessian_comparison(
        HESSIAN_QUICK if args.quick else HESSIAN, max(3, 5 * config["repeats"])
    )
    print(
        f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"total {time.perf_counter() - started:.0f} s"
    )
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=1)
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
