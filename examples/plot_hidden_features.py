"""
======================================
The hidden layer as learned features
======================================

The hidden layer of the network, ``h1 = σ(b1 + W1 x)``, is a representation of the
input that the training has shaped to make the classes separable by the output
layer. :meth:`~sklearn_twolayer.TwoLayerSigmoidClassifier.transform` returns it, one
row of ``n_hidden`` values in (0, 1) per sample, so it can be plotted, clustered or
fed to another model without re-implementing the forward pass from ``W1_`` and
``b1_``.

Here, on the handwritten digits (8x8 images, 64 pixel features, 10 classes), we look
at a 2-D view of the hidden representation coloured by class, and use the hidden
layer as the features of a ``LogisticRegression``.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)

# %%
# The network, fitted in a pipeline after a scaler. ``transform`` of the fitted
# pipeline's first two steps gives the hidden activations of any rows.
net = make_pipeline(
    StandardScaler(),
    TwoLayerSigmoidClassifier(n_hidden=32, alpha=1.0, max_iter=500, random_state=0),
).fit(X_train, y_train)
H_test = net.transform(X_test)  # the scaler, then the network's transform
print(f"hidden activations of the test rows: {H_test.shape}")
print(f"their names: {net.get_feature_names_out()[:3]} ...")
print(f"the network's own test accuracy: {net.score(X_test, y_test):.3f}")

# %%
# A 2-D view: the first two principal components of the pixels (left) and of the
# 32 hidden activations (right), each point a test image coloured by its digit.
# In the pixels' components many digits overlap; in the hidden layer's, which the
# training shaped for the output layer, more of them form groups of their own (a
# linear 2-D projection of 32 dimensions still overlaps a few).
pixels_2d = PCA(n_components=2).fit_transform(X_test)
hidden_2d = PCA(n_components=2).fit_transform(H_test)

fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
for ax, points, title in (
    (axes[0], pixels_2d, "input pixels, PCA"),
    (axes[1], hidden_2d, "hidden layer h1 (transform), PCA"),
):
    scatter = ax.scatter(
        points[:, 0], points[:, 1], c=y_test, cmap="tab10", s=8, alpha=0.8
    )
    ax.set_title(title)
    ax.set_xlabel("first component")
    ax.set_ylabel("second component")
fig.colorbar(scatter, ax=axes, ticks=np.arange(10), label="digit")
plt.show()

# %%
# The hidden layer as features for another model: a ``LogisticRegression`` on
# ``h1`` (the network is an intermediate step of the pipeline, fitted with
# ``fit_transform``), next to a ``LogisticRegression`` on the 64 pixels and the
# network alone.
on_hidden = make_pipeline(
    StandardScaler(),
    TwoLayerSigmoidClassifier(n_hidden=32, alpha=1.0, max_iter=500, random_state=0),
    LogisticRegression(max_iter=1000),
).fit(X_train, y_train)
on_pixels = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(
    X_train, y_train
)
for name, model in (
    ("LogisticRegression on the pixels", on_pixels),
    ("the network (its own output layer)", net),
    ("LogisticRegression on the hidden layer", on_hidden),
):
    print(f"{name:>40}: test accuracy {model.score(X_test, y_test):.3f}")

# %%
# The logistic regression reads the ``n_hidden`` features, named after the
# estimator (scikit-learn's class-name-prefix convention); with
# ``set_output(transform="pandas")`` they would be the columns of a data frame.
print(on_hidden[-1].coef_.shape, on_hidden[:-1].get_feature_names_out()[-2:])

plt.show()
