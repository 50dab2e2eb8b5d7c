"""Writes the five notebooks with their executed outputs (run ``make report`` once, then
``python notebooks/make_notebooks.py``; ``--no-execute`` writes the cells only).  They import
the library and never copy its code.

Each notebook opens with a question, draws plots, explains the numbers that look odd, ends
with exercises whose worked solutions are hidden by default (a collapsed ``<details>`` block
for the reasoning and a code cell with ``jupyter.source_hidden`` for the code) and a
reading list."""

import copy
import re
import sys
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent
_METADATA = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}


def nb(cells):
    n = nbf.v4.new_notebook()
    n.metadata = copy.deepcopy(_METADATA)
    out = []
    for i, c in enumerate(cells):
        kind, src = c[0], c[1]
        if kind == "md":
            cell = nbf.v4.new_markdown_cell(src)
        else:
            cell = nbf.v4.new_code_cell(src)
            if kind == "solution":  # worked solution: collapsed in Jupyter and JupyterLab
                cell.metadata["jupyter"] = {"source_hidden": True}
                cell.metadata["tags"] = ["solution"]
        cell["id"] = f"cell-{i:02d}"  # fixed ids: regenerating gives the same bytes
        out.append(cell)
    n.cells = out
    return n


def exercise(number: int, question: str, reasoning: str, code: str | None = None) -> list:
    """An exercise, its worked solution in a collapsed block, and (optionally) the
    solution's code in a hidden code cell."""
    cells = [
        (
            "md",
            f"**Exercise {number}.** {question}\n\n<details>\n<summary>Worked solution (click to open)"
            f"</summary>\n\n{reasoning}\n\n</details>",
        )
    ]
    if code:
        cells.append(("solution", f"# Worked solution to exercise {number} (hidden by default)\n{code}"))
    return cells


def reading(items: list[str]) -> tuple:
    return ("md", "## Reading list\n\n" + "\n".join(f"- {i}" for i in items))


def closing(exercises: list[tuple], references: str) -> list:
    """How every notebook ends: its exercises, numbered from 1, each ``(question, worked
    solution[, solution code])`` (see :func:`exercise`), then the reading list, given as
    space-separated keys of ``REF``."""
    cells = [cell for i, ex in enumerate(exercises, 1) for cell in exercise(i, *ex)]
    return cells + [reading([REF[key] for key in references.split()])]


REF = {
    "borenstein": "Borenstein, Hedges, Higgins & Rothstein (2009). *Introduction to Meta-Analysis*. Wiley. "
    "Chapters 10-16 (random effects, heterogeneity, I²).",
    "viechtbauer": "Viechtbauer (2010). Conducting meta-analyses in R with the metafor package. "
    "*Journal of Statistical Software* 36(3), 1-48 (the functions evsynth mirrors).",
    "higgins2002": "Higgins & Thompson (2002). Quantifying heterogeneity in a meta-analysis. "
    "*Statistics in Medicine* 21, 1539-1558 (I² and H²).",
    "riley": "Riley, Higgins & Deeks (2011). Interpretation of random effects meta-analyses. *BMJ* 342, d549 "
    "(prediction intervals).",
    "veroniki": "Veroniki et al. (2016). Methods to estimate the between-study variance and its uncertainty in "
    "meta-analysis. *Research Synthesis Methods* 7, 55-79 (DL, REML, PM, EB, ML compared).",
    "knha": "Knapp & Hartung (2003). Improved tests for a random effects meta-regression with a single "
    "covariate. *Statistics in Medicine* 22, 2693-2710.",
    "inthout": "IntHout, Ioannidis & Borm (2014). The Hartung-Knapp-Sidik-Jonkman method for random effects "
    "meta-analysis is straightforward and considerably outperforms the standard DerSimonian-Laird "
    "method. *BMC Medical Research Methodology* 14, 25.",
    "pm": "Paule & Mandel (1982). Consensus values and weighting factors. *Journal of Research of the "
    "National Bureau of Standards* 87, 377-385.",
    "thompson2002": "Thompson & Higgins (2002). How should meta-regression analyses be undertaken and "
    "interpreted? *Statistics in Medicine* 21, 1559-1573.",
    "higgins2004": "Higgins & Thompson (2004). Controlling the risk of spurious findings from meta-regression. "
    "*Statistics in Medicine* 23, 1663-1682 (permutation tests).",
    "landenberger": "Landenberger & Lipsey (2005). The positive effects of cognitive-behavioral programs for "
    "offenders. *Journal of Experimental Criminology* 1, 451-476.",
    "assink": "Assink & Wibbelink (2016). Fitting three-level meta-analytic models in R: a step-by-step "
    "tutorial. *The Quantitative Methods for Psychology* 12, 154-174.",
    "cheung": "Cheung (2014). Modeling dependent effect sizes with three-level meta-analyses: a structural "
    "equation modeling approach. *Psychological Methods* 19, 211-229 (I² per level).",
    "pustejovsky": "Pustejovsky & Tipton (2018). Small-sample methods for cluster-robust variance estimation and "
    "hypothesis testing in fixed effects models. *Journal of Business & Economic Statistics* 36, "
    "672-683 (CR2).",
    "vanderpol": "van der Pol, Hoeve, Noom, Stams, Doreleijers, van Domburgh & Vermeiren (2017). Research "
    "Review: The effectiveness of multidimensional family therapy in treating adolescents with "
    "multiple behavior problems - a meta-analysis. *Journal of Child Psychology and Psychiatry* "
    "58(5), 532-545.",
    "grade": "Guyatt et al. (2008). GRADE: an emerging consensus on rating quality of evidence and strength of "
    "recommendations. *BMJ* 336, 924-926; and the GRADE guidelines series in the *Journal of Clinical "
    "Epidemiology* (2011): 4 risk of bias, 5 publication bias, 6 imprecision, 7 inconsistency, "
    "8 indirectness.",
    "sterne": "Sterne et al. (2011). Recommendations for examining and interpreting funnel plot asymmetry in "
    "meta-analyses of randomised controlled trials. *BMJ* 343, d4002 (why at least 10 studies).",
    "epstein": "Epstein, Fonnesbeck, Potter, Rizzone & McPheeters (2015). Psychosocial interventions for child "
    "disruptive behaviors: a meta-analysis. *Pediatrics* 136(5), 947-960 (the trials of notebook 00).",
    "viechtbauer2007": "Viechtbauer (2007). Confidence intervals for the amount of heterogeneity in meta-analysis. "
    "*Statistics in Medicine* 26, 37-52 (the Q-profile interval for tau²).",
    "holwerda": "Holwerda, Jansen & Reijneveld (2014). *Effectieve elementen van hulp aan multiprobleemgezinnen* "
    "(the review whose 47 studies this project codes).",
}

ROOTLINE = "ROOT = Path.cwd().parent if Path.cwd().name == 'notebooks' else Path.cwd()"

SETUP = f"""from pathlib import Path
import subprocess, sys
{ROOTLINE}
RESULTS = ROOT / "results"
if not (RESULTS / "report.html").exists():
    # a fresh clone: run the pipeline once (the same as `make report`)
    snakemake = Path(sys.executable).parent / "snakemake"
    subprocess.run([str(snakemake), "--cores", "2", "--quiet", "all"], cwd=ROOT, check=True)
print('reading', RESULTS.relative_to(ROOT))"""

