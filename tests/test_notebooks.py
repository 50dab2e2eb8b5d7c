"""The notebooks as a student meets them: each opens with a question, draws plots, has
exercises whose worked solutions are hidden by default, and ends with a reading list; the
notebooks are what ``notebooks/make_notebooks.py`` writes, and they ship with the outputs of
a run.  Each notebook is executed here: its text outputs must equal the shipped ones, and the
numbers it prints must equal metafor's (``tests/r/notebooks.R`` -> ``notebooks_metafor.json``;
the robust row of notebook 04 from clubSandwich, ``tests/r/mdft_metafor.json``)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import time

import nbformat
import pytest

from conftest import ROOT

NB = ROOT / "notebooks"
NAMES = [
    "00_start_here.ipynb",
    "01_explore_results.ipynb",
    "02_estimators.ipynb",
    "03_moderators.ipynb",
    "04_mdft_walkthrough.ipynb",
]
R = json.loads((ROOT / "tests" / "r" / "notebooks_metafor.json").read_text(encoding="utf-8"))
R_MDFT = json.loads((ROOT / "tests" / "r" / "mdft_metafor.json").read_text(encoding="utf-8"))
REBUILD = "rebuild them: make report, then .venv/bin/python notebooks/make_notebooks.py"


def _generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", NB / "make_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


MK = _generator()


def _load(name):
    return nbformat.read(NB / name, as_version=4)


def _cells_only(nb):
    nb = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    return nb


def _markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _text(nb) -> str:
    return "\n".join(t for _, _, t in MK.text_outputs(nb))


def near(got: str | float, want: float, decimals: int) -> bool:
    """A printed number equals metafor's value rounded to the decimals printed."""
    return abs(float(got) - want) <= 0.5 * 10**-decimals + 1e-12


def grab(pattern: str, text: str) -> tuple:
    m = re.search(pattern, text)
    assert m, f"not printed: {pattern}"
    return m.groups()


def coef_rows(text: str, after: str) -> dict:
    """Every row of the first coefficient table printed after ``after``: {term: {column: value}}
    (column names without footnote marks such as 'pval¹')."""
    lines = text[text.index(after) :].splitlines()
    for i, line in enumerate(lines):
        cols = [c.rstrip("¹²") for c in line.split()]
        if cols[:1] == ["estimate"] and "ci.ub" in cols:
            rows = {}
            for row in lines[i + 1 :]:
                vals = [v for v in re.sub(r"<\s+", "<", row).split() if not re.fullmatch(r"[*.]+", v)]
                if len(vals) != len(cols) + 1:
                    break
                rows[vals[0]] = dict(zip(cols, vals[1:]))
            return rows
    raise AssertionError(f"no coefficient table after {after!r}")


def coef_row(text: str, after: str) -> dict:
    """The first coefficient row printed after ``after``, as {column: value}, read by its header
    (estimate, se, ..., ci.lb, ci.ub): with or without a term column, with or without
    significance stars, p as '< .0001' or '<.0001'."""
    lines = text[text.index(after) :].splitlines()
    for i, line in enumerate(lines):
        cols = [c.rstrip("¹²") for c in line.split()]
        if cols[:1] == ["estimate"] and "ci.ub" in cols:
            vals = re.sub(r"<\s+", "<", lines[i + 1]).split()
            vals = [v for v in vals if not re.fullmatch(r"[*.]+", v)]
            vals = vals[len(vals) - len(cols) :]  # a leading term name
            return dict(zip(cols, vals))
    raise AssertionError(f"no coefficient table after {after!r}")


# ------------------------------------------------------------------------- the cells and their shape


