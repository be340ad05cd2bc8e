"""How evaluations run on threads (:mod:`sklearn_twolayer._execution`).

The groups of blocks are added in group order whatever thread computed them and
whenever they finished; threads are used only for work that pays for them, never
more than BLAS was allowed, never beside another evaluation; the worker threads
are started once; a failure or an interrupt stops every thread before the call
returns. What the policy costs and gains is measured in
``benchmarks/bench_sizes.py``, not here.
"""

import os
import threading
import time

import pytest

from sklearn_twolayer import _execution


class _FakeLibrary:
    """Stands in for one of threadpoolctl's library controllers."""

    def __init__(self, num_threads, log):
        self.num_threads, self.log = num_threads, log

    def set_num_threads(self, num_threads):
        self.log.append(num_threads)
        self.num_threads = num_threads


class _FakeBlas:
    """Stands in for threadpoolctl's BLAS controller with chosen thread counts."""

    def __init__(self, *num_threads):
        self.log = []
        self.lib_controllers = [_FakeLibrary(n, self.log) for n in num_threads]


# Longer than MIN_SECONDS_PER_WORKER: a group of this much work is worth a thread.
SLOW = 4 * _execution.MIN_SECONDS_PER_WORKER


@pytest.fixture(autouse=True)
def _fresh_payoff(monkeypatch):
    """Each test starts with no size held back (whatever threads lost before)."""
    monkeypatch.setattr(_execution, "_thread_payoff", _execution._ThreadPayoff())


def _deal(monkeypatch, fake, n_blocks, seconds=lambda group: SLOW):
    """Which threads computed which group, and the order the groups were combined.

    Group ``g`` takes ``seconds(g)``.
    """
    monkeypatch.setattr(_execution, "_blas_controller", lambda: fake)
    computed, combined = {}, []

    def new_worker():
        def compute(group):
            if seconds(group):
                time.sleep(seconds(group))
            computed[group.start] = threading.get_ident()
            return group.start

        return compute

    def combine(total, partial):
        combined.append(partial)
        return (total or 0) + 1

    total = _execution.evaluate_groups(new_worker, n_blocks, combine)
    assert total == len(_execution.block_groups(n_blocks))
    return computed, combined


def test_blocks_are_cut_into_at_most_n_groups_contiguous_groups():
    assert _execution.N_GROUPS == 16
    assert _execution.block_groups(0) == []
    assert _execution.block_groups(3) == [range(0, 1), range(1, 2), range(2, 3)]
    for n_blocks in (1, 15, 16, 17, 40, 1000):
        groups = _execution.block_groups(n_blocks)
        assert len(groups) == min(16, n_blocks)
        # contiguous, in order, covering every block once
        assert [i for group in groups for i in group] == list(range(n_blocks))
        sizes = {len(group) for group in groups}
        assert max(sizes) - min(sizes) <= 1
    assert [len(g) for g in _execution.block_groups(17)] == [1] * 15 + [2]


def test_work_worth_threads_runs_on_one_thread_per_blas_thread_in_order(monkeypatch):
    fake = _FakeBlas(1, 2)  # e.g. numpy's BLAS limited to 1 thread, SciPy's to 2
    # Group 1 takes longest: groups 2 to 4 finish before it.
    computed, combined = _deal(
        monkeypatch, fake, 5, seconds=lambda g: 10 * SLOW if g.start == 1 else SLOW
    )
    assert len(set(computed.values())) == 2  # the caller and one worker
    assert threading.get_ident() in computed.values()
    assert combined == [0, 1, 2, 3, 4]  # added in their own order all the same
    # Every library single-threaded during the evaluation, then restored.
    assert fake.log == [1, 1, 1, 2]
    assert [lib.num_threads for lib in fake.lib_controllers] == [1, 2]


def test_little_work_stays_on_the_calling_thread(monkeypatch):
    """Groups that take less than a worker's hand-over are not worth a thread."""
    computed, combined = _deal(monkeypatch, _FakeBlas(2), 16, seconds=lambda g: 0.0)
    assert set(computed.values()) == {threading.get_ident()}
    assert combined == list(range(16))


def test_the_threads_used_follow_the_work(monkeypatch):
    """Four threads allowed: groups of just enough work for two get two threads."""
    minimum = _execution.MIN_SECONDS_PER_WORKER
    computed, _ = _deal(monkeypatch, _FakeBlas(4), 3, seconds=lambda g: 1.2 * minimum)
    assert len(set(computed.values())) == 2
    computed, _ = _deal(monkeypatch, _FakeBlas(4), 16, seconds=lambda g: SLOW)
    assert 2 <= len(set(computed.values())) <= 4


