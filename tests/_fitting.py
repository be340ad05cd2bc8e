"""Fits that handle scikit-learn's ConvergenceWarning one stated way.

A test that stops the solver early on purpose says which it means: that the
warning does not matter to what it checks, or that the fit must give it.
"""

import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning


def fit_ignoring_convergence_warnings(estimator, *args, **kwargs):
    """``estimator.fit(*args, **kwargs)`` with ConvergenceWarning ignored (any
    other warning still surfaces); returns the fitted estimator."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


def fit_expecting_convergence_warning(estimator, *args, **kwargs):
    """``estimator.fit(*args, **kwargs)``, which must warn that it did not
    converge (the test fails otherwise); returns the fitted estimator."""
    with pytest.warns(ConvergenceWarning):
        return estimator.fit(*args, **kwargs)
