"""The references."""

from __future__ import annotations

from evsynth.present.i18n import _
from evsynth.present.document import M, Items, Section

__all__ = ["references_section", "references"]


def references_section(ctx: dict) -> list[Section]:
    return [Section("references", _("References"), [Items([M(_("{}"), r) for r in ctx["references"]])])]


def references(cfg: dict) -> list[str]:
    refs = [
        "Holwerda, A., Jansen, D. E. M. C., & Reijneveld, S. A. (2014). De effectiviteit van hulpverlening aan "
        "multiprobleemgezinnen: een systematische review. UMCG / Rijksuniversiteit Groningen.",
        "Nederlands Jeugdinstituut (2020). Wat werkt voor gezinnen met meervoudige en complexe problemen.",
        "Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. Journal of Statistical "
        "Software, 36(3), 1-48.",
        "Pustejovsky, J. E., & Tipton, E. (2018). Small-sample methods for cluster-robust variance estimation and "
        "hypothesis testing in fixed effects models. Journal of Business & Economic Statistics, 36(4), 672-683.",
        "Page, M. J., et al. (2021). The PRISMA 2020 statement. BMJ, 372, n71.",
        "Cohen, J. (1988). Statistical power analysis for the behavioral sciences (2nd ed.). Erlbaum.",
        "Schünemann, H., Brożek, J., Guyatt, G., & Oxman, A. (Eds.) (2013). GRADE handbook for grading quality of "
        "evidence and strength of recommendations. The GRADE Working Group.",
        "Guyatt, G. H., et al. (2011). GRADE guidelines 4-8 (risk of bias, publication bias, imprecision, "
        "inconsistency, indirectness). Journal of Clinical Epidemiology, 64, 407-415 and 1277-1310.",
        "Santesso, N., et al. (2020). GRADE guidelines 26: informative statements to communicate the findings of "
        "systematic reviews of interventions. Journal of Clinical Epidemiology, 119, 126-135.",
        "Cuello-Garcia, C. A., et al. (2022). GRADE guidance 24: optimizing the integration of randomized and "
        "non-randomized studies of interventions in evidence syntheses and health guidelines. Journal of Clinical "
        "Epidemiology, 142, 200-208.",
        "Knapp, G., & Hartung, J. (2003). Improved tests for a random effects meta-regression with a single "
        "covariate. Statistics in Medicine, 22, 2693-2710.",
        # sources of the glossary (evsynth.texts.GLOSSARY)
        "Higgins, J. P. T., et al. (Eds.) (2023). Cochrane Handbook for Systematic Reviews of Interventions, version "
        "6.4. Cochrane.",
        "Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009). Introduction to meta-analysis. "
        "Wiley.",
        "Sterne, J. A. C., et al. (2011). Recommendations for examining and interpreting funnel plot asymmetry in "
        "meta-analyses of randomised controlled trials. BMJ, 343, d4002.",
        "Viechtbauer, W. (2007). Confidence intervals for the amount of heterogeneity in meta-analysis. Statistics in "
        "Medicine, 26, 37-52.",
        "Campbell, M., et al. (2020). Synthesis without meta-analysis (SWiM) in systematic reviews: reporting "
        "guideline. BMJ, 368, l6890.",
        "Simonsohn, U., Simmons, J. P., & Nelson, L. D. (2020). Specification curve analysis. Nature Human "
        "Behaviour, 4, 1208-1214.",
    ]
    refs += [a["citation"] + f" Data: {a['data_source']}." for a in cfg["analyses"]]
    return refs
