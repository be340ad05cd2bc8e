"""
=====================================================
Decision boundaries: hidden units vs one sigmoid unit
=====================================================

Logistic regression is a single sigmoid unit, :math:`\\sigma(b + w^\\top x)` (the
unit of the derivation's section 2.2.2 with a bias): its decision boundary is a straight
line.
The hidden layer of :class:`~sklearn_twolayer.TwoLayerSigmoidClassifier` adds
``n_hidden`` learned features, each a sigmoid of a linear function of the input, and
the output unit combines them, so the boundary can bend. On two interleaved moons and
two concentric circles, a handful of hidden units is enough.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import make_circles, make_moons
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier

datasets = {
    "moons": make_moons(n_samples=300, noise=0.25, random_state=0),
    "circles": make_circles(n_samples=300, noise=0.1, factor=0.5, random_state=1),
}
models = {"LogisticRegression": LogisticRegression()}
for n_hidden in (1, 2, 4, 16):
    models[f"n_hidden = {n_hidden}"] = TwoLayerSigmoidClassifier(
        n_hidden=n_hidden, alpha=1e-2, max_iter=1000, random_state=0
    )

# %%
# Fit every model on both datasets and draw ``predict_proba`` of the second class,
# with the training points; the test accuracy is in the corner of each panel.
fig, axes = plt.subplots(
    len(datasets), len(models), figsize=(3 * len(models), 3 * len(datasets))
)
for row, (data_name, (X, y)) in enumerate(datasets.items()):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0
    )
    for col, (model_name, model) in enumerate(models.items()):
        clf = make_pipeline(StandardScaler(), model).fit(X_train, y_train)
        ax = axes[row, col]
        DecisionBoundaryDisplay.from_estimator(
            clf,
            X,
            response_method="predict_proba",
            cmap="RdBu",
            alpha=0.8,
            ax=ax,
            grid_resolution=100,
        )
        ax.scatter(
            X_train[:, 0], X_train[:, 1], c=y_train, cmap="RdBu", edgecolor="k", s=15
        )
        ax.text(
            0.97,
            0.03,
            f"{clf.score(X_test, y_test):.2f}",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=12,
            bbox={"facecolor": "white", "alpha": 0.8},
        )
        ax.set_xticks(())
        ax.set_yticks(())
        ax.set_xlabel("")
        ax.set_ylabel(data_name if col == 0 else "")
        if row == 0:
            ax.set_title(model_name)
fig.tight_layout()
plt.show()

# %%
# One hidden unit gives a boundary no more flexible than logistic regression's: the
# output is then a monotone function of one linear score. Two units can already carve
# a band, and a few more follow the moons and close the inner circle.
