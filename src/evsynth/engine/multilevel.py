"""Multilevel (nested random-intercept) meta-analytic models: metafor's
``rma.mv(yi, vi, random = ~ 1 | a/b/...)``, with a known sampling covariance (``V``) and
CS/HCS structs: the fit (:func:`rma_mv`) and its result (:class:`RMAMVResult`).

Variance components are estimated by (RE)ML with Fisher scoring on analytic scores
and expected information, with step halving and the boundary sigma^2 = 0 respected
(structs: bounded quasi-Newton on the likelihood).  The likelihood is evaluated block by
block, with no k x k matrix, in :mod:`evsynth.engine.mvblocks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from evsynth.errors import ConvergenceError, InputError, ModelError
from evsynth.engine.linalg import design_matrix, factorize, wls
from evsynth.engine.checks import check_effects, level_percent
from evsynth.engine.mvblocks import BlockStructure, KnownV, evaluate
from evsynth.engine.printing import fit_printout, text_table
from evsynth.engine.results import FitResult, Heterogeneity, critical_value, fit_fields

__all__ = ["RMAMVResult", "rma_mv"]


@dataclass(eq=False, kw_only=True)
class RMAMVResult(FitResult):
    """A fitted multilevel model (metafor's ``rma.mv``), with metafor's field names: the
    coefficient block (see :class:`~evsynth.engine.results.Coefs`), ``sigma2`` (one
    variance component per level, named ``s_names``, with ``s_nlevels`` levels),
    ``QE``/``QEp``, ``QM``/``QMp``/``QMdf``, ``ll``, ``pi_lb``/``pi_ub``."""

    multilevel = True

    sigma2: np.ndarray
    s_names: list[str]
    s_nlevels: list[int]
    iterations: int
    groups: list[np.ndarray]
    structure: BlockStructure = field(repr=False, default=None)
    struct_type: str | None = None
    struct_levels: list | None = None
    struct_tau2: np.ndarray | float | None = None
    struct_rho: float | None = None
    sigma2_fixed: np.ndarray | None = field(repr=False, default=None)
    refit_args: dict = field(repr=False, default_factory=dict)

    @property
    def n_vc(self) -> int:
        """Number of estimated variance components (sigma^2, plus tau^2 and rho of a struct)."""
        n = int(np.sum(~self._fixed_mask()))
        if self.struct_type == "CS":
            n += 2
        elif self.struct_type == "HCS":
            n += len(np.atleast_1d(self.struct_tau2)) + 1
        return n

    def _fixed_mask(self) -> np.ndarray:
        if self.sigma2_fixed is None:
            return np.zeros(len(self.sigma2), bool)
        return np.isfinite(self.sigma2_fixed)

    @property
    def spar(self):
        if self.struct_type is None:
            return None
        return (
            np.atleast_1d(self.struct_tau2)
            if self.struct_type == "HCS"
            else np.full(len(self.struct_levels), float(self.struct_tau2)),
            float(self.struct_rho),
        )

    def _pi_variance(self) -> float:
        return self.pi_variance

    @property
    def pi_variance(self) -> float:
        """Variance added for a prediction interval: the sum of the sigma^2 (and tau^2 of a CS struct)."""
        extra = float(self.struct_tau2) if self.struct_type == "CS" else 0.0
        return float(np.sum(self.sigma2)) + extra

    def refit(self, keep=None, *, sigma2_fixed=None, struct_fixed=None) -> "RMAMVResult":
        """The same model on the rows ``keep`` (boolean or index array; default all), optionally
        with variance components held at ``sigma2_fixed`` / struct parameters at ``struct_fixed``."""
        a = self.refit_args
        idx = (
            np.arange(self.k)
            if keep is None
            else np.flatnonzero(np.asarray(keep))
            if np.asarray(keep).dtype == bool
            else np.asarray(keep)
        )
        V = a.get("V")
        if V is not None:
            V = KnownV(V.vi[idx], V.cluster[idx], None if V.obs is None else V.obs[idx], V.rho)
        st = a.get("struct")
        if st is not None:
            st = {**st, "inner": np.asarray(st["inner"])[idx], "outer": np.asarray(st["outer"])[idx]}
        return rma_mv(
            self.yi[idx],
            self.vi[idx],
            [np.asarray(g)[idx] for g in a["groups"]],
            self.X[idx],
            intercept=False,
            method=a["method"],
            test=a["test"],
            level=a["level"],
            coef_names=a["coef_names"],
            group_names=a["group_names"],
            btt=a["btt"],
            V=V,
            struct=st,
            sigma2_fixed=sigma2_fixed,
            struct_fixed=struct_fixed,
        )

    def sampling_blocks(self, rows):
        """The known sampling covariance of stacked blocks of rows (None: diagonal vi)."""
        if self.structure is None or self.structure.knownV is None:
            return None
        return self.structure.knownV.blocks(rows)

    @property
    def tau2(self) -> float:
        """Total heterogeneity: the sum of the variance components."""
        return float(np.sum(self.sigma2))

    def marginal_blocks(self):
        """(rows, V) per block: the fitted marginal covariance, block by block."""
        for bt in self.structure.batches:
            yield bt["rows"], self.structure.marginal(bt, self.vi, self.sigma2, self.spar)

    def I2_multilevel(self) -> dict:
        """Multilevel I^2 per level (Cheung, 2014) with the typical sampling variance of
        Higgins & Thompson computed from the fixed-effects projection."""
        fe = wls(self.yi, self.X, 1 / self.vi)
        vt = (self.k - self.p) / fe.tr_P()
        total = float(np.sum(self.sigma2)) + vt
        out = {n: 100 * s / total for n, s in zip(self.s_names, self.sigma2)}
        out["total"] = 100 * float(np.sum(self.sigma2)) / total
        out["sampling"] = 100 * vt / total
        return out

    @property
    def het(self) -> Heterogeneity:
        """The heterogeneity block: the Q test of the model (the variance components are
        printed by ``summary()`` in their own table)."""
        return Heterogeneity(QE=self.QE, QEdf=self.k - self.p, QEp=self.QEp, residual=self.p > 1)

    def summary(self) -> str:
        fixed = self._fixed_mask()
        s2 = np.asarray(self.sigma2, float)
        vc = text_table(
            [
                ("estim", [f"{x:.4f}" for x in s2]),
                ("sqrt", [f"{np.sqrt(x):.4f}" for x in s2]),
                ("nlvls", [str(int(n)) for n in self.s_nlevels]),
                ("fixed", ["yes" if f else "no" for f in fixed]),
                ("factor", [str(n) for n in self.s_names]),
            ],
            [f"sigma^2.{i}" for i in range(1, s2.size + 1)],
        )
        head = [
            f"Multivariate Meta-Analysis Model (k = {self.k}; method: {self.method})",
            "",
            "Variance Components:",
            "",
            *vc,
        ]
        if self.struct_type is not None:
            t2 = ", ".join(f"{x:.4f}" for x in np.atleast_1d(self.struct_tau2))
            head.append(f"struct {self.struct_type}: tau^2 = {t2}; rho = {self.struct_rho:.4f}")
        return fit_printout(self, head)


def _fit_struct(y, v, X, bs, sdef, reml, t0, fixed, isfixed, sfixed=None):
    """(RE)ML for models with a CS/HCS struct: the (restricted) log-likelihood maximised
    over log variances and the Fisher z of rho (quasi-Newton, then a Nelder-Mead polish).
    ``sfixed``: struct parameters held fixed ({"tau2": values with NaN = estimated, "rho":
    value or NaN}), as metafor's ``tau2=`` and ``rho=``."""
    from scipy.optimize import minimize

    nt = 1 if sdef["type"] == "CS" else len(sdef["levels"])
    free_s = np.flatnonzero(~isfixed)
    t_fix = np.full(nt, np.nan) if sfixed is None else np.asarray(sfixed.get("tau2", np.full(nt, np.nan)), float)
    t_fix = np.broadcast_to(t_fix, (nt,)).copy()
    r_fix = np.nan if sfixed is None else float(sfixed.get("rho", np.nan))
    free_t = np.flatnonzero(~np.isfinite(t_fix))
    free_r = not np.isfinite(r_fix)

    def unpack(th):
        s2 = fixed.copy()
        s2[free_s] = np.exp(th[: free_s.size])
        s2 = np.where(np.isfinite(s2), s2, 0.0)
        t = t_fix.copy()
        t[free_t] = np.exp(th[free_s.size : free_s.size + free_t.size])
        tau2 = np.full(len(sdef["levels"]), t[0]) if nt == 1 else t
        rho = np.tanh(th[-1]) if free_r else r_fix
        return s2, (tau2, rho)

    def nll(th):
        s2, sp = unpack(th)
        try:
            return -evaluate(y, v, X, bs, s2, reml, need_info=False, spar=sp).ll
        except ModelError:
            return 1e300

    th0 = np.concatenate(
        [
            np.full(free_s.size, np.log(max(t0, 1e-4) / 2)),
            np.full(free_t.size, np.log(max(t0, 1e-4))),
            [0.5] if free_r else [],
        ]
    )
    if th0.size == 0:
        s2, sp = unpack(th0)
        return s2, sp, evaluate(y, v, X, bs, s2, reml, need_info=False, spar=sp), 0
    best = minimize(nll, th0, method="BFGS", options={"gtol": 1e-9, "maxiter": 2000})
    pol = minimize(
        nll, best.x, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000, "maxfev": 40000}
    )
    th = pol.x if pol.fun <= best.fun else best.x
    best2 = minimize(nll, th, method="BFGS", options={"gtol": 1e-10, "maxiter": 2000})
    if best2.fun < min(pol.fun, best.fun):
        th = best2.x
    s2, sp = unpack(th)
    ev = evaluate(y, v, X, bs, s2, reml, need_info=False, spar=sp)
    return s2, sp, ev, int(best.nit)


