"""
==========================
Multiclass and multilabel
==========================

The derivation's network has one sigmoid output. The estimator extends it in the two
ways scikit-learn users expect, without changing the back-propagation equations:

- **multiclass** targets (one label among :math:`K > 2`) get a softmax output, trained
  on the categorical cross-entropy, whose gradient at the logits is again
  :math:`h^{(2)} - y`;
- **multilabel** targets (any subset of :math:`K` labels, given as a 0/1 indicator
  matrix) get :math:`K` independent sigmoid outputs, one per label.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits, make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay, f1_score
from sklearn.model_selection import train_test_split
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier

# %%
# Multiclass: handwritten digits
# ------------------------------
# Ten classes, so ``out_activation_`` is ``"softmax"`` and ``W2_`` has ten rows;
# ``predict_proba`` rows sum to 1.
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
digits_clf = make_pipeline(
    StandardScaler(),
    TwoLayerSigmoidClassifier(n_hidden=32, alpha=1e-1, max_iter=300, random_state=0),
).fit(X_train, y_train)
net = digits_clf[-1]
print("out_activation_:", net.out_activation_, " W2_ shape:", net.W2_.shape)
print("predict_proba row sums:", digits_clf.predict_proba(X_test[:3]).sum(axis=1))
print(f"test accuracy: {digits_clf.score(X_test, y_test):.3f}")

ConfusionMatrixDisplay.from_estimator(digits_clf, X_test, y_test, colorbar=False)
plt.title("Digits, test set")
plt.show()

# %%
# Multilabel: several labels per sample
# -------------------------------------
# ``y`` is an indicator matrix. The network shares its hidden layer between the labels,
# where one logistic regression per label learns each separately.
X, Y = make_multilabel_classification(
    n_samples=600, n_features=20, n_classes=5, n_labels=2, random_state=0
)
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.3, random_state=0)
multilabel_clf = make_pipeline(
    StandardScaler(),
    TwoLayerSigmoidClassifier(n_hidden=16, alpha=1.0, max_iter=300, random_state=0),
).fit(X_train, Y_train)
per_label_lr = make_pipeline(
    StandardScaler(), MultiOutputClassifier(LogisticRegression())
).fit(X_train, Y_train)

print("predict returns an indicator matrix:\n", multilabel_clf.predict(X_test[:3]))
print("one probability per label:\n", multilabel_clf.predict_proba(X_test[:3]).round(2))

Y_pred_net = multilabel_clf.predict(X_test)
Y_pred_lr = per_label_lr.predict(X_test)
f1_net = f1_score(Y_test, Y_pred_net, average=None)
f1_lr = f1_score(Y_test, Y_pred_lr, average=None)
print(
    f"micro-F1: network {f1_score(Y_test, Y_pred_net, average='micro'):.3f}, "
    f"logistic regression per label {f1_score(Y_test, Y_pred_lr, average='micro'):.3f}"
)

labels = np.arange(Y.shape[1])
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.bar(labels - 0.2, f1_net, width=0.4, label="TwoLayerSigmoidClassifier")
ax.bar(labels + 0.2, f1_lr, width=0.4, label="one LogisticRegression per label")
ax.set_xticks(labels)
ax.set_xlabel("label")
ax.set_ylabel("F1 on the test set")
ax.set_ylim(0, 1)
ax.legend(loc="lower right")
ax.set_title("Multilabel: F1 per label")
fig.tight_layout()
plt.show()
