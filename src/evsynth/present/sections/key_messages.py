"""Key messages (issue 27 item 1): the first screen of the report and the first page of the PDF.
Five to eight sentences -- what works and how sure we are, for whom, how (intensity, caseload,
the professional), what is not known -- each with its certainty in GRADE's words and a link to
the evidence behind it.

Nothing is typed here but the leads and the frame of a sentence: a pooled result is the GRADE
statement of its row in ``certainty/certainty.csv`` (the body rated highest when an outcome has a
randomised body of its own) with its numbers from that row; a finding of the reviews is its row
of ``studies/findings.csv`` (the claim, the reviewers' own strength words, its line reference).
GRADE rates pooled estimates only, so a review finding says that it is not rated and gives the
reviewers' own words instead."""

from __future__ import annotations

from markupsafe import Markup

from evsynth.present import labels
from evsynth.present.context import CERT, GRADE_WORDS, grade_statement
from evsynth.present.document import M, Items, Section, Text
from evsynth.present.i18n import N_, _, current, number

__all__ = ["KEY_MESSAGES", "key_messages_section"]

# (lead, what the sentence is read from): "primary" = one sentence per on-topic pooled analysis
# (its GRADE row); otherwise finding ids of the findings table (the first one present is used).
KEY_MESSAGES = [
    (N_("What works, and how sure we are."), "primary"),
    (N_("For whom."), ["H-4.8-01", "H-7.1-05"]),
    (N_("How: intensity and duration."), ["H-7.1-04", "H-4.7-02"]),
    (N_("How: caseload and the professional."), ["H-7.2-07", "H-4.7-01", "N-1-01"]),
    (N_("What is not known."), ["H-7.4-01", "N-1-02"]),
]


def _pooled(a: dict, T, ctx_level) -> Markup | None:
    g = a.get("grade")
    if not g:
        return None
    best = g
    if "randomised" in g and g["randomised"]["level"] > g["level"]:
        best = g["randomised"]
    i = best["row"]
    ratio = (
        "estimate_exp" in T.get(CERT).columns and T.num(CERT, "estimate_exp", i).v == T.num(CERT, "estimate_exp", i).v
    )
    lv = number(float(ctx_level), 0)
    est = (
        M(
            _("{} {}, {}% CI {} to {}"),
            _(a["ratio_words"]),
            T.num(CERT, "estimate_exp", i, 2),
            lv,
            T.num(CERT, "ci_lb_exp", i, 2),
            T.num(CERT, "ci_ub_exp", i, 2),
        )
        if ratio and a["ratio_words"]
        else M(_("{} {}, {}% CI {} to {}"), _("effect"), best["est"], lv, best["lo"], best["hi"])
    )
    body = M(_("{} randomised studies"), best["n_studies"]) if best is not g else M(_("{} studies"), best["n_studies"])
    anchor = f"sof-{a['id']}" + ("-randomised" if best is not g else "")
    # evidence about another population than the families this report is about says so (GRADE's
    # indirectness, declared per analysis in config.yaml with its reason)
    cert = T.get(CERT)
    reason = (a["spec"].get("indirectness") or {}).get("reason")
    indirect = (
        M(" " + _("Indirect evidence: {}."), _(reason))
        if reason and "indirectness_downgrade" in cert and float(cert["indirectness_downgrade"].iloc[i] or 0) > 0
        else ""
    )
    return M(
        '{} ({}; {}).{} {} <a href="#{}">[{}]</a>',
        grade_statement(best).rstrip("."),
        est,
        body,
        indirect,
        M(_("Certainty of the evidence: <b>{}</b>."), _(GRADE_WORDS[best["level"]])),
        anchor,
        _("Summary of Findings"),
    )


