"""The plain-language summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
from markupsafe import Markup

from evsynth.present.context import table_path
from evsynth.present.i18n import _
from evsynth.present.document import M, Items, Section, Text
from evsynth.texts import plural

__all__ = ["summary_section", "NOT_AVAILABLE"]


NOT_AVAILABLE = (
    "What the data cannot tell: the per-study tables of Evenboer et al. (2018) and Klaassen-Vermaat "
    "et al. (2015), the two reviews of Dutch family interventions the NJI text relies on, and Al et al. "
    "(2012)'s caseload moderator were not available, so Dutch intensive family treatment (Families "
    "First, IAG, Gezin Centraal, 10 voor Toekomst) cannot be pooled here and whether smaller caseloads "
    "work better cannot be tested."
)


def summary_section(ctx: dict) -> list[Section]:
    designs = Markup("; ").join(
        M(
            _("{} articles are {} studies (quality score median {} of 11, range {}–{}; {} rows show no score)"),
            d["n_articles"],
            d["design"],
            d["median"],
            d["min"],
            d["max"],
            d["n_no_score"],
        )
        for d in ctx["designs"]
    )
    blocks = [
        Text(
            M(
                _(
                    "Which help works for families with multiple and complex problems (<i>multiprobleemgezinnen</i>)? "
                    "This report brings together the systematic review of Holwerda, Jansen and Reijneveld (2014), the NJI "
                    "(2020) overview of interventions used in the Netherlands, pooled per-study data on interventions the NJI "
                    "text names (MDFT, family and parenting programmes such as MST, PMTO, Triple P, Incredible Years and "
                    "PCIT, intensive family preservation) and, separately, evidence from neighbouring fields."
                )
            ),
            lead=_("What was asked."),
        ),
        Text(
            M(_("(each with its GRADE certainty; see the Summary of Findings table)")),
            lead=_("What the on-topic evidence shows"),
        ),
        Items([a["sentence"] for a in ctx["primary"]]),
        Text(
            M(
                _(
                    "(parents in general, childcare staff, offenders, social workers) is reported in its own section and "
                    "is not summarised here: it is about other populations."
                )
            ),
            lead=_("Evidence from neighbouring fields"),
        ),
        Text(
            M(
                _(
                    "The review included {} primary articles (described in {} table rows) and {} reviews{}, selected from "
                    "{} unique records. {}{}"
                ),
                ctx["p_included"],
                ctx["total_rows"],
                ctx["p_reviews"],
                M(
                    _(" (figure 2.1 counts {}; Bijlage 6 and section 4.9 list {})"),
                    ctx["p_reviews"],
                    ctx["n_reviews_listed"],
                )
                if ctx["n_reviews_listed"]
                else "",
                ctx["p_unique"],
                designs,
                "." if ctx["designs"] else "",
            ),
            lead=_("How much evidence there is."),
        ),
        Text(_extraction_sentence(ctx), lead=_("The 47 studies of the review.")),
        Text(
            M(
                _(
                    "Per-study effect sizes for the 47 primary studies; the direction of many reported effects (the arrows "
                    "were lost from the source table and are left unknown, not guessed){}. The source table gives no sample "
                    "sizes; the published quality scores are shown by design below, and the reviewers themselves found "
                    "few studies of good quality, so conclusions are uncertain."
                ),
                M(_("; and effects on {} (see the evidence gap map)"), ctx["least_studied"])
                if ctx["least_studied"]
                else "",
            ),
            lead=_("What is not known."),
        ),
        Text(
            M(
                _(
                    "Effect sizes in words follow Cohen (1988): standardised mean differences of 0.2, 0.5 and 0.8 are small, "
                    "medium and large; correlations of 0.1, 0.3 and 0.5; odds ratios are converted to d by log(OR)·√3/π "
                    "for this wording."
                )
            ),
            style="note",
        ),
    ]
    return [Section("summary", _("Plain-language summary"), blocks, boxed=True, nav=_("Summary"))]


def _pooled_domains(ctx: dict) -> list[dict]:
    """The outcome domains with a pooled estimate, read from the same table the body shows
    (``extraction/pooled_by_domain.csv``), each value tagged with its cell."""
    rel = table_path("extraction/pooled_by_domain")
    t = ctx["T"].get(rel)
    if t.empty or "estimate" not in t:
        return []
    est = pd.to_numeric(t["estimate"], errors="coerce")
    return [
        {
            "domain": str(t["outcome_domain"].iloc[i]),
            "k": ctx["T"].num(rel, "k_studies", i, 0),
            "est": ctx["T"].num(rel, "estimate", i, 2),
            "lo": ctx["T"].num(rel, "ci_lb", i, 2),
            "hi": ctx["T"].num(rel, "ci_ub", i, 2),
        }
        for i in range(len(t))
        if np.isfinite(est.iloc[i])
    ]


def _extraction_sentence(ctx: dict) -> Markup:
    """What the summary says about the 47 studies: from the pooled-by-domain table the body
    shows, so that summary and body agree however many effect sizes have been extracted."""
    head = M(
        _(
            "The review reports significance, not effect sizes. Effect sizes have been extracted for {} of the {} "
            "study rows so far"
        ),
        ctx["n_extracted"],
        ctx["total_rows"],
    )
    pooled = _pooled_domains(ctx)
    if not pooled:
        return M(
            _(
                "{}; until more are extracted, no pooled effect can be given for the interventions the review "
                "describes (a domain is pooled from {})."
            ),
            head,
            plural(ctx["extraction"]["min_k"], "study"),
        )
    parts = Markup("; ").join(
        M(
            _("{} outcomes: standardised mean difference {} ({}% CI {} to {}; {})"),
            d["domain"],
            d["est"],
            f"{float(ctx['level']):g}",
            d["lo"],
            d["hi"],
            plural(d["k"], "study"),
        )
        for d in pooled
    )
    return M(
        _('{}. Pooled per outcome domain (see "The 47 studies" below): {}. Domains with fewer than {} are not pooled.'),
        head,
        parts,
        plural(ctx["extraction"]["min_k"], "study"),
    )
