"""The mathematics of the two-layer sigmoid network, once, for any array namespace.

Each function transcribes an equation of the source document, cited by number, for
any array namespace ``xp`` (NumPy, torch, CuPy, array-api-strict), as scikit-learn's
``_linear_loss.py`` does, in place into NumPy scratch arrays (``out=``) where given.
No activation, loss, forward or backward pass is written elsewhere in the package.
:mod:`sklearn_twolayer._execution` runs the kernels over the rows;
:mod:`sklearn_twolayer._objective` adds the L2 term and normalises.

Notation (the document's)
-------------------------
``h0 = x``, ``h1 = σ(a1)`` with ``a1 = b1 + W1 x``, logits ``a2 = b2 + W2 h1``, and
``h2 = σ(a2)`` or ``softmax(a2)``; ``W1`` is ``(n_hidden, n_features)`` and ``W2``
``(n_outputs, n_hidden)``. Samples are rows: ``A1 = X W1ᵀ + b1`` and so on.

Flat parameter layout
---------------------
``theta = [W1.ravel(), b1, W2.ravel(), b2]`` (C order), of
``n_hidden * (n_features + 1) + n_outputs * (n_hidden + 1)`` entries;
:class:`ParameterLayout` packs and unpacks it without copying.
"""

from dataclasses import dataclass
from numbers import Integral

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.utils._array_api import (
    _is_numpy_namespace,
    _max_precision_float_dtype,
    get_namespace_and_device,
)

from . import _execution
from ._objective import (
    ArrayRows,
    HessianVectorProduct,
    Objective,
    add_penalty_and_normalize,
    add_penalty_and_normalize_product,
    check_weight_sum,
)
from ._sklearn_compat import move_to

__all__ = [
    "ParameterLayout",
    "TwoLayerLoss",
    "array_namespace",
    "hidden_sigmoid_",
    "log_sigmoid",
    "log_softmax",
    "sigmoid",
]


def _is_numpy(xp):
    """Whether ``xp`` is NumPy (None stands for NumPy): the in-place fast path."""
    return xp is None or xp is np or _is_numpy_namespace(xp)


def array_namespace(X):
    """``(xp, device)`` of X: NumPy itself (and None) for ndarrays and SciPy
    matrices, else X's array-API namespace (scikit-learn's, under dispatch)."""
    if isinstance(X, np.ndarray) or sparse.issparse(X):
        return np, None
    xp, _, device = get_namespace_and_device(X)
    return (np, None) if _is_numpy_namespace(xp) else (xp, device)


def widest_float(xp, device):
    """float64, or float32 on a device without it (Apple's MPS)."""
    if _is_numpy(xp):
        return np.float64
    return _max_precision_float_dtype(xp, device)


def _matmul(a, b, out=None):
    """``a @ b``, into ``out`` where given (a SciPy sparse ``a``'s dense product is
    copied there)."""
    if out is None:
        return a @ b
    if sparse.issparse(a):
        out[...] = a @ b
        return out
    return np.matmul(a, b, out=out)


# -- activations ----------------------------------------------------------------------
def sigmoid(z, out=None, xp=None):
    """Logistic function σ(z) = 1 / (1 + exp(-z)), to full relative precision.

    For output probabilities, whose small values matter (``predict_log_proba`` must
    agree with ``log(predict_proba)``), without overflow or warning. ``out`` (NumPy
    only, may be ``z``) receives the result; ``xp`` is z's namespace (None: NumPy).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_twolayer.network import sigmoid
    >>> sigmoid(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """
    if _is_numpy(xp):
        return expit(z, out=out) if out is not None else expit(z)
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _into(xp, name, *args, out=None, **kwargs):
    """``xp.name(*args)``, into ``out`` where given: only NumPy gets scratch arrays
    (scikit-learn's ``_modify_in_place_if_numpy``)."""
    function = getattr(xp, name)
    if out is None:
        return function(*args, **kwargs)
    return function(*args, out=out, **kwargs)


def _sigmoid_of_negated_(z, xp, scale=1.0):
    """``scale · σ(a) = scale / (1 + exp(z))`` from ``z = −a``, overwriting z where
    NumPy allows. An overflow of ``exp(z)`` to inf gives exactly 0: no warning."""
    numpy_out = z if xp is np else None
    with np.errstate(over="ignore"):  # array-api-strict computes with NumPy
        z = _into(xp, "exp", z, out=numpy_out)
    z += 1.0
    return _into(xp, "divide", scale, z, out=numpy_out)


def hidden_sigmoid_(z, xp=None):
    """σ(z) = 1 / (1 + exp(−z)) for the hidden layer, in place where NumPy allows.

    h1 never enters a logarithm: a few ulps of 1 suffice (outputs use :func:`sigmoid`).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_twolayer.network import hidden_sigmoid_
    >>> hidden_sigmoid_(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """
    xp = np if _is_numpy(xp) else xp
    return _sigmoid_of_negated_(_into(xp, "negative", z, out=_scratch(xp, z)), xp)


def _scratch(xp, array):
    """``array`` as the ``out`` of an operation that overwrites it: NumPy only."""
    return array if xp is np else None


def log_sigmoid(z, xp=None):
    """log σ(z) = -log(1 + exp(-z)) = −softplus(−z), from the logit.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_twolayer.network import log_sigmoid
    >>> log_sigmoid(np.array([-1e4, 0.0]))
    array([-1.00000000e+04, -6.93147181e-01])
    """
    xp = np if _is_numpy(xp) else xp
    return -_softplus(-xp.asarray(z), xp)


def log_softmax(A2, xp=None):
    """Row-wise log-softmax of the logits, ``a − max a − log S`` (log-sum-exp)."""
    xp = np if _is_numpy(xp) else xp
    shifted, _, total = _softmax_parts(A2, xp)
    shifted -= xp.log(total)
    return shifted


def output_proba(A2, output, xp=None):
    """h2 from the logits (eq. 1.2's output unit): σ(a2) per column, or softmax."""
    if output == "sigmoid":
        return sigmoid(A2, xp=xp)
    xp = np if _is_numpy(xp) else xp
    return xp.exp(log_softmax(A2, xp))


