"""The report's section "What the reviews found" (after the key messages, the Summary of Findings
and the summary): built only from the findings table, every row of it as a sentence under the
section of the review it comes from, each linked to its findings-table row in the technical
appendix and every row there to its seed lines; the same content in HTML and PDF; and the
report claims issue 12 named are corrected."""

import html
import os
import re
import subprocess

import pandas as pd
import pytest

from evsynth.pipeline.config import load_config
from evsynth.pipeline.paths import ENV_ALLOW
from evsynth.present.report import write_report

from conftest import ROOT, evsynth_cmd


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = tmp_path_factory.mktemp("rep")
    res, fig = d / "res", d / "fig"
    for stage in ("studies", "quality", "extraction"):
        subprocess.run(
            [*evsynth_cmd(), "--allow-dir", str(d), stage, "--config", "config.yaml", "--outdir", str(res / stage)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    fig.mkdir()
    cfg = load_config(ROOT / "config.yaml")
    cfg["analyses"] = []  # the analyses are tested in test_pipeline; this section needs the study tables only
    old = os.environ.get(ENV_ALLOW)
    os.environ[ENV_ALLOW] = str(d)  # outputs outside the project folder are allowed explicitly
    try:
        write_report(cfg, res, fig, d / "report.html", d / "report.pdf")
    finally:
        if old is None:
            os.environ.pop(ENV_ALLOW, None)
        else:
            os.environ[ENV_ALLOW] = old
    return d


def _section(text: str) -> str:
    i = text.index('<h2 id="found">')
    return text[i : text.index("<h2 ", i + 5)]


def test_section_shows_every_finding_and_links_it_to_its_row(report):
    text = (report / "report.html").read_text(encoding="utf-8")
    appendix = (report / "appendix.html").read_text(encoding="utf-8")
    assert text.index('<h2 id="summary">') < text.index('<h2 id="found">')
    sec = _section(text)
    f = pd.read_csv(ROOT / "data/findings/findings.csv", dtype=str, keep_default_na=False)
    ids = set(f["finding_id"])
    items = re.findall(r"<li>(.*?)</li>", sec, flags=re.S)
    linked = []
    for li in items:
        m = re.findall(r'<a href="appendix\.html#finding-([^"]+)">', li)
        if "Published quality scores" in li or "The flow diagram (figure 2.1)" in li:  # from the study tables
            continue
        assert len(m) == 1, li[:80]
        linked += m
    assert sorted(linked) == sorted(ids)  # every row of the findings table, once
    # every linked row is in the findings table of the technical appendix, with its seed lines
    for i in set(linked):
        row = re.search(rf'<tr id="finding-{re.escape(i)}">(.*?)</tr>', appendix, flags=re.S)
        assert row and re.search(r"lines \d+-\d+", row.group(1)), i
    # the text of each claim is the table's translation, the Dutch original one click away
    for i in ("H-7.2-07", "H-4.8-01", "N-1.3-01"):
        r = f.loc[f["finding_id"] == i].iloc[0]
        assert html.escape(r["claim_en_translation"], quote=True) in sec
        assert html.escape(r["claim_nl"], quote=True) in sec
    # grouped by the section of the source
    for doc, name in (("holwerda2014", "Holwerda et al. (2014)"), ("nji2020", "NJI (2020)")):
        for sect in set(f.loc[f["source_document"] == doc, "section"]):
            assert f">{name}, section {sect}</h3>" in sec, (doc, sect)


def test_section_covers_the_named_conditions(report):
    # the words a reader sees (numbers are tagged with their table cell, as everywhere in the report)
    sec = html.unescape(re.sub(r"<[^>]+>", "", _section((report / "report.html").read_text(encoding="utf-8"))))
    for phrase in (
        "5-10 families per full-time professional",
        "several visits a week",
        "whole family",
        "one family, one plan, one professional",
        "low socio-economic status",
        "There is insufficient knowledge to determine which care is most effective",
    ):
        assert phrase in sec, phrase
    assert "counts 10 included reviews; Bijlage 6 and section 4.9 list 9" in sec


def test_pdf_has_the_same_section(report):
    """The main PDF has the section with its count; the sentences are printed in the appendix PDF
    (the main PDF stays under 30 pages), each with its id, as in the HTML."""
    txt = {}
    for name in ("report", "appendix"):
        out = subprocess.run(["pdftotext", str(report / f"{name}.pdf"), "-"], capture_output=True, text=True)
        if out.returncode != 0:
            pytest.skip("pdftotext not available")
        txt[name] = re.sub(r"\s+", " ", out.stdout)
    assert txt["report"].index("Plain-language summary") < txt["report"].index("What the reviews found")
    n = len(pd.read_csv(ROOT / "data/findings/findings.csv", dtype=str))
    assert f"{n} findings from" in txt["report"]
    for i in ("[H-7.2-07]", "[H-4.8-01]", "[N-1.3-05]"):
        assert i in txt["appendix"] and "What the reviews found: every finding" in txt["appendix"]


def test_report_claims_named_in_the_issue_are_fixed(report):
    text = html.unescape(
        re.sub(
            r"<[^>]+>", "", "".join((report / f).read_text(encoding="utf-8") for f in ("report.html", "appendix.html"))
        )
    )
    assert "Most studies are small" not in text
    assert "The source table gives no sample sizes" in text
    assert "figure 2.1 counts 10; Bijlage 6 and section 4.9 list 9" in text
    assert "Holwerda et al. group them differently" in text


def test_claims_that_start_like_a_formula_are_shown_as_the_source_wrote_them(report):
    """findings.csv is written with a guarding apostrophe before a cell that starts with "-" (a
    spreadsheet would run it); the report reads the table back as it was before writing, so a
    list item of the source is never shown as "'- provides ..." (issue 22 item 4: never in a label
    drawn), and a key message makes a sentence of it."""
    f = pd.read_csv(ROOT / "data/findings/findings.csv", dtype=str, keep_default_na=False)
    dashed = f[f["claim_en_translation"].str.startswith("-")]
    assert len(dashed) > 5  # the list items of sections 4.7 and 7.2
    written = (report / "res/studies/findings.csv").read_text(encoding="utf-8")
    assert "'- provides for a low caseload" in written  # guarded in the CSV ...
    for name in ("report.html", "appendix.html"):
        text = html.unescape((report / name).read_text(encoding="utf-8"))
        assert "'- " not in text and "\u2018- " not in text  # ... never in the report
    text = html.unescape(re.sub(r"<[^>]+>", "", (report / "report.html").read_text(encoding="utf-8")))
    assert (
        "How: caseload and the professional. The review's model intervention (section 7.2) provides for a low "
        "caseload and sufficient hours per family (5-10 families per full-time professional)"
    ) in text
    assert "at most 10 families per professional for smaller families with fewer problems). Not rated" in text
