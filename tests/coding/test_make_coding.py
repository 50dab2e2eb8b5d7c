"""make coding (issue 23 item 6): the coding scripts in coding/ rebuild every coded table under
data/ byte for byte from the seeds and the hand-coded sheets; the scripts import normally (no
sys.path changes); data/ holds no Python; coding/README.md names every step's tables in the
order they run and every table under data/ no script makes.

Expected bytes are the shipped tables (made and checked by the coders, each against its seed
lines by tests/test_findings_coverage.py and tests/test_second_pass.py), not this run's output."""

from __future__ import annotations

import ast
import csv
import fnmatch
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coding import rebuild
from conftest import ROOT, SHARED

SEEDS = SHARED / "seeds"
CODING = ROOT / "coding"
DATA = ROOT / "data"
needs_seeds = pytest.mark.skipif(
    not (SEEDS / "003_169077222a0c6c24.txt").exists(), reason="the seed texts are not at ../shared/seeds"
)


def _copy(tmp_path: Path) -> Path:
    """The project's coding scripts and data, without the rest (the scripts write into the copy)."""
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(CODING, tmp_path / "coding", ignore=ignore)
    shutil.copytree(DATA, tmp_path / "data", ignore=ignore)
    return tmp_path


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _make_coding_command(seeds: str) -> list[str]:
    """What `make coding SEEDS=...` runs (make -n prints it without running it)."""
    p = subprocess.run(
        ["make", "-n", "-s", "coding", f"SEEDS={seeds}"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert p.returncode == 0, p.stderr
    lines = [l for l in p.stdout.splitlines() if "-m coding." in l]
    assert len(lines) == 1, p.stdout
    python, *args = lines[0].split()
    assert Path(python).name.startswith("python"), lines[0]
    return args


def test_make_coding_runs_the_rebuild_module():
    assert _make_coding_command("/some/seeds") == ["-m", "coding.rebuild", "--seeds", "/some/seeds"]


@needs_seeds
def test_make_coding_rebuilds_every_coded_table_byte_identically(tmp_path):
    root = _copy(tmp_path)
    outs = rebuild.outputs()
    assert len(outs) == len(set(outs)) == 20
    for rel in outs:  # a step that writes nothing (or writes elsewhere) leaves its table missing
        (root / "data" / rel).unlink()
    args = _make_coding_command(str(SEEDS))
    p = subprocess.run([sys.executable, *args], cwd=root, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "Traceback" not in p.stderr, p.stderr[-3000:]
    shipped, rebuilt = _files(DATA), _files(root / "data")
    assert sorted(rebuilt) == sorted(shipped)  # every table back, nothing new
    differ = [name for name in shipped if rebuilt[name] != shipped[name]]
    assert differ == []
    # one line per step, in order, naming its tables
    done = [l.split(":")[0] for l in p.stdout.splitlines() if l.startswith("coding.")]
    assert done == [m for m, _, _ in rebuild.STEPS]


@needs_seeds
def test_a_broken_coding_sheet_stops_the_rebuild_with_one_message(tmp_path):
    root = _copy(tmp_path)
    sheet = root / "data" / "findings" / "claims_coding.csv"
    with open(sheet, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    fid = rows[3]["finding_id"]
    rows[3]["claim_start"] = "words the seed does not hold"
    with open(sheet, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    before = (root / "data" / "findings" / "findings.csv").read_bytes()
    p = subprocess.run(
        [sys.executable, "-m", "coding.rebuild", "--seeds", str(SEEDS)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 1
    assert "Traceback" not in p.stderr
    msg = p.stderr.strip().splitlines()
    assert len(msg) == 1 and "claims_coding.csv" in msg[0] and fid in msg[0] and "claim_start" in msg[0], msg
    assert (root / "data" / "findings" / "findings.csv").read_bytes() == before


def test_rebuild_without_the_seeds_says_where_it_looked(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "coding.rebuild", "--seeds", str(tmp_path / "nothing")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2 and p.stdout == ""
    assert "Traceback" not in p.stderr
    assert "--seeds" in p.stderr and str(tmp_path / "nothing") in p.stderr and "003_169077222a0c6c24.txt" in p.stderr


@pytest.mark.parametrize(
    "module",
    [
        "coding.findings.build_findings",
        "coding.nji2020.build_nji",
        "coding.holwerda2014.split_bijlage5",
        "coding.holwerda2014.build_effect_statements",
        "coding.holwerda2014.build_reviews",
        "coding.holwerda2014.build_primary_studies",
        "coding.holwerda2014.build_coding_log",
    ],
)
def test_a_script_given_a_missing_seed_says_so_in_one_line(tmp_path, module):
    missing = tmp_path / "no_seed.txt"
    out = [] if module.endswith("split_bijlage5") else [str(tmp_path / "out.csv")]  # (it prints, writes nothing)
    p = subprocess.run(
        [sys.executable, "-m", module, str(missing), *out],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert p.stderr.strip().splitlines() == [
        f"{module}: SOURCE {missing}: no such file or folder (the seed text or the folder of the seed texts)"
    ]
    assert not (tmp_path / "out.csv").exists()


# ------------------------------------------------------------------------------ layout


def _sys_path_uses(source: str) -> list[int]:
    """Lines that read or change sys.path (``sys.path``, ``from sys import path``, ``site.addsitedir``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "path" and getattr(node.value, "id", "") == "sys":
            found.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "sys" and any(a.name == "path" for a in node.names):
            found.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr == "addsitedir":
            found.append(node.lineno)
    return found


@pytest.mark.parametrize(
    "source, hits",
    [
        ("import sys\nsys.path.insert(0, 'src')\n", 1),
        ("import sys\nsys.path[:0] = ['x']\n", 1),
        ("from sys import path\npath.append('x')\n", 1),
        ("import site\nsite.addsitedir('x')\n", 1),
        ("import os\nos.path.join('a', 'b')\n", 0),
        ("import sys\nsys.exit(1)\n", 0),
    ],
)
def test_the_sys_path_check_sees_them(source, hits):
    assert len(_sys_path_uses(source)) == hits


def test_no_coding_script_changes_sys_path():
    scripts = sorted(CODING.rglob("*.py"))
    assert len(scripts) >= 15
    bad = {
        p.relative_to(ROOT).as_posix(): lines
        for p in scripts
        if (lines := _sys_path_uses(p.read_text(encoding="utf-8"))) or "sys.path" in p.read_text(encoding="utf-8")
    }
    assert bad == {}


def test_every_coding_folder_is_a_package_and_data_holds_no_python():
    for folder in [CODING, *(p for p in CODING.iterdir() if p.is_dir() and p.name != "__pycache__")]:
        assert (folder / "__init__.py").is_file(), folder
    assert sorted(p.relative_to(ROOT).as_posix() for p in DATA.rglob("*.py")) == []


def test_coding_modules_hold_at_most_800_lines():
    long = {
        p.relative_to(ROOT).as_posix(): n
        for p in sorted(CODING.rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 800
    }
    assert long == {}


def test_every_step_module_has_a_main_and_its_docstring_gives_its_command_line():
    for module, _, _ in rebuild.STEPS:
        path = ROOT / (module.replace(".", "/") + ".py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body), module
        assert f"python -m {module}" in (ast.get_docstring(tree) or ""), module


# ------------------------------------------------------------------------------ the README


def _readme_steps() -> list[tuple[str, str]]:
    """(module, row text) of the step table of coding/README.md, in its order."""
    text = (CODING / "README.md").read_text(encoding="utf-8")
    return [(m.group(2), m.group(0)) for m in re.finditer(r"^\| (\d+) \| `(coding\.[\w.]+)` \|.*$", text, flags=re.M)]


def test_readme_lists_the_steps_in_order_with_their_tables():
    steps = _readme_steps()
    assert [m for m, _ in steps] == [m for m, _, _ in rebuild.STEPS]
    for (module, row), (_, outs, _) in zip(steps, rebuild.STEPS):
        writes = row.split(" | ")[2]
        assert sorted(re.findall(r"`([^`]+)`", writes)) == sorted(outs), module


def test_readme_names_every_table_under_data():
    """Each table is either made by a step or listed as coded by hand / copied."""
    text = (CODING / "README.md").read_text(encoding="utf-8")
    made = set(rebuild.outputs())
    globs = [g for g in re.findall(r"`([^`]+)`", text) if "*" in g]  # e.g. `external/*.csv`
    tables = [p.relative_to(DATA).as_posix() for p in sorted(DATA.rglob("*")) if p.is_file() and p.suffix != ".md"]
    assert len(tables) >= 50
    missing = [
        t
        for t in tables
        if t not in made and Path(t).name not in text and not any(fnmatch.fnmatch(t, g) for g in globs)
    ]
    assert missing == []
