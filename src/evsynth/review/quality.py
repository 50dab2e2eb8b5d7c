"""The 11-item quality form (Holwerda et al., 2014, Bijlage 1) as a scoring engine.

Item-level judgements (yes / no / unclear per study, rater and item) give a total per
rater (yes = 1, no and unclear = 0, range 0-11) and, from the rater ``consensus`` (or,
where there is none, from items on which the two raters agree), a consensus total.
Agreement between two independent raters is given per item as percent agreement and
Cohen's kappa.  Studies with only a published total are marked ``total_only``; where
item-level data exist, the computed total is compared with the published one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evsynth.errors import TableProblems

__all__ = [
    "Form",
    "check_form",
    "check_assessments",
    "score",
    "agreement",
    "cohen_kappa",
    "published_vs_computed",
    "item_summary",
    "assessment_template",
    "quality_filter",
]

ITEMS = tuple("ABCDEFGHIJK")
CONSENSUS = "consensus"


@dataclass
class Form:
    items: list[dict]
    answers: list[str]
    scoring: dict
    source: str

    @property
    def item_ids(self) -> list[str]:
        return [i["id"] for i in self.items]

    @property
    def max_total(self) -> int:
        return len(self.items) * max(self.scoring.values())


def check_form(d, path="form.yaml") -> Form:
    """The quality form from its parsed YAML ``d``; every problem is raised at once,
    naming ``path``."""
    problems = []
    if not isinstance(d, dict):
        raise TableProblems(path, [f"{path}: expected a mapping with 'items', 'answers' and 'scoring'"])
    for key in ("items", "answers", "scoring", "source"):
        if key not in d:
            problems.append(f"{path}: '{key}' is missing")
    if problems:
        raise TableProblems(path, problems)

    # YAML 1.1 reads unquoted yes/no as booleans: map them back to the form's words
    def word(x):
        return {True: "yes", False: "no"}.get(x, x) if isinstance(x, bool) else str(x)

    d["answers"] = [word(a) for a in d["answers"]] if isinstance(d["answers"], list) else d["answers"]
    if isinstance(d["scoring"], dict):
        d["scoring"] = {word(k): v for k, v in d["scoring"].items()}
    if not isinstance(d["items"], list):
        raise TableProblems(path, [f"{path}: items: expected a list of the items A to K"])
    ids = [str(i.get("id")) if isinstance(i, dict) else "?" for i in d["items"]]
    if ids != list(ITEMS):
        problems.append(f"{path}: items: found {', '.join(ids)}; the form has items A to K in order")
    for i, it in enumerate(d["items"]):
        if not isinstance(it, dict):
            continue
        for key in ("question_nl", "question_en"):
            if not it.get(key):
                problems.append(f"{path}: items[{i}] ({it.get('id')}): '{key}' is missing")
    if not isinstance(d["answers"], list) or sorted(d["answers"]) != ["no", "unclear", "yes"]:
        problems.append(f"{path}: answers: found {d['answers']}; allowed: yes, no, unclear")
    if d.get("scoring") != {"yes": 1, "no": 0, "unclear": 0}:
        problems.append(f"{path}: scoring: found {d.get('scoring')}; the form scores yes = 1, no = 0, unclear = 0")
    if problems:
        raise TableProblems(path, problems)
    return Form(d["items"], d["answers"], d["scoring"], d["source"])


def check_assessments(df: pd.DataFrame, form: Form, study_ids, path: str = "assessments.csv") -> list[str]:
    """Problems beyond the table schema: unknown studies, duplicate judgements."""
    problems = []
    known = set(study_ids)
    for i, sid in enumerate(df["study_id"]):
        if sid not in known:
            problems.append(
                f"{path}: row {i + 2}, column 'study_id': unknown study '{sid}' (not in the coded study table)"
            )
    dup = df.duplicated(subset=["study_id", "rater", "item"], keep=False)
    for key, grp in df[dup].groupby(["study_id", "rater", "item"]):
        rows = ", ".join(str(i + 2) for i in grp.index)
        problems.append(f"{path}: rows {rows}: study '{key[0]}', rater '{key[1]}', item {key[2]} judged more than once")
    return problems


def score(df: pd.DataFrame, form: Form) -> pd.DataFrame:
    """Totals per study and rater; ``n_items`` shows incomplete assessments."""
    if df.empty:
        return pd.DataFrame(columns=["study_id", "rater", "total", "n_items", "complete"])
    pts = df["judgement"].map(form.scoring)
    t = (
        df.assign(points=pts)
        .groupby(["study_id", "rater"], sort=True)
        .agg(total=("points", "sum"), n_items=("item", "nunique"))
        .reset_index()
    )
    t["complete"] = t["n_items"] == len(form.items)
    return t


def cohen_kappa(a, b, categories=("yes", "no", "unclear")) -> float:
    """Cohen's kappa for two raters' nominal judgements (1 when agreement is perfect and
    chance agreement is 1; NaN with no pairs)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.size == 0:
        return float("nan")
    po = float(np.mean(a == b))
    pe = float(sum(np.mean(a == c) * np.mean(b == c) for c in categories))
    if pe == 1.0:
        return 1.0 if po == 1.0 else float("nan")
    return (po - pe) / (1 - pe)


def _raters(df: pd.DataFrame) -> list[str]:
    return sorted(r for r in df["rater"].unique() if r != CONSENSUS)


