"""
===========
Quick start
===========

Fit :class:`~sklearn_twolayer.TwoLayerSigmoidClassifierCV` on the breast-cancer data
that ships with scikit-learn, where you just want a good model: it chooses the L2
strength ``alpha`` by cross-validation. Then the plain
:class:`~sklearn_twolayer.TwoLayerSigmoidClassifier`, used like any scikit-learn
classifier: ``predict``, ``predict_proba``, ``decision_function`` and ``score``. The
fitted weights keep the names of the derivation (``W1_``, ``b1_``, ``W2_``, ``b2_``).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier, TwoLayerSigmoidClassifierCV

# %%
# A good model: alpha chosen by cross-validation
# ----------------------------------------------
# The network's sigmoid units saturate on large inputs, so the features are
# standardised first: the scaler and the network form one pipeline. The CV estimator
# fits, per fold, a warm-started path from strong to weak ``alpha`` (ended once the
# validation log-loss stops improving), then refits at the best ``alpha_``.
X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
good = make_pipeline(StandardScaler(), TwoLayerSigmoidClassifierCV(random_state=0))
good.fit(X_train, y_train)
print(f"alpha_ = {good[-1].alpha_:g} of {len(good[-1].alphas_)} alphas")
print(f"test accuracy: {np.mean(good.predict(X_test) == y_test):.3f}")

# %%
# The network itself
# ------------------
# With a given ``alpha`` (here a weak one, and 16 hidden units) the plain estimator
# fits once.
clf = make_pipeline(
    StandardScaler(), TwoLayerSigmoidClassifier(n_hidden=16, alpha=1e-2, random_state=0)
)
clf.fit(X_train, y_train)
net = clf[-1]
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")
print(f"L-BFGS iterations: {net.n_iter_}, final objective: {net.loss_:.5f}")
for name in ("W1_", "b1_", "W2_", "b2_"):
    print(f"{name} shape {getattr(net, name).shape}")

# %%
# Predictions, probabilities and logits
# -------------------------------------
# ``decision_function`` returns the output logit :math:`a^{(2)}`, and the probability of
# the positive class is :math:`\sigma(a^{(2)})`. Most test samples get a probability
# very close to 0 or 1; here are the five the network is least sure about.
least_sure = np.argsort(np.abs(clf.predict_proba(X_test)[:, 1] - 0.5))[:5]
proba = clf.predict_proba(X_test[least_sure])
logits = clf.decision_function(X_test[least_sure])
print("classes:", net.classes_)
print("true labels:", y_test[least_sure])
print("predict:    ", clf.predict(X_test[least_sure]))
print("predict_proba:\n", proba.round(4))
print("decision_function:", logits.round(3))
print("sigmoid(decision_function):", (1 / (1 + np.exp(-logits))).round(4))

# %%
# The same model as ``MLPClassifier``
# -----------------------------------
# The objective and the random start are those of
# ``MLPClassifier(activation="logistic", solver="lbfgs")``: from the same
# ``random_state`` the two follow the same L-BFGS path.
peer = make_pipeline(
    StandardScaler(),
    MLPClassifier(
        hidden_layer_sizes=(16,),
        activation="logistic",
        solver="lbfgs",
        alpha=1e-2,
        random_state=0,
    ),
).fit(X_train, y_train)
gap = np.abs(clf.predict_proba(X_test) - peer.predict_proba(X_test)).max()
print(f"iterations: ours {net.n_iter_}, MLPClassifier {peer[-1].n_iter_}")
print(f"largest difference in predict_proba: {gap:.1e}")

# %%
# How confident is the network?
# -----------------------------
# The predicted probability of the benign class (``classes_[1]``) on the test set,
# split by the true class.
p_benign = clf.predict_proba(X_test)[:, 1]
fig, ax = plt.subplots(figsize=(6, 3.5))
bins = np.linspace(0, 1, 21)
ax.hist(p_benign[y_test == 0], bins=bins, alpha=0.7, label="malignant (y = 0)")
ax.hist(p_benign[y_test == 1], bins=bins, alpha=0.7, label="benign (y = 1)")
ax.set_xlabel("predict_proba(X_test)[:, 1]")
ax.set_ylabel("test samples")
ax.set_title("Predicted probabilities on the test set")
ax.legend()
fig.tight_layout()
plt.show()
