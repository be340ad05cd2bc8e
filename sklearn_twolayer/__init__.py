"""sklearn-twolayer: a two-layer sigmoid network with the exact gradients of its source
document, trained with L-BFGS, as a scikit-learn classifier."""

from ._classifier import TwoLayerSigmoidClassifier
from .gradients import check_gradient, sigmoid_unit_gradient

__all__ = ["TwoLayerSigmoidClassifier", "check_gradient", "sigmoid_unit_gradient"]
__version__ = "0.1.0"
