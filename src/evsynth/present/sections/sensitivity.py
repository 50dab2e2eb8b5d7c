"""Sensitivity analyses of one analysis: Mantel-Haenszel / Peto pooling, model comparison,
predictions at stated moderator values, the correlated-effects grid and the selection model;
each read from its diagnostics table (written only where the analysis's config asks for it)
and explained in plain words."""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from evsynth.present.context import RATIO_WORDS, Tables, table_path
from evsynth.present.document import M, Items, Section, TableBlock, Text
from evsynth.present.generated import words
from evsynth.present.i18n import _

__all__ = ["pooling_sections", "sensitivity_sections"]


def _mod_label(spec: dict, col: str) -> str:
    return _(next((m.get("label", col) for m in spec.get("moderators", []) if m["column"] == col), col))


def _p(T: "Tables", rel: str, i: int, col: str = "pval") -> Markup:
    """``p = 0.123`` or ``p < 0.001``."""
    n = T.num(rel, col, i, p=True)
    return M(_("p {}"), n) if n.text().startswith("<") else M(_("p = {}"), n)


def _ci(T: "Tables", rel: str, i: int, lo: str = "ci_lb", hi: str = "ci_ub", digits: int = 2) -> Markup:
    return M(_("{} to {}"), T.num(rel, lo, i, digits), T.num(rel, hi, i, digits))


def pooling_sections(a: dict, ctx: dict) -> list[Section]:
    """Mantel-Haenszel and Peto pooling of one analysis, where their tables exist."""
    T, aid, level = ctx["T"], a["id"], f"{float(ctx['level']):g}"
    out = []
    for kind, name in (("mh", "Mantel-Haenszel"), ("peto", "Peto")):
        rel = table_path(f"diagnostics/{kind}", aid)
        t = T.get(rel)
        if t.empty:
            continue
        measure = str(t["measure"].iloc[0])
        words = {
            "OR": "odds ratio",
            "PETO": "odds ratio",
            "RR": "risk ratio",
            "RD": "risk difference",
            "IRR": "incidence rate ratio",
            "IRD": "incidence rate difference",
        }.get(measure, measure)
        words = _(words)
        ratio = "estimate_exp" in t.columns
        est = T.num(rel, "estimate_exp" if ratio else "estimate", 0, 2)
        ci = _ci(T, rel, 0, "ci_lb_exp", "ci_ub_exp") if ratio else _ci(T, rel, 0)
        back = ratio and "back" in a
        re_est, re_ci = (
            (a["back"]["est"], M(_("{} to {}"), a["back"]["lo"], a["back"]["hi"]))
            if back
            else (a["est"], M(_("{} to {}"), a["ci_lb"], a["ci_ub"]))
        )
        re_words = _(RATIO_WORDS.get(a["spec"]["effect"].get("measure", ""), a["measure"]) if back else a["measure"])
        zero = T.num(rel, "ci_lb", 0).v <= 0 <= T.num(rel, "ci_ub", 0).v
        same = (
            _("both intervals include no effect")
            if zero and a["ci_has_zero"]
            else _("neither interval includes no effect")
            if not zero and not a["ci_has_zero"]
            else _("only the {} interval includes no effect").format(name)
            if zero
            else _(
                "only the random-effects interval includes no effect: the common-effect assumption changes the answer"
            )
        )
        blocks = [
            Text(
                M(
                    _(
                        "Would pooling the counts directly, with every study assumed to estimate the same {}, change the "
                        "answer? The {} method pools the counts of the {} studies without a between-study variance: it "
                        "assumes one common effect, weights large studies more than the random-effects model does and "
                        "gives a narrower interval that does not allow for real differences between studies (here "
                        "I² = {} of the variability)."
                    ),
                    words,
                    name,
                    T.num(rel, "k", 0, 0),
                    T.num(rel, "I2", 0, 1, pct=True),
                ),
                lead=_("What it asks."),
            ),
            *(
                [
                    Text(
                        M(
                            _(
                                "Peto's method is a one-step approximation: it pools each study's observed minus expected number "
                                "of events. It is accurate when events are rare, the groups are of similar size and the odds "
                                "ratio is not far from 1; otherwise it can be biased (Greenland &amp; Salvan, 1990), so where it differs "
                                "from the Mantel-Haenszel odds ratio, the Mantel-Haenszel one is the better common-effect "
                                "estimate."
                            )
                        )
                    )
                ]
                if kind == "peto"
                else []
            ),
            Text(
                M(
                    _("{} {} {} ({}% CI {}, {}) against {} {} ({}% CI {}) from the random-effects model: {}."),
                    name,
                    words,
                    est,
                    level,
                    ci,
                    _p(T, rel, 0),
                    re_words,
                    re_est,
                    level,
                    re_ci,
                    same,
                ),
                lead=_("Answer."),
            ),
        ]
        cmh = "MH" in t.columns and not pd.isna(t["MH"].iloc[0])  # CMH and Tarone: odds ratios only
        if cmh:
            blocks.append(
                Text(
                    M(
                        _(
                            "Cochran-Mantel-Haenszel test of no association across the tables: {} ({}). "
                            "Tarone's test of equal odds ratios in all studies: {} ({}); a small p-value says "
                            "the studies' odds ratios differ, which the common-effect assumption denies."
                        ),
                        T.num(rel, "MH", 0),
                        _p(T, rel, 0, "MHp"),
                        T.num(rel, "TA", 0),
                        _p(T, rel, 0, "TAp"),
                    )
                )
            )
        blocks.append(
            TableBlock(
                [
                    ("k", _("effect sizes (k)")),
                    ("est", f"{words}"),
                    ("ci", _("{}% CI").format(level)),
                    ("log", _("estimate (analysis scale)")),
                    ("p", _("p")),
                    ("Q", _("Q (p)")),
                ]
                + ([("CMH", _("CMH (p)")), ("TA", _("Tarone (p)"))] if cmh else []),
                [
                    {
                        "k": T.num(rel, "k", 0, 0),
                        "est": est,
                        "ci": ci,
                        "log": T.num(rel, "estimate", 0, 3),
                        "p": T.num(rel, "pval", 0, p=True),
                        "Q": M(_("{} ({})"), T.num(rel, "QE", 0), T.num(rel, "QEp", 0, p=True)),
                        "CMH": M(_("{} ({})"), T.num(rel, "MH", 0), T.num(rel, "MHp", 0, p=True)),
                        "TA": M(_("{} ({})"), T.num(rel, "TA", 0), T.num(rel, "TAp", 0, p=True)),
                    }
                ],
            )
        )
        out.append(
            Section(f"{aid}-{kind}", _("{} pooling of the counts (common-effect check)").format(name), blocks, level=3)
        )
    return out