def test_no_more_threads_than_groups(monkeypatch):
    computed, combined = _deal(monkeypatch, _FakeBlas(4), 2)
    assert combined == [0, 1]
    assert set(computed.values()) == {threading.get_ident()}  # nothing left to share


@pytest.mark.parametrize("num_threads", [(1,), ()], ids=["one-thread", "no-blas-seen"])
def test_one_blas_thread_evaluates_in_sequence(monkeypatch, num_threads):
    computed, combined = _deal(monkeypatch, _FakeBlas(*num_threads), 4)
    assert set(computed.values()) == {threading.get_ident()}
    assert combined == [0, 1, 2, 3]


def test_the_worker_threads_are_started_once(monkeypatch):
    monkeypatch.setattr(_execution, "_worker_threads", _execution._WorkerThreads())
    workers = set()
    _deal(monkeypatch, _FakeBlas(2), 8)  # the pool's one thread exists from here on
    n_threads = threading.active_count()
    for _ in range(5):
        computed, _ = _deal(monkeypatch, _FakeBlas(2), 8)
        workers |= set(computed.values()) - {threading.get_ident()}
        assert threading.active_count() == n_threads
    assert len(workers) == 1  # the same worker thread each time


# A group's time: the rest of an evaluation of 6 groups is estimated at 22.5 times
# the minimum, worth two threads.
PACE = 4.5 * _execution.MIN_SECONDS_PER_WORKER


def _contended(group):
    """The caller's pace, and twenty times slower on any other thread (the cores
    busy with something else): two threads take over three times as long as one,
    far past any sleep's jitter."""
    return PACE if threading.current_thread() is threading.main_thread() else 20 * PACE


def test_threads_that_do_not_pay_are_left(monkeypatch):
    """Where the other threads are slow, after one evaluation on threads and one
    on the caller alone, the same work runs on the caller alone."""
    # one record for every evaluation here: a first group that slept longer must
    # not start a record of its own (a size tried on threads first)
    monkeypatch.setattr(
        _execution._ThreadPayoff, "_size_class", staticmethod(lambda s: 0)
    )
    used = [
        len(set(_deal(monkeypatch, _FakeBlas(2), 6, _contended)[0].values()))
        for _ in range(6)
    ]
    assert used == [2, 1, 1, 1, 1, 1]


def test_evaluations_that_could_not_use_threads_are_not_recorded(monkeypatch):
    """An evaluation allowed one thread (beside another thread's fit, or under
    ``threadpool_limits(1)``) is slowed by what runs beside it, or not comparable:
    it does not enter the record that solo evaluations are chosen by."""
    _deal(monkeypatch, _FakeBlas(2), 6)  # a solo evaluation: a record, on threads
    (record,) = _execution._thread_payoff.sizes.values()
    assert len(record.threaded) == 1 and not record.one_thread
    _deal(monkeypatch, _FakeBlas(1), 6)
    assert len(record.threaded) == 1 and not record.one_thread


def test_threads_are_used_where_evaluations_on_them_took_less():
    """The policy's own record, with the seconds given: per size of work, the
    recent evaluations on threads against those on one thread; the way not chosen
    tried again after EXPLORE_EVERY evaluations, then twice as many after each
    trial that changed nothing (up to EXPLORE_AT_MOST), so that a change is seen
    and a way that keeps losing costs ever less; sizes apart have records apart."""
    payoff = _execution._ThreadPayoff()
    work = 20 * _execution.MIN_SECONDS_PER_WORKER  # worth 20 threads at the minimum

    def evaluate(n_evaluations, seconds_on_threads):
        used = []
        for _ in range(n_evaluations):
            threaded = payoff.n_workers(work, most=2) >= 2
            payoff.observe(work, seconds_on_threads if threaded else 1.0, threaded)
            used.append(2 if threaded else 1)
        return used

    def one_thread_runs(used):
        runs = "".join(map(str, used)).split("2")
        return [len(run) for run in runs if run]

    # first on threads, then on one thread; as long on threads: one thread from
    # then on, but for trials of two evaluations on threads, ever further apart
    every, most = _execution.EXPLORE_EVERY, _execution.EXPLORE_AT_MOST
    gaps = [every, 2 * every, 4 * every, 8 * every, most, most]
    # the first, then per gap its one-thread run and a trial of two, then one more
    used = evaluate(1 + sum(gap + 1 for gap in gaps) + 1, seconds_on_threads=1.0)
    assert used[:2] == [2, 1]
    assert one_thread_runs(used) == [gap - 1 for gap in gaps] + [1]
    assert "".join(map(str, used)).count("22") == len(gaps)  # trials of two
    # the threads now take half as long: once tried again, they are kept, and
    # one thread is tried after EXPLORE_EVERY again
    used = evaluate(most + 2 * every, seconds_on_threads=0.5)
    assert used[-every:].count(1) <= 1
    # far larger work has its own record; too little work is never threaded
    assert payoff.n_workers(40 * work, most=2) == 2
    assert payoff.n_workers(1.5 * _execution.MIN_SECONDS_PER_WORKER, most=2) == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
