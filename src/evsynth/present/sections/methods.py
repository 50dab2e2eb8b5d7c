"""Methods: search, coding, statistics, direction of effects and the GRADE rules."""

from __future__ import annotations

from evsynth.present.i18n import _
from evsynth.present.document import M, Section, Text
from evsynth.texts import ESTIMATOR_WORDS, TEST_WORDS

__all__ = ["methods_section", "GRADE_METHODS"]


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
    '126-135: high "improves", moderate "probably improves", low "may improve", very low "we are '
    "uncertain whether\". The Dutch edition words the same statements in this project's own translation of "
    'Santesso et al. (2020): high "leidt tot", moderate "leidt waarschijnlijk tot", low "leidt mogelijk tot", '
    'very low "we zijn zeer onzeker of" (no published Dutch template of the statements could be cited). The '
    "thresholds are this project's explicit reading of GRADE's judgements.",
    "Small numbers of studies. Where a univariate model uses the Knapp-Hartung method, the pipeline uses "
    'metafor\'s ad hoc correction (test "adhoc"): the Knapp-Hartung scaling factor is never below 1, so an '
    "interval is never narrower than the z-based one (with two nearly equal studies the plain method can give "
    "an interval far narrower than either study's). A model is fitted only from a minimum number of "
    "independent studies (2 for a univariate model, 3 for a multilevel one), and a result resting on fewer "
    "than 5 studies is marked as such.",
]


def methods_section(ctx: dict) -> list[Section]:
    x = ctx["extraction"]
    return [
        Section(
            "methods",
            _("Methods"),
            [
                Text(
                    M(
                        _(
                            "Holwerda et al. (2014) searched Medline, Embase, ERIC, PsycINFO, SocINDEX, Web of Knowledge and the "
                            "Campbell and Cochrane libraries for studies published 2000 – February 2013; {} unique records were "
                            "screened, {} excluded on title and abstract, {} articles assessed in full text. Two reviewers selected "
                            "and scored studies independently and resolved differences by discussion (the flow diagram is below)."
                        ),
                        ctx["p_unique"],
                        ctx["p_excluded"],
                        ctx["p_fulltext"],
                    ),
                    lead=_("Search and selection."),
                ),
                Text(
                    M(
                        _(
                            "The study tables were coded from the appendices of the Holwerda review (Bijlage 5 and 6) with the source line of every "
                            "row; free text is kept verbatim and nothing the source does not say is filled in. Quality is the "
                            "published total of the 11-item form (Bijlage 1: items A–K, yes = 1, no or unclear = 0); studies "
                            "scoring below {} are excluded in the quality sensitivity analysis."
                        ),
                        ctx["min_score"],
                    ),
                    lead=_("Coding."),
                ),
                Text(
                    M(
                        _(
                            "Each pooled analysis uses the model declared in <code>config.yaml</code> (listed per analysis below): "
                            "random-effects models with the tau² estimator and test named there, three-level models for several "
                            "effect sizes per study, cluster-robust (CR2) inference where declared, {}% intervals, and permutation "
                            "tests seeded with {}. For the 47 studies, extracted effects are pooled per outcome domain (tau² estimator {}; "
                            "test: {}) when at least {} studies contribute. evsynth reproduces R metafor's results on its "
                            "conformance cases."
                        ),
                        ctx["level"],
                        ctx["seed"],
                        _(ESTIMATOR_WORDS.get(x["method"], x["method"])),
                        _(TEST_WORDS.get(x["test"], x["test"])),
                        x["min_k"],
                    ),
                    lead=_("Statistics."),
                ),
                Text(M("{}", _(ctx["direction_rule"])), lead=_("Direction of effects.")),
            ]
            + [Text(M("{}", _(p))) for p in GRADE_METHODS],
            new_page=True,
        )
    ]