def fisher_scoring(
    y,
    v,
    X,
    bs: BlockStructure,
    s2,
    reml: bool,
    isfixed,
    *,
    method: str = "REML",
    tol: float = 1e-10,
    maxiter: int = 500,
):
    """(RE)ML estimates of the sigma^2 components by Fisher scoring from ``s2`` (components
    with ``isfixed`` held), with step halving and the boundary 0; returns (sigma2, the
    evaluation there, iterations).  Used by :func:`rma_mv` and, warm-started at the full
    fit, by the re-estimated deletions of :func:`evsynth.engine.casedeletion.influence_mv`."""
    L = bs.L
    s2 = np.asarray(s2, float)
    ev = evaluate(y, v, X, bs, s2, reml)
    it = 0
    for it in range(1, maxiter + 1):
        free = ~((s2 <= 0) & (ev.score <= 0)) & ~isfixed
        step = np.zeros(L)
        if free.any():
            Ii = ev.info[np.ix_(free, free)]
            try:
                step[free] = np.linalg.solve(Ii, ev.score[free])
            except np.linalg.LinAlgError:
                step[free] = ev.score[free] / np.maximum(np.diag(Ii), 1e-12)
        lam = 1.0
        accepted = False
        for _ in range(60):
            cand = np.maximum(s2 + lam * step, 0.0)
            ev_c = evaluate(y, v, X, bs, cand, reml)
            if ev_c.ll >= ev.ll - 1e-12 * abs(ev.ll):
                accepted = True
                break
            lam /= 2
        if not accepted:
            break
        change = np.max(np.abs(cand - s2) / np.maximum(1.0, np.abs(cand)))
        s2, ev = cand, ev_c
        if change <= tol:
            break
    else:
        raise ConvergenceError(
            f"{method} estimation of the variance components did not converge in "
            f"{maxiter} iterations (last sigma^2 = {np.round(s2, 6).tolist()})"
        )
    return s2, ev, it


