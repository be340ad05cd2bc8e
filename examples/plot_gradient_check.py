"""
=======================
Verifying the gradients
=======================

The network is trained with analytic gradients, derived in the user guide
(eqs. 1.1–1.6). This example checks them two ways: the worked example of the
derivation's section 2.2.2, reproduced by
:func:`~sklearn_twolayer.sigmoid_unit_gradient`, and a comparison of the network's
gradient with central finite differences by :func:`~sklearn_twolayer.check_gradient`,
for every kind of target and weighting the estimator supports.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy import sparse
from sklearn.datasets import make_classification, make_multilabel_classification

from sklearn_twolayer import (
    TwoLayerSigmoidClassifier,
    check_gradient,
    sigmoid_unit_gradient,
)
from sklearn_twolayer.network import ParameterLayout, TwoLayerLoss

# %%
# Section 2.2.2: one sigmoid unit
# -------------------------------
# For :math:`f = \sigma(w^\top x)` with :math:`w = (2, -3, -3)` and
# :math:`x = (-1, -2, 1)`, the derivation finds :math:`w^\top x = 1` and
# :math:`\partial f/\partial x = (0.3932, -0.5898, -0.5898)`,
# :math:`\partial f/\partial w = (-0.1966, -0.3932, 0.1966)`.
# Finite differences of :math:`f` itself confirm the formulas.
w = np.array([2.0, -3.0, -3.0])
x = np.array([-1.0, -2.0, 1.0])
df_dx, df_dw = sigmoid_unit_gradient(w, x)


def f(w, x):
    return 1 / (1 + np.exp(-w @ x))


step = 1e-6
identity = np.eye(3)
numeric_dx = [(f(w, x + step * e) - f(w, x - step * e)) / (2 * step) for e in identity]
numeric_dw = [(f(w + step * e, x) - f(w - step * e, x)) / (2 * step) for e in identity]
print(f"w^T x = {w @ x:g}")
print(f"{'':>6} {'df/dx':>9} {'numeric':>9} {'df/dw':>9} {'numeric':>9}")
for i in range(3):
    analytic_row = f"{df_dx[i]:9.4f} {numeric_dx[i]:9.4f}"
    print(f"{i:>6} {analytic_row} {df_dw[i]:9.4f} {numeric_dw[i]:9.4f}")

# %%
# The network's gradient, for every kind of problem
# -------------------------------------------------
# :func:`~sklearn_twolayer.check_gradient` evaluates the objective that ``fit`` would
# minimise, at the estimator's random start, and returns
# :math:`\|g - \hat g\| / \max(\|g\|, \|\hat g\|)` between the analytic gradient
# :math:`g` and central differences :math:`\hat g` over every parameter. A correct
# gradient gives about :math:`10^{-9}`; a wrong term would give something of order 1.
X, y = make_classification(
    n_samples=60, n_features=5, n_informative=3, n_classes=3, random_state=0
)
y_binary = (y == 0).astype(int)
_, Y_multilabel = make_multilabel_classification(
    n_samples=60, n_features=5, n_classes=3, random_state=0
)
weights = np.random.default_rng(0).uniform(0, 3, size=len(y))

# Each case: (description, estimator parameters, X, y, sample_weight, n_outputs).
cases = [
    ("binary (one sigmoid output)", {}, X, y_binary, None, 1),
    ("multiclass (softmax output)", {}, X, y, None, 3),
    ("multilabel (3 sigmoid outputs)", {}, X, Y_multilabel, None, 3),
    ("binary, sample_weight", {}, X, y_binary, weights, 1),
    ("multiclass, balanced classes", {"class_weight": "balanced"}, X, y, None, 3),
    ("binary, alpha=1 (L2 term)", {"alpha": 1.0}, X, y_binary, None, 1),
    ("binary, sparse CSR input", {}, sparse.csr_matrix(X), y_binary, None, 1),
]
print(f"{'problem':<38} {'parameters':>10} {'relative error':>15}")
for name, params, X_case, y_case, sample_weight, n_outputs in cases:
    clf = TwoLayerSigmoidClassifier(n_hidden=4, **params)
    error = check_gradient(clf, X_case, y_case, sample_weight, random_state=0)
    n_parameters = ParameterLayout(5, 4, n_outputs).size
    print(f"{name:<38} {n_parameters:>10} {error:>15.1e}")

# %%
# Block by block
# --------------
# The same comparison with the loss object of :mod:`sklearn_twolayer.network`, split
# into the four blocks of the flat parameter vector, each the result of one equation.
layout = ParameterLayout(n_features=5, n_hidden=4, n_outputs=3)
loss = TwoLayerLoss(layout, output="softmax")
Y = np.eye(3)[y]
theta = np.random.default_rng(0).uniform(-0.5, 0.5, size=layout.size)
_, analytic = loss.loss_gradient(theta, X, Y, None, 1e-2)
numeric = np.empty_like(theta)
for i in range(theta.size):
    shift = np.zeros_like(theta)
    shift[i] = step
    numeric[i] = (
        loss.loss(theta + shift, X, Y, None, 1e-2)
        - loss.loss(theta - shift, X, Y, None, 1e-2)
    ) / (2 * step)
blocks = ["W1 (eq. 1.6)", "b1 (eq. 1.6)", "W2 (eq. 1.4)", "b2 (eq. 1.3)"]
print(f"{'block':<14} {'size':>5} {'max |analytic - numeric|':>25}")
for name, g, g_hat in zip(
    blocks, layout.unpack(analytic), layout.unpack(numeric), strict=True
):
    print(f"{name:<14} {g.size:>5} {np.abs(g - g_hat).max():>25.1e}")

# %%
# The finite-difference step
# --------------------------
# The agreement depends on the step :math:`\epsilon` of the differences: too large and
# the truncation error (of order :math:`\epsilon^2`) dominates, too small and
# rounding (of order :math:`10^{-16}/\epsilon`) does. The analytic gradient has
# neither error; the V-shaped curve below is the finite differences' own accuracy.
epsilons = np.logspace(-11, -1, 21)
clf = TwoLayerSigmoidClassifier(n_hidden=4)
errors = [check_gradient(clf, X, y, epsilon=eps, random_state=0) for eps in epsilons]
fig, ax = plt.subplots(figsize=(6, 4))
ax.loglog(epsilons, errors, marker="o")
ax.set_xlabel(r"finite-difference step $\epsilon$")
ax.set_ylabel("relative error vs the analytic gradient")
ax.set_title("check_gradient on a multiclass problem")
fig.tight_layout()
plt.show()
