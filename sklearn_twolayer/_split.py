"""The held-out split of early stopping: stratified, weighted, duplicates kept together.

A row of weight k must act as k copies of the row (the package's convention, checked
by scikit-learn's ``check_sample_weight_equivalence``). A split of rows cannot honour
that when it draws rows by position: the k copies would be split apart, and a
weighted row could not be. So the split draws *distinct samples* (groups of
identical features and targets) and measures the held-out fraction in weight:

1. rows of zero weight stay in training, where they change nothing;
2. identical rows form one group (found by a 64-bit fingerprint of the row's
   features and targets, vectorised, a few MB of rows at a time), numbered in the
   sorted order of the fingerprints, which depends neither on the order of the
   rows nor on the sparse or dense format, with the sum of their weights;
3. groups are stratified by their row of 0/1 targets: the class for binary and
   one-hot multiclass targets, the label set for multilabel ones; strata holding a
   single group are pooled into one stratum;
4. ``random_state`` draws one random order of the groups; in each stratum the
   groups are taken in that order while the midpoint of their cumulative weight
   stays within ``validation_fraction`` of the stratum's weight, skipping the
   groups heavier than twice that (one sample with many copies must not keep
   the others out), always leaving one group of the stratum for training and, in
   the pooled stratum, never taking the last training group of a class (of a
   label's 0 or 1 for multilabel targets): every class keeps training rows.

Copies of a row then never sit on both sides. A stratum where no group can be
held out whole (each too heavy, or the last of its class) holds out
``validation_fraction`` of each group's weight instead, so every distinct sample
stays in training, with a ``UserWarning``: the validation loss then measures the
fit to training samples. A share is of the group's weight, however it is spread
over copies, so a row of weight k still acts as k copies. The split is each row's
held-out share of its weight (:func:`held_out_shares`): 1 (held out), 0 (in
training) or shared.
"""

import warnings

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
    return values.view(unsigned).astype(np.uint64, copy=False)  # pragma: no mutate


def fingerprint_salts(n_columns):
    """The fixed salts of :func:`_row_fingerprints`, features' columns first.

    Fixed: they must not depend on ``random_state``, or a row's group would. The
    array-API backend computes the same fingerprints on its device with them.
    """
    # Any fixed salts give the same groups (tests/MUTATION.md).
    rng = np.random.default_rng(20240601)  # pragma: no mutate
    high = 2**63  # pragma: no mutate
    return rng.integers(0, high, size=n_columns, dtype=np.uint64)  # pragma: no mutate


# The fingerprint works on (rows, columns) uint64 arrays a few at a time: chunks of
# this many bytes, so its memory does not grow with X (a fixed count of rows
# would make a chunk of a 2,000-column X 130 MB per temporary).
_CHUNK_BYTES = 1 << 22


def _row_fingerprints(X, Y, chunk_bytes=_CHUNK_BYTES):
    """A 64-bit fingerprint of each row's features and targets.

    ``Σ_j mix(bits(x_j) XOR salt_j)`` over all columns, in wrapping uint64
    arithmetic, with :func:`fingerprint_salts`. Equal rows get equal fingerprints
    whatever their position and whether ``X`` is dense or sparse: for sparse rows
    the implicit zeros add their constant share and only the stored entries are
    visited. Two different rows share a fingerprint with probability about 2^-64,
    and would then only be kept on the same side of the split.
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
        Sorted row indices: the rows with a part of their weight in training
        (rows of zero weight included), and those with a part held out. A row is
        in both only when its weight is shared (see :func:`held_out_shares`,
        which gives the parts).

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
    share = held_out_shares(
        _row_fingerprints(X, Y), Y, weights, validation_fraction, random_state
    )
    return np.flatnonzero(share < 1), np.flatnonzero(share > 0)


def part_weights(weights, share, dtype):
    """Each row's weight in training and held out: ``s (1 − share)``, ``s share``.

    ``weights`` None means all 1; both parts are in ``dtype``, full length.
    """
    weights = np.ones(share.size, dtype) if weights is None else weights
    share = share.astype(dtype)
    return weights * (1 - share), weights * share


def held_out_shares(fingerprints, Y, weights, validation_fraction, random_state):
    """The share of each row's weight that is held out: 1, 0, or shared.

    The split of :func:`weighted_stratified_split` (the module docstring's rules)
    from what it needs per row: the fingerprint of the row
    (:func:`_row_fingerprints`, computable block by block where the rows live), its
    0/1 target row and its weight (None: all 1). Backends whose rows are not in
    this process (Dask) gather these, never ``X``. Returns a float64 vector: 1 for
    the rows of the groups held out whole, ``validation_fraction`` for the rows of
    shared groups (with a ``UserWarning``), 0 for the others.
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
    """Groups held out whole, in ``members``' (random) order.

    Those whose cumulative weight's midpoint stays within ``target``, skipping the
    groups heavier than twice the target (held out, their midpoint alone would
    exceed it: a sample with many copies must not keep the lighter ones out), and
    always leaving one group of the stratum for training. ``guard`` (a
    :class:`_ValuesLeft`, or None) vetoes a group that is the last of its class
    in training.
    """
    weight = group_weight[members]
    light = weight <= 2.0 * target
    midpoints = np.cumsum(weight[light]) - 0.5 * weight[light]
    chosen = members[light][midpoints <= target][: members.size - 1]
    return [group for group in chosen if guard is None or guard.take(group)]


class _ValuesLeft:
    """How many training groups hold each target value, 1 or 0, of each column.

    The classes of binary and multiclass targets and both values of each label of
    multilabel targets: a group is held out only if every value it holds stays in
    another training group.
    """

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