def _group_list(groups):
    """The grouping variables as a list of 1-D arrays (outermost first) and their names when
    the input carries them: a list of arrays, one array or Series (one level), or a data
    frame (one column per level, names from its columns)."""
    if groups is None:
        return [], None
    if isinstance(groups, str):
        raise InputError(
            f"groups: give the grouping variables' values (arrays, or a data frame with one column "
            f"per level), not the name {groups!r}"
        )
    if hasattr(groups, "columns"):  # a DataFrame, without importing pandas
        return [np.asarray(groups[c]) for c in groups.columns], [str(c) for c in groups.columns]
    if hasattr(groups, "ndim") and getattr(groups, "ndim", 0) == 1:  # one array or Series: one level
        name = getattr(groups, "name", None)
        return [np.asarray(groups)], ([str(name)] if name is not None else None)
    try:
        items = list(groups)
    except TypeError:
        raise InputError(
            f"groups: a list of grouping arrays, one array or a data frame; got {type(groups).__name__}"
        ) from None
    if items and all(np.ndim(g) == 0 for g in items):  # a plain list of labels: one level
        return [np.asarray(items, dtype=object)], None
    names = [getattr(g, "name", None) for g in items]
    out = []
    for j, g in enumerate(items):
        a = np.asarray(g)
        if a.ndim != 1:
            raise InputError(
                f"groups: grouping variable {j + 1} must be one value per effect size (1-D); got shape {a.shape}"
            )
        out.append(a)
    return out, ([str(n) for n in names] if names and all(n is not None for n in names) else None)


