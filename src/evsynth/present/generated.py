"""Sentences the pipeline and review stages write into result tables (the reasons of a GRADE
rating in ``certainty.csv``, the notes of a diagnostic or a fit, the names of sensitivity
analyses, figures not drawn) in the report's language.

Such a sentence carries numbers and names, so it cannot be a message of the catalog as a whole.
:data:`FRAGMENTS` lists the English forms the stages write, each a message whose placeholders
stand for a number (``{n…}``, written in the language's notation), a text read again through
:func:`words` (``{t…}``: a label, a nested note) or a value shown as it is (``{r…}``: data
values, internal names).  :func:`words` reads a sentence as a sequence of fragments joined by
``"; "``; a sentence that is not such a sequence is one message (``_``), so a form the stages
start to write without a fragment here is recorded as a missing translation
(``tests/test_report_languages.py``) rather than shown half translated."""

from __future__ import annotations

import re
from functools import lru_cache

from evsynth.present.i18n import N_, _, current

__all__ = ["FRAGMENTS", "words", "notation"]

_LOG = " (log scale)"
_CI_FORMS = [
    "the CI {n1} to {n2}{log} spans trivial to important effects (MID {n3}; {t1})",
    "the CI {n1} to {n2}{log} crosses no effect",
    "the CI {n1} to {n2}{log} includes both an important benefit and an important harm (MID {n3}; {t1})",
    "the CI {n1} to {n2}{log} excludes no effect and trivial effects",
]
_MODEL_FORMS = [
    "{n1} study; a {model} model is fitted from {n2} studies on (minimum k for this analysis type)",
    "{n1} studies; a {model} model is fitted from {n2} studies on (minimum k for this analysis type)",
]

# the English forms written by evsynth.review.grade, evsynth.pipeline (job, diagnose, analysis)
# and the figures (plots.FUNNEL_TOO_FEW); each is a message of the catalog
FRAGMENTS: list[str] = [
    N_("not assessed: the data carry no per-study risk-of-bias judgement"),
    N_("I² = {n1} %"),
    N_("the prediction interval {n1} to {n2} crosses no effect while the CI does not"),
    N_("I² = {n1} % and the prediction interval {n2} to {n3} crosses no effect"),
    N_("I² = {n1} %; prediction interval {n2} to {n3}"),
    N_("I² = {n1} %; no prediction interval"),
    N_("a single effect size: heterogeneity cannot be judged"),
    N_("{n1} % of the weight from high-risk studies ({t1})"),
    N_("{n1} % of the weight has no judgement"),
    N_("{n1} % of the weight has no judgement ({t1})"),
    N_("total N {n1} ({t1}) is below the optimal information size {n2}"),
    N_("total N {n1} >= OIS {n2}"),
    N_("no indirectness declared"),
    N_("funnel-based checks not run for a multilevel model (they assume independent effects)"),
    *[N_(f.replace("{log}", "")) for f in _CI_FORMS],
    *[N_(f.replace("{log}", _LOG)) for f in _CI_FORMS],
    N_("Egger's test p = {n1} < .10"),
    N_("trim-and-fill adds {n1} studies and moves the estimate by {n2} to {n3}"),
    N_(
        "statistics found for {n1} of the {n2} studies that measured this outcome ({n3} % could not be found "
        "in public text): reporting bias suspected (>= {n4} % missing)"
    ),
    N_(
        "statistics found for {n1} of the {n2} studies that measured this outcome ({n3} % could not be found in public text)"
    ),
    N_("k = {n1} < 10: too few effect sizes for Egger's test or trim-and-fill"),
    N_(
        "No funnel plot: {n1} studies; a funnel plot and tests of its asymmetry need at least 10 studies to "
        "distinguish chance from small-study effects (Sterne et al., 2011)."
    ),
    N_(
        "{r1}: not run: {n1} studies; tests and adjustments for small-study effects are run from {n2} studies "
        "(small_study_min_k; Sterne et al. 2011, BMJ 343:d4002)"
    ),
    N_(
        "Forest plot: {n1} rows exceed the limit of {n2} rows a forest draws, so it shows the pooled "
        "result only; every row's estimate and interval is in {r1}. Raise the limit with the config "
        "key limits.forest_rows to draw them ({n3} pages)."
    ),
    N_("permutation ({t1}): {t2}"),
    N_("{t1}: {n1} study carries it; a meta-regression needs at least {n2} (moderator_min_studies): not tested"),
    N_("{t1}: {n1} studies carry it; a meta-regression needs at least {n2} (moderator_min_studies): not tested"),
    *[N_(f.format(n1="{n1}", n2="{n2}", model=m)) for f in _MODEL_FORMS for m in ("univariate", "multilevel")],
    *[
        N_("{t0}: " + f.format(n1="{n1}", n2="{n2}", model=m))
        for f in _MODEL_FORMS
        for m in ("univariate", "multilevel")
    ],
    N_("{t1} = {r1}: not pooled ({t2})"),
    N_("excluding {t1} in {r1}"),
    # notes of the extraction's pooling per domain (evsynth.review.extraction)
    N_("no effect sizes have been extracted yet"),
    N_("no effect sizes have been extracted yet; nothing is pooled"),
    N_("not coded (the sources do not state it)"),
    N_("{n1} studies with a value: too few for a meta-regression"),
    N_("{n1} studies pass the filter: fewer than {n2}"),
    N_("{n1} study: fewer than {n2}, not pooled"),
    N_("{n1} studies: fewer than {n2}, not pooled"),
    N_("not estimated: {t1}"),
    N_("not pooled: {t1}"),
    N_("extracted effects: moderator '{r1}' has only one level ('{r2}') in the data analysed; it cannot be estimated"),
    N_("extracted effects: moderator '{r1}' has the same value ({r2}) in every row; it cannot be estimated"),
]

