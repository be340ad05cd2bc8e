"""The held-out split of early stopping: stratified, weighted, duplicates kept together.

A row of weight k must act as k copies of the row (the package's convention, checked
by scikit-learn's ``check_sample_weight_equivalence``). A split of rows cannot honour
that when it draws rows by position: the k copies would be split apart, and a
weighted row could not be. So the split draws *distinct rows* (groups of identical
features and targets) and measures the held-out fraction in weight:

1. rows of zero weight stay in training, where they change nothing;
2. identical rows form one group (found by a 64-bit fingerprint of the row's
   features and targets, vectorised), numbered in the sorted order of the
   fingerprints, which depends neither on the order of the rows nor on the sparse
   or dense format, with the sum of their weights;
3. groups are stratified by their row of 0/1 targets: the class for binary and
   one-hot multiclass targets, the label set for multilabel ones; strata holding a
   single group are pooled into one stratum;
4. ``random_state`` draws one random order of the groups; in each stratum the
   groups are taken in that order while the midpoint of their cumulative weight
   stays within ``validation_fraction`` of the stratum's weight, always leaving
   one group of the stratum for training.

Copies of a row therefore never sit on both sides, so the validation loss is never
computed on rows the solver trains on.
"""

import numpy as np
from scipy import sparse
from sklearn.utils import check_random_state


def _mix(bits):
    """splitmix64's finaliser, a bijection of uint64 that scatters every input bit.

    Without it the fingerprint below would be linear in the bits, and rows such as
    (a, b) and (−a, −b) (sign bits flipped in two columns) would collide.
    """
    bits = bits ^ (bits >> np.uint64(30))
    bits *= np.uint64(0xBF58476D1CE4E5B9)
    bits ^= bits >> np.uint64(27)
    bits *= np.uint64(0x94D049BB133111EB)
    return bits ^ (bits >> np.uint64(31))


def _as_bits(values):
    """Bit patterns of float values as uint64, with −0.0 turned into +0.0."""
    values = np.ascontiguousarray(values) + values.dtype.type(0.0)
    unsigned = np.uint32 if values.dtype.itemsize == 4 else np.uint64
    return values.view(unsigned).astype(np.uint64, copy=False)


def fingerprint_salts(n_columns):
    """The fixed salts of :func:`_row_fingerprints`, features' columns first.

    Fixed: they must not depend on ``random_state``, or a row's group would. The
    array-API backend computes the same fingerprints on its device with them.
    """
    return np.random.default_rng(20240601).integers(
        0, 2**63, size=n_columns, dtype=np.uint64
    )


def _row_fingerprints(X, Y, chunk_size=8192):
    """A 64-bit fingerprint of each row's features and targets.

    ``Σ_j mix(bits(x_j) XOR salt_j)`` over all columns, in wrapping uint64
    arithmetic, with fixed salts (they must not depend on ``random_state``, or a
    row's group would). Equal rows get equal fingerprints whatever their position
    and whether ``X`` is dense or sparse: for sparse rows the implicit zeros add
    their constant share and only the stored entries are visited. Two different
    rows share a fingerprint with probability about 2^-64, and would then only be
    kept on the same side of the split.
    """
    n_samples, n_features = X.shape
    salts = fingerprint_salts(n_features + Y.shape[1])
    zero_share = _mix(salts)  # mix(bits(0.0) XOR salt_j)
    with np.errstate(over="ignore"):
        fingerprints = _mix(_as_bits(Y.astype(X.dtype)) ^ salts[n_features:]).sum(
            axis=1, dtype=np.uint64
        )
        if not sparse.issparse(X):
            for start in range(0, n_samples, chunk_size):
                bits = _as_bits(X[start : start + chunk_size])
                fingerprints[start : start + chunk_size] += _mix(
                    bits ^ salts[:n_features]
                ).sum(axis=1, dtype=np.uint64)
            return fingerprints
        X = sparse.csr_matrix(X, copy=True)
        X.sum_duplicates()
        X.eliminate_zeros()
        fingerprints += zero_share[:n_features].sum(dtype=np.uint64)
        shares = _mix(_as_bits(X.data) ^ salts[X.indices])
        shares -= zero_share[X.indices]
        rows = np.repeat(np.arange(n_samples), np.diff(X.indptr))
        # np.add.at keeps uint64 wrapping (bincount would go through float64).
        np.add.at(fingerprints, rows, shares)
        return fingerprints


