"""Rebuild the AHRQ 2015 arm-level and comparison-level tables from the shipped workbook.

Source: ahrq2015_dbd_working_data.xlsx (copied unchanged from ../shared/datasets/), the working
extraction behind Epstein, Fonnesbeck, Potter, Rizzone & McPheeters (2015), Psychosocial
Interventions for Child Disruptive Behaviors: A Meta-analysis, Pediatrics 136(5), 947-960
(AHRQ Comparative Effectiveness Review 2015).  Sheets read: "Outcomes" (arm-level N, mean, SD
at end of treatment, EOT) and "Study Characteristics" (programme, category, risk of bias,
design, comparator, the authors' "Direction of Effect").

Outputs (data/ahrq2015/, every value with its sheet and spreadsheet row; header = row 1):
* arms.csv         one row per Outcomes row: arm role, instrument, EOT N / mean / SD.
* missing_cells.csv every EOT N / mean / SD cell holding "NR", "ND" or other text: missing
                   (never zero), with sheet, row, column and the text found.
* comparisons.csv  one row per intervention arm vs waitlist / usual-care arm on the same
                   instrument and reporter, with both arms' statistics and source rows and the
                   study's characteristics; effect sizes are computed by the pipeline (escalc SMD).
* excluded.csv     every arm or comparison not in comparisons.csv, with the reason.
* direction_check.csv  vote count: the sign of each study's pooled SMD (computed here with
                   evsynth's escalc) beside the authors' "Direction of Effect", disagreements flagged.

Rules (stated in data/ahrq2015/README.md):
* arm role: comparator when the Outcomes flag `wlc` (waitlist) or `tau` (treatment as usual) is
  1; intervention when any component flag (`cc`, `pc`, `fc`, `oc`) is 1.
* pairing within (Ref ID, Measure Instrument, Reporter, Measure Description): each intervention arm with the single
  comparator arm; with as many comparator arms as intervention arms, paired in row order; any
  other layout (no comparator = active vs active; ambiguous) is excluded and listed.
* instrument direction: instrument_direction.csv (documented per instrument); an instrument
  without a documented direction, or one that is not a mean score, is excluded and listed.
* programme and category are DERIVED (columns `programme_derived`, `category_derived`, rules in
  PROGRAMME_RULES and category()).

Run from the repository root:  python -m coding.ahrq2015.build_arms
"""

from __future__ import annotations

import csv
import re
import sys
import warnings

import numpy as np
import pandas as pd

from coding.common import DATA

AHRQ = DATA / "ahrq2015"
WORKBOOK = AHRQ / "ahrq2015_dbd_working_data.xlsx"
OUT_SHEET, STUDY_SHEET = "Outcomes", "Study Characteristics"
EOT = {"eot_n": "EOT \nN", "eot_mean": "EOT Mean", "eot_sd": "EOT \nSD"}
NUM = re.compile(r"^-?\d+(\.\d+)?$")

# programme keywords, first match wins (matched in the arm label and the study's Intervention Type)
PROGRAMME_RULES = [
    ("MST", r"\bMST\b|multisystemic"),
    ("PMTO", r"\bPMTO\b|oregon"),
    ("Triple P", r"triple[- ]?p"),
    ("Incredible Years", r"\bIY\b|\bIY-|incredible|SPOKES"),
    ("PCIT", r"\bPCIT"),
    ("FFT", r"\bFFT\b|functional family"),
    ("HNC", r"\bHNC\b|noncompliant"),
]


def programme(label: str, int_type: str) -> str:
    for name, pat in PROGRAMME_RULES:
        if re.search(pat, f"{label} {int_type}", flags=re.I):
            return name
    return "other"


def category(intcat: str) -> str:
    """AHRQ IntCat (PT parent, CT child, FT family component) -> three categories."""
    parts = {p.strip().upper() for p in re.split(r"[+,]", intcat or "") if p.strip() and p.strip() != "-"}
    if not parts:
        return ""
    if parts == {"PT"}:
        return "parent training"
    if parts == {"CT"}:
        return "child training"
    if parts in ({"FT"}, {"PT", "FT"}):
        return "family therapy"
    return "multi-component"


