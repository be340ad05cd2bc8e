"""Print the equality table of the backends: every feature, fitted on CSR, Dask, torch
CPU and array-api-strict input against the in-memory dense fit of the same data.

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
            for backend in ("csr", "dask", *suite.ARRAY_API):
                fitted = suite._fit(backend, params, X, y, weights)
                difference = np.abs(suite._proba(fitted, X, backend) - expected)
                relative = difference / np.maximum(np.abs(expected), 1e-300)
                print(
                    f"| {name:<26} | {backend:<16} | {difference.max():.1e} "
                    f"| {relative.max():.1e} "
                    f"| {reference.n_iter_} / {fitted.n_iter_} "
                    f"| {reference.best_iteration_} / {fitted.best_iteration_} |"
                )
    float32_table(suite)


def float32_table(suite):
    """The array-API backends in float32 against the NumPy float32 fit.

    The yardstick is NumPy's own float32 fit against its float64 fit: the solver
    amplifies rounding along its path, and a float32 fit elsewhere can only agree
    to about that.
    """
    import array_api_strict
    import torch
    from sklearn import config_context

    from sklearn_twolayer import TwoLayerSigmoidClassifier

    devices = {
        "torch cpu float32": torch.asarray,
        "array_api_strict device1 float32": lambda a: array_api_strict.asarray(
            a, device=array_api_strict.Device("device1")
        ),
    }
    print()
    print(
        "| target | backend | max abs Δ proba vs NumPy float32 "
        "| NumPy float32 vs float64 | n_iter_ (NumPy float32 / backend) |"
    )
    print("|" + "---|" * 5)
    for target in ("binary", "multiclass", "multilabel"):
        X, y = suite._data(target)
        X32 = X.astype(np.float32)
        numpy32 = TwoLayerSigmoidClassifier(**suite.BASE).fit(X32, y)
        numpy64 = TwoLayerSigmoidClassifier(**suite.BASE).fit(X, y)
        gap = np.abs(numpy32.predict_proba(X32) - numpy64.predict_proba(X)).max()
        for name, to_device in devices.items():
            y_device = to_device(y) if y.dtype.kind in "biuf" else y
            with config_context(array_api_dispatch=True):
                clf = TwoLayerSigmoidClassifier(**suite.BASE)
                clf.fit(to_device(X32), y_device)
                proba = suite._host(clf.predict_proba(to_device(X32)))
            difference = np.abs(proba - numpy32.predict_proba(X32)).max()
            print(
                f"| {target} | {name} | {difference:.1e} | {gap:.1e} "
                f"| {numpy32.n_iter_} / {clf.n_iter_} |"
            )


if __name__ == "__main__":
    main()
