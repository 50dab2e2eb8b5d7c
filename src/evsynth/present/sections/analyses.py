"""One chapter per pooled analysis: the model, the result in one sentence, the figures, the
moderator, subgroup and robust tables, sensitivity and publication bias, the tables an
analysis lists; and the neighbouring-fields chapter before the first secondary analysis."""

from __future__ import annotations

import re

from markupsafe import Markup

from evsynth.present import labels
from evsynth.present.context import GRADE_WORDS, RATIO_WORDS, grade_statement
from evsynth.present.generated import notation, words
from evsynth.present.document import M, Figure, Items, Preformatted, Section, TableBlock, Text
from evsynth.present.i18n import _, current, number
from evsynth.present.sections.own_studies import is_own, own_blocks
from evsynth.present.sections.sensitivity import pooling_sections, sensitivity_sections
from evsynth.texts import ESTIMATOR_WORDS, TEST_WORDS

__all__ = ["analysis_sections", "neighbouring_section", "listed_sections", "message_changes", "sentence"]


NEIGHBOURING_INTRO = (
    "The analyses below use real per-study data, but about other populations or interventions "
    "than families with multiple and complex problems; each is rated down for indirectness and "
    "none enters the summary."
)


# the appendix of another language says why the model printout is in English (program output)
PRINTOUT_NOTE = (
    "The model summary below is the program's own output in the layout of R's metafor package; like any "
    "program output it is shown as written, in English."
)


COMPARE_PUBLISHED = {"ifps2002": ("Al et al. 2012", "van Assen et al. 2020")}


def _bias_items(a: dict) -> list[Markup]:
    items = []
    if a["leave1out_range"]:
        items.append(
            M(
                _("Leaving out one study at a time, the pooled estimate ranges from {} to {}."),
                a["leave1out_range"]["lo"],
                a["leave1out_range"]["hi"],
            )
        )
    if a["influential"] is not None:
        items.append(
            M(
                _("Influential studies (DFFITS, Cook's distance or hat value above metafor's thresholds): {}."),
                ", ".join(a["influential"]) if a["influential"] else _("none"),
            )
        )
    for r in a["sensitivity"]:
        items.append(
            M(
                _("Sensitivity ({}): k = {}, estimate {} [{}, {}] {}"),
                words(labels.reader_words(r.get("analysis", ""), a["spec"])),
                r.get("k", ""),
                r.get("estimate", ""),
                r.get("ci_lb", ""),
                r.get("ci_ub", ""),
                words(labels.reader_words(r.get("note", ""), a["spec"])),
            )
        )
    if a["egger"]:
        items.append(M(_("Egger's regression test: z/t = {}, p = {}."), a["egger"]["stat"], a["egger"]["pval"]))
    if a["begg"]:
        items.append(M(_("Begg's rank correlation: Kendall's tau = {}, p = {}."), a["begg"]["tau"], a["begg"]["pval"]))
    if a["trimfill"]:
        t = a["trimfill"]
        items.append(
            M(
                _("Trim-and-fill (L0) estimates {} missing studies on the {} side; adjusted estimate {} [{}, {}]."),
                t["k0"],
                _(t["side"]),
                t["est"],
                t["lo"],
                t["hi"],
            )
        )
    if a["fsn"] is not None:
        items.append(M(_("Rosenthal's fail-safe N: {}."), a["fsn"]))
    if a["pet_peese"]:
        p = a["pet_peese"]
        items.append(
            M(
                _("PET estimate {}, PEESE estimate {} (conditional choice: {})."),
                p["pet"],
                p["peese"],
                "PEESE" if p["use_peese"] else "PET",
            )
        )
    return items


def _forest(stem: str) -> bool:
    return stem == "forest" or stem.startswith("forest_page")


def _main_table(a: dict) -> TableBlock:
    return TableBlock(
        [
            ("k", _("effect sizes (k)")),
            ("est", _("estimate")),
            ("ci", _("95% CI")),
            ("p", "p"),
            ("pi", _("prediction interval")),
            ("tau2", "tau\u00b2"),
            ("I2", "I\u00b2"),
            ("Q", "Q (df)"),
            ("QEp", "p (Q)"),
        ],
        [
            {
                "k": a["k"],
                "est": a["est"],
                "ci": M(_("[{}, {}]"), a["ci_lb"], a["ci_ub"]),  # Dutch: [0,15; 0,46]
                "p": a["pval"],
                "pi": M(_("[{}, {}]"), a["pi_lb"], a["pi_ub"]),
                "tau2": a["tau2"],
                "I2": a["I2"],
                "Q": M("{} ({})", a["QE"], a["QE_df"]),
                "QEp": a["QEp"],
            }
        ],
    )