def test_notebooks_are_what_the_generator_writes(tmp_path):
    subprocess.run(
        [sys.executable, str(NB / "make_notebooks.py"), str(tmp_path), "--no-execute"], check=True, capture_output=True
    )
    for name in NAMES:
        written = nbformat.writes(nbformat.read(tmp_path / name, as_version=4))
        assert written == nbformat.writes(_cells_only(_load(name))), f"{name} differs from the generator: {REBUILD}"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_teaches(name):
    nb = _load(name)
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(nb.cells) >= 15
    # opens with a question
    assert "**Question:" in md[0] and "?" in md[0]
    # explanations between the code: no two code cells in a row without text for more than 3 cells
    kinds = "".join("c" if c.cell_type == "code" else "m" for c in nb.cells)
    assert "cccc" not in kinds
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
    # the library is imported from the package, never copied, never from engine modules or
    # from modules the package does not offer to users
    src = "\n".join(c.source for c in code)
    assert "from evsynth import" in src
    assert "def rma" not in src
    assert not re.search(r"evsynth\.(engine|review)\b|evsynth\.\w+\._", src)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_ships_with_outputs(name):
    nb = _load(name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), f"not executed in order: {REBUILD}"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"], "warnings in the outputs"
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure shown"
    assert not re.search(r" at 0x[0-9a-fA-F]{6,}", _text(nb)), "a memory address in the outputs"
    assert "execution" not in json.dumps([c.metadata for c in code])  # no timing


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
    for step in (
        "vanderpol2017.csv",
        "rma_mv(",
        "robust(",
        "forest_pages(",
        "regtest(",
        "GRADE",
        "Inconsistency",
        "Imprecision",
        "Indirectness",
        "Publication bias",
        "Risk of bias",
    ):
        assert step in src, step
    # the data file is the shared dataset, byte for byte
    shared = ROOT.parent / "shared" / "datasets" / "vanderpol2017.csv"
    if shared.exists():
        assert (ROOT / "data" / "external" / "vanderpol2017.csv").read_bytes() == shared.read_bytes()
    assert "`vanderpol2017.csv`" in (ROOT / "data" / "external" / "README.md").read_text(encoding="utf-8")


def test_mistakes_a_new_user_found_stay_fixed():
    nb3 = "\n".join(c.source for c in _load("03_moderators.ipynb").cells)
    # metadat documents `sessions` as "number of CBT sessions per week"
    assert "xlabel='CBT sessions per week'" in nb3 and "Number of sessions" not in nb3
    # the prediction interval is drawn in the style's PREDICTION colour, vermillion
    from evsynth.present import style

    assert style.PREDICTION == style.PALETTE["vermillion"]
    for name in ("00_start_here.ipynb", "01_explore_results.ipynb"):
        md = _markdown(_load(name))
        assert "prediction interval" in md and "vermillion (orange-red)" in md and " in red" not in md
    # exercise 1 of notebook 04 names the component that changes, the direction and the size
    ex1 = next(m for m in _markdown(_load("04_mdft_walkthrough.ipynb")).split("**Exercise")[1:] if m.startswith(" 1."))
    r, m = R["mdft"]["reml"]["sigma2"], R["mdft"]["ml"]["sigma2"]
    assert f"falls from {r[0]:.3f} to {m[0]:.3f}" in ex1 and "about a sixth" in ex1
    assert abs(m[0] / r[0] - 1 - (-1 / 6)) < 0.02 and abs(m[1] / r[1] - 1) < 0.01
    assert f"stays at {m[1]:.3f}" in ex1 and f"{r[1]:.3f}" == f"{m[1]:.3f}"


# ------------------------------------------------------------------ executed: same outputs, metafor's numbers

_FRESH: dict = {}


def run_timed(name, cwd):
    start = time.monotonic()
    nb = MK.execute(_load(name), cwd)
    assert time.monotonic() - start < 120, name  # about 10 s each on a quiet machine; generous for a shared one
    return nb


def fresh(name, cwd=NB):
    """The shipped notebook run again from the top (once per test session)."""
    if name not in _FRESH:
        _FRESH[name] = run_timed(name, cwd)
    return _FRESH[name]


def _same_outputs(name, nb):
    shipped, got = MK.text_outputs(_load(name)), MK.text_outputs(nb)
    assert got == shipped, f"{name}: a fresh run prints something else than the shipped outputs; {REBUILD}"
    shipped_png = [
        i
        for i, c in enumerate(_load(name).cells)
        if any("image/png" in o.get("data", {}) for o in c.get("outputs", []))
    ]
    assert shipped_png == [
        i for i, c in enumerate(nb.cells) if any("image/png" in o.get("data", {}) for o in c.get("outputs", []))
    ]


