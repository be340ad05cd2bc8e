"""Export to ONNX: a skl2onnx converter for :class:`TwoLayerSigmoidClassifier`.

Importing this module (the ``onnx`` extra) registers the converter and its shape
calculator with skl2onnx. Then ``skl2onnx.to_onnx`` converts a fitted
:class:`~sklearn_twolayer.TwoLayerSigmoidClassifier`, alone or inside a
:class:`~sklearn.pipeline.Pipeline`, into a graph that onnxruntime (or any ONNX
runtime) runs without Python (details: :ref:`deploying`).

The graph is the forward pass of the network of eqs. 1.1–1.6, ``a1 = b1 + W1 x``,
``h1 = σ(a1)``, ``a2 = b2 + W2 h1``, with the probabilities computed from the logits
``a2`` as :meth:`~sklearn_twolayer.TwoLayerSigmoidClassifier.predict_proba` does:
binary ``[σ(−a2), σ(a2)]`` (never ``1 − σ(a2)``, which cancels to 0 where
``σ(−a2)`` is not), multiclass the softmax of ``a2``, multilabel ``σ(a2)`` per
label. Each output sigmoid is the softmax of ``[0, a]``: onnxruntime's ``Sigmoid``
saturates to exactly 0 below about −18 (float) and −37 (double). The labels come
from the logits as in ``predict`` (``a2 > 0``, or ``argmax a2``; multilabel: the
0/1 matrix), so a probability rounded to 0.5 cannot flip one; without ZipMap they
have ``predict``'s dtype, with it skl2onnx's int64 (or strings).

Where scikit-learn calls the network as a transformer (an intermediate pipeline
step, a member of a :class:`~sklearn.pipeline.FeatureUnion` or
:class:`~sklearn.compose.ColumnTransformer`, or the last step of a pipeline that is
one of these), the graph computes ``transform``'s hidden layer ``h1`` instead (no
classifier options); the module wraps skl2onnx's parsers of these three
composites to record which members are transformers.

A double input gives a double graph, else float. skl2onnx's classifier options
apply, with ``LogisticRegression``'s outputs: ``zipmap`` (True, False or
``"columns"``), ``nocl``, ``output_class_labels`` and ``raw_scores`` (the logits,
``decision_function``; binary as ``[−a2, a2]``, which
``CalibratedClassifierCV``'s converter calibrates). Any other option is refused
(skl2onnx's ``NameError``).

Examples
--------
>>> import numpy as np
>>> import onnxruntime as ort
>>> from skl2onnx import to_onnx
>>> from sklearn.datasets import load_iris
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from sklearn_twolayer import TwoLayerSigmoidClassifier
>>> import sklearn_twolayer.onnx  # registers the converter
>>> X, y = load_iris(return_X_y=True)
>>> pipe = make_pipeline(
...     StandardScaler(), TwoLayerSigmoidClassifier(n_hidden=8, random_state=0)
... ).fit(X, y)
>>> onx = to_onnx(pipe, X[:1], options={"zipmap": False})  # float64: double graph
>>> session = ort.InferenceSession(onx.SerializeToString())
>>> labels, proba = session.run(None, {"X": X})
>>> bool(np.array_equal(labels, pipe.predict(X)))
True
>>> float(np.abs(proba - pipe.predict_proba(X)).max()) < 1e-12
True
"""

import functools
import weakref

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import update_registered_converter
from skl2onnx._parse import (
    _parse_sklearn_classifier,
    sklearn_parsers_map,
    update_registered_parser,
)
from skl2onnx.common._registration import (
    register_converter,
    register_shape_calculator,
)
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    _guess_numpy_type,
    guess_proto_type,
    guess_tensor_type,
)
from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
from skl2onnx.common.utils import check_input_and_output_numbers
from skl2onnx.common.utils_classifier import get_label_classes
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import FeatureUnion, Pipeline

from ._classifier import TwoLayerSigmoidClassifier

