"""
==========================================================
Choosing ``alpha`` along a path: the validation curve
==========================================================

:class:`~sklearn_twolayer.TwoLayerSigmoidClassifierCV` chooses the L2 strength
``alpha`` by cross-validation, as :class:`~sklearn.linear_model.LogisticRegressionCV`
chooses ``C``: in each fold the network is fitted at every alpha from the strongest to
the weakest, each fit starting from the previous alpha's solution, and scored on the
fold's validation rows. ``alpha_`` is the alpha of the best mean score, and the network
is then refitted on all the rows at ``alpha_``.

Here the whole path is fitted (``n_alphas_no_change=None``) to draw the validation
curve: the mean log-loss over the folds and its spread, with ``alpha_`` marked. By
default a fold's path ends at the first alpha that scores worse than the best so far,
which saves the weakest, most expensive fits; the alphas a path did not reach score
``-inf`` in ``scores_``.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifierCV

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

# %%
# The whole path, in every fold
# -----------------------------
model = make_pipeline(
    StandardScaler(),
    TwoLayerSigmoidClassifierCV(
        n_hidden=16,
        alphas=11,  # 10 down to 1e-4, half a decade apart
        cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=0),
        n_alphas_no_change=None,
        random_state=0,
    ),
)
model.fit(X_train, y_train)
cv = model[-1]
print(f"alpha_ = {cv.alpha_:.3g}")
print(
    "validation log-loss per fold at alpha_:",
    (-cv.scores_[:, cv.alphas_ == cv.alpha_]).ravel().round(3),
)
test_loss = log_loss(y_test, model.predict_proba(X_test))
print(f"test log-loss of the refitted network: {test_loss:.3f}")

# %%
# The validation curve
# --------------------
# Strong penalties underfit (the network is nearly linear and its weights small);
# weak ones let it fit the training folds closely and its probabilities grow
# overconfident on the validation rows. The band is one standard deviation of the
# folds' scores; the thin lines are the folds.
losses = -cv.scores_
mean, spread = losses.mean(axis=0), losses.std(axis=0)
fig, ax = plt.subplots(figsize=(6, 4))
for fold_losses in losses:
    ax.plot(cv.alphas_, fold_losses, color="tab:blue", alpha=0.25, linewidth=1)
ax.plot(cv.alphas_, mean, color="tab:blue", marker="o", label="mean over the folds")
ax.fill_between(cv.alphas_, mean - spread, mean + spread, color="tab:blue", alpha=0.2)
ax.axvline(
    cv.alpha_, color="tab:red", linestyle="--", label=f"alpha_ = {cv.alpha_:.3g}"
)
ax.set_xscale("log")
ax.set_xlabel("alpha (L2 strength)")
ax.set_ylabel("validation log-loss")
ax.set_title("TwoLayerSigmoidClassifierCV: validation curve over alpha")
ax.legend()
fig.tight_layout()

# %%
# The path with its early exit
# ----------------------------
# With the default ``n_alphas_no_change=1`` each fold stops at its first alpha that
# scores worse than its best so far; the choice is made among the alphas every fold
# reached: fewer solver iterations, here for the same ``alpha_``.
early = make_pipeline(
    StandardScaler(),
    TwoLayerSigmoidClassifierCV(
        n_hidden=16,
        cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=0),
        random_state=0,
    ),
).fit(X_train, y_train)[-1]
reached = np.isfinite(early.scores_).sum(axis=1)
print("alphas reached per fold:", reached, "of", len(early.alphas_))
print(f"alpha_ with the early exit = {early.alpha_:.3g}")
print(
    "solver iterations, whole path:",
    cv.path_n_iter_.sum(),
    "- early exit:",
    early.path_n_iter_[early.path_n_iter_ >= 0].sum(),
)
plt.show()
