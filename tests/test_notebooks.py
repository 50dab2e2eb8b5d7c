"""The notebooks as a student meets them: each opens with a question, draws plots, has
exercises whose worked solutions are hidden by default, and ends with a reading list; the
notebooks are what ``notebooks/make_notebooks.py`` writes.  (They are executed top to bottom
in ``test_pipeline.py::test_notebooks_run_top_to_bottom``.)"""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT

NB = ROOT / "notebooks"
NAMES = ["01_explore_results.ipynb", "02_estimators.ipynb", "03_moderators.ipynb", "04_mdft_walkthrough.ipynb"]


def _load(name):
    return nbformat.read(NB / name, as_version=4)


def test_notebooks_are_what_the_generator_writes(tmp_path):
    subprocess.run([sys.executable, str(NB / "make_notebooks.py"), str(tmp_path)], check=True)
    assert {n: (tmp_path / n).read_bytes() for n in NAMES} == {n: (NB / n).read_bytes() for n in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_notebook_teaches(name):
    nb = _load(name)
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    # opens with a question
    assert "**Question:" in md[0] and "?" in md[0]
    # plots: a figure is drawn or shown
    assert any(("plt.show()" in c.source or "Image(" in c.source) for c in code)
    # exercises, each with a worked solution collapsed by default
    exercises = [m for m in md if m.startswith("**Exercise")]
    assert len(exercises) >= 2
    assert all("<details>" in m and "Worked solution" in m for m in exercises)
    hidden = [c for c in code if c.metadata.get("jupyter", {}).get("source_hidden") is True]
    assert hidden and all(c.source.startswith("# Worked solution") for c in hidden)
    # a reading list with at least three items
    reading = [m for m in md if m.startswith("## Reading list")]
    assert len(reading) == 1 and reading[0].count("\n- ") >= 3
    # the library is imported, never copied
    assert "from evsynth" in "".join(c.source for c in code)
    assert "def rma" not in "".join(c.source for c in code)


def test_surprising_numbers_are_explained():
    nb2 = "\n".join(c.source for c in _load("02_estimators.ipynb").cells)
    assert "ratio knha/z" in nb2 and "weighted RSS/(k-p)" in nb2
    assert "Q(tau²) = k - p" in nb2 and "s² = 1" in nb2
    nb3 = "\n".join(c.source for c in _load("03_moderators.ipynb").cells)
    assert "permutation p of 0.989" in nb3 and "keeps the average effect" in nb3
    # term names are shown whole: the coefficient table, not the fixed-width summary
    assert "to_frame()" in nb3


def test_mdft_walkthrough_covers_a_whole_analysis():
    src = "\n".join(c.source for c in _load("04_mdft_walkthrough.ipynb").cells)
    for step in ("vanderpol2017.csv", "rma_mv(", "robust(", "forest_pages(", "regtest(", "GRADE",
                 "Inconsistency", "Imprecision", "Indirectness", "Publication bias", "Risk of bias"):
        assert step in src, step
    # the data file is the shared dataset, byte for byte
    shared = ROOT.parent / "shared" / "datasets" / "vanderpol2017.csv"
    if shared.exists():
        assert (ROOT / "data" / "external" / "vanderpol2017.csv").read_bytes() == shared.read_bytes()
    assert "`vanderpol2017.csv`" in (ROOT / "data" / "external" / "README.md").read_text(encoding="utf-8")
