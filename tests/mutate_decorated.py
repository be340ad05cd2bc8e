"""Mutation testing of the estimator's decorated methods, which mutmut leaves alone.

mutmut (configured in pyproject.toml) does not mutate decorated functions: ``fit``
carries scikit-learn's ``@_fit_context``, and ``decision_function``,
``predict_proba``, ``predict_log_proba`` and ``predict`` carry
``@_dispatch_prediction``, whose own ``dispatch`` carries ``functools.wraps``. This
small runner fills that gap: it makes one mutant per site of each such function's
body (comparison and boolean operators flipped, ``not`` dropped, constants changed,
keyword arguments dropped, statements deleted), writes each into a copy of the
package, and runs the test files of the mutmut configuration against it, stopping at
the first failure. Run from the repository root::

    CI=1 HYPOTHESIS_PROFILE=mutation python tests/mutate_decorated.py  # Python 3.11+

It prints every mutant with its fate and the score; survivors are listed in
tests/MUTATION.md with why each is equivalent.
"""

import ast
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path("sklearn_twolayer/_classifier.py")
TESTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"][
    "pytest_add_cli_args_test_selection"
]
FLIPPED = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


def _decorated_functions(tree):
    """Names of the functions with a decorator, at any depth (mutmut skips them)."""
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.decorator_list
    ]


def _function_node(tree, name):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise LookupError(f"no {name}() in {TARGET}")


def _mutations(function):
    """Yield (description, node index, change applied to that node of a copy)."""
    for index, node in enumerate(ast.walk(function)):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Compare) and type(node.ops[0]) in FLIPPED:
            op = type(node.ops[0])
            yield (
                f"{where}: {op.__name__} -> {FLIPPED[op].__name__}",
                index,
                lambda n, op=op: n.ops.__setitem__(0, FLIPPED[op]()),
            )
        elif isinstance(node, ast.BoolOp):
            other = ast.Or if isinstance(node.op, ast.And) else ast.And
            yield (
                f"{where}: and <-> or",
                index,
                lambda n, o=other: setattr(n, "op", o()),
            )
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield f"{where}: drop not", index, "drop_not"
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            yield (
                f"{where}: {node.value} -> {not node.value}",
                index,
                lambda n: setattr(n, "value", not n.value),
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            yield (
                f"{where}: {node.value!r} -> {node.value + 1!r}",
                index,
                lambda n: setattr(n, "value", n.value + 1),
            )
        elif isinstance(node, ast.Call) and node.keywords:
            for k, keyword in enumerate(node.keywords):
                yield (
                    f"{where}: drop keyword {keyword.arg}=",
                    index,
                    lambda n, k=k: n.keywords.pop(k),
                )
        if hasattr(node, "body") and isinstance(node.body, list):
            for s, statement in enumerate(node.body):
                if isinstance(statement, ast.Expr) and isinstance(
                    statement.value, ast.Constant
                ):
                    continue  # the docstring
                yield (
                    f"line {statement.lineno}: delete statement",
                    index,
                    lambda n, s=s: n.body.__setitem__(s, ast.Pass()),
                )


def _apply(tree, name, index, change):
    mutated = copy.deepcopy(tree)
    function = _function_node(mutated, name)
    node = list(ast.walk(function))[index]
    if change == "drop_not":
        # replace the UnaryOp by its operand through its parent
        for parent in ast.walk(function):
            for field, value in ast.iter_fields(parent):
                if value is node:
                    setattr(parent, field, node.operand)
                elif isinstance(value, list) and node in value:
                    value[value.index(node)] = node.operand
    else:
        change(node)
    return ast.unparse(ast.fix_missing_locations(mutated))


def _run_tests(workdir, timeout):
    env = {**os.environ, "PYTHONPATH": str(workdir)}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    try:
        done = subprocess.run(
            command + TESTS, cwd=workdir, env=env, capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return "timeout"
    return "survived" if done.returncode == 0 else "killed"


def main():
    source = (ROOT / TARGET).read_text()
    tree = ast.parse(source)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp) / "repo"
        shutil.copytree(ROOT / "sklearn_twolayer", workdir / "sklearn_twolayer")
        shutil.copytree(ROOT / "tests", workdir / "tests")
        shutil.copy(ROOT / "pyproject.toml", workdir / "pyproject.toml")
        start = time.perf_counter()
        baseline = _run_tests(workdir, timeout=None)
        elapsed = time.perf_counter() - start
        if baseline != "survived":
            sys.exit("the tests fail on the unmutated code")
        counts = {"killed": 0, "timeout": 0, "survived": 0}
        for name in _decorated_functions(tree):
            function = _function_node(tree, name)
            for description, index, change in _mutations(function):
                (workdir / TARGET).write_text(_apply(tree, name, index, change))
                fate = _run_tests(workdir, timeout=3 * elapsed + 30)
                counts[fate] += 1
                print(f"{fate:8s} {name} {description}", flush=True)
        (workdir / TARGET).write_text(source)
    total = sum(counts.values())
    detected = counts["killed"] + counts["timeout"]
    print(f"{total} mutants: {counts}; score {detected / total:.1%}")


if __name__ == "__main__":
    main()