def _comparison_section(a: dict, ctx: dict) -> list[Section]:
    T, aid, spec = ctx["T"], a["id"], a["spec"]
    rel = table_path("diagnostics/model_comparison", aid)
    t = T.get(rel)
    if t.empty:
        return []
    items, rows = [], []
    for i, r in t.iterrows():
        label = _mod_label(spec, str(r["moderator"]))
        better = r["AIC_with"] < r["AIC_without"]
        items.append(
            M(
                _("{}: AIC {} with it, {} without; likelihood-ratio test {} on {} df, {}: {}."),
                label,
                T.num(rel, "AIC_with", i),
                T.num(rel, "AIC_without", i),
                T.num(rel, "LRT", i),
                T.num(rel, "df", i, 0),
                _p(T, rel, i),
                _("the model with it fits better, even after the penalty for its extra parameters")
                if better
                else _("the extra parameters do not pay for themselves"),
            )
        )
        rows.append(
            {
                "mod": label,
                "k": T.num(rel, "k", i, 0),
                "aic": M(_("{} / {}"), T.num(rel, "AIC_with", i), T.num(rel, "AIC_without", i)),
                "bic": M(_("{} / {}"), T.num(rel, "BIC_with", i), T.num(rel, "BIC_without", i)),
                "aicc": M(_("{} / {}"), T.num(rel, "AICc_with", i), T.num(rel, "AICc_without", i)),
                "lrt": T.num(rel, "LRT", i),
                "df": T.num(rel, "df", i, 0),
                "p": T.num(rel, "pval", i, p=True),
            }
        )
    return [
        Section(
            f"{aid}-model-comparison",
            _("Does a moderator improve the model? (likelihood-ratio test, AIC)"),
            [
                Text(
                    M(
                        _(
                            "Does knowing a study's value of the moderator help to predict its effect? For each moderator the model "
                            "with it is compared with the model without it, on the same effect sizes and both fitted by maximum "
                            "likelihood. A lower AIC (or BIC, which penalises extra parameters more) means the better trade-off "
                            "between fit and complexity; the likelihood-ratio test asks whether the better fit could be chance."
                        )
                    ),
                    lead=_("What it asks."),
                ),
                Items(items),
                TableBlock(
                    [
                        ("mod", _("moderator")),
                        ("k", _("effect sizes (k)")),
                        ("aic", _("AIC with / without")),
                        ("bic", _("BIC with / without")),
                        ("aicc", _("AICc with / without")),
                        ("lrt", _("likelihood-ratio test (LRT)")),
                        ("df", _("df")),
                        ("p", _("p")),
                    ],
                    rows,
                ),
                Text(
                    M(
                        _(
                            "Exploratory: with few studies and several moderators, one of them can look useful by chance."
                        )
                    ),
                    style="note",
                ),
            ],
            level=3,
        )
    ]


