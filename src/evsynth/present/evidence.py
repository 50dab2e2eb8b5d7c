"""Report content for the on-topic evidence (issue 13), as :class:`~evsynth.present.report.Section`
objects so that both editions (HTML and PDF) get it from one place: the Summary of Findings
table (GRADE), the published meta-analyses table, the section "Evidence from neighbouring
fields", the exclusion tables declared per analysis, what changes the message of a primary
result (prediction interval, trim-and-fill, fewer than 5 studies, the published value) and
the methods text on certainty and small numbers of studies.

Everything is read from results tables (``certainty/*.csv``, ``<analysis>/*.csv``, numbers
tagged through :class:`~evsynth.present.report.Tables`) or from tables the config names;
nothing is computed here beyond choosing words."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

__all__ = ["grade_context", "sof_sections", "neighbouring_section", "listed_sections", "message_changes",
           "GRADE_METHODS", "NOT_AVAILABLE", "NEIGHBOURING_INTRO"]

GRADE_METHODS = [
    "Certainty of the evidence (GRADE). Every pooled outcome starts at high certainty when all its studies are "
    "randomised and at low certainty otherwise; where randomised and non-randomised studies are pooled together, "
    "the randomised studies are also refitted and rated on their own, starting at high (Cuello-Garcia et al., "
    "2022, GRADE guidance 24: each body of evidence is rated separately). Each is rated down for risk of bias (share of the weight from "
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

NEIGHBOURING_INTRO = ("The analyses below use real per-study data, but about other populations or interventions "
                      "than families with multiple and complex problems; each is rated down for indirectness and "
                      "none enters the summary.")

RATIO_WORDS = {"OR": "odds ratio", "PETO": "odds ratio", "RR": "risk ratio", "ROM": "ratio of means"}
DOMAIN_WORDS = {"risk_of_bias": "risk of bias", "inconsistency": "inconsistency", "imprecision": "imprecision",
                "indirectness": "indirectness", "publication_bias": "publication bias"}
CERT = "certainty/certainty.csv"
RANDOMISED_BODY = "randomised studies only"
# published placement results set beside an analysis' own estimate (issue 13: family preservation)
COMPARE_PUBLISHED = {"ifps2002": ("Al et al. 2012", "van Assen et al. 2020")}
SOF_COLUMNS = [("outcome", "outcome"), ("role", "role"), ("studies", "studies"), ("effect", "effect (95% CI)"),
               ("pi", "prediction interval"), ("certainty", "certainty"), ("down", "rated down for"),
               ("means", "what this means")]
PUBLISHED_COLUMNS = [("review", "review"), ("outcome", "outcome"), ("estimate", "estimate"), ("metric", "metric"),
                     ("k_studies", "studies"), ("N", "participants (N)"), ("verbatim", "what the abstract says (verbatim)"),
                     ("caveat_derived", "caveat (derived from the metric)")]


def _r():
    from evsynth.present import report  # the section model (imported on use: report imports this module)

    return report


def _read(path) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        return pd.DataFrame()
    try:
        return pd.read_csv(p, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _ratio(spec: dict) -> str:
    return RATIO_WORDS.get((spec.get("effect") or {}).get("measure", ""), "")


def grade_context(cfg: dict, T) -> dict:
    """Per analysis: its row of ``certainty.csv`` as tagged values (``grade``), the
    published table, the neighbouring analyses with the reason each is indirect and the
    tables each analysis declares under ``listed_tables``."""
    r = _r()
    cert = T.get(CERT)
    # one row per analysis, and a second one (body "randomised studies only") for a mixed-design
    # body, which GRADE rates separately (review.grade; pipeline.stages.run_certainty)
    body = cert["body"] if "body" in cert else pd.Series([""] * len(cert), dtype=str)
    row = {(str(a), str(b) == RANDOMISED_BODY): i for i, (a, b) in enumerate(zip(cert["analysis"], body))} \
        if not cert.empty else {}

    def one(i):
        down = [r.M("{} (-{}: {})", DOMAIN_WORDS[d], T.num(CERT, f"{d}_downgrade", i, 0), cert[f"{d}_reason"].iloc[i])
                for d in DOMAIN_WORDS if f"{d}_downgrade" in cert and float(cert[f"{d}_downgrade"].fillna(0).iloc[i]) > 0]
        return {
            "row": i, "certainty": str(cert["certainty"].iloc[i]), "start": str(cert["start"].iloc[i]),
            "statement": str(cert["statement"].iloc[i]), "n_studies": T.num(CERT, "n_studies", i, 0),
            "k": T.num(CERT, "k", i, 0), "est": T.num(CERT, "estimate", i, 2), "lo": T.num(CERT, "ci_lb", i, 2),
            "hi": T.num(CERT, "ci_ub", i, 2), "pi_lb": T.num(CERT, "pi_lb", i, 2), "pi_ub": T.num(CERT, "pi_ub", i, 2),
            "scale": str(cert["scale"].iloc[i]), "down": r.Markup("; ").join(down) if down else r.M("none")}

    grade = {}
    for spec in cfg["analyses"]:
        i = row.get((spec["id"], False))
        if i is None:
            continue
        grade[spec["id"]] = one(i)
        j = row.get((spec["id"], True))
        if j is not None:
            grade[spec["id"]]["randomised"] = one(j)
    secondary = [a for a in cfg["analyses"] if a.get("role", "primary") == "secondary"]
    return {"grade": grade, "published": r._records(T.get("certainty/published.csv")),
            "neighbouring": [{"id": a["id"], "title": a["title"],
                              "why": (a.get("indirectness") or {}).get("reason", "no reason declared")}
                             for a in secondary],
            "listed": {a["id"]: [{"title": t["title"], "path": t["path"], "records": _read(t["path"]).to_dict("records")}
                                 for t in a.get("listed_tables", [])] for a in cfg["analyses"]}}


def _sof_row(a: dict, g: dict, T, body: str = "") -> dict:
    """One row of the SoF table from a row of ``certainty.csv`` (``g``): ratios shown from its
    back-transformed columns (``*_exp``, copied from the fit's heterogeneity table)."""
    r = _r()
    i = g["row"]
    if (words := _ratio(a["spec"])) and math.isfinite(T.num(CERT, "estimate_exp", i).v):
        eff = r.M("{} {} ({} to {})", words, T.num(CERT, "estimate_exp", i, 2), T.num(CERT, "ci_lb_exp", i, 2),
                  T.num(CERT, "ci_ub_exp", i, 2))
        pi = r.M("{} to {}", T.num(CERT, "pi_lb_exp", i, 2), T.num(CERT, "pi_ub_exp", i, 2))
    else:
        eff, pi = r.M("{} ({} to {})", g["est"], g["lo"], g["hi"]), r.M("{} to {}", g["pi_lb"], g["pi_ub"])
    few = r.M(" \u2013 fewer than 5 studies") if g["n_studies"].v < 5 else ""
    return {"outcome": r.M("{}", a["spec"]["title"]) + (r.M(" \u2013 {}", body) if body else ""), "role": a["role"],
            "studies": r.M("{} ({} effect sizes){}", g["n_studies"], g["k"], few), "effect": eff, "pi": pi,
            "certainty": r.M("{} (started {})", g["certainty"], g["start"]), "down": g["down"], "means": g["statement"]}


def sof_sections(ctx: dict) -> list:
    """The Summary of Findings table (every pooled outcome, primary ones first; an outcome that
    pools randomised and non-randomised studies in two rows, the second its randomised body,
    rated on its own as GRADE guidance 24 asks) and the pooled results of published meta-analyses."""
    r = _r()
    rows = []
    for a in ctx["primary"] + ctx["secondary"]:
        g = a.get("grade")
        if not g:
            continue
        if "randomised" in g:
            rows += [_sof_row(a, g, ctx["T"], "all designs"), _sof_row(a, g["randomised"], ctx["T"], RANDOMISED_BODY)]
        else:
            rows.append(_sof_row(a, g, ctx["T"]))
    out = [r.Section("sof", "Summary of Findings (GRADE)", [
        r.TableBlock(SOF_COLUMNS, rows, repeat_header=False),
        r.Text(r.M("Read from <code>results/certainty/certainty.csv</code> and <code>certainty_reasons.csv</code>; the "
                   "rules are in the methods. Standardised mean differences: positive = improvement; ratios as "
                   "reported for the analysis. Where an outcome pools randomised and non-randomised studies, the "
                   "randomised studies are also rated on their own (GRADE guidance 24: each body of evidence is "
                   "rated separately; a randomised body starts at high certainty, a mixed one at low)."),
               style="note")], nav="Summary of Findings")]
    out.append(r.Section("published", "What published meta-analyses on these families found", [
        r.TableBlock(PUBLISHED_COLUMNS, ctx["published"], repeat_header=False) if ctx["published"] else
        r.Text(r.M("No table of published pooled estimates is named in the config (<code>published_estimates</code>)."))],
        level=3))
    return out


def neighbouring_section(ctx: dict):
    r = _r()
    return r.Section("neighbouring", "Evidence from neighbouring fields", [
        r.Text(r.M("{}", NEIGHBOURING_INTRO)),
        r.Items([r.M("{}: indirect because {}.", n["title"], n["why"]) for n in ctx["neighbouring"]])],
        new_page=True, nav="Neighbouring fields")


def listed_sections(a: dict) -> list:
    """The tables an analysis declares under ``listed_tables`` (rows not pooled, cells read
    as missing, cross-checks), each with its file."""
    r = _r()
    return [r.Section(f"{a['id']}-listed-{j}", lt["title"], [
        r.Text(r.M("<code>{}</code>", lt["path"]), style="note"),
        r.TableBlock.of(lt["records"]) if lt["records"] else r.Text(r.M("(none)"))], level=3)
        for j, lt in enumerate(a.get("listed", []))]


def message_changes(a: dict, ctx: dict):
    """For a primary analysis: where the prediction interval or the bias-corrected estimate
    changes the message, few studies, the published value beside this one."""
    r = _r()
    out = []
    if a["role"] != "primary":
        return r.M("")
    if a["pi_lb"].v <= 0 <= a["pi_ub"].v and not a["ci_has_zero"]:
        out.append(r.M("The prediction interval ({} to {}) includes no effect: in a new setting the effect may be "
                       "absent even where the average effect is positive.", a["pi_lb"], a["pi_ub"]))
    t = a.get("trimfill")
    if t and t["k0"].v > 0:
        out.append(r.M("Corrected for funnel asymmetry (trim-and-fill) the estimate is {} ({} to {}).",
                       t["est"], t["lo"], t["hi"]))
    g = a.get("grade")
    if g and "randomised" in g:
        gr = g["randomised"]
        out.append(r.M("Rated on its {} randomised studies alone ({} effect sizes; estimate {}, CI {} to {}), the "
                       "certainty is {}: {}", gr["n_studies"], gr["k"], gr["est"], gr["lo"], gr["hi"],
                       gr["certainty"], gr["statement"]))
    if g and g["n_studies"].v < 5:
        out.append(r.M("This rests on only {} studies: it supports little more than that the question is open.",
                       g["n_studies"]))
    spec = a["spec"]
    if spec.get("published"):
        out.append(r.M("The source review published {}; the same data give {} here.", spec["published"]["text"],
                       a["est"]))
    seen = set()
    for p in ctx["published"] if a["id"] in COMPARE_PUBLISHED else []:
        if str(p.get("review", "")).startswith(COMPARE_PUBLISHED[a["id"]]) and "placement" in (
                str(p.get("outcome", "")) + str(p.get("verbatim", ""))) and p.get("verbatim") not in seen:
            seen.add(p.get("verbatim"))
            out.append(r.M("{}: \u201c{}\u201d ({}).", str(p["review"]).split(" CYSR")[0], p["verbatim"],
                           p["caveat_derived"]))
    return r.M(" ").join(out) if out else r.M("")
