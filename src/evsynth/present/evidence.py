"""Report content for the on-topic evidence, built once for both editions (HTML and PDF):
the Summary of Findings table (GRADE), the lead of the plain-language summary (primary
analyses only), the published meta-analyses table, the section "Evidence from
neighbouring fields", the exclusion tables declared per analysis and the methods text on
certainty and small numbers of studies.

Everything is read from results tables (``certainty/*.csv``, ``<analysis>/*.csv``) or from
tables the config names; nothing is computed here beyond choosing words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["evidence_context", "GRADE_METHODS", "NOT_AVAILABLE"]

GRADE_METHODS = [
    "Certainty of the evidence (GRADE). Every pooled outcome starts at high certainty when all its studies are "
    "randomised and at low certainty otherwise, and is rated down for risk of bias (share of the weight from "
    "studies at high risk: 50 % or more -1, 80 % or more -2; -1 when the data carry no per-study judgement), "
    "inconsistency (I² of 50 % or more, or a prediction interval crossing no effect while the confidence interval "
    "does not: -1; I² of 75 % or more with such a prediction interval: -2), imprecision (a confidence interval "
    "crossing no effect, spanning trivial to important effects, or a total sample below the optimal information "
    "size: -1; an interval containing both an important benefit and an important harm: -2; smallest important "
    "effect 0.2 SMD, a relative change of 25 % for ratios, r = 0.1), indirectness (declared per analysis in "
    "config.yaml with its reason) and publication bias (with 10 or more effect sizes: Egger's test p < .10 or a "
    "trim-and-fill shift of half the smallest important effect: -1). Sources: the GRADE handbook (Schünemann, "
    "Brożek, Guyatt & Oxman, 2013); Guyatt et al. (2011), GRADE guidelines 4-8, Journal of Clinical Epidemiology "
    "64; wording after Santesso et al. (2020), GRADE guidelines 26, Journal of Clinical Epidemiology 119, "
    "126-135: high \"improves\", moderate \"probably improves\", low \"may improve\", very low \"we are "
    "uncertain whether\". The thresholds are this project's explicit reading of GRADE's judgements.",
    "Small numbers of studies. Where a univariate model uses the Knapp-Hartung method, the pipeline uses "
    "metafor's ad hoc correction (test \"adhoc\"): the Knapp-Hartung scaling factor is never below 1, so an "
    "interval is never narrower than the z-based one (with two nearly equal studies the plain method can give "
    "an interval far narrower than either study's). A model is fitted only from a minimum number of "
    "independent studies (2 for a univariate model, 3 for a multilevel one), and a result resting on fewer "
    "than 5 studies is marked as such.",
]

NOT_AVAILABLE = ("What the data cannot tell: the per-study tables of Evenboer et al. (2018) and Klaassen-Vermaat "
                 "et al. (2015), the two reviews of Dutch family interventions the NJI text relies on, and Al et al. "
                 "(2012)'s caseload moderator were not available, so Dutch intensive family treatment (Families "
                 "First, IAG, Gezin Centraal, 10 voor Toekomst) cannot be pooled here and whether smaller caseloads "
                 "work better cannot be tested.")

SOF_COLUMNS = ["outcome", "role", "studies", "effect (95% CI)", "prediction interval", "certainty",
               "rated down for", "what this means"]
DOMAIN_WORDS = {"risk_of_bias": "risk of bias", "inconsistency": "inconsistency", "imprecision": "imprecision",
                "indirectness": "indirectness", "publication_bias": "publication bias"}


def _f(x, d=2) -> str:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "–"
    return "–" if not np.isfinite(x) else f"{x:.{d}f}"


def _effect_text(r, ratio: bool) -> tuple[str, str]:
    if ratio:
        e, lo, hi = (np.exp(float(r[c])) for c in ("estimate", "ci_lb", "ci_ub"))
        pl, pu = (np.exp(float(r[c])) if pd.notna(r[c]) else np.nan for c in ("pi_lb", "pi_ub"))
        return f"RR {e:.2f} ({lo:.2f} to {hi:.2f})", f"{_f(pl)} to {_f(pu)}"
    return (f"{_f(r['estimate'])} ({_f(r['ci_lb'])} to {_f(r['ci_ub'])})",
            f"{_f(r['pi_lb'])} to {_f(r['pi_ub'])}")


def _downgrades(r) -> str:
    parts = [f"{DOMAIN_WORDS[d]} (-{int(r[f'{d}_downgrade'])}: {r[f'{d}_reason']})"
             for d in DOMAIN_WORDS if int(r.get(f"{d}_downgrade", 0) or 0) > 0]
    return "; ".join(parts) if parts else "none"


def _table(path) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        return pd.DataFrame()
    try:
        return pd.read_csv(p, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def evidence_context(cfg: dict, results: Path) -> dict:
    results = Path(results)
    cert = _table(results / "certainty" / "certainty.csv")
    specs = {a["id"]: a for a in cfg["analyses"]}
    primary = [a for a in cfg["analyses"] if a.get("role", "primary") == "primary"]
    secondary = [a for a in cfg["analyses"] if a.get("role", "primary") == "secondary"]
    rows = {}
    for _, r in cert.iterrows():
        rows[r["analysis"]] = r
    ctx: dict = {"grade_methods": GRADE_METHODS, "not_available": NOT_AVAILABLE,
                 "order": [a["id"] for a in primary + secondary],
                 "primary_ids": [a["id"] for a in primary], "secondary_ids": [a["id"] for a in secondary]}
    sof = []
    for a in primary + secondary:
        r = rows.get(a["id"])
        if r is None:
            continue
        ratio = a.get("effect", {}).get("measure") in ("OR", "RR", "PETO", "ROM")
        eff, pi = _effect_text(r, ratio)
        few = str(r.get("n_studies", "")) and float(r["n_studies"]) < 5
        sof.append({"outcome": f"{a['title']} ({a['id']})", "role": a.get("role", "primary"),
                    "studies": f"{r['n_studies']} ({r['k']} effect sizes)" + (" – fewer than 5 studies" if few else ""),
                    "effect (95% CI)": eff, "prediction interval": pi,
                    "certainty": f"{r['certainty']} (started {r['start']})", "rated down for": _downgrades(r),
                    "what this means": r["statement"]})
    ctx["sof"] = sof
    ctx["sof_columns"] = SOF_COLUMNS
    ctx["summary_lead"] = [_lead(specs[i], rows[i], results, cfg) for i in ctx["primary_ids"] if i in rows]
    pub = _table(results / "certainty" / "published.csv")
    ctx["published"] = pub[["review", "outcome", "estimate", "metric", "k_studies", "N", "verbatim",
                            "caveat_derived", "source_url"]].to_dict("records") if not pub.empty else []
    ctx["neighbouring"] = [{"id": a["id"], "title": a["title"],
                            "why": (a.get("indirectness") or {}).get("reason", "no reason declared")}
                           for a in secondary]
    ctx["listed"] = {a["id"]: [{"title": t["title"], "path": t["path"],
                                "records": _table(t["path"]).to_dict("records")} for t in a.get("listed_tables", [])]
                     for a in cfg["analyses"]}
    return ctx


def _lead(spec: dict, r, results: Path, cfg: dict) -> str:
    """One summary paragraph for a primary analysis: the GRADE statement, the estimate,
    where the PI or the bias-corrected estimate changes the message, few studies, the
    published value beside ours."""
    ratio = spec.get("effect", {}).get("measure") in ("OR", "RR", "PETO", "ROM")
    eff, pi = _effect_text(r, ratio)
    n = int(float(r["n_studies"]))
    out = [f"{spec['title']}: {r['statement']} (certainty {r['certainty']}; "
           f"{'' if ratio else r['scale'] + ' '}{eff}, {n} studies, {r['k']} effect sizes)."]
    lo, hi = float(r["ci_lb"]), float(r["ci_ub"])
    try:
        plo, phi = float(r["pi_lb"]), float(r["pi_ub"])
    except (TypeError, ValueError):
        plo = phi = np.nan
    if np.isfinite(plo) and plo <= 0 <= phi and not (lo <= 0 <= hi):
        out.append(f"The prediction interval ({pi}) includes no effect: in a new setting the effect may be absent "
                   "even though the average effect is clearly positive.")
    tf = _table(results / spec["id"] / "diagnostics" / "trimfill.csv")
    if not tf.empty and int(float(tf["k0"].iloc[0])) > 0:
        out.append(f"Corrected for funnel asymmetry (trim-and-fill) the estimate is {_f(tf['estimate'].iloc[0])} "
                   f"({_f(tf['ci_lb'].iloc[0])} to {_f(tf['ci_ub'].iloc[0])}).")
    sens = _table(results / spec["id"] / "sensitivity.csv")
    for _, s in sens.iterrows():
        if s.get("estimate", "") != "":
            out.append(f"Sensitivity ({s['analysis']}): {_f(s['estimate'])} ({_f(s['ci_lb'])} to {_f(s['ci_ub'])}), "
                       f"k = {s['k']}.")
    if n < 5:
        out.append(f"This rests on only {n} studies: it supports little more than that the question is open.")
    if spec.get("published"):
        out.append(f"The source review published {spec['published']['text']}; the same data give "
                   f"{_f(r['estimate'])} here.")
    if spec["id"] == "ifps2002":
        pub = _table(results / "certainty" / "published.csv").drop_duplicates("verbatim")
        for _, p in pub.iterrows():
            if p["review"].startswith(("Al et al. 2012", "van Assen et al. 2020")) and "placement" in (
                    p["outcome"] + p["verbatim"]):
                out.append(f"{p['review'].split(' CYSR')[0]}: \u201c{p['verbatim']}\u201d ({p['caveat_derived']}).")
    return " ".join(out)