def log_output_proba(A2, output, xp=None):
    """log h2 from the logits (log-sigmoid or log-softmax), never as log(h2)."""
    if output == "sigmoid":
        return log_sigmoid(A2, xp)
    return log_softmax(A2, xp)


def per_sample_loss(A2, Y, output, xp=None):
    """Cross-entropy of each row from the logits (A2 unchanged). Sigmoid (eq. 1.1
    summed over outputs): ``log(1 + exp(s a))`` with ``s = 1 − 2y``. Softmax (one-hot
    rows): ``log Σ_k exp(a_k) − Σ_k y_k a_k``."""
    xp = np if _is_numpy(xp) else xp
    if output == "sigmoid":
        return _sigmoid_losses(_softplus(_signed_logits(A2, Y, xp)[1], xp), xp)
    shifted, _, total = _softmax_parts(A2, xp)
    return _softmax_losses(shifted, total, Y, xp)


def _loss_and_error(A2, Y, output, xp):
    """Each row's loss (eq. 1.1) and ``h2 − y`` (eq. 1.2) from the logits (overwritten
    where NumPy allows); ``h2 − y`` not as a difference, which keeps only h2's rounding
    near y: sigmoid ``s σ(v)`` (``v = s a``, ``s = 1 − 2y``); softmax
    ``(e ⊙ (1 − y) − y Σ_j (1 − y_j) e_j) / S``, ``e = exp(a − max a)``, ``S = Σ e``."""
    if output == "sigmoid":
        sign, signed = _signed_logits(A2, Y, xp, out=_scratch(xp, A2))
        losses = _sigmoid_losses(_softplus(signed, xp), xp)
        return losses, _sigmoid_error(sign, signed, xp)
    shifted, e, total = _softmax_parts(A2, xp)
    return _softmax_losses(shifted, total, Y, xp), _softmax_error(e, total, Y, xp)


def _sigmoid_error(sign, signed, xp):
    """``h2 − y = s σ(v)`` of sigmoid units from ``(s, v = s a)``
    (:func:`_signed_logits`; v is overwritten where NumPy allows)."""
    negated = _into(xp, "negative", signed, out=_scratch(xp, signed))
    return _sigmoid_of_negated_(negated, xp, sign)


def _softmax_error(e, total, Y, xp):
    """``h2 − y`` of a softmax, from ``e`` (overwritten) and ``S``."""
    e *= 1.0 - Y  # the other classes' terms, 0 in the true class's place
    G2 = e - Y * xp.sum(e, axis=1, keepdims=True)
    G2 /= total
    return G2


def _signed_logits(A2, Y, xp, out=None):
    """``(s, s a2)`` with ``s = 1 − 2y``, ±1 for 0/1 targets (both exact): a
    sigmoid unit's loss is ``log(1 + exp(s a))``, its ``h2 − y`` is ``s σ(s a)``."""
    sign = 1.0 - 2.0 * Y
    return sign, _into(xp, "multiply", A2, sign, out=out)


def _sigmoid_losses(per_entry, xp):
    """Each row's loss, the sum of its outputs' (one output: the column itself)."""
    if per_entry.shape[1] == 1:  # a sum of one term is the term: no reduction
        return per_entry[:, 0]
    return xp.sum(per_entry, axis=1)


def _softmax_parts(A2, xp):
    """``(a − max a, e = exp(a − max a), S = Σ e)`` of each row: no overflow."""
    shifted = A2 - xp.max(A2, axis=1, keepdims=True)
    e = xp.exp(shifted)
    return shifted, e, xp.sum(e, axis=1, keepdims=True)


def _softmax_losses(shifted, total, Y, xp):
    """``log S − Σ_k y_k (a_k − max a)``: the cross-entropy of one-hot rows."""
    return xp.log(total[:, 0]) - xp.sum(Y * shifted, axis=1)


def _softplus(v, xp):
    """log(1 + exp(v)) as ``max(v, 0) + log1p(exp(−|v|))``: no overflow, and a
    confidently right row (``v ≪ 0``) keeps its small loss to full precision."""
    small = xp.abs(v)
    inplace = _scratch(xp, small)
    small = _into(xp, "negative", small, out=inplace)
    small = _into(xp, "exp", small, out=inplace)  # in (0, 1]
    small = _into(xp, "log1p", small, out=inplace)
    result = xp.maximum(v, xp.zeros_like(v))
    result += small
    return result


def _sum_in_float64(values, xp):
    """Σ of a vector in float64 (a device's widest float): a Python float for NumPy,
    else a one-element array on the device."""
    if _is_numpy(xp):
        return float(values.sum(dtype=np.float64))
    if values.dtype != xp.float64:  # the device is asked only when it must be
        values = xp.astype(values, _max_precision_float_dtype(xp, values.device))
    return xp.reshape(xp.sum(values), (1,))


# -- the forward pass (eqs. 1.1-1.2) ---------------------------------------------------
def hidden_layer(X, W1, b1, xp=None, out=None):
    """h1 = σ(b1 + W1 x) for every row of X, into ``out``: σ from ``−a1 = −b1 − W1 x``
    (:func:`_sigmoid_of_negated_`), formed in the pass that adds the bias."""
    xp = np if _is_numpy(xp) else xp
    negated = _matmul(X, W1.T, out)
    negated = _into(xp, "subtract", -b1, negated, out=_scratch(xp, negated))
    return _sigmoid_of_negated_(negated, xp)


def output_logits(H1, W2, b2, out=None):
    """a2 = b2 + W2 h1 for every row (the output unit's pre-activation)."""
    A2 = _matmul(H1, W2.T, out)
    A2 += b2
    return A2


def forward(weights, X, xp, H1=None):
    """The forward pass over one block of rows, ``(h1, a2)`` (eqs. 1.1-1.2), h1 into
    ``H1`` where given; h2 is left to :func:`output_proba` and :func:`output_error`."""
    W1, b1, W2, b2 = weights
    H1 = hidden_layer(X, W1, b1, xp, H1)
    return H1, output_logits(H1, W2, b2)


# -- the network's Jacobian, both ways -------------------------------------------------
def _slope(H1, xp, out=None):
    """h1(1 − h1) = σ'(a1) (eq. 1.2's σ' = σ(1 − σ)), into ``out``; never divided by."""
    slope = _into(xp, "subtract", 1.0, H1, out=out)
    slope *= H1
    return slope