# ---------------------------------------------------------------------------------------------
NB1 = nb(
    [
        (
            "md",
            "# 1. Rerun and explore\n\n**Question: what did the pipeline find, and how much do the shipped "
            "analyses disagree with each other?**\n\nThis notebook loads what the pipeline wrote to `results/` "
            "(the coded studies, the quality scores and each pooled analysis) and looks at it. It runs the "
            "pipeline first if a fresh clone has no results yet.",
        ),
        ("code", SETUP),
        (
            "code",
            "import pandas as pd\nimport matplotlib.pyplot as plt\n"
            "studies = pd.read_csv(RESULTS / 'studies' / 'study_characteristics.csv')\n"
            "studies[['row', 'authors', 'year', 'intervention_type', 'design', 'quality_score']].head(10)",
        ),
        ("md", "## How many studies of each type and design?"),
        ("code", "types = pd.read_csv(RESULTS / 'studies' / 'intervention_types.csv')\ntypes"),
        (
            "code",
            "qd = pd.read_csv(RESULTS / 'studies' / 'quality_by_design.csv')\n"
            "qd[['design', 'n_articles', 'n_scored', 'median', 'min', 'max']]",
        ),
        (
            "code",
            "from IPython.display import Image\n"
            "Image(filename=str(ROOT / 'figures' / 'studies' / 'quality_by_design.png'), width=640)",
        ),
        (
            "md",
            "The published quality total runs from 0 to 11 (the 11-item form in appendix 1, *Bijlage 1*, of "
            "Holwerda et al., 2014). Studies without a total in the source (`NaN` in the first table) are counted "
            "in the legend and drawn nowhere: an empty cell in the source stays empty here.",
        ),
        (
            "md",
            "## The pooled analyses\n\nOne row per analysis from each `heterogeneity.csv`. I² is a percentage: "
            "the share of the variation between effect sizes that is not sampling error. Analyses whose id starts "
            "with `holwerda_` pool the review's own studies (effect sizes extracted from public text, "
            "`data/extraction/`); the others use published per-study data from other reviews "
            "(`data/external/README.md`).",
        ),
        (
            "code",
            "import yaml\ncfg = yaml.safe_load((ROOT / 'config.yaml').read_text())\n"
            "rows = []\nfor a in cfg['analyses']:\n"
            "    h = pd.read_csv(RESULTS / a['id'] / 'heterogeneity.csv').iloc[0]\n"
            "    rows.append({'analysis': a['id'], 'model': a['model']['type'], 'k': int(h['k']),\n"
            "                 'estimate': h['estimate'], 'ci_lb': h['ci_lb'], 'ci_ub': h['ci_ub'],\n"
            "                 'tau2': h['tau2'], 'I2': h.get('I2')})\n"
            "pooled = pd.DataFrame(rows)\n"
            "shown = pooled.round(3)\n"
            "shown['I2'] = [f'{v:.1f}%' if pd.notna(v) else 'not given' for v in pooled['I2']]\n"
            "shown",
        ),
        (
            "md",
            "Different analyses use different scales (standardised mean differences, log odds ratios, partial "
            "correlations), so the estimates are not comparable with one another. I² has no unit and can be set side "
            "by side, but with care: it grows as the studies get larger, so a high I² in an analysis of large "
            "studies need not mean larger differences between programmes (Borenstein et al., 2009, ch. 16). For the "
            "multilevel analyses `tau2` is the sum of the variance components (between and within studies).",
        ),
        (
            "code",
            "has = pooled.dropna(subset=['I2'])\nfig, ax = plt.subplots(figsize=(7, 1 + 0.3 * len(has)))\n"
            "ax.barh(has['analysis'], has['I2'], color='#0072B2')\n"
            "ax.set_xlim(0, 100)\nax.set_xlabel('I² (%)')\nax.invert_yaxis()\n"
            "for y, v in enumerate(has['I2']):\n    ax.text(v + 1, y, f'{v:.1f}%', va='center')\n"
            "ax.set_title('How much of the variation is heterogeneity?', loc='left')\nplt.show()",
        ),
        (
            "md",
            "## Refit one analysis with the library\n\nThe same numbers come from the library directly "
            "(Barlow et al., 2014; the pipeline flips the sign so that a positive value means improvement). "
            "`config.yaml` declares this analysis as REML with `test: adhoc`: Knapp-Hartung's t test with its "
            "scaling factor truncated at 1, so that the interval is never narrower than the z interval.",
        ),
        (
            "code",
            "from evsynth import rma\neff = pd.read_csv(RESULTS / 'barlow2014' / 'effects.csv')\n"
            "fit = rma(eff['yi'], eff['vi'], method='REML', test='adhoc')\nprint(fit.summary())",
        ),
        (
            "code",
            "h = pd.read_csv(RESULTS / 'barlow2014' / 'heterogeneity.csv').iloc[0]\n"
            "print(f\"pipeline: {h['estimate']:.4f} [{h['ci_lb']:.4f}, {h['ci_ub']:.4f}]; \"\n"
            '      f"library: {fit.estimate:.4f} [{fit.ci_lb[0]:.4f}, {fit.ci_ub[0]:.4f}]; I² = {fit.I2:.1f}%")',
        ),
        ("code", "Image(filename=str(ROOT / 'figures' / 'barlow2014' / 'forest.png'), width=760)"),
        (
            "md",
            "The forest plot shows each study's estimate with its 95% confidence interval (square area = weight), "
            "the pooled estimate as a diamond and, below it in vermillion (orange-red), the prediction interval: where the effect of a new "
            "study like these would lie. It is much wider than the diamond because tau² > 0.",
        ),
        *closing(
            [
                (
                    "Which shipped analysis has the largest I², and what does that number mean for a policy reader?",
                    "Run the solution cell: it sorts the table by I². I² is the share (in %) of the observed variation "
                    "that reflects real differences between studies rather than chance. A high I² says the average hides "
                    "studies with much larger or smaller effects: read the prediction interval, not only the pooled "
                    "estimate, and ask what differs between the studies (programmes, families, measures).",
                    "top = pooled.sort_values('I2', ascending=False).iloc[0]\nprint(f\"{top['analysis']}: I² = {top['I2']:.1f}%\")",
                ),
                (
                    "Refit Barlow et al. with `method='DL'` and the z test (no Knapp-Hartung adjustment). Does the conclusion change?",
                    "DerSimonian-Laird gives a slightly different tau², and the z test a narrower interval than "
                    "Knapp-Hartung's t test, but the interval stays on the same side of zero: the conclusion holds.",
                    "dl = rma(eff['yi'], eff['vi'], method='DL')\nprint(f'{dl.estimate:.3f} [{dl.ci_lb[0]:.3f}, "
                    "{dl.ci_ub[0]:.3f}], tau2 = {dl.tau2:.4f}')",
                ),
            ],
            "borenstein higgins2002 riley viechtbauer holwerda",
        ),
    ]
)