def test_00_start_here_prints_metafor_values():
    nb = fresh("00_start_here.ipynb")
    _same_outputs("00_start_here.ipynb", nb)
    t, s = _text(nb), R["start_here"]
    assert grab(r"(\d+) trials", t) == (str(s["k"]),)
    d, g, v = grab(r"Cohen's d = ([\d.]+); Hedges' g = ([\d.]+); variance v = ([\d.]+)", t)
    assert near(d, s["d_uncorrected"][0], 4) and near(g, s["g"][0], 4) and near(v, s["vi"][0], 4)
    g, v = grab(r"Kjobli 2012 from escalc: g = ([\d.]+), v = ([\d.]+)", t)
    assert near(g, s["g"][0], 4) and near(v, s["vi"][0], 4)
    est, se, lb, ub = grab(r'rma\(method="EE"\): ([\d.]+) \(SE ([\d.]+)\), 95% CI \[([\d.]+), ([\d.]+)\]', t)
    f = s["fixed"]
    assert all(near(a, f[b], 4) for a, b in [(est, "estimate"), (se, "se"), (lb, "ci_lb"), (ub, "ci_ub")])
    assert near(grab(r"by hand: ([\d.]+) \(SE", t)[0], f["estimate"], 4)
    q, i2 = grab(r"Q = ([\d.]+) on 15 degrees.*\n.*I² = \(Q - df\) / Q = ([\d.]+)%", t)
    assert near(q, f["QE"], 2) and near(i2, f["I2"], 1)
    rnd = s["random"]
    assert near(grab(r"tau\^2 \(estimated amount of (?:total )?heterogeneity\):\s+([\d.]+)", t)[0], rnd["tau2"], 4)
    assert near(grab(r"I\^2 \([^)]*\):\s+([\d.]+)%", t)[0], rnd["I2"], 2)
    row = coef_row(t, "Random-Effects Model")
    assert near(row["estimate"], rnd["estimate"], 4) and near(row["se"], rnd["se"], 4)
    assert near(row["ci.lb"], rnd["ci_lb"], 4) and near(row["ci.ub"], rnd["ci_ub"], 4)
    lb, ub = grab(r"Prediction interval: \[([\d.]+), ([\d.]+)\]", t)
    assert near(lb, rnd["pi_lb"], 4) and near(ub, rnd["pi_ub"], 4)
    # exercises 1-3
    g, v = grab(r"by hand: g = ([\d.]+), v = ([\d.]+); escalc", t)
    assert near(g, s["g"][1], 4) and near(v, s["vi"][1], 4)
    who, a, b, ta, tb = grab(r"left out: (.+); average ([\d.]+) -> ([\d.]+), tau² ([\d.]+) -> ([\d.]+)", t)
    drop = s["largest_dropped"]
    assert who == drop["study"] and near(a, rnd["estimate"], 4) and near(b, drop["random"]["estimate"], 4)
    assert near(ta, rnd["tau2"], 4) and near(tb, drop["random"]["tau2"], 4)
    nt = s["new_trial"]
    w, b = grab(r"fixed effect: weight of the new trial ([\d.]+)%, average [\d.]+ -> ([\d.]+)", t)
    assert near(w, nt["fixed_weight"], 1) and near(b, nt["fixed"], 3)
    w, b = grab(r"random effects: weight of the new trial ([\d.]+)%, average [\d.]+ -> ([\d.]+)", t)
    assert near(w, nt["random_weight"], 1) and near(b, nt["random"], 3)
    # the numbers the text states
    md = _markdown(nb)
    assert f"more than a fifth of the weight ({s['weights_fixed'][0]:.0f}%)" in md
    assert f"random-effects average (about {rnd['estimate']:.2f})" in md
    assert f"fixed-effect one (about {f['estimate']:.2f})" in md
    assert f"(95% CI {rnd['ci_lb']:.1f} to {rnd['ci_ub']:.1f})" in md and f"I² about {rnd['I2']:.0f}%" in md
    assert f"(from {rnd['estimate']:.2f} to about {nt['random']:.2f};" in md


