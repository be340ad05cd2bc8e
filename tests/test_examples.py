"""The example gallery is executed by the docs build; these checks keep every example
inside what that build runs and within the project's rules for examples."""

import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def _gallery_conf():
    return runpy.run_path(str(ROOT / "docs" / "conf.py"))["sphinx_gallery_conf"]


def test_gallery_has_examples_and_a_readme():
    assert len(EXAMPLES) >= 7
    assert (ROOT / "examples" / "README.txt").is_file()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_is_executed_by_the_docs_build(path):
    # sphinx-gallery executes only the files whose path matches filename_pattern;
    # any other .py file would be rendered without being run, and could rot.
    conf = _gallery_conf()
    assert re.search(conf["filename_pattern"], str(path))
    assert not re.search(conf["ignore_pattern"], str(path))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_has_a_title_and_downloads_nothing(path):
    source = path.read_text(encoding="utf-8")
    # sphinx-gallery takes the page title from the docstring's first RST heading.
    assert re.match(r'"""\n(=+)\n[^\n]+\n\1\n', source), "no title in the docstring"
    for forbidden in ("fetch_", "urlopen", "requests.", "urlretrieve"):
        assert forbidden not in source, f"examples use bundled data only: {forbidden}"
