"""The engine layer: numpy/scipy only, nothing from the other layers, no pandas or
matplotlib at import time (pandas only lazily, inside ``to_frame()``)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[1] / "src" / "evsynth" / "engine"
ENGINE_FILES = sorted(ENGINE.glob("*.py"))
HEAVY = ("pandas", "matplotlib")


def _imports(node: ast.AST, *, module_level_only: bool):
    """(module name, line) of every import under ``node``; with ``module_level_only``
    the bodies of functions (which run on call, not on import) are skipped."""
    for child in ast.iter_child_nodes(node):
        if module_level_only and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(child, ast.Import):
            for a in child.names:
                yield a.name, child.lineno
        elif isinstance(child, ast.ImportFrom):
            if child.level:  # relative: inside the engine package by construction
                yield "evsynth.engine." + (child.module or ""), child.lineno
            else:
                yield child.module or "", child.lineno
        yield from _imports(child, module_level_only=module_level_only)


def test_engine_files_are_found():
    names = {p.stem for p in ENGINE_FILES}
    assert {"__init__", "results", "models", "multilevel", "robust", "diagnostics", "effects", "linalg"} <= names


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_engine_imports_only_engine_and_errors(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [(m, line) for m, line in _imports(tree, module_level_only=False)
           if (m == "evsynth" or m.startswith("evsynth."))
           and not (m == "evsynth.errors" or m == "evsynth.engine" or m.startswith("evsynth.engine."))]
    assert not bad, f"{path.name} imports from outside the engine: {bad}"


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_engine_has_no_module_level_pandas_or_matplotlib(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [(m, line) for m, line in _imports(tree, module_level_only=True) if m.split(".")[0] in HEAVY]
    assert not bad, f"{path.name} imports {bad} at module level (import pandas inside to_frame())"


def test_importing_the_engine_loads_no_pandas():
    code = ("import sys\n"
            "import evsynth.engine.models, evsynth.engine.multilevel, evsynth.engine.robust, "
            "evsynth.engine.diagnostics, evsynth.engine.effects, evsynth.engine.results\n"
            "from evsynth import rma, rma_mv, robust, regtest\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'matplotlib')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
