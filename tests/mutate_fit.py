"""Mutation testing of ``TwoLayerSigmoidClassifier.fit`` itself.

mutmut (configured in pyproject.toml) leaves decorated functions alone, and ``fit``
carries scikit-learn's ``@_fit_context``. This small runner fills that gap: it makes
one mutant per site of ``fit``'s body (comparison and boolean operators flipped,
``not`` dropped, constants changed, keyword arguments dropped, statements deleted),
writes each into a copy of the package, and runs the same test files as the mutmut
configuration against it. Run from the repository root::

    CI=1 python tests/mutate_fit.py

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

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path("sklearn_twolayer/_classifier.py")
TESTS = ["tests/test_properties.py", "tests/test_hostile_inputs.py"]
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


def _fit_node(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "fit":
            return node
    raise LookupError("no fit() in " + str(TARGET))


def _mutations(fit):
    """Yield (description, function that mutates a deep copy of fit in place)."""
    for index, node in enumerate(ast.walk(fit)):
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


def _apply(tree, index, change):
    mutated = copy.deepcopy(tree)
    node = list(ast.walk(_fit_node(mutated)))[index]
    if change == "drop_not":
        # replace the UnaryOp by its operand through its parent
        for parent in ast.walk(_fit_node(mutated)):
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
        for description, index, change in _mutations(_fit_node(tree)):
            (workdir / TARGET).write_text(_apply(tree, index, change))
            fate = _run_tests(workdir, timeout=3 * elapsed + 30)
            counts[fate] += 1
            print(f"{fate:8s} fit {description}", flush=True)
        (workdir / TARGET).write_text(source)
    total = sum(counts.values())
    detected = counts["killed"] + counts["timeout"]
    print(f"{total} mutants: {counts}; score {detected / total:.1%}")


if __name__ == "__main__":
    main()
