"""Writes the three notebooks (run: python notebooks/make_notebooks.py).  They import the
library and never copy its code."""

import nbformat as nbf
from pathlib import Path

HERE = Path(__file__).parent


def nb(cells):
    n = nbf.v4.new_notebook()
    n.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    n.cells = [nbf.v4.new_markdown_cell(c[1]) if c[0] == "md" else nbf.v4.new_code_cell(c[1]) for c in cells]
    return n


SETUP = """from pathlib import Path
import subprocess, sys
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
RESULTS = ROOT / "results"
if not (RESULTS / "report.html").exists():
    # a fresh clone: run the pipeline once (the same as `make report`)
    snakemake = Path(sys.executable).parent / "snakemake"
    subprocess.run([str(snakemake), "--cores", "2", "--quiet", "all"], cwd=ROOT, check=True)
print(RESULTS)"""

NB1 = nb([
    ("md", "# 1. Rerun and explore\n\nThis notebook loads what the pipeline wrote to `results/` — the coded studies, "
           "the quality scores, and each pooled analysis — and looks at them. It runs the pipeline first if a fresh "
           "clone has no results yet."),
    ("code", SETUP),
    ("code", "import pandas as pd\nstudies = pd.read_csv(RESULTS / 'studies' / 'study_characteristics.csv')\n"
             "studies[['row', 'authors', 'year', 'intervention_type', 'design', 'quality_score']].head(10)"),
    ("md", "## How many studies of each type and design?"),
    ("code", "pd.read_csv(RESULTS / 'studies' / 'intervention_types.csv')"),
    ("code", "pd.read_csv(RESULTS / 'studies' / 'quality_by_design.csv')[['design', 'n_articles', 'n_scored', 'median', 'min', 'max']]"),
    ("md", "## The pooled analyses\n\nOne row per analysis from each `heterogeneity.csv`."),
    ("code", "import yaml\ncfg = yaml.safe_load((ROOT / 'config.yaml').read_text())\n"
             "rows = []\nfor a in cfg['analyses']:\n"
             "    h = pd.read_csv(RESULTS / a['id'] / 'heterogeneity.csv').iloc[0]\n"
             "    rows.append({'analysis': a['id'], 'k': h['k'], 'estimate': h['estimate'], 'ci_lb': h['ci_lb'],\n"
             "                 'ci_ub': h['ci_ub'], 'tau2': h['tau2'], 'I2': h['I2']})\n"
             "pd.DataFrame(rows).round(3)"),
    ("md", "## Refit one analysis with the library\n\nThe same numbers come from the library directly."),
    ("code", "from evsynth.engine.models import rma\neff = pd.read_csv(RESULTS / 'barlow2014' / 'effects.csv')\n"
             "fit = rma(eff['yi'], eff['vi'], method='REML', test='knha')\nprint(fit.summary())"),
    ("code", "from IPython.display import Image\nImage(filename=str(ROOT / 'figures' / 'barlow2014' / 'forest.png'))"),
])

NB2 = nb([
    ("md", "# 2. Estimators side by side\n\nThe same data (Barlow et al., 2014: parent training and parental "
           "psychosocial health) under five tau² estimators, with and without the Knapp-Hartung adjustment."),
    ("code", "from pathlib import Path\nimport pandas as pd\nfrom evsynth.engine.models import rma\n"
             "ROOT = Path.cwd().parent if Path.cwd().name == 'notebooks' else Path.cwd()\n"
             "d = pd.read_csv(ROOT / 'data' / 'external' / 'barlow2014.csv')\n"
             "yi, vi = -d['y'], d['s2']   # flipped: positive = improvement, as in the pipeline"),
    ("code", "rows = []\nfor method in ['DL', 'REML', 'PM', 'ML', 'EB']:\n    for test in ['z', 'knha']:\n"
             "        f = rma(yi, vi, method=method, test=test)\n"
             "        rows.append({'method': method, 'test': test, 'tau2': f.tau2, 'estimate': f.estimate,\n"
             "                     'se': f.se[0], 'ci_lb': f.ci_lb[0], 'ci_ub': f.ci_ub[0], 'pval': f.pval[0]})\n"
             "table = pd.DataFrame(rows)\ntable.round(4)"),
    ("md", "**Why they differ.** DL is a one-step moment estimator; REML and ML maximise a likelihood (ML ignores "
           "the loss of a degree of freedom for the mean and so gives a smaller tau²); PM and EB solve the generalised "
           "Q equation Q(tau²) = k - 1 and coincide at convergence. A larger tau² spreads the weights more evenly and "
           "widens the interval. Knapp-Hartung replaces the normal with a t distribution on k - 1 df and rescales the "
           "variance by the weighted residual dispersion, which usually widens intervals when k is small."),
    ("code", "wide = table.pivot(index='method', columns='test', values='se')\nwide['ratio knha/z'] = wide['knha'] / wide['z']\nwide.round(4)"),
])

NB3 = nb([
    ("md", "# 3. Moderators\n\nDo intensity and design explain differences between CBT programmes for offenders "
           "(Landenberger & Lipsey, 2005)? The seeds name caseload, intensity, duration, design and quality as "
           "moderators for help to families; these data let us practise with intensity and design."),
    ("code", "from pathlib import Path\nimport numpy as np, pandas as pd\nfrom evsynth.engine.effects import escalc\n"
             "from evsynth.engine.models import rma, subgroup\nfrom evsynth.review.design import build_design\n"
             "from evsynth.engine.diagnostics import permutest\n"
             "ROOT = Path.cwd().parent if Path.cwd().name == 'notebooks' else Path.cwd()\n"
             "d = pd.read_csv(ROOT / 'data' / 'external' / 'landenberger2005.csv')\n"
             "es = escalc('OR', ai=d['n.cbt.non'], bi=d['n.cbt.rec'], ci=d['n.ctrl.non'], di=d['n.ctrl.rec'])\n"
             "d['yi'], d['vi'] = es.yi, es.vi"),
    ("md", "## One moderator at a time (meta-regression)"),
    ("code", "rows = []\nfor m in ['sessions', 'hrs_week', 'hrs_total', 'length']:\n"
             "    f = rma(d['yi'], d['vi'], d[[m]], method='REML', test='knha')\n"
             "    rows.append({'moderator': m, 'slope': f.beta[1], 'se': f.se[1], 'p': f.pval[1], 'R2': f.R2})\n"
             "pd.DataFrame(rows).round(4)"),
    ("md", "## Design as a categorical moderator (reference: RCT)"),
    ("code", "X, names = build_design(d, [{'column': 'design', 'type': 'categorical', 'reference': 'rct'}])\n"
             "print(rma(d['yi'], d['vi'], X, method='REML', test='knha').summary())"),
    ("md", "## Juveniles and adults as subgroups"),
    ("code", "print(subgroup(d['yi'], d['vi'], d['group'], method='REML').summary())"),
    ("md", "## A permutation test\n\nWith few studies and several moderators, chance findings are likely; a "
           "permutation test (seeded) gives a p-value that does not lean on asymptotics."),
    ("code", "f = rma(d['yi'], d['vi'], d[['sessions']], method='REML', test='knha')\n"
             "print(permutest(f, iterations=1000, seed=20140601).summary())"),
    ("md", "**Caveats.** Moderator tests have low power with few studies, moderators are correlated (intensity "
           "measures move together), and study-level moderators invite ecological fallacies: they describe "
           "programmes, not individuals."),
])

for name, n in (("01_explore_results.ipynb", NB1), ("02_estimators.ipynb", NB2), ("03_moderators.ipynb", NB3)):
    nbf.write(n, HERE / name)
