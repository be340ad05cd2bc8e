"""
====================================
Training curves and the effect of L2
====================================

After every L-BFGS iteration the objective is appended to ``loss_curve_``. This example
plots those curves for several strengths of the L2 penalty ``alpha``, then shows what
the penalty does to the fitted weights and to the accuracy on training and held-out
data.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# Fit one network per value of ``alpha``, from the same start (same
# ``random_state``), so that only the penalty differs.
alphas = np.logspace(-5, 1, 7)
nets = [
    TwoLayerSigmoidClassifier(
        n_hidden=32, alpha=alpha, max_iter=1000, random_state=0
    ).fit(X_train, y_train)
    for alpha in alphas
]
for alpha, net in zip(alphas, nets, strict=True):
    print(
        f"alpha={alpha:8.0e}  iterations={net.n_iter_:4d}  "
        f"final objective={net.loss_:.5f}  "
        f"train={net.score(X_train, y_train):.3f}  test={net.score(X_test, y_test):.3f}"
    )

# %%
# The objective per iteration
# ---------------------------
# The objective includes the penalty, :math:`\frac{\alpha}{2}\|W\|^2`, divided by the
# number of samples: a larger ``alpha`` ends higher, and stops sooner because the
# penalty makes the problem better conditioned.
fig, ax = plt.subplots(figsize=(6, 4))
colors = plt.cm.viridis(np.linspace(0, 0.9, len(alphas)))
for alpha, net, color in zip(alphas, nets, colors, strict=True):
    ax.plot(
        np.arange(1, len(net.loss_curve_) + 1),
        net.loss_curve_,
        color=color,
        label=f"alpha = {alpha:.0e}",
    )
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("L-BFGS iteration")
ax.set_ylabel("objective J (loss_curve_)")
ax.set_title("Training curves, n_hidden = 32")
ax.legend(fontsize="small")
fig.tight_layout()

# %%
# Weights and accuracy against ``alpha``
# --------------------------------------
# The penalty shrinks :math:`\|W^{(1)}\|^2 + \|W^{(2)}\|^2`. Without it the network
# fits the training set exactly; a moderate penalty costs a little training accuracy
# and can help on held-out data; a strong one underfits.
weight_norms = [np.sum(net.W1_**2) + np.sum(net.W2_**2) for net in nets]
train_scores = [net.score(X_train, y_train) for net in nets]
test_scores = [net.score(X_test, y_test) for net in nets]

fig, (ax_norm, ax_score) = plt.subplots(1, 2, figsize=(10, 4))
ax_norm.loglog(alphas, weight_norms, marker="o")
ax_norm.set_xlabel("alpha")
ax_norm.set_ylabel(r"$\|W^{(1)}\|^2 + \|W^{(2)}\|^2$")
ax_norm.set_title("Size of the fitted weights")
ax_score.semilogx(alphas, train_scores, marker="o", label="training set")
ax_score.semilogx(alphas, test_scores, marker="s", label="test set")
ax_score.set_xlabel("alpha")
ax_score.set_ylabel("accuracy")
ax_score.set_title("Accuracy")
ax_score.legend()
fig.tight_layout()
plt.show()
