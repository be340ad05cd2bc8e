"""The package's shape: one fit path, no import cycle, sklearn helpers in one place,
the network's mathematics in one module, one backend interface met by every backend."""

import ast
import importlib
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

import sklearn_twolayer
from sklearn_twolayer._sklearn_compat import ARRAY_API_VERSION

ROOT = Path(__file__).resolve().parent.parent
# The package under test: the checkout's, or the installed one when CI tests the
# wheel (from the sdist's files, without the package's sources).
PACKAGE = Path(sklearn_twolayer.__file__).resolve().parent


def _tool():
    spec = importlib.util.spec_from_file_location(
        "import_graph", ROOT / "tools" / "import_graph.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _called_names(path):
    """Names of the functions a module calls (``f(...)`` or ``module.f(...)``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Attribute):
                names.add(function.attr)
            elif isinstance(function, ast.Name):
                names.add(function.id)
    return names


def test_the_package_has_no_import_cycle():
    tool = _tool()
    graph = tool.import_graph(PACKAGE.parent)
    assert "sklearn_twolayer._backends.dask" in graph
    assert tool.find_cycle(graph) is None


def test_the_cycle_check_finds_a_cycle():
    tool = _tool()
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "a.sub": ["a"]}
    assert tool.find_cycle(graph) == ["a", "b", "c", "a"]
    assert tool.find_cycle({"a": [], "a.sub": ["a"]}) is None  # up to the package


@pytest.mark.parametrize(
    "function", ["type_of_target", "compute_class_weight", "_check_sample_weight"]
)
def test_target_and_weight_helpers_are_called_from_one_module(function):
    callers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if function in _called_names(path)
    )
    assert callers == ["_targets.py"]


def test_only_the_estimator_runs_a_solver():
    """Backends provide sums; the one fit path in the estimator runs the solver."""
    callers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if {"minimize_lbfgs", "minimize_trust_ncg"} & _called_names(path)
    )
    assert callers == ["_classifier.py"]


# -- the mathematics once (issue 19) -----------------------------------------------
# The network's kernels: each activation, loss, forward and backward pass of
# eqs. 1.1-1.6, the Hessian-vector product and the input gradient of 2.2.2.
KERNELS = {
    "sigmoid",
    "hidden_sigmoid_",
    "log_sigmoid",
    "log_softmax",
    "output_proba",
    "log_output_proba",
    "per_sample_loss",
    "hidden_layer",
    "output_logits",
    "forward",
    "output_jacobian",
    "output_jvp_",
    "loss_gradient_block",
    "data_loss_block",
    "hessian_point_block",
    "kept_hessian_point",
    "hessian_product_block",
    "input_gradient_block",
}
# The element-wise functions an activation or a loss is made of, in any namespace.
ELEMENTWISE = {"exp", "expm1", "tanh", "expit", "logaddexp", "log", "log1p", "sigmoid"}
# Products outside the network, none of them a pass through it.
OTHER_PRODUCTS = {
    "_objective.py",  # ‖W1‖² + ‖W2‖² of the L2 term
    "gradients.py",  # wᵀx of 2.2.2's single unit, the document's worked example
    "_targets.py",  # the weighted class totals of class_weight="balanced"
    "_solver.py",  # inner products of parameter-sized vectors in trust-ncg's loop
}


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


def _defined_functions(path):
    return {
        node.name
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _elementwise_calls(path):
    """Calls such as ``np.exp(...)``, ``xp.tanh(...)``, ``expit(...)``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Attribute) and function.attr in ELEMENTWISE:
                found.add(function.attr)
            elif isinstance(function, ast.Name) and function.id in {"expit"}:
                found.add(function.id)
    return found