def _through_hidden_(G2, W2, slope, out=None):
    """eqs. 1.5-1.6: ``∇a1 = W2ᵀ g2 ⊙ h1(1 − h1)`` of each row, overwriting ``slope``
    (h1(1 − h1)); ``out`` is NumPy's scratch for ``g2 W2``. One output's outer product
    is two broadcast products: BLAS is slow at an inner dimension of 1."""
    if W2.shape[0] == 1:
        slope *= W2
        slope *= G2
    else:
        slope *= _matmul(G2, W2, out)
    return slope


def output_jacobian(A2, H2, output, xp):
    """The output unit's Jacobian ``J_h2(a2)`` per row, from the logits and ``H2 = h2``:
    sigmoid, ``σ'(a2) = h2(1 − h2)`` as ``h2 σ(−a2)`` (eq. 1.2's σ'), precise where an
    output saturates (``1 − h2`` would cancel); softmax, whose Jacobian is
    ``diag(h2) − h2 h2ᵀ``, ``h2``. :func:`output_jvp_` multiplies by it."""
    if output == "sigmoid":
        slope = sigmoid(-A2, xp=xp)
        slope *= H2
        return slope
    return H2


def output_jvp_(jacobian, R, output, xp):
    """``J_h2(a2) R`` (:func:`output_jacobian`) into ``R``, ``(rows, n_outputs)`` or
    ``(rows, n_outputs, m)``: sigmoid ``σ'(a2) ⊙ R``, softmax ``h2 ⊙ (R − h2ᵀ R)``; the
    Hessian product's R{h2} and the input gradient's ∂h2/∂x."""
    if R.ndim == 3:
        jacobian = xp.expand_dims(jacobian, axis=2)
    if output == "softmax":
        R -= xp.sum(jacobian * R, axis=1, keepdims=True)
    R *= jacobian
    return R


# -- eqs. 1.1-1.6 on one block of rows -------------------------------------------------
def _arrays(scratch, n_rows, n_arrays):
    """NumPy's ``n_arrays`` scratch arrays of ``n_rows`` rows, or Nones
    (``scratch``: an :class:`~sklearn_twolayer._execution.BlockScratch`)."""
    return [None] * n_arrays if scratch is None else scratch.take(n_rows)[:n_arrays]


def _input_transposed_product(G, X, out=None):
    """Gᵀ x summed over the rows: ``G.T @ X`` (through ``(X.T @ G).T`` if sparse)."""
    if sparse.issparse(X):
        product = (X.T @ G).T
        if out is None:
            return product
        out[...] = product
        return out
    return _matmul(G.T, X, out)


def _part(scratch, index):
    """Where NumPy's block sums of parameter block ``index`` go, or None."""
    return None if scratch is None else scratch.parts[index]


def _sums(G1, G2, X, W2_block, xp, scratch, hidden_factor=None):
    """The block's sums in :class:`ParameterLayout` order from ∇a1 (G1) and ∇a2 (G2):
    ``∇W1 = Σ_i g1 h0ᵀ`` and ``∇b1 = Σ_i g1`` (eq. 1.6, times ``hidden_factor`` per
    unit where given), the W2 block as given (eq. 1.4) and ``∇b2 = Σ_i g2`` (eq. 1.3),
    into NumPy's scratch vector (overwritten by the next block)."""
    ones = None if scratch is None else scratch.ones[: X.shape[0]]
    parts = [
        _input_transposed_product(G1, X, _part(scratch, 0)),
        _column_sums(G1, xp, ones, _part(scratch, 1)),
        W2_block,
        _column_sums(G2, xp, ones, _part(scratch, 3)),
    ]
    if hidden_factor is not None:
        parts[0] *= hidden_factor[:, None]
        parts[1] *= hidden_factor
    if scratch is not None:
        return scratch.vector
    return xp.concat([xp.reshape(part, (-1,)) for part in parts])


def _column_sums(G, xp, ones=None, out=None):
    """Σ_i G_i as the product ``1ᵀ G``: one BLAS call, where a reduction down the rows
    of a C array loops per row."""
    return _matmul(xp.ones_like(G[:, 0]) if ones is None else ones, G, out)


def _weighted(G, s):
    """Each row of G times its sample weight (None: all 1)."""
    if s is not None:
        G *= s[:, None]
    return G


def _weighted_sum(losses, s, xp):
    """Σ s_i loss_i over the block, in float64."""
    if s is not None:
        losses *= s
    return _sum_in_float64(losses, xp)


def loss_gradient_block(layout, output, weights, X, Y, s, xp=None, scratch=None):
    """Σ s_i loss_i over one block of rows and its exact gradient (eqs. 1.1-1.6).

    Back-propagation through the document's equations, all rows at once:

    - eqs. 1.2 / 1.3: ``∇a2 J = ∇b2 J = h2 − y`` (softmax with cross-entropy too),
      from the logits (:func:`_loss_and_error`), not eq. 1.1's division by h2(1 − h2);
    - eq. 1.4: ``∇W2 J = (h2 − y) h1ᵀ``; eq. 1.5: ``∇h1 J = W2ᵀ (h2 − y)``;
    - eq. 1.6: ``∇b1 J = g1 = W2ᵀ(h2 − y) ⊙ h1(1 − h1)``, ``∇W1 J = g1 h0ᵀ``, h0 = x.

    ``weights``: ``(W1, b1, W2, b2)`` in X's namespace and dtype; ``s``: None for all 1;
    ``xp``: None for NumPy, whose ``scratch`` (BlockScratch) receives the gradient until
    the next block. Returns a Python float (on a device a one-element float64 array)
    and the gradient, of shape ``(layout.size,)``.
    """
    xp = np if _is_numpy(xp) else xp
    H1, buffer = _arrays(scratch, X.shape[0], 2)
    H1, A2 = forward(weights, X, xp, H1)
    losses, G2 = _loss_and_error(A2, Y, output, xp)  # eq. 1.1; eq. 1.2: h2 − y
    data_loss, G2 = _weighted_sum(losses, s, xp), _weighted(G2, s)
    W2_block = _matmul(G2.T, H1, _part(scratch, 2))  # eq. 1.4: Σ_i g2 h1ᵀ
    slope, W2 = _slope(H1, xp, buffer), weights[2]
    if layout.n_outputs > 1:
        G1 = _through_hidden_(G2, W2, slope, _scratch(xp, H1))
        return data_loss, _sums(G1, G2, X, W2_block, xp, scratch)
    # One output: ∇a1 J = W2 ⊙ g2 h1(1 − h1), whose W2, one number per hidden
    # unit, multiplies the unit's sums over the rows instead of each row.
    slope *= G2
    return data_loss, _sums(slope, G2, X, W2_block, xp, scratch, W2[0, :])


