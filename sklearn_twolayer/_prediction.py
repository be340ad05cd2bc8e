"""The fitted network a prediction reads, and the functions applied per block of rows.

Each prediction method (``decision_function``, ``predict_proba``,
``predict_log_proba``, ``predict``, ``transform``, ``input_gradient``) reads the
fitted state once, as a :class:`FittedNetwork` (:func:`fitted_network`), and hands
one of this module's functions of ``(fitted network, validated rows)`` to the
backend's ``map_rows`` (:mod:`sklearn_twolayer._backends`), which applies it where
the rows live (in memory, on a device, lazily on Dask). The functions compute in the
rows' namespace with :class:`~sklearn_twolayer.network.TwoLayerLoss`'s methods, the
same for every backend. The fitted weights are in the rows' dtype where the rows
are: the fitted arrays themselves for rows on an array-API device (a fit under
dispatch), else a host NumPy vector (brought from the device if need be).

Examples
--------
>>> import numpy as np
>>> from sklearn_twolayer import TwoLayerSigmoidClassifier
>>> from sklearn_twolayer._prediction import fitted_network, predict_proba
>>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
>>> clf = TwoLayerSigmoidClassifier(n_hidden=2, random_state=0).fit(X, [0, 1, 1, 0])
>>> fitted = fitted_network(clf, X)
>>> fitted.kind, fitted.theta.shape, fitted.theta.dtype
('binary', (9,), dtype('float64'))
>>> bool(np.array_equal(predict_proba(fitted, X), clf.predict_proba(X)))
True
"""

from dataclasses import dataclass

import numpy as np

from ._backends._kinds import is_device_array
from ._sklearn_compat import ARRAY_API_VERSION, move_to, require_sklearn
from ._targets import labels_at
from .network import (
    ParameterLayout,
    TwoLayerLoss,
    array_namespace,
    log_sigmoid,
    sigmoid,
    widest_float,
)

__all__ = [
    "WEIGHTS",
    "FittedNetwork",
    "decision_function",
    "fitted_classes_on_host",
    "fitted_network",
    "fitted_theta_on_host",
    "input_gradient",
    "predict",
    "predict_log_proba",
    "predict_proba",
    "transform",
]

# The fitted weights, in the order of the flat parameter vector.
WEIGHTS = ("W1_", "b1_", "W2_", "b2_")


@dataclass(frozen=True)
class FittedNetwork:
    """What a prediction reads of the fitted estimator: a snapshot, so that a lazy
    (Dask) prediction computed after a refit still computes the network it was asked
    for. ``loss``: the layout and output unit; ``theta``: the flat fitted weights in the
    rows' dtype, where the rows are (host NumPy, or their array-API device);
    ``classes``: ``classes_``, on the rows' device where the fit kept them, else host
    NumPy; ``kind``: "binary" (one output unit for two classes), "softmax" or
    "multilabel"."""

    loss: TwoLayerLoss
    theta: object
    classes: object
    kind: str

    @property
    def binary(self):
        return self.kind == "binary"

    def __dask_tokenize__(self):
        layout = self.loss.layout
        return (
            type(self).__name__,
            (layout.n_features, layout.n_hidden, layout.n_outputs, self.loss.output),
            self.theta,
            self.classes,
            self.kind,
        )

    def result(self, method, dtype):
        """``(dtype, shape per row)`` of ``method``'s result for rows of ``dtype``."""
        n_outputs = self.loss.layout.n_outputs
        if method == "decision_function":
            return dtype, () if self.binary else (n_outputs,)
        if method == "transform":
            return dtype, (self.loss.layout.n_hidden,)
        if method in ("predict_proba", "predict_log_proba"):
            return np.dtype(np.float64), (2,) if self.binary else (n_outputs,)
        if method == "predict":
            if self.kind == "multilabel":
                return np.dtype(np.int64), (n_outputs,)
            return self.classes.dtype, ()
        n_features = self.loss.layout.n_features  # input_gradient
        return dtype, (n_features,) if self.binary else (n_outputs, n_features)