# ---------------------------------------------------------------------------------------------
NB0 = nb(
    [
        (
            "md",
            "# 0. Start here: from two groups to one answer\n\n"
            "**Question: do parent-training programmes reduce children's disruptive behaviour, and how do we "
            "combine sixteen trials into one answer?**\n\n"
            "This notebook is for a student who has not yet had a course in meta-analysis. It explains, on real "
            "data and in this order:\n\n"
            "1. what an *effect size* is: a standardised mean difference computed from two groups' means and "
            "standard deviations;\n"
            "2. why studies get different *weights* when they are combined (inverse variance);\n"
            "3. the difference between a *fixed-effect* and a *random-effects* model, and what *tau²* is;\n"
            "4. how to read a *forest plot*.\n\n"
            "The other notebooks (01 to 04) build on these ideas. Run the cells from top to bottom "
            "(Shift+Enter); each exercise at the end has a worked solution that is hidden until you open it.",
        ),
        (
            "md",
            "## The data\n\nThe trials come from the working data of a review of psychosocial programmes for "
            "children's disruptive behaviour (Epstein et al., 2015; the extraction is shipped in "
            "`data/ahrq2015/`, see its README). Parents filled in the *Eyberg Child Behavior Inventory* "
            "(ECBI) intensity scale at the end of treatment: 36 behaviours, each scored 1 to 7 for how often it "
            "occurs, so totals run from 36 to 252 and **a higher score means more behaviour problems**.\n\n"
            "We keep the randomised trials that compare a programme with a waiting list or usual care, one "
            "comparison per study (the first listed, so that no family is counted twice). The columns use "
            "metafor's names: `m1i`, `sd1i`, `n1i` are the mean, standard deviation and number of families in "
            "the programme group, `m2i`, `sd2i`, `n2i` those of the comparison group.",
        ),
        (
            "code",
            f"from pathlib import Path\nimport numpy as np, pandas as pd\nimport matplotlib.pyplot as plt\n"
            "from scipy import stats\nfrom evsynth import escalc, rma\n"
            f"{ROOTLINE}\n"
            "a = pd.read_csv(ROOT / 'data' / 'ahrq2015' / 'comparisons.csv')\n"
            "ecbi = a[(a['instrument'] == 'Eyberg Child Behaviour Inventory, Intensity Subscale')\n"
            "         & (a['reporter'] == 'Parent') & (a['design'] == 'RCT')]\n"
            "ecbi = ecbi.drop_duplicates('ref_id').reset_index(drop=True)  # one comparison per study\n"
            "# two papers are both 'Markie-Dadds 2006': the review's reference number tells them apart\n"
            "twice = ecbi['study'].duplicated(keep=False)\n"
            "ecbi['label'] = ecbi['study'].where(~twice, ecbi['study'] + ' (ref ' + ecbi['ref_id'].astype(str) + ')')\n"
            "print(f'{len(ecbi)} trials')\n"
            "ecbi[['label', 'programme_derived', 'comparator_type', 'm1i', 'sd1i', 'n1i', 'm2i', 'sd2i', 'n2i']]",
        ),
        (
            "md",
            "## 1. One trial, one effect size\n\nTake the first trial: the trial listed as Kjobli 2012 "
            "compared Parent Management Training - Oregon model (PMTO) with usual care. At the end, the PMTO group "
            "scored 106.06 and the usual-care group 114.43: 8.4 points fewer problems. Is that a lot? It depends "
            "on the scale: 8 points on a 36-252 scale is not 8 points on a 1-10 scale. So we divide the "
            "difference by the standard deviation that the two groups share (the *pooled* SD). The result, "
            "**Cohen's d**, says by how many standard deviations the groups differ, whatever the scale:\n\n"
            "$$s_p = \\sqrt{\\frac{(n_1-1)\\,sd_1^2 + (n_2-1)\\,sd_2^2}{n_1+n_2-2}}, \\qquad "
            "d = \\frac{\\bar x_2 - \\bar x_1}{s_p}.$$\n\n"
            "We subtract the programme mean from the comparison mean, so that **a positive d means fewer problems "
            "with the programme**. In small samples d is a little too large on average; multiplying by "
            "$J \\approx 1 - \\frac{3}{4(n_1+n_2-2)-1}$ corrects this and gives **Hedges' g**. Finally, every "
            "estimate comes with a *sampling variance*, the square of its standard error: how much g would "
            "vary if the trial were repeated with other families (Borenstein et al., 2009, ch. 4):\n\n"
            "$$v = \\frac{n_1+n_2}{n_1 n_2} + \\frac{g^2}{2(n_1+n_2)}.$$",
        ),
        (
            "code",
            "s = ecbi.iloc[0]  # Kjobli 2012: PMTO versus usual care\n"
            "sp = np.sqrt(((s.n1i - 1) * s.sd1i**2 + (s.n2i - 1) * s.sd2i**2) / (s.n1i + s.n2i - 2))\n"
            "d = (s.m2i - s.m1i) / sp\n"
            "J = 1 - 3 / (4 * (s.n1i + s.n2i - 2) - 1)\n"
            "g = J * d\n"
            "v = (s.n1i + s.n2i) / (s.n1i * s.n2i) + g**2 / (2 * (s.n1i + s.n2i))\n"
            "print(f'pooled SD = {sp:.2f} ECBI points')\n"
            "print(f\"Cohen's d = {d:.4f}; Hedges' g = {g:.4f}; variance v = {v:.4f}; standard error = {np.sqrt(v):.4f}\")",
        ),
        (
            "md",
            "A difference of about 0.3 standard deviations: by a common rule of thumb (Cohen), 0.2 is small, 0.5 "
            "medium and 0.8 large, but what matters in practice depends on the outcome. The library computes the "
            "same numbers for every trial at once with `escalc` (metafor's name; measure `'SMD'` is Hedges' g, "
            "with the exact form of the correction J). `escalc` subtracts the second group from the first, so we "
            "flip the sign to keep *positive = fewer problems*.",
        ),
        (
            "code",
            "es = escalc('SMD', m1i=ecbi['m1i'], sd1i=ecbi['sd1i'], n1i=ecbi['n1i'],\n"
            "            m2i=ecbi['m2i'], sd2i=ecbi['sd2i'], n2i=ecbi['n2i'])\n"
            "ecbi['yi'] = -es.yi  # flipped: positive = fewer behaviour problems with the programme\n"
            "ecbi['vi'] = es.vi\n"
            "print(f\"{ecbi.loc[0, 'label']} from escalc: g = {ecbi.loc[0, 'yi']:.4f}, v = {ecbi.loc[0, 'vi']:.4f}\")\n"
            "ecbi[['label', 'n1i', 'n2i', 'yi', 'vi']].round(4)",
        ),
        (
            "md",
            "## 2. Why trials get weights\n\nThe sixteen values of g differ. Some of that is chance: a trial "
            "with 12 families per group gives a much noisier estimate than one with 108. A fair average "
            "therefore trusts precise trials more. The most precise combination gives each trial a weight equal "
            "to one over its variance, $w_i = 1/v_i$ (*inverse-variance weighting*), and averages:\n\n"
            "$$\\hat\\mu = \\frac{\\sum_i w_i\\, y_i}{\\sum_i w_i}, \\qquad "
            "SE(\\hat\\mu) = \\frac{1}{\\sqrt{\\sum_i w_i}}.$$\n\n"
            "This is the **fixed-effect** (or *equal-effects*) model: it assumes that every trial estimates one "
            "and the same true effect and differs from it only by chance.",
        ),
        (
            "code",
            "w = 1 / ecbi['vi']\n"
            "mu = np.sum(w * ecbi['yi']) / np.sum(w)\n"
            "print(f'by hand: {mu:.4f} (SE {1 / np.sqrt(np.sum(w)):.4f})')\n"
            "fe = rma(ecbi['yi'], ecbi['vi'], method='EE')  # EE = equal effects, metafor's name for fixed effect\n"
            "print(f'rma(method=\"EE\"): {fe.estimate:.4f} (SE {fe.se[0]:.4f}), 95% CI [{fe.ci_lb[0]:.4f}, {fe.ci_ub[0]:.4f}]')",
        ),
        (
            "md",
            "## 3. Is one true effect believable? Heterogeneity, tau² and the random-effects model\n\n"
            "If all trials shared one true effect, the weighted squared distances from the average,\n\n"
            "$$Q = \\sum_i w_i (y_i - \\hat\\mu)^2,$$\n\n"
            "would be about their degrees of freedom, k - 1 = 15. A much larger Q says that the true effects "
            "themselves differ between trials: other programmes, other families, other countries. "
            "**I²** turns Q into a percentage: the share of the variation in the estimates that is not chance "
            "(Higgins & Thompson, 2002).",
        ),
        (
            "code",
            "Q = np.sum(w * (ecbi['yi'] - mu) ** 2)\n"
            "df = len(ecbi) - 1\n"
            "print(f'Q = {Q:.2f} on {df} degrees of freedom (p = {stats.chi2.sf(Q, df):.2g})')\n"
            "print(f'I² = (Q - df) / Q = {100 * (Q - df) / Q:.1f}%')",
        ),
        (
            "md",
            "Q is three times its degrees of freedom: the trials disagree more than chance allows. The "
            "**random-effects model** accepts this. Each trial has its own true effect, and those true effects "
            "scatter around an average μ with a variance **tau²** (τ², the *between-study variance*). A trial's "
            "estimate now varies for two reasons, its own sampling error $v_i$ and the spread of true effects "
            "τ², so its weight becomes $w_i = 1/(v_i + \\tau^2)$. tau² is not known; it is estimated from the "
            "data (here with REML, the default; notebook 02 compares the estimators). The question also changes: "
            "the random-effects model estimates the *average* of the true effects, not one common effect.",
        ),
        ("code", "re = rma(ecbi['yi'], ecbi['vi'], method='REML')\nprint(re.summary())"),
        (
            "code",
            "weights = pd.DataFrame({'trial': ecbi['label'], 'children': ecbi['n1i'] + ecbi['n2i'], 'g': ecbi['yi'],\n"
            "                        'weight fixed (%)': fe.weights, 'weight random (%)': re.weights})\n"
            "weights.round(2)",
        ),
        (
            "code",
            "order = np.argsort(weights['children'].to_numpy())\n"
            "y = np.arange(len(weights))\n"
            "fig, ax = plt.subplots(figsize=(7.5, 4.5))\n"
            "ax.barh(y - 0.2, weights['weight fixed (%)'].to_numpy()[order], height=0.4, color='#0072B2', label='fixed effect')\n"
            "ax.barh(y + 0.2, weights['weight random (%)'].to_numpy()[order], height=0.4, color='#E69F00', label='random effects')\n"
            "ax.set_yticks(y, [f'{t} (n = {n})' for t, n in zip(weights['trial'].to_numpy()[order], weights['children'].to_numpy()[order])])\n"
            "ax.set_xlabel('weight (% of the total)')\n"
            "ax.set_title('Random effects share the weight more evenly', loc='left')\n"
            "ax.legend(loc='lower right', frameon=False)\nplt.show()",
        ),
        (
            "md",
            "**What changed.** Under the fixed-effect model the largest trial, Kjobli 2012 (216 children), carries "
            "more than a fifth of the weight (22%); under random effects tau² is added to every variance, so the large "
            "trials lose weight and the small ones gain it. Here the small trials found larger effects, so the "
            "random-effects average (about 0.87) is higher than the fixed-effect one (about 0.70). That the "
            "smallest trials show the largest effects is itself a warning sign (*small-study effects*, for "
            "instance because small trials with disappointing results were less often published); notebook 04 "
            "shows how to look for it.\n\n"
            "The random-effects output also gives a **prediction interval**: where the true effect of a new, "
            "comparable trial would lie with 95% probability. It is much wider than the confidence interval of "
            "the average, because it includes the spread of true effects (tau²), not only the uncertainty about "
            "their mean (Riley et al., 2011).",
        ),
        (
            "md",
            "## 4. The forest plot\n\nA forest plot shows all of this on one page. Each row is a trial: the "
            "square is its g, the square's area its weight, the horizontal line its 95% confidence interval "
            "($g \\pm 1.96\\sqrt{v}$). The diamond is the pooled average (its width the confidence interval), "
            "and the line drawn in vermillion (orange-red) below it is the prediction interval. The dashed "
            "vertical line is *no effect* (g = 0).",
        ),
        (
            "code",
            "from evsynth.present.plots import forest_plot\n"
            "z = stats.norm.isf(0.025)  # 1.96: the 95% interval of each trial\n"
            "rows = pd.DataFrame({'label': ecbi['label'] + ' (' + ecbi['programme_derived'] + ')', 'yi': ecbi['yi'],\n"
            "                     'vi': ecbi['vi'], 'ci_lb': ecbi['yi'] - z * np.sqrt(ecbi['vi']),\n"
            "                     'ci_ub': ecbi['yi'] + z * np.sqrt(ecbi['vi']), 'weight': re.weights})\n"
            "pooled = {'estimate': re.estimate, 'ci_lb': re.ci_lb[0], 'ci_ub': re.ci_ub[0], 'pi_lb': re.pi_lb,\n"
            "          'pi_ub': re.pi_ub, 'label': 'Random-effects model (REML)'}\n"
            "fig = forest_plot(rows, pooled, title='Parent-reported behaviour problems (ECBI intensity) after the programme',\n"
            '                  xlabel="Hedges\' g (positive = fewer behaviour problems)")\nplt.show()',
        ),
        (
            "md",
            "**Answer to the question.** In these sixteen randomised trials, children whose parents took part in "
            "a parent-training programme had fewer behaviour problems at the end of treatment than children on a "
            "waiting list or in usual care: on average about 0.9 standard deviations (95% CI 0.6 to 1.1). The "
            "trials disagree (I² about 70%), and even the lower end of the prediction interval is just above "
            "zero. Before trusting the size of the effect, read what the later notebooks add: most comparisons "
            "are with a waiting list (the comparison families had no programme during the trial), the outcome is reported by "
            "the parents who took the training, and the small trials found the largest effects.",
        ),
        *closing(
            [
                (
                    "Compute Hedges' g and its variance by hand for the second trial, Axberg 2012 (Incredible Years "
                    "versus a waiting list), and check them against `escalc`'s row.",
                    "Use the same three formulas as for Kjobli 2012 with row 1 of the table. The by-hand g and v agree "
                    "with the escalc values to four decimals (escalc uses the exact correction J, which differs from the "
                    "approximation only in the fifth decimal for 52 children).",
                    "s = ecbi.iloc[1]\n"
                    "sp = np.sqrt(((s.n1i - 1) * s.sd1i**2 + (s.n2i - 1) * s.sd2i**2) / (s.n1i + s.n2i - 2))\n"
                    "g = (1 - 3 / (4 * (s.n1i + s.n2i - 2) - 1)) * (s.m2i - s.m1i) / sp\n"
                    "v = (s.n1i + s.n2i) / (s.n1i * s.n2i) + g**2 / (2 * (s.n1i + s.n2i))\n"
                    "print(f\"by hand: g = {g:.4f}, v = {v:.4f}; escalc: g = {ecbi.loc[1, 'yi']:.4f}, v = {ecbi.loc[1, 'vi']:.4f}\")",
                ),
                (
                    "Which trial has the largest fixed-effect weight? Leave it out and refit the random-effects model. "
                    "Does the average move, and why in that direction?",
                    "Kjobli 2012, the largest trial, has the smallest effect of the four trials with more than 100 children (g = 0.29). Without it the "
                    "random-effects average rises from about 0.87 to about 0.92 and tau² falls a little: one large trial "
                    "with a small effect pulls the average down. A *sensitivity analysis* like this shows how much one "
                    "trial drives the answer.",
                    "big = int(np.argmax(fe.weights))\nkeep = np.arange(len(ecbi)) != big\n"
                    "r2 = rma(ecbi['yi'][keep], ecbi['vi'][keep], method='REML')\n"
                    "print(f\"left out: {ecbi.loc[big, 'label']}; average {re.estimate:.4f} -> {r2.estimate:.4f}, \"\n"
                    "      f'tau² {re.tau2:.4f} -> {r2.tau2:.4f}')",
                ),
                (
                    "Suppose a new trial with 1000 families per group found g = 0.10. Roughly what weight would it get "
                    "under the fixed-effect and under the random-effects model, and what would happen to each average?",
                    "Its variance is about 2/1000 = 0.002, so its fixed-effect weight 1/0.002 = 500 is about twice the "
                    "sum of all sixteen others (about 241): two thirds of the total weight, and the fixed-effect average "
                    "drops from 0.70 to about 0.3. Under random effects its weight is 1/(0.002 + tau²), about 6 against "
                    "roughly 70 for the others together, because tau² (about 0.16) is far larger than its sampling "
                    "variance: it gets about 8% of the weight and the random-effects average moves much less (from 0.87 "
                    "to about 0.82; tau² is re-estimated too). Which model is right depends on whether "
                    "you believe in one common effect; with I² around 70% the random-effects model is the honest choice.",
                    "yi2 = np.append(ecbi['yi'], 0.10)\nvi2 = np.append(ecbi['vi'], 2 / 1000 + 0.10**2 / 4000)\n"
                    "f2, r2 = rma(yi2, vi2, method='EE'), rma(yi2, vi2, method='REML')\n"
                    "print(f'fixed effect: weight of the new trial {f2.weights[-1]:.1f}%, average {fe.estimate:.3f} -> {f2.estimate:.3f}')\n"
                    "print(f'random effects: weight of the new trial {r2.weights[-1]:.1f}%, average {re.estimate:.3f} -> {r2.estimate:.3f}')",
                ),
            ],
            "borenstein epstein higgins2002 riley viechtbauer",
        ),
    ]
)