__all__ = [
    "ALIAS",
    "TRANSFORMER_ALIAS",
    "convert_hidden_layer",
    "convert_two_layer_sigmoid_classifier",
    "hidden_layer_shape_calculator",
    "parse_two_layer_sigmoid_classifier",
    "two_layer_sigmoid_classifier_shape_calculator",
]

#: The name under which skl2onnx knows the estimator.
ALIAS = "SklearnTwoLayerSigmoidClassifier"


def _is_multilabel(model):
    """One logistic output per label: the multilabel network (binary has one)."""
    return model.out_activation_ == "logistic" and model.n_outputs_ > 1


def _labels_as_predicted(scope, model):
    """Whether the graph's labels take ``predict``'s dtype, not skl2onnx's int64.

    Without ZipMap they do (int64 would wrap uint64 labels of 2**63 and more); ZipMap
    keys its dictionaries by int64 or strings, and skl2onnx casts the labels beside
    them to int64. ``nocl`` labels are the class indices.
    """
    options = scope.get_options(model, {"zipmap": True, "nocl": False})
    return options["zipmap"] is False and not options["nocl"]


def two_layer_sigmoid_classifier_shape_calculator(operator):
    """Output types and shapes of the converted classifier.

    skl2onnx's ``calculate_linear_classifier_output_shapes`` (labels ``[N]``,
    probabilities ``[N, n_classes]``), except that multilabel labels are
    ``predict``'s ``[N, n_labels]`` 0/1 matrix and that without ZipMap numeric and
    boolean labels have ``predict``'s dtype.

    Parameters
    ----------
    operator : skl2onnx.common._topology.Operator
        The operator whose ``raw_operator`` is the fitted classifier.
    """
    calculate_linear_classifier_output_shapes(operator)
    model = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    if _is_multilabel(model):
        operator.outputs[0].set_type(Int64TensorType([n_rows, model.n_outputs_]))
    elif model.classes_.dtype.kind in "biuf" and _labels_as_predicted(
        operator.scope_inst, model
    ):
        operator.outputs[0].set_type(_guess_numpy_type(model.classes_.dtype, [n_rows]))


def _label_initializer(name, classes, as_predicted):
    """The class labels as an initializer (a TensorProto named ``name``).

    ``as_predicted``: numeric and boolean labels keep their dtype (``predict``'s
    labels, bits included). Else skl2onnx's ZipMap convention: int64
    (``check_classification_targets`` lets only whole-number floats through),
    refusing uint64 labels beyond int64. Other labels are strings.
    """
    if classes.dtype.kind not in "biuf":
        labels = [str(label).encode() for label in classes]
        return helper.make_tensor(name, TensorProto.STRING, [len(labels)], labels)
    if not as_predicted:
        if classes.dtype.kind == "u" and classes.max() > np.iinfo(np.int64).max:
            raise ValueError(
                f"Labels up to {classes.max()} cannot be the int64 keys of ONNX's "
                "ZipMap, nor int64 labels: convert with options={'zipmap': False}, "
                "whose labels are predict's (uint64)."
            )
        classes = classes.astype(np.int64)
    return numpy_helper.from_array(np.ascontiguousarray(classes), name)