def test_01_explore_results_prints_metafor_values(first_run):
    nbdir = first_run / "notebooks"
    nbdir.mkdir(exist_ok=True)
    shutil.copy2(NB / "01_explore_results.ipynb", nbdir / "01_explore_results.ipynb")
    nb = run_timed("01_explore_results.ipynb", nbdir)
    _same_outputs("01_explore_results.ipynb", nb)
    t = _text(nb)
    f = R["estimators"]["fits"]["REML adhoc"]  # config.yaml: barlow2014 is REML with test: adhoc
    pe, plb, pub, le, llb, lub, i2 = grab(
        r"pipeline: ([\d.]+) \[([\d.]+), ([\d.]+)\]; library: ([\d.]+) "
        r"\[([\d.]+), ([\d.]+)\]; I² = ([\d.]+)%",
        t,
    )
    for a, b in [(pe, "estimate"), (plb, "ci_lb"), (pub, "ci_ub"), (le, "estimate"), (llb, "ci_lb"), (lub, "ci_ub")]:
        assert near(a, f[b], 4), b
    assert near(i2, f["I2"], 1)
    dl = R["estimators"]["fits"]["DL z"]
    e, lb, ub, tau2 = grab(r"\n([\d.]+) \[([\d.]+), ([\d.]+)\], tau2 = ([\d.]+)", t)
    assert near(e, dl["estimate"], 3) and near(lb, dl["ci_lb"], 3) and near(ub, dl["ci_ub"], 3)
    assert near(tau2, dl["tau2"], 4)


def test_02_estimators_prints_metafor_values():
    nb = fresh("02_estimators.ipynb")
    _same_outputs("02_estimators.ipynb", nb)
    t, est = _text(nb), R["estimators"]
    fits = est["fits"]
    rows = re.findall(
        r"^\s*(DL|REML|PM|ML|EB)\s+(z|knha)\s+([\d.]+)\s+([\d.]+)%\s+([\d.]+)\s+([\d.]+)\s+([-\d.]+)"
        r"\s+([\d.]+)\s+(\S+)$",
        t,
        flags=re.M,
    )
    assert len(rows) == 10
    for m, test, tau2, i2, e, se, lb, ub, p in rows:
        f = fits[f"{m} {test}"]
        assert near(tau2, f["tau2"], 4) and near(i2, f["I2"], 1) and near(e, f["estimate"], 4), (m, test)
        assert near(se, f["se"], 4) and near(lb, f["ci_lb"], 4) and near(ub, f["ci_ub"], 4), (m, test)
        assert float(p) == pytest.approx(f["pval"], rel=0.05), (m, test)
    q0, tdl, trma = grab(r"Q\(0\) = ([\d.]+); DL by hand: tau2 = ([\d.]+); rma\(method=\"DL\"\): tau2 = ([\d.]+)", t)
    assert (
        near(q0, fits["DL z"]["QE"], 4) and near(tdl, fits["DL z"]["tau2"], 4) and near(trma, fits["DL z"]["tau2"], 4)
    )
    assert grab(r"Q at the PM estimate: ([\d.]+) \(k - 1 = (\d+)\)", t) == ("25.0000", "25")
    # Knapp-Hartung's s² is metafor's (se_knha / se_z)²: 1 for PM and EB
    for m in ["DL", "REML", "PM", "ML", "EB"]:
        s2 = grab(rf"(?m)^{m} +tau2 = [\d.]+ +weighted RSS/\(k-p\) = ([\d.]+)", t)[0]
        assert near(s2, (fits[f"{m} knha"]["se"] / fits[f"{m} z"]["se"]) ** 2, 4), m
    assert grab(r"PM +tau2 = [\d.]+ +weighted RSS/\(k-p\) = ([\d.]+)", t)[0] == "1.0000"
    lb_ub = grab(r"tau\^2\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", t)
    ci = est["ci_tau2_REML"]  # metafor's uniroot stops at about 1.2e-4 on tau²
    assert all(abs(float(a) - b) <= 2e-4 for a, b in zip(lb_ub, ci))
    k, tau2, ratio = grab(r"k = (\d+), tau2 = ([\d.]+), ratio = ([\d.]+)", t)
    assert k == "16" and near(tau2, est["drop10_PM"]["tau2"], 4) and near(ratio, est["drop10_PM"]["se_ratio"], 4)
    for key, pat in [("DL_z", r"DL +z +tau2"), ("REML_knha", r"REML knha tau2")]:
        tau2, e, lb, ub = grab(pat + r" = ([\d.]+) +([-\d.]+) \[([-\d.]+), ([-\d.]+)\]", t)
        f = est["first5"][key]
        assert (
            near(tau2, f["tau2"], 4)
            and near(e, f["estimate"], 3)
            and near(lb, f["ci_lb"], 3)
            and near(ub, f["ci_ub"], 3)
        )
    md = _markdown(nb)
    f5 = est["first5"]
    wider = (f5["REML_knha"]["ci_ub"] - f5["REML_knha"]["ci_lb"]) / (f5["DL_z"]["ci_ub"] - f5["DL_z"]["ci_lb"])
    assert f"about {wider:.1f} times as wide" in md
    ratio_ub = ci[2] / fits["REML z"]["tau2"]
    assert "roughly six times the estimate" in md and 5.5 <= ratio_ub < 6.5


