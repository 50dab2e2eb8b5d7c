"""One analysis job: the effect sizes of one declared analysis, its config entry and the
confidence level, with every model the job's tables need fitted once.

A stage (``fit``, ``diagnose``) makes one :class:`AnalysisJob` and hands it to the table
functions.  The job holds

- the main fit (:attr:`AnalysisJob.fit`), fitted on first use;
- the row filter (:meth:`AnalysisJob.rows_with`): the rows where given columns hold a value,
  and whether enough studies carry a moderator (:meth:`AnalysisJob.too_few_carry`);
- the moderator fits (:meth:`AnalysisJob.model`), cached by moderators, rows and method, so
  that the one-moderator model the moderator table, the bubble plot, the permutation test
  and the predictions all use is fitted once per job (a fit that fails fails once: the
  error is kept and raised again to the next caller);
- :meth:`AnalysisJob.subset`: a job on some of the rows (sensitivity, randomised studies,
  subgroups), with its own main fit.

:func:`fit_main` is the one place the declared model is fitted; :func:`pooled_row` reads the
pooled estimate of a fit from its ``to_frame()``."""

from __future__ import annotations

import pandas as pd

from evsynth.engine import rma, rma_mv
from evsynth.errors import InputError, ModelError
from evsynth.review.design import build_design

__all__ = [
    "AnalysisJob",
    "fit_main",
    "pooled_row",
    "n_studies",
    "n_studies_fit",
    "min_studies",
    "plural_studies",
    "MIN_STUDIES",
    "FEW_STUDIES",
]

# Fewest independent studies before a model of each type is fitted (an analysis may raise
# it with ``min_k``); below FEW_STUDIES the report says the result rests on few studies.
MIN_STUDIES = {"univariate": 2, "multilevel": 3}
FEW_STUDIES = 5


def n_studies(eff: pd.DataFrame, spec: dict) -> int:
    """Independent studies: top-level clusters of a multilevel model, else effect sizes."""
    m = spec["model"]
    if m["type"] == "multilevel":
        return int(pd.Series(eff[m["random"][0]]).nunique())
    return int(len(eff))


def n_studies_fit(fit, spec: dict) -> int:
    """Independent studies of a fit: its top-level clusters (multilevel), else k."""
    if hasattr(fit, "sigma2"):
        return int(fit.s_nlevels[0])
    return int(fit.k)


def min_studies(spec: dict) -> int:
    return int(spec.get("min_k", MIN_STUDIES[spec["model"]["type"]]))


def plural_studies(k: int) -> str:
    return f"{k} stud{'y' if k == 1 else 'ies'}"


def fit_main(eff: pd.DataFrame, spec: dict, level: float = 95.0, mods=None):
    """The declared model (univariate or multilevel), optionally with moderators (their
    config entries).  Fewer studies than :func:`min_studies` is a :class:`ModelError`."""
    m = spec["model"]
    n, need = n_studies(eff, spec), min_studies(spec)
    if n < need:
        raise ModelError(
            f"{spec['id']}: {n} {'study' if n == 1 else 'studies'}; a {m['type']} model is fitted from {need} studies on "
            f"(minimum k for this analysis type)"
        )
    X = None
    if mods:
        X, _ = build_design(eff, mods, where=spec["id"])
    if m["type"] == "multilevel":
        return rma_mv(
            eff["yi"],
            eff["vi"],
            [eff[c].to_numpy() for c in m["random"]],
            X,
            method=m["method"],
            test=m["test"],
            level=level,
            group_names=m["random"],
        )
    return rma(eff["yi"], eff["vi"], X, method=m["method"], test=m["test"], level=level, slab=eff["study"].tolist())


# the pooled row's columns, read from the fit's coefficient table (its first row)
POOLED = ("estimate", "se", "ci_lb", "ci_ub", "stat", "pval")


