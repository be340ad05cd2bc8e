"""scikit-learn's estimator checks on several configurations, no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_twolayer import TwoLayerSigmoidClassifier

CONFIGURATIONS = [
    TwoLayerSigmoidClassifier(),
    TwoLayerSigmoidClassifier(n_hidden=3, random_state=0),
    TwoLayerSigmoidClassifier(n_hidden=20, class_weight="balanced", random_state=0),
    TwoLayerSigmoidClassifier(n_hidden=5, solver="trust-ncg", random_state=0),
    TwoLayerSigmoidClassifier(n_hidden=5, early_stopping=True, random_state=0),
]


@parametrize_with_checks(CONFIGURATIONS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
