"""Sphinx configuration for the dlnfast documentation.

Build: ``python -m sphinx -W -b html doc doc/_build/html`` from the repository root, with dlnfast
importable (installed, or ``PYTHONPATH=$PWD/python`` with the compiled ``_core`` in place). The
gallery runs every ``examples/plot_*.py`` at its default size (under ~20 s each);
``DLNFAST_EXAMPLE_FULL=1`` runs the examples that have one at the paper's full size.
"""

import importlib.metadata
import warnings

import dlnfast

project = "dlnfast"
author = "The dlnfast developers"
copyright = "2026, The dlnfast developers"
try:  # the installed distribution's version (a development build's _core may carry none)
    release = importlib.metadata.version("dlnfast")
except importlib.metadata.PackageNotFoundError:
    release = dlnfast.__version__ or "0.1.0.dev0"
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "sg_execution_times.rst",
]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# numpydoc's own docstring validation is left off: the docstrings are written for readers of
# help() too, and -W already fails the build on any reST error in them.
numpydoc_validation_checks = set()

# No intersphinx: the docs must build offline (CI machines have no network).
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": True,
    "show_memory": False,
}

# Examples silence the ConvergenceWarning of deliberately short runs themselves; anything else a
# gallery script warns about should be visible in the build log, not turned into an error here.
warnings.filterwarnings("default")

html_theme = "pydata_sphinx_theme"
html_title = f"dlnfast {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []


def _skip_metadata_requests(app, what, name, obj, skip, options):
    # scikit-learn adds set_{fit,score,...}_request to every estimator; their docstrings cite
    # sklearn's own glossary, which this site does not have. They are documented by sklearn.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_requests)
