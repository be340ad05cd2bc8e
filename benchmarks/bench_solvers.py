"""L-BFGS against trust-ncg (exact Hessian-vector products): cost to a tight optimum.

For each data set both solvers start from the same Glorot vector and minimise the
same float64 objective until the gradient's max-norm is at most ``--gtol``
(default 1e-6). L-BFGS-B runs with ``ftol=0``, so that its relative-reduction stop
(which the estimator keeps, as MLPClassifier does) cannot end the run first.

Reported per solver: iterations, objective-and-gradient evaluations, Hessian-vector
products, their sum ("work", in gradient evaluations: a product costs about one),
wall time (the best of ``--repeat`` runs), the final gradient max-norm and
objective. BLAS runs on one thread (threadpoolctl), so that the numbers measure
the algorithms, not the thread scheduling. The cost of one Hessian-vector product
relative to one gradient evaluation is measured on its own ("H·v / grad"). Wall
times on a shared machine are noisy: compare the two solvers of a data set side
by side (the ratio column), not across runs.

Run from the repository root::

    python benchmarks/bench_solvers.py            # all data sets
    python benchmarks/bench_solvers.py --quick    # the two smallest
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._classifier import _glorot_start
from sklearn_twolayer._solver import minimize_lbfgs, minimize_trust_ncg


def _datasets(quick):
    scale = StandardScaler().fit_transform
    X, y = load_breast_cancer(return_X_y=True)
    yield "breast_cancer (569x30, binary)", scale(X), y, 10, 1e-4
    X, y = load_digits(return_X_y=True)
    yield "digits (1797x64, 10 classes)", X / 16.0, y, 20, 1e-4
    X, y = make_classification(
        n_samples=400, n_features=10, n_informative=5, random_state=0
    )
    yield "synthetic (400x10, binary, alpha=1)", X, y, 5, 1.0
    if quick:
        return
    X, y = make_classification(
        n_samples=5000, n_features=20, n_informative=10, random_state=0
    )
    yield "synthetic (5000x20, binary)", X, y, 20, 1e-4
    X, Y = make_multilabel_classification(
        n_samples=2000, n_features=20, n_classes=5, random_state=0
    )
    yield "synthetic (2000x20, 5 labels)", scale(X), Y, 20, 1e-4


def _best_time(function, repeat):
    """Best wall time of ``repeat`` calls, and the last call's value."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - start)
    return best, value


def _product_cost(loss, X, Y, alpha, theta, repeat=5):
    """Time of one Hessian-vector product over the time of one gradient evaluation."""
    _, _, hessp = loss.gradient_hessian_product(theta, X, Y, None, alpha)
    v = np.random.default_rng(0).normal(size=theta.size)
    gradient_time, _ = _best_time(
        lambda: loss.loss_gradient(theta, X, Y, None, alpha), repeat
    )
    product_time, _ = _best_time(lambda: hessp(v), repeat)
    return product_time / gradient_time


def _run(solver, loss, X, Y, alpha, theta0, gtol, max_iter, repeat):
    """One solver run (timed ``repeat`` times); returns the table's numbers."""
    if solver == "lbfgs":

        def fun(theta):
            return loss.loss_gradient(theta, X, Y, None, alpha)

        def run():
            return minimize_lbfgs(
                fun, theta0, max_iter=max_iter, max_fun=10 * max_iter, tol=gtol, ftol=0
            )
    else:

        def fun_grad_hessp(theta):
            return loss.gradient_hessian_product(theta, X, Y, None, alpha)

        def run():
            return minimize_trust_ncg(
                fun_grad_hessp, theta0, max_iter=max_iter, max_fun=10**7, tol=gtol
            )

    seconds, result = _best_time(run, repeat)
    _, gradient = loss.loss_gradient(result.theta, X, Y, None, alpha)
    return {
        "iterations": result.n_iter,
        "evaluations": result.n_fun,
        "hessp": result.n_hessp,
        "work": result.n_fun + result.n_hessp,
        "seconds": seconds,
        "gradient": float(np.max(np.abs(gradient))),
        "objective": result.loss,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gtol", type=float, default=1e-6)
    parser.add_argument("--max-iter", type=int, default=20000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with threadpool_limits(limits=1):
        _table(args)


def _table(args):
    rows = []
    for name, X, y, n_hidden, alpha in _datasets(args.quick):
        X = np.asarray(X, dtype=np.float64)
        estimator = TwoLayerSigmoidClassifier(n_hidden, alpha=alpha, random_state=0)
        X, Y, _, loss = estimator._training_problem(X, y, None)
        theta0 = _glorot_start(loss.layout, np.random.RandomState(0))
        results = {}
        cost = _product_cost(loss, X, Y, alpha, theta0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # reported below
            for solver in ("lbfgs", "trust-ncg"):
                results[solver] = _run(
                    solver,
                    loss,
                    X,
                    Y,
                    alpha,
                    theta0,
                    args.gtol,
                    args.max_iter,
                    args.repeat,
                )
        ratio = results["trust-ncg"]["seconds"] / results["lbfgs"]["seconds"]
        for solver, r in results.items():
            rows.append(
                (
                    name if solver == "lbfgs" else "",
                    solver,
                    str(r["iterations"]),
                    str(r["evaluations"]),
                    str(r["hessp"]),
                    str(r["work"]),
                    f"{cost:.2f}" if solver == "trust-ncg" else "",
                    f"{r['seconds']:.2f}",
                    f"{ratio:.2f}" if solver == "trust-ncg" else "",
                    f"{r['gradient']:.1e}",
                    f"{r['objective']:.10f}",
                )
            )
        print(f"done: {name}", flush=True)

    header = (
        "data set (n_hidden, alpha in the text)",
        "solver",
        "iterations",
        "f+g evals",
        "H·v",
        "work",
        "H·v / grad",
        "seconds",
        "time ratio",
        "final max|g|",
        "objective",
    )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("=" * w for w in widths)
    print()
    print(f"gtol = {args.gtol:g} on the gradient's max-norm, float64")
    print(rule)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(rule)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(rule)


if __name__ == "__main__":
    main()
