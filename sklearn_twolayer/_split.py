"""The held-out split of early stopping: stratified, weighted, duplicates kept together.

A row of weight k acts as k copies of the row (checked by scikit-learn's
``check_sample_weight_equivalence``), and a split by position would split copies
apart. So the split draws *distinct samples* (groups of identical features and
targets) and measures the held-out fraction in weight:

1. rows of zero weight stay in training, where they change nothing;
2. identical rows form one group, with the sum of their weights, found by a 64-bit
   fingerprint of the row and numbered in the fingerprints' sorted order, which
   depends neither on the rows' order nor on sparse or dense format;
3. groups are stratified by their row of 0/1 targets (the class; the label set for
   multilabel targets); strata of a single group are pooled into one stratum;
4. ``random_state`` draws one order of the groups; each stratum takes them in it
   while the midpoint of their cumulative weight stays within
   ``validation_fraction`` of the stratum's weight, skipping groups heavier than
   twice that (a sample with many copies must not keep the others out), always
   leaving one group for training and, in the pooled stratum, never taking the
   last training group of a class (of a label's 0 or 1): every class keeps
   training rows.

A stratum where no group can be held out whole (each too heavy, or the last of its
class) holds out ``validation_fraction`` of each group's weight instead (however
spread over copies), with a ``UserWarning``: the validation loss then measures the
fit to training samples. :func:`held_out_shares` gives each row's held-out share
of its weight: 1, 0 or shared.
"""

import warnings

import numpy as np
from scipy import sparse
from sklearn.utils import check_random_state


def _mix(bits):
    """splitmix64's finaliser, a uint64 bijection that scatters every input bit:
    without it the fingerprint would be linear in the bits, and rows such as (a, b)
    and (−a, −b) would collide."""
    bits = bits ^ (bits >> np.uint64(30))
    bits *= np.uint64(0xBF58476D1CE4E5B9)
    bits ^= bits >> np.uint64(27)
    bits *= np.uint64(0x94D049BB133111EB)
    return bits ^ (bits >> np.uint64(31))


def _as_bits(values):
    """Bit patterns of float values as uint64, with −0.0 turned into +0.0."""
    values = np.ascontiguousarray(values) + values.dtype.type(0.0)
    unsigned = np.uint32 if values.dtype.itemsize == 4 else np.uint64
    return values.view(unsigned).astype(np.uint64, copy=False)  # pragma: no mutate


def fingerprint_salts(n_columns):
    """The fixed salts of :func:`_row_fingerprints`, features' columns first (not
    from ``random_state``, or a row's group would depend on it); the array-API
    backend uses them too."""
    # Any fixed salts give the same groups (tests/MUTATION.md).
    rng = np.random.default_rng(20240601)  # pragma: no mutate
    high = 2**63  # pragma: no mutate
    return rng.integers(0, high, size=n_columns, dtype=np.uint64)  # pragma: no mutate


# Bytes per chunk of the fingerprint's uint64 temporaries, so memory does not grow
# with X (a fixed row count would make 130 MB chunks of a 2,000-column X).
_CHUNK_BYTES = 1 << 22


