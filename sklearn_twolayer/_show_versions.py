"""``show_versions()``: what a bug report needs, in the form of scikit-learn's."""

import platform
import sys
from importlib.metadata import PackageNotFoundError, version

from ._execution import thread_pools

# The runtime dependencies, always listed.
_DEPENDENCIES = ["numpy", "scipy", "scikit-learn", "threadpoolctl", "joblib"]
# The extras' distributions (pyproject.toml), listed when installed: read from the
# metadata, never imported, so that show_versions() imports no torch or dask.
_OPTIONAL_DEPENDENCIES = [
    "dask",
    "distributed",
    "skl2onnx",
    "onnx",
    "onnxruntime",
    "array-api-strict",
    "array-api-compat",
    "torch",
    "cupy",
    "skops",
    "rich",
    "pandas",
    "polars",
    "matplotlib",
]


def _installed_version(distribution):
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def _cpu_model(cpuinfo="/proc/cpuinfo"):
    """The processor's name: float32 results depend on the SIMD code NumPy picks
    for it. Linux names it in /proc/cpuinfo ("model name" on x86, "Hardware" or
    "cpu" on some ARM and POWER kernels); elsewhere platform.processor() does."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as lines:
            fields = dict(
                (key.strip(), value.strip())
                for key, _, value in (line.partition(":") for line in lines)
                if value.strip()
            )
    except OSError:
        fields = {}
    for key in ("model name", "Hardware", "cpu"):
        if key in fields:
            return fields[key]
    return platform.processor() or "unknown"


def _system_info():
    return {
        "python": sys.version.replace("\n", " "),
        "executable": sys.executable,
        "machine": platform.platform(),
        "cpu": _cpu_model(),
    }


def _dependencies_info():
    from ._version import __version__

    info = {"sklearn-twolayer": __version__}
    info.update((name, _installed_version(name)) for name in _DEPENDENCIES)
    return info


def _optional_dependencies_info():
    installed = {name: _installed_version(name) for name in _OPTIONAL_DEPENDENCIES}
    return {name: v for name, v in installed.items() if v is not None}


def _simd_info():
    """NumPy's SIMD extensions: compiled in (baseline), and found or not found
    among those it dispatches to at run time, as ``np.show_runtime()`` reports."""
    from numpy._core._multiarray_umath import (
        __cpu_baseline__,
        __cpu_dispatch__,
        __cpu_features__,
    )

    return {
        "baseline": ",".join(__cpu_baseline__),
        "found": ",".join(f for f in __cpu_dispatch__ if __cpu_features__[f]),
        "not found": ",".join(f for f in __cpu_dispatch__ if not __cpu_features__[f]),
    }


def show_versions():
    """Print the information a bug report needs, as :func:`sklearn.show_versions`.

    Python, the platform, the CPU's model, NumPy's SIMD extensions, the versions of
    the package, its dependencies and the installed optional ones (from their
    metadata), and the loaded BLAS and OpenMP libraries with their threads.

    Examples
    --------
    >>> import sklearn_twolayer
    >>> sklearn_twolayer.show_versions()  # doctest: +ELLIPSIS
    <BLANKLINE>
    System:
        python: ...
    Python dependencies:
    sklearn-twolayer: 0.1.0
    ...
    threadpoolctl info:
    ...
    """
    # Load the BLAS the computations use (SciPy's, NumPy's) so threadpoolctl lists it.
    import scipy.linalg  # noqa: F401

    sections = [
        ("System", _system_info()),
        ("NumPy SIMD extensions", _simd_info()),
        ("Python dependencies", _dependencies_info()),
        ("Optional dependencies (installed)", _optional_dependencies_info()),
    ]
    for title, info in sections:
        print(f"\n{title}:")
        width = max(map(len, info), default=0)
        for key, value in info.items():
            print(f"{key:>{width}}: {value}")

    threadpools = thread_pools()
    print("\nthreadpoolctl info:")
    for i, pool in enumerate(threadpools):
        if i:
            print()
        for key, value in pool.items():
            print(f"{key:>15}: {value}")
    if not threadpools:
        print("no BLAS or OpenMP library found")
