"""
===============
Watching a fit
===============

``TwoLayerSigmoidClassifier`` supports scikit-learn's callback API
(``sklearn.callback``): ``set_callbacks`` attaches objects that are called at the
beginning and end of the fit and of every solver iteration. Two come with
scikit-learn:

- ``ScoringMonitor`` scores the model of every iteration (the parameters the solver
  has reached so far) and logs the scores;
- ``ProgressBar`` draws a progress bar per fit (it needs ``rich``). Set on a
  ``GridSearchCV`` or a ``Pipeline``, it is propagated to the estimators inside, so
  every nested fit gets its bar.

A callback whose ``on_fit_task_end`` returns True stops the fit after that
iteration. The callbacks change nothing in the fit: its weights are bit for bit
those of a fit without them.
"""

import contextlib
import io
import os

import matplotlib.pyplot as plt
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)


# %%
# The scores of every iteration
# -----------------------------
# A ``ScoringMonitor`` scores each iteration's model on the data given to ``fit``.
# Its ``scoring`` may be a callable returning several named scores: this one also
# scores the held-out rows, so the log shows where the training and test curves
# part.
def train_and_test_scores(model, X, y):
    scores = {}
    for part, (X_part, y_part) in {"train": (X, y), "test": (X_test, y_test)}.items():
        scores[f"{part} accuracy"] = accuracy_score(y_part, model.predict(X_part))
        scores[f"{part} log-loss"] = log_loss(y_part, model.predict_proba(X_part))
    return scores


logs = {}
for solver in ("lbfgs", "trust-ncg"):
    monitor = ScoringMonitor(scoring=train_and_test_scores)
    clf = TwoLayerSigmoidClassifier(
        n_hidden=8, alpha=1e-2, solver=solver, random_state=0
    ).set_callbacks(monitor)
    clf.fit(X_train, y_train)
    logs[solver] = monitor.get_logs().data  # a list of dicts, one per row
    test_accuracy = clf.score(X_test, y_test)
    print(f"{solver}: {clf.n_iter_} iterations, test accuracy {test_accuracy:.3f}")

# %%
# The log has one row per iteration and one for the whole fit (the fitted model),
# first; ``task_id`` numbers the iterations from 0. (``data_as_pandas`` gives the
# same rows as a DataFrame.)
rows = logs["lbfgs"]
print("task       id  train log-loss  test log-loss  test accuracy")
for row in rows[:6] + rows[-2:]:
    print(
        f"{row['task_name']:<9}{row['task_id']:>4}{row['train log-loss']:>16.5f}"
        f"{row['test log-loss']:>15.5f}{row['test accuracy']:>15.3f}"
    )

# %%
# Training and held-out scores per iteration, L-BFGS against trust-ncg: trust-ncg
# takes far fewer (and more expensive) iterations.
fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for solver, style in (("lbfgs", "-"), ("trust-ncg", "--")):
    iterations = [row for row in logs[solver] if row["task_name"] == "iteration"]
    for ax, score in zip(axes, ("log-loss", "accuracy"), strict=True):
        for part, color in (("train", "tab:blue"), ("test", "tab:orange")):
            ax.plot(
                [row["task_id"] + 1 for row in iterations],
                [row[f"{part} {score}"] for row in iterations],
                style,
                color=color,
                label=f"{solver}, {part}",
            )
axes[0].set(xscale="log", yscale="log", xlabel="iteration", ylabel="log-loss")
axes[1].set(xscale="log", xlabel="iteration", ylabel="accuracy", ylim=(0.65, 1.01))
axes[0].legend()
fig.suptitle("ScoringMonitor: the model of every iteration")
plt.show()

# %%
# A grid search with a progress bar
# ---------------------------------
# Set on the search, the ``ProgressBar`` is propagated to the pipelines and the
# networks it fits (``max_propagation_depth=None``: all levels). In a terminal the
# bars move as the fits run; here the output is captured and shown once the search
# is done, every bar at 100%.
search = GridSearchCV(
    make_pipeline(StandardScaler(), TwoLayerSigmoidClassifier(random_state=0)),
    {"twolayersigmoidclassifier__n_hidden": [4, 16]},
    cv=2,
).set_callbacks(ProgressBar(max_propagation_depth=None))
captured = io.StringIO()
columns = os.environ.get("COLUMNS")
os.environ["COLUMNS"] = "110"  # rich's width when it does not write to a terminal
try:
    with contextlib.redirect_stdout(captured):
        search.fit(X, y)
finally:
    if columns is None:
        del os.environ["COLUMNS"]
    else:
        os.environ["COLUMNS"] = columns
print(captured.getvalue())
print(search.best_params_)
