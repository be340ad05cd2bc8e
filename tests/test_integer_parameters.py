"""numpy integers work for every integer parameter; a bool is not a count.

scikit-learn's parameter validation accepts any ``numbers.Integral``, so numpy's
small integers and Python's bools pass it; ``fit`` computes with the Python ints of
the first, leaving the parameters as given (``fit`` never changes a parameter), and
rejects the second (the issue's reproducers: ``np.int8(3)`` overflowed in the row
blocks, ``np.int16(200)`` with 300 features wrapped around in the layout, ``True``
failed in numpy's random draw).
"""

import numpy as np
import pytest
from _problems import unscaled_iris
from sklearn.datasets import make_classification
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_twolayer import TwoLayerSigmoidClassifier

NUMPY_INTEGERS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16]
SETTINGS = dict(
    n_hidden=3,
    max_iter=20,
    max_fun=120,  # every value fits in int8
    n_iter_no_change=5,
    verbose=0,
    early_stopping=True,
    random_state=0,
)


# Every fit here stops early on purpose; what is checked does not depend on it.
pytestmark = pytest.mark.usefixtures("ignore_convergence_warnings")


def _same_weights(a, b):
    return all(
        np.array_equal(getattr(a, name), getattr(b, name))
        for name in ("W1_", "b1_", "W2_", "b2_")
    )


def test_issue_reproducer_int8_hidden_units():
    X, y = unscaled_iris()
    clf = TwoLayerSigmoidClassifier(n_hidden=np.int8(3), random_state=0, max_iter=50)
    clf.fit(X, y)
    reference = TwoLayerSigmoidClassifier(n_hidden=3, random_state=0, max_iter=50)
    assert _same_weights(clf, reference.fit(X, y))
    assert clf.W1_.shape == (3, 4)
    assert clf.predict_proba(X).shape == (150, 3)


@pytest.mark.parametrize("dtype", [np.int16, np.uint8])
def test_issue_reproducer_many_hidden_units_times_many_features(dtype):
    """200 x 300 = 60000 weights overflow int16; uint8 stops at 255 units."""
    X, y = make_classification(n_samples=60, n_features=300, random_state=0)
    n_hidden = 200 if dtype is np.int16 else 250
    clf = TwoLayerSigmoidClassifier(n_hidden=dtype(n_hidden), max_iter=3)
    clf.set_params(random_state=0).fit(X, y)  # no overflow warning (an error here)
    assert clf.W1_.shape == (n_hidden, 300)
    reference = TwoLayerSigmoidClassifier(n_hidden=n_hidden, max_iter=3)
    assert _same_weights(clf, reference.set_params(random_state=0).fit(X, y))


@pytest.mark.parametrize("dtype", NUMPY_INTEGERS)
@pytest.mark.parametrize(
    "name", ["n_hidden", "max_iter", "max_fun", "n_iter_no_change", "verbose"]
)
def test_every_integer_parameter_takes_numpy_integers(name, dtype, capsys):
    X, y = unscaled_iris()
    reference = TwoLayerSigmoidClassifier(**SETTINGS).fit(X, y)
    value = dtype(SETTINGS[name])
    clf = TwoLayerSigmoidClassifier(**{**SETTINGS, name: value})
    clf.fit(X, y)
    assert _same_weights(clf, reference)
    assert clf.n_iter_ == reference.n_iter_
    # fit never changes a parameter (scikit-learn's convention): the very object.
    assert clf.get_params()[name] is value
    assert type(clf.get_params()[name]) is dtype
    capsys.readouterr()


def test_fit_leaves_every_parameter_as_given():
    """scikit-learn's ``check_dont_overwrite_parameters`` in spirit, with numpy
    integers: get_params() after fit is before fit, object for object."""
    X, y = unscaled_iris()
    clf = TwoLayerSigmoidClassifier(
        n_hidden=np.int8(3),
        max_iter=np.uint8(20),
        max_fun=np.int16(120),
        n_iter_no_change=np.uint16(5),
        verbose=np.int32(0),
        early_stopping=True,
        random_state=0,
    )
    before = clf.get_params()
    clf.fit(X, y)
    after = clf.get_params()
    assert after.keys() == before.keys()
    assert all(after[name] is before[name] for name in before)


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize(
    "name", ["n_hidden", "max_iter", "max_fun", "n_iter_no_change"]
)
def test_a_bool_for_a_count_is_rejected(name, value):
    X, y = unscaled_iris()
    clf = TwoLayerSigmoidClassifier(**{**SETTINGS, name: value})
    with pytest.raises(
        InvalidParameterError,
        # False is also out of the range: scikit-learn's own message then
        match=rf"The '{name}' parameter of TwoLayerSigmoidClassifier must be an int "
        rf"in the range \[1, inf\)(, not a bool)?. Got {value} instead.",
    ):
        clf.fit(X, y)
    assert not hasattr(clf, "W1_")


def test_verbose_keeps_accepting_bools(capsys):
    """scikit-learn's "verbose" constraint accepts bools: True prints, False not."""
    X, y = unscaled_iris()
    TwoLayerSigmoidClassifier(n_hidden=3, max_iter=2, verbose=True).fit(X, y)
    assert "Iteration 1: objective =" in capsys.readouterr().out
    TwoLayerSigmoidClassifier(n_hidden=3, max_iter=2, verbose=False).fit(X, y)
    assert capsys.readouterr().out == ""