def fitted_network(estimator, X):
    """The :class:`FittedNetwork` of a fitted estimator for rows ``X`` validated by the
    backend's ``prediction_input``: device rows (checked against ``W1_``) keep the fit's
    weights on their device; host rows get them on the host."""
    layout = ParameterLayout(
        estimator.W1_.shape[1], estimator.W1_.shape[0], estimator.n_outputs_
    )
    output = "softmax" if estimator.out_activation_ == "softmax" else "sigmoid"
    classes = estimator.classes_
    if is_device_array(X):
        xp, device = array_namespace(X)
        parts = [xp.reshape(getattr(estimator, name), (-1,)) for name in WEIGHTS]
        theta = xp.astype(xp.concat(parts), X.dtype, copy=False)
        if is_device_array(classes) and array_namespace(classes) != (xp, device):
            # y of another namespace than X's (mixed inputs): labels_at takes them
            # from the host to the rows' device.
            classes = fitted_classes_on_host(estimator)
    else:
        theta = fitted_theta_on_host(estimator, X.dtype)
        classes = fitted_classes_on_host(estimator)
    kind = estimator.out_activation_
    if kind == "logistic":
        binary = estimator.classes_.shape[0] == 2 and estimator.n_outputs_ == 1
        kind = "binary" if binary else "multilabel"
    return FittedNetwork(TwoLayerLoss(layout, output=output), theta, classes, kind)


def fitted_theta_on_host(estimator, dtype):
    """The fitted weights as one host NumPy vector of ``dtype`` (from a device if
    need be): the start of a warm-started fit, the network of host rows."""
    weights = [getattr(estimator, name) for name in WEIGHTS]
    if is_device_array(weights[0]):
        require_sklearn(ARRAY_API_VERSION, "A model fitted on an array API device")
        weights = [move_to(w, xp=np, device="cpu") for w in weights]
    layout = ParameterLayout(
        weights[0].shape[1], weights[0].shape[0], estimator.n_outputs_
    )
    return layout.pack(*weights, dtype)


def fitted_classes_on_host(estimator):
    """``classes_`` on the host (an array-API fit keeps them in y's namespace)."""
    if is_device_array(estimator.classes_):
        return move_to(estimator.classes_, xp=np, device="cpu")
    return estimator.classes_


# -- the prediction functions: (fitted network, validated rows) -> rows' results ------
def decision_function(fitted, X):
    """The logits ``a2``; one column's ravel for a binary network."""
    A2 = fitted.loss.logits(fitted.theta, X)
    if fitted.binary:
        xp, _ = array_namespace(A2)
        return xp.reshape(A2, (-1,))
    return A2


def _output_logits_widest(fitted, X):
    """The logits in the widest float of X's device (float64 but on MPS...)."""
    A2 = fitted.loss.logits(fitted.theta, X)
    xp, device = array_namespace(A2)
    return xp.astype(A2, widest_float(xp, device), copy=False), xp


def predict_proba(fitted, X):
    """h2 from the logits; ``[σ(−a2), σ(a2)]`` for a binary network."""
    A2, xp = _output_logits_widest(fitted, X)
    if fitted.binary:
        # [σ(−a2), σ(a2)] in one pass (one-row latency counts numpy calls).
        return sigmoid(xp.concat([-A2, A2], axis=1), xp=xp)
    return fitted.loss.output_proba(A2)


def predict_log_proba(fitted, X):
    """log h2 from the logits (never as the log of a probability)."""
    A2, xp = _output_logits_widest(fitted, X)
    if fitted.binary:
        return log_sigmoid(xp.concat([-A2, A2], axis=1), xp)
    return fitted.loss.log_output_proba(A2)


def predict(fitted, X):
    """The labels of the winning outputs; the 0/1 indicators for multilabel."""
    scores = decision_function(fitted, X)
    xp, _ = array_namespace(scores)
    if fitted.kind == "multilabel":
        return xp.astype(scores > 0, xp.int64)
    index = (
        xp.astype(scores > 0, xp.int64) if fitted.binary else xp.argmax(scores, axis=1)
    )
    if is_device_array(fitted.classes):  # on the rows' device, as the fit kept them
        return xp.take(fitted.classes, index, axis=0)
    return labels_at(fitted.classes, index)


def transform(fitted, X):
    """The hidden layer ``h1`` (eq. 1.1)."""
    return fitted.loss.hidden(fitted.theta, X)


def input_gradient(fitted, X, *, output):
    """The derivatives of the outputs with respect to the features (2.2.2)."""
    gradient = fitted.loss.input_gradient(fitted.theta, X, output)
    # Binary: one output unit, the logit (and probability) of classes_[1].
    return gradient[:, 0, :] if fitted.binary else gradient
