"""What a reader of the README, the docs and the API pages is told (issue 33).

The narrative pages' code runs in CI's rst doctests and the docs build; here: that
the install commands work before a release, and that the API pages list real
attributes only.
"""

import re
from pathlib import Path

import pytest

import sklearn_twolayer

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.rst"))]


def test_no_install_command_names_a_release_that_is_not_on_the_index():
    """sklearn-twolayer is not on the package index yet: a command line that
    installs it by name (with or without extras) fails on a fresh machine. The
    commands install from a clone (``pip install .`` or ``".[extra]"``)."""
    by_name = re.compile(r"^\s*(\$\s*)?pip install [^#]*\bsklearn-twolayer\b")
    found = [
        f"{page.relative_to(ROOT)}:{number}: {line.strip()}"
        for page in PAGES
        for number, line in enumerate(page.read_text().splitlines(), 1)
        if by_name.search(line)
    ]
    assert found == []


@pytest.mark.parametrize(
    "name", ["TwoLayerSigmoidClassifier", "TwoLayerSigmoidClassifierCV"]
)
def test_the_attributes_sections_list_attributes_only(name):
    """Every entry of a class's Attributes section is a fitted attribute (or a
    comma-separated group of them): a free paragraph there renders on the API page
    as fake attributes in bold."""
    docscrape = pytest.importorskip("numpydoc.docscrape")
    attributes = docscrape.ClassDoc(getattr(sklearn_twolayer, name))["Attributes"]
    assert attributes
    for attribute in attributes:
        for part in attribute.name.split(","):
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*_", part.strip()), attribute.name
