"""
==========================================================
Tuning ``n_hidden`` and ``alpha`` with a pipeline and grid
==========================================================

:class:`~sklearn_twolayer.TwoLayerSigmoidClassifier` is a scikit-learn estimator, so it
goes into a :class:`~sklearn.pipeline.Pipeline` after a scaler and is tuned with
:class:`~sklearn.model_selection.GridSearchCV` like any other. Here the grid covers the
width of the hidden layer and the strength of the L2 penalty; the cross-validated scores
are plotted, and the best pipeline is evaluated once on held-out data.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import ConfusionMatrixDisplay, classification_report
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier

X, y = load_breast_cancer(return_X_y=True)
target_names = load_breast_cancer().target_names
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

# %%
# The pipeline and the grid
# -------------------------
# Parameters of a pipeline step are addressed as ``<step>__<parameter>``.
pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        ("net", TwoLayerSigmoidClassifier(max_iter=300, random_state=0)),
    ]
)
n_hidden_grid = [2, 8, 32]
alpha_grid = np.logspace(-4, 2, 4)
search = GridSearchCV(
    pipe,
    {"net__n_hidden": n_hidden_grid, "net__alpha": alpha_grid},
    cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
    scoring="accuracy",
)
search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"best cross-validated accuracy: {search.best_score_:.3f}")

# %%
# Cross-validated scores
# ----------------------
# A large ``alpha`` shrinks the weights until the network underfits; a small one lets
# a wide network fit the training folds closely. The bars are one standard deviation
# over the folds.
results = search.cv_results_
fig, ax = plt.subplots(figsize=(6, 4))
for n_hidden in n_hidden_grid:
    rows = np.flatnonzero(results["param_net__n_hidden"] == n_hidden)
    rows = rows[np.argsort(results["param_net__alpha"][rows].astype(float))]
    ax.errorbar(
        results["param_net__alpha"][rows].astype(float),
        results["mean_test_score"][rows],
        yerr=results["std_test_score"][rows],
        marker="o",
        capsize=3,
        label=f"n_hidden = {n_hidden}",
    )
ax.set_xscale("log")
ax.set_xlabel("alpha (L2 penalty)")
ax.set_ylabel("mean CV accuracy")
ax.set_title("GridSearchCV over n_hidden and alpha")
ax.legend()
fig.tight_layout()

# %%
# The best pipeline on the test set
# ---------------------------------
# ``GridSearchCV`` refits the best pipeline on the whole training set; the test set
# is used once, here.
y_pred = search.predict(X_test)
print(classification_report(y_test, y_pred, target_names=target_names, digits=3))
ConfusionMatrixDisplay.from_predictions(
    y_test, y_pred, display_labels=target_names, colorbar=False
)
plt.title("Best pipeline, test set")
plt.show()
