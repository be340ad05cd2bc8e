"""The package's main job, as a short demo: ``python -m sklearn_twolayer``.

Fits ``TwoLayerSigmoidClassifier`` and ``MLPClassifier`` (logistic, lbfgs) from the
same start on scikit-learn's breast-cancer data, checks the analytic gradients
against finite differences, and prints the results.
"""

import time

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import TwoLayerSigmoidClassifier, check_gradient, sigmoid_unit_gradient


def _timed_fit(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def main():
    """Run the demo and print its report."""
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    settings = dict(alpha=1e-2, max_iter=200, random_state=0)
    ours = make_pipeline(
        StandardScaler(), TwoLayerSigmoidClassifier(n_hidden=16, **settings)
    )
    peer = make_pipeline(
        StandardScaler(),
        MLPClassifier(
            hidden_layer_sizes=(16,), activation="logistic", solver="lbfgs", **settings
        ),
    )
    print("sklearn-twolayer demo: breast cancer (569 samples, 30 features)")
    for name, model in (("TwoLayerSigmoidClassifier", ours), ("MLPClassifier", peer)):
        # Best of 3: a process's first fit pays one-time costs (imports, threadpoolctl).
        seconds = min(_timed_fit(model, X_train, y_train) for _ in range(3))
        print(
            f"  {name:<26} test accuracy {model.score(X_test, y_test):.4f}  "
            f"final objective {model[-1].loss_:.6f}  "
            f"iterations {model[-1].n_iter_:>3}  "
            f"fit {seconds * 1e3:5.1f} ms (best of 3)"
        )
    gap = np.abs(ours.predict_proba(X_test) - peer.predict_proba(X_test)).max()
    print(f"  max |predict_proba difference| from the same start: {gap:.2e}")

    # At the Glorot start, where the gradient is far from 0: at an optimum the
    # gradient is ~tol and finite differences measure mostly their own noise.
    X_scaled = ours[0].transform(X_train)
    error = check_gradient(clone(ours[-1]), X_scaled, y_train, random_state=0)
    print(f"  gradient (eqs. 1.1-1.6) vs finite differences: rel. error {error:.1e}")
    df_dx, df_dw = sigmoid_unit_gradient([2, -3, -3], [-1, -2, 1])
    print(f"  section 2.2.2 worked example: df/dx = {np.round(df_dx, 4)}")
    print(f"                                df/dw = {np.round(df_dw, 4)}")


if __name__ == "__main__":
    main()