def _has_products(path):
    """Whether a module multiplies matrices (``@``, ``matmul``, ``dot``)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in {"matmul", "dot", "einsum", "tensordot"}:
                return True
    return False


@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_each_kernel_is_defined_in_one_module_only(kernel):
    definers = [
        str(path.relative_to(PACKAGE))
        for path in _modules()
        if kernel in _defined_functions(path)
    ]
    assert definers == ["network.py"]


def test_activations_and_losses_are_computed_in_the_network_only():
    """No other module evaluates an exponential, a logarithm or a tanh: an
    activation or a loss written a second time (the array-API backend's port,
    the tanh form of the hidden sigmoid) would."""
    computing = {
        str(path.relative_to(PACKAGE)): sorted(_elementwise_calls(path))
        for path in _modules()
        if _elementwise_calls(path)
    }
    assert list(computing) == ["network.py"]


def test_forward_and_backward_passes_are_in_the_network_only():
    """Every matrix product of a pass through the network is in network.py."""
    multiplying = {
        str(path.relative_to(PACKAGE)) for path in _modules() if _has_products(path)
    }
    assert multiplying == {"network.py"} | OTHER_PRODUCTS


def test_only_the_execution_module_imports_threadpoolctl():
    importers = sorted(
        str(path.relative_to(PACKAGE))
        for path in _modules()
        if "threadpoolctl" in path.read_text()
        and any(
            isinstance(node, ast.Import | ast.ImportFrom)
            and "threadpoolctl"
            in (
                node.module or ""
                if isinstance(node, ast.ImportFrom)
                else " ".join(a.name for a in node.names)
            )
            for node in ast.walk(ast.parse(path.read_text()))
        )
    )
    assert importers == ["_execution.py"]


# -- the mathematics apart from the machinery (issue 32, point 2) -------------------
# What network.py may ask of _execution: to run its kernels over the rows. How the
# rows are cut, which thread computes them and how BLAS is set are decided there.
RUNNING_THE_KERNELS = {"map_rows", "sum_over_row_blocks", "BlockScratch", "NO_VECTOR"}


def _attributes_of(path, module):
    """The names a module reads from ``module`` (``module.name``) or imports."""
    tree = ast.parse(path.read_text())
    names = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == module
    }
    return names | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == module
        for alias in node.names
    }


def test_the_network_decides_no_block_thread_or_blas_setting():
    """network.py hands its kernels to _execution: it reads none of its block
    sizes, thresholds, thread or BLAS controls."""
    assert _attributes_of(PACKAGE / "network.py", "_execution") <= RUNNING_THE_KERNELS


def test_the_execution_module_imports_nothing_of_the_package():
    tree = ast.parse((PACKAGE / "_execution.py").read_text())
    relative = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level > 0
    ]
    absolute = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
        if "sklearn_twolayer" in (getattr(node, "module", None) or alias.name)
    ]
    assert relative == absolute == []


def test_the_objective_is_composed_in_one_module():
    """The L2 term and the normalisation are added in _objective.py alone: the
    network's objective methods are its Objective over their arrays."""
    callers = sorted(
        str(path.relative_to(PACKAGE))
        for path in _modules()
        if {"penalty", "Objective"} & _called_names(path)
    )
    assert callers == ["_classifier.py", "_objective.py", "network.py"]
    assert "penalty" not in _called_names(PACKAGE / "network.py")
    assert "penalty" not in _called_names(PACKAGE / "_classifier.py")


# -- one interface, met by every backend ------------------------------------------
def _documented_interface():
    """``{function: [parameter names]}`` from the ``_backends`` docstring's list."""
    import sklearn_twolayer._backends as backends

    doc = backends.__doc__
    block = doc[doc.index("The interface") :].split("::", 1)[1]
    block = block.split("\n\n", 2)[1]  # the literal block after "::"
    interface = {}
    for line in block.splitlines():
        match = re.match(r"\s{4}(\w+)\(([^)]*)\)?", line)
        if match and not line.startswith(" " * 8):
            parameters = [
                part.split("=")[0].strip()
                for part in match.group(2).split(",")
                if part.strip() not in ("", "*")
            ]
            interface[match.group(1)] = parameters
    return interface


def test_the_documented_interface_is_read():
    assert _documented_interface() == {
        "training_rows": [
            "estimator",
            "X",
            "y",
            "sample_weight",
            "reset",
            "n_hidden",
            "targets",
        ],
        "prediction_input": ["estimator", "X", "method"],
        "map_rows": ["function", "X", "dtype", "shape"],
        "fitted_array": ["rows", "array"],
        "fitted_classes": ["y", "classes"],
    }


@pytest.mark.parametrize("backend", ["in_memory", "array_api", "dask"])
def test_each_backend_meets_the_documented_interface(backend):
    if backend == "dask":
        pytest.importorskip("distributed")
    if backend == "array_api":  # its module imports scikit-learn 1.9's move_to
        pytest.importorskip("sklearn", minversion=ARRAY_API_VERSION)
    module = importlib.import_module(f"sklearn_twolayer._backends.{backend}")
    for name, parameters in _documented_interface().items():
        function = getattr(module, name)
        assert name in module.__all__
        assert list(inspect.signature(function).parameters) == parameters, name
    # Nothing else a caller could reach for: the rest of __all__ is the rows'
    # class and constants.
    extra = {
        name
        for name in module.__all__
        if inspect.isfunction(getattr(module, name))
        and name not in _documented_interface()
    }
    assert extra <= {"is_array_api_input"}  # backend_for's question to it


# The estimator's fit and prediction: one path for every backend.
ONE_PATH = {
    "fit",
    "_fit",
    "_predict_rows",
    "decision_function",
    "predict_proba",
    "predict_log_proba",
    "predict",
    "input_gradient",
    "transform",
}


def test_the_estimator_names_no_backend_and_no_array_library():
    tree = ast.parse((PACKAGE / "_classifier.py").read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "_backends"
        for alias in node.names
    }
    assert imported == {"backend_for"}
    names = {
        node.id if isinstance(node, ast.Name) else node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Name | ast.Attribute)
    }
    assert not names & {
        "in_memory",
        "dask",
        "array_api",
        "torch",
        "cupy",
        "is_dask_collection",
        "is_device_array",
    }


