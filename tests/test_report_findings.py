"""The report's first section, "What the reviews found": built only from the findings table,
every claim linked to its findings-table row and every row to its seed lines, the same content
in HTML and PDF; and the report claims issue 12 named are corrected."""

import html
import os
import re
import subprocess

import pandas as pd
import pytest

from evsynth.pipeline.config import load_config
from evsynth.pipeline.paths import ENV_ALLOW
from evsynth.present.report import write_report
from evsynth.present.sections.findings import FINDINGS_SECTION

from conftest import ROOT, evsynth_cmd


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = tmp_path_factory.mktemp("rep")
    res, fig = d / "res", d / "fig"
    for stage in ("studies", "quality", "extraction"):
        subprocess.run([*evsynth_cmd(), "--allow-dir", str(d), stage, "--config", "config.yaml", "--outdir",
                        str(res / stage)], cwd=ROOT, check=True, capture_output=True)
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
    return text[i:text.index('<h2 id="summary">')]


def test_section_comes_first_and_links_every_claim(report):
    text = (report / "report.html").read_text(encoding="utf-8")
    assert text.index('<h2 id="found">') < text.index('<h2 id="summary">')
    sec = _section(text)
    f = pd.read_csv(ROOT / "data/findings/findings.csv", dtype=str, keep_default_na=False)
    ids = set(f["finding_id"])
    items = re.findall(r"<li>(.*?)</li>", sec, flags=re.S)
    assert len(items) >= 30
    linked = []
    for li in items:
        m = re.findall(r'<a href="#finding-([^"]+)">', li)
        if "Published quality scores" in li:  # the one sentence from the study tables (quality by design)
            continue
        assert len(m) == 1, li[:80]
        linked += m
    assert set(linked) <= ids
    # every linked row is in the table below, with its seed lines
    for i in set(linked):
        row = re.search(rf'<tr id="finding-{re.escape(i)}">(.*?)</tr>', sec, flags=re.S)
        assert row and re.search(r"lines \d+-\d+", row.group(1)), i
    # the text of each claim is the table's translation
    for i in ("H-7.2-07", "H-4.8-01", "N-1.3-01"):
        en = f.loc[f["finding_id"] == i, "claim_en_translation"].iloc[0]
        assert html.escape(en, quote=True) in sec or en in html.unescape(sec)


def test_section_covers_the_named_conditions(report):
    # the words a reader sees (numbers are tagged with their table cell, as everywhere in the report)
    sec = html.unescape(re.sub(r"<[^>]+>", "", _section((report / "report.html").read_text(encoding="utf-8"))))
    for phrase in ("5-10 families per full-time professional", "several visits a week", "whole family",
                   "one family, one plan, one professional", "low socio-economic status",
                   "There is insufficient knowledge to determine which care is most effective"):
        assert phrase in sec, phrase
    assert "counts 10 included reviews; Bijlage 6 and section 4.9 list 9" in sec
    heads = [h for h, _ in FINDINGS_SECTION]
    assert heads[0].startswith("What seems to work") and "What is not known" in heads


def test_pdf_has_the_same_section(report):
    out = subprocess.run(["pdftotext", str(report / "report.pdf"), "-"], capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("pdftotext not available")
    txt = re.sub(r"\s+", " ", out.stdout)
    assert txt.index("What the reviews found") < txt.index("Plain-language summary")
    for i in ("[H-7.2-07]", "[H-4.8-01]", "[N-1.3-05]"):
        assert i in txt


def test_report_claims_named_in_the_issue_are_fixed(report):
    text = html.unescape(re.sub(r"<[^>]+>", "", (report / "report.html").read_text(encoding="utf-8")))
    assert "Most studies are small" not in text
    assert "The source table gives no sample sizes" in text
    assert "figure 2.1 counts 10; Bijlage 6 and section 4.9 list 9" in text
    assert "Holwerda et al. group them differently" in text
