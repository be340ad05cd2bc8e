"""200 consecutive fits and predictions leave memory and threads where they were.

The short version of ``benchmarks/bench_soak.py`` (2,000 fits). Every evaluation
here runs on worker threads (6 blocks of rows, on a machine with several cores)
that are started and joined per evaluation, and every fit and prediction sets and
restores the BLAS thread counts: a thread, a scratch array, a model or a BLAS
buffer left behind by any of them grows one of the three numbers measured.
"""

import gc
import os
import sys
import threading
import tracemalloc
import warnings
from contextlib import contextmanager

import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info

from sklearn_twolayer import TwoLayerSigmoidClassifier, _execution


def _rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def _no_line_tracer():
    """Suspend a line tracer (coverage's, in CI) for the measured loop.

    A tracer records the lines and branches it sees in Python containers that it
    allocates while our frames run, so tracemalloc counts them as ours (about 1 MB
    over the 150 fits under ``--cov-branch``): it would measure coverage, not the
    estimator. The loop's code is covered by the other tests.
    """
    process_tracer, thread_tracer = sys.gettrace(), threading.gettrace()
    sys.settrace(None)
    threading.settrace(None)
    try:
        yield
    finally:
        threading.settrace(thread_tracer)
        sys.settrace(process_tracer)


@pytest.mark.skipif(
    not os.path.exists("/proc/self/statm"), reason="RSS is read from /proc (Linux)"
)
def test_200_fits_keep_memory_and_threads_flat(monkeypatch):
    monkeypatch.setattr(_execution, "BLOCK_BYTES", 50 * 4 * 8)  # blocks of 50 rows
    X, y = make_classification(n_samples=300, n_features=6, random_state=0)
    assert len(_execution.row_blocks(X, 4, 8)) == 6
    blas_before, threads_before = threadpool_info(), threading.active_count()

    def fits(seeds):
        for seed in seeds:
            clf = TwoLayerSigmoidClassifier(n_hidden=4, max_iter=3, random_state=seed)
            clf.fit(X, y).predict_proba(X)
            clf.predict(X)
        gc.collect()
        return tracemalloc.get_traced_memory()[0], _rss_bytes()

    with warnings.catch_warnings(), _no_line_tracer():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tracemalloc.start()
        try:
            # The first fits fill caches (imports, numpy's and malloc's pools).
            traced_warm, rss_warm = fits(range(50))
            traced_end, rss_end = fits(range(50, 200))
        finally:
            tracemalloc.stop()
    # 150 more fits: a leak of one scratch block (1.6 KB) per evaluation would be
    # about 1 MB, one fitted model per fit about 150 KB; measured growth is about
    # 20 KB (numpy's small-object caches).
    assert traced_end - traced_warm < 64 * 1024
    # Outside tracemalloc's view (OpenBLAS's per-thread buffers, thread stacks):
    # thousands of worker threads came and went, each calling OpenBLAS.
    assert rss_end - rss_warm < 16 * 2**20
    assert threading.active_count() == threads_before
    assert threadpool_info() == blas_before