def _main_chapter(a: dict, ctx: dict) -> Section:
    """A primary analysis in the main report: the question, the source, the model in words (no
    column names of the data), the result sentence, the pooled result and the forest plot."""
    spec = a["spec"]
    model = _("Three-level model (effect sizes within studies)") if a["multilevel"] else _("Random-effects model")
    cluster = _(", cluster-robust inference by study") if spec["model"].get("cluster") else ""
    blocks = []
    if spec.get("question"):
        blocks.append(Text(M("{}", _(spec["question"])), style="italic"))
    blocks += [
        Text(M("{}", _(spec["citation"])), lead=_("Source.")),
        Text(
            M(
                _("{model}, tau\u00b2 estimator {method}, test {test}{cluster}. Effect size: {measure}."),
                model=model,
                method=_(ESTIMATOR_WORDS.get(a["method"], a["method"])),
                test=_(TEST_WORDS.get(a["test"], a["test"])),
                cluster=cluster,
                measure=_(a["measure"]),
            ),
            lead=_("Model."),
        ),
        Text(a["sentence"]),
        _main_table(a),
    ]
    if is_own(a):  # the review's own studies: intensity, caseload and the reviewers' conclusions
        blocks += own_blocks(a, ctx)
    blocks.append(
        Text(
            M(
                _(
                    "Diagnostics, moderators, sensitivity analyses, the other figures and the model printout: "
                    '<a href="#{}-technical">technical appendix</a>.'
                ),
                a["id"],
            ),
            style="note",
        )
    )
    blocks += [
        Figure(a["fig_dir"] / f"{f}{a['fig_suffix']}.png", _caption(f, spec, a["figs"]))
        for f in a["figs"]
        if _forest(f)
    ]
    return Section(a["id"], _(spec["title"]), blocks, new_page=True, nav=_(spec.get("short_title", spec["title"])))


def _caption(stem: str, spec: dict, stems) -> str:
    """A forest plot's caption in the report's language (the appendix keeps the English ones)."""
    if current() == "en":
        return labels.figure_caption(stem, spec, stems)
    m = re.fullmatch(r"(.*?)(?:_page(\d+))?", stem)
    parts = sum(1 for x in stems if _forest(x))
    part = M(_(" (part {} of {})"), int(m.group(2) or 1), parts) if parts > 1 else ""
    return str(M("{}{}: {}", _("Forest plot"), part, _(spec["title"])))


def analysis_sections(ctx: dict) -> list[Section]:
    """The primary analyses as chapters of the main report, the neighbouring fields in one
    chapter of sentences, and every analysis in full in the technical appendix."""
    out = [_main_chapter(a, ctx) for a in ctx["primary"]]
    if ctx["secondary"]:
        out.append(neighbouring_section(ctx))
    for a in ctx["primary"] + ctx["secondary"]:
        out += _technical(a, ctx)
    return out