# Python 3.12+ warns that forking a process with threads may deadlock: a forked
# child is what this test is about, and its child only evaluates and exits.
@pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded:DeprecationWarning"
)
def test_a_forked_child_starts_its_own_worker_threads(monkeypatch):
    """A child made by fork has none of its parent's threads: an evaluation there
    must not wait on a pool whose threads are gone."""
    # on threads whatever the policy learnt: the pool is what is tested
    monkeypatch.setattr(_execution._SizeRecord, "threaded_next", lambda self: True)
    _deal(monkeypatch, _FakeBlas(2), 8)  # the parent's pool exists
    pid = os.fork()
    if pid == 0:  # the child: evaluate, exit 0 if it worked
        try:
            computed, combined = _deal(monkeypatch, _FakeBlas(2), 8)
            ok = combined == list(range(8)) and len(set(computed.values())) == 2
        finally:
            os._exit(0 if ok else 1)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.01)
    os.kill(pid, 9)
    pytest.fail("the forked child's evaluation hung")


def test_an_evaluation_beside_another_thread_runs_in_sequence(monkeypatch):
    """Only an evaluation alone runs threaded: with another thread inside (a fit
    in its solver, another evaluation) it runs its groups in its own thread."""
    fake = _FakeBlas(2)
    monkeypatch.setattr(_execution, "_blas_controller", lambda: fake)
    inside, leave = threading.Event(), threading.Event()

    def other_fit():
        with _execution.blas_single_threaded() as allowed:
            assert allowed == 2  # alone when it entered
            inside.set()
            leave.wait()

    other = threading.Thread(target=other_fit)
    other.start()
    try:
        assert inside.wait(10)
        computed, combined = _deal(monkeypatch, fake, 4)
        with _execution.blas_single_threaded() as allowed:
            assert allowed == 1
    finally:
        leave.set()
        other.join()
    assert set(computed.values()) == {threading.get_ident()}
    assert combined == [0, 1, 2, 3]
    assert fake.log == [1, 2]  # set once by the first to enter, restored by the last


def _evaluate_failing(monkeypatch, fails):
    """Evaluate 16 groups of SLOW each, on two threads, where ``fails(group)``
    raises its exception; returns the groups started by the time the call ended,
    and those started a while after."""
    monkeypatch.setattr(_execution, "_blas_controller", lambda: _FakeBlas(2))
    started = []

    def new_worker():
        def compute(group):
            started.append(group.start)
            error = fails(group)
            if error is not None:
                raise error
            time.sleep(SLOW)

        return compute

    return started, new_worker


@pytest.mark.parametrize("where", ["worker", "caller"])
@pytest.mark.parametrize(
    "error", [MemoryError("no room for the scratch"), KeyboardInterrupt()]
)
def test_a_failure_on_any_thread_stops_every_thread_before_raising(
    monkeypatch, where, error
):
    """A worker's failure, or a failure or Ctrl-C in the caller's own groups, stops
    the others after their current group, reaches the caller, and nothing computes
    for the evaluation after the call has raised."""
    caller = threading.get_ident()

    def fails(group):
        on_caller = threading.get_ident() == caller
        if group.start >= 3 and on_caller == (where == "caller"):
            return error
        return None

    started, new_worker = _evaluate_failing(monkeypatch, fails)
    with pytest.raises(type(error)):
        _execution.evaluate_groups(new_worker, 16, lambda total, partial: None)
    when_raised = len(started)
    time.sleep(5 * SLOW)
    assert len(started) == when_raised < 16