def _duplicate_groups(X, Y):
    """Group id per row, equal for rows with equal features and targets.

    Ids follow the sorted order of the rows' fingerprints, so they depend neither
    on the order of the rows nor on whether ``X`` is dense or sparse.
    """
    return np.unique(_row_fingerprints(X, Y), return_inverse=True)[1].ravel()


def weighted_stratified_split(X, Y, weights, validation_fraction, random_state):
    """Indices ``(train, held_out)`` of the early-stopping split (module docstring).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        0/1 target matrix (one-hot rows for multiclass targets). Rows are
        stratified by their pattern of 0/1 targets, which for one-hot rows is
        their class.
    weights : ndarray of shape (n_samples,) or None
        Sample times class weights; None means all 1.
    validation_fraction : float in (0, 1)
    random_state : int, RandomState instance or None

    Returns
    -------
    train, held_out : ndarray of int
        Sorted row indices. Both parts have positive total weight: ``held_out``
        holds only rows of positive weight and is never empty, and every stratum
        keeps a group of positive weight for training.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_twolayer._split import weighted_stratified_split
    >>> X = np.arange(20.0).reshape(-1, 1)
    >>> Y = (X >= 10).astype(float)  # two classes of 10 rows
    >>> train, held_out = weighted_stratified_split(X, Y, None, 0.2, 0)
    >>> held_out.size, int(Y[held_out].sum())  # 20% of each class
    (4, 2)
    """
    is_held_out = held_out_rows(
        _row_fingerprints(X, Y), Y, weights, validation_fraction, random_state
    )
    return np.flatnonzero(~is_held_out), np.flatnonzero(is_held_out)


def held_out_rows(fingerprints, Y, weights, validation_fraction, random_state):
    """Boolean mask of the held-out rows, from each row's fingerprint, targets, weight.

    The split of :func:`weighted_stratified_split` from what it needs per row: the
    fingerprint of the row (:func:`_row_fingerprints`, computable block by block
    where the rows live), its 0/1 target row and its weight (None: all 1). Backends
    whose rows are not in this process (Dask) gather these, never ``X``.
    """
    n_samples = Y.shape[0]
    weights = np.ones(n_samples) if weights is None else np.asarray(weights, float)
    positive = np.flatnonzero(weights > 0)
    group_of_row = np.unique(fingerprints[positive], return_inverse=True)[1].ravel()
    n_groups = int(group_of_row.max()) + 1 if group_of_row.size else 0
    if n_groups < 2:
        raise ValueError(
            "early_stopping=True needs at least 2 distinct samples of positive "
            f"weight to hold some out; got {n_groups}."
        )
    group_weight = np.bincount(
        group_of_row, weights=weights[positive], minlength=n_groups
    )
    a_row_of_group = np.empty(n_groups, dtype=np.intp)
    a_row_of_group[group_of_row] = positive
    group_targets = Y[a_row_of_group]
    strata = np.unique(group_targets, axis=0, return_inverse=True)[1].ravel()
    groups_per_stratum = np.bincount(strata)
    strata = np.where(groups_per_stratum[strata] == 1, -1, strata)  # pool singletons

    rank = check_random_state(random_state).permutation(n_groups)
    held_out_group = np.zeros(n_groups, dtype=bool)
    splittable = []
    for stratum in np.unique(strata):
        members = np.flatnonzero(strata == stratum)
        if members.size < 2:
            continue
        members = members[np.argsort(rank[members])]  # the random order
        splittable.append(members[0])
        cumulative = np.cumsum(group_weight[members])
        midpoints = cumulative - 0.5 * group_weight[members]
        chosen = midpoints <= validation_fraction * cumulative[-1]
        chosen[-1] = False  # the stratum keeps a group for training
        held_out_group[members[chosen]] = True
    if not held_out_group.any():
        # Too little weight for the fraction to reach a whole group anywhere: hold
        # out the first group, in the random order, of a stratum that can spare one.
        held_out_group[min(splittable, key=rank.__getitem__)] = True
    is_held_out = np.zeros(n_samples, dtype=bool)
    is_held_out[positive] = held_out_group[group_of_row]
    return is_held_out
