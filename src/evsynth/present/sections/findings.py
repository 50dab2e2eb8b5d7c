""""What the reviews found": the findings of the two source reviews, read from the findings
table (``studies/findings.csv``)."""

from __future__ import annotations

from markupsafe import Markup

from evsynth.present import labels
from evsynth.present.document import M, Items, Section, TableBlock, Text
from evsynth.texts import reader_source

__all__ = ['FINDINGS_SECTION', 'findings_section']


# "What the reviews found": the first section, for policy analysts.  Each sentence is a lead of
# a few words (the coder's framing) followed by the English translation of findings-table rows
# (data/findings/findings.csv, column claim_en_translation), with the Dutch key words in brackets
# and the strength of evidence in the source's own words; each sentence names its finding ids,
# and each finding row names its seed lines.  Nothing here is a number computed by the report.
FINDINGS_SECTION = [
    ("What seems to work, and how certain the reviewers were", [
        ("Overall (Holwerda et al. 2014)", ["H-4.3-01", "H-4.3-03", "H-4.3-04"]),
        ("Overall (NJI 2020)", ["N-4-01"]),
        ("Intensive home-based family preservation in the Netherlands", ["N-2-01", "N-2-02", "N-2-05"]),
        ("Named programmes", ["N-2-04", "H-4.4-01", "H-4.4-02"]),
        ("The reviews Holwerda et al. summarise", ["H-4.9-09", "H-4.9-08", "H-4.9-06", "H-4.9-10"]),
    ]),
    ("Under which conditions: intensity, duration, caseload, setting", [
        ("Characteristics linked to larger effects", ["H-7.1-04", "H-4.9-02"]),
        ("Intensity and duration: the studies disagree", ["H-4.7-02", "H-4.7-03"]),
        ("Caseload", ["H-4.7-01", "H-7.2-07", "N-1-01"]),
        ("At home, with the whole family, several times a week", ["H-7.2-02", "H-7.2-03", "N-1.3-01", "N-1.3-04"]),
        ("One family, one plan, one professional", ["H-7.2-05", "N-1.3-05"]),
        ("The NJI summary of working factors", ["N-4-02"]),
    ]),
    ("For whom", [
        ("Families with low socio-economic status", ["H-4.8-01", "H-7.1-05"]),
        ("Families with a long history of care", ["H-4.8-03"]),
        ("Families with multiple problems versus families known for maltreatment", ["N-2-02"]),
    ]),
    ("What is not known", [
        ("Which care works best", ["H-7.4-01", "N-1-02"]),
        ("Socio-economic outcomes", ["H-4.2-01"]),
        ("Case management, cost-effectiveness, out-of-the-box interventions", ["H-4.4-03", "H-7.1-03", "H-4.5-01"]),
    ]),
    ("The evidence base", [
        ("Primary studies and intervention types (4.1; 7.1 counts differently)", ["H-4.1-01", "H-7.1-01"]),
        ("Quality of the Dutch evidence (NJI)", ["N-2-03"]),
    ]),
]


def findings_section(ctx: dict) -> list[Section]:
    """The first report section, "What the reviews found", built only from the findings table
    (plus the evidence-base sentences that need the study tables: the reviews discrepancy and
    quality by design).  Every claim links to its row of the findings table below
    (``#finding-<id>``), and every row names its seed lines.  Empty without a findings table."""
    f = ctx.get("findings_table")
    if f is None or f.empty:
        return []
    rows = {r["finding_id"]: r for _i, r in f.fillna("").iterrows()}

    def claim(text, i: str = "") -> Markup:
        return M("{} <a href=\"#finding-{}\">[{}]</a>", text, i, i) if i else M("{}", text)

    out = [Section("found", "What the reviews found", [
        Text(M("Built only from the findings table (<code>data/findings/findings.csv</code>): every sentence links to "
               "its rows, and every row below names its source lines. English text is the coders' literal translation "
               "of the Dutch claim; \"multi-problem families\" translates <i>multiprobleemgezinnen</i> (Holwerda et "
               "al.), \"families with multiple and complex problems\" <i>gezinnen met meervoudige en complexe "
               "problemen</i> (NJI); IPT is <i>Intensieve Pedagogische Thuishulp</i>."), style="note")],
        nav="What the reviews found")]
    for n, (heading, items) in enumerate(FINDINGS_SECTION):
        blocks: list = []
        for lead, ids in items:
            claims = []
            for i in (i for i in ids if i in rows):
                r = rows[i]
                t = M("{}", str(r["claim_en_translation"]).strip())
                if r["direction"]:
                    t = M("{} [direction: {}]", t, r["direction"])
                en = labels.english(r["strength_nl"]) if r["strength_nl"] else ""
                if en:
                    t = M("{} (strength of evidence in the source's words, translated: \u201c{}\u201d; Dutch: \u201c{}\u201d)",
                          t, en, r["strength_nl"])
                elif r["strength_nl"]:
                    t = M("{} (strength of evidence in the source's words: \u201c{}\u201d)", t, r["strength_nl"])
                claims.append(claim(t, i))
            if claims:
                blocks += [Text(M(""), lead=f"{lead}."), Items(claims)]
        if heading == "The evidence base":
            if "H-4.9-01" in rows:
                blocks += [Text(M(""), lead="Reviews: 9 or 10."), Items([claim(M(
                    "The flow diagram (figure 2.1) counts {} included reviews; Bijlage 6 and section 4.9 list {}. This "
                    "report codes the reviews Bijlage 6 lists.", ctx["p_reviews"], ctx["n_reviews_listed"]),
                    "H-4.9-01")])]
            if ctx.get("designs"):
                des = Markup("; ").join(M("{} {} articles (quality score median {} of 11, {} rows without a score)",
                                          d["n_articles"], d["design"], d["median"], d["n_no_score"])
                                        for d in ctx["designs"])
                blocks += [Text(M(""), lead="Quality by design."), Items([M(
                    "Published quality scores (Bijlage 5, 11-item form): {}. The source table gives no sample sizes.",
                    des)])]
        if blocks:
            out.append(Section(f"found-{n + 1}", heading, blocks, level=3))
    out.append(Section("findings-table", "Findings table", [TableBlock(
        [("finding_id", "finding"), ("claim_nl", "claim (Dutch, verbatim)"), ("claim_en", "English (translation)"),
         ("direction", "direction"), ("strength_nl", "strength (source's words; English, Dutch in brackets)"), ("where", "source (document and lines)")],
        [{"anchor": f"finding-{r['finding_id']}", "finding_id": r["finding_id"], "claim_nl": r["claim_nl"],
          "claim_en": r["claim_en_translation"], "direction": r["direction"], "strength_nl": labels.translate(r["strength_nl"]),
          "where": reader_source(r["source"]) + (f"; strength: lines {r['strength_lines']}" if r["strength_lines"] else "")}
         for _i, r in f.fillna("").iterrows()], anchor="anchor")], level=3))
    return out

