"""
====================
Which pixels decide?
====================

:meth:`~sklearn_twolayer.TwoLayerSigmoidClassifier.input_gradient` returns, for every
sample, the exact derivative of the predicted probabilities with respect to each input
feature: section 2.2.2's :math:`\\partial f/\\partial x` for one sigmoid unit, carried
through the fitted network by the chain rule (derived in the user guide). It is closed
form and costs about two forward passes: no finite differences, no sampling.

Two uses: saliency maps on the handwritten digits, and a ranking of the breast-cancer
features set beside scikit-learn's
:func:`~sklearn.inspection.permutation_importance`.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier

# %%
# Digits: the mean gradient of each class's probability
# -----------------------------------------------------
# The 8x8 images are scaled to [0, 1] so that a gradient is per unit of ink. For
# every image of class :math:`c` we take :math:`\partial P(c \mid x)/\partial x`, the
# gradient of the probability of its own class, and average it over the class. Red
# pixels raise the probability of the class when inked, blue pixels lower it: the
# network looks for ink where the digit has it and for *blank* where other digits
# would put ink (ink in the centre of a 0 lowers its probability most).
digits = load_digits()
X_digits = digits.data / 16.0
y_digits = digits.target
# A loose tolerance: the saliency maps need a good model, not the last digits of
# the optimum (about 50 L-BFGS iterations instead of 200).
digit_clf = TwoLayerSigmoidClassifier(n_hidden=16, alpha=1.0, tol=1e-3, random_state=0)
digit_clf.fit(X_digits, y_digits)
print(f"digits: training accuracy {digit_clf.score(X_digits, y_digits):.3f}")

gradient = digit_clf.input_gradient(X_digits)  # (n_samples, n_classes, 64)
print("input_gradient shape:", gradient.shape)

fig, axes = plt.subplots(2, 10, figsize=(12, 3))
for c in range(10):
    rows = y_digits == c
    own_class = gradient[rows, c, :].mean(axis=0).reshape(8, 8)
    limit = np.abs(own_class).max()
    axes[0, c].imshow(X_digits[rows].mean(axis=0).reshape(8, 8), cmap="gray_r")
    axes[1, c].imshow(own_class, cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes[0, c].set_title(str(c))
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("mean image")
axes[1, 0].set_ylabel("mean ∂P/∂x")
fig.suptitle("Digits: the class mean image and the mean gradient of its probability")
fig.tight_layout()

# %%
# The gradients of all the class probabilities sum to zero for every image, since the
# probabilities sum to one: inking a pixel moves probability between classes.
print(
    "largest |sum over classes of dP/dx|:", f"{np.abs(gradient.sum(axis=1)).max():.1e}"
)

# %%
# Breast cancer: features ranked by their mean absolute gradient
# --------------------------------------------------------------
# On standardised features a gradient is per standard deviation of the feature, so
# the features can be compared. The mean absolute gradient of
# :math:`P(\text{benign})` over the test set is a local measure: how much the
# prediction moves for a small change of one feature, around the data (small where
# the network is confident: the slope σ'(a2) of a probability near 0 or 1 is near 0).
# Permutation
# importance is a global one: how much the test accuracy drops when the feature's
# values are shuffled. Correlated features (the radius, perimeter and area of a
# tumour) share the permutation importance, since shuffling one leaves the others,
# while each keeps its own gradient.
cancer = load_breast_cancer()
X_train, X_test, y_train, y_test = train_test_split(
    cancer.data, cancer.target, stratify=cancer.target, random_state=0
)
pipeline = make_pipeline(
    StandardScaler(), TwoLayerSigmoidClassifier(n_hidden=8, alpha=1.0, random_state=0)
).fit(X_train, y_train)
print(f"breast cancer: test accuracy {pipeline.score(X_test, y_test):.3f}")

scaler, cancer_clf = pipeline[0], pipeline[-1]
# Binary target: (n_samples, n_features), the gradient of P(classes_[1]) = P(benign).
cancer_gradient = cancer_clf.input_gradient(scaler.transform(X_test))
mean_abs_gradient = np.abs(cancer_gradient).mean(axis=0)
permutation = permutation_importance(
    pipeline, X_test, y_test, n_repeats=10, random_state=0
)

top = np.argsort(mean_abs_gradient)[::-1][:12]
names = cancer.feature_names[top]
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5), sharey=True)
left.barh(names[::-1], mean_abs_gradient[top][::-1], color="tab:red")
left.set_xlabel("mean |∂P(benign)/∂x| (per standard deviation)")
right.barh(
    names[::-1],
    permutation.importances_mean[top][::-1],
    xerr=permutation.importances_std[top][::-1],
    color="tab:gray",
)
right.set_xlabel("permutation importance (drop in accuracy)")
fig.suptitle("Breast cancer: the 12 features with the largest mean input gradient")
fig.tight_layout()

print(f"{'feature':>25} {'mean |dP/dx|':>13} {'permutation':>12}")
for i in top:
    print(
        f"{cancer.feature_names[i]:>25} {mean_abs_gradient[i]:13.4f} "
        f"{permutation.importances_mean[i]:12.4f}"
    )

plt.show()