def _technical(a: dict, ctx: dict) -> list[Section]:
    """One analysis in full, for the technical appendix (in the report's language; the model
    with the data's column names, the metafor-style printout as the program writes it)."""
    spec = a["spec"]
    model = (
        _("Three-level model ({})").format(" / ".join(spec["model"]["random"]))
        if a["multilevel"]
        else _("Random-effects model")
    )
    cluster = (
        _(", cluster-robust inference by {}").format(spec["model"]["cluster"]) if spec["model"].get("cluster") else ""
    )
    blocks = []
    if spec.get("question"):
        blocks.append(Text(M("{}", _(spec["question"])), style="italic"))
    blocks += [
        Text(M(_("{} Coded data: {}."), _(spec["citation"]), _(spec["data_source"])), lead=_("Source.")),
        Text(
            M(
                _("{}, tau\u00b2 estimator {}, test {}{}. Effect size: {}. {}"),
                model,
                _(ESTIMATOR_WORDS.get(a["method"], a["method"])),
                _(TEST_WORDS.get(a["test"], a["test"])),
                cluster,
                _(a["measure"]),
                _(spec["direction"]["rule"]),
            ),
            lead=_("Model."),
        ),
        Text(a["technical_sentence"]),
        _main_table(a),
    ]
    if a["multilevel"]:
        blocks.append(
            TableBlock(
                [
                    ("name", _("variance component")),
                    ("value", "sigma\u00b2"),
                    ("nlevels", _("levels")),
                    ("I2", _("I\u00b2 share")),
                ],
                a["sigmas"],
            )
        )
    if a["confint"]:
        c = a["confint"]
        blocks.append(
            Text(
                M(
                    _("Q-profile {}% CI: tau\u00b2 [{}, {}], I\u00b2 [{}, {}]."),
                    ctx["level"],
                    c["tau2_lo"],
                    c["tau2_hi"],
                    c["I2_lo"],
                    c["I2_hi"],
                )
            )
        )
    if a.get("multiverse"):
        mv = a["multiverse"]
        blocks.append(
            Text(
                M(
                    _(
                        "Fitting every combination of the analytic choices declared for this analysis, {} of {} "
                        "specifications could be fitted; their median estimate is {} (range {} to {}), and the "
                        "{}% CI excludes 0 in {} of them ({}).{} The specification curve below shows every "
                        "specification."
                    ),
                    mv["n_fitted"],
                    mv["n"],
                    mv["median"],
                    mv["min"],
                    mv["max"],
                    ctx["level"],
                    mv["n_excl"],
                    mv["pct_excl"],
                    M(
                        _(" The choice that moves the estimate most is <i>{}</i>: median {} with {}, {} with {}."),
                        _(mv["dim"]),
                        mv["lo_med"],
                        _(mv["lo"]),
                        mv["hi_med"],
                        _(mv["hi"]),
                    )
                    if mv["dim"]
                    else "",
                ),
                lead=_("Multiverse."),
            )
        )
    shown = [f for f in a["figs"] if not (a["role"] == "primary" and _forest(f))]  # primary forests: main report
    blocks += [
        Figure(a["fig_dir"] / f"{f}{a['fig_suffix']}.png", labels.figure_caption(f, spec, a["figs"])) for f in shown
    ]
    blocks += [Text(M("{}", words(n["reason"])), style="note") for n in a["figure_notes"]]
    if a["model_txt"]:
        if current() != "en":  # said only where the text around the printout is not English
            blocks.append(Text(M("{}", _(PRINTOUT_NOTE)), style="note"))
        blocks.append(Preformatted(a["model_txt"], _("metafor-style model summary")))
    out = [
        Section(
            f"{a['id']}-technical",
            _("{}: technical details").format(_(spec["title"])),
            blocks,
            new_page=True,
            nav=_(spec.get("short_title", spec["title"])),
            part="appendix",
        )
    ]
    out += pooling_sections(a, ctx)  # Mantel-Haenszel / Peto beside the random-effects result
    subs = [
        (
            "moderators",
            _("Moderator analyses (meta-regression)"),
            [
                Text(
                    M(
                        _(
                            "With few studies, moderator tests have little power and several tests inflate chance "
                            "findings; treat them as exploratory."
                        )
                    ),
                    style="note",
                )
            ],
        ),
        ("perm", _("Permutation tests of the moderators"), []),
        ("subgroups", _("Subgroups"), []),
        ("robust", _("Cluster-robust inference (CR2, Satterthwaite df)"), []),
    ]
    for key, title, after in subs:
        if a[key]:
            out.append(
                Section(
                    f"{a['id']}-{key}",
                    title,
                    [TableBlock.of(a[key], headings={"model": _("moderators in the model")})] + after,
                    level=3,
                )
            )
    bias = Items(_bias_items(a), [M("{}", words(labels.reader_words(": ".join(n.values()), spec))) for n in a["notes"]])
    if bias.items or bias.notes:
        out.append(Section(f"{a['id']}-bias", _("Sensitivity and publication bias"), [bias], level=3))
    out += sensitivity_sections(a, ctx)
    out += listed_sections(a)
    for s in out:
        s.part = "appendix"
    return out


def neighbouring_section(ctx: dict):
    """The neighbouring fields in the main report: one sentence each, with why it is indirect."""
    by_id = {a["id"]: a for a in ctx["secondary"]}
    return Section(
        "neighbouring",
        _("Evidence from neighbouring fields"),
        [
            Text(M("{}", _(NEIGHBOURING_INTRO))),
            Items(
                [
                    M(
                        _('{sentence} Indirect because {why}. <a href="#{id}-technical">[details]</a>'),
                        sentence=by_id[n["id"]]["sentence"],
                        why=_(n["why"]),
                        id=n["id"],
                    )
                    for n in ctx["neighbouring"]
                    if n["id"] in by_id
                ]
            ),
        ],
        new_page=True,
        nav=_("Neighbouring fields"),
    )


def listed_sections(a: dict) -> list:
    """The tables an analysis declares under ``listed_tables`` (rows not pooled, cells read
    as missing, cross-checks), each with its file."""
    return [
        Section(
            f"{a['id']}-listed-{j}",
            _(lt["title"]),
            [
                Text(M("<code>{}</code>", lt["path"]), style="note"),
                TableBlock.of([{k: notation(v) for k, v in r.items()} for r in lt["records"]])
                if lt["records"]
                else Text(M(_("(none)"))),
            ],
            level=3,
        )
        for j, lt in enumerate(a.get("listed", []))
    ]


