"""
=========================================================
Sample and class weights on an imbalanced problem
=========================================================

When one class is rare, the unweighted cross-entropy is dominated by the common class
and the network can ignore the rare one. Weighting the rows changes the objective to

.. math::

   J = \\frac{\\sum_i s_i L_i + \\tfrac{\\alpha}{2}\\|W\\|^2}{\\sum_i s_i},

with :math:`s_i` the row's ``sample_weight`` times its ``class_weight``.
``class_weight="balanced"`` gives each class the same total weight. Because the data
term is a weighted sum, an integer weight :math:`k` on a row is the same as :math:`k`
copies of it.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_sample_weight

from sklearn_twolayer import TwoLayerSigmoidClassifier

X, y = make_classification(
    n_samples=1000,
    n_features=2,
    n_redundant=0,
    n_clusters_per_class=1,
    weights=[0.95, 0.05],
    class_sep=0.8,
    random_state=3,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
print("class counts in the training set:", np.bincount(y_train))

# %%
# Unweighted against balanced
# ---------------------------
settings = {"n_hidden": 8, "alpha": 1.0, "max_iter": 500, "random_state": 0}
models = {
    "unweighted": TwoLayerSigmoidClassifier(**settings),
    'class_weight="balanced"': TwoLayerSigmoidClassifier(
        class_weight="balanced", **settings
    ),
}
for name, model in models.items():
    model.fit(X_train, y_train)
    y_pred = model.predict(X_test)
    print(
        f"{name:<24} recall of the rare class {recall_score(y_test, y_pred):.2f}  "
        f"balanced accuracy {balanced_accuracy_score(y_test, y_pred):.2f}"
    )

fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
for ax, (name, model) in zip(axes, models.items(), strict=True):
    DecisionBoundaryDisplay.from_estimator(
        model, X, response_method="predict", cmap="coolwarm", alpha=0.3, ax=ax
    )
    ax.scatter(*X_train[y_train == 0].T, s=8, c="tab:blue", label="common class")
    ax.scatter(
        *X_train[y_train == 1].T, s=25, c="tab:red", edgecolor="k", label="rare class"
    )
    ax.set_title(name)
axes[0].legend(loc="upper left")
fig.tight_layout()
plt.show()

# %%
# Class weights are sample weights
# --------------------------------
# ``class_weight="balanced"`` multiplies each row's weight by
# ``n_samples / (n_classes * count(class))``. Passing those numbers as
# ``sample_weight`` instead fits the same objective, so the same network.
balanced = models['class_weight="balanced"']
as_sample_weight = TwoLayerSigmoidClassifier(**settings).fit(
    X_train, y_train, sample_weight=compute_sample_weight("balanced", y_train)
)
gap = np.abs(balanced.predict_proba(X_test) - as_sample_weight.predict_proba(X_test))
print(f"class_weight vs the same sample_weight: max |proba difference| {gap.max():.1e}")

# %%
# An integer weight is a repeated row
# -----------------------------------
# Weight 3 on every rare-class row, against a training set in which those rows appear
# three times. The two objectives are the same function of the parameters, so from the
# same start L-BFGS takes the same steps, up to rounding (the sums run over different
# numbers of terms). The objectives per iteration agree to the last digits. On a long
# run over a non-convex objective such last-digit differences can grow, so compare
# objectives rather than expect bit-identical weights.
weights = np.where(y_train == 1, 3, 1)
weighted = TwoLayerSigmoidClassifier(**settings).fit(
    X_train, y_train, sample_weight=weights
)
repeated = TwoLayerSigmoidClassifier(**settings).fit(
    np.repeat(X_train, weights, axis=0), np.repeat(y_train, weights)
)
n_common = min(len(weighted.loss_curve_), len(repeated.loss_curve_))
difference = np.abs(
    np.subtract(weighted.loss_curve_[:n_common], repeated.loss_curve_[:n_common])
)
for iteration in sorted({1, n_common // 2, n_common}):
    print(
        f"iteration {iteration:>4}: objective {weighted.loss_curve_[iteration - 1]:.6f}"
        f" (weighted), |difference| {difference[iteration - 1]:.1e}"
    )

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(np.arange(1, n_common + 1), np.maximum(difference, 1e-17))
ax.set_xlabel("L-BFGS iteration")
ax.set_ylabel("|J(weighted) - J(repeated rows)|")
ax.set_title("Weight 3 vs three copies of each rare row")
fig.tight_layout()
plt.show()
