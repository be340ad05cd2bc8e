"""sklearn-twolayer: a two-layer sigmoid network with the exact gradients of its source
document, trained with L-BFGS, as a scikit-learn classifier."""

from ._classifier import TwoLayerSigmoidClassifier
from ._cv import TwoLayerSigmoidClassifierCV
from ._persistence import InconsistentVersionWarning
from ._show_versions import show_versions
from ._version import __version__ as __version__
from .gradients import check_gradient, sigmoid_unit_gradient

# Each class's one public name, sklearn_twolayer.<class>, is the
# name that pickle, joblib and skops write into a saved model and the one a user
# lists in skops' trusted types: not the private module that defines it.
TwoLayerSigmoidClassifier.__module__ = __name__
TwoLayerSigmoidClassifierCV.__module__ = __name__

__all__ = [
    "InconsistentVersionWarning",
    "TwoLayerSigmoidClassifier",
    "TwoLayerSigmoidClassifierCV",
    "check_gradient",
    "show_versions",
    "sigmoid_unit_gradient",
]
