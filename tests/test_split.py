"""The early-stopping split's building blocks (``_split.py``) against references.

The split's behaviour is tested through ``fit`` in ``test_early_stopping.py``; here
are the contracts a fit cannot see: the mixing function is splitmix64's finaliser
(its published output), a user's sparse matrix is not modified, and the monitor
keeps its own float64 copy of the start. Found missing by mutation testing
(tests/MUTATION.md).
"""

import numpy as np
import pytest
from scipy import sparse

from sklearn_twolayer._solver import ValidationMonitor
from sklearn_twolayer._split import _mix, _row_fingerprints, weighted_stratified_split

GOLDEN_GAMMA = 0x9E3779B97F4A7C15


def test_mix_is_splitmix64s_finaliser():
    """splitmix64 (Steele, Lea and Flood, 2014) outputs mix(seed + k·γ): from seed
    1234567 its published first five outputs are these."""
    states = [(1234567 + k * GOLDEN_GAMMA) % 2**64 for k in range(1, 6)]
    mixed = _mix(np.array(states, dtype=np.uint64))
    assert mixed.tolist() == [
        6457827717110365317,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ]


def _csr_with_duplicates_and_stored_zeros():
    """A CSR matrix whose row 0 stores (0, 1) twice and row 2 an explicit zero."""
    data = np.array([1.0, 2.0, 0.5, 0.0, 3.0])
    indices = np.array([1, 1, 0, 2, 2])
    indptr = np.array([0, 2, 3, 5])
    return sparse.csr_matrix((data, indices, indptr), shape=(3, 3))


def test_the_fingerprint_leaves_the_users_sparse_matrix_as_it_was():
    X = _csr_with_duplicates_and_stored_zeros()
    before = (X.data.copy(), X.indices.copy(), X.indptr.copy())
    Y = np.array([[0.0], [1.0], [1.0]])
    fingerprints = _row_fingerprints(X, Y)
    for array, kept in zip((X.data, X.indices, X.indptr), before, strict=True):
        np.testing.assert_array_equal(array, kept)
    # Duplicates summed and stored zeros dropped: the fingerprints of the dense rows.
    np.testing.assert_array_equal(fingerprints, _row_fingerprints(X.toarray(), Y))
    with pytest.warns(UserWarning, match="holds out a share"):  # 3 rows: shared
        weighted_stratified_split(X, Y, None, 0.5, 0)
    np.testing.assert_array_equal(X.data, before[0])


def test_the_monitor_keeps_a_float64_copy_of_the_start():
    start = np.array([1.0, 2.0], dtype=np.float32)
    monitor = ValidationMonitor(lambda theta: float(theta.sum()), start, 3)
    start[:] = 0.0  # the caller reuses its buffer
    assert monitor.best_theta.dtype == np.float64
    np.testing.assert_array_equal(monitor.best_theta, [1.0, 2.0])
    assert monitor.best_loss == 3.0 and monitor.best_iteration == 0


def test_the_monitor_does_not_alias_a_float64_start_or_iterate():
    start = np.array([1.0, 2.0])
    monitor = ValidationMonitor(lambda theta: float(np.sum(theta**2)), start, 3)
    start[:] = 9.0
    np.testing.assert_array_equal(monitor.best_theta, [1.0, 2.0])
    iterate = np.array([0.5, 0.5])  # a solver's buffer, updated in place
    monitor(iterate)
    iterate[:] = 0.0  # the next iterate: not a repeat of the previous one
    monitor(iterate)
    np.testing.assert_array_equal(monitor.best_theta, [0.0, 0.0])
    assert monitor.curve == [0.5, 0.0] and monitor.best_iteration == 2
