"""The cost of scikit-learn callbacks on a fit: a ProgressBar against a plain fit.

The callbacks issue asks that a fit with a ``ProgressBar`` alone take at most 1.05x
the time of a plain fit, and that it give bit-identical weights. This script fits
the same problem with and without callbacks, in one repeat loop whose order rotates
from one repeat to the next, and prints the median time of each contender and its
ratio to the plain fit, with the load average before and after::

    python benchmarks/bench_callbacks.py            # the full run (about a minute)
    python benchmarks/bench_callbacks.py --quick    # tiny sizes: a smoke test for CI

The contenders (all from the same ``random_state``, ``tol=0`` so every fit runs
exactly ``max_iter`` L-BFGS iterations):

- ``plain``: no callbacks;
- ``progress bar (terminal)``: a ``ProgressBar`` drawing a live display, as in a
  terminal (rich is told the output is an interactive terminal; it is written to
  ``os.devnull``), refreshed by rich's own thread;
- ``progress bar (file)``: a ``ProgressBar`` whose output is not a terminal (a log
  file, a notebook's captured output): drawn once, at the end;
- ``scoring monitor``: a ``ScoringMonitor(scoring="accuracy")``, which scores the
  model of every iteration on the training data; for reference, it has a real cost.

Each callback fit's weights are compared with the plain fit's (``np.array_equal``).
"in hooks" is the share of a fit's wall time spent calling the callbacks from the
fit's own thread (the fit task's and every iteration's begin and end hooks): the
overhead the package adds, which the busy-machine noise of the wall times hides.
"""

import argparse
import contextlib
import gc
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._callbacks import FitCallbacks, _IterationBridge

FULL = dict(n=20_000, n_features=50, n_hidden=32, max_iter=200, repeats=5)
QUICK = dict(n=1_000, n_features=10, n_hidden=4, max_iter=10, repeats=2)
BOUND = 1.05  # the bound on the progress bar's ratio


@contextlib.contextmanager
def rich_output(terminal):
    """Send rich's output to os.devnull, as an interactive terminal or as a file."""
    names = ("TTY_COMPATIBLE", "TTY_INTERACTIVE")
    before = {name: os.environ.get(name) for name in names}
    for name in names:
        os.environ[name] = "1" if terminal else "0"
    stdout = sys.stdout
    with open(os.devnull, "w") as devnull:
        sys.stdout = devnull
        try:
            yield
        finally:
            sys.stdout = stdout
            for name, value in before.items():
                if value is None:
                    os.environ.pop(name)
                else:
                    os.environ[name] = value


def contenders():
    """name -> (callbacks factory, output context)."""
    return {
        "plain": (list, contextlib.nullcontext),
        "progress bar (terminal)": (
            lambda: [ProgressBar()],
            lambda: rich_output(terminal=True),
        ),
        "progress bar (file)": (
            lambda: [ProgressBar()],
            lambda: rich_output(terminal=False),
        ),
        "scoring monitor": (
            lambda: [ScoringMonitor(scoring="accuracy")],
            contextlib.nullcontext,
        ),
    }


@contextlib.contextmanager
def timing_hooks():
    """Add up the wall time spent in the fit's callback hooks (the fit's thread).

    Wraps the methods of :mod:`sklearn_twolayer._callbacks` that call the hooks:
    the fit task's begin and end, each iteration's begin and end. What the
    callbacks do on threads of their own (rich's display) is not in this sum.
    """
    spent = [0.0]
    wrapped = [
        (FitCallbacks, "__init__"),
        (FitCallbacks, "end"),
        (_IterationBridge, "begin_iteration"),
        (_IterationBridge, "end_iteration"),
    ]
    originals = [getattr(cls, name) for cls, name in wrapped]

    def timed(method):
        def call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - start

        return call

    for (cls, name), method in zip(wrapped, originals, strict=True):
        setattr(cls, name, timed(method))
    try:
        yield spent
    finally:
        for (cls, name), method in zip(wrapped, originals, strict=True):
            setattr(cls, name, method)


def fit_once(config, X, y, callbacks, output):
    clf = TwoLayerSigmoidClassifier(
        n_hidden=config["n_hidden"],
        max_iter=config["max_iter"],
        tol=0.0,
        random_state=0,
    )
    if callbacks:
        clf.set_callbacks(*callbacks)
    gc.collect()
    with output(), warnings.catch_warnings(), timing_hooks() as in_hooks:
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the point
        start, cpu_start = time.perf_counter(), time.process_time()
        clf.fit(X, y)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
    return (elapsed, cpu, in_hooks[0]), clf


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (CI)")
    parser.add_argument("--repeats", type=int, help="repeats of the loop")
    args = parser.parse_args(argv)
    config = dict(QUICK if args.quick else FULL)
    if args.repeats:
        config["repeats"] = args.repeats

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, {os.cpu_count()} CPUs"
    )
    print(
        f"data: make_classification(n_samples={config['n']}, "
        f"n_features={config['n_features']}), n_hidden={config['n_hidden']}, "
        f"max_iter={config['max_iter']} (tol=0), repeats={config['repeats']}"
    )
    print(f"load average before: {os.getloadavg()}")
    X, y = make_classification(
        n_samples=config["n"], n_features=config["n_features"], random_state=0
    )

    # The weights every fit must reproduce (an untimed warm-up too).
    _, plain = fit_once(config, X, y, [], contextlib.nullcontext)
    reference = (plain.W1_, plain.b1_, plain.W2_, plain.b2_)

    runs = contenders()
    names = list(runs)
    times = {name: [] for name in names}
    cpu_times = {name: [] for name in names}
    hook_fractions = {name: [] for name in names}
    identical = {name: True for name in names}
    for repeat in range(config["repeats"]):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            factory, output = runs[name]
            (elapsed, cpu, in_hooks), clf = fit_once(config, X, y, factory(), output)
            times[name].append(elapsed)
            cpu_times[name].append(cpu)
            hook_fractions[name].append(in_hooks / elapsed)
            weights = (clf.W1_, clf.b1_, clf.W2_, clf.b2_)
            identical[name] &= all(
                np.array_equal(a, b) for a, b in zip(weights, reference, strict=True)
            )

    median_plain = statistics.median(times["plain"])
    cpu_plain = statistics.median(cpu_times["plain"])
    print(f"load average after:  {os.getloadavg()}")
    print()
    print(
        f"{'contender':<26}{'wall s':>9}{'ratio':>8}{'CPU s':>9}{'ratio':>8}"
        f"{'in hooks':>10}{'weights':>12}"
    )
    for name in names:
        median = statistics.median(times[name])
        cpu = statistics.median(cpu_times[name])
        same = "identical" if identical[name] else "DIFFERENT"
        print(
            f"{name:<26}{median:>9.3f}{median / median_plain:>8.3f}"
            f"{cpu:>9.3f}{cpu / cpu_plain:>8.3f}"
            f"{statistics.median(hook_fractions[name]):>10.2%}{same:>12}"
        )
    terminal = statistics.median(times["progress bar (terminal)"]) / median_plain
    print()
    print(
        f"progress bar (terminal) / plain = {terminal:.3f} wall "
        f"(bound {BOUND}; medians of {config['repeats']} repeats). The CPU time "
        "(all threads of the process) is the steadier figure on a busy machine."
    )
    if not all(identical.values()):
        print("a fit with callbacks changed the weights")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