def _sentence(row) -> str:
    """A coded claim as a sentence of its own.  A list item of the source (``- provides for a low
    caseload ...;``) loses its dash and closing semicolon; an item of the review's model
    intervention (section 7.2: "Deze interventie: - voorziet in ...") is said of that intervention,
    any other item starts with a capital."""
    text = str(row["claim_nl"] if current() == "nl" else row["claim_en_translation"]).strip()
    if not text.startswith("- "):
        return text
    text = text[2:].strip().rstrip(";,").rstrip() + "."
    if row.get("claim_type") == "model intervention":
        return M(_("The review's model intervention (section {}) {}"), row["section"], text)
    return text[:1].upper() + text[1:]


def _finding(ids: list[str], ctx: dict) -> Markup | None:
    f = ctx.get("findings_table")
    if f is None or f.empty:
        return None
    rows = {r["finding_id"]: r for _i, r in f.fillna("").iterrows()}
    i = next((i for i in ids if i in rows), None)
    if i is None:
        return None
    r = rows[i]
    claim = _sentence(r)
    words = r["strength_nl"] if current() == "nl" else (labels.english(r["strength_nl"]) or r["strength_nl"])
    cert = (
        M(_("Not rated with GRADE (no pooled estimate); the reviewers' own words: \u201c{}\u201d."), words)
        if words
        else M(_("Not rated with GRADE (no pooled estimate); the reviewers give no strength words."))
    )
    return M('{} {} <a href="#claim-{}">[{}]</a>', claim, cert, i, i)


def key_messages_section(ctx: dict) -> list[Section]:
    """The key messages, five to eight sentences in the order of :data:`KEY_MESSAGES`."""
    items = []
    for lead, source in KEY_MESSAGES:
        if source == "primary":
            # a sentence for each on-topic outcome rated low or higher; the very-low ones in one
            # sentence (GRADE gives them no direction), so that there are five to eight messages
            rated = [a for a in ctx["primary"] if a.get("grade")]
            best = {
                a["id"]: max(
                    [a["grade"]] + ([a["grade"]["randomised"]] if "randomised" in a["grade"] else []),
                    key=lambda g: g["level"],
                )
                for a in rated
            }
            said = [
                s
                for a in rated
                if best[a["id"]]["level"] > 1
                for s in [_pooled(a, ctx["T"], ctx["level"])]
                if s is not None
            ]
            low = [a for a in rated if best[a["id"]]["level"] == 1]
            if low:
                # the analyses' short titles hold colons and commas: listed with semicolons, counted
                links = Markup("; ").join(
                    M('<a href="#sof-{}">{}</a>', a["id"], _(a["spec"].get("short_title", a["spec"]["title"])))
                    for a in low
                )
                frame = (
                    _(
                        "For {} analysis ({}) the certainty of the evidence is <b>very low</b>: we are uncertain "
                        "whether the help studied there works (its statement is in the Summary of Findings)."
                    )
                    if len(low) == 1
                    else _(
                        "For {} analyses ({}) the certainty of the evidence is <b>very low</b>: we are uncertain "
                        "whether the help studied there works (each statement is in the Summary of Findings)."
                    )
                )
                said.append(M(frame, number(len(low), 0) if len(low) > 1 else _("one more"), links))
            items += [M("<b>{}</b> {}", _(lead), s) if n == 0 else s for n, s in enumerate(said)]
        else:
            s = _finding(source, ctx)
            if s is not None:
                items.append(M("<b>{}</b> {}", _(lead), s))
    if not items:
        return []
    return [
        Section(
            "key-messages",
            _("Key messages"),
            [
                Items(items),
                Text(
                    M(
                        _(
                            "Certainty of the evidence in GRADE's words: <i>high</i> (the true effect is close to the estimate), "
                            "<i>moderate</i> (probably close), <i>low</i> (may be substantially different), <i>very low</i> "
                            "(probably substantially different). Each message links to the evidence behind it: a row of the "
                            "Summary of Findings or of the findings of the two reviews."
                        )
                    ),
                    style="note",
                ),
            ],
            boxed=True,
            nav=_("Key messages"),
        )
    ]