def output_error(A2, Y, output, xp=None):
    """``h2 − y`` (eq. 1.2) for 0/1 targets, from logits not read again
    (:func:`_loss_and_error`)."""
    xp = np if _is_numpy(xp) else xp
    if output == "sigmoid":
        return _sigmoid_error(*_signed_logits(A2, Y, xp, out=_scratch(xp, A2)), xp)
    e, total = _softmax_parts(A2, xp)[1:]  # a − max a is not kept
    return _softmax_error(e, total, Y, xp)


def data_loss_block(layout, output, weights, X, Y, s, xp=None, scratch=None):
    """Σ s_i loss_i over one block of rows (eq. 1.1), summed in float64."""
    xp = np if _is_numpy(xp) else xp
    (H1,) = _arrays(scratch, X.shape[0], 1)
    _, A2 = forward(weights, X, xp, H1)
    return _weighted_sum(per_sample_loss(A2, Y, output, xp), s, xp)


def hessian_point_block(output, weights, X, Y, s, xp=None, out=None):
    """What every Hessian product at theta reads of one block: ``(h1, h1(1 − h1), J_h2,
    g2)``, the forward pass (eqs. 1.1-1.2), the hidden σ' (eq. 1.2), the output Jacobian
    (:func:`output_jacobian`) and ``g2 = s ⊙ (h2 − y)`` (eq. 1.2). NumPy's ``out``: two
    scratch arrays for h1 and h1(1 − h1)."""
    xp = np if _is_numpy(xp) else xp
    H1, slope = (None, None) if out is None else out
    H1, A2 = forward(weights, X, xp, H1)
    slope = _slope(H1, xp, slope)
    jacobian = output_jacobian(A2, output_proba(A2, output, xp), output, xp)
    G2 = _weighted(output_error(A2, Y, output, xp), s)  # a2 not read again
    return H1, slope, jacobian, G2


def kept_hessian_point(points, key, output, weights, X, Y, s, xp=None):
    """The block's :func:`hessian_point_block`, kept in the dict ``points`` under
    ``key`` from its first use (computed into the pair of arrays kept there, if any);
    None where ``points`` is None."""
    if points is None:
        return None
    point = points.get(key)
    if point is None or len(point) == 2:  # not computed at this theta yet
        point = points[key] = hessian_point_block(output, weights, X, Y, s, xp, point)
    return point


def hessian_product_block(
    layout, output, weights, direction, X, Y, s, xp=None, scratch=None, point=None
):
    """Σ_i s_i H_i v over one block of rows: the exact Hessian-vector product.

    Pearlmutter's R-operator ``R{·} = d/dr (·)(theta + r v) at r = 0``, per sample,
    with ``(V1, c1, V2, c2) = R{(W1, b1, W2, b2)}`` (v laid out like theta), x, y
    constant, ``g2 = h2 − y``, ``g1 = W2ᵀ g2 ⊙ h1(1 − h1)``; a forward and a backward
    pass from the block's ``point`` (:func:`hessian_point_block`, given and unmodified
    or computed into NumPy's scratch), with no finite differences nor Hessian matrix::

        R{a1} = V1 x + c1,  R{h1} = h1(1 − h1) ⊙ R{a1}              (σ', eq. 1.2)
        R{a2} = V2 h1 + W2 R{h1} + c2,  R{h2} = J_h2(a2) R{a2}      (output_jvp_)
        R{∇b2 J} = R{g2} = R{h2}                                    (eqs. 1.2, 1.3)
        R{∇W2 J} = R{g2} h1ᵀ + g2 R{h1}ᵀ                            (eq. 1.4)
        R{∇h1 J} = V2ᵀ g2 + W2ᵀ R{g2}                               (eq. 1.5)
        R{∇b1 J} = R{g1} = R{∇h1 J} ⊙ h1(1 − h1) + W2ᵀ g2 ⊙ R{h1(1 − h1)}  (eq. 1.6)
        R{h1(1 − h1)} = (1 − 2 h1) ⊙ R{h1},  R{∇W1 J} = R{g1} xᵀ

    Each sample weighted by ``s_i``; parameters as :func:`loss_gradient_block`, with
    ``direction = (V1, c1, V2, c2)``; returns an array ``(layout.size,)``. NumPy's
    scratch: three arrays (four for several outputs), two for the point if not given.
    """
    xp = np if _is_numpy(xp) else xp
    W2 = weights[2]
    V1, c1, V2, c2 = direction
    arrays = iter(_arrays(scratch, X.shape[0], 4))
    RH1 = next(arrays, None)
    if point is None:
        point = hessian_point_block(
            output, weights, X, Y, s, xp, (next(arrays, None), next(arrays, None))
        )
        factor = _scratch(xp, point[0])  # h1 is not read after R{a2} and eq. 1.4
    else:
        factor = next(arrays, None)
    H1, slope, jacobian, G2 = point
    back = next(arrays, None) if layout.n_outputs > 1 else None
    # Forward R-pass.
    RH1 = _matmul(X, V1.T, RH1)  # R{a1} = V1 x + c1
    RH1 += c1
    RH1 *= slope  # R{h1} = h1(1 − h1) ⊙ R{a1}
    RA2 = H1 @ V2.T  # R{a2} = V2 h1 + W2 R{h1} + c2
    RA2 += RH1 @ W2.T
    RA2 += c2
    RG2 = _weighted(output_jvp_(jacobian, RA2, output, xp), s)  # R{g2} = R{h2}
    # Backward R-pass.
    H_W2 = _matmul(RG2.T, H1, _part(scratch, 2))  # R{g2} h1ᵀ + g2 R{h1}ᵀ
    H_W2 += G2.T @ RH1
    factor = _into(xp, "multiply", H1, -2.0, out=factor)  # 1 − 2 h1
    factor += 1.0
    RH1 *= factor
    RH1 = _through_hidden_(G2, W2, RH1, back)  # W2ᵀ g2 ⊙ (1 − 2 h1) ⊙ R{h1}
    # R{∇h1 J} ⊙ h1(1 − h1), with R{∇h1 J} = [g2, R{g2}] [V2; W2] as one product.
    RG1 = _matmul(
        xp.concat([G2, RG2], axis=1), xp.concat([V2, W2]), _scratch(xp, factor)
    )
    RG1 *= slope
    RG1 += RH1  # R{g1}
    return _sums(RG1, RG2, X, H_W2, xp, scratch)


