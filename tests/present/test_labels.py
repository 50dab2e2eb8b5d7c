"""Issue 17, item 1: what a reader of ``results/report.html`` sees instead of internal names.

Every check reads the rendered report of the full pipeline run (``first_run``, shared with
test_pipeline.py and test_reader_view.py) and compares it with the results tables, the
config and the input tables, never with evsynth's own label constants: the list of
statistical terms, the internal names and the Dutch words below are written out here."""

from __future__ import annotations

import html
import re
import subprocess

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT, copy_project, evsynth_cmd
from evsynth.present import labels
from evsynth.texts import percent, plural


def plain(s: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", s))


@pytest.fixture(scope="module")
def page(first_run) -> str:
    """The main report and its technical appendix (issue 27: diagnostics and study tables moved there)."""
    return "".join((first_run / "results" / f).read_text(encoding="utf-8") for f in ("report.html", "appendix.html"))


@pytest.fixture(scope="module")
def cfg():
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def _body(page: str) -> str:
    """The report without the folded metafor-style summaries and the appendix of file names."""
    body = re.sub(r"<details>.*?</details>", "", page, flags=re.S)
    return body[: body.index('<h2 id="tables">')] if '<h2 id="tables">' in body else body


def _section(page: str, sid: str) -> str:
    i = page.index(f'id="{sid}"')
    j = page.find("<h", i + len(sid) + 5)
    return page[i : j if j > 0 else len(page)]


def _tables(seg: str) -> list[list[list[str]]]:
    return [
        [
            [plain(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, flags=re.S)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", t, flags=re.S)
        ]
        for t in re.findall(r"<table[^>]*>(.*?)</table>", seg, flags=re.S)
    ]


# ------------------------------------------------------------------------------------ helpers


def test_plural_helper():
    assert plural(1, "study") == "1 study"
    assert plural(2, "study") == "2 studies"
    assert plural(0, "study") == "0 studies"
    assert plural(1, "row") == "1 row" and plural(46, "row") == "46 rows"
    assert plural("1", "effect size") == "1 effect size" and plural(3, "day") == "3 days"
    assert plural(2, "analysis", "analyses") == "2 analyses"


def test_percent_helper():
    # landenberger2005, moderator sessions: R2 = 27.2686503597 in results/landenberger2005/moderators.csv
    assert percent(27.2686503597) == "27.3%"
    assert percent(0) == "0.0%" and percent(float("nan")) == "" and percent("") == ""


# ------------------------------------------------------------------------- headers and navigation

# raw names that are not words a reader knows (metafor's and the coders' column names)
INTERNAL = {
    "pval",
    "ci_lb",
    "ci_ub",
    "QM",
    "QMp",
    "QE",
    "QEp",
    "intrcpt",
    "tval",
    "zval",
    "se",
    "stat",
    "tau2",
    "I2",
    "R2",
    "id_exp",
    "deltype",
    "pubstatus",
    "erkend_dec2019",
    "n_clusters",
    "k_studies",
    "k_effects",
    "yi",
    "vi",
    "subgroup_variable",
    "Q_between",
    "df_between",
    "p_between",
    "ref_id",
    "source_row",
    "source_sheet",
}
# column names of the data that are also real words or standard notation a reader knows
WORDS = {
    "analysis",
    "authors",
    "column",
    "comparisons",
    "country",
    "design",
    "df",
    "direction",
    "estimate",
    "group",
    "instrument",
    "intervention",
    "interventions",
    "metric",
    "model",
    "moderator",
    "note",
    "notes",
    "outcome",
    "population",
    "reason",
    "review",
    "row",
    "study",
    "term",
    "title",
    "total",
    "unit",
    "value",
    "vote",
    "year",
    "agrees",
    "finding",
    "found",
    "reading",
    "seed",
    "iterations",
    "timepoint",
    "formula",
    "coder",
    "kappa",
    "median",
    "min",
    "max",
    "RCT",
    "quasi-experimental",
    "dataset",
    "item",
    "role",
    "certainty",
    "range",
    "source",
    "studies",
    "levels",
    "sentence",
    "number",
    "p",
    "stage",
    "type",
    "clusters",
}


def _column_names(project) -> set[str]:
    names: set[str] = set()
    for folder in ("results", "data"):
        for p in (project / folder).rglob("*.csv"):
            try:
                names |= set(pd.read_csv(p, nrows=0).columns.astype(str))
            except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
                continue
    return names


def _bare(h: str, ids: set[str], columns: set[str]) -> bool:
    return bool(
        re.fullmatch(r"[A-Za-z]\w*_\w+", h)  # snake_case
        or re.fullmatch(r"\w+\[[^\]]*\]", h)  # a model term such as pubstatus[1]
        or h in ids
        or h in INTERNAL
        or (h in columns and h not in WORDS)
    )


def test_table_headers_are_words(page, first_run, cfg):
    heads = [plain(h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", page, flags=re.S)]
    assert len(heads) > 100
    ids = {a["id"] for a in cfg["analyses"]}
    columns = _column_names(first_run)
    assert {"pval", "ci_lb", "erkend_dec2019"} <= columns  # the check knows the names it looks for
    bare = sorted({h for h in heads if _bare(h, ids, columns)})
    assert bare == [], bare


def test_header_check_finds_internal_names():
    cols = {"pval", "ci_lb", "k_effects", "estimate"}
    assert (
        _bare("ci_lb", set(), cols) and _bare("pubstatus[1]", set(), cols) and _bare("barlow2014", {"barlow2014"}, cols)
    )
    assert _bare("QMp", set(), cols) and _bare("pval", set(), cols)
    assert not _bare("estimate", set(), cols) and not _bare("CI lower", set(), cols)


def test_navigation_shows_titles_not_ids(page, cfg):
    # the main report's navigation names the on-topic analyses; the appendix's every analysis
    navs = re.findall(r"<nav>(.*?)</nav>", page, flags=re.S)
    assert len(navs) == 2
    main, appendix = ({h: plain(t) for h, t in re.findall(r'<a href="#([^"]+)">(.*?)</a>', n)} for n in navs)
    for a in cfg["analyses"]:
        if a["role"] == "primary":
            assert main[a["id"]] == a.get("short_title", a["title"]), a["id"]
            assert a["id"] not in main[a["id"]]
        assert appendix[f"{a['id']}-technical"] == a.get("short_title", a["title"]), a["id"]
        assert a["id"] not in appendix[f"{a['id']}-technical"]


def test_model_terms_in_words(page, cfg):
    body = _body(page)
    cells = [plain(c) for c in re.findall(r"<td>(.*?)</td>", body, flags=re.S)]
    assert not [c for c in cells if "intrcpt" in c]
    assert not [c for c in cells if re.search(r"\w\[[^\]]+\]$", c)], "a term like pubstatus[1] in a cell"
    assert "Intercept (average effect)" in cells
    # dat.assink2016 documents pubstatus as "published study (0 = no; 1 = yes)"; the config gives the words
    assert "publication status: published" in cells
    assert "type of delinquency: covert" in cells


def test_percentages_have_a_percent_sign(page, first_run):
    mods = pd.read_csv(first_run / "results/landenberger2005/moderators.csv")
    r2 = mods.loc[mods["model"] == "sessions", "R2"].iloc[0]
    seg = _section(page, "landenberger2005-moderators")
    t = _tables(seg)[0]
    col = next(j for j, h in enumerate(t[0]) if h.startswith("R²"))
    vals = {row[col] for row in t[1:]}
    assert f"{r2:.1f}%" in vals and all(v.endswith("%") or v == "" for v in vals)
    # I² of every subgroup table
    for sid in re.findall(r'id="([\w-]+-subgroups)"', page):
        t = _tables(_section(page, sid))[0]
        if "I²" not in t[0]:  # multilevel subgroups have sigma² per level instead
            continue
        col = t[0].index("I²")
        assert all(re.fullmatch(r"\d+\.\d%", row[col]) or row[col] == "" for row in t[1:]), sid
    assert not re.search(r"R² = \d+\.\d{2,}(?!%)", plain(page))


def test_no_wrong_plurals(page):
    text = plain(_body(page))
    assert not re.search(r"\b1 (studies|rows|articles|reviews)\b", text)
    assert not re.search(r"\b([02-9]|\d{2,}) (study|article)\b(?! (rows?|levels?|ids?|of|with|per|designs?))", text)


def test_no_seed_wording(page):
    text = plain(_body(page))
    # 'seeded with' / 'random seed' name the random-number seed of the permutation tests
    hits = [m.group(0) for m in re.finditer(r".{0,30}\bseeds?\b.{0,30}", text) if "random seed" not in m.group(0)]
    assert hits == [], hits
    assert "seed review" not in text and "003_169077222a0c6c24" not in text


# ----------------------------------------------------------------------------------- glossary

# the statistical terms a policy analyst meets (independent of evsynth's glossary): how the
# report may write each one, and a word that the glossary entry's term must contain
TERMS = {
    "pooled effect": (r"pooled (effect|estimate)", "pooled"),
    "confidence interval": (r"\bCI\b", "confidence"),
    "prediction interval": (r"prediction interval", "prediction interval"),
    "tau²": (r"tau²", "tau²"),
    "I²": (r"I²", "I²"),
    "Knapp-Hartung": (r"Knapp-Hartung", "Knapp-Hartung"),
    "moderator": (r"moderator", "moderator"),
    "R²": (r"R²", "R²"),
    "risk ratio": (r"risk ratio", "risk ratio"),
    "odds ratio": (r"odds ratio", "odds ratio"),
    "SMD": (r"standardised mean difference|\bSMD\b", "standardised mean difference"),
    "GRADE": (r"GRADE", "GRADE"),
    "trim-and-fill": (r"[Tt]rim-and-fill", "trim-and-fill"),
    "PET-PEESE": (r"\bPET\b|PEESE", "PET-PEESE"),
    "leave-one-out": (r"[Ll]eaving out one study|leave-one-out", "leave-one-out"),
    "multilevel": (r"[Tt]hree-level|multilevel", "multilevel"),
    "robust variance": (r"CR2|cluster-robust", "robust"),
    "heterogeneity": (r"heterogeneity", "heterogeneity"),
    "Egger": (r"Egger", "Egger"),
    "Begg": (r"Begg", "Begg"),
    "fail-safe N": (r"fail-safe N", "fail-safe"),
    "permutation test": (r"[Pp]ermutation test", "permutation"),
    "subgroup": (r"[Ss]ubgroup", "subgroup"),
    "funnel plot": (r"funnel plot", "funnel"),
    "risk of bias": (r"[Rr]isk of bias", "risk of bias"),
    "random effects": (r"[Rr]andom-effects", "random-effects"),
    "meta-regression": (r"meta-regression", "meta-regression"),
    "Q-profile": (r"Q-profile", "Q-profile"),
    "PRISMA": (r"PRISMA", "PRISMA"),
    "RCT": (r"\bRCT", "RCT"),
    "multiverse": (r"[Mm]ultiverse", "multiverse"),
}


def test_glossary_has_every_term_the_report_uses(page):
    body = _body(page)
    gi = body.index('<h2 id="glossary">')
    ge = body.index("<h2 ", gi + 5)
    # the words of the main report and the technical appendix, without the glossary itself
    text, gloss = plain(body[:gi] + body[ge:]), body[gi:ge]
    rows = {i: plain(t) for i, t in re.findall(r'<tr id="(g-[^"]+)">(.*?)</tr>', gloss, flags=re.S)}
    assert len(rows) >= 30
    terms = {
        i: re.split(r"<td>", t)[1] if "<td>" in t else t
        for i, t in re.findall(r'<tr id="(g-[^"]+)">(.*?)</tr>', gloss, flags=re.S)
    }
    used = [name for name, (pat, _) in TERMS.items() if re.search(pat, text)]
    assert len(used) >= 25, used
    missing = [
        name
        for name in used
        if not any(TERMS[name][1].lower() in plain(t).lower().split(":")[0] for t in terms.values())
    ]
    assert missing == [], missing
    # the first use of a term links to its entry, and every such link resolves
    links = re.findall(r'<a class="term" href="(?:report\.html)?#(g-[^"]+)">', body[:gi] + body[ge:])
    assert len(set(links)) >= 25 and set(links) <= set(rows)


# ------------------------------------------------------------------------------------- Dutch


def test_dutch_cells_are_translated_with_the_original(page, first_run):
    nji = pd.read_csv(first_run / "data/nji2020/interventions.csv", dtype=str, keep_default_na=False)
    seg = _section(page, "nji")
    t = _tables(seg)[0]
    head = t[0]
    assert not [h for h in head if "_" in h]
    cells = {c for row in t[1:] for c in row}
    # Dutch programme names of the input table, each written out in English here (translations
    # by this test's author from the NJI text), shown with the Dutch in brackets
    for nl, en in [
        ("Gezin Centraal", "Family Central"),
        ("Multisysteemtherapie (MST)", "multisystemic therapy"),
        ("Functionele Familie Therapie (FFT)", "functional family therapy"),
        ("IPT (licht verstandelijke beperking)", "mild intellectual disability"),
    ]:
        assert nl in set(nji["intervention"]) | set(nji["group"])
        assert any(en in c and f"(Dutch: {nl})" in c for c in cells), nl
    assert "IPT (licht verstandelijke beperking)" not in cells  # never the Dutch alone
    assert "translation by this report's coders" in plain(seg) or "translation" in plain(seg)
    # PRISMA exclusion reasons of Holwerda et al., figure 2.1 (lines 760-770): English first
    text = plain(_section(page, "studies"))
    for nl, en in [
        ("andere doelgroep", "other target group"),
        ("geen interventie", "no intervention"),
        ("andere uitkomstmaat", "other outcome measure"),
    ]:
        assert f"{en} (Dutch: {nl})" in text


def test_strength_of_evidence_is_shown_in_english_with_the_dutch(page, first_run):
    f = pd.read_csv(first_run / "data/findings/findings.csv", dtype=str, keep_default_na=False)
    i = page.index('<h2 id="found">')
    sec = plain(page[i : page.index("<h2 ", i + 5)])
    table = plain(_section(page, "findings-table"))
    shown = [s for s in set(f["strength_nl"]) if s]
    assert len(shown) >= 30
    assert sec.count("reviewers' words: \u201c") >= 20  # in the sentences, compact, in English
    for nl in shown:
        # the Dutch one click away in the sentences; in the findings table never without its English
        assert f"sterkte: \u201c{nl}\u201d" in sec, nl
        assert f"(Dutch: {nl})" in table or not labels.english(nl), nl


def test_translation_table_names_its_sources():
    t = pd.read_csv(ROOT / "data/translations/nl_en.csv", dtype=str, keep_default_na=False)
    assert list(t.columns) == ["dutch", "english", "applies_to", "source", "translator_note"]
    assert (t["source"].str.contains(r"line", regex=True)).all() and (t["english"] != "").all()
    assert t["translator_note"].str.contains("translation").all()


# ------------------------------------------------------------------------ empty things and figures


def test_reviews_table_is_not_a_wall_of_unknowns(page, first_run):
    t = _tables(_section(page, "reviews"))[0]
    rev = pd.read_csv(first_run / "results/studies/reviews.csv", dtype=str, keep_default_na=False)
    assert len(t) - 1 == len(rev)
    assert not any("[?]" in c for row in t for c in row)
    lost = t[0].index("of which the direction arrow is lost")
    assert sum(int(row[lost]) for row in t[1:]) == sum(s.count("[?]") for s in rev["findings_statements"])


def test_no_table_column_is_empty_in_every_row(page):
    for tab in _tables(_body(page)):
        if len(tab) < 2:
            continue
        for j, h in enumerate(tab[0]):
            assert any(len(r) > j and r[j] for r in tab[1:]), h


def test_no_heading_without_content(page):
    body = _body(page)
    heads = list(re.finditer(r"<h([23]) id=\"([^\"]+)\">", body))
    for h, nxt in zip(heads, heads[1:] + [None]):
        seg = body[h.end() : nxt.start() if nxt else len(body)]
        seg = re.sub(r"</h[23]>", "", seg, count=1)
        if h.group(1) == "2" and nxt is not None and nxt.group(1) == "3" and not plain(seg).strip():
            continue  # a chapter heading followed directly by its first sub-heading
        assert plain(seg).strip() or "<img" in seg, f"empty heading {h.group(2)}"


def test_figure_captions_are_titles_and_figure_notes_are_read(page, first_run, cfg):
    caps = [plain(c) for c in re.findall(r"<figcaption[^>]*>(.*?)</figcaption>", page, flags=re.S)]
    ids = {a["id"] for a in cfg["analyses"]}
    assert len(caps) >= 10
    assert not [c for c in caps if any(re.search(rf"\b{i}\b", c) for i in ids) or "_" in c]
    titles = {a["title"] for a in cfg["analyses"]}
    assert sum(any(t in c for t in titles) for c in caps) >= 8
    notes = list((first_run / "figures").glob("*/figure_notes.csv"))
    assert notes, "the figures stage writes notes for figures it does not draw"
    for p in notes:
        for reason in pd.read_csv(p, dtype=str, keep_default_na=False)["reason"]:
            assert reason in plain(_section(page, f"{p.parent.name}-technical")), p


# ------------------------------------------------------------------- summary agrees with the body


def test_summary_agrees_with_the_body_after_adding_extraction_rows(tmp_path, monkeypatch):
    """Three extraction rows added in a copy of the project: the summary then gives the
    pooled effect of the domain the body pools, not 'no pooled effect can be given'."""
    from evsynth.pipeline.config import load_config
    from evsynth.pipeline.paths import ENV_ALLOW
    from evsynth.present.report import write_report

    proj = copy_project(tmp_path / "p")
    eff = proj / "data/effects/holwerda2014_effects.csv"
    head = eff.read_text(encoding="utf-8").splitlines()[0].split(",")
    rows = []  # test fixtures (not data): t statistics and group sizes of three coded studies
    for i, (sid, t, n1, n2) in enumerate(
        [("armstrong2000", 2.2, 90, 91), ("caldera2007", 1.5, 180, 170), ("mcmillan2005", 0.8, 80, 83)], 1
    ):
        r = dict.fromkeys(head, "")
        r.update(
            {
                "effect_id": f"fx{i}",
                "study_id": sid,
                "outcome": "fixture outcome",
                "outcome_domain": "parenting",
                "higher_is_better": "yes",
                "t": t,
                "n1": n1,
                "n2": n2,
                "approximation": "no",
                "source_url": "https://example.org/fixture",
                "source_quote": "fixture",
                "coder": "pytest",
            }
        )
        rows.append(r)
    shipped = pd.read_csv(eff)
    k_parenting = len(
        set(shipped.loc[shipped["outcome_domain"] == "parenting", "study_id"]) | {r["study_id"] for r in rows}
    )
    n_rows = len(set(shipped["study_id"]) | {r["study_id"] for r in rows})
    pd.DataFrame(rows, columns=head).to_csv(eff, mode="a", header=False, index=False, lineterminator="\n")
    res = proj / "results"
    for stage in ("studies", "quality", "extraction"):
        out = subprocess.run(
            [*evsynth_cmd(), stage, "--config", "config.yaml", "--outdir", str(res / stage)],
            cwd=proj,
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stderr
    monkeypatch.setenv(ENV_ALLOW, str(proj))  # the copy is outside the repository: allowed explicitly
    monkeypatch.chdir(proj)
    cfg = load_config(proj / "config.yaml")
    cfg["analyses"] = []  # the 47 studies only
    (proj / "figures").mkdir(exist_ok=True)
    write_report(cfg, res, proj / "figures", res / "report.html", None)
    page = (res / "report.html").read_text(encoding="utf-8")
    pooled = pd.read_csv(res / "extraction/pooled_by_domain.csv")
    row = pooled[pooled["outcome_domain"] == "parenting"].iloc[0]
    assert np.isfinite(row["estimate"]) and row["k_studies"] == k_parenting
    start = page.index('id="summary"')
    summary = plain(page[start : page.index("<h2", start + 5)])
    assert "no pooled effect can be given" not in summary
    assert f"parenting outcomes: standardised mean difference {row['estimate']:.2f}" in summary
    assert f"{row['ci_lb']:.2f} to {row['ci_ub']:.2f}; {k_parenting} studies" in summary
    # the body shows the same table
    body = plain(_section((res / "appendix.html").read_text(encoding="utf-8"), "pooled-domain"))
    assert f"{row['estimate']:.3f}" in body
    assert f"Effect sizes have been extracted for {n_rows} of" in summary


def test_running_text_names_no_internal_columns_or_ids(page, cfg):
    """Paragraphs and list items (not file names in <code>, not the verbatim coded data in
    tables) carry no analysis id and no snake_case column name."""
    body = re.sub(r"<code>.*?</code>", "", _body(page), flags=re.S)
    text = " ".join(plain(x) for x in re.findall(r"<(?:p|li)\b[^>]*>(.*?)</(?:p|li)>", body, flags=re.S))
    words = set(re.findall(r"[\w./-]+", text))
    ids = {a["id"] for a in cfg["analyses"]}
    cols = {m["column"] for a in cfg["analyses"] for m in a.get("moderators", []) if "_" in m["column"]}
    assert cols and not (words & (ids | cols)), sorted(words & (ids | cols))
