"""The in-memory backend's prediction input: a float NumPy matrix that needs no
conversion skips scikit-learn's validation, and nothing else changes.

``prediction_input`` accepts such a matrix after the two reductions of the magnitude
check (most of a one-row ``predict_proba`` was scikit-learn's feature-name and
dataframe checks). Each input below is given to it and to the full validation
(``validate_data`` and ``check_magnitude``), whose outcome is the reference: the same
array or an equal one, the same error with the same message, the same warnings.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.utils.validation import validate_data

from sklearn_twolayer import TwoLayerSigmoidClassifier
from sklearn_twolayer._backends import in_memory

RNG = np.random.default_rng(0)
X_FIT = RNG.normal(size=(30, 3))
Y_FIT = (X_FIT[:, 0] > 0).astype(int)


def _fitted(with_feature_names=False):
    X = pd.DataFrame(X_FIT, columns=["a", "b", "c"]) if with_feature_names else X_FIT
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TwoLayerSigmoidClassifier(n_hidden=2, max_iter=3).fit(X, Y_FIT)


def _outcome(validate, estimator, X):
    """(returned array or None, (error type, message) or None, warning messages)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = validate(estimator, X), None
        except Exception as exc:  # the reference's error, whatever it is
            result, error = None, (type(exc), str(exc))
    return result, error, [str(w.message) for w in caught]


def _full_validation(estimator, X):
    X = validate_data(
        estimator,
        X,
        reset=False,
        accept_sparse=in_memory.ACCEPTED_SPARSE,
        dtype=in_memory.FLOAT_DTYPES,
    )
    in_memory.check_magnitude(X)
    return X


def _fast(estimator, X):
    return in_memory.prediction_input(estimator, X, "predict_proba")


ROW = RNG.normal(size=(1, 3))
INPUTS = {
    "one float64 row": ROW,
    "float32 rows": RNG.normal(size=(5, 3)).astype(np.float32),
    "Fortran-ordered rows": np.asfortranarray(RNG.normal(size=(4, 3))),
    "a strided view": RNG.normal(size=(6, 6))[::2, ::2],
    "read-only rows": np.require(ROW, requirements="C").copy().view(),
    "the largest accepted entry": np.full((1, 3), np.sqrt(np.finfo(np.float64).max)),
    "too large an entry": np.array([[1.0, 2e154, 0.0]]),
    "too large a float32 entry": np.array([[1.0, 2e19, 0.0]], dtype=np.float32),
    "NaN": np.array([[1.0, np.nan, 0.0]]),
    "inf": np.array([[1.0, np.inf, 0.0]]),
    "-inf": np.array([[-np.inf, 0.0, 0.0]]),
    "too few features": ROW[:, :2],
    "too many features": np.hstack([ROW, ROW]),
    "no rows": np.empty((0, 3)),
    "one dimension": ROW[0],
    "three dimensions": ROW[None],
    "integers": np.arange(6).reshape(2, 3),
    "float16": ROW.astype(np.float16),
    "big-endian float64": ROW.astype(">f8"),
    "complex": ROW.astype(complex),
    "a list": ROW.tolist(),
    "a CSR matrix": sparse.csr_matrix(ROW),
    "a DataFrame": pd.DataFrame(ROW, columns=["a", "b", "c"]),
}
INPUTS["read-only rows"].flags.writeable = False
with warnings.catch_warnings():
    warnings.simplefilter("ignore", PendingDeprecationWarning)  # np.matrix's own
    INPUTS["a matrix subclass"] = np.asmatrix(ROW)


@pytest.mark.parametrize("with_feature_names", [False, True])
@pytest.mark.parametrize("name", list(INPUTS))
def test_prediction_input_is_the_full_validations(name, with_feature_names):
    estimator = _fitted(with_feature_names)
    X = INPUTS[name]
    expected, expected_error, expected_warnings = _outcome(
        _full_validation, estimator, X
    )
    got, error, got_warnings = _outcome(_fast, estimator, X)
    assert error == expected_error
    assert got_warnings == expected_warnings
    if expected is None:
        assert got is None
    else:
        assert type(got) is type(expected)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(
            got.toarray() if sparse.issparse(got) else got,
            expected.toarray() if sparse.issparse(expected) else expected,
        )


@pytest.mark.parametrize(
    "name",
    [
        "one float64 row",
        "float32 rows",
        "Fortran-ordered rows",
        "a strided view",
        "read-only rows",
        "the largest accepted entry",
    ],
)
def test_a_float_matrix_of_the_fitted_width_is_used_as_it_is(name):
    # What the full validation also does with it: no copy, no conversion.
    estimator = _fitted()
    X = INPUTS[name]
    assert _full_validation(estimator, X) is X
    assert _fast(estimator, X) is X


@pytest.mark.parametrize("name", ["NaN", "inf", "too large an entry", "no rows"])
def test_predictions_on_bad_rows_raise_the_full_validations_error(name):
    estimator = _fitted()
    _, expected_error, _ = _outcome(_full_validation, estimator, INPUTS[name])
    with pytest.raises(expected_error[0]) as raised:
        estimator.predict_proba(INPUTS[name])
    assert str(raised.value) == expected_error[1]
