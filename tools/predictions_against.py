"""Compare this checkout's float64 predictions with those of another checkout.

Run from the repository root: ``python tools/predictions_against.py <other checkout>``
(for issue 19's point 6, the checkout from before the issue, f105b7a). Two questions,
two tables:

1. **The same model.** Models fitted by the other checkout (in a subprocess with its
   directory first on ``PYTHONPATH``, pickled) predict here: this measures the
   prediction kernels alone (forward pass, outputs from logits). Issue 19 asks for
   1e-12.
2. **The same fit.** This checkout fits the same data from the same start. A change of
   rounding anywhere in the loss or gradient (issue 19 changed the hidden sigmoid's
   form) moves the L-BFGS path; a converged fit lands within the solver's tolerance of
   the same optimum, a fit stopped by ``max_iter`` wherever its path was. The last
   column shows how far the *other* checkout's own fit moves when X is moved by one
   ulp (``np.nextafter``): the size of that sensitivity, with no code changed.
"""

import os
import pickle
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

_FIT_IN_OTHER = """
import pickle, sys, warnings
import numpy as np
from sklearn.exceptions import ConvergenceWarning
warnings.simplefilter("ignore", ConvergenceWarning)
sys.path.insert(0, {tools!r})
from predictions_against import cases
import sklearn_twolayer
from sklearn_twolayer import TwoLayerSigmoidClassifier
out = {{"file": sklearn_twolayer.__file__}}
for name, (X, y, params, weight) in cases().items():
    model = TwoLayerSigmoidClassifier(random_state=0, **params).fit(
        X, y, sample_weight=weight
    )
    nudged = TwoLayerSigmoidClassifier(random_state=0, **params).fit(
        np.nextafter(X, np.inf), y, sample_weight=weight
    )
    out[name] = (model, model.predict_proba(X), nudged.predict_proba(X))
pickle.dump(out, open(sys.argv[1], "wb"))
"""

CASES = (
    "breast cancer, binary",
    "breast cancer, sample weights",
    "breast cancer, trust-ncg",
    "3 classes, early stopping",
    "iris, 3 classes",
    "3 classes, 16 hidden",
    "20,000 x 50, 64 hidden, 50 iterations",
)


def cases():
    """Name -> (X, y, estimator parameters, sample_weight), float64, deterministic."""
    from sklearn.datasets import load_breast_cancer, load_iris, make_classification
    from sklearn.preprocessing import StandardScaler

    cancer_X, cancer_y = load_breast_cancer(return_X_y=True)
    cancer_X = StandardScaler().fit_transform(cancer_X)
    iris_X, iris_y = load_iris(return_X_y=True)
    three_X, three_y = make_classification(
        2000, 20, n_informative=10, n_classes=3, random_state=0
    )
    large_X, large_y = make_classification(20000, 50, random_state=1)
    weight = np.random.default_rng(0).random(len(cancer_y)) + 0.5
    return dict(
        zip(
            CASES,
            (
                (cancer_X, cancer_y, {}, None),
                (cancer_X, cancer_y, {}, weight),
                (cancer_X, cancer_y, {"solver": "trust-ncg"}, None),
                (three_X, three_y, {"early_stopping": True}, None),
                (iris_X, iris_y, {}, None),
                (three_X, three_y, {"n_hidden": 16}, None),
                (large_X, large_y, {"n_hidden": 64, "max_iter": 50}, None),
            ),
            strict=True,
        )
    )


def main():
    from sklearn.exceptions import ConvergenceWarning

    import sklearn_twolayer
    from sklearn_twolayer import TwoLayerSigmoidClassifier

    warnings.simplefilter("ignore", ConvergenceWarning)
    other = Path(sys.argv[1]).resolve()
    tools = str(Path(__file__).resolve().parent)
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "other.pkl"
        env = dict(os.environ, PYTHONPATH=str(other))
        subprocess.run(
            [sys.executable, "-c", _FIT_IN_OTHER.format(tools=tools), str(saved)],
            env=env,
            check=True,
            cwd=tmp,
        )
        with open(saved, "rb") as file:
            theirs = pickle.load(file)
    print(f"other: {theirs.pop('file')}\nthis:  {sklearn_twolayer.__file__}\n")
    print(
        f"| {'case':<40} | same model | same fit | n_iter_ (other / this) "
        "| other's fit, X one ulp up |"
    )
    print(f"|{'-' * 42}|{'-' * 12}|{'-' * 10}|{'-' * 24}|{'-' * 27}|")
    for name, (X, y, params, weight) in cases().items():
        model, their_proba, their_nudged = theirs[name]
        same_model = np.max(np.abs(model.predict_proba(X) - their_proba))
        ours = TwoLayerSigmoidClassifier(random_state=0, **params).fit(
            X, y, sample_weight=weight
        )
        same_fit = np.max(np.abs(ours.predict_proba(X) - their_proba))
        nudged = np.max(np.abs(their_nudged - their_proba))
        iterations = f"{model.n_iter_} / {ours.n_iter_}"
        print(
            f"| {name:<40} | {same_model:10.1e} | {same_fit:8.1e} | "
            f"{iterations:<22} | {nudged:25.1e} |"
        )


if __name__ == "__main__":
    main()