def message_changes(a: dict, ctx: dict):
    """For a primary analysis: where the prediction interval or the bias-corrected estimate
    changes the message, few studies, the published value beside this one."""
    out = []
    if a["role"] != "primary":
        return M("")
    if a["pi_lb"].v <= 0 <= a["pi_ub"].v and not a["ci_has_zero"]:
        out.append(
            M(
                _(
                    "The prediction interval ({} to {}) includes no effect: in a new setting the effect may be "
                    "absent even where the average effect is positive."
                ),
                a["pi_lb"],
                a["pi_ub"],
            )
        )
    t = a.get("trimfill")
    if t and t["k0"].v > 0:
        out.append(
            M(
                _("Corrected for funnel asymmetry (trim-and-fill) the estimate is {} ({} to {})."),
                t["est"],
                t["lo"],
                t["hi"],
            )
        )
    g = a.get("grade")
    if g and "randomised" in g:
        gr = g["randomised"]
        out.append(
            M(
                _(
                    "Rated on its {} randomised studies alone ({} effect sizes; estimate {}, CI {} to {}), the "
                    "certainty is {}: {}"
                ),
                gr["n_studies"],
                gr["k"],
                gr["est"],
                gr["lo"],
                gr["hi"],
                _(GRADE_WORDS[gr["level"]]),
                grade_statement(gr),
            )
        )
    if g and g["n_studies"].v < 5:
        out.append(
            M(
                _("This rests on only {} studies: it supports little more than that the question is open."),
                g["n_studies"],
            )
        )
    spec = a["spec"]
    if spec.get("published"):
        out.append(
            M(_("The source review published {}; the same data give {} here."), _(spec["published"]["text"]), a["est"])
        )
    seen = set()
    for p in ctx["published"] if a["id"] in COMPARE_PUBLISHED else []:
        if (
            str(p.get("review", "")).startswith(COMPARE_PUBLISHED[a["id"]])
            and "placement" in (str(p.get("outcome", "")) + str(p.get("verbatim", "")))
            and p.get("verbatim") not in seen
        ):
            seen.add(p.get("verbatim"))
            out.append(
                M(
                    _("{}: \u201c{}\u201d ({})."),
                    str(p["review"]).split(" CYSR")[0],
                    p["verbatim"],
                    _(p["caveat_derived"]),
                )
            )
    return M(" ").join(out) if out else M("")


def sentence(a: dict, level: float, ctx: dict | None = None) -> Markup:
    """The result of an analysis (summary and its own section; one sentence for both editions).
    With a GRADE rating it opens with GRADE's plain-language statement (``certainty.csv``,
    written by :func:`evsynth.review.grade.statement` after Santesso et al. 2020: the certainty
    in the verb, the size of the effect only from low certainty up), then the numbers; without
    one, with the size of the pooled effect in words.  For a primary analysis, what changes the
    message follows."""
    ratio = _(RATIO_WORDS.get((a["spec"].get("effect") or {}).get("measure", ""), "odds ratio"))
    lv = number(level, 0)
    back = (
        M(_(" ({} {}, {}% CI {} to {})"), ratio, a["back"]["est"], lv, a["back"]["lo"], a["back"]["hi"])
        if "back" in a
        else ""
    )
    unit = M(_("effect sizes from {} studies"), a["sigmas"][0]["nlevels"]) if a["multilevel"] else _("studies")
    zero = (
        " " + _("The confidence interval includes no effect, so even the direction is uncertain.")
        if a["ci_has_zero"]
        else ""
    )
    het = Markup("; ").join(a["certainty"])
    more = message_changes(a, ctx or {"published": []})
    more = M(" {}", more) if more else ""
    nums = M(_("{} {}, {}% CI {} to {}{}"), _(a["measure"]), a["est"], lv, a["ci_lb"], a["ci_ub"], back)
    g = a.get("grade")
    title = _(a["spec"]["title"])
    if g:  # (very low certainty is already in the statement's words)
        cert = M(_("; certainty of the evidence (GRADE): {}"), _(GRADE_WORDS[g["level"]])) if g["level"] > 1 else ""
        return M(
            _("{}: {} ({}; {} {}{}).{} Heterogeneity and bias: {}.{}"),
            title,
            grade_statement(g).rstrip("."),
            nums,
            a["k"],
            unit,
            cert,
            zero,
            het,
            more,
        )
    return M(
        _("{}: across {} {}, the pooled effect is {} ({}).{} Certainty: {}.{}"),
        title,
        a["k"],
        unit,
        _(a["words"]),
        nums,
        zero,
        het,
        more,
    )
