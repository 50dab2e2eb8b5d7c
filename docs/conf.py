"""Sphinx configuration of evsynth's documentation site (``make docs``: HTML in docs/_build/html,
warnings are errors).  Pages: every ``docs/*.md`` (MyST Markdown, picked up by the index's glob),
the API reference generated from the docstrings (numpydoc, autosummary: ``api.md``) and the
gallery of executed examples (sphinx-gallery: ``docs/examples/plot_*.py`` -> ``auto_examples/``)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import evsynth  # noqa: E402

project = "evsynth"
author = "the evsynth developers"
copyright = "the evsynth developers, GPL-3.0-or-later"
version = release = evsynth.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "examples/*",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.json",
    "**.ipynb_checkpoints",
]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # pages moved out of README may start below h1

autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()

html_theme = "pydata_sphinx_theme"
html_title = f"evsynth {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
html_static_path: list[str] = []

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "plot_gallery": "True",
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
}
