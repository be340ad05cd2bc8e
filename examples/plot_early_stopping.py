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

The last section passes a validation set of one's own instead of a random split:
a time-ordered hold-out (a later period), sent through the same preprocessing by a
``Pipeline``.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn import config_context
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
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

# %%
# A validation set of one's own: a time-ordered hold-out through a pipeline
# -------------------------------------------------------------------------
# A random split is the wrong hold-out when the rows are ordered in time and the
# data drift: the held-out rows are then interleaved with the training rows, and
# their loss says little about the loss on later data. ``fit`` also takes the
# validation rows itself, as ``HistGradientBoostingClassifier`` does:
# ``fit(X, y, X_val=..., y_val=..., sample_weight_val=...)``. Every row of ``X``
# then trains, and the validation loss is computed on ``X_val``.
#
# Here, 1,500 days of 6 sensor readings around 50 whose offsets drift with time;
# the class depends on the undrifted readings. The first 900 days train, the next
# 200 (a later period) validate, the last 400 are the future we care about.
rng = np.random.default_rng(0)
n_days = 1500
drift = np.arange(n_days) / n_days
readings = rng.normal(size=(n_days, 6))
noise = rng.logistic(scale=0.5, size=n_days)
y_days = readings[:, 0] - readings[:, 1] + readings[:, 2] * readings[:, 3] + noise > 0
X_days = 50.0 + readings + np.outer(drift, [2.0, -1.5, 1.0, 0.0, 0.5, 0.0])
past, recent, future = slice(0, 900), slice(900, 1100), slice(1100, None)

# %%
# In a ``Pipeline`` the validation rows must go through the same preprocessing as
# the training rows (here a scaler fitted on the training rows): with metadata
# routing enabled, ``transform_input=["X_val"]`` transforms ``X_val`` by the
# steps before the network, and ``set_fit_request`` asks for the validation set.
net_params = {
    "n_hidden": 30,
    "alpha": 1e-4,
    "max_iter": 1000,
    "early_stopping": True,
    "random_state": 0,
}
with config_context(enable_metadata_routing=True):
    time_ordered = Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "net",
                TwoLayerSigmoidClassifier(**net_params).set_fit_request(
                    X_val=True, y_val=True
                ),
            ),
        ],
        transform_input=["X_val"],
    ).fit(X_days[past], y_days[past], X_val=X_days[recent], y_val=y_days[recent])

# The same 1,100 days with a random split of the same size held out instead.
random_split = Pipeline(
    [
        ("scale", StandardScaler()),
        ("net", TwoLayerSigmoidClassifier(**net_params, validation_fraction=2 / 11)),
    ]
).fit(X_days[:1100], y_days[:1100])

future_loss = {}
for name, pipeline in (("time-ordered", time_ordered), ("random split", random_split)):
    net = pipeline[-1]
    future_loss[name] = log_loss(y_days[future], pipeline.predict_proba(X_days[future]))
    print(
        f"{name:>12}: best validation loss {net.best_validation_loss_:.3f} "
        f"(iteration {net.best_iteration_}), loss on the future "
        f"{future_loss[name]:.3f}"
    )

# %%
# The random split's validation loss is an optimistic estimate of the loss on the
# future rows: its held-out days are neighbours of training days. The time-ordered
# hold-out's loss is measured on a later period, as the model will be used, and is
# the closer estimate here (the dashed lines are each model's loss on the future).
fig, ax = plt.subplots(figsize=(6, 4))
for (name, pipeline), colour in zip(
    (("time-ordered", time_ordered), ("random split", random_split)),
    ("C0", "C1"),
    strict=True,
):
    curve = pipeline[-1].validation_loss_curve_
    ax.plot(np.arange(1, len(curve) + 1), curve, color=colour, label=name)
    ax.axhline(future_loss[name], color=colour, ls="--", lw=1)
ax.set_xlabel("L-BFGS iteration")
ax.set_ylabel("validation loss (solid), loss on the future (dashed)")
ax.set_title("early stopping on a time-ordered hold-out")
ax.legend()
fig.tight_layout()

plt.show()
