"""
==================
Deploying a model
==================

Two ways to take a fitted pipeline out of the notebook that trained it:

1. **ONNX**: convert it to an ONNX graph with skl2onnx (the ``onnx`` extra
   registers the converter) and run it in onnxruntime, with no Python or
   scikit-learn at prediction time: in a service, a browser or on a phone;
2. **skops**: save it to a file whose loading runs no code from the file (unlike
   pickle), after checking the types it holds against a list you trust.

This example exports a pipeline, checks that onnxruntime gives the probabilities of
``predict_proba``, times both, and round-trips the pipeline through skops.
It needs the ``onnx`` extra and skops (from a clone: ``pip install ".[onnx]" skops``).
"""

# %%
# Fit a pipeline
# --------------
import statistics
import time

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
import skops.io as sio
from skl2onnx import to_onnx
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_twolayer.onnx  # noqa: F401  (registers the skl2onnx converter)
from sklearn_twolayer import TwoLayerSigmoidClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
labels = np.array(["malignant", "benign"])  # string labels travel into the graph
pipe = make_pipeline(
    StandardScaler(), TwoLayerSigmoidClassifier(n_hidden=16, random_state=0)
).fit(X_train, labels[y_train])
print(f"test accuracy: {pipe.score(X_test, labels[y_test]):.3f}")

# %%
# Export to ONNX and run the graph in onnxruntime
# -----------------------------------------------
# The sample given to ``to_onnx`` fixes the input type: float32 gives a
# single-precision graph, float64 a double-precision one. ``zipmap=False`` returns
# the probabilities as a matrix rather than a list of dictionaries.
sessions = {}
for dtype in (np.float32, np.float64):
    onx = to_onnx(pipe, X_train[:1].astype(dtype), options={"zipmap": False})
    sessions[dtype] = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
print([(o.name, o.type) for o in sessions[np.float32].get_outputs()])

expected = pipe.predict_proba(X_test)
for dtype, session in sessions.items():
    label, proba = session.run(None, {"X": X_test.astype(dtype)})
    print(
        f"{np.dtype(dtype).name} graph: max |p_onnx - predict_proba| = "
        f"{np.abs(proba - expected).max():.1e}, "
        f"labels equal: {np.array_equal(label, pipe.predict(X_test))}"
    )

# %%
# The float graph rounds to float32 (about 1e-7); the double graph agrees with
# ``predict_proba`` to the last bits. Both compute the probabilities from the logits
# ``a`` as ``predict_proba`` does, the binary ones as ``[σ(−a), σ(a)]``, so a
# confident prediction keeps its tiny probability instead of cancelling to 0:
extreme = X_test[:1] * 20  # far outside the data: saturated logits
print("predict_proba:", pipe.predict_proba(extreme))
print("ONNX (double):", sessions[np.float64].run(None, {"X": extreme})[1])

# %%
# Latency
# -------
# Medians over many calls, one row and 1000 rows
# (``benchmarks/bench_predict_latency.py`` measures more calls, with
# ``MLPClassifier`` alongside).
rows = {"1 row": X_test[:1], "1000 rows": np.resize(X_test, (1000, X.shape[1]))}
predictors = {
    "predict_proba": lambda X: pipe.predict_proba(X),
    "onnxruntime f32": lambda X: sessions[np.float32].run(
        None, {"X": X.astype(np.float32)}
    ),
    "onnxruntime f64": lambda X: sessions[np.float64].run(None, {"X": X}),
}


def median_seconds(predict, X, n_calls):
    predict(X)  # warm up
    times = []
    for _ in range(n_calls):
        start = time.perf_counter()
        predict(X)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


latency = {
    name: [median_seconds(predict, X_rows, 200) for X_rows in rows.values()]
    for name, predict in predictors.items()
}
print(f"{'':<16}" + "".join(f"{size:>12}" for size in rows))
for name, seconds in latency.items():
    print(f"{name:<16}" + "".join(f"{s * 1e6:>9.0f} µs" for s in seconds))

fig, ax = plt.subplots(figsize=(6, 3.4))
positions = np.arange(len(rows))
for i, (name, seconds) in enumerate(latency.items()):
    ax.bar(positions + (i - 1) * 0.27, np.array(seconds) * 1e6, 0.27, label=name)
ax.set_xticks(positions, list(rows))
ax.set_yscale("log")
ax.set_ylabel("median latency (µs)")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
ax.set_title("Prediction latency of the pipeline")
fig.tight_layout()

# %%
# Save and load with skops
# ------------------------
# ``skops.io.get_untrusted_types`` lists what the file holds beyond skops' default
# trusted types (numpy arrays, scikit-learn's estimators, builtins). For this
# pipeline it is the one public name of the network's class, which is what you
# review and trust by name before loading.
payload = sio.dumps(pipe)
untrusted = sio.get_untrusted_types(data=payload)
print(untrusted)
restored = sio.loads(payload, trusted=["sklearn_twolayer.TwoLayerSigmoidClassifier"])
print(
    "bit-identical probabilities:",
    np.array_equal(restored.predict_proba(X_test), pipe.predict_proba(X_test)),
)
