"""The package's shape: one fit path, no import cycle, sklearn helpers in one place."""

import ast
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sklearn_twolayer"


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
    graph = tool.import_graph(ROOT)
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
    expected = ["_targets.py"]
    if function == "_check_sample_weight":
        # The Dask backend calls it on one-value arrays, only for its messages.
        expected = ["_backends/dask.py", "_targets.py"]
    assert callers == expected


def test_only_the_estimator_runs_a_solver():
    """Backends provide sums; the one fit path in the estimator runs the solver."""
    callers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if {"minimize_lbfgs", "minimize_trust_ncg"} & _called_names(path)
    )
    assert callers == ["_classifier.py"]