class _GraphWriter:
    """Adds one operator's nodes and initializers to skl2onnx's graph, whose floating
    type (``proto``, ``dtype``) is double where the input is double, else float."""

    def __init__(self, scope, operator, container):
        self.scope, self.container = scope, container
        proto = guess_proto_type(operator.inputs[0].type)
        self.proto = proto if proto == TensorProto.DOUBLE else TensorProto.FLOAT
        self.dtype = np.float64 if self.proto == TensorProto.DOUBLE else np.float32

    def name(self, hint):
        return self.scope.get_unique_variable_name(hint)

    def node(self, op_type, inputs, output=None, **attrs):
        output = output or self.name(op_type.lower())
        self.container.add_node(
            op_type,
            inputs,
            output,
            name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return output

    def constant(self, hint, values, onnx_type=None):
        values = np.asarray(values)
        constant_name = self.name(hint)
        self.container.add_initializer(
            constant_name,
            self.proto if onnx_type is None else onnx_type,
            list(values.shape),
            values.ravel().tolist(),
        )
        return constant_name


def _hidden_layer(graph, model, input_name, output=None):
    """``h1 = σ(b1 + W1 x)`` for every row (eq. 1.1): ``σ(X W1ᵀ + b1)``. ``Sigmoid``'s
    absolute accuracy suffices: hidden units never enter a logarithm."""
    x = graph.node("Cast", [input_name], to=graph.proto)
    W1T = graph.constant("W1T", np.asarray(model.W1_, dtype=graph.dtype).T)
    b1 = graph.constant("b1", np.asarray(model.b1_, dtype=graph.dtype))
    pre_activation = graph.node("Add", [graph.node("MatMul", [x, W1T]), b1])
    return graph.node("Sigmoid", [pre_activation], output)


def _write_probabilities(graph, model, logits, output):
    """``predict_proba`` from the logits ``a2``, into ``output``: multiclass, the
    softmax of ``a2``; binary and multilabel, each σ(a) from the softmax of
    ``[0, a]``, whose entries σ(−a) and σ(a) have full relative precision."""
    if model.out_activation_ == "softmax":
        graph.node("Softmax", [logits], output, axis=1)
        return
    pairs_shape = graph.constant("pairs_shape", np.array([0, -1, 1]), TensorProto.INT64)
    column = graph.node("Reshape", [logits, pairs_shape])  # (N, n_outputs, 1)
    zeros = graph.node(
        "ConstantOfShape",
        [graph.node("Shape", [column])],
        value=helper.make_tensor("value", graph.proto, [1], [0.0]),
    )
    pairs = graph.node(
        "Softmax", [graph.node("Concat", [zeros, column], axis=2)], axis=2
    )
    if _is_multilabel(model):
        second = graph.constant("second", np.array(1), TensorProto.INT64)
        graph.node("Gather", [pairs, second], output, axis=2)
    else:
        # Binary: [σ(−a2), σ(a2)] is the one pair, (N, 1, 2) -> (N, 2).
        proba_shape = graph.constant(
            "proba_shape", np.array([-1, 2]), TensorProto.INT64
        )
        graph.node("Reshape", [pairs, proba_shape], output)


def _write_raw_scores(graph, model, logits, output):
    """``decision_function``'s logits as skl2onnx classifiers' scores, into
    ``output``: ``a2``; binary, ``LogisticRegression``'s two columns ``[−a2, a2]``,
    whose second ``CalibratedClassifierCV``'s graph calibrates."""
    if model.out_activation_ == "logistic" and not _is_multilabel(model):
        graph.node("Concat", [graph.node("Neg", [logits]), logits], output, axis=1)
    else:
        graph.node("Identity", [logits], output)


def convert_two_layer_sigmoid_classifier(scope, operator, container):
    """Write the network's forward pass, probabilities and labels into the graph.

    With ``raw_scores`` the second output holds the logits instead.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        Gives unique names to the graph's variables and operators.
    operator : skl2onnx.common._topology.Operator
        Its ``raw_operator`` is the fitted classifier, its inputs the features,
        its outputs the labels and the probabilities.
    container : skl2onnx.common._container.ModelComponentContainer
        Receives the nodes and the initializers (the weights).
    """
    model = operator.raw_operator
    graph = _GraphWriter(scope, operator, container)
    h1 = _hidden_layer(graph, model, operator.inputs[0].full_name)
    # a2 = b2 + W2 h1: the logits.
    W2T = graph.constant("W2T", np.asarray(model.W2_, dtype=graph.dtype).T)
    b2 = graph.constant("b2", np.asarray(model.b2_, dtype=graph.dtype))
    logits = graph.node("Add", [graph.node("MatMul", [h1, W2T]), b2])

    label_name, scores_name = (output.full_name for output in operator.outputs[:2])
    if container.get_options(model, {"raw_scores": False})["raw_scores"]:
        _write_raw_scores(graph, model, logits, scores_name)
    else:
        _write_probabilities(graph, model, logits, scores_name)

    # The labels from the logits, as predict computes them.
    if model.out_activation_ == "softmax":
        winner = graph.node("ArgMax", [logits], axis=1, keepdims=0)
    else:
        zero = graph.constant("zero", np.zeros((), graph.dtype))
        positive = graph.node("Greater", [logits, zero])  # predict: a2 > 0
        if _is_multilabel(model):  # predict's 0/1 matrix
            graph.node("Cast", [positive], label_name, to=TensorProto.INT64)
            return
        winner = graph.node("Cast", [positive], to=TensorProto.INT64)

    classes = graph.name("classes")
    labels = _label_initializer(
        classes, get_label_classes(scope, model), _labels_as_predicted(scope, model)
    )
    if labels.data_type == TensorProto.STRING:  # (skl2onnx copies only raw data)
        container.add_initializer(
            classes, TensorProto.STRING, list(labels.dims), list(labels.string_data)
        )
    else:
        container.add_initializer(classes, labels.data_type, None, labels)
    flat = graph.constant("flat", np.array([-1]), TensorProto.INT64)
    winner = graph.node("Reshape", [winner, flat])
    graph.node("Gather", [classes, winner], label_name, axis=0)


def _on_host(model):
    """``model``, or a copy with host NumPy fitted arrays: under array API dispatch
    the weights are on X's device and ``classes_`` in y's namespace, but skl2onnx
    reads ``classes_`` with NumPy and initializers are host data."""
    names = ("W1_", "b1_", "W2_", "b2_", "classes_")
    if all(isinstance(getattr(model, name), np.ndarray) for name in names):
        return model
    from sklearn.utils._array_api import move_to

    host = model._snapshot()
    for name in names:
        value = getattr(model, name)
        if not isinstance(value, np.ndarray):
            setattr(host, name, move_to(value, xp=np, device="cpu"))
    return host


# -- the network as a transformer: its hidden layer ---------------------------------
#: The name of the operator that computes the hidden layer
#: (:meth:`~sklearn_twolayer.TwoLayerSigmoidClassifier.transform`) where the network
#: is a transformer.
TRANSFORMER_ALIAS = "SklearnTwoLayerSigmoidClassifierTransform"

# For each conversion (skl2onnx's scope), the ids of the models that scikit-learn
# calls as transformers there: the network among them gives its hidden layer.
_TRANSFORMERS_BY_SCOPE = weakref.WeakKeyDictionary()


def _transformer_ids(scope):
    return _TRANSFORMERS_BY_SCOPE.setdefault(scope, set())


def _pipeline_transformers(pipeline, is_transformer):
    """The steps a pipeline calls ``fit_transform``/``transform`` on: all but the
    last, and the last too where the pipeline is itself a transformer."""
    steps = [estimator for _, estimator in pipeline.steps]
    return steps if is_transformer else steps[:-1]


def _feature_union_transformers(union, is_transformer):
    return [transformer for _, transformer in union.transformer_list]


def _column_transformer_transformers(column_transformer, is_transformer):
    return list(column_transformer.named_transformers_.values())


def _marking_transformers(parser, transformers):
    """skl2onnx's ``parser`` for a composite, which first records the members
    that ``transformers(model, is_transformer)`` names as transformers."""
    # Wrap skl2onnx's own parser once: a reload of this module wraps it afresh.
    parser = getattr(parser, "_parser_before_sklearn_twolayer", parser)

    @functools.wraps(parser)
    def parse(scope, model, inputs, custom_parsers=None):
        ids = _transformer_ids(scope)
        ids.update(id(member) for member in transformers(model, id(model) in ids))
        return parser(scope, model, inputs, custom_parsers=custom_parsers)

    parse._parser_before_sklearn_twolayer = parser
    return parse


def _parse_as_transformer(scope, model, inputs):
    """One operator, :data:`TRANSFORMER_ALIAS`, with one output: the hidden layer."""
    operator = scope.declare_local_operator(TRANSFORMER_ALIAS, model)
    operator.inputs = inputs
    hidden = scope.declare_local_variable("hidden", guess_tensor_type(inputs[0].type))
    operator.outputs.append(hidden)
    return operator.outputs


def hidden_layer_shape_calculator(operator):
    """The hidden layer's type: ``[N, n_hidden]``, double for a double input, else
    float (as the graph computes).

    Parameters
    ----------
    operator : skl2onnx.common._topology.Operator
        The :data:`TRANSFORMER_ALIAS` operator of a fitted classifier.
    """
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    is_double = guess_proto_type(operator.inputs[0].type) == TensorProto.DOUBLE
    tensor_type = DoubleTensorType if is_double else FloatTensorType
    n_rows = operator.inputs[0].get_first_dimension()
    n_hidden = operator.raw_operator.W1_.shape[0]
    operator.outputs[0].type = tensor_type([n_rows, n_hidden])


def convert_hidden_layer(scope, operator, container):
    """Write the hidden layer ``h1 = σ(b1 + W1 x)``, ``transform``'s, into the graph.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
    operator : skl2onnx.common._topology.Operator
        Its ``raw_operator`` is the fitted classifier, its one output the hidden
        layer.
    container : skl2onnx.common._container.ModelComponentContainer
    """
    graph = _GraphWriter(scope, operator, container)
    _hidden_layer(
        graph,
        operator.raw_operator,
        operator.inputs[0].full_name,
        operator.outputs[0].full_name,
    )


def parse_two_layer_sigmoid_classifier(scope, model, inputs, custom_parsers=None):
    """The network's outputs where scikit-learn would call it.

    As a classifier (alone, a pipeline's last step, an ensemble member): skl2onnx's
    classifier parser. As a transformer (as the composites' parsers recorded): the
    hidden layer. Either way on a host copy of an array-API fit, to which the
    model's own options (``options={id(model): ...}``) apply.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
    model : TwoLayerSigmoidClassifier
    inputs : list of skl2onnx variables
    custom_parsers : dict or None

    Returns
    -------
    list of skl2onnx variables
        The outputs: labels and probabilities (or ZipMap's), or the hidden layer.
    """
    host = _on_host(model)
    if id(model) in _transformer_ids(scope):
        return _parse_as_transformer(scope, host, inputs)
    if host is not model and scope.options and id(model) in scope.options:
        scope.options[id(host)] = scope.options[id(model)]
    return _parse_sklearn_classifier(scope, host, inputs, custom_parsers)


update_registered_converter(
    TwoLayerSigmoidClassifier,
    ALIAS,
    two_layer_sigmoid_classifier_shape_calculator,
    convert_two_layer_sigmoid_classifier,
    parser=parse_two_layer_sigmoid_classifier,
    options={
        "zipmap": [True, False, "columns"],
        "nocl": [True, False],
        "output_class_labels": [False, True],
        "raw_scores": [True, False],
    },
)
register_converter(TRANSFORMER_ALIAS, convert_hidden_layer, overwrite=True)
register_shape_calculator(
    TRANSFORMER_ALIAS, hidden_layer_shape_calculator, overwrite=True
)
for _composite, _transformers in [
    (Pipeline, _pipeline_transformers),
    (FeatureUnion, _feature_union_transformers),
    (ColumnTransformer, _column_transformer_transformers),
]:
    update_registered_parser(
        _composite,
        _marking_transformers(sklearn_parsers_map[_composite], _transformers),
    )
del _composite, _transformers
