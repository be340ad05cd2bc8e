"""Losing Dask workers in the middle of a fit: recovery, or a clear error, never a hang.

These tests break their cluster, so they get their own (module scope), apart from the
shared one of ``test_dask.py``. The workers are lost between two L-BFGS evaluations,
by wrapping the solver, which is deterministic where killing on a timer is not. What
happens then is the scheduler's: it recomputes lost blocks from their graph, and
without workers its own ``distributed.scheduler.no-workers-timeout`` ends the fit:
from distributed 2024.8.0 it fails the tasks (``NoWorkerError``); before, it shuts the
scheduler down, which cancels the tasks, and the fit says so (``RuntimeError``).
"""

import concurrent.futures
import os
import time

import numpy as np
import pytest
from packaging.version import Version

from sklearn_twolayer import TwoLayerSigmoidClassifier, _classifier

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

PARAMS = dict(n_hidden=3, alpha=1.0, random_state=0)
# distributed 2024.8.0 (dask/distributed#8806) fails the tasks that waited longer than
# no-workers-timeout for a worker; before it, the scheduler shuts itself down.
FAILS_THE_TASKS = Version(distributed.__version__) >= Version("2024.8.0")


@pytest.fixture(scope="module")
def cluster(local_cluster):
    # Dask's own limit on how long a task waits for a worker, read by the
    # scheduler when it starts: without workers, an evaluation fails after it.
    with dask.config.set({"distributed.scheduler.no-workers-timeout": "2 s"}):
        cluster = local_cluster()
    try:
        yield cluster
    finally:
        # A scheduler that shut itself down (before distributed 2024.8.0) answers no
        # connection: closing waits for none longer than a second, not 30.
        with dask.config.set({"distributed.comm.timeouts.connect": "1 s"}):
            cluster.close()


def _after_first_evaluation(monkeypatch, action):
    """Make the next fit run ``action()`` after its first L-BFGS evaluation."""
    minimize_lbfgs = _classifier.minimize_lbfgs

    def interrupted(fun, theta0, **kwargs):
        fun(theta0)
        action()
        return minimize_lbfgs(fun, theta0, **kwargs)

    monkeypatch.setattr(_classifier, "minimize_lbfgs", interrupted)


def test_a_killed_worker_is_replaced_and_the_fit_is_unchanged(
    cluster, iris, monkeypatch
):
    X, y = iris
    # Fitted first: the patched solver below would interrupt it too (one fit path).
    in_memory = TwoLayerSigmoidClassifier(**PARAMS).fit(X, y)
    with distributed.Client(cluster) as client:
        client.wait_for_workers(2)
        victim = sorted(client.scheduler_info()["workers"])[0]

        def kill_a_worker():
            # os._exit: no goodbye to the scheduler, as when a machine dies. The
            # nanny starts a new worker; the lost blocks are recomputed from the graph.
            client.run(os._exit, 1, workers=[victim], on_error="ignore")

        _after_first_evaluation(monkeypatch, kill_a_worker)
        on_dask = TwoLayerSigmoidClassifier(**PARAMS).fit(
            da.from_array(X, chunks=30), y
        )
        assert victim not in client.scheduler_info()["workers"]
    np.testing.assert_allclose(
        on_dask.predict_proba(X), in_memory.predict_proba(X), rtol=1e-6, atol=0
    )


def test_losing_every_worker_is_an_error_not_a_hang(cluster, iris, monkeypatch):
    X, y = iris
    fitted = TwoLayerSigmoidClassifier(**PARAMS).fit(X, y)
    W1 = fitted.W1_.copy()
    client = distributed.Client(cluster)
    client.wait_for_workers(2)

    def lose_every_worker():
        cluster.scale(0)
        while client.scheduler_info()["workers"]:
            time.sleep(0.1)

    _after_first_evaluation(monkeypatch, lose_every_worker)
    if FAILS_THE_TASKS:
        expected = pytest.raises(
            distributed.scheduler.NoWorkerError, match="without any running workers"
        )
    else:  # the scheduler shut down: the client cancelled the fit's tasks
        expected = pytest.raises(RuntimeError, match="Dask tasks were cancelled")
    try:
        with expected as raised:
            fitted.fit(da.from_array(X, chunks=30), y)
    finally:
        # Without a scheduler to say goodbye to, closing waits for nothing.
        client.close(timeout=None if FAILS_THE_TASKS else 1)
    if not FAILS_THE_TASKS:
        assert isinstance(raised.value.__cause__, concurrent.futures.CancelledError)
    np.testing.assert_array_equal(fitted.W1_, W1)  # the failed fit changed nothing
