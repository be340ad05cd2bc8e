"""
====================================
Grid search and fitting with Dask
====================================

Two ways to use a Dask cluster with
:class:`~sklearn_twolayer.TwoLayerSigmoidClassifier`:

1. run the fits of a grid search on the cluster's workers, with joblib's ``"dask"``
   backend: nothing changes but where the fits run;
2. fit one model on a Dask array chunked by rows: every L-BFGS evaluation computes
   the loss and gradient of each row block on the worker that holds it, and the
   client adds the parts. The data never has to fit in the client's memory.

The cluster here is a :class:`distributed.LocalCluster` with two workers. It uses
threads (``processes=False``) so that this page runs cell by cell; a script with
worker processes must start the cluster under ``if __name__ == "__main__":``, and
on a real cluster the workers need ``sklearn-twolayer`` installed (see the Dask page
of the user guide).
"""

# %%
# Start a cluster and connect a client
# ------------------------------------
import time

import dask.array as da
import joblib
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_twolayer import TwoLayerSigmoidClassifier

cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
)
client = Client(cluster)

# %%
# 1. A grid search whose fits run on the workers
# ----------------------------------------------
# The estimator is an ordinary scikit-learn estimator, so joblib can send it to the
# workers. The scores are those of the serial search.
X, y = load_breast_cancer(return_X_y=True)
pipeline = make_pipeline(StandardScaler(), TwoLayerSigmoidClassifier(random_state=0))
grid = {
    "twolayersigmoidclassifier__n_hidden": [2, 8],
    "twolayersigmoidclassifier__alpha": [1e-2, 1.0],
}
serial = GridSearchCV(pipeline, grid, cv=3).fit(X, y)
with joblib.parallel_config(backend="dask"):
    on_cluster = GridSearchCV(pipeline, grid, cv=3, n_jobs=-1).fit(X, y)

for params, score_serial, score_cluster in zip(
    serial.cv_results_["params"],
    serial.cv_results_["mean_test_score"],
    on_cluster.cv_results_["mean_test_score"],
    strict=True,
):
    print(f"{params}: serial {score_serial:.4f}, on the cluster {score_cluster:.4f}")
print("best:", on_cluster.best_params_)

# %%
# 2. Fitting on a Dask array chunked by rows
# ------------------------------------------
# The rows are split into 4 blocks; ``persist`` keeps them in the workers' memory,
# where every evaluation of the loss reads them. Here the data is small enough to
# also fit it in memory, which lets us compare the two fits.
X, y = make_classification(
    n_samples=5_000, n_features=10, n_informative=5, class_sep=2.0, random_state=0
)
X = StandardScaler().fit_transform(X)
X_dask = da.from_array(X, chunks=(1_250, 10)).persist()
y_dask = da.from_array(y, chunks=1_250).persist()

params = dict(n_hidden=8, alpha=1.0, random_state=0)
start = time.perf_counter()
on_dask = TwoLayerSigmoidClassifier(**params).fit(X_dask, y_dask)
seconds_dask = time.perf_counter() - start
start = time.perf_counter()
in_memory = TwoLayerSigmoidClassifier(**params).fit(X, y)
seconds_memory = time.perf_counter() - start
print(
    f"Dask: {on_dask.n_iter_} iterations in {seconds_dask:.1f} s; "
    f"in memory: {in_memory.n_iter_} iterations in {seconds_memory:.1f} s"
)

# %%
# Predictions on a Dask array are Dask arrays, computed only when asked for.
proba_dask = on_dask.predict_proba(X_dask)
print(proba_dask)
proba_memory = in_memory.predict_proba(X)
relative = np.max(np.abs(proba_dask.compute() - proba_memory) / proba_memory)
print(f"largest relative difference in predict_proba: {relative:.1e}")
print(f"accuracy: {(on_dask.predict(X_dask) == y_dask).mean().compute():.4f}")

# %%
# Both fits follow the same L-BFGS path: the sum of the blocks' parts is the sum
# over the rows, up to the order of floating-point additions. (On a badly
# conditioned problem that stops at ``max_iter``, such rounding differences grow
# along the path, as they do between two in-memory runs with different BLAS
# threads; the fits then end at different, equally good, points.)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(in_memory.loss_curve_, lw=4, alpha=0.4, label="in memory (numpy)")
ax.plot(on_dask.loss_curve_, "k--", lw=1, label="on the cluster (4 Dask blocks)")
ax.set_xlabel("L-BFGS iteration")
ax.set_ylabel("objective")
ax.set_yscale("log")
ax.legend()
fig.tight_layout()

# %%
# Shut the cluster down.
client.close()
cluster.close()