def pooled_row(fit, *columns: str) -> dict:
    """The pooled estimate of ``fit`` as a dict of ``columns`` (in that order): ``estimate``,
    ``se``, ``ci_lb``, ``ci_ub``, ``stat``, ``pval`` from the first row of ``fit.to_frame()``
    (the coefficient table), ``k`` and ``tau2`` from the fit.  Default: k, estimate, se,
    ci_lb, ci_ub, pval, tau2."""
    row = fit.to_frame().iloc[0]
    have = {
        "k": fit.k,
        "tau2": fit.tau2,
        **{c: float(row[c]) for c in POOLED if c != "stat"},
        "stat": float(row[fit.coefs.stat_name]),
    }
    return {c: have[c] for c in (columns or ("k", "estimate", "se", "ci_lb", "ci_ub", "pval", "tau2"))}


class AnalysisJob:
    """The effect sizes ``eff`` of the analysis ``spec`` (its config entry) at ``level``, and
    the seed of the random steps; see the module docstring."""

    def __init__(self, eff: pd.DataFrame, spec: dict, level: float = 95.0, seed: int | None = None):
        self.eff, self.spec, self.level, self.seed = eff, spec, float(level), seed
        self._rows: dict[tuple, pd.DataFrame] = {}
        self._fits: dict[tuple, object] = {}

    @property
    def multilevel(self) -> bool:
        return self.spec["model"]["type"] == "multilevel"

    @property
    def moderators(self) -> dict[str, dict]:
        """The declared moderators by column (config order)."""
        return {m["column"]: m for m in self.spec.get("moderators", [])}

    def rows_with(self, columns=()) -> pd.DataFrame:
        """The rows where every column of ``columns`` holds a value (not missing, not blank
        text), renumbered from 0; all rows when ``columns`` is empty.  The one row filter of
        the moderator, subgroup and diagnostic tables."""
        key = tuple(columns)
        if key not in self._rows:
            if not key:
                self._rows[key] = self.eff
            else:
                part = self.eff[list(key)]
                keep = part.notna().all(axis=1) & ~part.astype(str).apply(lambda s: s.str.strip().eq("")).any(axis=1)
                self._rows[key] = self.eff[keep].reset_index(drop=True)
        return self._rows[key]

    def too_few_carry(self, columns) -> str | None:
        """Why no meta-regression is fitted on ``columns`` (the rows :meth:`rows_with` keeps hold
        fewer than the analysis's ``moderator_min_studies`` independent studies), or None when it
        may be fitted.  The moderator table and the permutation test ask this first."""
        sub = self.rows_with(columns)
        need = int(self.spec.get("moderator_min_studies", 0))
        k = n_studies(sub, self.spec) if len(sub) else 0
        if k < need:
            return (
                f"{' + '.join(columns)}: {plural_studies(k)} {'carries' if k == 1 else 'carry'} it; "
                f"a meta-regression needs at least {need} (moderator_min_studies): not tested"
            )
        return None

    def model(self, mods=(), *, rows=None, method: str | None = None):
        """The declared model with the moderator columns ``mods`` (declared moderators), on
        the rows where the columns ``rows`` (default: ``mods``) hold a value, with the
        estimation method ``method`` (default: the declared one); fitted once per job."""
        mods, rows = tuple(mods), tuple(mods if rows is None else rows)
        key = (mods, rows, method)
        if key not in self._fits:
            spec = self.spec if method is None else {**self.spec, "model": {**self.spec["model"], "method": method}}
            try:
                self._fits[key] = fit_main(
                    self.rows_with(rows), spec, self.level, mods=[self.moderators[c] for c in mods] or None
                )
            except (ModelError, InputError) as exc:
                self._fits[key] = exc
        out = self._fits[key]
        if isinstance(out, Exception):
            raise out
        return out

    @property
    def fit(self):
        """The main fit: the declared model on every row, without moderators."""
        return self.model()

    def subset(self, mask, of: pd.DataFrame | None = None) -> "AnalysisJob":
        """A job on the rows ``mask`` selects of the effects (or of the frame ``of``, rows of
        them), renumbered from 0, with its own fits."""
        frame = self.eff if of is None else of
        return AnalysisJob(frame[mask].reset_index(drop=True), self.spec, self.level, self.seed)
