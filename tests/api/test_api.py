"""The public API: the README's API table lists exactly ``evsynth.__all__``, and every
public verb has a numpy-style docstring (Parameters, Returns; References for the verbs
exported at the top level)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import evsynth
import evsynth.engine
from conftest import ROOT

README = ROOT / "docs" / "library.md"  # holds the API table
VERBS = [n for n in evsynth.__all__ if not n.startswith("__")]


def _api_table_names() -> list[str]:
    text = README.read_text(encoding="utf-8")
    m = re.search(r"^## API\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert m, "docs/library.md has no '## API' section"
    return re.findall(r"^\| `([A-Za-z_][A-Za-z0-9_]*)` \|", m.group(1), flags=re.M)


def test_readme_api_table_lists_exactly_the_exported_verbs():
    names = _api_table_names()
    assert len(names) == len(set(names)), "a verb is listed twice"
    assert sorted(names) == sorted(VERBS)


def _sections(doc: str) -> set[str]:
    return set(re.findall(r"^(\w+)\n-{3,}$", doc, flags=re.M))


@pytest.mark.parametrize("name", VERBS)
def test_exported_verbs_have_numpy_docstrings(name):
    doc = inspect.getdoc(getattr(evsynth, name)) or ""
    missing = {"Parameters", "Returns", "References"} - _sections(doc)
    assert not missing, f"evsynth.{name}: docstring lacks {sorted(missing)}"


def _engine_functions():
    for mod in pkgutil.iter_modules(evsynth.engine.__path__):
        m = importlib.import_module(f"evsynth.engine.{mod.name}")
        for n in getattr(m, "__all__", []):
            obj = getattr(m, n)
            if inspect.isfunction(obj):
                yield f"{mod.name}.{n}", obj


@pytest.mark.parametrize("name,fn", list(_engine_functions()), ids=lambda x: x if isinstance(x, str) else "")
def test_engine_public_functions_have_parameters_and_returns(name, fn):
    missing = {"Parameters", "Returns"} - _sections(inspect.getdoc(fn) or "")
    assert not missing, f"{name}: docstring lacks {sorted(missing)}"