def _predictions_section(a: dict, ctx: dict) -> list[Section]:
    T, aid, spec, level = ctx["T"], a["id"], a["spec"], f"{float(ctx['level']):g}"
    rel = table_path("diagnostics/predictions", aid)
    t = T.get(rel)
    if t.empty:
        return []
    ratio = "pred_exp" in t.columns
    sfx = "_exp" if ratio else ""
    blocks = [
        Text(
            M(
                _(
                    "What average effect does the meta-regression predict for a programme whose population has a "
                    "stated value of the moderator? The confidence interval is the uncertainty of that average; the "
                    "prediction interval is the range in which the effect of a new study with that value would be "
                    "expected, allowing for the differences between studies. The diamonds in the bubble plot of the "
                    "moderator mark these values."
                )
            ),
            lead=_("What it asks."),
        )
    ]
    rows = []
    for col, g in t.groupby("moderator", sort=False):
        first, last = int(g.index[0]), int(g.index[-1])
        blocks.append(
            Text(
                M(
                    _("{}: at {} the predicted effect is {} ({}% CI {}), at {} it is {} ({}% CI {})."),
                    _mod_label(spec, str(col)),
                    T.num(rel, "value", first, 0),
                    T.num(rel, "pred" + sfx, first),
                    level,
                    _ci(T, rel, first, "ci_lb" + sfx, "ci_ub" + sfx),
                    T.num(rel, "value", last, 0),
                    T.num(rel, "pred" + sfx, last),
                    level,
                    _ci(T, rel, last, "ci_lb" + sfx, "ci_ub" + sfx),
                )
            )
        )
        for i in g.index:
            rows.append(
                {
                    "mod": _mod_label(spec, str(col)),
                    "value": T.num(rel, "value", int(i), 0),
                    "pred": T.num(rel, "pred" + sfx, int(i)),
                    "ci": _ci(T, rel, int(i), "ci_lb" + sfx, "ci_ub" + sfx),
                    "pi": _ci(T, rel, int(i), "pi_lb" + sfx, "pi_ub" + sfx),
                }
            )
    blocks.append(
        TableBlock(
            [
                ("mod", _("moderator")),
                ("value", _("value")),
                ("pred", _("predicted effect")),
                ("ci", _("{}% CI").format(level)),
                ("pi", _("prediction interval")),
            ],
            rows,
        )
    )
    return [Section(f"{aid}-predictions", _("Predicted effect at stated moderator values"), blocks, level=3)]


def _correlated_section(a: dict, ctx: dict) -> list[Section]:
    T, aid, level = ctx["T"], a["id"], f"{float(ctx['level']):g}"
    rel = table_path("diagnostics/correlated_effects", aid)
    t = T.get(rel)
    if t.empty:
        return []
    lo, hi = int(t["estimate"].idxmin()), int(t["estimate"].idxmax())
    zero = [(r["robust_ci_lb"] <= 0 <= r["robust_ci_ub"]) for _i, r in t.iterrows()]
    verdict = (
        _("the cluster-robust interval excludes no effect at every assumed correlation")
        if not any(zero)
        else _("the cluster-robust interval includes no effect at every assumed correlation")
        if all(zero)
        else _("whether the cluster-robust interval includes no effect depends on the assumed correlation")
    )
    rows = [
        {
            "rho": T.num(rel, "rho", i, 1),
            "est": T.num(rel, "estimate", i),
            "ci": _ci(T, rel, i),
            "rse": T.num(rel, "robust_se", i, 3),
            "rdf": T.num(rel, "robust_df", i, 1),
            "rci": _ci(T, rel, i, "robust_ci_lb", "robust_ci_ub"),
            "rp": T.num(rel, "robust_pval", i, p=True),
        }
        for i in range(len(t))
    ]
    return [
        Section(
            f"{aid}-correlated",
            _("Correlated sampling errors within a study (sensitivity over rho)"),
            [
                Text(
                    M(
                        _(
                            "Effect sizes from the same study share participants, so their sampling errors are correlated; the "
                            "source does not report by how much. The model is refitted assuming a correlation rho between the "
                            "sampling errors of effects from the same study, for each value declared in the config, with "
                            "cluster-robust (CR2) inference by study, the correlated-and-hierarchical-effects working model "
                            "(Pustejovsky &amp; Tipton, 2022)."
                        )
                    ),
                    lead=_("What it asks."),
                ),
                Text(
                    M(
                        _("Across rho from {} to {}, the estimate ranges from {} (rho = {}) to {} (rho = {}); {}."),
                        T.num(rel, "rho", 0, 1),
                        T.num(rel, "rho", len(t) - 1, 1),
                        T.num(rel, "estimate", lo),
                        T.num(rel, "rho", lo, 1),
                        T.num(rel, "estimate", hi),
                        T.num(rel, "rho", hi, 1),
                        verdict,
                    ),
                    lead=_("Answer."),
                ),
                TableBlock(
                    [
                        ("rho", _("assumed correlation (rho)")),
                        ("est", _("estimate")),
                        ("ci", _("{}% CI (model)").format(level)),
                        ("rse", _("robust se")),
                        ("rdf", _("robust df")),
                        ("rci", _("{}% CI (CR2)").format(level)),
                        ("rp", _("p (CR2)")),
                    ],
                    rows,
                ),
            ],
            level=3,
        )
    ]


