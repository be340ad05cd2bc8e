import os

import pytest
from hypothesis import HealthCheck, Phase, settings

# scikit-learn's check_array_api_input runs only when SciPy's array-API mode is on,
# and SciPy reads the variable once at import: set it before anything imports SciPy.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# Property tests: CI runs a bounded, derandomised number of examples so its time and
# outcome are reproducible; a local run explores more. HYPOTHESIS_PROFILE overrides.
settings.register_profile(
    "ci",
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# Mutation runs: the CI examples without shrinking, since a mutant only needs to
# fail, not to be explained.
settings.register_profile(
    "mutation",
    parent=settings.get_profile("ci"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
settings.register_profile(
    "local",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "local")
)


# -- fixtures shared by the test files ------------------------------------------------


@pytest.fixture(scope="module")
def client():
    """A Dask client of a LocalCluster of two one-thread worker processes.

    Processes, as a real cluster's workers are: every task's arguments and results
    are pickled between them.
    """
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        # The scheduler's HTTP server starts without a dashboard too, on port 8787
        # unless told otherwise, with a warning when another cluster holds it.
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    )
    try:
        with distributed.Client(cluster) as client:
            yield client
    finally:
        cluster.close()


@pytest.fixture
def block_bytes(monkeypatch):
    """``block_bytes(n)`` sets the bytes of one (rows, n_hidden) scratch block of the
    in-memory evaluation for the test, so that small data has many blocks."""
    from sklearn_twolayer import _execution

    def set_block_bytes(n_bytes):
        monkeypatch.setattr(_execution, "BLOCK_BYTES", n_bytes)

    return set_block_bytes


@pytest.fixture
def threads_for_any_work(monkeypatch):
    """Every evaluation of several groups runs on the threads BLAS allows, however
    little work its groups are (small test data would otherwise stay on one
    thread, and the threaded path go untested)."""
    from sklearn_twolayer import _execution

    monkeypatch.setattr(_execution, "MIN_SECONDS_PER_WORKER", 1e-12)
    monkeypatch.setattr(_execution, "_worker_threshold", _execution._WorkerThreshold())
