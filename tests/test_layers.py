"""The layers' boundaries, read from the source (AST), not from what happens to be imported
at run time.  The engine layer: numpy/scipy only, nothing from the other layers, no pandas
or matplotlib at import time (pandas only lazily, inside ``to_frame()``).  The review
layer: no pipeline, no presentation.  The presentation layer: no engine, no statistics
(a lazy import inside a function counts as much as one at the top)."""

from __future__ import annotations

import ast
import re
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
    assert {
        "__init__",
        "results",
        "estimators",
        "rma_uni",
        "qprofile",
        "multilevel",
        "robust",
        "pubbias",
        "casedeletion",
        "permutation",
        "effects",
        "linalg",
    } <= names


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_engine_imports_only_engine_and_errors(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [
        (m, line)
        for m, line in _imports(tree, module_level_only=False)
        if (m == "evsynth" or m.startswith("evsynth."))
        and not (m == "evsynth.errors" or m == "evsynth.engine" or m.startswith("evsynth.engine."))
    ]
    assert not bad, f"{path.name} imports from outside the engine: {bad}"


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_engine_has_no_module_level_pandas_or_matplotlib(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [(m, line) for m, line in _imports(tree, module_level_only=True) if m.split(".")[0] in HEAVY]
    assert not bad, f"{path.name} imports {bad} at module level (import pandas inside to_frame())"


def test_importing_the_engine_loads_no_pandas():
    code = (
        "import sys\n"
        "import evsynth.engine, evsynth.engine.rma_uni, evsynth.engine.multilevel, evsynth.engine.pubbias, "
        "evsynth.engine.casedeletion, evsynth.engine.effects, evsynth.engine.results\n"
        "from evsynth import rma, rma_mv, robust, regtest\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'matplotlib')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


# ------------------------------------------------------------------------------ review and presentation

SRC = Path(__file__).resolve().parents[1] / "src" / "evsynth"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in one file; relative imports are
    resolved against the file's package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ["evsynth", *path.relative_to(SRC).parent.parts]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
            # `from evsynth import engine` imports a subpackage (`__version__` is a name)
            out += [(node.lineno, f"{mod}.{a.name}") for a in node.names if mod == "evsynth" and a.name[0] != "_"]
    return out


def violations(layer: str, allowed) -> list[str]:
    found = []
    for path in sorted((SRC / layer).rglob("*.py")):
        for line, mod in imported_modules(path):
            if (mod == "evsynth" or mod.startswith("evsynth.")) and not allowed(mod):
                found.append(f"{path.relative_to(SRC.parent)}:{line}: imports {mod}")
    return found


def _within(mod: str, *prefixes: str) -> bool:
    return any(mod == p or mod.startswith(p + ".") for p in prefixes)


def test_review_layer_imports_neither_pipeline_nor_presentation():
    """review/ gets data frames and dicts: it may use the engine, itself, errors and the
    shared wording, never the pipeline (files, config, io) or the presentation."""
    bad = violations(
        "review", lambda m: _within(m, "evsynth.review", "evsynth.engine", "evsynth.errors", "evsynth.texts")
    )
    assert bad == []


def test_presentation_layer_imports_no_engine_and_no_statistics():
    """present/ reads tables: besides itself it may use evsynth.pipeline.io / reading / checks
    (reading), evsynth.catalog (where each table is), evsynth.outputs (atomic writing),
    evsynth.errors, the shared wording and the package version."""
    bad = violations(
        "present",
        lambda m: (
            _within(
                m,
                "evsynth.present",
                "evsynth.pipeline.io",
                "evsynth.pipeline.reading",
                "evsynth.pipeline.checks",
                "evsynth.catalog",
                "evsynth.outputs",
                "evsynth.errors",
                "evsynth.texts",
                "evsynth.draw",
            )
            or m == "evsynth"
        ),
    )
    assert bad == []
    for path in sorted((SRC / "present").rglob("*.py")):
        stats = [
            f"{path.name}:{line}: {mod}" for line, mod in imported_modules(path) if _within(mod, "scipy", "statsmodels")
        ]
        assert stats == [], "the presentation layer computes no statistics"


def test_api_layer_sits_on_the_engine():
    """api/ (data frames, formulas, plotting verbs) may use the engine, itself and errors;
    never review, pipeline or present, nor the top-level package (which imports api lazily)."""
    bad = violations("api", lambda m: _within(m, "evsynth.api", "evsynth.engine", "evsynth.errors", "evsynth.draw"))
    assert bad == []


def test_draw_layer_draws_and_computes_nothing():
    """draw/ (the drawing functions the plotting verbs and the report share) imports matplotlib,
    numpy, itself and evsynth.errors only: no engine, no scipy, no pandas, no other layer."""
    assert violations("draw", lambda m: _within(m, "evsynth.draw", "evsynth.errors")) == []
    for path in sorted((SRC / "draw").rglob("*.py")):
        others = [
            f"{path.name}:{line}: {mod}"
            for line, mod in imported_modules(path)
            if not _within(mod, "evsynth", "matplotlib", "numpy", "__future__", "math", "typing", "textwrap")
        ]
        assert others == [], others


def test_nothing_below_the_api_layer_imports_it():
    """The engine and the review layer are below api/; present reads tables and draws them
    itself (it must not call the statistics-computing plotting verbs)."""
    for layer in ("engine", "review", "present", "draw"):
        bad = [v for v in violations(layer, lambda m: not _within(m, "evsynth.api")) if "evsynth.api" in v]
        assert bad == [], bad


def test_importing_the_front_end_loads_no_pandas_matplotlib_or_formulaic():
    """``from evsynth import rma`` (the front end) stays as light as the engine for arrays."""
    code = (
        "import sys\n"
        "from evsynth import rma, escalc, rma_mv, forest\n"
        "import numpy as np\n"
        "rma(np.array([0.1, 0.3, 0.2]), np.array([0.01, 0.02, 0.03]))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'matplotlib', 'formulaic')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from evsynth.pipeline.analysis import fit_main\n", ["evsynth.pipeline.analysis"]),
        ("def f():\n    from evsynth.engine import models\n", ["evsynth.engine"]),
        ("from ..engine.models import rma\n", ["evsynth.engine.models"]),
        ("from evsynth import engine\n", ["evsynth", "evsynth.engine"]),
    ],
)
def test_the_boundary_check_sees_every_kind_of_import(tmp_path, monkeypatch, source, expected):
    """The checker itself: top-level, lazy (inside a function), relative and package imports."""
    pkg = tmp_path / "evsynth" / "present"
    pkg.mkdir(parents=True)
    (pkg / "mod.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(__import__(__name__), "SRC", tmp_path / "evsynth")
    assert [m for _, m in imported_modules(pkg / "mod.py")] == expected


# ------------------------------------------------------------------------------ private names


def private_imports(path: Path) -> list[str]:
    """Every ``_private`` name one file takes from another evsynth module, and every
    ``_private`` module it imports from outside that module's own package (``_verbs`` is
    shared by the engine's modules only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ["evsynth", *path.relative_to(SRC).parent.parts]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                mod = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [(mod, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [(a.name, None) for a in node.names]
        else:
            continue
        for mod, name in targets:
            if not (mod == "evsynth" or mod.startswith("evsynth.")):
                continue
            parts = mod.split(".")
            # (``_`` is gettext's name for "translate", a convention, not a private helper)
            if name is not None and name.startswith("_") and not name.startswith("__") and name != "_":
                found.append(f"{path.relative_to(SRC.parent)}:{node.lineno}: {mod}.{name}")
            for i, part in enumerate(parts):
                if part.startswith("_") and not part.startswith("__") and parts[:i] != package:
                    found.append(f"{path.relative_to(SRC.parent)}:{node.lineno}: private module {mod}")
                    break
    return found


def test_no_module_imports_a_private_name_from_another():
    """Private helpers stay in their module (issue 11): what another module needs is public."""
    bad = [hit for path in sorted(SRC.rglob("*.py")) for hit in private_imports(path)]
    assert bad == []


@pytest.mark.parametrize(
    "where, source, hits",
    [
        ("conformance", "from evsynth.review.design import _as_text\n", 1),
        ("pipeline", "def f():\n    from ..engine.models import _control\n", 1),
        ("pipeline", "from evsynth.engine._verbs import fmt\n", 1),
        ("engine", "from evsynth.engine._verbs import fmt\n", 0),
        ("engine", "from evsynth.engine.results import fmt_p\n", 0),
    ],
)
def test_the_private_import_check_sees_them(tmp_path, monkeypatch, where, source, hits):
    pkg = tmp_path / "evsynth" / where
    pkg.mkdir(parents=True)
    (pkg / "mod.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(__import__(__name__), "SRC", tmp_path / "evsynth")
    assert len(private_imports(pkg / "mod.py")) == hits


# ------------------------------------------------------------------------------ no import circles in present/


def _present_graph() -> dict[str, set[str]]:
    """module -> the evsynth.present modules it imports (top level and inside functions)."""
    root = SRC / "present"
    graph = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        name = ".".join(["evsynth", *rel.parts]).removesuffix(".__init__")
        deps = set()
        for _, mod in imported_modules(path):
            if _within(mod, "evsynth.present"):
                deps.add(mod)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):  # `from evsynth.present import labels` names a module
            if isinstance(node, ast.ImportFrom) and node.module in ("evsynth.present", "evsynth.present.sections"):
                deps |= {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {d for d in deps if d != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for d in sorted(graph.get(n, ())):
            if d not in graph:
                continue
            if state.get(d) == 1:
                return stack[stack.index(d) :] + [d]
            if d not in state and (found := visit(d)):
                return found
        stack.pop()
        state[n] = 2
        return []

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return []


def test_the_presentation_package_has_no_import_circle():
    """Issue 23 item 1: report.py <-> evidence.py <-> labels.py was a circle patched by imports
    inside functions; the split package (document, context, sections/, html, pdf) has none."""
    graph = _present_graph()
    assert {
        "evsynth.present.document",
        "evsynth.present.context",
        "evsynth.present.sections",
        "evsynth.present.html",
        "evsynth.present.pdf",
    } <= set(graph)
    assert _cycle(graph) == []


def test_the_circle_check_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


# ------------------------------------------------------------------------------ the catalogue, module sizes, circles


def test_catalog_imports_nothing_of_evsynth_but_errors():
    """evsynth.catalog sits below pipeline and present (both read it): it names the functions
    of the diagnostics as dotted strings and imports no layer."""
    files = sorted((SRC / "catalog").glob("*.py"))
    assert len(files) > 1  # a package: every module of it is checked
    found = [
        (path.name, mod)
        for path in files
        for _, mod in imported_modules(path)
        if (mod == "evsynth" or mod.startswith("evsynth.")) and not _within(mod, "evsynth.errors", "evsynth.catalog")
    ]
    assert found == []


LAYERS = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").is_file())


def test_every_subpackage_is_checked_for_long_modules():
    assert {"api", "catalog", "conformance", "draw", "engine", "pipeline", "present", "review"} <= set(LAYERS)


@pytest.mark.parametrize("layer", LAYERS + ["."])
def test_modules_hold_at_most_800_lines(layer):
    """Modules of one idea (issue 23 item 4): none over 800 lines, in every subpackage and at
    the top of the package (``"."``: evsynth/*.py)."""
    long = {
        str(p.relative_to(SRC)): n
        for p in sorted((SRC / layer).rglob("*.py") if layer != "." else SRC.glob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 800
    }
    assert long == {}


def module_graph(src: Path, package: str = "evsynth") -> dict[str, set[str]]:
    """module of ``package`` (the folder ``src``) -> the modules of the package it imports (at
    the top or inside a function; ``from package import module`` counts as importing that module)."""
    mods = {}
    for p in sorted(src.rglob("*.py")):
        parts = [package, *p.relative_to(src).with_suffix("").parts]
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        tree = ast.parse(p.read_text(encoding="utf-8"), filename=str(p))
        here = [package, *p.relative_to(src).parent.parts]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = (
                    ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
                    if node.level
                    else node.module or ""
                )
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            else:
                continue
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != m:
                    graph[m].add(t)
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of more than one module (Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                out.append(sorted(part))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


# the command line's client/server pair: cli delegates a command to the warm server, whose
# forked child runs cli's main (both imports inside functions)
ALLOWED_CIRCLES = [
    ["evsynth.pipeline.cli", "evsynth.pipeline.warm"],
]


def test_no_import_circle_in_the_package():
    """No two modules import each other, directly or round a longer loop (an import inside a
    function counts: it is how a circle is hidden), but the allowed pair."""
    circles = import_circles(module_graph(SRC))
    assert [c for c in circles if c not in ALLOWED_CIRCLES] == []


@pytest.mark.parametrize(
    "files, expected",
    [
        (
            {"a.py": "from evsynth import b\n", "b.py": "def f():\n    from evsynth.a import x\n"},
            [["evsynth.a", "evsynth.b"]],
        ),
        (
            {"a.py": "from .b import x\n", "b.py": "import evsynth.c\n", "c.py": "from evsynth.a import y\n"},
            [["evsynth.a", "evsynth.b", "evsynth.c"]],
        ),
        ({"a.py": "from evsynth.b import x\n", "b.py": "import evsynth.errors\n", "errors.py": ""}, []),
        (
            {"p/__init__.py": "", "p/a.py": "from evsynth.p import b\n", "p/b.py": "from evsynth.p.a import z\n"},
            [["evsynth.p.a", "evsynth.p.b"]],
        ),
    ],
)
def test_the_circle_check_finds_them(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert import_circles(module_graph(tmp_path)) == expected


# ------------------------------------------------------------------------------ the coding scripts (coding/)

CODING = SRC.parents[1] / "coding"


def test_evsynth_never_imports_the_coding_scripts():
    """coding/ (the scripts that build data/) sits on top of evsynth: it may import evsynth,
    evsynth never imports it (it is not installed with the package)."""
    bad = [
        f"{path.relative_to(SRC.parent)}:{line}: imports {mod}"
        for path in sorted(SRC.rglob("*.py"))
        for line, mod in imported_modules(path)
        if mod == "coding" or mod.startswith("coding.")
    ]
    assert bad == []


def test_the_coding_scripts_use_only_public_evsynth_names_and_have_no_import_circle():
    graph = module_graph(CODING, package="coding")
    assert {"coding.common", "coding.rebuild", "coding.holwerda2014.build_coding_log"} <= set(graph)
    assert "coding.holwerda2014.build_effect_statements" in graph["coding.holwerda2014.build_coding_log"]
    assert import_circles(graph) == []
    private = []
    for path in sorted(CODING.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("evsynth"):
                private += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
                if any(part.startswith("_") for part in node.module.split(".")):
                    private.append(f"{path.name}: {node.module}")
    assert private == []


# ------------------------------------------------------------------------------ the tests' layout

TESTS = Path(__file__).resolve().parent
NOT_TEST_FOLDERS = {"r", "__pycache__"}  # tests/r: the R scripts that give expected values


# packages beside src/ that tests mirror too: the coding scripts (tests/coding/)
TOP_PACKAGES = {"coding": CODING}


def test_every_test_folder_mirrors_a_subpackage():
    folders = sorted(p.name for p in TESTS.iterdir() if p.is_dir() and p.name not in NOT_TEST_FOLDERS)
    assert folders, "tests/ has no module folders"
    assert [
        f
        for f in folders
        if not (SRC / f / "__init__.py").is_file()
        and not (f in TOP_PACKAGES and (TOP_PACKAGES[f] / "__init__.py").is_file())
    ] == []


def test_every_test_in_a_module_folder_imports_its_subpackage():
    """A test in tests/engine/ tests the engine: it imports ``evsynth.engine`` or one of its
    modules, or runs one as a program (``python -m evsynth.pipeline.warm``).  The api's verbs are
    the package's own top-level names, so ``from evsynth import rma`` counts for tests/api/."""
    stray = []
    for folder in sorted(p for p in TESTS.iterdir() if p.is_dir() and p.name not in NOT_TEST_FOLDERS):
        for path in sorted(folder.glob("test_*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            mods = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    mods |= {a.name for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module:
                    mods |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    mods |= set(re.findall(r"(?:evsynth|coding)(?:\.\w+)+", node.value))  # -m evsynth.x.y
            own = folder.name if folder.name in TOP_PACKAGES else f"evsynth.{folder.name}"
            ok = {own, "evsynth"} if folder.name == "api" else {own}
            if not any(m in ok or m.startswith(own + ".") for m in mods):
                stray.append(str(path.relative_to(TESTS)))
    assert stray == []


def test_the_layout_check_sees_a_stray_test(tmp_path, monkeypatch):
    (tmp_path / "engine").mkdir()
    (tmp_path / "engine" / "test_x.py").write_text("from evsynth.present import report\n")
    monkeypatch.setattr(sys.modules[__name__], "TESTS", tmp_path)
    with pytest.raises(AssertionError, match="engine/test_x.py"):
        test_every_test_in_a_module_folder_imports_its_subpackage()
    (tmp_path / "nosuch").mkdir()
    with pytest.raises(AssertionError, match="nosuch"):
        test_every_test_folder_mirrors_a_subpackage()
