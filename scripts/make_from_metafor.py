"""Write docs/from-metafor.md: every function metafor exports and every argument of its
user-facing verbs, each mapped to evsynth's name or marked absent.

The metafor side is read from tests/r/metafor_api.json (``Rscript tests/r/metafor_api.R``);
the evsynth side of an argument is looked up in the signature of evsynth's verb (a metafor
argument whose name, dots as underscores, is a parameter of the verb maps to it), with the
renamings and notes of ``ARGS`` below.  tests/test_docs.py checks that the committed page is
what this script writes and names every export.

    .venv/bin/python scripts/make_from_metafor.py   # rewrites docs/from-metafor.md
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from evsynth.engine.effects import ARGUMENTS

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "tests" / "r" / "metafor_api.json"
PAGE = ROOT / "docs" / "from-metafor.md"

# metafor function (or generic) -> (evsynth, note); "" as evsynth: absent
FUNCS: dict[str, tuple[str, str]] = {
    "[": ("", "index the pandas data frame ``escalc`` returns"),
    "$<-": ("", "results are Python objects; set attributes"),
    "addpoly": ("", "``forest`` draws the pooled estimate; no added polygons"),
    "aggregate": ("", "no aggregation of dependent effects; fit ``rma_mv`` with ``vcalc``"),
    "AIC": ("fitstats", "``fitstats(fit)`` gives logLik, deviance, AIC, BIC, AICc"),
    "BIC": ("fitstats", "as AIC"),
    "logLik": ("fitstats", "as AIC"),
    "deviance": ("fitstats", "as AIC"),
    "nobs": ("", "``fit.k``"),
    "df.residual": ("", "``fit.k - fit.p``"),
    "anova": ("anova", "Wald tests of coefficients and likelihood-ratio tests of nested fits"),
    "as.data.frame": ("", "``result.to_frame()``"),
    "as.matrix": ("", "``result.to_frame().to_numpy()``"),
    "baujat": ("baujat", ""),
    "bldiag": ("", "``vcalc`` builds the block-diagonal known covariance"),
    "blsplit": ("", ""),
    "blup": ("blup", ""),
    "cbind": ("", "``pandas.concat``"),
    "rbind": ("", "``pandas.concat``"),
    "coef": ("", "``fit.beta`` (the block: ``fit.coefs``)"),
    "confint": ("confint_tau2", "Q-profile CI of tau^2 for ``rma``; ``confint_mv`` for ``rma_mv``"),
    "contrmat": ("", ""),
    "cooks.distance": ("influence", "``influence(fit).cooks_distance``; ``influence_mv`` for ``rma_mv``"),
    "dfbetas": ("influence", "``influence(fit)`` (dfbetas field); ``influence_mv`` for ``rma_mv``"),
    "hatvalues": ("influence", "``influence(fit).hat``"),
    "rstudent": ("influence", "``influence(fit).rstudent``"),
    "rstandard": ("", "standardised residuals are not a verb; ``influence(fit).rstudent`` gives the deleted ones"),
    "cumul": ("cumul", ""),
    "dfround": ("", ""),
    "escalc": ("escalc", "with ``data=``: the data frame with ``yi``, ``vi`` added"),
    "fitstats": ("fitstats", ""),
    "fitted": ("", "``fit.X @ fit.beta``, or ``predict(fit)``"),
    "forest": ("forest", "studies, intervals, the pooled diamond or fitted values; ``transf=``"),
    "formula": ("", ""),
    "fsn": ("fsn", ""),
    "funnel": ("funnel", "``contours=`` for the contour-enhanced funnel"),
    "galbraith": ("radial", "metafor's alias of ``radial``"),
    "gosh": ("gosh", "``gosh(fit).plot()`` draws it (metafor's ``plot.gosh.rma``)"),
    "hc": ("", ""),
    "head": ("", "pandas"),
    "tail": ("", "pandas"),
    "influence": ("influence", "``plot_influence(fit)`` draws metafor's ``plot(influence(fit))``"),
    "labbe": ("labbe", ""),
    "leave1out": ("leave1out", ""),
    "llplot": ("", ""),
    "matreg": ("", ""),
    "metafor.news": ("", ""),
    "model.matrix": ("", "``fit.X``"),
    "permutest": ("permutest", ""),
    "plot": (
        "plot_influence",
        "for ``infl.rma.uni``; ``gosh(fit).plot()`` for GOSH; the other plot methods are absent",
    ),
    "points": ("", ""),
    "predict": ("predict", "also ``fit.predict(newmods)``"),
    "print": ("", "``print(fit)`` / ``fit.summary()``"),
    "summary": ("", "``fit.summary()``"),
    "profile": ("", "no profile-likelihood plots; ``confint_mv`` gives profile-likelihood CIs"),
    "qqnorm": ("", ""),
    "radial": ("radial", ""),
    "ranef": ("ranef", ""),
    "ranktest": ("ranktest", ""),
    "rcalc": ("", ""),
    "regplot": ("regplot", "the bubble plot of a meta-regression; ``pi=`` adds the prediction band"),
    "regtest": ("regtest", ""),
    "replmiss": ("", ""),
    "reporter": ("", "the pipeline (``make report``) writes the report"),
    "residuals": ("", "``fit.yi - fit.X @ fit.beta``"),
    "rma": ("rma", ""),
    "rma.uni": ("rma", ""),
    "rma.glmm": ("", "no generalised linear mixed models"),
    "rma.mh": ("rma_mh", ""),
    "rma.mv": ("rma_mv", "``random=`` formulas, ``struct=`` CS/HCS"),
    "rma.peto": ("rma_peto", ""),
    "robust": ("robust", "always CR2 with Satterthwaite df (metafor's ``clubSandwich=TRUE``)"),
    "selmodel": ("selmodel", ""),
    "simulate": ("", ""),
    "tes": ("", ""),
    "to.long": ("", ""),
    "to.table": ("", ""),
    "to.wide": ("", ""),
    "trimfill": ("trimfill", ""),
    "update": ("", "call the verb again"),
    "vcalc": ("vcalc", ""),
    "vcov": ("", "``fit.vb``"),
    "vec2mat": ("", ""),
    "vif": ("", ""),
    "weights": ("", "``fit.weights`` (percent) / ``fit.model_weights()``"),
}
_BACK = "``evsynth.engine.effects.back_transform``"
for _t, _note in {
    "transf.exp.int": "",
    "transf.ilogit": f"{_BACK} (``expit``)",
    "transf.ztor": f"{_BACK} (``tanh``)",
    "transf.iarcsin": f"{_BACK} (``sin2``)",
    "transf.rtoz": "``numpy.arctanh``",
    "transf.logit": "``scipy.special.logit``",
    "transf.arcsin": "``numpy.arcsin(numpy.sqrt(p))``",
    "transf.isqrt": "``numpy.square``",
}.items():
    FUNCS[_t] = ("", _note)

# (metafor verb) -> evsynth verb whose signature maps the arguments
VERBS = {
    "escalc": "escalc",
    "rma.uni": "rma",
    "rma.mv": "rma_mv",
    "rma.mh": "rma_mh",
    "rma.peto": "rma_peto",
    "rma.glmm": None,
    "robust.rma.uni": "robust",
    "robust.rma.mv": "robust",
    "predict.rma": "predict",
    "confint.rma.uni": "confint_tau2",
    "anova.rma": "anova",
    "fitstats.rma": "fitstats",
    "ranef.rma.mv": "ranef",
    "blup.rma.uni": "blup",
    "vcalc": "vcalc",
    "influence.rma.uni": "influence",
    "leave1out.rma.uni": "leave1out",
    "cumul.rma.uni": "cumul",
    "trimfill.rma.uni": "trimfill",
    "regtest": "regtest",
    "ranktest": "ranktest",
    "fsn": "fsn",
    "selmodel.rma.uni": "selmodel",
    "permutest.rma.uni": "permutest",
    "forest.rma": "forest",
    "funnel.rma": "funnel",
    "regplot.rma": "regplot",
    "baujat.rma": "baujat",
    "labbe.rma": "labbe",
    "radial.rma": "radial",
    "gosh.rma": "gosh",
    "plot.infl.rma.uni": "plot_influence",
}

# (metafor verb, argument) -> evsynth's spelling or a note (overrides the signature lookup)
ARGS: dict[tuple[str, str], str] = {
    ("rma.uni", "data"): "``data=`` (a pandas DataFrame)",
    ("rma.uni", "mods"): "``mods=`` (a formula text, Series, DataFrame or array)",
    ("rma.uni", "tau2"): "absent (tau^2 is always estimated)",
    ("rma.mv", "V"): "``vi`` (variances) or ``V=vcalc(...)`` (block-diagonal covariance)",
    ("rma.mv", "random"): "``random=`` (``'~ 1 | a/b'`` or a list of such formulas)",
    ("rma.mv", "sigma2"): "``sigma2_fixed=``",
    ("rma.mv", "tau2"): "``struct_fixed={'tau2': ...}``",
    ("rma.mv", "rho"): "``struct_fixed={'rho': ...}``",
    ("rma.mv", "mods"): "``mods=`` (a formula text or array)",
    ("robust.rma.uni", "x"): "``fit``",
    ("robust.rma.mv", "x"): "``fit``",
    ("robust.rma.uni", "clubSandwich"): "always CR2 (clubSandwich's small-sample correction)",
    ("robust.rma.mv", "clubSandwich"): "always CR2 (clubSandwich's small-sample correction)",
    ("predict.rma", "object"): "``fit``",
    ("forest.rma", "x"): "``fit``",
    ("funnel.rma", "x"): "``fit``",
    ("funnel.rma", "level"): "``level=`` (and ``contours=`` for several levels)",
    ("regplot.rma", "x"): "``fit``",
    ("regplot.rma", "mod"): "``mod=`` (a coefficient name or metafor's position in the model matrix)",
    ("regplot.rma", "pi"): "``pi=``",
    ("regplot.rma", "plim"): "``plim=`` (the range of relative point sizes)",
    ("baujat.rma", "x"): "``fit``",
    ("labbe.rma", "x"): "``fit``",
    ("radial.rma", "x"): "``fit``",
    ("gosh.rma", "x"): "``fit``",
    ("gosh.rma", "subsets"): "``subsets=`` (the row sets; ``max_k=`` bounds the all-subsets case)",
    ("plot.infl.rma.uni", "x"): "``fit`` or ``influence(fit)``",
    ("influence.rma.uni", "model"): "``fit``",
    ("anova.rma", "object"): "``fit``",
    ("fitstats.rma", "object"): "``fit``",
    ("confint.rma.uni", "object"): "``fit``",
}
# notes for arguments evsynth's verb does not take (used only when the signature has no such parameter)
ABSENT_NOTES = {a: "absent (not needed in Python)" for a in ("verbose", "progbar", "parallel", "ncpus", "cl")}
ABSENT_NOTES["digits"] = "absent (``summary()`` prints metafor's digits)"
# the data arguments of escalc (the engine's list), the two only rma.uni takes, and escalc's options
for _a in (*ARGUMENTS, "sdi", "r2i", "measure", "add", "to", "drop00", "vtype"):
    ARGS[("rma.uni", _a)] = "absent here: compute ``yi``, ``vi`` with ``escalc`` first (see its table)"


def _vtype_note() -> str:
    """escalc's vtype: the estimators each measure takes (from the engine's VTYPES)."""
    from evsynth.engine.variances import VTYPES

    per = "; ".join(f"{m}: {', '.join(v)}" for m, v in VTYPES.items())
    return f"same (one name or one per study); {per}; every other measure: LS"


ARGS[("escalc", "vtype")] = _vtype_note()
for _v in ("rma.uni", "rma.mv", "rma.mh", "rma.peto"):
    ARGS.setdefault((_v, "data"), "``data=`` (a pandas DataFrame)")
    ARGS.setdefault((_v, "subset"), "``subset=`` (front ends) or select rows first")


def _base(name: str, exports: set[str]) -> str:
    if name in FUNCS:
        return name
    parts = name.split(".")
    for i in range(1, len(parts)):
        prefix = ".".join(parts[:i])
        if prefix in FUNCS:
            return prefix
    return name


def _params(verb: str) -> set[str]:
    import evsynth

    fn = getattr(evsynth, verb)
    names = set(inspect.signature(fn).parameters)
    if verb in evsynth.ENGINE_VERBS:  # a front end passes the engine's options on
        import importlib

        engine = getattr(importlib.import_module(evsynth.ENGINE_VERBS[verb]), verb)
        names |= set(inspect.signature(engine).parameters)
    if verb == "escalc":  # the data arguments some measure of the engine takes
        from evsynth.engine.effects import MEASURE_INFO

        names |= {a for required, *_ in MEASURE_INFO.values() for a in required} | {"n1i", "n2i"}
    return names - {"args", "options", "kwargs", "data_args"}


def render() -> str:
    api = json.loads(API.read_text(encoding="utf-8"))
    exports = list(api["exports"])
    groups: dict[str, list[str]] = {}
    for e in exports:
        groups.setdefault(_base(e, set(exports)), []).append(e)
    lines = [
        "# From metafor",
        "",
        "evsynth follows R's metafor (Viechtbauer 2010): the verbs carry metafor's names (dots as",
        "underscores: `rma.mv` is `rma_mv`), the arguments metafor's names, the results metafor's field",
        "names, and the numbers are tested against metafor's. This page lists every function metafor",
        f"{api['metafor']} exports and maps it to evsynth's, or says it is absent; then every argument of",
        "metafor's main verbs. It is written by `scripts/make_from_metafor.py` from",
        "`tests/r/metafor_api.json` (`Rscript tests/r/metafor_api.R`) and the signatures of evsynth's",
        "verbs; a test keeps it current.",
        "",
        "## Functions",
        "",
        "| metafor | evsynth | notes |",
        "|---|---|---|",
    ]
    for base in sorted(groups, key=str.lower):
        target, note = FUNCS.get(base, ("", ""))
        names = ", ".join(f"`{n}`" for n in sorted(groups[base], key=str.lower))
        lines.append(f"| {names} | {f'`evsynth.{target}`' if target else 'absent'} | {note.replace('|', '/')} |")
    lines += [
        "",
        "## Arguments",
        "",
        "\"same\": evsynth's verb takes the argument under metafor's name (dots as underscores).",
        "",
    ]
    for verb, args in api["args"].items():
        args = [args] if isinstance(args, str) else args
        ev = VERBS.get(verb)
        lines += [
            f"### `{verb}`" + (f" -> `evsynth.{ev}`" if ev else " (absent)"),
            "",
            "| metafor argument | evsynth |",
            "|---|---|",
        ]
        params = _params(ev) if ev else set()
        for a in args:
            if (verb, a) in ARGS:
                text = ARGS[(verb, a)]
            elif not ev:
                text = "absent"
            elif a.replace(".", "_") in params:
                text = "same" if "." not in a else f"``{a.replace('.', '_')}``"
            else:
                text = ABSENT_NOTES.get(a, "absent")
            lines.append(f"| `{a}` | {text} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
    print(PAGE)