def input_gradient_block(
    layout, output, weights, X, proba, xp=None, out=None, scratch=None
):
    """∂(logits or outputs)/∂x of each row of one block (2.2.2 through the network,
    derived in :meth:`TwoLayerLoss.input_gradient`): ``(rows, n_outputs, n_features)``,
    into ``out`` where given; NumPy's ``scratch``: two ``(rows, n_hidden)`` arrays."""
    xp = np if _is_numpy(xp) else xp
    W1, _, W2, _ = weights
    H1, buffer = _arrays(scratch, X.shape[0], 2)
    H1, A2 = forward(weights, X, xp, H1)
    slope = _slope(H1, xp, buffer)  # h1(1 − h1), 2.2.2's σ'
    columns = []
    for k in range(layout.n_outputs):
        # ∂a2_k/∂x = (h1(1 − h1) ⊙ W2[k]) W1, one row per sample; into h1's array.
        row = _into(xp, "multiply", slope, W2[k, :], out=_scratch(xp, H1))
        columns.append(_matmul(row, W1, None if out is None else out[:, k, :]))
    G = out if out is not None else xp.stack(columns, axis=1)
    if not proba:
        return G
    jacobian = output_jacobian(A2, output_proba(A2, output, xp), output, xp)
    return output_jvp_(jacobian, G, output, xp)


# -- the parameters -------------------------------------------------------------------
@dataclass(frozen=True)
class ParameterLayout:
    """Where ``W1``, ``b1``, ``W2`` and ``b2`` live inside the flat vector ``theta``.

    Each size must be a positive int (a NumPy integer is kept as the Python int).

    Parameters
    ----------
    n_features : int
        Width of the input ``x = h0``.
    n_hidden : int
        Number of hidden sigmoid units (rows of ``W1``).
    n_outputs : int
        Number of output units (rows of ``W2``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_twolayer.network import ParameterLayout
    >>> layout = ParameterLayout(n_features=3, n_hidden=2, n_outputs=1)
    >>> layout.size
    11
    >>> W1, b1, W2, b2 = layout.unpack(np.arange(11.0))
    >>> W1.shape, b1.shape, W2.shape, b2.shape
    ((2, 3), (2,), (1, 2), (1,))
    >>> np.array_equal(layout.pack(W1, b1, W2, b2), np.arange(11.0))
    True
    """

    n_features: int
    n_hidden: int
    n_outputs: int

    def __post_init__(self):
        for name in ("n_features", "n_hidden", "n_outputs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Integral):
                raise TypeError(
                    f"{name} must be a positive int, got {value!r} of type "
                    f"{type(value).__name__}."
                )
            if value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}.")
            object.__setattr__(self, name, int(value))  # frozen: set once, here

    @property
    def shapes(self):
        """The shapes of ``(W1, b1, W2, b2)``: the document's, not ``MLPClassifier``'s.

        ``MLPClassifier.coefs_`` holds the transposes of ``W1`` and ``W2``.
        """
        h, d, k = self.n_hidden, self.n_features, self.n_outputs
        return (h, d), (h,), (k, h), (k,)

    @property
    def _ends(self):
        h, d, k = self.n_hidden, self.n_features, self.n_outputs
        end_W1 = h * d
        end_b1 = end_W1 + h
        end_W2 = end_b1 + k * h
        return end_W1, end_b1, end_W2, end_W2 + k

    @property
    def size(self):
        """Length of the flat parameter vector."""
        return self._ends[-1]

    def unpack(self, theta, xp=None):
        """Views ``(W1, b1, W2, b2)`` into ``theta``, in its namespace: no copy, except
        of a NumPy ``theta`` not aligned to its item size."""
        end_W1, end_b1, end_W2, end_b2 = self._ends
        shape = getattr(theta, "shape", None)
        if shape is None or tuple(shape) != (end_b2,):
            given = type(theta).__name__ if shape is None else tuple(shape)
            raise ValueError(
                f"theta must have shape ({end_b2},) for {self}, got {given}."
            )
        shapes = ((self.n_hidden, self.n_features), (self.n_outputs, self.n_hidden))
        if _is_numpy(xp):
            if not theta.flags.aligned:
                # A theta unpickled from a Dask message can start at any byte, and
                # NumPy's scalar loops (SIMD skips unaligned arrays) round otherwise.
                theta = theta.copy()
            W1, W2 = (
                theta[:end_W1].reshape(shapes[0]),
                theta[end_b1:end_W2].reshape(shapes[1]),
            )
        else:
            W1 = xp.reshape(theta[:end_W1], shapes[0])
            W2 = xp.reshape(theta[end_b1:end_W2], shapes[1])
        return W1, theta[end_W1:end_b1], W2, theta[end_W2:end_b2]

    def pack(self, W1, b1, W2, b2, dtype=None):
        """Concatenate the four arrays into a new flat vector.

        Each must have exactly its shape of :attr:`shapes`: a transposed ``W1`` (the
        layout of ``MLPClassifier.coefs_[0]``) is refused, a square one is the caller's.
        """
        parts = (W1, b1, W2, b2)
        for name, part, shape in zip(
            ("W1", "b1", "W2", "b2"), parts, self.shapes, strict=True
        ):
            given = np.shape(part)
            if given != shape:
                transposed = len(shape) == 2 and given == shape[::-1]
                raise ValueError(
                    f"Shapes of W1, b1, W2, b2 do not match {self}: {name} has "
                    f"shape {given}, expected {shape}"
                    + (
                        f", its transpose (MLPClassifier's "
                        f"coefs_[{int(name[1]) - 1}] is {name}.T)."
                        if transposed
                        else "."
                    )
                )
        return np.concatenate([np.ravel(part) for part in parts], dtype=dtype)