def agreement(df: pd.DataFrame) -> pd.DataFrame:
    """Per item (and overall): pairs rated by the first two independent raters, percent
    agreement and Cohen's kappa."""
    cols = ["item", "rater_1", "rater_2", "n_pairs", "percent_agreement", "kappa"]
    raters = _raters(df)
    if len(raters) < 2:
        return pd.DataFrame(columns=cols)
    r1, r2 = raters[:2]
    a = df[df.rater == r1].set_index(["study_id", "item"])["judgement"]
    b = df[df.rater == r2].set_index(["study_id", "item"])["judgement"]
    both = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner").reset_index()
    rows = []
    for item in list(ITEMS) + ["all"]:
        sub = both if item == "all" else both[both["item"] == item]
        n = len(sub)
        rows.append(
            {
                "item": item,
                "rater_1": r1,
                "rater_2": r2,
                "n_pairs": n,
                "percent_agreement": 100 * float(np.mean(sub["a"] == sub["b"])) if n else np.nan,
                "kappa": cohen_kappa(sub["a"], sub["b"]) if n else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def consensus_totals(df: pd.DataFrame, form: Form) -> pd.DataFrame:
    """Consensus total per study: from the ``consensus`` rater where present, otherwise
    from two raters where they agree on every item (else left empty: disagreement)."""
    rows = []
    for sid, g in df.groupby("study_id", sort=True):
        c = g[g.rater == CONSENSUS]
        if len(c):
            rows.append(
                {
                    "study_id": sid,
                    "consensus_total": int(c["judgement"].map(form.scoring).sum()),
                    "consensus_source": "consensus rater",
                    "n_items": c["item"].nunique(),
                }
            )
            continue
        raters = _raters(g)
        if len(raters) >= 2:
            a = g[g.rater == raters[0]].set_index("item")["judgement"]
            b = g[g.rater == raters[1]].set_index("item")["judgement"]
            common = a.index.intersection(b.index)
            if len(common) == len(form.items) and (a[common] == b[common]).all():
                rows.append(
                    {
                        "study_id": sid,
                        "consensus_total": int(a.map(form.scoring).sum()),
                        "consensus_source": "raters agree on every item",
                        "n_items": len(common),
                    }
                )
                continue
            dis = sorted(i for i in common if a[i] != b[i])
            rows.append(
                {
                    "study_id": sid,
                    "consensus_total": None,
                    "consensus_source": f"raters disagree on item(s) {', '.join(dis)}: discuss to consensus",
                    "n_items": len(common),
                }
            )
        elif len(raters) == 1:
            r = g[g.rater == raters[0]]
            rows.append(
                {
                    "study_id": sid,
                    "consensus_total": None,
                    "consensus_source": f"one rater only ({raters[0]})",
                    "n_items": r["item"].nunique(),
                }
            )
    return pd.DataFrame(rows, columns=["study_id", "consensus_total", "consensus_source", "n_items"])


def published_vs_computed(studies: pd.DataFrame, df: pd.DataFrame, form: Form) -> pd.DataFrame:
    """Every study with its published total, computed consensus total, status
    (``total_only`` / ``item_level`` / ``not_scored``) and any mismatch."""
    cons = consensus_totals(df, form).set_index("study_id") if not df.empty else pd.DataFrame()
    rows = []
    for _, s in studies.iterrows():
        pub = s.get("quality_score")
        pub = None if pub is None or (isinstance(pub, float) and np.isnan(pub)) else int(pub)
        sid = s["study_id"]
        comp = None
        note = ""
        if sid in getattr(cons, "index", []):
            comp = cons.loc[sid, "consensus_total"]
            comp = None if comp is None or (isinstance(comp, float) and np.isnan(comp)) else int(comp)
            status = "item_level"
            note = cons.loc[sid, "consensus_source"]
        else:
            status = "total_only" if pub is not None else "not_scored"
        mismatch = pub is not None and comp is not None and pub != comp
        rows.append(
            {
                "study_id": sid,
                "design": s.get("design"),
                "published_total": pub,
                "computed_total": comp,
                "status": status,
                "mismatch": bool(mismatch),
                "note": (f"computed {comp} differs from published {pub}" if mismatch else note),
                "score_used": pub if comp is None else comp,
            }
        )
    return pd.DataFrame(rows)


def item_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Share of yes / no / unclear per item (consensus judgements where present, else all)."""
    cols = ["item", "yes", "no", "unclear", "n"]
    if df.empty:
        return pd.DataFrame([{"item": i, "yes": 0, "no": 0, "unclear": 0, "n": 0} for i in ITEMS], columns=cols)
    use = df[df.rater == CONSENSUS] if (df.rater == CONSENSUS).any() else df
    rows = []
    for i in ITEMS:
        s = use[use["item"] == i]["judgement"]
        rows.append(
            {
                "item": i,
                "yes": int((s == "yes").sum()),
                "no": int((s == "no").sum()),
                "unclear": int((s == "unclear").sum()),
                "n": int(s.size),
            }
        )
    return pd.DataFrame(rows, columns=cols)


def assessment_template(studies: pd.DataFrame, form: Form, raters=("rater1", "rater2")) -> pd.DataFrame:
    rows = []
    for sid in studies["study_id"]:
        for r in raters:
            for it in form.items:
                rows.append(
                    {
                        "study_id": sid,
                        "rater": r,
                        "item": it["id"],
                        "judgement": "",
                        "support_quote": "",
                        "question_en": it["question_en"],
                    }
                )
    return pd.DataFrame(rows)


def quality_filter(scores: pd.DataFrame, min_score: int) -> tuple[list[str], list[str]]:
    """Studies kept and excluded by a minimum quality score (studies without a score are
    excluded and listed)."""
    s = scores.set_index("study_id")["score_used"]
    keep = [i for i, v in s.items() if v is not None and not pd.isna(v) and v >= min_score]
    drop = [i for i in s.index if i not in keep]
    return keep, drop
