"""GRADE certainty of the evidence for each pooled outcome (data frames in, data frames out).

Sources of the rules: the GRADE handbook (Schünemann, Brożek, Guyatt & Oxman, eds., 2013,
sections 5.1-5.2); Guyatt et al. (2011), GRADE guidelines 4-8, J Clin Epidemiol 64
(risk of bias 64:407-415, publication bias 64:1277-1282, imprecision 64:1283-1293,
inconsistency 64:1294-1302, indirectness 64:1303-1310); plain-language statements from
Santesso et al. (2020), GRADE guidelines 26, J Clin Epidemiol 119:126-135.

The thresholds below turn those guidelines into explicit, checkable rules (GRADE itself
asks for judgement; these are this project's declared operationalisation):

* start: **high** when every study is randomised, **low** otherwise (from the analysis'
  ``design``: ``randomised: true/false`` or a design column and its randomised values).
  A mixed body is also rated on its randomised studies alone (the pipeline refits them:
  ``pipeline.analysis.randomised_tables``), as Cuello-Garcia et al. (2022), GRADE guidance
  24, J Clin Epidemiol 142:200-208, rate randomised and non-randomised bodies separately.
* risk of bias: share of the weight from high-risk studies (``risk_of_bias`` column and
  its high-risk values). >= 50 %: -1; >= 80 %: -2.  No per-study judgement in the data: -1
  ("not assessed": the evidence cannot be taken to be at low risk).
* inconsistency: I² >= 50 % or a prediction interval that crosses no effect while the CI
  does not: -1; I² >= 75 % and a prediction interval crossing no effect: -2.
* imprecision: the CI crosses no effect, or it excludes no effect but spans from trivial
  (< MID) to important (>= MID), or the total sample is below the optimal information size
  (OIS, two-group comparison of the MID at alpha .05 and power .80: 4 (1.96 + 0.84)² / MID²
  for SMDs): -1; the CI includes both an important benefit and an important harm (<= -MID
  and >= +MID): -2.
* indirectness: the worst of the declared population / intervention / comparator /
  outcome levels ('serious' -1, 'very serious' -2), with the declared reason.
* publication bias: with k >= 10 effect sizes, Egger's test p < .10, or trim-and-fill that
  moves the estimate by at least half the MID or across no effect: -1.  With k < 10 or a
  multilevel model the funnel-based checks are not run and the domain is "not assessed"
  (no downgrade).

Levels: 4 high, 3 moderate, 2 low, 1 very low (never below very low).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from evsynth.texts import size_metric, statement_kind

__all__ = ["LEVELS", "DOMAINS", "default_mid", "grade_outcome", "statement", "RATIO_MEASURES"]

LEVELS = {4: "high", 3: "moderate", 2: "low", 1: "very low"}
DOMAINS = ("risk_of_bias", "inconsistency", "imprecision", "indirectness", "publication_bias")
RATIO_MEASURES = ("OR", "RR", "PETO", "ROM")
INDIRECT = {"none": 0, "serious": 1, "very serious": 2}
Z_ALPHA, Z_BETA = 1.959963984540054, 0.8416212335729143


def default_mid(spec: dict) -> tuple[float, str]:
    """Smallest important effect on the analysis scale and where it comes from."""
    if spec.get("mid") is not None:
        return float(spec["mid"]), "declared in config (mid)"
    measure = spec.get("effect", {}).get("measure")
    if measure in RATIO_MEASURES:
        return math.log(1.25), "default for ratios: a relative change of 25 % (log 1.25; GRADE handbook 5.2.6)"
    if measure in ("PCOR", "COR", "ZCOR", "UCOR"):
        return 0.1, "default for correlations: r = 0.1 (Cohen's small effect)"
    return 0.2, "default for SMDs: 0.2 (Cohen's small effect)"


def _crosses(lb, ub, null=0.0) -> bool:
    return lb is not None and ub is not None and np.isfinite(lb) and np.isfinite(ub) and lb <= null <= ub


def _row(domain, down, rating, number, reason):
    return {"domain": domain, "downgrade": int(down), "rating": rating, "number": number, "reason": reason}


def _start(spec: dict, effects: pd.DataFrame):
    d = spec.get("design") or {}
    if "randomised" in d:
        ok = bool(d["randomised"])
        why = d.get("note") or ("all studies randomised (declared)" if ok else "not all studies randomised (declared)")
        return (4 if ok else 2), ok, why
    col = d.get("column")
    if col and col in effects.columns:
        vals = effects[col].astype(str)
        rand = vals.isin([str(v) for v in d.get("randomised_values", [])])
        n_non = int((~rand).sum())
        if n_non == 0:
            return 4, True, f"all {len(vals)} effect sizes from randomised studies ({col})"
        return 2, False, f"{n_non} of {len(vals)} effect sizes from non-randomised studies ({col})"
    return 2, False, "study design not declared: treated as non-randomised"


def _weights(effects: pd.DataFrame, weights, tau2: float):
    if (
        weights is not None
        and len(weights) == len(effects)
        and "weight" in weights.columns
        and weights["weight"].notna().all()
    ):
        w = weights["weight"].to_numpy(float)
        return w / w.sum(), "model weights (study_weights.csv)"
    w = 1.0 / (effects["vi"].to_numpy(float) + (tau2 if tau2 and np.isfinite(tau2) else 0.0))
    return w / w.sum(), "approximate random-effects weights 1/(vi + total tau2)"


def _risk_of_bias(spec, effects, weights, tau2):
    rb = spec.get("risk_of_bias")
    if not rb or rb["column"] not in effects.columns:
        return _row(
            "risk_of_bias", 1, "serious", None, "not assessed: the data carry no per-study risk-of-bias judgement"
        )
    w, how = _weights(effects, weights, tau2)
    vals = effects[rb["column"]].astype(str).str.strip()
    high = vals.isin(rb["high"]).to_numpy()
    missing = vals.isin(["", "nan", "NA", "<NA>", "NR"]).to_numpy()
    share = float(w[high].sum())
    miss = float(w[missing].sum())
    num = round(100 * share, 1)
    extra = f"; {round(100 * miss, 1)} % of the weight has no judgement" if miss > 0 else ""
    if rb.get("note"):
        extra += f" ({rb['note']})"
    if share >= 0.8:
        return _row(
            "risk_of_bias", 2, "very serious", num, f"{num} % of the weight from high-risk studies ({how}){extra}"
        )
    if share >= 0.5:
        return _row("risk_of_bias", 1, "serious", num, f"{num} % of the weight from high-risk studies ({how}){extra}")
    return _row("risk_of_bias", 0, "not serious", num, f"{num} % of the weight from high-risk studies ({how}){extra}")


def _inconsistency(het, null):
    i2 = het.get("I2")
    k = het.get("k")
    if k is None or k < 2 or i2 is None or not np.isfinite(i2):
        return _row("inconsistency", 0, "not assessable", None, "a single effect size: heterogeneity cannot be judged")
    pi_cross = _crosses(het.get("pi_lb"), het.get("pi_ub"), null) and not _crosses(het["ci_lb"], het["ci_ub"], null)
    pi_any = _crosses(het.get("pi_lb"), het.get("pi_ub"), null)
    num = round(float(i2), 1)
    pi = (
        f"prediction interval {het['pi_lb']:.2f} to {het['pi_ub']:.2f}"
        if het.get("pi_lb") is not None and np.isfinite(het.get("pi_lb", np.nan))
        else "no prediction interval"
    )
    if i2 >= 75 and pi_any:
        return _row("inconsistency", 2, "very serious", num, f"I² = {num} % and the {pi} crosses no effect")
    if i2 >= 50 or pi_cross:
        why = f"I² = {num} %" + (f"; the {pi} crosses no effect while the CI does not" if pi_cross else "")
        return _row("inconsistency", 1, "serious", num, why)
    return _row("inconsistency", 0, "not serious", num, f"I² = {num} %; {pi}")


def _imprecision(het, mid, mid_src, total_n, n_src, ratio):
    lb, ub, null = het["ci_lb"], het["ci_ub"], 0.0
    ci = f"CI {lb:.2f} to {ub:.2f}" + (" (log scale)" if ratio else "")
    ois = None if ratio else 4 * (Z_ALPHA + Z_BETA) ** 2 / mid**2
    if lb <= -mid and ub >= mid:
        return _row(
            "imprecision",
            2,
            "very serious",
            round(ub - lb, 3),
            f"the {ci} includes both an important benefit and an important harm (MID {mid:.2f}; {mid_src})",
        )
    reasons = []
    if _crosses(lb, ub, null):
        reasons.append(f"the {ci} crosses no effect")
    elif min(abs(lb), abs(ub)) < mid <= max(abs(lb), abs(ub)):
        reasons.append(f"the {ci} spans trivial to important effects (MID {mid:.2f}; {mid_src})")
    if ois is not None and total_n is not None and total_n < ois:
        reasons.append(f"total N {total_n:.0f} ({n_src}) is below the optimal information size {ois:.0f}")
    if reasons:
        return _row("imprecision", 1, "serious", round(ub - lb, 3), "; ".join(reasons))
    tail = "" if ois is None or total_n is None else f"; total N {total_n:.0f} >= OIS {ois:.0f}"
    return _row(
        "imprecision", 0, "not serious", round(ub - lb, 3), f"the {ci} excludes no effect and trivial effects{tail}"
    )


def _indirectness(spec):
    ind = spec.get("indirectness")
    if not ind:
        return _row("indirectness", 0, "not serious", None, "no indirectness declared")
    worst = max(
        (INDIRECT[ind.get(d, "none")] for d in ("population", "intervention", "comparator", "outcome")), default=0
    )
    which = [d for d in ("population", "intervention", "comparator", "outcome") if INDIRECT[ind.get(d, "none")]]
    rating = {0: "not serious", 1: "serious", 2: "very serious"}[worst]
    label = f" ({', '.join(which)})" if which else ""
    return _row("indirectness", worst, rating, len(which), f"{ind['reason']}{label}")


# share of the studies that measured an outcome whose statistics could not be found, from which
# reporting bias is suspected (GRADE guidelines 5, Guyatt et al. 2011, J Clin Epidemiol 64:1277-1282:
# publication bias is suspected where results of studies known to have measured the outcome are missing)
MISSING_SHARE_SUSPECT = 0.5


def _publication_bias(het, egger, trimfill, mid, multilevel, reporting=None):
    """The funnel-based checks, and where ``reporting`` is given, the share of the studies that
    measured the outcome whose statistics could not be found."""
    row = _funnel_checks(het, egger, trimfill, mid, multilevel)
    if not reporting or not reporting["measured"]:
        return row
    found, measured = reporting["with_statistics"], reporting["measured"]
    share = 1 - found / measured
    why = (
        f"statistics found for {found} of the {measured} studies that measured this outcome "
        f"({round(100 * share)} % could not be found in public text)"
    )
    if share >= MISSING_SHARE_SUSPECT:
        return _row(
            "publication_bias",
            1,
            "suspected",
            round(100 * share, 1),
            f"{why}: reporting bias suspected (>= {round(100 * MISSING_SHARE_SUSPECT)} % missing); {row['reason']}",
        )
    return {**row, "reason": f"{row['reason']}; {why}"}


def _funnel_checks(het, egger, trimfill, mid, multilevel):
    k = het.get("k") or 0
    if multilevel:
        return _row(
            "publication_bias",
            0,
            "not assessed",
            None,
            "funnel-based checks not run for a multilevel model (they assume independent effects)",
        )
    if k < 10:
        return _row(
            "publication_bias",
            0,
            "not assessed",
            k,
            f"k = {k} < 10: too few effect sizes for Egger's test or trim-and-fill",
        )
    reasons = []
    num = None
    if egger is not None and egger.get("pval") is not None and np.isfinite(egger["pval"]):
        num = round(float(egger["pval"]), 4)
        if egger["pval"] < 0.10:
            reasons.append(f"Egger's test p = {egger['pval']:.3f} < .10")
    if trimfill is not None and trimfill.get("estimate") is not None and trimfill.get("k0", 0) > 0:
        shift = float(trimfill["estimate"]) - float(het["estimate"])
        across = np.sign(trimfill["estimate"]) != np.sign(het["estimate"]) or (
            _crosses(trimfill.get("ci_lb"), trimfill.get("ci_ub")) and not _crosses(het["ci_lb"], het["ci_ub"])
        )
        if abs(shift) >= mid / 2 or across:
            reasons.append(
                f"trim-and-fill adds {int(trimfill['k0'])} studies and moves the estimate by "
                f"{shift:+.3f} to {trimfill['estimate']:.3f}"
            )
    if egger is None and trimfill is None:
        return _row(
            "publication_bias", 0, "not assessed", k, "Egger's test and trim-and-fill not declared for this analysis"
        )
    if reasons:
        return _row("publication_bias", 1, "suspected", num, "; ".join(reasons))
    return _row(
        "publication_bias",
        0,
        "not suspected",
        num,
        "Egger's test p >= .10 and trim-and-fill does not change the estimate materially",
    )


# Plain-language statements after Santesso et al. (2020), GRADE guidelines 26, J Clin Epidemiol
# 119:126-135, Table 2 ("informative statements"): the verb carries the certainty (high: none;
# moderate: "probably"; low: "may"; very low: "we are uncertain whether ... because the certainty
# of the evidence is very low") and, from low certainty up, the phrase carries the size of the
# effect (large: "results in a large ..."; moderate: the plain verb; small but important: "results
# in a slight ..."; below the smallest important effect: "little or no difference").  Sizes follow
# Cohen (1988) on the analysis scale (see ``effect_size_word``); an effect at or above the smallest
# important effect is never called smaller than "small".
HEDGE = {4: ("", "s"), 3: ("probably ", "s"), 2: ("may ", "")}  # level -> (hedge word, verb ending)
VERB = {
    "improvement": ("improve", "worsen"),
    "risk": ("increase", "reduce"),
    "association": ("be positively associated with", "be negatively associated with"),
}
NOUN = {
    "improvement": ("improvement in", "deterioration in"),
    "risk": ("increase in", "reduction in"),
    "association": ("positive association with", "negative association with"),
}
NULL_VERBS = (
    "makes little or no difference to",
    "probably makes little or no difference to",
    "may make little or no difference to",
)


def _verb(word: str, level: int) -> str:
    """``improve`` at a certainty level: "improves", "probably improves", "may improve"."""
    hedge, ending = HEDGE[level]
    first, _, rest = word.partition(" ")
    if ending:
        first = "is" if first == "be" else first + "s"
    return f"{hedge}{first}{' ' + rest if rest else ''}"


def statement(
    level: int, estimate: float, mid: float, interpretation: str, intervention: str, outcome: str, metric: str = "d"
) -> str:
    """The plain-language statement of one pooled outcome (Santesso et al., 2020, Table 2): the
    certainty in the verb and, from low certainty up, the size of the effect; with very low
    certainty no size and no direction ("we are uncertain whether ...")."""
    interp = interpretation if interpretation in VERB else "improvement"
    kind, side = statement_kind(level, estimate, mid, metric)
    if kind == "uncertain":  # the hoped-for direction; for a risk, the direction of the estimate
        verb = {"improvement": "improves", "association": "is associated with"}.get(
            interp, "increases" if side == 0 else "reduces"
        )
        return (
            f"We are uncertain whether {intervention} {verb} {outcome} because the certainty of the "
            f"evidence is very low."
        )
    subject = f"{intervention[0].upper()}{intervention[1:]}"
    if kind == "null":
        return f"{subject} {NULL_VERBS[4 - level]} {outcome}."
    if kind == "slight":
        return f"{subject} {_verb('result', level)} in a slight {NOUN[interp][side]} {outcome}."
    if kind == "large":
        return f"{subject} {_verb('result', level)} in a large {NOUN[interp][side]} {outcome}."
    return f"{subject} {_verb(VERB[interp][side], level)} {outcome}."


def grade_outcome(
    het: dict,
    effects: pd.DataFrame,
    spec: dict,
    *,
    weights: pd.DataFrame | None = None,
    egger: dict | None = None,
    trimfill: dict | None = None,
    reporting: dict | None = None,
) -> tuple[dict, pd.DataFrame]:
    """Certainty of one pooled outcome.

    ``het`` is the row of the analysis' heterogeneity table (estimate, ci_lb, ci_ub, pi_lb,
    pi_ub, I2, k, n_studies, tau2); ``effects`` its effects table (study, yi, vi and the
    design / risk-of-bias / sample-size columns the config names); ``egger`` and
    ``trimfill`` the diagnostics rows, if run; ``reporting`` (``measured``, ``with_statistics``:
    studies known to have measured the outcome, and those whose statistics were found) judges
    reporting bias from the missing share.  Returns the summary row and one row per GRADE domain
    with its downgrade, rating, the number behind it and the reason."""
    het = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in dict(het).items()}
    for c in ("pi_lb", "pi_ub"):
        if het.get(c) is None:
            het[c] = np.nan
    ratio = spec.get("effect", {}).get("measure") in RATIO_MEASURES
    mid, mid_src = default_mid(spec)
    multilevel = spec["model"]["type"] == "multilevel"
    start, randomised, start_why = _start(spec, effects)
    total_n, n_src = _total_n(spec, effects)
    tau2 = het.get("tau2") or 0.0
    rows = [
        _risk_of_bias(spec, effects, weights, tau2),
        _inconsistency(het, 0.0),
        _imprecision(het, mid, mid_src, total_n, n_src, ratio),
        _indirectness(spec),
        _publication_bias(het, egger, trimfill, mid, multilevel, reporting),
    ]
    down = sum(r["downgrade"] for r in rows)
    level = max(1, start - down)
    # downgrades that rest on a mechanical rule a GRADE reader would question (issue 27 item 5);
    # the report says so in words: no judgement coded, or the prediction interval alone at I² < 50 %
    mechanical = []
    if rows[0]["downgrade"] > 0 and rows[0]["number"] is None:
        mechanical.append("risk_of_bias:no_judgement")
    i2 = het.get("I2")
    if rows[1]["downgrade"] == 1 and i2 is not None and np.isfinite(i2) and i2 < 50:
        mechanical.append("inconsistency:prediction_interval_only")
    interp = spec.get("direction", {}).get("interpretation", "improvement")
    est = float(het["estimate"])
    out = {
        "analysis": spec["id"],
        "role": spec.get("role", "primary"),
        "intervention": spec.get("intervention", spec["title"]),
        "outcome": spec.get("outcome", "the outcome"),
        "k": het.get("k"),
        "n_studies": het.get("n_studies"),
        "total_n": total_n,
        "total_n_source": n_src,
        "estimate": est,
        "ci_lb": het["ci_lb"],
        "ci_ub": het["ci_ub"],
        "pi_lb": het["pi_lb"],
        "pi_ub": het["pi_ub"],
        "scale": "log ratio" if ratio else spec.get("effect", {}).get("scale", "effect size"),
        "mid": mid,
        "start": LEVELS[start],
        "start_reason": start_why,
        "downgrades": down,
        "certainty": LEVELS[level],
        "certainty_level": level,
        "mechanical": ";".join(mechanical),
        "statement": statement(
            level,
            est,
            mid,
            interp,
            spec.get("intervention", "the intervention"),
            spec.get("outcome", "the outcome"),
            size_metric(spec),
        ),
    }
    for r in rows:
        out[f"{r['domain']}_downgrade"] = r["downgrade"]
        out[f"{r['domain']}_reason"] = r["reason"]
    reasons = pd.DataFrame(rows)
    reasons.insert(0, "analysis", spec["id"])
    return out, reasons


def _total_n(spec: dict, effects: pd.DataFrame):
    col = spec.get("sample_size")
    study = (
        spec["model"].get("cluster") or spec["model"].get("random", ["study"])[0]
        if spec["model"]["type"] == "multilevel"
        else "study"
    )
    if col and col in effects.columns:
        n = pd.to_numeric(effects[col], errors="coerce")
        per = n.groupby(effects[study] if study in effects.columns else effects["study"]).max()
        if per.notna().any():
            return float(per.sum()), f"sum over studies of the largest {col}"
    if spec.get("effect", {}).get("measure") in RATIO_MEASURES + ("PCOR",):
        return None, "not available"
    # SMD: vi ~ 4/N for two equal groups, so N ~ 4/vi (an approximation, labelled as such)
    g = effects[study] if study in effects.columns else effects["study"]
    approx = (4.0 / effects["vi"].astype(float)).groupby(g).max()
    return float(approx.sum()), "approximate: sum over studies of 4/vi (largest per study)"