def test_fit_and_prediction_do_not_branch_on_the_kind_of_backend_or_array():
    """No ``backend is ...``, no ``isinstance(X, ...)`` in the one path."""
    tree = ast.parse((PACKAGE / "_classifier.py").read_text())
    methods = {
        node.name: node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name in ONE_PATH
    }
    assert set(methods) == ONE_PATH
    for name, method in methods.items():
        for node in ast.walk(method):
            if isinstance(node, ast.Compare):
                assert not any(
                    isinstance(op, ast.Is | ast.IsNot) for op in node.ops
                ) or not any(
                    isinstance(side, ast.Name) and side.id == "backend"
                    for side in [node.left, *node.comparators]
                ), name
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"isinstance", "hasattr", "getattr"}
            ):
                first = node.args[0]
                assert not (
                    isinstance(first, ast.Name)
                    and first.id in {"X", "y", "backend", "rows", "A2", "scores"}
                ), name


# -- no branch on the kind of array in the estimators (issue 32, point 2) ------------
# The modules whose code must not ask what kind of array it holds: where the rows
# or the fitted arrays live is the backends' question (and _prediction's, which
# puts the fitted network where the rows are).
ARRAY_BLIND = ("_classifier.py", "_cv.py")
# Libraries whose types are kinds of array (or of array elements and dtypes).
ARRAY_LIBRARIES = {
    "numpy",
    "scipy",
    "dask",
    "torch",
    "cupy",
    "jax",
    "array_api_strict",
    "array_api_compat",
}
# Names of array types, whatever they were imported from.
ARRAY_TYPE_NAMES = {
    "ndarray",
    "dtype",
    "generic",
    "matrix",
    "spmatrix",
    "sparray",
    "csr_matrix",
    "csc_matrix",
    "coo_matrix",
    "csr_array",
    "csc_array",
    "Array",
    "Tensor",
}


def _imported_as(tree):
    """``{local name: dotted name}`` of a module's imports (``np`` -> ``numpy``,
    ``sparse`` -> ``scipy.sparse``, ``ndarray`` -> ``numpy.ndarray``)."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:  # `import a.b` binds `a`
                    root = alias.name.split(".")[0]
                    names[root] = root
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node, imported):
    """``np.ndarray`` -> ``"numpy.ndarray"``; None for what is not a dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(imported.get(node.id, node.id))
    return ".".join(reversed(parts))


def _names_an_array_type(node, imported):
    """Whether a type expression (a name, ``a.b``, or a tuple or ``|`` of them)
    names a type of an array library."""
    if isinstance(node, ast.Tuple):
        return any(_names_an_array_type(item, imported) for item in node.elts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _names_an_array_type(node.left, imported) or _names_an_array_type(
            node.right, imported
        )
    dotted = _dotted(node, imported)
    if dotted is None:
        return False
    return (
        dotted.split(".")[0] in ARRAY_LIBRARIES
        or dotted.split(".")[-1] in ARRAY_TYPE_NAMES
    )


def _array_kind_branches(source):
    """``(line, code)`` of each ``isinstance``/``issubclass`` against an array type
    and each ``type(...) is``/``==`` one in ``source``."""
    tree = ast.parse(source)
    imported = _imported_as(tree)
    found = []
    for node in ast.walk(tree):
        types = []
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"isinstance", "issubclass"}
            and len(node.args) == 2
        ):
            types = [node.args[1]]
        elif isinstance(node, ast.Compare) and any(
            isinstance(side, ast.Call)
            and isinstance(side.func, ast.Name)
            and side.func.id == "type"
            for side in [node.left, *node.comparators]
        ):
            types = [node.left, *node.comparators]
        if any(_names_an_array_type(t, imported) for t in types):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_array_kind_check_finds_branches():
    """The check itself, on code that branches on arrays in each way it looks for,
    and on code that asks only about Python values."""
    branching = """
import numpy as np
import scipy.sparse as sp
import torch
from dask.array import Array
from numpy import ndarray

isinstance(a, np.ndarray)
isinstance(dtype, np.dtype)
isinstance(a, (int, np.generic))
isinstance(a, sp.csr_matrix)
isinstance(a, Array)
isinstance(a, ndarray)
isinstance(a, torch.Tensor)
isinstance(a, str | np.ndarray)
type(a) is np.ndarray
"""
    assert len(_array_kind_branches(branching)) == 9
    plain = """
import numbers
from numbers import Integral
isinstance(a, Integral)
isinstance(a, (str, bool)) or isinstance(a, numbers.Number)
isinstance(a, float)
type(a) is int
"""
    assert _array_kind_branches(plain) == []


@pytest.mark.parametrize("module", ARRAY_BLIND)
def test_the_estimators_do_not_branch_on_the_kind_of_array(module):
    """No ``isinstance(..., np.ndarray)``, ``np.dtype``, a sparse, Dask or torch
    type, anywhere in the estimator modules: not only in the one path's methods
    and not only for variables of given names."""
    assert _array_kind_branches((PACKAGE / module).read_text()) == []
