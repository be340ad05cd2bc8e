"""Sphinx configuration of the sklearn-twolayer documentation.

Build from the repository root with
``python -m sphinx -W -b html docs docs/_build/html``.
The example gallery (``examples/plot_*.py``) is executed on every build, so an example
that breaks fails the build. Nothing is fetched from the network: MathJax is served
from the built site (``sphinx-mathjax-offline``) and there is no intersphinx.
"""

import os
import sys
from pathlib import Path

import sklearn_twolayer

# Headless plotting for the gallery; set before sphinx-gallery imports matplotlib.
os.environ.setdefault("MPLBACKEND", "Agg")
# The array API example (plot_gpu_arrays.py) needs SciPy's array API mode, which
# SciPy reads once, when first imported: before autodoc imports the package.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))

project = "sklearn-twolayer"
author = "sklearn-twolayer developers"
copyright = "sklearn-twolayer developers"
release = sklearn_twolayer.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    # Figures drawn from code in the pages (the architecture page's data flow).
    "matplotlib.sphinxext.plot_directive",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
root_doc = "index"

# -- API reference ---------------------------------------------------------------
autosummary_generate = True
# A module page lists the names in its __all__, its public API, and nothing else.
autosummary_ignore_module_all = False
autodoc_default_options = {"members": True, "member-order": "bysource"}
# The class template lists the methods itself; numpydoc's own member tables would
# repeat them and need a stub page per inherited method.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Every public docstring must parse as numpydoc: a malformed section is a warning,
# and -W turns it into a failed build.
numpydoc_validation_checks = {"GL08"}
numpydoc_validation_exclude = {r"\._", r"\.__init__$"}


def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_*_request`` methods.

    They are metadata-routing plumbing that every estimator inherits; their
    docstrings cite scikit-learn's own glossary, which this site does not have.
    """
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


# -- example gallery -------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    # Every plot_*.py is executed; tests/test_examples.py keeps all examples named so.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "only_warn_on_example_error": False,
    "abort_on_example_error": False,
    "doc_module": ("sklearn_twolayer",),
    "backreferences_dir": "gen_modules/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "gallery_order.ReadingOrder",
    "matplotlib_animations": False,
    "show_memory": False,
}

# -- HTML ------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-twolayer {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    # The example pages give the right-hand column to their code and figures.
    "secondary_sidebar_items": {
        "*": ["page-toc", "sourcelink"],
        "generated/*": ["page-toc", "sourcelink"],
        "auto_examples/*": [],
    },
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# The narrative pages have no sub-pages: without the empty left sidebar the
# equations get the full width.
html_sidebars = {
    page: []
    for page in (
        "index",
        "install",
        "user_guide",
        "comparison",
        "real_data",
        "performance",
        "changelog",
    )
}
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = True


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)