def test_03_moderators_prints_metafor_values():
    nb = fresh("03_moderators.ipynb")
    _same_outputs("03_moderators.ipynb", nb)
    t, mo = _text(nb), R["moderators"]
    assert grab(r"k = (\d+) studies", t) == (str(mo["k"]),)
    for m, fm in mo["metareg"].items():
        slope, se, p, r2 = grab(rf"\n\d+\s+{m}\s+([-\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)%", t)
        assert near(slope, fm["slope"], 4) and near(se, fm["se"], 4) and near(p, fm["pval"], 4), m
        assert near(r2, max(fm["R2"], 0), 1), m
    df1, df2, F, p, r2 = grab(r"test of moderators: F\((\d+), (\d+)\) = ([\d.]+), p = ([\d.]+); R² = ([\d.]+)%", t)
    d = mo["design"]
    assert [int(df1), int(df2)] == d["QMdf"] and near(F, d["QM"], 3) and near(p, d["QMp"], 3) and near(r2, d["R2"], 1)
    q, df, p = grab(r"test for subgroup differences: Q = ([\d.]+), df = (\d+), p = ([\d.]+)", t)
    assert near(q, mo["Q_between"], 3) and df == "1" and near(p, mo["p_between"], 3)
    for g, f in mo["subgroups"].items():
        k, e, se, lb, ub = grab(rf"\n\d+\s+{g}\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", t)
        assert int(k) == f["k"] and near(e, f["estimate"], 4) and near(se, f["se"], 4)
        assert near(lb, f["ci_lb"], 4) and near(ub, f["ci_ub"], 4)
    perm_rows = coef_rows(t, "Test of Moderators (coefficient 2)")  # permutest(): p from 1000 permutations
    assert "p-values based on permutation testing" in t
    stat, perm = perm_rows["intrcpt"]["tval"], perm_rows["intrcpt"]["pval"]
    assert near(stat, mo["metareg"]["sessions"]["intercept_t"], 4) and float(perm) > 0.9
    slope_perm = perm_rows["sessions"]["pval"]
    md = _markdown(nb)  # what the text states is what the cells print
    assert f"permutation p of {float(perm):.3f}" in md and f"permutation p of {float(slope_perm):.3f}" in md
    assert f"its t is {mo['metareg']['sessions']['intercept_t']:.2f}" in md
    assert f"about {mo['metareg']['sessions']['slope']:.2f} on the log odds ratio scale" in md
    assert f"p = {mo['metareg']['sessions']['pval']:.2f}, R² = {mo['metareg']['sessions']['R2']:.0f}%" in md
    cor = mo["corr"]  # the 4 x 4 matrix as R stores it, column by column
    corr_text = t[re.search(r"sessions\s+hrs_week\s+hrs_total\s+length\n", t).start() :]  # the printed matrix
    for i, a in enumerate(["sessions", "hrs_week", "hrs_total", "length"]):
        vals = grab(rf"\n{a}\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)", corr_text)
        assert all(near(v, cor[j * 4 + i], 2) for j, v in enumerate(vals)), a
    assert near(grab(r"Knapp-Hartung p = ([\d.]+)", t)[0], mo["metareg"]["hrs_total"]["pval"], 3)


