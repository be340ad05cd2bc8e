"""The release's metadata: the lower bounds CI installs are the ones pyproject states.

CI's minimum run installs the package with ``.ci/minimum-constraints.txt``; these
tests keep that file the exact minimum of every bound in ``pyproject.toml`` (the
runtime dependencies and the extras the run installs), so a bound cannot be raised
or added without CI testing it.
"""

import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest depends on tomli before Python 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONSTRAINTS = ROOT / ".ci" / "minimum-constraints.txt"
# The extras of the minimum run (.ci/run); array-api needs scikit-learn >= 1.9.
MINIMUM_RUN_EXTRAS = ["test", "docs", "dask", "onnx"]
# Bounds whose own version was never released: the lowest release above it.
NOT_RELEASED = {"pydata-sphinx-theme": Version("0.15.1")}


def _stated_lower_bounds(extras):
    """{name: highest '>=' bound} over the dependencies and ``extras``."""
    project = PYPROJECT["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    bounds = {}
    for line in requirements:
        requirement = Requirement(line)
        (specifier,) = requirement.specifier  # one bound per requirement
        assert specifier.operator == ">=", line
        name = canonicalize_name(requirement.name)
        bound = Version(specifier.version)
        bounds[name] = max(bounds.get(name, bound), bound)
    return bounds


def _pinned():
    pins = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", line
            pins[canonicalize_name(requirement.name)] = Version(specifier.version)
    return pins


def _padded(version, length):
    return version.release + (0,) * (length - len(version.release))


def test_every_stated_bound_is_pinned_and_nothing_else():
    assert sorted(_pinned()) == sorted(_stated_lower_bounds(MINIMUM_RUN_EXTRAS))


@pytest.mark.parametrize("name", sorted(_stated_lower_bounds(MINIMUM_RUN_EXTRAS)))
def test_the_pin_is_the_lowest_release_the_bound_allows(name):
    bound = _stated_lower_bounds(MINIMUM_RUN_EXTRAS)[name]
    pinned = _pinned()[name]
    if name in NOT_RELEASED:
        assert pinned == NOT_RELEASED[name]
        assert pinned.release[: len(bound.release)] == bound.release
    else:
        length = max(len(bound.release), len(pinned.release))
        assert _padded(pinned, length) == _padded(bound, length)


def test_the_array_api_extra_is_not_in_the_minimum_run():
    # It needs what the minimum run is below: scikit-learn 1.9, SciPy 1.14 and
    # NumPy 2.3.
    array_api = _stated_lower_bounds(["array-api"])
    assert array_api["scikit-learn"] == Version("1.9")
    assert array_api["scipy"] == Version("1.14")
    assert array_api["numpy"] == Version("2.3")
    pins = _pinned()
    for name in ("scikit-learn", "scipy", "numpy"):
        assert pins[name] < array_api[name]
    assert "torch" not in pins and "array-api-strict" not in pins


def test_the_python_classifiers_span_requires_python():
    project = PYPROJECT["project"]
    assert project["requires-python"] == ">=3.10"
    versions = [
        c.rsplit(" :: ", 1)[1]
        for c in project["classifiers"]
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert versions == ["3.10", "3.11", "3.12", "3.13"]
    assert "License :: " not in " ".join(project["classifiers"])  # PEP 639
    assert project["license"] == "BSD-3-Clause"
    assert project["license-files"] == ["LICENSE"]
    assert (
        (ROOT / "LICENSE")
        .read_text(encoding="utf-8")
        .startswith("BSD 3-Clause License")
    )
