"""The whole pipeline from a clean copy: outputs, byte-identical reruns, incremental
reruns, the report's numbers against the results tables and escaping (the notebooks: test_notebooks.py)."""

from __future__ import annotations

import hashlib
import html
import json
import re
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import BIN, ROOT, SNAKEMAKE, copy_project, run


def _snakemake(project: Path, *args, check=True):
    return run([SNAKEMAKE, "--cores", "2", *args], cwd=project, check=check)


def plain(text: str) -> str:
    """The report's text without the number tags (numbers are wrapped in <span class="num">)
    and without the glossary links around the first use of a term (<a class="term">)."""
    text = re.sub(r'<a class="term"[^>]*>(.*?)</a>', r"\1", text)
    return html.unescape(re.sub(r'<span class="num"[^>]*>([^<]*)</span>', r"\1", text))


def _digest(project: Path) -> dict[str, str]:
    out = {}
    for sub in ("results", "figures"):
        for p in sorted((project / sub).rglob("*")):
            if p.is_file():
                out[str(p.relative_to(project))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


# first_run: the session fixture in conftest.py (one clean pipeline run, shared with test_reader_view)


def test_pipeline_outputs(first_run):
    res, fig = first_run / "results", first_run / "figures"
    assert (res / "report.html").stat().st_size > 10_000 and (res / "report.pdf").stat().st_size > 10_000
    assert (res / "report.pdf").read_bytes().startswith(b"%PDF")
    for a in ("barlow2014", "fukkinklont2007", "landenberger2005", "assink2016", "aloe2013"):
        for t in ("estimates", "heterogeneity", "moderators", "subgroups", "robust", "sensitivity"):
            assert (res / a / f"{t}.csv").exists()
        assert (fig / a / "forest.png").stat().st_size > 1000 and (fig / a / "forest.svg").stat().st_size > 1000
    for f in ("rob_traffic_light", "rob_summary", "quality_by_design", "prisma_flow", "evidence_gap_map"):
        for ext in ("png", "svg"):
            assert (fig / "studies" / f"{f}.{ext}").stat().st_size > 1000
    for f in ("funnel", "bubble_sessions", "bubble_hrs_week", "bubble_hrs_total", "bubble_length", "forest_by_group"):
        assert (fig / "landenberger2005" / f"{f}.png").stat().st_size > 1000
    assert (fig / "barlow2014" / "funnel.png").exists()
    mv_analyses = ("barlow2014", "fukkinklont2007", "landenberger2005", "vanderpol2017", "ahrq2015")
    for a in mv_analyses:  # the multiverse (config: multiverse)
        for t in ("multiverse", "multiverse_summary", "multiverse_dimensions"):
            assert (res / a / f"{t}.csv").stat().st_size > 100
        assert (fig / a / "specification_curve.png").stat().st_size > 1000
    assert plain((res / "appendix.html").read_text(encoding="utf-8")).count("The specification curve below") == 5
    assert len(list((first_run / "logs").rglob("*.log"))) >= 20


def test_figures_stage_splits_long_forests_and_draws_funnels_only_from_10_studies(first_run):
    fig = first_run / "figures"
    # aloe2013 has 5 studies: no funnel, and a note the report can read saying why
    assert not (fig / "aloe2013" / "funnel.png").exists()
    notes = pd.read_csv(fig / "aloe2013" / "figure_notes.csv")
    assert (
        notes.loc[0, "figure"] == "funnel" and notes.loc[0, "drawn"] == "no" and "5 studies" in notes.loc[0, "reason"]
    )
    assert (fig / "barlow2014" / "funnel.png").exists()  # 26 studies
    # 78 and 100 effect sizes: split over pages of at most 40 rows
    for a, n in (("fukkinklont2007", 78), ("assink2016", 100)):
        pages = sorted(fig.joinpath(a).glob("forest*.png"))
        assert len(pages) >= -(-n // 40), a


def test_rerun_does_nothing(first_run):
    out = _snakemake(first_run, "-n")
    assert "Nothing to be done" in out.stdout + out.stderr


def test_second_clean_run_is_byte_identical(first_run, tmp_path_factory):
    second = copy_project(tmp_path_factory.mktemp("run2"))
    shutil.copy2(first_run / "data/nji2020/interventions.csv", second / "data/nji2020/interventions.csv")
    _snakemake(second, "--quiet", "all")
    a, b = _digest(first_run), _digest(second)
    assert a.keys() == b.keys()
    differ = [k for k in a if a[k] != b[k]]
    assert differ == []


def test_killed_run_then_rerun_gives_the_same_outputs(first_run, tmp_path_factory):
    """A run killed outright (SIGKILL to every process, as on power loss) in the middle of
    the models stage, then rerun as ``make report`` does, ends with the same bytes as an
    uninterrupted run and no leftover temporary files."""
    project = copy_project(tmp_path_factory.mktemp("killed"))
    shutil.copy2(first_run / "data/nji2020/interventions.csv", project / "data/nji2020/interventions.csv")
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    proc = subprocess.Popen(
        [SNAKEMAKE, "--cores", "2", "--quiet", "all"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    trigger = project / "results" / "barlow2014" / "estimates.csv"
    deadline = time.monotonic() + 600
    while not trigger.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert trigger.exists() and not (project / "results" / "report.html").exists(), "the kill came too late"
    # as `make report` runs it: the killed run's lock is named, with the way out
    out = _snakemake(project, "--rerun-incomplete", "--quiet", "rules", check=False)
    assert out.returncode != 0 and "cannot be locked" in out.stderr and "--unlock" in out.stderr
    _snakemake(project, "--unlock")  # what the README says to do after a killed run
    _snakemake(project, "--rerun-incomplete", "--quiet", "rules")
    a, b = _digest(first_run), _digest(project)
    assert sorted(b) == sorted(a)  # nothing extra, e.g. no '.estimates.csv.*.tmp.csv'
    assert [k for k in a if a[k] != b[k]] == []


def _report_and_appendix(res: Path) -> str:
    """The main report and its technical appendix (the study and extraction tables are there)."""
    return "".join((res / f).read_text(encoding="utf-8") for f in ("report.html", "appendix.html"))


def test_report_numbers_match_tables(first_run):
    res = first_run / "results"
    text = (res / "report.html").read_text(encoding="utf-8")
    spans = re.findall(r'<span class="num" data-src="([^"]+)" data-digits="(\d+)">([^<]*)</span>', text)
    assert len(spans) > 100
    tables: dict[str, pd.DataFrame] = {}
    for src, _digits, shown in spans:
        table, col, row = json.loads(html.unescape(src))
        t = tables.setdefault(table, pd.read_csv(res / table))
        value = t[col].iloc[row]
        shown = html.unescape(shown)
        if shown == "–":
            assert pd.isna(value)
        elif shown == "< 0.001":
            assert value < 0.001
        else:
            body = shown.rstrip("%")
            decimals = len(body.split(".")[1]) if "." in body else 0
            assert float(body) == pytest.approx(float(value), abs=0.5 * 10**-decimals + 1e-9), (table, col, row)
    # key numbers appear with the values of their tables
    h = pd.read_csv(res / "barlow2014" / "heterogeneity.csv").iloc[0]
    assert f"{h['estimate']:.2f}" in text and f"{h['ci_lb']:.2f}" in text
    lo = pd.read_csv(res / "landenberger2005" / "heterogeneity.csv").iloc[0]
    assert f"odds ratio {lo['estimate_exp']:.2f}" in plain(text)


def test_report_escapes_data_strings(first_run):
    text = (first_run / "results" / "appendix.html").read_text(encoding="utf-8")  # the NJI table
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Families First" in text


def test_report_states_extraction_coverage(first_run):
    text = plain(_report_and_appendix(first_run / "results"))
    # the reconciled double extraction (data/extraction/README.md): study rows with an effect row
    n = pd.read_csv(ROOT / "data/effects/holwerda2014_effects.csv")["study_id"].nunique()
    assert n > 0 and f"Effect sizes have been extracted for {n} of 46 study rows" in text
    assert "no effect sizes have been extracted yet; nothing is pooled" not in text
    # the least-studied domain (rows 18, 20, 34, 44 of Bijlage 5; see test_studies) with tagged numbers
    assert "effects on socio-economic outcomes, which only 4 of the 46 study rows measured" in text


def test_adding_an_extraction_row_reruns_only_what_depends_on_it(first_run):
    project = first_run
    before = _digest(project)
    eff = project / "data/effects/holwerda2014_effects.csv"
    header = eff.read_text().splitlines()[0].split(",")
    row = {c: "" for c in header}
    row.update(
        {
            "effect_id": "caldera2007_1",
            "study_id": "caldera2007",
            "outcome": "Opvoedingsstress",
            "outcome_domain": "parent mental health",
            "higher_is_better": "no",
            "m1": "20.1",
            "sd1": "6.0",
            "n1": "150",
            "m2": "22.3",
            "sd2": "6.5",
            "n2": "145",
            "approximation": "no",
            "source_url": "https://example.org/test",
            "source_quote": "test row",
            "coder": "pytest",
        }
    )
    with open(eff, "a", encoding="utf-8") as fh:
        fh.write(",".join(row[c] for c in header) + "\n")
    plan = _snakemake(project, "-n")
    jobs = set(re.findall(r"^rule (\w+):", plan.stdout, flags=re.M))
    assert {"extraction", "report"} <= jobs
    # per-analysis jobs rerun only for the analyses that read the extraction table (effect.extracted)
    cfg = yaml.safe_load((project / "config.yaml").read_text(encoding="utf-8"))
    readers = {a["id"] for a in cfg["analyses"] if "extracted" in a["effect"]}
    rerun = set(re.findall(r"^\s+wildcards: analysis=(\w+)", plan.stdout, flags=re.M))
    assert readers and rerun == readers, rerun
    _snakemake(project, "--quiet", "all")
    after = _digest(project)
    changed = {k for k in after if before.get(k) != after[k]}
    assert any(k.startswith("results/extraction/") for k in changed)
    assert not any(
        k.startswith(("results/barlow2014", "results/landenberger2005", "figures/barlow2014")) for k in changed
    )
    text = plain(_report_and_appendix(project / "results"))
    n = pd.read_csv(eff)["study_id"].nunique()  # the shipped study rows and caldera2007
    assert "caldera2007_1" in text and f"Effect sizes have been extracted for {n} of 46 study rows" in text
    comp = pd.read_csv(project / "results/extraction/effects_computed.csv").set_index("effect_id")
    assert comp.loc["caldera2007_1", "yi"] > 0  # lower stress is better: flipped to positive = improvement


def test_shipped_analyses_reproduce_overlapping_golden_cases(first_run):
    """barlow2014 (REML; the pipeline flips the sign so that positive = improvement) and
    fukkinklont2007 (three-level REML, CR2) overlap with ../shared/golden cases."""
    res = first_run / "results"
    g = {p.stem: json.loads(p.read_text()) for p in (ROOT.parent / "shared/golden/cases").glob("*.json")}
    want = g["barlow2014.REML.z"]["expected"]
    h = pd.read_csv(res / "barlow2014/heterogeneity.csv").iloc[0]
    assert h["estimate"] == pytest.approx(-want["beta"], rel=1e-4)
    assert h["tau2"] == pytest.approx(want["tau2"], rel=1e-4)
    assert h["I2"] == pytest.approx(want["I2"], rel=1e-4) and h["QE"] == pytest.approx(want["QE"], rel=1e-4)
    ci = pd.read_csv(res / "barlow2014/diagnostics/confint.csv").set_index("parameter")
    # the Q-profile bounds are exact (issue 16 item 3): metafor with tol = 1e-12
    cw = json.loads((ROOT.parent / "shared/golden-breadth/cases/barlow2014.confint.exact.json").read_text())["expected"]
    assert (ci.loc["tau2", "ci_lb"], ci.loc["tau2", "ci_ub"]) == pytest.approx(
        (cw["tau2_ci_lb"], cw["tau2_ci_ub"]), rel=1e-6
    )
    fk = pd.read_csv(res / "fukkinklont2007/heterogeneity.csv").iloc[0]
    fw = g["fukkinklont2007.mv.REML"]["expected"]
    assert fk["estimate"] == pytest.approx(fw["beta"], rel=1e-4)
    assert (fk["sigma2_1"], fk["sigma2_2"]) == pytest.approx(tuple(fw["sigma2"]), rel=1e-4)
    rb = pd.read_csv(res / "fukkinklont2007/robust.csv").iloc[0]
    rw = g["fukkinklont2007.robust.mv"]["expected"]
    assert (rb["se"], rb["df"], rb["pval"]) == pytest.approx((rw["se"], rw["df"], rw["pval"]), rel=1e-4)
    sup = pd.read_csv(res / "fukkinklont2007/moderators.csv")
    sup = sup[(sup["model"] == "Supervision") & (sup["term"] == "Supervision[yes]")].iloc[0]
    sw = g["fukkinklont2007.mv.REML.t.supervision"]["expected"]
    assert (sup["estimate"], sup["se"], sup["pval"]) == pytest.approx(
        (sw["beta"][1], sw["se"][1], sw["pval"][1]), rel=1e-4
    )


# the notebooks are executed in test_notebooks.py (notebook 01 in this run's project, first_run)


# ------------------------------------------------------------------------------ one report, two editions


def _pdf_text(pdf: Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("poppler's pdftotext is not installed (scripts/system-packages.sh installs it)")
    out = subprocess.run([exe, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True)
    return out.stdout


def _words(text: str) -> str:
    return " ".join(text.replace("•", " ").split())


def _html_words(fragment: str) -> str:
    """What a reader sees of an HTML fragment: inline tags dropped, block tags as spaces."""
    inline = re.sub(r'<span class="num"[^>]*>([^<]*)</span>|</?(?:i|b|code)>|<a\b[^>]*>|</a>', r"\1", fragment)
    return _words(html.unescape(re.sub(r"<[^>]+>", " ", inline)))


def _html_section_text(text: str, start_id: str, end_id: str) -> str:
    return _html_words(text[text.index(f'<h2 id="{start_id}">') : text.index(f'<h2 id="{end_id}">')])


def test_summary_is_the_same_text_in_html_and_pdf(first_run):
    """The plain-language summary, as a reader of each edition sees it (PDF text from
    poppler's pdftotext), is word for word the same."""
    res = first_run / "results"
    html_summary = _html_section_text((res / "report.html").read_text(encoding="utf-8"), "summary", "found")
    pdf = _words(_pdf_text(res / "report.pdf"))
    pdf_summary = pdf[pdf.index("Plain-language summary") : pdf.index("What the reviews found")].strip()
    assert "What was asked." in html_summary and "Multidimensional family therapy" in html_summary
    # the same words, each as often, in both editions ...
    assert sorted(pdf_summary.split()) == sorted(html_summary.split())
    # ... and every sentence (paragraph or list item) word for word in the PDF; table cells are
    # compared as words only, since pdftotext's reading order across the cells of a table row
    # depends on where the table falls on the page
    html_text = (res / "report.html").read_text(encoding="utf-8")
    part = html_text[html_text.index('<h2 id="summary">') : html_text.index('<h2 id="found">')]
    part = re.sub(r"<table.*?</table>", " ", part, flags=re.S)
    blocks = [_html_words(b) for b in re.findall(r"<(?:p|li)\b[^>]*>(.*?)</(?:p|li)>", part, flags=re.S)]
    assert len(blocks) >= 5
    for b in blocks:
        assert b in pdf_summary, b


def test_methods_and_analysis_sentences_are_the_same_in_both_editions(first_run):
    res = first_run / "results"
    text = (res / "report.html").read_text(encoding="utf-8")
    pdf = _words(_pdf_text(res / "report.pdf"))
    methods = _html_section_text(text, "methods", "glossary")
    assert methods in pdf
    summary = text[text.index('<h2 id="summary">') :]
    for li in re.findall(r'<div class="summary">.*?<ul>(.*?)</ul>', summary, flags=re.S)[0].split("<li>")[1:]:
        sentence = _html_words(li)
        assert pdf.count(sentence) >= 2  # in the summary and in the analysis's own section


def test_report_html_has_no_unescaped_text(first_run):
    text = (first_run / "results" / "report.html").read_text(encoding="utf-8")
    body = re.sub(r"<style>.*?</style>", "", text, flags=re.S)
    assert re.findall(r"<(?![a-zA-Z/!])", body) == []  # e.g. "p < 0.10" must be "p &lt; 0.10"


def test_a_new_section_appears_in_both_editions(first_run, tmp_path, monkeypatch):
    """Adding a report section is one function in one list (``evsynth.present.sections.SECTIONS``)."""

    from evsynth.present import document as doc, report, sections

    cfg = yaml.safe_load((first_run / "config.yaml").read_text(encoding="utf-8"))

    def extra(ctx):
        return [
            doc.Section(
                "extra",
                "An added section",
                [
                    doc.Text(doc.M("Pooled across {} studies.", ctx["analyses"][0]["k"]), lead="New."),
                    doc.TableBlock([("a", "column A")], [{"a": "cell <b>"}]),
                ],
            )
        ]

    monkeypatch.setattr(sections, "SECTIONS", sections.SECTIONS[:2] + [extra] + sections.SECTIONS[2:])
    monkeypatch.chdir(first_run)
    report.write_report(cfg, first_run / "results", first_run / "figures", tmp_path / "r.html", tmp_path / "r.pdf")
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert '<a href="#extra">An added section</a>' in text  # in the navigation
    assert '<b>New.</b> Pooled across <span class="num" data-src=' in text  # number tagged
    assert "cell &lt;b&gt;" in text
    pdf = _words(_pdf_text(tmp_path / "r.pdf"))
    import yaml as _yaml

    k = pd.read_csv(
        first_run
        / "results"
        / _yaml.safe_load((first_run / "config.yaml").read_text())["analyses"][0]["id"]
        / "heterogeneity.csv"
    )["k"].iloc[0]
    assert f"An added section New. Pooled across {k} studies." in pdf and "cell <b>" in pdf


def test_report_summary_of_findings_in_both_editions(first_run):
    """Issue 13: GRADE certainty for every pooled outcome, the Summary of Findings table in the
    HTML and the PDF, on-topic analyses first, neighbouring fields labelled indirect and kept
    out of the summary."""
    import shutil

    import yaml

    res = first_run / "results"
    cert = pd.read_csv(res / "certainty" / "certainty.csv")
    # one outcome per analysis; the two that pool randomised and non-randomised studies (ahrq2015,
    # landenberger2005) are also rated on their randomised studies alone (GRADE guidance 24)
    n_rows = len(yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["analyses"]) + 2
    assert len(cert) == n_rows and set(cert["role"]) == {"primary", "secondary"}
    assert set(cert["certainty"]) <= {"high", "moderate", "low", "very low"}
    bodies = cert.groupby("analysis")["body"].apply(list).to_dict()
    assert bodies.pop("ahrq2015") == ["all designs", "randomised studies only"]
    assert bodies.pop("landenberger2005") == ["all designs", "randomised studies only"]
    assert all(b == ["all included studies"] for b in bodies.values())
    rct = cert[cert["body"] == "randomised studies only"].set_index("analysis")
    assert (rct["start"] == "high").all()
    mixed = cert[cert["body"] == "all designs"].set_index("analysis")
    assert (mixed["start"] == "low").all()
    # the randomised AHRQ body is metafor's rma.mv on the RCT rows (tests/r/ahrq.R)
    r = json.loads((ROOT / "tests" / "r" / "ahrq_metafor.json").read_text())["randomised"]
    assert rct.loc["ahrq2015", "k"] == r["k"] and rct.loc["ahrq2015", "n_studies"] == r["n_studies"]
    for c in ("estimate", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
        assert rct.loc["ahrq2015", c] == pytest.approx(r[c], abs=1e-6), c
    reasons = pd.read_csv(res / "certainty" / "certainty_reasons.csv")
    assert len(reasons) == n_rows * 5 and reasons["reason"].notna().all()
    text = plain((res / "report.html").read_text(encoding="utf-8"))
    sof = text[text.index("Summary of Findings (GRADE)</h2>") : text.index('<h2 id="methods">')]
    # each outcome's row is named by its title from the config (issue 17: no internal ids)

    titles = {a["id"]: a["title"] for a in yaml.safe_load((first_run / "config.yaml").read_text())["analyses"]}
    for _, r in cert.iterrows():
        assert titles[r["analysis"]] in sof and r["statement"] in sof
        assert f"({r['analysis']})" not in sof
    for a in ("ahrq2015", "landenberger2005"):
        assert f"{titles[a]} \u2013 randomised studies only" in sof and f"{titles[a]} \u2013 all designs" in sof
    # on-topic analyses come first, then the neighbouring fields under their own heading
    order = [text.index(f'<h2 id="{a}">') for a in ("vanderpol2017", "ahrq2015", "ifps2002")]
    assert order == sorted(order)
    assert text.index('<h2 id="ifps2002">') < text.index('id="neighbouring"')
    assert '<h2 id="barlow2014' not in text  # a neighbouring field: one sentence in the main report
    summary = text[text.index('<h2 id="summary">') : text.index('<h2 id="found">')]
    assert "Group-based parent training" not in summary and "Multidimensional family therapy" in summary
    gaps = text[text.index('<h2 id="gaps">') : text.index("<h2 ", text.index('<h2 id="gaps">') + 5)]
    assert "Evenboer" in gaps and "caseload" in gaps  # what the data cannot tell: "What is not known"
    if shutil.which("pdftotext"):
        pdf = subprocess.run(
            ["pdftotext", "-layout", str(res / "report.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Summary of Findings (GRADE)" in pdf and "Evidence from neighbouring fields" in pdf
        # the on-topic results lead the plain-language summary (the report itself opens with
        # "What the reviews found", issue 12), before any analysis of a neighbouring field
        summary_pdf = pdf[pdf.index("Plain-language summary") :]
        assert summary_pdf.index("Multidimensional family therapy") < summary_pdf.index("Group-based parent training")
        squeezed = "".join(pdf.split())
        sof_pdf = squeezed[squeezed.index("SummaryofFindings(GRADE)") : squeezed.index("Plain-languagesummary")]
        # a title wraps over several lines of its cell: read in pdftotext's reading order (no -layout)
        raw = "".join(
            subprocess.run(
                ["pdftotext", str(res / "report.pdf"), "-"], capture_output=True, text=True, check=True
            ).stdout.split()
        )
        raw_sof = raw[raw.index("SummaryofFindings(GRADE)") : raw.index("Plain-languagesummary")]
        for _, r in cert.iterrows():
            assert "".join(titles[r["analysis"]].split()) in raw_sof and "".join(r["certainty"].split()) in sof_pdf
