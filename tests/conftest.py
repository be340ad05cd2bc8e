import os
import warnings

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
def iris():
    """(X, y): the 150 iris rows standardised, integer classes 0, 1, 2."""
    from _problems import standardized_iris

    return standardized_iris()


@pytest.fixture(scope="module")
def breast_cancer():
    """(X, y): the 569 breast-cancer rows standardised, integer classes 0, 1."""
    from _problems import standardized_breast_cancer

    return standardized_breast_cancer()


@pytest.fixture
def ignore_convergence_warnings():
    """ConvergenceWarning ignored for the test (for a module whose fits stop early
    on purpose: ``pytestmark = pytest.mark.usefixtures(...)``)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture
def dask_threads():
    """Dask's threaded scheduler for the test, with two threads.

    The cheapest scheduler that runs a fit's blocks concurrently, as every
    scheduler may: the Dask backend computes through whichever is active, and adds
    the blocks' sums in block order on every one (``test_dask.py`` checks that
    all of them give the same bits, a cluster of worker processes included).
    """
    dask = pytest.importorskip("dask")
    with dask.config.set(scheduler="threads", num_workers=2):
        yield


def _local_cluster():
    """A LocalCluster of two one-thread worker processes, as a real cluster's
    workers are: every task's arguments and results are pickled between them."""
    distributed = pytest.importorskip("distributed")
    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        # The scheduler's HTTP server starts without a dashboard too, on port 8787
        # unless told otherwise, with a warning when another cluster holds it.
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    )


@pytest.fixture(scope="session")
def local_cluster():
    """``local_cluster()`` starts a :func:`_local_cluster` (the caller closes it)."""
    return _local_cluster


@pytest.fixture(scope="module")
def _module_cluster():
    """One :func:`_local_cluster` for a module's tests that use ``cluster_client``."""
    cluster = _local_cluster()
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def cluster_client(_module_cluster):
    """A distributed Client of the module's cluster, the default scheduler during
    the test only (the few tests that need worker processes). A client left open
    would be the default of the module's later tests too, and dask 2024.1.0 (the
    floor) warns on every local scheduler chosen while one is open."""
    distributed = pytest.importorskip("distributed")
    with distributed.Client(_module_cluster) as client:
        yield client


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
    # and on threads even where they took longer than one (tiny work does)
    monkeypatch.setattr(_execution._SizeRecord, "threaded_next", lambda self: True)