# ---------------------------------------------------------------------------------------------
NB2 = nb(
    [
        (
            "md",
            "# 2. Estimators side by side\n\n**Question: does the choice of tau² estimator, or of the "
            "Knapp-Hartung adjustment, change what we conclude about group-based parent training for parents' "
            "own psychosocial health?**\n\n"
            "A random-effects model needs an estimate of tau², the variance of the true effects between studies "
            "(notebook 00 explains the model). There are several ways to estimate it, and two ways to test and "
            "build the confidence interval of the average. This notebook fits the same data ten ways, shows why "
            "the numbers differ, explains one number that looks too neat to be true, and ends with advice on "
            "what to choose and report.",
        ),
        (
            "md",
            "## The data\n\nBarlow et al. (2014), a Cochrane review of randomised trials: 26 trials of group-based "
            "parent training against a control group, with the parents' psychosocial health within four weeks "
            "after the programme as the outcome (coded data from the R package altmeta, `dat.barlow`, which gives "
            "no study names). `y` is a standardised mean difference and `s2` its sampling "
            "variance; in the source a negative value means improvement, so we flip the sign.",
        ),
        (
            "code",
            f"from pathlib import Path\nimport numpy as np, pandas as pd\nimport matplotlib.pyplot as plt\n"
            f"from evsynth import rma, confint_tau2\n{ROOTLINE}\n"
            "d = pd.read_csv(ROOT / 'data' / 'external' / 'barlow2014.csv')\n"
            "yi, vi = -d['y'], d['s2']   # flipped: positive = improvement, as in the pipeline\n"
            "k = len(d)\n"
            "print(f'k = {k} trials, {d.n.sum()} parents; group sizes from {d.n.min()} to {d.n.max()}')",
        ),
        (
            "md",
            "## Five ways to estimate tau²\n\nAll five start from the same model, $y_i = \\mu + u_i + e_i$ with "
            "true-effect deviations $u_i \\sim N(0, \\tau^2)$ and sampling errors $e_i \\sim N(0, v_i)$ "
            "(Veroniki et al., 2016):\n\n"
            "- **DL** (DerSimonian-Laird): a one-step *method of moments*: compare the fixed-effect Q with "
            "what it would be without heterogeneity, k - 1, and scale the excess.\n"
            "- **PM** (Paule-Mandel) and **EB** (empirical Bayes): choose tau² so that the *generalised* Q, "
            "computed with the random-effects weights $1/(v_i + \\tau^2)$, equals its degrees of freedom k - 1. "
            "They solve the same equation and coincide.\n"
            "- **ML** (maximum likelihood): the tau² under which the data are most probable.\n"
            "- **REML** (restricted maximum likelihood): ML corrected for having estimated μ from the same data; "
            "the default in metafor and in evsynth.\n\n"
            "The next cell draws the generalised Q as a function of tau²; the PM estimate is where the curve "
            "crosses k - 1.",
        ),
        (
            "code",
            "def Q_of(tau2):\n"
            "    w = 1 / (vi + tau2)\n"
            "    mu = np.sum(w * yi) / np.sum(w)\n"
            "    return float(np.sum(w * (yi - mu) ** 2))\n\n"
            "fits = {m: rma(yi, vi, method=m) for m in ['DL', 'REML', 'PM', 'ML', 'EB']}\n"
            "grid = np.linspace(0, 0.12, 200)\n"
            "fig, ax = plt.subplots(figsize=(7, 3.8))\n"
            "ax.plot(grid, [Q_of(t) for t in grid], color='#000000', lw=1.5, label='generalised Q(tau²)')\n"
            "ax.axhline(k - 1, color='#999999', ls='--', lw=1, label=f'k - 1 = {k - 1}')\n"
            "for (m, f), col in zip(fits.items(), ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00']):\n"
            "    ax.axvline(f.tau2, color=col, lw=1.2, ls=':' if m == 'EB' else '-', label=f'{m}: tau² = {f.tau2:.4f}')\n"
            "ax.set_xlabel('tau²')\nax.set_ylabel('Q')\n"
            "ax.set_title('Each estimator picks a tau²; PM and EB where Q(tau²) = k - 1', loc='left')\n"
            "ax.legend(loc='upper left', bbox_to_anchor=(1, 1), frameon=False)\nplt.show()",
        ),
        (
            "md",
            "**DL by hand.** DerSimonian-Laird needs no iteration: with the fixed-effect weights $w_i = 1/v_i$,\n\n"
            "$$\\hat\\tau^2_{DL} = \\max\\left(0, \\frac{Q(0) - (k-1)}{\\sum w_i - \\sum w_i^2 / \\sum w_i}\\right).$$",
        ),
        (
            "code",
            "w = 1 / vi\nc = w.sum() - (w**2).sum() / w.sum()\n"
            "tau2_dl = max(0.0, (Q_of(0.0) - (k - 1)) / c)\n"
            'print(f\'Q(0) = {Q_of(0.0):.4f}; DL by hand: tau2 = {tau2_dl:.4f}; rma(method="DL"): tau2 = {fits["DL"].tau2:.4f}\')\n'
            "print(f'Q at the PM estimate: {Q_of(fits[\"PM\"].tau2):.4f} (k - 1 = {k - 1})')",
        ),
        (
            "md",
            "## Ten analyses of the same data\n\nEach estimator with two ways to test the average: the normal "
            "(z) test, and the **Knapp-Hartung** adjustment, which uses a t distribution on k - 1 degrees of "
            "freedom and rescales the variance of the average by how far the studies scatter around it "
            "(Knapp & Hartung, 2003; IntHout et al., 2014).",
        ),
        (
            "code",
            "rows = []\nfor method in ['DL', 'REML', 'PM', 'ML', 'EB']:\n    for test in ['z', 'knha']:\n"
            "        f = rma(yi, vi, method=method, test=test)\n"
            "        rows.append({'method': method, 'test': test, 'tau2': f.tau2, 'I2 (%)': f.I2,\n"
            "                     'estimate': f.estimate, 'se': f.se[0], 'ci_lb': f.ci_lb[0], 'ci_ub': f.ci_ub[0],\n"
            "                     'pval': f.pval[0]})\n"
            "table = pd.DataFrame(rows)\nshown = table.round(4)\nshown['I2 (%)'] = [f'{v:.1f}%' for v in table['I2 (%)']]\n"
            "shown['pval'] = [f'{p:.2g}' for p in table['pval']]\nprint(shown.to_string(index=False))",
        ),
        (
            "code",
            "fig, ax = plt.subplots(figsize=(7, 4))\n"
            "for i, r in table.iterrows():\n"
            "    col = '#0072B2' if r['test'] == 'z' else '#D55E00'\n"
            "    ax.plot([r['ci_lb'], r['ci_ub']], [i, i], color=col, lw=2)\n"
            "    ax.plot(r['estimate'], i, 's', color=col)\n"
            "ax.set_yticks(range(len(table)), [f\"{m} ({'Knapp-Hartung' if t == 'knha' else 'z'})\" "
            "for m, t in zip(table['method'], table['test'])])\n"
            "ax.axvline(0, color='grey', ls='--', lw=0.8)\nax.invert_yaxis()\n"
            "ax.set_xlabel('Standardised mean difference (positive = improvement), 95% CI')\n"
            "ax.set_title('Same data, ten analyses (blue: z test; vermillion: Knapp-Hartung)', loc='left')\nplt.show()",
        ),
        (
            "md",
            "**Why they differ.** DL is a one-step moment estimator; REML and ML maximise a likelihood (ML ignores "
            "the loss of a degree of freedom for the mean and so gives a smaller tau²); PM and EB solve the generalised "
            "Q equation Q(tau²) = k - 1 and coincide at convergence. A larger tau² spreads the weights more evenly and "
            "widens the interval. Knapp-Hartung replaces the normal with a t distribution on k - 1 df and rescales the "
            "variance by the weighted residual dispersion, which usually widens intervals when k is small. Here all "
            "ten intervals lie well above zero and the estimates differ only in the second decimal: for this "
            "question the choice does not change the conclusion.",
        ),
        ("md", "## A surprising number: Knapp-Hartung/z ratio of exactly 1 for PM and EB"),
        (
            "code",
            "wide = table.pivot(index='method', columns='test', values='se')\n"
            "wide['ratio knha/z'] = wide['knha'] / wide['z']\nwide.round(4)",
        ),
        (
            "md",
            "For PM and EB the standard errors with and without Knapp-Hartung are the same (ratio 1.0000). This is "
            "not a coincidence of these data. Knapp-Hartung multiplies the variance of the estimate by\n\n"
            "$$s^2 = \\frac{1}{k-p}\\sum_i w_i (y_i - \\hat\\mu)^2, \\qquad w_i = \\frac{1}{v_i + \\hat\\tau^2},$$\n\n"
            "the weighted residual sum of squares over its degrees of freedom (p = 1 here: only the average is "
            "estimated). That weighted sum is exactly the "
            "generalised Q statistic Q(tau²). The Paule-Mandel estimator *is defined* as the tau² that solves "
            "Q(tau²) = k - p, and EB solves the same equation; so at their estimate s² = 1 and the rescaling does "
            "nothing (it is not 1 when the estimate is truncated at 0, i.e. when Q(0) < k - p). The interval still "
            "widens, because the critical value comes from a t distribution on k - p df instead of the normal. The "
            "next cell checks s² directly.",
        ),
        (
            "code",
            "for method in ['DL', 'REML', 'PM', 'ML', 'EB']:\n"
            "    f = rma(yi, vi, method=method)\n"
            "    w = 1 / (vi + f.tau2)\n"
            "    s2 = float(np.sum(w * (yi - f.estimate) ** 2) / (f.k - f.p))\n"
            "    print(f'{method:5s} tau2 = {f.tau2:.4f}   weighted RSS/(k-p) = {s2:.4f}')",
        ),
        (
            "md",
            "For DL, REML and ML s² is above 1 (their tau² is smaller than PM's, so the studies scatter more than "
            "the model expects) and Knapp-Hartung widens the interval; an estimator with a larger tau² than PM "
            "would give s² below 1 and a *narrower* interval, which is why some analysts truncate s² at 1 "
            "(`test='adhoc'`).",
        ),
        (
            "md",
            "## How sure are we about tau² itself?\n\nThe estimators disagree in the second decimal, but tau² is "
            "estimated from only 26 trials. The Q-profile confidence interval (Viechtbauer, 2007) is the range of "
            "tau² values for which the generalised Q is not surprising under a chi² distribution on k - 1 df.",
        ),
        ("code", "ci = confint_tau2(fits['REML'])\nprint(ci.summary())"),
        (
            "md",
            "The interval for tau² runs from 0 (no heterogeneity at all) to roughly six times the estimate: the "
            "differences between the five estimators are small next to this uncertainty. **What to do in "
            "practice:** choose the estimator before seeing the data (REML or PM are recommended over DL, "
            "Veroniki et al., 2016), use Knapp-Hartung when k is small (IntHout et al., 2014), report tau² with "
            "its confidence interval, and show a prediction interval.",
        ),
        *closing(
            [
                (
                    "Why does ML give the smallest tau² here?",
                    "ML estimates tau² as if the pooled mean were known, so it does not account for the degree of "
                    "freedom used to estimate it and is biased downward by roughly the factor (k - p)/k. REML corrects "
                    "for this. With k = 26 the difference is small but visible in the table.",
                    "print(table[table.test == 'z'].set_index('method')['tau2'].sort_values().round(4))",
                ),
                (
                    "Drop the ten most precise studies (smallest variance) and refit with PM with and without "
                    "Knapp-Hartung. Is the ratio of the standard errors still 1?",
                    "Yes, as long as the PM estimate stays above 0: the ratio is 1 by construction of the estimator, for "
                    "any data where Q(0) > k - p (to the accuracy of the iteration that finds tau²).",
                    "keep = vi.rank(method='first') > 10\n"
                    "a, b = rma(yi[keep], vi[keep], method='PM'), rma(yi[keep], vi[keep], method='PM', test='knha')\n"
                    "print(f'k = {a.k}, tau2 = {a.tau2:.4f}, ratio = {b.se[0] / a.se[0]:.4f}')",
                ),
                (
                    "Take only the first five trials. Compare DL with the z test and REML with Knapp-Hartung. Which "
                    "interval is wider, and why does the choice matter more with five trials than with 26?",
                    "With k = 5 the t distribution has 4 degrees of freedom, so its 97.5% quantile is 2.78 instead of "
                    "1.96, and tau² is estimated from very little information. The Knapp-Hartung interval is about 1.6 times as wide "
                    "(here both include zero): "
                    "with few studies the z interval is too narrow (it covers the true average less often than 95%; "
                    "IntHout et al., 2014).",
                    "first = np.arange(k) < 5\n"
                    "for method, test in [('DL', 'z'), ('REML', 'knha')]:\n"
                    "    f = rma(yi[first], vi[first], method=method, test=test)\n"
                    "    print(f'{method:4s} {test:4s} tau2 = {f.tau2:.4f}  {f.estimate:.3f} [{f.ci_lb[0]:.3f}, {f.ci_ub[0]:.3f}]')",
                ),
            ],
            "veroniki knha inthout pm viechtbauer2007 viechtbauer",
        ),
    ]
)
# ---------------------------------------------------------------------------------------------
NB3 = nb(
    [
        (
            "md",
            "# 3. Moderators\n\n**Question: do longer or more intensive CBT programmes for offenders reduce "
            "reoffending more, and does the answer depend on the study design?** (Landenberger & Lipsey, 2005.) "
            "The project's source documents name caseload, intensity, duration, design and quality as moderators "
            "of help to families with multiple problems; these data let us practise with intensity, duration and "
            "design.\n\nThe effect size is the log odds ratio of *not* reoffending, CBT group versus control "
            "group (positive = fewer reoffenders after CBT). The four programme measures, as the dataset documents "
            "them (R package metadat, `dat.landenberger2005`): `sessions` = CBT sessions **per week**, "
            "`hrs_week` = hours of treatment per week, `hrs_total` = total hours of treatment, `length` = "
            "treatment length in weeks.",
        ),
        (
            "code",
            f"from pathlib import Path\nimport numpy as np, pandas as pd\nimport matplotlib.pyplot as plt\n"
            "from evsynth import escalc, rma, subgroup, permutest\n"
            f"{ROOTLINE}\n"
            "d = pd.read_csv(ROOT / 'data' / 'external' / 'landenberger2005.csv')\n"
            "# log odds ratio of NOT reoffending (CBT vs control): positive = fewer reoffenders with CBT\n"
            "es = escalc('OR', ai=d['n.cbt.non'], bi=d['n.cbt.rec'], ci=d['n.ctrl.non'], di=d['n.ctrl.rec'])\n"
            "d['yi'], d['vi'] = es.yi, es.vi\nprint(f'k = {len(d)} studies')",
        ),
        (
            "md",
            "## One moderator at a time (meta-regression)\n\nR² is the share (%) of the between-study variance "
            "(tau²) that the moderator accounts for. Each row is a separate model with one moderator; the slope is "
            "the change in the log odds ratio per unit (one more session per week, one more hour, one more week).",
        ),
        (
            "code",
            "rows = []\nfor m in ['sessions', 'hrs_week', 'hrs_total', 'length']:\n"
            "    f = rma(d['yi'], d['vi'], d[[m]], method='REML', test='knha')\n"
            "    rows.append({'moderator': m, 'slope': f.beta[1], 'se': f.se[1], 'p': f.pval[1], 'R2 (%)': f.R2})\n"
            "mr = pd.DataFrame(rows)\nshown = mr.round(4)\nshown['R2 (%)'] = [f'{v:.1f}%' for v in mr['R2 (%)']]\n"
            "shown",
        ),
        (
            "code",
            "from evsynth.present.plots import bubble_plot\n"
            "f = rma(d['yi'], d['vi'], d[['sessions']], method='REML', test='knha')\n"
            "grid = np.linspace(d['sessions'].min(), d['sessions'].max(), 100)\n"
            "pred = f.predict(grid[:, None])\n"
            "fig = bubble_plot(d['sessions'], d['yi'], f.weights, grid, pred.pred, pred.ci_lb, pred.ci_ub,\n"
            "                  title='CBT sessions per week and the log odds ratio of not reoffending',\n"
            "                  xlabel='CBT sessions per week',\n"
            "                  ylabel='Log odds ratio (positive = fewer reoffenders)')\nplt.show()",
        ),
        (
            "md",
            "## Design as a categorical moderator (reference: RCT)\n\nThe coefficient table is printed whole, "
            "so no term name is cut off.",
        ),
        (
            "code",
            "# one 0/1 column per design other than the reference (rct); the intercept is the RCTs' average\n"
            "X = pd.get_dummies(d['design'], prefix='design', dtype=float).drop(columns='design_rct')\n"
            "fd = rma(d['yi'], d['vi'], X, method='REML', test='knha')\n"
            "print(f'test of moderators: F({fd.QMdf[0]}, {fd.QMdf[1]}) = {fd.QM:.3f}, p = {fd.QMp:.3f}; '\n"
            "      f'R² = {fd.R2:.1f}%')\nfd.to_frame().round(4)",
        ),
        ("md", "## Juveniles and adults as subgroups"),
        (
            "code",
            "sg = subgroup(d['yi'], d['vi'], d['group'], method='REML')\n"
            "t = sg.to_frame().iloc[:, :11].round(4)\nt['I2'] = [f'{v:.1f}%' for v in sg.to_frame()['I2']]\n"
            "for col in ('pval', 'QEp'):  # small p-values as 2 significant digits, not 0.0\n"
            "    t[col] = [f'{v:.2g}' for v in sg.to_frame()[col]]\n"
            "print(f'test for subgroup differences: Q = {sg.Q_between:.3f}, df = {sg.df_between}, p = {sg.p_between:.3f}')\n"
            "t",
        ),
        (
            "md",
            "## A permutation test\n\nWith few studies and several moderators, chance findings are likely; a "
            "permutation test (seeded) gives a p-value that does not lean on asymptotics.",
        ),
        ("code", "perm = permutest(f, iterations=1000, seed=20140601)\nprint(perm.summary())"),
        (
            "md",
            "**A surprising number: the intercept's permutation p of 0.989.** The slope of `sessions` has a "
            "permutation p of 0.027, close to its Knapp-Hartung p. The intercept's permutation p is 0.989, although "
            "its t is 1.92. The permutation test shuffles the effect sizes (with their variances) against the "
            "moderator values. That breaks the link between `sessions` and the effects, which is the null "
            "hypothesis of the *slope*; but it keeps the average effect, which is clearly above zero in every "
            "shuffle. So in the shuffled data the intercept estimates the overall mean log odds ratio, with a t "
            "far above the observed 1.92 (the observed intercept is the predicted effect at *zero* sessions per week, "
            "an extrapolation below the smallest programme in the data, 0.7, with a large standard error). Almost every shuffle gives a larger |t| than the observed one, "
            "so the p-value is close to 1: it is not a test of 'intercept = 0'. The intercept's permutation p answers no useful question: report "
            "permutation p-values for moderators only. The next cell shows the intercept's t in 300 shuffles.",
        ),
        (
            "code",
            "rng = np.random.default_rng(20140601)\nts = []\nfor _ in range(300):\n"
            "    idx = rng.permutation(len(d))\n"
            "    g = rma(d['yi'].to_numpy()[idx], d['vi'].to_numpy()[idx], d[['sessions']], method='REML', test='knha')\n"
            "    ts.append(g.stat[0])\n"
            "fig, ax = plt.subplots(figsize=(6.5, 3.2))\nax.hist(ts, bins=30, color='#56B4E9')\n"
            "ax.axvline(f.stat[0], color='#D55E00', lw=2, label=f'observed t = {f.stat[0]:.2f}')\n"
            "ax.set_xlabel('t of the intercept after shuffling')\nax.set_ylabel('shuffles')\n"
            "ax.legend(loc='upper left', bbox_to_anchor=(1, 1), frameon=False)\nplt.show()\n"
            "print(f'share of shuffles with |t| >= observed: {np.mean(np.abs(ts) >= abs(f.stat[0])):.3f}')",
        ),
        (
            "md",
            "**Answer to the question.** Of the four measures, only the number of sessions per week goes with "
            "larger effects: about 0.07 on the log odds ratio scale per extra weekly session (Knapp-Hartung p = "
            "0.02, R² = 27%; the permutation test agrees). Neither total hours nor programme length does, and the "
            "effect does not differ detectably between randomised, matched and non-equivalent designs (F = 0.06) or "
            "between juveniles and adults. 'More intensive' is therefore supported only as *more frequent*, and only as "
            "an association across studies.",
        ),
        (
            "md",
            "**Caveats.** Most programmes have one to five sessions a week: the right half of the bubble "
            "plot rests on five studies with six or more (hence the widening band), and one programme at ten a "
            "week pulls on the slope. Moderator tests have low power with few studies, moderators are correlated (intensity "
            "measures move together), and study-level moderators invite ecological fallacies: they describe "
            "programmes, not individuals.",
        ),
        *closing(
            [
                (
                    "How strongly are the four intensity measures correlated? What does that mean for a model with "
                    "all four?",
                    "Sessions per week and hours per week move together (r = 0.79), and total hours go with hours per week "
                    "(0.65) and with length (0.51; total hours are roughly hours per week times weeks); length is "
                    "unrelated to the weekly measures. A joint model cannot tell correlated measures apart: the slopes' "
                    "standard errors inflate and signs can flip. Test one at a time, or choose one a priori.",
                    "print(d[['sessions', 'hrs_week', 'hrs_total', 'length']].corr().round(2))",
                ),
                (
                    "Run the permutation test for `hrs_total` with 1000 permutations and seed 1. Is its p-value close to "
                    "the Knapp-Hartung p?",
                    "Knapp-Hartung's t test is already well calibrated for a single moderator (Higgins & Thompson, 2004), "
                    "so the two p-values are usually close; large gaps point to outliers or skewed moderators.",
                    "g = rma(d['yi'], d['vi'], d[['hrs_total']], method='REML', test='knha')\n"
                    "print(f'Knapp-Hartung p = {g.pval[1]:.3f}, permutation p = '\n"
                    "      f'{permutest(g, iterations=1000, seed=1).pval_coef[1]:.3f}')",
                ),
            ],
            "thompson2002 higgins2004 knha landenberger borenstein",
        ),
    ]
)