# -- the network over all rows of X ----------------------------------------------------
class TwoLayerLoss:
    """Loss and exact gradient of the document's two-layer sigmoid network.

    Like scikit-learn's ``LinearModelLoss``, it holds no data and no fitted state; it
    runs this module's block kernels over all rows of ``X`` for a flat ``theta``
    (:class:`ParameterLayout`), on worker threads in a fixed order
    (:mod:`sklearn_twolayer._execution`). The forward pass, logits and input gradient
    also take rows on an array-API device (``theta`` moves to them). The objective,
    ``MLPClassifier``'s L-BFGS objective, is::

        J(theta) = [Σ_i s_i · loss_i + ½ · l2_reg_strength · (‖W1‖² + ‖W2‖²)] / Σ_i s_i

    with sample weights ``s_i`` and ``loss_i`` the binary cross-entropy summed over the
    sigmoid outputs (eq. 1.1) or a softmax's categorical cross-entropy; biases are not
    penalised. Shapes are checked, values are not (0/1 ``Y`` and non-negative weights
    are the estimator's to validate); weights summing to 0, J's divisor, are refused.

    Parameters
    ----------
    layout : ParameterLayout
        Sizes of the network.
    output : {"sigmoid", "softmax"}
        ``"sigmoid"``: an independent sigmoid unit per output column (binary or
        multilabel; the document's network). ``"softmax"``: one softmax (multiclass).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(5, 3)), rng.integers(0, 2, size=(5, 1)).astype(float)
    >>> loss = TwoLayerLoss(ParameterLayout(3, 4, 1), output="sigmoid")
    >>> theta = rng.normal(size=loss.layout.size)
    >>> value, grad = loss.loss_gradient(theta, X, Y, l2_reg_strength=1e-4)
    >>> grad.shape == theta.shape
    True
    """

    def __init__(self, layout, output="sigmoid"):
        if output not in ("sigmoid", "softmax"):
            raise ValueError(f"output must be 'sigmoid' or 'softmax', got {output!r}.")
        if not isinstance(layout, ParameterLayout):
            raise TypeError(f"layout must be a ParameterLayout, got {layout!r}.")
        self.layout = layout
        self.output = output

    def __repr__(self):
        return f"TwoLayerLoss({self.layout}, output={self.output!r})"

    # -- the public methods' checks, of shapes (the block kernels check nothing) ----
    def _check_rows(self, X, Y=None, sample_weight=None, *, with_targets=False):
        """X of ``n_features`` columns; with ``with_targets`` the 0/1 targets of one
        row and one column per output unit, and one weight per row (or None)."""
        layout = self.layout
        shape = getattr(X, "shape", None)
        if shape is None or len(shape) != 2 or shape[1] != layout.n_features:
            given = type(X).__name__ if shape is None else f"shape {tuple(shape)}"
            raise ValueError(
                f"X must be a 2-D array of shape (n_samples, {layout.n_features}) "
                f"for {layout}, got {given}."
            )
        if not with_targets:
            return
        expected = (shape[0], layout.n_outputs)
        if np.shape(Y) != expected:
            raise ValueError(
                f"Y must be the 0/1 target matrix of shape {expected}, a row per "
                "row of X and a column per output unit (one column for a binary "
                f"target), got shape {np.shape(Y)}."
            )
        if sample_weight is not None and np.shape(sample_weight) != (shape[0],):
            raise ValueError(
                f"sample_weight must have shape ({shape[0]},), a weight per row of "
                f"X, got shape {np.shape(sample_weight)}."
            )

    def _check_logits(self, A2):
        shape = getattr(A2, "shape", None)
        if shape is None or len(shape) != 2 or shape[1] != self.layout.n_outputs:
            given = type(A2).__name__ if shape is None else f"shape {tuple(shape)}"
            raise ValueError(
                "A2 must be the logits, of shape (n_samples, "
                f"{self.layout.n_outputs}), got {given}."
            )

    def _weights(self, theta, X):
        """``(xp, device, (W1, b1, W2, b2))``: theta in X's namespace and dtype (a host
        theta crosses to X's device once)."""
        self._check_rows(X)
        xp, device = array_namespace(X)
        if xp is np:
            return np, None, self.layout.unpack(np.asarray(theta))
        theta = np.asarray(theta) if isinstance(theta, np.ndarray) else theta
        if isinstance(theta, np.ndarray):
            host_dtype = np.float32 if X.dtype == xp.float32 else np.float64
            theta = move_to(theta.astype(host_dtype, copy=False), xp=xp, device=device)
        return xp, device, self.layout.unpack(theta, xp)

    def _map_rows(self, rows_function, X, xp, device, dtype, row_shape, **options):
        """``rows_function(X_rows, scratch, out)`` over X's rows, by
        :func:`~sklearn_twolayer._execution.map_rows`: ``(n_samples, *row_shape)`` in
        ``dtype`` (``new_scratch`` defaults to a ``(rows, n_hidden)`` array for h1)."""
        n_hidden = self.layout.n_hidden
        if "new_scratch" not in options:
            options["new_scratch"] = lambda rows: np.empty((rows, n_hidden), dtype)
        return _execution.map_rows(
            rows_function,
            X,
            xp,
            device,
            row_shape=row_shape,
            dtype=dtype,
            n_hidden=n_hidden,
            widest=max(self.layout.n_features, self.layout.n_outputs),
            **options,
        )

    # -- forward pass ------------------------------------------------------------
    def hidden(self, theta, X):
        """h1 = σ(b1 + W1 x) for every row of X, shape ``(n_samples, n_hidden)``.

        In the dtype of ``theta`` (of X on a device) and X's namespace, block by block.
        """
        xp, device, (W1, b1, _, _) = self._weights(theta, X)

        def rows_hidden(X, _, out):
            return hidden_layer(X, W1, b1, xp, out)

        # h1 is computed into `out`, its rows of the result: no scratch needed.
        return self._map_rows(
            rows_hidden,
            X,
            xp,
            device,
            W1.dtype,
            (self.layout.n_hidden,),
            new_scratch=lambda _: None,
        )

    def logits(self, theta, X):
        """Output logits a2 = b2 + W2 h1, shape ``(n_samples, n_outputs)``.

        Block by block, so h1 is never held for all rows (but for a CSC matrix), in X's
        namespace and on its device.
        """
        xp, device, (W1, b1, W2, b2) = self._weights(theta, X)

        def rows_logits(X, H1, out):
            H1 = None if H1 is None else H1[: X.shape[0]]
            return output_logits(hidden_layer(X, W1, b1, xp, H1), W2, b2, out=out)

        return self._map_rows(
            rows_logits, X, xp, device, W1.dtype, (self.layout.n_outputs,)
        )

    # -- sensitivity to the input (section 2.2.2 through the network) -------------
    def input_gradient(self, theta, X, output="logit"):
        """Exact derivative of each output with respect to each input feature.

        Section 2.2.2 gives one unit's ``df/dx = σ'(wᵀx) w`` for ``f = σ(wᵀx)``, with
        ``σ' = σ(1 − σ)``. By the chain rule through the network, for one sample ``x``:

        - ``∂h1/∂x = diag(h1 ⊙ (1 − h1)) W1`` (2.2.2 per hidden unit, bias constant);
        - ``∂a2/∂x = W2 diag(h1 ⊙ (1 − h1)) W1`` (as ``a2 = b2 + W2 h1``, eq. 1.5),
          whose row k is ``(h1(1 − h1) ⊙ W2[k]) W1``;
        - sigmoid outputs: ``∂h2_k/∂x = h2_k (1 − h2_k) ∂a2_k/∂x`` (eq. 1.2's σ',
          taken as ``h2_k σ(−a2_k)``, precise where an output saturates);
        - a softmax, of Jacobian ``diag(h2) − h2 h2ᵀ``:
          ``∂h2_k/∂x = h2_k (∂a2_k/∂x − Σ_l h2_l ∂a2_l/∂x)``.

        Block by block, never ``n_samples · n_hidden · n_features`` numbers beside the
        result (a CSC matrix is converted to CSR once).

        Parameters
        ----------
        theta : ndarray of shape (layout.size,)
            Flat parameters; its dtype is the dtype of the computation.
        X : {ndarray, sparse matrix, array-API array} of shape (n_samples, n_features)
        output : {"logit", "proba"}, default="logit"
            ``"logit"``: ``∂a2/∂x``. ``"proba"``: ``∂h2/∂x``.

        Returns
        -------
        array of shape (n_samples, n_outputs, n_features), dtype of ``theta``
            Entry ``[i, k, j]``: the derivative of sample i's output k by its feature j.

        Examples
        --------
        Section 2.2.2's worked example through a network with one hidden unit
        ``W1 = wᵀ``, no biases and ``W2 = [[1]]``, whose logit is ``a2 = h1 = f``:

        >>> import numpy as np
        >>> from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss
        >>> loss = TwoLayerLoss(ParameterLayout(n_features=3, n_hidden=1, n_outputs=1))
        >>> theta = loss.layout.pack([[2.0, -3.0, -3.0]], [0.0], [[1.0]], [0.0])
        >>> loss.input_gradient(theta, np.array([[-1.0, -2.0, 1.0]])).round(4)
        array([[[ 0.3932, -0.5898, -0.5898]]])
        """
        if output not in ("logit", "proba"):
            raise ValueError(f"output must be 'logit' or 'proba', got {output!r}.")
        layout, proba = self.layout, output == "proba"
        xp, device, weights = self._weights(theta, X)
        dtype = weights[0].dtype

        def rows_gradient(X, scratch, out):
            return input_gradient_block(
                layout, self.output, weights, X, proba, xp, out, scratch
            )

        return self._map_rows(
            rows_gradient,
            X,
            xp,
            device,
            dtype,
            (layout.n_outputs, layout.n_features),
            new_scratch=lambda rows: _execution.BlockScratch(rows, layout, dtype, 2),
            numbers_per_row=layout.n_hidden * layout.n_features,
            csc_to_csr=True,
        )

    # -- outputs from the logits ----------------------------------------------------
    def output_proba(self, A2):
        """h2 from the logits: σ(a2) per column, or the row-wise softmax."""
        self._check_logits(A2)
        return output_proba(A2, self.output, array_namespace(A2)[0])

    def log_output_proba(self, A2):
        """log h2 from the logits (log-sigmoid or log-softmax), never as log(h2)."""
        self._check_logits(A2)
        return log_output_proba(A2, self.output, array_namespace(A2)[0])

    # -- sums over the rows -----------------------------------------------------------
    def _sum_blocks(self, block_sums, theta, X, Y, sample_weight, n_arrays):
        """Σ over the blocks of X's rows of ``block_sums(weights, block, X, Y, s,
        scratch) -> (value, vector)`` (``block``: the rows' slice), in theta's dtype
        (:func:`~sklearn_twolayer._execution.sum_over_row_blocks`)."""
        self._check_rows(X, Y, sample_weight, with_targets=True)
        weights = self.layout.unpack(theta)
        return _execution.sum_over_row_blocks(
            lambda *rows: block_sums(weights, *rows),
            X,
            (Y, sample_weight),
            layout=self.layout,
            dtype=theta.dtype,
            n_arrays=n_arrays,
        )

    def data_loss(self, theta, X, Y, sample_weight=None):
        """Σ_i s_i · loss_i (eq. 1.1 per row), summed in float64, as a Python float.

        The rows' part of the objective, unnormalised and without the L2 term, so that
        sums over blocks add up (early stopping's held-out loss divides it by Σ s_i).
        """
        layout, output = self.layout, self.output

        def block_sums(weights, block, X, Y, s, scratch):
            loss = data_loss_block(layout, output, weights, X, Y, s, np, scratch)
            return loss, _execution.NO_VECTOR

        return self._sum_blocks(block_sums, theta, X, Y, sample_weight, 1)[0]

    def data_loss_gradient(self, theta, X, Y, sample_weight=None):
        """Σ_i s_i · loss_i and its exact gradient, unnormalised as :meth:`data_loss`.

        Returns
        -------
        data_loss : float
            Σ_i s_i · loss_i (s_i = 1 when ``sample_weight`` is None).
        gradient : ndarray of shape (layout.size,), same dtype as ``theta``
        """
        layout, output = self.layout, self.output

        def block_sums(weights, block, X, Y, s, scratch):
            return loss_gradient_block(layout, output, weights, X, Y, s, np, scratch)

        return self._sum_blocks(block_sums, theta, X, Y, sample_weight, 2)

    def data_hessian_product(self, theta, v, X, Y, sample_weight=None, *, points=None):
        """``Σ_i s_i H_i v``: the rows' part of the Hessian-vector product.

        Blocked like the gradient (:func:`hessian_product_block`), in theta's dtype
        (``v`` is cast: SciPy hands float64). ``points``, a dict, keeps each block's
        :func:`hessian_point_block` between calls at this theta (a pair of arrays in a
        block's place is where to compute it); None recomputes them, to the same bits.
        """
        layout, output = self.layout, self.output
        direction = layout.unpack(np.asarray(v, dtype=theta.dtype))

        def block_sums(weights, block, X, Y, s, scratch):
            point = kept_hessian_point(points, block.start, output, weights, X, Y, s)
            return 0.0, hessian_product_block(
                layout, output, weights, direction, X, Y, s, np, scratch, point
            )

        n_arrays = (3 if layout.n_outputs > 1 else 2) + (points is None)
        return self._sum_blocks(block_sums, theta, X, Y, sample_weight, n_arrays)[1]

    def data_gradient_hessian_product(self, theta, X, Y, sample_weight=None):
        """Σ_i s_i loss_i, its gradient, and ``hessp(v) = Σ_i s_i H_i v``.

        The rows' part of :meth:`gradient_hessian_product`, as :meth:`data_loss`;
        ``hessp``, in theta's dtype, is a picklable :class:`HessianVectorProduct`.
        """
        data_loss, gradient = self.data_loss_gradient(theta, X, Y, sample_weight)
        return (
            data_loss,
            gradient,
            HessianVectorProduct(self, theta, X, Y, sample_weight),
        )

    # -- the objective (sklearn_twolayer._objective's composition) ---------------
    def _objective(self, X, Y, sample_weight, l2_reg_strength):
        self._check_rows(X, Y, sample_weight, with_targets=True)
        return Objective(ArrayRows(self, X, Y, sample_weight), l2_reg_strength)

    def loss(self, theta, X, Y, sample_weight=None, l2_reg_strength=0.0):
        """The objective J(theta) (class docstring), as a Python float.

        Parameters
        ----------
        theta : ndarray of shape (layout.size,)
            Flat parameters; its dtype is the dtype of the computation.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_outputs)
            0/1 target matrix (one-hot rows for softmax).
        sample_weight : ndarray of shape (n_samples,), optional
        l2_reg_strength : float, default=0
        """
        return self._objective(X, Y, sample_weight, l2_reg_strength).loss(theta)

    def loss_gradient(self, theta, X, Y, sample_weight=None, l2_reg_strength=0.0):
        """The objective J(theta) and its exact gradient with respect to ``theta``.

        :meth:`data_loss_gradient` with the L2 term, divided by Σ s_i, as ``fit`` does
        (:class:`~sklearn_twolayer._objective.Objective`). Parameters as :meth:`loss`.

        Returns
        -------
        loss : float
        gradient : ndarray of shape (layout.size,), same dtype as ``theta``
        """
        objective = self._objective(X, Y, sample_weight, l2_reg_strength)
        return objective.loss_gradient(theta)

    def add_penalty_and_normalize(
        self, theta, data_loss, data_gradient, sw_sum, l2_reg_strength
    ):
        """(Σ s_i loss_i + ½ α ‖W‖²) / Σ s_i and its gradient, from the data sums.

        ``data_gradient`` is updated in place and returned
        (:func:`~sklearn_twolayer._objective.add_penalty_and_normalize`).
        """
        check_weight_sum(sw_sum)
        return add_penalty_and_normalize(
            self.layout, theta, data_loss, data_gradient, sw_sum, l2_reg_strength
        )

    def add_penalty_and_normalize_product(self, v, data_product, sw_sum, l2_reg):
        """(Σ_i s_i H_i v + l2_reg · (V1, 0, V2, 0)) / Σ s_i, from the data product."""
        check_weight_sum(sw_sum)
        return add_penalty_and_normalize_product(
            self.layout, v, data_product, sw_sum, l2_reg
        )

    def gradient_hessian_product(
        self, theta, X, Y, sample_weight=None, l2_reg_strength=0.0
    ):
        """J(theta), its gradient, and a function computing exact products H v.

        ``H`` is the Hessian of J at ``theta``: :func:`hessian_product_block`, plus
        ``l2_reg_strength · (V1, 0, V2, 0)``, over ``Σ_i s_i``. Parameters as
        :meth:`loss`.

        Returns
        -------
        loss : float
            J(theta), as :meth:`loss_gradient` returns it.
        gradient : ndarray of shape (layout.size,), same dtype as ``theta``
        hessp : callable
            ``hessp(v) -> H v``, an ndarray of shape (layout.size,) in theta's dtype: a
            forward and a backward pass over the rows, of three products with ``X``,
            two once the forward pass at ``theta`` is kept (within working_memory).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss
        >>> rng = np.random.default_rng(0)
        >>> X, Y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=(6, 2)) * 1.0
        >>> loss = TwoLayerLoss(ParameterLayout(3, 4, 2), output="sigmoid")
        >>> theta, v = rng.normal(size=(2, loss.layout.size))
        >>> value, grad, hessp = loss.gradient_hessian_product(theta, X, Y)
        >>> epsilon = 1e-6  # central differences of the analytic gradient
        >>> _, grad_plus = loss.loss_gradient(theta + epsilon * v, X, Y)
        >>> _, grad_minus = loss.loss_gradient(theta - epsilon * v, X, Y)
        >>> numeric = (grad_plus - grad_minus) / (2 * epsilon)
        >>> bool(np.allclose(hessp(v), numeric, rtol=1e-6, atol=1e-8))
        True
        """
        objective = self._objective(X, Y, sample_weight, l2_reg_strength)
        return objective.loss_gradient_hessp(theta)
