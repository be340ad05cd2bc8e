"""
=======================================
Fitting on GPU arrays (torch, CuPy)
=======================================

With scikit-learn's array API dispatch on,
:class:`~sklearn_twolayer.TwoLayerSigmoidClassifier` fits and predicts on arrays of
torch, CuPy or array-api-strict where they are: ``X``, the targets and the weights
move to the device once, and each L-BFGS evaluation sends only the parameter
vector there and brings back the loss and the gradient. The fitted weights and every
prediction stay in the namespace and on the device of ``X``.

This page runs on torch's CPU device, so that it builds anywhere. On a machine with
a CUDA GPU, change one line: ``device = "cuda"``. Dispatch needs the environment
variable ``SCIPY_ARRAY_API=1`` before SciPy is first imported (set here at the top;
in a shell, ``export SCIPY_ARRAY_API=1``).
"""

# %%
# Data on the device
# ------------------
import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before SciPy is imported

import matplotlib.pyplot as plt
import numpy as np
import sklearn
import torch
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier

device = "cpu"  # "cuda" on a machine with an NVIDIA GPU, "mps" on Apple silicon
if device == "cpu":
    # Products of a few hundred rows: on a CPU torch's thread pool costs more than
    # it gains (milliseconds per product on a busy 2-core machine, microseconds on
    # one thread).
    torch.set_num_threads(1)

X_np, y_np = make_classification(
    n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
)
X_np = X_np * 5.0 + 2.0  # unscaled features: the pipeline scales them
# float32, as usual on a GPU: the fit runs in float32 on the device.
X = torch.asarray(X_np, dtype=torch.float32, device=device)
y = torch.asarray(y_np, device=device)

# %%
# A pipeline and a grid search, on the device
# -------------------------------------------
# ``StandardScaler`` supports the array API too, so the whole pipeline runs on
# torch tensors; ``GridSearchCV`` cuts the folds on the device.
pipeline = make_pipeline(
    StandardScaler(), TwoLayerSigmoidClassifier(n_hidden=4, random_state=0)
)
search = GridSearchCV(
    pipeline, {"twolayersigmoidclassifier__alpha": [1.0, 3.0, 10.0]}, cv=3
)
with sklearn.config_context(array_api_dispatch=True):
    search.fit(X, y)
    clf = search.best_estimator_
    proba = clf.predict_proba(X)

network = clf[-1]
print("best alpha:", search.best_params_["twolayersigmoidclassifier__alpha"])
print("W1_:", type(network.W1_).__name__, network.W1_.dtype, network.W1_.device)
print("predict_proba:", type(proba).__name__, proba.dtype, proba.device)

# %%
# The same model as on NumPy
# --------------------------
# From the same ``random_state`` a float64 fit on the device follows the NumPy
# fit step for step: the same number of iterations, the same probabilities up to
# the order of the floating-point additions.
alpha = search.best_params_["twolayersigmoidclassifier__alpha"]
X64 = torch.asarray(X_np, dtype=torch.float64, device=device)
with sklearn.config_context(array_api_dispatch=True):
    on_device = make_pipeline(
        StandardScaler(),
        TwoLayerSigmoidClassifier(n_hidden=4, alpha=alpha, random_state=0),
    ).fit(X64, y)
    proba64 = on_device.predict_proba(X64).cpu().numpy()
reference = make_pipeline(
    StandardScaler(),
    TwoLayerSigmoidClassifier(n_hidden=4, alpha=alpha, random_state=0),
).fit(X_np, y_np)
difference = np.abs(proba64 - reference.predict_proba(X_np)).max()
print(
    f"float64: n_iter_ {on_device[-1].n_iter_} on the device, "
    f"{reference[-1].n_iter_} on NumPy; max |Δ predict_proba| = {difference:.1e}"
)

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
axes[0].semilogy(on_device[-1].loss_curve_, label=f"torch ({device}), float64")
axes[0].semilogy(reference[-1].loss_curve_, "--", label="NumPy, float64")
axes[0].semilogy(network.loss_curve_, ":", label=f"torch ({device}), float32")
axes[0].set(xlabel="L-BFGS iteration", ylabel="objective", title="Training curves")
axes[0].legend()
alphas = [str(a) for a in search.cv_results_["param_twolayersigmoidclassifier__alpha"]]
axes[1].bar(alphas, search.cv_results_["mean_test_score"])
axes[1].set(xlabel="alpha", ylabel="mean CV accuracy", ylim=(0.5, 1.0))
axes[1].set_title("Grid search on the device")
fig.tight_layout()
plt.show()
