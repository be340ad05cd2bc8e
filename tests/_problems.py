"""Small problems several test files fit, each built one way.

The fixtures in ``conftest.py`` are made from these; a test that needs the data
outside a fixture (a helper, a parametrisation) calls them directly.
"""

import numpy as np
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

IRIS_SPECIES = np.array(["setosa", "versicolor", "virginica"])


def standardized_iris():
    """The 150 iris rows, each feature scaled to zero mean and unit variance, and
    the integer classes 0, 1, 2."""
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def iris_with_species_names():
    """The 150 iris rows, unscaled, with the species names as string labels."""
    X, y = load_iris(return_X_y=True)
    return X, IRIS_SPECIES[y]