def read_sheet(name: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        # the workbook's print area, data validation and other Excel extensions are not read
        # (openpyxl says so on every read); the cell values are
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        d = pd.read_excel(WORKBOOK, sheet_name=name, dtype=str, keep_default_na=False, engine="openpyxl")
    d = d.apply(lambda s: s.str.strip())
    d.insert(0, "source_row", np.arange(2, len(d) + 2))
    return d


def number(value: str):
    return float(value) if NUM.match(value or "") else None


def load_directions() -> dict[str, dict]:
    with (AHRQ / "instrument_direction.csv").open(encoding="utf-8", newline="") as fh:
        return {r["instrument"]: r for r in csv.DictReader(fh)}


def build():
    out = read_sheet(OUT_SHEET)
    studies = read_sheet(STUDY_SHEET).rename(columns={"source_row": "study_source_row"})
    studies = studies.drop_duplicates("RefID")
    directions = load_directions()

    arms, missing = [], []
    for _, r in out.iterrows():
        flags = {f: r[f] == "1" for f in ("cc", "pc", "fc", "oc", "wlc", "tau")}
        role = (
            "comparator"
            if flags["wlc"] or flags["tau"]
            else "intervention"
            if any(flags[f] for f in ("cc", "pc", "fc", "oc"))
            else "unclassified"
        )
        a = {
            "source_sheet": OUT_SHEET,
            "source_row": int(r["source_row"]),
            "ref_id": r["Ref ID"],
            "group": r["Group"],
            "arm_code": r["intvn"],
            "arm_role": role,
            "comparator_type": "waitlist" if flags["wlc"] else ("usual care" if flags["tau"] else ""),
            "outcome": r["Outcome"],
            "instrument": r["Measure Instrument"],
            "reporter": r["Reporter"],
            "measure_description": r["Measure Description"],
            "author_outcomes_sheet": r["Author"].split(",")[0].split(" ")[0],
            "year_outcomes_sheet": r["Year"],
        }
        for key, col in EOT.items():
            v = number(r[col])
            a[key] = "" if v is None else v
            if v is None:
                missing.append(
                    {
                        "source_sheet": OUT_SHEET,
                        "source_row": int(r["source_row"]),
                        "column": col.replace("\n", ""),
                        "found": r[col],
                        "reading": "not reported (missing, not zero)"
                        if r[col] in ("NR", "ND", "")
                        else "text in a numeric cell (missing)",
                    }
                )
        arms.append(a)
    arms = pd.DataFrame(arms)

    comparisons, excluded = [], []
    for (ref, instr, rep, _desc), g in arms.groupby(
        ["ref_id", "instrument", "reporter", "measure_description"], sort=False
    ):
        ints, comps = g[g.arm_role == "intervention"], g[g.arm_role == "comparator"]
        if len(comps) == 0:
            for _, a in ints.iterrows():
                excluded.append(
                    _ex(a, "no waitlist or usual-care arm on this instrument (active vs active comparison)")
                )
            continue
        if len(comps) == 1:
            pairs = [(a, comps.iloc[0]) for _, a in ints.iterrows()]
        elif len(comps) == len(ints):
            pairs = list(zip([a for _, a in ints.iterrows()], [c for _, c in comps.iterrows()]))
        else:
            for _, a in g.iterrows():
                excluded.append(_ex(a, f"{len(ints)} intervention and {len(comps)} comparator arms: pairing ambiguous"))
            continue
        for a, c in pairs:
            d = directions.get(instr)
            if d is None or d["lower_is_better"] not in ("yes", "no"):
                excluded.append(
                    _ex(
                        a,
                        f"instrument '{instr}': direction not documented or not a mean score"
                        + (f" ({d['note']})" if d else ""),
                    )
                )
                continue
            miss = [
                f"{who} {k}"
                for who, arm in (("intervention", a), ("comparator", c))
                for k in ("eot_n", "eot_mean", "eot_sd")
                if arm[k] == ""
            ]
            if miss:
                excluded.append(
                    _ex(
                        a,
                        "end-of-treatment statistic missing: "
                        + ", ".join(miss)
                        + f" (rows {a['source_row']}, {c['source_row']})",
                    )
                )
                continue
            st = studies[studies["RefID"] == ref]
            s = st.iloc[0] if len(st) else None
            get = lambda col: s[col] if s is not None else ""
            comparisons.append(
                {
                    "ref_id": ref,
                    "study": (
                        f"{get('First Author').rstrip(',')} {get('Year')}"
                        if s is not None
                        else f"{a['author_outcomes_sheet']} {a['year_outcomes_sheet']} (Outcomes sheet; no Study Characteristics row)"
                    ),
                    "comparison": f"{ref}:{a['source_row']}-{c['source_row']}",
                    "intervention_arm": a["group"],
                    "comparator_arm": c["group"],
                    "comparator_type": c["comparator_type"],
                    "outcome": a["outcome"],
                    "instrument": instr,
                    "reporter": rep,
                    "measure_description": a["measure_description"],
                    "lower_is_better": d["lower_is_better"],
                    "m1i": a["eot_mean"],
                    "sd1i": a["eot_sd"],
                    "n1i": int(a["eot_n"]),
                    "m2i": c["eot_mean"],
                    "sd2i": c["eot_sd"],
                    "n2i": int(c["eot_n"]),
                    "n_total_derived": int(a["eot_n"]) + int(c["eot_n"]),  # n1i + n2i
                    "source_sheet": OUT_SHEET,
                    "intervention_row": a["source_row"],
                    "comparator_row": c["source_row"],
                    "study_sheet": STUDY_SHEET,
                    "study_row": "" if s is None else int(s["study_source_row"]),
                    "design": get("Design"),
                    "risk_of_bias": get("Risk of Bias"),
                    "IntCat": get("IntCat"),
                    "intervention_type": get("Intervention Type"),
                    "comparator_type_source": get("Comparator Type"),
                    "direction_of_effect": get("Direction of Effect"),
                    "programme_derived": programme(a["group"], get("Intervention Type")),
                    "category_derived": category(get("IntCat")),
                }
            )
    for _, a in arms[arms.arm_role == "unclassified"].iterrows():
        excluded.append(_ex(a, "arm is neither an intervention nor a waitlist / usual-care arm"))
    comp = pd.DataFrame(comparisons)
    return arms, pd.DataFrame(missing), comp, pd.DataFrame(excluded).sort_values("source_row", kind="stable")


def _ex(a, reason: str) -> dict:
    return {
        "source_sheet": OUT_SHEET,
        "source_row": int(a["source_row"]),
        "ref_id": a["ref_id"],
        "group": a["group"],
        "instrument": a["instrument"],
        "reason": reason,
    }


def vote_count(comp: pd.DataFrame) -> pd.DataFrame:
    """Vote count per study: each comparison's SMD (evsynth's escalc, sign harmonised so that
    positive = improvement) counts for the intervention when its 95 % CI lies above 0 and for
    the comparator when below; the study's vote is "intervention better" when at least half its
    comparisons favour the intervention ("comparator better" likewise), else "no clear
    difference".  Beside it the authors' Direction of Effect ("X > Y" read as intervention
    better, "=" as no clear difference, "-" or empty as not coded); agrees = no is a
    disagreement to list."""
    from evsynth import escalc

    es = escalc("SMD", m1i=comp.m1i, sd1i=comp.sd1i, n1i=comp.n1i, m2i=comp.m2i, sd2i=comp.sd2i, n2i=comp.n2i)
    sign = np.where(comp.lower_is_better == "yes", -1.0, 1.0)
    g = sign * np.asarray(es.yi)
    se = np.sqrt(np.asarray(es.vi))
    rows = []
    for ref, idx in comp.groupby("ref_id", sort=False).groups.items():
        i = np.asarray([comp.index.get_loc(j) for j in idx])
        fav = int(np.sum(g[i] - 1.959964 * se[i] > 0))
        against = int(np.sum(g[i] + 1.959964 * se[i] < 0))
        ours = (
            "intervention better"
            if fav >= len(i) / 2
            else ("comparator better" if against >= len(i) / 2 else "no clear difference")
        )
        doe = comp.loc[idx[0], "direction_of_effect"]
        theirs = _doe(doe)
        rows.append(
            {
                "ref_id": ref,
                "study": comp.loc[idx[0], "study"],
                "comparisons": len(i),
                "favour_intervention": fav,
                "favour_comparator": against,
                "median_smd": round(float(np.median(g[i])), 4),
                "vote": ours,
                "direction_of_effect": doe,
                "authors_reading": theirs,
                "agrees": "" if theirs == "not coded" else ("yes" if theirs == ours else "no"),
                "study_sheet": STUDY_SHEET,
                "study_row": comp.loc[idx[0], "study_row"],
            }
        )
    return pd.DataFrame(rows)


def _doe(text: str) -> str:
    t = (text or "").strip()
    if t in ("", "-", "nan"):
        return "not coded"
    if ">" in t and "=" not in t.split(">")[0][-1:]:
        return "intervention better"
    if "=" in t or "no rx effect" in t.lower():
        return "no clear difference"
    return "not coded"


def main() -> int:
    arms, missing, comp, excluded = build()
    if not comp["lower_is_better"].eq("yes").all():
        sys.exit(
            "build_arms: an included instrument is not lower-is-better; the config's single flip rule would be wrong"
        )
    vc = vote_count(comp)
    for name, t in (
        ("arms", arms),
        ("missing_cells", missing),
        ("comparisons", comp),
        ("excluded", excluded),
        ("direction_check", vc),
    ):
        t.to_csv(AHRQ / f"{name}.csv", index=False, lineterminator="\n")
    print(
        f"{len(arms)} arms, {len(missing)} missing cells, {len(comp)} comparisons in "
        f"{comp.ref_id.nunique()} studies, {len(excluded)} exclusions, "
        f"{int((vc.agrees == 'no').sum())} vote-count disagreements"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