def _row_fingerprints(X, Y, chunk_bytes=_CHUNK_BYTES):
    """A 64-bit fingerprint of each row's features and targets.

    ``Σ_j mix(bits(x_j) XOR salt_j)`` in wrapping uint64, with
    :func:`fingerprint_salts`: equal rows, dense or sparse, get equal fingerprints
    (a sparse row's implicit zeros add a constant share). Two different rows
    collide with probability about 2^-64, and would then only share a side.
    """
    n_samples, n_features = X.shape
    salts = fingerprint_salts(n_features + Y.shape[1])
    zero_share = _mix(salts)  # mix(bits(0.0) XOR salt_j)
    # (Array arithmetic wraps silently; a NumPy scalar's would warn.)
    with np.errstate(over="ignore"):  # pragma: no mutate
        label_shares = _mix(_as_bits(Y.astype(X.dtype)) ^ salts[n_features:])
        fingerprints = label_shares.sum(axis=1, dtype=np.uint64)  # pragma: no mutate
        if not sparse.issparse(X):
            # Only the memory depends on the chunk size.
            row_bytes = 8 * max(1, n_features)  # pragma: no mutate
            chunk_size = max(1, chunk_bytes // row_bytes)  # pragma: no mutate
            for start in range(0, n_samples, chunk_size):
                bits = _as_bits(X[start : start + chunk_size])
                fingerprints[start : start + chunk_size] += _mix(
                    bits ^ salts[:n_features]
                ).sum(axis=1, dtype=np.uint64)  # pragma: no mutate
            return fingerprints
        X = sparse.csr_matrix(X, copy=True)
        X.sum_duplicates()
        X.eliminate_zeros()
        zero_total = zero_share[:n_features].sum(dtype=np.uint64)  # pragma: no mutate
        fingerprints += zero_total
        shares = _mix(_as_bits(X.data) ^ salts[X.indices])
        shares -= zero_share[X.indices]
        rows = np.repeat(np.arange(n_samples), np.diff(X.indptr))
        # np.add.at keeps uint64 wrapping (bincount would go through float64).
        np.add.at(fingerprints, rows, shares)
        return fingerprints


def _duplicate_groups(X, Y):
    """Group id per row, equal for rows with equal features and targets, in the
    sorted order of the fingerprints."""
    return np.unique(_row_fingerprints(X, Y), return_inverse=True)[1].ravel()


def weighted_stratified_split(X, Y, weights, validation_fraction, random_state):
    """Sorted row indices ``(train, held_out)`` of the early-stopping split.

    ``Y``: the 0/1 target matrix; ``weights``: sample times class weights (None:
    all 1). Rows of zero weight are in ``train``; a row is in both only when its
    weight is shared (:func:`held_out_shares`).
    """
    share = held_out_shares(
        _row_fingerprints(X, Y), Y, weights, validation_fraction, random_state
    )
    return np.flatnonzero(share < 1), np.flatnonzero(share > 0)


def part_weights(weights, share, dtype):
    """Each row's weight in training and held out, ``s (1 − share)`` and
    ``s share``, in ``dtype`` (``weights`` None: all 1)."""
    weights = np.ones(share.size, dtype) if weights is None else weights
    share = share.astype(dtype)
    return weights * (1 - share), weights * share


def held_out_shares(fingerprints, Y, weights, validation_fraction, random_state):
    """Each row's held-out share of its weight (float64): 1 (its group held out
    whole), ``validation_fraction`` (shared, with a ``UserWarning``) or 0.

    The split from what it needs per row (:func:`_row_fingerprints`, the 0/1 target
    row, the weight; None: all 1), so a backend whose rows live elsewhere (Dask)
    gathers these, never ``X``.
    """
    n_samples = Y.shape[0]
    weights = np.ones(n_samples) if weights is None else np.asarray(weights)
    positive = np.flatnonzero(weights > 0)
    group_of_row = np.unique(fingerprints[positive], return_inverse=True)[1].ravel()
    n_groups = int(group_of_row.max()) + 1 if group_of_row.size else 0
    if n_groups < 2:
        raise ValueError(
            "early_stopping=True needs at least 2 distinct samples of positive "
            f"weight to hold some out; got {n_groups}."
        )
    group_weight = np.bincount(group_of_row, weights=weights[positive])  # all occur
    a_row_of_group = np.empty(n_groups, dtype=np.intp)
    a_row_of_group[group_of_row] = positive
    group_targets = Y[a_row_of_group] != 0  # pragma: no mutate
    strata = np.unique(group_targets, axis=0, return_inverse=True)[1].ravel()
    pooled = np.bincount(strata)[strata] == 1
    strata[pooled] = -1  # target rows with a single distinct sample: one stratum

    rank = check_random_state(random_state).permutation(n_groups)
    guard = _ValuesLeft(group_targets)
    group_share = np.zeros(n_groups)
    n_strata, n_shared = 0, 0
    for stratum in np.unique(strata):
        members = np.flatnonzero(strata == stratum)
        members = members[np.argsort(rank[members])]  # the random order
        n_strata += 1
        # A stratum keeps a group of its target row for training, so only the
        # pooled stratum can take the last sample of a class or label value.
        target = validation_fraction * group_weight[members].sum()
        stratum_guard = guard if stratum == -1 else None  # pragma: no mutate
        chosen = _whole_groups(members, group_weight, target, stratum_guard)
        if chosen:
            group_share[chosen] = 1.0
        else:
            group_share[members] = validation_fraction
            n_shared += 1
    if n_shared:
        warnings.warn(
            "early_stopping=True holds out a share of training samples' weight in "
            f"{n_shared} of the {n_strata} strata of the split (classes; label "
            "sets for multilabel targets): no distinct sample there could be held "
            "out whole, each carrying more than twice "
            f"validation_fraction={validation_fraction} of its stratum's weight "
            "or being the last of its class, so each keeps "
            f"{1 - validation_fraction:.0%} of its weight for training and holds "
            "out the rest. The validation loss then measures the fit to training "
            "samples, not to new ones. Fit without early stopping, or with more "
            "distinct samples.",
            stacklevel=3,  # pragma: no mutate
        )
    share = np.zeros(n_samples)
    share[positive] = group_share[group_of_row]
    return share


def _whole_groups(members, group_weight, target, guard):
    """Groups held out whole, in ``members``' (random) order: while their
    cumulative weight's midpoint is within ``target``, skipping groups heavier than
    twice it, leaving one for training. ``guard`` (a :class:`_ValuesLeft`, or None)
    vetoes the last training group of a class."""
    weight = group_weight[members]
    light = weight <= 2.0 * target
    midpoints = np.cumsum(weight[light]) - 0.5 * weight[light]
    chosen = members[light][midpoints <= target][: members.size - 1]
    return [group for group in chosen if guard is None or guard.take(group)]


class _ValuesLeft:
    """Training groups per target value (1 or 0) of each column (a class, or a
    label's value): a group is held out only if each value it holds stays in
    another training group."""

    def __init__(self, group_targets):
        self.group_targets = group_targets
        self.ones = group_targets.sum(axis=0)
        self.zeros = group_targets.shape[0] - self.ones

    def take(self, group):
        """Whether ``group`` can be held out; if so, count it as held out."""
        values = self.group_targets[group]
        if np.any(np.where(values, self.ones, self.zeros) < 2):
            return False
        self.ones -= values
        self.zeros -= ~values
        return True
