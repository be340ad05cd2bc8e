"""scikit-learn's estimator checks on several configurations, no expected failures.

With the tag ``array_api_support`` these include scikit-learn's array API checks
(``check_array_api_input`` for every namespace/device/dtype it knows,
``check_array_api_mixed_inputs`` and ``check_array_api_same_namespace``); the
array-api-strict and torch CPU ones run wherever the ``array-api`` extra is
installed (SCIPY_ARRAY_API=1 is set by conftest.py).
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_twolayer import TwoLayerSigmoidClassifier

CONFIGURATIONS = [
    TwoLayerSigmoidClassifier(),
    TwoLayerSigmoidClassifier(n_hidden=3, random_state=0),
    TwoLayerSigmoidClassifier(n_hidden=20, class_weight="balanced", random_state=0),
    TwoLayerSigmoidClassifier(n_hidden=5, solver="trust-ncg", random_state=0),
    TwoLayerSigmoidClassifier(n_hidden=5, early_stopping=True, random_state=0),
]


# The checks ask for the API on scikit-learn's own small or random data, where the
# fit need not converge nor have distinct rows to hold out: those warnings are the
# estimator's documented behaviour there, tested in the files that ask for it
# (test_solvers.py, test_early_stopping.py), and here only noise in the output.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore:early_stopping=True holds out a share:UserWarning")
@parametrize_with_checks(CONFIGURATIONS)
def test_sklearn_compatible_estimator(estimator, check):
    if _needs_a_cuda_device(check):
        # scikit-learn skips torch's cuda checks only when torch was built without
        # CUDA; the PyPI wheel is built with it, so on a machine without a GPU
        # (driver) they would fail creating the input, before the estimator runs.
        pytest.skip("torch cuda checks need a CUDA device; none is available")
    check(estimator)


def _needs_a_cuda_device(check):
    """Whether ``check`` is an array API check on torch's cuda device, with no GPU."""
    keywords = getattr(check, "keywords", {})
    wanted = [
        (keywords.get("array_namespace"), keywords.get("device_name")),
        *(
            tuple(keywords[name])
            for name in ("X_ns_and_device", "other_ns_and_device")
            if name in keywords
        ),
    ]
    if ("torch", "cuda") not in wanted:
        return False
    torch = pytest.importorskip("torch")
    return not torch.cuda.is_available()