# ---------------------------------------------------------------------------------------------
NB4 = nb(
    [
        (
            "md",
            "# 4. A whole analysis: multidimensional family therapy (MDFT)\n\n"
            "**Question: do adolescents with multiple behaviour problems do better after multidimensional family "
            "therapy than after another therapy, and how sure can we be?**\n\n"
            "MDFT is one of the family-based programmes offered in the Netherlands to families with multiple and "
            "complex problems. van der Pol et al. (2017) pooled 61 effect sizes (Cohen's d, MDFT versus another "
            "therapy, positive = MDFT better) from 19 manuscripts on 8 studies, among them the Dutch "
            "INCANT trial (Hendriks et al., Rigter et al.). The data are shipped in `data/external/vanderpol2017.csv` "
            "(source and columns: `data/external/README.md`). This notebook goes from the raw numbers to a forest "
            "plot and a GRADE-style rating of certainty.",
        ),
        (
            "code",
            f"from pathlib import Path\nimport numpy as np, pandas as pd\nimport matplotlib.pyplot as plt\n"
            "from scipy import stats\nfrom evsynth import rma, rma_mv, robust, regtest\n"
            f"{ROOTLINE}\n"
            "raw = pd.read_csv(ROOT / 'data' / 'external' / 'vanderpol2017.csv')\n"
            "raw[['Number', 'Study', 'Year', 'N_target', 'N_control', 'Study_ID', 'Outcome_measure', 'd', 'v']].head(8)",
        ),
        (
            "md",
            "## 1. The raw numbers\n\nEach row is one effect size: an outcome (substance abuse, delinquency, "
            "externalizing, internalizing, family functioning) at one follow-up in one manuscript. `Study_ID` "
            "numbers the 8 independent studies (trials): several manuscripts report on the same trial, and one "
            "trial gives several outcomes, so effect sizes within a study are not independent.",
        ),
        (
            "code",
            "print(f\"{len(raw)} effect sizes, {raw['Study_ID'].nunique()} studies, \"\n"
            "      f\"{raw.groupby(['Study', 'Year']).ngroups} study/year labels\")\n"
            "raw.groupby('Study_ID').agg(effects=('d', 'size'), labels=('Study', lambda s: '; '.join(sorted(set(s)))))",
        ),
        (
            "md",
            "## 2. From d and the group sizes to a sampling variance\n\nThe data give Cohen's d and the two group "
            "sizes, not means and standard deviations, so `escalc('SMD', ...)` (which needs means and SDs) is not "
            "the route here. The sampling variance of d is the large-sample formula (Borenstein et al., 2009, "
            "eq. 4.20):\n\n$$v_d = \\frac{n_1 + n_2}{n_1 n_2} + \\frac{d^2}{2(n_1 + n_2)}.$$\n\n"
            "We recompute it from the raw numbers as a check of the shipped `v` column (a derived column, "
            "labelled with its formula).",
        ),
        (
            "code",
            "n1, n2, d = raw['N_target'], raw['N_control'], raw['d']\n"
            "raw['v_from_formula'] = (n1 + n2) / (n1 * n2) + d**2 / (2 * (n1 + n2))\n"
            "diff = (raw['v_from_formula'] - raw['v']).abs()\n"
            "print(f'largest |formula - shipped v| = {diff.max():.2e} (row Number {raw.loc[diff.idxmax(), \"Number\"]})')\n"
            "print(f'rows agreeing to 1e-4: {(diff < 1e-4).sum()} of {len(raw)}')",
        ),
        (
            "md",
            "The formula reproduces the shipped variances (any row that does not agree is listed above and kept as "
            "the source gives it). We use the source's `d` and `v` as `yi` and `vi`.",
        ),
        (
            "code",
            "yi, vi = raw['d'].to_numpy(float), raw['v'].to_numpy(float)\n"
            "study, esid = raw['Study_ID'].to_numpy(), raw['Number'].to_numpy()",
        ),
        (
            "md",
            "## 3. Pooling: why a three-level model\n\nA univariate random-effects model treats the 61 effect sizes "
            "as 61 independent studies. That overstates the information: 61 looks like much more than 8 trials. "
            "The three-level model (Assink & Wibbelink, 2016) adds a variance component for effect sizes within a "
            "study (level 2) and one between studies (level 3).",
        ),
        (
            "code",
            "naive = rma(yi, vi, method='REML')\n"
            "ml = rma_mv(yi, vi, [study, esid], method='REML', test='t', group_names=['study', 'effect'])\n"
            "print(ml.summary())",
        ),
        (
            "code",
            "cmp = pd.DataFrame([\n"
            "    {'model': 'univariate (ignores dependence)', 'd': naive.estimate, 'ci_lb': naive.ci_lb[0], 'ci_ub': naive.ci_ub[0], 'se': naive.se[0]},\n"
            "    {'model': 'three-level (studies / effects)', 'd': ml.estimate, 'ci_lb': ml.ci_lb[0], 'ci_ub': ml.ci_ub[0], 'se': ml.se[0]},\n"
            "])\ncmp.round(3)",
        ),
        (
            "md",
            'van der Pol et al. (2017) report in their abstract "summarizing 61 effect sizes from 19 manuscripts '
            '(N = 1,488 participants)... (d = 0.24, p < .001)", from a three-level model. The cell below compares.',
        ),
        (
            "code",
            "print(f'evsynth three-level: d = {ml.estimate:.3f} (p = {ml.pval[0]:.2g}); '\n"
            "      'published: d = 0.24 (van der Pol et al., 2017, abstract)')",
        ),
        (
            "md",
            "## 4. How much do the effects vary? I² per level\n\nThe total variation splits into sampling error, "
            "variation between effect sizes within a study, and variation between studies (Cheung, 2014). "
            "Each share is a percentage.",
        ),
        (
            "code",
            "i2 = ml.I2_multilevel()\n"
            "names = {ml.s_names[0]: 'between studies (level 3)', ml.s_names[1]: 'within studies (level 2)',\n"
            "         'sampling': 'sampling error (level 1)'}\n"
            "for key, label in names.items():\n    print(f'{label:28s} {i2[key]:5.1f}%')\n"
            "print(f\"{'total heterogeneity':28s} {i2['total']:5.1f}%\")",
        ),
        (
            "md",
            "## 5. Inference that does not trust the model's variance structure\n\nCluster-robust (CR2) standard "
            "errors with Satterthwaite degrees of freedom (Pustejovsky & Tipton, 2018) hold even if the three-level "
            "structure is not quite right. With only 8 clusters the degrees of freedom are small.",
        ),
        ("code", "rb = robust(ml, study)\nprint(rb.summary())"),
        ("md", "## 6. Does it depend on the outcome?"),
        (
            "code",
            "# one 0/1 column per outcome other than the reference (substance abuse)\n"
            "X = pd.get_dummies(raw['Outcome_measure'], dtype=float).drop(columns='Substance abuse')\n"
            "mo = rma_mv(yi, vi, [study, esid], X, method='REML', test='t')\n"
            "print(f'test of moderators: F({mo.QMdf[0]}, {mo.QMdf[1]}) = {mo.QM:.3f}, p = {mo.QMp:.3f}')\n"
            "mo.to_frame().round(3)",
        ),
        (
            "md",
            "The five kinds of outcome do not differ detectably: each coefficient is the difference from "
            "substance abuse (the intercept), all are small and the joint F test is far from significant. With "
            "8 trials this does not show that MDFT works equally on every outcome; only that these data cannot tell "
            "the outcomes apart.",
        ),
        (
            "md",
            "## 7. The forest plot\n\nOne row per effect size, labelled by manuscript, year and outcome; rows of the "
            "same study sit together. With 61 rows the library splits the plot over several pages "
            "(`forest_pages`, at most 40 rows a page) so that no label shrinks to an unreadable size; the pooled "
            "diamond and the prediction interval are on the last page. Squares are all the same size: a "
            "three-level model has no single weight per effect size that the plot could show honestly.",
        ),
        (
            "code",
            "from evsynth.present.plots import forest_pages\n"
            "order = np.lexsort((raw['Number'], raw['Study_ID']))\n"
            "z = stats.norm.isf(0.025)  # 95% Wald interval of each effect size\n"
            "rows = pd.DataFrame({'label': [f\"{s} ({y}): {o}\" for s, y, o in zip(raw['Study'], raw['Year'], raw['Outcome_measure'])],\n"
            "                     'study': raw['Study_ID'], 'yi': yi, 'vi': vi, 'ci_lb': yi - z * np.sqrt(vi),\n"
            "                     'ci_ub': yi + z * np.sqrt(vi), 'weight': np.nan}).iloc[order].reset_index(drop=True)\n"
            "pooled = {'estimate': ml.estimate, 'ci_lb': ml.ci_lb[0], 'ci_ub': ml.ci_ub[0], 'pi_lb': ml.pi_lb, 'pi_ub': ml.pi_ub,\n"
            "          'label': f'Three-level model (REML, t; k = {ml.k} in {len(set(study))} studies)'}\n"
            "pages = forest_pages(rows, pooled, title='MDFT versus other therapies (van der Pol et al., 2017)',\n"
            '                     xlabel="Cohen\'s d (positive = MDFT better)")\n'
            "print(f'{len(pages)} pages')\nplt.show()",
        ),
        (
            "md",
            "## 8. Small-study effects\n\nEgger's regression test needs at least 10 studies to have any power "
            "(Sterne et al., 2011). Here we apply it to the 61 effect sizes with a univariate model, which ignores the "
            "dependence: read it as a rough check.",
        ),
        ("code", "print(regtest(naive).summary())"),
        (
            "md",
            "## 9. How sure can we be? A GRADE-style walk-through\n\nGRADE rates the certainty of a body of evidence "
            "per outcome, starting *high* for randomised trials and *low* for observational studies, and moves down "
            "one level for each serious concern in five domains. The notebook computes what the data can speak to and "
            "says where a judgement needs the paper itself. The data we ship carry no study design and no "
            "risk-of-bias rating: those two stay as questions for the reader, not guesses.",
        ),
        (
            "code",
            "# the comparison therapies as the dataset documents them (R package metaSEM, vanderPol17)\n"
            "COMPARATORS = {'CBT': 'cognitive behavioural therapy', 'CT': 'combined treatment', 'Group': 'group therapy'}\n"
            "checks = []\n"
            "checks.append(('Risk of bias', 'the dataset carries no risk-of-bias ratings',\n"
            '               "not rated here: read the paper\'s quality assessment"))\n'
            "checks.append(('Inconsistency', f\"I² total = {i2['total']:.1f}%; prediction interval \"\n"
            "               f'[{ml.pi_lb:.2f}, {ml.pi_ub:.2f}]',\n"
            "               'serious' if (ml.pi_lb < 0 < ml.pi_ub) else 'not serious'))\n"
            "checks.append(('Indirectness', f\"{raw['Study_ID'].nunique()} trials; comparators: \"\n"
            "               + ', '.join(COMPARATORS[c] for c in sorted(raw['Comparison_condition'].unique())),\n"
            '               "reader\'s judgement: do the trial populations and comparators match Dutch families with multiple problems?"))\n'
            "checks.append(('Imprecision', f'95% CI [{ml.ci_lb[0]:.2f}, {ml.ci_ub[0]:.2f}]; robust CI '\n"
            "               f'[{rb.ci_lb[0]:.2f}, {rb.ci_ub[0]:.2f}]',\n"
            "               'serious' if (rb.ci_lb[0] < 0.2 < rb.ci_ub[0] or rb.ci_lb[0] <= 0) else 'not serious'))\n"
            "eg = regtest(naive)\n"
            "checks.append(('Publication bias', f'Egger p = {eg.pval:.3f} (univariate, dependence ignored)',\n"
            "               'suspected' if eg.pval < 0.10 else 'not detected'))\n"
            "grade = pd.DataFrame(checks, columns=['domain', 'what the data show', 'rating'])\n"
            "pd.set_option('display.max_colwidth', None)\ngrade",
        ),
        (
            "md",
            "**Reading the table.** A rating of *serious* in a domain moves the certainty down one level. The "
            "rule for imprecision used here: the cluster-robust interval either includes zero or spans both a "
            "trivial effect and the conventional small effect of d = 0.2, so the decision could change. The rule "
            "for inconsistency: the prediction interval crosses zero, so in some settings MDFT may do no better "
            "than the comparison therapy. Starting from *high* (if the paper confirms that all trials were "
            "randomised) and subtracting one level per serious domain gives the rating below; the two domains "
            "that need the paper are left to the reader.",
        ),
        (
            "code",
            "levels = ['very low', 'low', 'moderate', 'high']\n"
            "down = int((grade['rating'] == 'serious').sum()) + int((grade['rating'] == 'suspected').sum())\n"
            "print(f'domains rated serious or suspected: {down}')\n"
            "print(f'certainty if all trials were randomised and risk of bias is not serious: '\n"
            "      f'{levels[max(0, 3 - down)]}')",
        ),
        *closing(
            [
                (
                    "Refit the three-level model with ML instead of REML. Which of the two sigma² changes, in which "
                    "direction and by how much?",
                    "Only the between-study variance, sigma²₁ (level 3, `study` in the summary), changes noticeably: it "
                    "falls from 0.049 to 0.041, by about a sixth. The within-study variance sigma²₂ (level 2, "
                    "`study/effect`) stays at 0.011 (it even rises in the fourth decimal). ML treats the estimated average "
                    "as if it were known and so underestimates variance components; the bias is largest for the component "
                    "estimated from the fewest units. sigma²₁ rests on only 8 trials, sigma²₂ on 61 effect sizes, so REML's "
                    "correction matters for the first and hardly for the second.",
                    "a = rma_mv(yi, vi, [study, esid], method='ML', test='t')\n"
                    "cmp_s = pd.DataFrame({'REML': ml.sigma2, 'ML': a.sigma2},\n"
                    "                     index=['sigma²₁ between studies (level 3)', 'sigma²₂ within studies (level 2)'])\n"
                    "cmp_s['change (%)'] = 100 * (cmp_s['ML'] / cmp_s['REML'] - 1)\nprint(cmp_s.round({'REML': 4, 'ML': 4, 'change (%)': 1}))",
                ),
                (
                    "Pool substance-abuse outcomes only. Is the effect larger or smaller than the overall one?",
                    "Select the rows with `Outcome_measure == 'Substance abuse'` (37 of the 61 effect sizes) and refit the "
                    "three-level model: d = 0.25, almost the same as the overall 0.24 and as the intercept of section 6 "
                    "(where substance abuse is the reference level). Its interval is wider and just includes zero: fewer "
                    "effect sizes, though from all 8 trials.",
                    "sel = (raw['Outcome_measure'] == 'Substance abuse').to_numpy()\n"
                    "s = rma_mv(yi[sel], vi[sel], [study[sel], esid[sel]], method='REML', test='t')\n"
                    "print(f'substance abuse: d = {s.estimate:.3f} [{s.ci_lb[0]:.3f}, {s.ci_ub[0]:.3f}], k = {s.k}')",
                ),
                (
                    "Why does the univariate model's interval come out narrower than the three-level model's?",
                    "The univariate model counts 61 independent pieces of information. The three-level model knows that "
                    "effect sizes from one trial share that trial's deviation (sigma² at level 3), so the effective "
                    "number of independent units is closer to 8, and the standard error grows.",
                ),
            ],
            "vanderpol assink cheung pustejovsky grade sterne borenstein",
        ),
    ]
)

