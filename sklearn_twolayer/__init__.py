"""sklearn-twolayer: a two-layer sigmoid network with the exact gradients of its source
document, trained with L-BFGS, as a scikit-learn classifier."""

from ._classifier import TwoLayerSigmoidClassifier
from ._persistence import InconsistentVersionWarning
from ._show_versions import show_versions
from ._version import __version__ as __version__
from .gradients import check_gradient, sigmoid_unit_gradient

# The public name, not the private module, is what pickle, joblib and skops write
# into a saved model and what a user lists in skops' trusted types.
TwoLayerSigmoidClassifier.__module__ = __name__


def __getattr__(name):
    # The CV module imports sklearn.callback and rich (through sklearn.metrics and
    # model_selection): loaded on first use, so importing the package does not.
    if name == "TwoLayerSigmoidClassifierCV":
        from ._cv import TwoLayerSigmoidClassifierCV

        globals()[name] = TwoLayerSigmoidClassifierCV
        return TwoLayerSigmoidClassifierCV
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "InconsistentVersionWarning",
    "TwoLayerSigmoidClassifier",
    "TwoLayerSigmoidClassifierCV",
    "check_gradient",
    "show_versions",
    "sigmoid_unit_gradient",
]