_NUMBER = r"-?\d+(?:\.\d+)?"
_PLACE = re.compile(r"\{([ntr])(\d+)\}")


@lru_cache(maxsize=None)
def _pattern(form: str) -> tuple[re.Pattern, tuple[str, ...]]:
    """``form`` as a regular expression anchored at both ends of a fragment, and its fields."""
    out, names, pos = [], [], 0
    for m in _PLACE.finditer(form):
        out.append(re.escape(form[pos : m.start()]))
        out.append(f"({_NUMBER})" if m.group(1) == "n" else "(.+?)")
        names.append(m.group(1) + m.group(2))
        pos = m.end()
    out.append(re.escape(form[pos:]))
    return re.compile("".join(out)), tuple(names)


def _value(kind: str, text: str) -> str:
    if kind == "n":  # a number as the stage wrote it, in the language's notation
        if current() == "en":
            return text
        from babel.numbers import get_decimal_symbol

        return re.sub(r"(?<=\d)\.(?=\d)", get_decimal_symbol(current()), text)
    if kind == "t":
        return words(text)
    return text


def _fragments(text: str) -> list[tuple[str, dict]] | None:
    """``text`` as fragments joined by ``"; "`` (the first reading found), or None."""
    if not text:
        return []
    for form in FRAGMENTS:
        pat, names = _pattern(form)
        for end in [m.end() for m in re.finditer("; ", text)] + [len(text) + 2]:
            m = pat.fullmatch(text, 0, end - 2)
            if not m:
                continue
            rest = _fragments(text[end:]) if end <= len(text) else []
            if rest is not None:
                return [(form, dict(zip(names, m.groups())))] + rest
    return None


def notation(text) -> str:
    """A number as a data file writes it (``0.2667``), in the notation of the report's language;
    any other text unchanged."""
    text = "" if text is None else str(text)
    return _value("n", text) if re.fullmatch(_NUMBER, text.strip()) else text


def words(text) -> str:
    """A sentence written by a pipeline or review stage, in the report's language."""
    text = "" if text is None else str(text)
    if current() == "en" or not any(c.isalpha() for c in text):
        return text
    parts = _fragments(text)
    if not parts:
        return _(text)
    return "; ".join(_(form).format(**{k: _value(k[0], v) for k, v in fields.items()}) for form, fields in parts)