def test_04_mdft_prints_metafor_values():
    nb = fresh("04_mdft_walkthrough.ipynb")
    _same_outputs("04_mdft_walkthrough.ipynb", nb)
    t, md_ = _text(nb), R["mdft"]
    reml = md_["reml"]
    d, p = grab(r"evsynth three-level: d = ([\d.]+) \(p = ([\d.]+)\)", t)
    assert near(d, reml["estimate"], 3) and float(p) == pytest.approx(reml["pval"], rel=0.01)
    assert abs(float(d) - 0.24) <= 0.005  # van der Pol et al. (2017, abstract): d = 0.24
    s1, s2 = grab(r"sigma\^2\.1\s+([\d.]+).*\n\s*sigma\^2\.2\s+([\d.]+)", t)
    assert near(s1, reml["sigma2"][0], 4) and near(s2, reml["sigma2"][1], 4)
    lb, ub = grab(r"Prediction interval: \[([-\d.]+), ([-\d.]+)\]", t)
    assert near(lb, reml["pi_lb"], 4) and near(ub, reml["pi_ub"], 4)
    e, lb, ub, se = grab(r"univariate \(ignores dependence\)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", t)
    nv = md_["naive"]
    assert (
        near(e, nv["estimate"], 3) and near(lb, nv["ci_lb"], 3) and near(ub, nv["ci_ub"], 3) and near(se, nv["se"], 3)
    )
    for label, key in [
        ("between studies \\(level 3\\)", "I2_between"),
        ("within studies \\(level 2\\)", "I2_within"),
        ("total heterogeneity", "I2_total"),
    ]:
        assert near(grab(label + r"\s+([\d.]+)%", t)[0], md_[key], 1), key
    assert "CR2" in t and "Satterthwaite" in t
    row = coef_row(t, "Number of clusters:    8")
    rb = R_MDFT["main"]["robust"]  # clubSandwich, CR2 with Satterthwaite df
    assert near(row["se"], rb["se"], 4) and near(row["df"], rb["df"], 2) and near(row["pval"], rb["pval"], 4)
    df1, df2, F, p = grab(r"test of moderators: F\((\d+), (\d+)\) = ([\d.]+), p = ([\d.]+)", t)
    assert [int(df1), int(df2)] == md_["outcome"]["QMdf"] and near(F, md_["outcome"]["QM"], 3)
    assert near(p, md_["outcome"]["QMp"], 3)
    z, p = grab(r"(?i)asymmetry: z = ([-\d.]+), p = ([\d.]+)", t)
    assert near(z, md_["egger"]["zval"], 4) and near(p, md_["egger"]["pval"], 4)
    r1, m1 = grab(r"between studies \(level 3\)\s+([\d.]+)\s+([\d.]+)\s+[-\d.]+", t)
    r2, m2 = grab(r"within studies \(level 2\)\s+([\d.]+)\s+([\d.]+)\s+[-\d.]+", t)
    assert near(r1, reml["sigma2"][0], 4) and near(r2, reml["sigma2"][1], 4)
    assert near(m1, md_["ml"]["sigma2"][0], 4) and near(m2, md_["ml"]["sigma2"][1], 4)
    e, lb, ub, k = grab(r"substance abuse: d = ([\d.]+) \[([-\d.]+), ([\d.]+)\], k = (\d+)", t)
    sa = md_["substance"]
    assert near(e, sa["estimate"], 3) and near(lb, sa["ci_lb"], 3) and near(ub, sa["ci_ub"], 3) and int(k) == sa["k"]
