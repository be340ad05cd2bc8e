"""Small problems several test files fit, each built one way.

The fixtures in ``conftest.py`` are made from these; a test that needs the data
outside a fixture (a helper, a parametrisation) calls them directly.
"""

import numpy as np
from sklearn.datasets import load_breast_cancer, load_iris, make_classification
from sklearn.preprocessing import StandardScaler

IRIS_SPECIES = np.array(["setosa", "versicolor", "virginica"])


def standardized(X, y):
    """``(X, y)`` with each feature of ``X`` scaled to zero mean and unit variance."""
    return StandardScaler().fit_transform(X), y


def standardized_iris():
    """The 150 iris rows, each feature scaled to zero mean and unit variance, and
    the integer classes 0, 1, 2."""
    return standardized(*load_iris(return_X_y=True))


def unscaled_iris():
    """The 150 iris rows as measured (centimetres) and the integer classes 0, 1, 2."""
    return load_iris(return_X_y=True)


def standardized_breast_cancer():
    """The 569 breast-cancer rows, each feature scaled to zero mean and unit
    variance, and the integer classes 0, 1."""
    return standardized(*load_breast_cancer(return_X_y=True))


def standardized_classification(**make_classification_params):
    """``make_classification(**make_classification_params)``, each feature scaled to
    zero mean and unit variance."""
    return standardized(*make_classification(**make_classification_params))


def iris_with_species_names():
    """The 150 iris rows, unscaled, with the species names as string labels."""
    X, y = load_iris(return_X_y=True)
    return X, IRIS_SPECIES[y]