def rma_mv(
    yi,
    vi,
    groups,
    mods=None,
    *,
    method: str = "REML",
    test: str = "z",
    level: float = 95.0,
    coef_names=None,
    group_names=None,
    btt=None,
    tol: float = 1e-10,
    maxiter: int = 500,
    intercept: bool = True,
    V: KnownV | None = None,
    struct: dict | None = None,
    sigma2_fixed=None,
    struct_fixed: dict | None = None,
) -> RMAMVResult:
    """Multilevel and multivariate meta-analytic model (metafor's ``rma.mv``).

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances.
    groups : list of array_like, array_like or DataFrame
        Nested grouping arrays, outermost first (metafor's ``random = ~ 1 | a/b``); one
        variance component ``sigma2`` per level.  One array (or Series) is one level; a data
        frame gives one level per column, named by the columns (as are named Series), so the
        components are ``a`` and ``a/b`` as metafor names them.  May be empty when ``struct``
        is given.
    mods : array_like, optional
        Moderators (k x m); an intercept is added unless ``intercept=False``.
    method : {"REML", "ML"}
    test : {"z", "t"}
        ``t``: t and F tests with k - p df.
    V : KnownV, optional
        A known sampling covariance from :func:`vcalc` (block diagonal by cluster), in
        place of ``diag(vi)`` (metafor's ``rma.mv(yi, V, ...)``).
    struct : dict, optional
        ``{"type": "CS" | "HCS", "inner": array, "outer": array, "levels": list}``: a
        random effect per level of ``inner`` within ``outer`` (metafor's
        ``random = ~ inner | outer, struct = type``); CS: one tau^2 and one rho; HCS: one
        tau^2 per level of ``inner`` (in ``levels`` order) and one rho.  Optional
        ``"names": (inner name, outer name)`` labels the term in ``ranef``.
    sigma2_fixed : array_like, optional
        Values at which to hold sigma^2 components (NaN: estimated), as metafor's ``sigma2=``.
    struct_fixed : dict, optional
        Struct parameters to hold: ``{"tau2": values (NaN: estimated), "rho": value}``, as
        metafor's ``tau2=`` and ``rho=``.

    Returns
    -------
    RMAMVResult
        The coefficient block, ``sigma2``, ``s_names``, ``s_nlevels``, ``QE``, ``QM``, ``ll``,
        ``pi_lb``/``pi_ub``; ``summary()``, ``to_frame()``, ``predict()``, ``anova()``.

    References
    ----------
    Konstantopoulos, S. (2011). Fixed effects and variance components estimation in
    three-level meta-analysis. Research Synthesis Methods, 2(1), 61-76.
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.
    """
    level = level_percent(level)
    method = str(method).upper()
    if method not in ("ML", "REML"):
        raise InputError(f"multilevel models are fitted by ML or REML, not '{method}'")
    test = str(test).lower()
    if test not in ("z", "t"):
        raise InputError(f"multilevel test must be 'z' or 't', got '{test}'")
    if V is not None:
        if not isinstance(V, KnownV):
            raise InputError("V must be built with vcalc() (a block-diagonal known covariance)")
        vi = V.vi
    y, v = check_effects(yi, vi)
    k = y.size
    if V is not None and V.k != k:
        raise InputError(f"V has {V.k} rows but there are {k} effect sizes")
    groups, found_names = _group_list(groups)
    if group_names is None and found_names is not None:
        group_names = found_names
    if not groups and struct is None:
        raise InputError("a multilevel model needs at least one grouping variable or a struct")
    sdef = None
    if struct is not None:
        stype = str(struct.get("type", "")).upper()
        if stype not in ("CS", "HCS"):
            raise InputError(f"struct type must be CS or HCS, got '{struct.get('type')}'")
        inner = np.asarray(struct["inner"])
        outer = np.asarray(struct["outer"])
        if inner.shape[0] != k or outer.shape[0] != k:
            raise InputError("struct: inner and outer need one value per effect size")
        inner_text = np.array([str(x) for x in inner], dtype=object)
        levels = struct.get("levels")
        if not levels:
            codes = factorize(inner_text, what="struct inner variable")
            levels = [inner_text[np.flatnonzero(codes == c)[0]] for c in range(int(codes.max()) + 1)]
        levels = [str(x) for x in levels]
        unknown = sorted(set(inner_text) - set(levels))
        if unknown:
            raise InputError(f"struct: inner value(s) {', '.join(unknown)} not among levels {', '.join(levels)}")
        sdef = {
            "type": stype,
            "levels": levels,
            "inner_codes": np.array([levels.index(x) for x in inner_text]),
            "outer_codes": factorize(outer, what="struct outer variable"),
        }
    for g in groups:
        if len(g) != k:
            raise InputError(f"groups: a grouping variable has {len(g)} values but there are {k} effect sizes")
    if group_names is not None and len(list(group_names)) != len(groups):
        raise InputError(f"group_names: {len(list(group_names))} name(s) for {len(groups)} grouping variable(s)")
    X, names = design_matrix(y, mods, intercept, coef_names)
    p = X.shape[1]
    if k < 2:
        raise ModelError(f"a multilevel model needs at least 2 effect sizes; k = {k}")
    if p > k - 1:
        raise ModelError(f"{p} model coefficients for k = {k} effect sizes: at most k - 1 can be estimated")
    bs = BlockStructure(groups, knownV=V, struct=sdef, k=k)
    L = bs.L
    reml = method == "REML"
    fixed = np.full(L, np.nan) if sigma2_fixed is None else np.asarray(sigma2_fixed, float).ravel()
    if fixed.size != L:
        raise InputError(f"sigma2_fixed has {fixed.size} values for {L} variance components")
    isfixed = np.isfinite(fixed)
    # start: a share of the DL estimate of total heterogeneity per component
    fe = wls(y, X, 1 / v)
    trP = fe.tr_P()
    t0 = max((fe.rss - (k - p)) / trP, 0.01 * float(np.mean(v)))
    spar = None
    if sdef is not None:
        s2, spar, ev, it = _fit_struct(y, v, X, bs, sdef, reml, t0, fixed, isfixed, struct_fixed)
    else:
        s2, ev, it = fisher_scoring(
            y, v, X, bs, np.where(isfixed, fixed, t0 / L), reml, isfixed, method=method, tol=tol, maxiter=maxiter
        )
    dist = "t" if test == "t" else "z"
    if V is not None:
        QE = max(0.0, evaluate(y, v, X, bs, np.zeros(L), False, need_info=False).rVr)
    else:
        QE = max(0.0, fe.rss)
    gnames = list(group_names) if group_names is not None else [f"level{l + 1}" for l in range(L)]
    s_names = ["/".join(gnames[: l + 1]) for l in range(L)]
    res = RMAMVResult(
        **fit_fields(
            names,
            ev.beta,
            ev.M,
            X=X,
            yi=y,
            vi=v,
            method=method,
            test=test,
            dist=dist,
            level=level,
            QE=QE,
            btt=btt,
            intercept=intercept,
        ),
        ll=ev.ll,
        sigma2=s2,
        s_names=s_names,
        s_nlevels=bs.n_levels,
        iterations=it,
        groups=groups,
        structure=bs,
        sigma2_fixed=fixed if isfixed.any() else None,
    )
    res.refit_args = {
        "groups": groups,
        "V": V,
        "struct": struct,
        "method": method,
        "test": test,
        "level": level,
        "coef_names": names,
        "group_names": group_names,
        "btt": res.btt,
    }
    if sdef is not None:
        res.struct_type, res.struct_levels = sdef["type"], sdef["levels"]
        res.struct_tau2 = float(spar[0][0]) if sdef["type"] == "CS" else np.asarray(spar[0], float)
        res.struct_rho = float(spar[1])
    if res.intercept_only:
        pr = res.predict()
        crit = critical_value(res.level, res.dist, res.df)
        s = np.sqrt(pr.se[0] ** 2 + res.pi_variance)
        res.pi_lb, res.pi_ub = float(pr.pred[0] - crit * s), float(pr.pred[0] + crit * s)
    return res
