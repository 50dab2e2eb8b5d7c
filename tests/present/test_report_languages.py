"""Issue 27: a report a policy analyst reads, in English and in Dutch.

Both editions open with key messages, then the Summary of Findings; the main report stays under
30 PDF pages with the technical appendix beside it (one appendix per language); data column
names never reach the main report; every text the Dutch edition (main report and appendix) meets
has a translation in the message catalog; the two editions show the same numbers (Dutch notation
in one), in the main report and in the appendix; the GRADE statements of the Dutch edition use
the cited wording (Santesso et al. 2020, in this project's translation); mechanical downgrades
are said in words; every analysis declares role and design."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from evsynth.errors import ConfigError
from evsynth.pipeline.config import validate_config
from evsynth.present import i18n

from conftest import ROOT

NUM = re.compile(r'<span class="num" data-src="([^"]*)" data-digits="(\d+)">([^<]*)</span>')


def _words(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", NUM.sub(r"\3", fragment))).split())


def _section(page: str, sid: str) -> str:
    i = page.index(f'id="{sid}"')
    j = page.find("<h2 ", i)
    return page[i : j if j > 0 else len(page)]


@pytest.fixture(scope="module")
def editions(first_run):
    res = first_run / "results"
    return {
        "en": (res / "report.html").read_text(encoding="utf-8"),
        "nl": (res / "nl" / "report.html").read_text(encoding="utf-8"),
        "appendix": (res / "appendix.html").read_text(encoding="utf-8"),
        "appendix_nl": (res / "nl" / "appendix.html").read_text(encoding="utf-8"),
        "res": res,
    }


def test_every_dutch_message_has_a_translation(first_run, tmp_path, monkeypatch):
    """A missing translation fails this test (the reader gets the English text instead)."""
    from evsynth.pipeline.config import load_config
    from evsynth.present.report import write_report

    monkeypatch.chdir(first_run)
    monkeypatch.setenv("EVSYNTH_ALLOW_DIRS", str(tmp_path))
    cfg = load_config(first_run / "config.yaml")
    write_report(cfg, first_run / "results", first_run / "figures", tmp_path / "report.html", None)
    assert i18n.missing("nl") == []
    for f in ("report.html", "appendix.html", "nl/report.html", "nl/appendix.html"):
        assert (tmp_path / f).is_file(), f


def test_a_missing_translation_is_recorded_and_shown_in_english():
    with i18n.language("nl"):
        assert i18n._("Key messages") == "Kernboodschappen"
        assert i18n._("a text no catalog has") == "a text no catalog has"
    assert i18n.missing("nl") == ["a text no catalog has"]


def test_numbers_in_dutch_notation_use_babel_and_round_as_in_english():
    with i18n.language("nl"):
        assert [i18n.number(x, d) for x, d in ((0.265, 2), (-0.11, 2), (1174.27, 2), (12.0, 0))] == [
            f"{0.265:.2f}".replace(".", ","),
            "-0,11",
            "1174,27",
            "12",
        ]
    assert i18n.number(0.265, 2) == f"{0.265:.2f}"


def test_both_editions_show_the_same_numbers(editions):
    """Every number of the main report is a tagged table cell; the Dutch edition shows the same
    cells with the same values, a decimal comma instead of the point."""
    en = [(s, d, t) for s, d, t in NUM.findall(editions["en"])]
    nl = [(s, d, t) for s, d, t in NUM.findall(editions["nl"])]
    assert len(en) > 100
    assert sorted({s for s, _, _ in en}) == sorted({s for s, _, _ in nl})
    shown = {}
    for s, d, t in en:
        shown.setdefault(s, set()).add(t)
    for s, d, t in nl:
        assert "." not in t or not re.search(r"\d\.\d", t), (s, t)
        assert t.replace(",", ".") in shown[s], (html.unescape(s), t, shown[s])
    # the numbers are the tables' own: one checked against its cell
    cert = pd.read_csv(editions["res"] / "certainty" / "certainty.csv")
    i = int(cert.index[cert["analysis"] == "vanderpol2017"][0])
    est = f"{cert['estimate'].iloc[i]:.2f}"
    assert est in editions["en"] and est.replace(".", ",") in editions["nl"]


CELL = re.compile(r"<t([hd])>(.*?)</t[hd]>", flags=re.S)
NUMBER = re.compile(r"[<>−-]? ?\d+(?:[.,]\d+)?(?: ?%)?")


def _tables(page: str) -> list[list[str]]:
    """Every table of a page as its cells' words (headings and data), in order; figures and the
    model printouts left out."""
    page = re.sub(r"<pre>.*?</pre>", "", page, flags=re.S)
    return [[_words(c) for _, c in CELL.findall(t)] for t in re.findall(r"<table.*?</table>", page, flags=re.S)]


def test_both_appendices_show_the_same_numbers(editions):
    """The technical appendix in both languages: the same tagged numbers (a decimal comma in
    Dutch), the same tables with the same numeric cells, and headings translated."""
    en = NUM.findall(editions["appendix"])
    nl = NUM.findall(editions["appendix_nl"])
    assert len(en) > 200 and [s for s, _, _ in en] == [s for s, _, _ in nl]
    for (s, _d, a), (_s, _d2, b) in zip(en, nl):
        assert not re.search(r"\d\.\d", b) and b.replace(",", ".") == a, (html.unescape(s), a, b)
    ten, tnl = _tables(editions["appendix"]), _tables(editions["appendix_nl"])
    assert len(ten) == len(tnl) > 20
    numeric = translated = 0
    for a, b in zip(ten, tnl):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            if NUMBER.fullmatch(x) and re.search(r"\d\.\d", x):  # a number with decimals: comma in Dutch
                numeric += 1
                assert y == x.replace(".", ","), (x, y)
            translated += x != y
    assert numeric > 100 and translated > 200
    # headings of the appendix: none left in English
    heads = lambda p: re.findall(r"<h[23][^>]*>(.*?)</h[23]>", p, flags=re.S)  # noqa: E731
    same = [h for h, g in zip(heads(editions["appendix"]), heads(editions["appendix_nl"])) if _words(h) == _words(g)]
    assert same == [], same


def test_both_editions_open_with_key_messages_then_the_summary_of_findings(editions):
    for lang in ("en", "nl"):
        page = editions[lang]
        h2 = re.findall(r'<h2 id="([^"]+)"', page)
        assert h2[:2] == ["key-messages", "sof"], (lang, h2[:3])
        km = _section(page, "key-messages")
        items = re.findall(r"<li>(.*?)</li>", km, flags=re.S)
        assert 5 <= len(items) <= 8, lang
        for li in items:  # each with its certainty and a link to the evidence
            assert re.search(r'href="#(sof-|claim-)', li), li[:100]
            assert re.search(r"<b>(high|moderate|low|very low|hoog|redelijk|laag|zeer laag)</b>|GRADE", li), li[:100]


def test_key_messages_label_evidence_about_another_population_as_indirect(editions):
    """A pooled result rated down for indirectness says, in its key message, whose evidence it is
    (the reason config.yaml declares; certainty.csv's indirectness_downgrade), in both editions;
    one that is not rated down says nothing of the kind."""
    cert = pd.read_csv(editions["res"] / "certainty" / "certainty.csv")
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    reasons = {a["id"]: (a.get("indirectness") or {}).get("reason") for a in cfg["analyses"]}
    said = {lang: _words(_section(editions[lang], "key-messages")) for lang in ("en", "nl")}
    seen = 0
    for a in ("ahrq2015", "holwerda_parenting"):
        rows = cert[(cert["analysis"] == a) & (cert["certainty_level"] > 1)]
        if rows.empty:
            continue
        seen += 1
        down = (rows["indirectness_downgrade"] > 0).any()
        assert (f"Indirect evidence: {reasons[a]}." in said["en"]) == bool(down and reasons[a]), a
    assert seen == 2
    assert said["en"].count("Indirect evidence:") == said["nl"].count("Indirect bewijs:") >= 1


def test_dutch_grade_statements_use_the_guideline_wording(editions):
    sof = _words(_section(editions["nl"], "sof"))
    assert "We zijn zeer onzeker of" in sof
    assert "leidt mogelijk tot" in sof
    cert = pd.read_csv(editions["res"] / "certainty" / "certainty.csv")
    assert (cert["certainty"] == "very low").any() and (cert["certainty"] == "low").any()
    assert "We are uncertain whether" not in sof


def test_mechanical_downgrades_are_said_in_words(editions):
    cert = pd.read_csv(editions["res"] / "certainty" / "certainty.csv", keep_default_na=False)
    flags = {f for m in cert["mechanical"] for f in str(m).split(";") if f}
    assert "risk_of_bias:no_judgement" in flags
    sof = _words(_section(editions["en"], "sof"))
    assert "only because the data carry no per-study risk-of-bias judgement" in sof
    # the prediction-interval rule is flagged exactly where I2 < 50 and inconsistency was rated down
    pi_rule = cert[cert["mechanical"].str.contains("prediction_interval_only")]
    for _, r in pi_rule.iterrows():
        assert (
            int(r["inconsistency_downgrade"]) == 1
            and float(re.search(r"I² = ([\d.]+)", r["inconsistency_reason"])[1]) < 50
        )
    if len(pi_rule):
        assert "only because the prediction interval crosses no effect" in sof
    assert "Guyatt et al. 2011" in sof


def test_main_report_has_no_data_column_names_and_links_the_appendix(editions):
    for lang in ("en", "nl"):
        text = _words(editions[lang])
        for name in ("id_exp", "Study_ID", "es_id", "intrcpt", "ci.lb", "pval"):
            assert name not in text, (lang, name)
        assert "<pre>" not in editions[lang]  # no metafor printout in the main report
    assert re.search(r'href="appendix\.html#[a-z0-9]+-technical"', editions["en"])
    assert re.search(r'href="appendix\.html#[a-z0-9]+-technical"', editions["nl"])  # its own appendix
    for app in ("appendix", "appendix_nl"):
        assert "<pre>" in editions[app] and 'href="report.html"' in editions[app]
    # the Dutch appendix says in Dutch why the printouts are in English (program output)
    assert "eigen uitvoer van het programma" in _words(editions["appendix_nl"])
    assert 'lang="nl"' in editions["appendix_nl"]


def test_main_pdf_stays_under_30_pages_with_the_appendix_beside_it(editions):
    exe = shutil.which("pdfinfo")
    if exe is None:
        pytest.skip("poppler's pdfinfo is not installed")

    def pages(p: Path) -> int:
        out = subprocess.run([exe, str(p)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"Pages:\s+(\d+)", out)[1])

    res = editions["res"]
    assert pages(res / "report.pdf") < 30 and pages(res / "nl" / "report.pdf") < 30
    assert pages(res / "appendix.pdf") > 30 and pages(res / "nl" / "appendix.pdf") > 30


def test_every_finding_is_a_sentence_in_its_section(editions):
    f = pd.read_csv(ROOT / "data/findings/findings.csv", dtype=str, keep_default_na=False)
    page = editions["en"]
    found = page[page.index('<h2 id="found">') : page.index("<h2 ", page.index('<h2 id="found">') + 5)]
    groups = re.split(r'<h3 id="found-[^"]*">', found)[1:]
    where = {}
    for g in groups:
        head = _words(g[: g.index("</h3>")])
        for i in re.findall(r'<a href="(?:appendix\.html)?#finding-([^"]+)">', g):
            where.setdefault(i, []).append(head)
    for _, r in f.iterrows():
        heads = [h for h in where.get(r["finding_id"], []) if "section" in h]
        assert len(heads) == 1 and heads[0].endswith(f"section {r['section']}"), (r["finding_id"], heads)
    # compact annotations: a symbol with a legend, no "[direction: ...]"
    assert "[direction:" not in page and "\u25b2 favourable" in _words(found)
    assert "<details" in found and "Dutch original" in found


def _cfg():
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def _index(cfg: dict, aid: str) -> int:
    return next(i for i, a in enumerate(cfg["analyses"]) if a["id"] == aid)


@pytest.mark.parametrize("key", ["role", "design"])
def test_an_analysis_must_declare_role_and_design(key):
    cfg = _cfg()
    i = _index(cfg, "landenberger2005")
    del cfg["analyses"][i][key]
    with pytest.raises(ConfigError) as e:
        validate_config(cfg)
    assert f"analyses[{i}] (analysis 'landenberger2005'): '{key}' is required but missing" in str(e.value)


def test_a_design_must_say_randomised_or_name_its_column():
    cfg = _cfg()
    i = _index(cfg, "barlow2014")
    cfg["analyses"][i]["design"] = {"note": "a note only"}
    with pytest.raises(ConfigError) as e:
        validate_config(cfg)
    assert f"analyses[{i}].design (analysis 'barlow2014'): declare the design" in str(e.value)


def test_barlow_is_declared_randomised_with_its_source():
    d = next(a for a in _cfg()["analyses"] if a["id"] == "barlow2014")["design"]
    assert d["randomised"] is True and "We included randomised controlled trials" in d["note"]
