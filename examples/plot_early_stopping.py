"""
========================================
Early stopping with L-BFGS on noisy data
========================================

``MLPClassifier`` ignores ``early_stopping`` when ``solver="lbfgs"``. Here it works:
with ``early_stopping=True`` the estimator holds out ``validation_fraction`` of the
training data (stratified by class, seeded by ``random_state``), computes the loss on
it after every L-BFGS iteration, stops when it has not improved for
``n_iter_no_change`` iterations, and keeps the parameters of the best validation
iteration, not the last ones.

On a data set with label noise, a wide network with almost no L2 penalty, run to
convergence, memorises the noise: its training loss goes to zero and its
probabilities on new data become confident and often wrong. Early stopping ends the
fit where the held-out loss is lowest.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier

# 20% of the labels flipped at random.
X, y = make_classification(
    n_samples=1000,
    n_features=20,
    n_informative=6,
    n_redundant=2,
    flip_y=0.2,
    class_sep=0.8,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# The same network twice, from the same start: once to convergence, once with
# early stopping (20% of the training rows held out, patience 10 iterations).
params = {"n_hidden": 50, "alpha": 1e-5, "max_iter": 1000, "random_state": 0}
converged = TwoLayerSigmoidClassifier(**params).fit(X_train, y_train)
stopped = TwoLayerSigmoidClassifier(
    **params, early_stopping=True, validation_fraction=0.2, n_iter_no_change=10
).fit(X_train, y_train)

print(f"converged: {converged.n_iter_} iterations")
print(
    f"stopped:   {stopped.n_iter_} iterations, parameters of iteration "
    f"{stopped.best_iteration_} kept (validation loss "
    f"{stopped.best_validation_loss_:.4f})"
)
for name, net in (("converged", converged), ("early stopping", stopped)):
    proba = net.predict_proba(X_test)
    print(
        f"{name:>15}: test log-loss {log_loss(y_test, proba):.3f}, "
        f"test accuracy {accuracy_score(y_test, net.predict(X_test)):.3f}"
    )

# %%
# Left: both curves of the early-stopped fit, ``loss_curve_`` (the training
# objective, on the rows that were not held out) and ``validation_loss_curve_``
# (the loss on the held-out rows). The training objective keeps falling; the
# validation loss turns up, the fit stops ``n_iter_no_change`` iterations after its
# minimum and keeps the parameters of ``best_iteration_``.
#
# Right: the fit run to convergence. Its L-BFGS path is deterministic, so refitting
# with ``max_iter=k`` gives its parameters after ``k`` iterations, and with them the
# test log-loss along the way: it is lowest early, then climbs as the network
# memorises the flipped labels while the training objective goes to zero.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=k stops them all
    test_loss_along_the_path = [
        log_loss(
            y_test,
            TwoLayerSigmoidClassifier(**{**params, "max_iter": k})
            .fit(X_train, y_train)
            .predict_proba(X_test),
        )
        for k in range(1, converged.n_iter_ + 1)
    ]

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
iterations = np.arange(1, stopped.n_iter_ + 1)
left.plot(iterations, stopped.loss_curve_, label="training (loss_curve_)")
left.plot(iterations, stopped.validation_loss_curve_, label="validation_loss_curve_")
left.axvline(stopped.best_iteration_, color="k", lw=0.8, ls=":")
left.annotate(
    "best_iteration_",
    (stopped.best_iteration_, stopped.best_validation_loss_),
    xytext=(15, 25),
    textcoords="offset points",
    arrowprops={"arrowstyle": "->"},
)
left.set_title("early_stopping=True")
left.set_xlabel("L-BFGS iteration")
left.set_ylabel("loss")
left.legend()

full_iterations = np.arange(1, converged.n_iter_ + 1)
right.semilogy(full_iterations, converged.loss_curve_, label="training objective")
right.semilogy(full_iterations, test_loss_along_the_path, label="test log-loss")
right.axvline(stopped.best_iteration_, color="k", lw=0.8, ls=":")
right.set_title("run to convergence")
right.set_xlabel("L-BFGS iteration")
right.legend()
fig.tight_layout()

# %%
# The gain does not depend on one lucky split: over several seeds (each seed
# draws both the start and the held-out rows), early stopping lowers the test
# log-loss every time.
for seed in range(4):
    seeded = {**params, "random_state": seed}
    full = TwoLayerSigmoidClassifier(**seeded).fit(X_train, y_train)
    early = TwoLayerSigmoidClassifier(
        **seeded, early_stopping=True, validation_fraction=0.2
    ).fit(X_train, y_train)
    print(
        f"seed {seed}: test log-loss {log_loss(y_test, full.predict_proba(X_test)):.3f}"
        f" -> {log_loss(y_test, early.predict_proba(X_test)):.3f} "
        f"({full.n_iter_} -> {early.n_iter_} iterations)"
    )

plt.show()
