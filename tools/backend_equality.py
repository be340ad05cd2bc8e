"""Print the equality table of the backends: every feature, fitted on CSR and Dask input
against the in-memory dense fit of the same data.

Run from the repository root (needs the dask extra):
``python tools/backend_equality.py``.
The cases are those of ``tests/test_backends.py`` (which asserts the bounds: max
|Δ predict_proba| <= 1e-6 relative, equal ``n_iter_`` and ``best_iteration_``); this
prints the measured values.
"""

import importlib.util
from pathlib import Path

import numpy as np
from distributed import Client, LocalCluster

ROOT = Path(__file__).resolve().parent.parent


def _suite():
    spec = importlib.util.spec_from_file_location(
        "backend_suite", ROOT / "tests" / "test_backends.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    suite = _suite()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        print(
            f"| {'feature':<26} | backend | max abs Δ proba | max rel Δ proba "
            "| n_iter_ (memory / backend) | best_iteration_ |"
        )
        print("|" + "---|" * 6)
        for name, target, extra, weighted in suite.CASES:
            X, y = suite._data(target)
            weights = suite._weights(X.shape[0]) if weighted else None
            params = {**suite.BASE, **extra}
            reference = suite._fit("dense", params, X, y, weights)
            expected = suite._proba(reference, X)
            for backend in ("csr", "dask"):
                fitted = suite._fit(backend, params, X, y, weights)
                difference = np.abs(suite._proba(fitted, X) - expected)
                relative = difference / np.maximum(np.abs(expected), 1e-300)
                print(
                    f"| {name:<26} | {backend:<7} | {difference.max():.1e} "
                    f"| {relative.max():.1e} "
                    f"| {reference.n_iter_} / {fitted.n_iter_} "
                    f"| {reference.best_iteration_} / {fitted.best_iteration_} |"
                )


if __name__ == "__main__":
    main()
