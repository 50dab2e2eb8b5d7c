"""Fixed wording shared by several layers (the review codes by it, the report states it).

Plain constants and word choices only: this module imports nothing, so any layer may use it."""

__all__ = ["DIRECTION_RULE", "effect_size_word", "size_metric"]

LOGOR_TO_D = 0.5513288954217921  # sqrt(3) / pi: a log odds ratio as a standardised mean difference (Chinn, 2000)

DIRECTION_RULE = ("Every effect is expressed so that a positive value means improvement for the family: where the "
                  "extraction row says a higher score is not better (higher_is_better = no), the effect is multiplied "
                  "by -1. Group 1 is always the intervention group.")


def size_metric(spec: dict) -> str:
    """The scale an analysis' effect sizes are put into words on: ``logor`` (odds ratios),
    ``r`` (correlations) or ``d`` (everything else)."""
    m = (spec.get("effect") or {}).get("measure")
    return "logor" if m in ("OR", "PETO") else "r" if m in ("PCOR", "COR", "ZCOR", "UCOR") else "d"


def effect_size_word(value: float, metric: str = "d") -> str:
    """Cohen's (1988) size of an effect: SMD |d| .2/.5/.8 ("negligible" below .2), correlations
    |r| .1/.3/.5, log odds ratios first converted to d by log(OR) sqrt(3)/pi."""
    if metric == "r":
        a = abs(value)
        return "negligible" if a < 0.1 else "small" if a < 0.3 else "medium" if a < 0.5 else "large"
    a = abs(value * LOGOR_TO_D if metric == "logor" else value)
    return "negligible" if a < 0.2 else "small" if a < 0.5 else "medium" if a < 0.8 else "large"