def _selection_section(a: dict, ctx: dict) -> list[Section]:
    T, aid, level = ctx["T"], a["id"], f"{float(ctx['level']):g}"
    rel = table_path("diagnostics/selmodel", aid)
    t = T.get(rel)
    notes = [n for n in a["notes"] if n.get("diagnostic") == "selmodel"]
    what = Text(
        M(
            _(
                "If studies with a statistically significant effect in the expected direction were more likely to be "
                "published, the published studies overstate the effect. The step-function selection model (Vevea "
                "&amp; Hedges, 1995) estimates how likely studies in each band of one-sided p-values were to be "
                "published, relative to the significant ones, and the average effect corrected for it; it asks the "
                "same question as trim-and-fill and PET-PEESE with a different model of the selection."
            )
        ),
        lead=_("What it asks."),
    )
    if t.empty:
        if not notes:
            return []
        return [
            Section(
                f"{aid}-selmodel",
                _("Selection-model sensitivity (publication bias)"),
                [what, Text(M(_("Not fitted: {}."), words(notes[0]["note"].removeprefix("not fitted: "))))],
                level=3,
            )
        ]
    ratio = "estimate_exp" in t.columns
    est = T.num(rel, "estimate_exp" if ratio else "estimate", 0)
    ci = _ci(T, rel, 0, "ci_lb_exp", "ci_ub_exp") if ratio else _ci(T, rel, 0)
    base, base_ci = (
        (a["back"]["est"], M(_("{} to {}"), a["back"]["lo"], a["back"]["hi"]))
        if ratio and "back" in a
        else (a["est"], M(_("{} to {}"), a["ci_lb"], a["ci_ub"]))
    )
    bands = [c for c in t.columns if c.startswith("delta_p_")][1:]
    weights = Markup("; ").join(
        M(
            _("studies with one-sided p from {} to {}: {}{}"),
            *c.removeprefix("delta_p_").split("_"),
            T.num(rel, c, 0),
            _(" (above 1: if anything more likely to be published than significant ones)")
            if T.num(rel, c, 0).v > 1
            else "",
        )
        for c in bands
    )
    beside = [M(_("selection model {}"), T.num(rel, "estimate", 0)), M(_("no correction {}"), a["est"])]
    if a["trimfill"]:
        beside.append(M(_("trim-and-fill {}"), a["trimfill"]["est"]))
    if a["pet_peese"]:
        p = a["pet_peese"]
        beside.append(M(_("{} {}"), "PEESE" if p["use_peese"] else "PET", p["peese"] if p["use_peese"] else p["pet"]))
    blocks = [
        what,
        Text(
            M(
                _(
                    "Corrected estimate {} ({}% CI {}) against {} ({}% CI {}) without correction. Relative publication "
                    "chance (1 = as likely as a significant study): {}. The likelihood-ratio test of no selection gives "
                    "{} ({}); a large p-value means the data do not show selection, not that there was none.{}"
                ),
                est,
                level,
                ci,
                base,
                level,
                base_ci,
                weights,
                T.num(rel, "LRT", 0),
                _p(T, rel, 0, "LRTp"),
                M(
                    _(" The corrections side by side on the analysis scale ({}): {}."),
                    _(a["measure"]),
                    Markup("; ").join(beside),
                ),
            ),
            lead=_("Answer."),
        ),
    ]
    return [Section(f"{aid}-selmodel", _("Selection-model sensitivity (publication bias)"), blocks, level=3)]


def sensitivity_sections(a: dict, ctx: dict) -> list[Section]:
    """Model comparison, predictions, correlated-effects grid and selection model of one
    analysis (after its bias section), each only where its table exists."""
    return [
        s
        for build in (_comparison_section, _predictions_section, _correlated_section, _selection_section)
        for s in build(a, ctx)
    ]