NOTEBOOKS = {
    "00_start_here.ipynb": NB0,
    "01_explore_results.ipynb": NB1,
    "02_estimators.ipynb": NB2,
    "03_moderators.ipynb": NB3,
    "04_mdft_walkthrough.ipynb": NB4,
}

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def stable(n):
    """An executed notebook with what changes from run to run taken out: the kernel's
    metadata (Python version), timing, memory addresses in printed reprs.  Execution counts,
    text, tables and figures stay."""
    n.metadata = copy.deepcopy(_METADATA)
    for cell in n.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":  # one stream output per name: the kernel may split a printed line
            merged, first = [], {}  # around a figure, differently from run to run
            for out in cell.outputs:
                if out.output_type == "stream" and out.name in first:
                    first[out.name]["text"] += out.text
                    continue
                if out.output_type == "stream":
                    first[out.name] = out
                merged.append(out)
            cell.outputs = merged
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = _ADDRESS.sub(" at 0x…", out["text"])
            for kind in ("text/plain", "text/html"):
                if kind in out.get("data", {}):
                    out["data"][kind] = _ADDRESS.sub(" at 0x…", out["data"][kind])
    return n


def execute(n, cwd: Path = HERE):
    """Run a notebook top to bottom in ``cwd`` (the notebooks folder, so that the cells find
    the repository) and return it with its outputs, made :func:`stable`."""
    from nbclient import NotebookClient

    n = copy.deepcopy(n)
    NotebookClient(
        n, timeout=600, kernel_name="python3", record_timing=False, resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return stable(n)


def text_outputs(n) -> list:
    """What a reader sees as text, cell by cell: printed output, tables and reprs (figures as
    their text stand-in, errors as their name and message)."""
    out = []
    for cell in n.cells:
        if cell.cell_type != "code":
            continue
        for name in ("stdout", "stderr"):  # printed text first, as one piece per stream
            text = "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == name)
            if text:
                out.append((cell.id, name, text))
        for o in cell.get("outputs", []):
            if o.output_type == "stream":
                continue
            elif o.output_type == "error":
                out.append((cell.id, "error", f"{o.ename}: {o.evalue}"))
            else:
                out.append((cell.id, o.output_type, o.get("data", {}).get("text/plain", "")))
    return out


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(
        description="Write the teaching notebooks, executed (the default: run "
        "`make report` first, notebook 01 reads results/) or not."
    )
    ap.add_argument("outdir", nargs="?", type=Path, default=HERE, help="where to write (default: beside this script)")
    ap.add_argument("--no-execute", action="store_true", help="write the cells without running them (no outputs)")
    ap.add_argument("--only", nargs="*", default=None, help="file names to write (default: all)")
    args = ap.parse_args()
    for name, n in NOTEBOOKS.items():
        if args.only and name not in args.only:
            continue
        if not args.no_execute:
            n = execute(n)
            errors = [o for c in n.cells for o in c.get("outputs", []) if o.output_type == "error"]
            if errors:
                sys.exit(f"{name}: a cell failed: {errors[0].ename}: {errors[0].evalue}")
        nbf.write(n, args.outdir / name)
        print(f"wrote {args.outdir / name}")
