"""Conversions between effect-size scales and from reported test statistics
(Borenstein et al., 2009, ch. 4 and 7; Lipsey & Wilson, 2001, appendix B), and the small-sample
correction of the standardised mean difference that escalc's SMD measures share.
Vectorised over numpy arrays; nothing is printed or written."""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from evsynth.errors import InputError

__all__ = [
    "hedges_correction",
    "smd_variance",
    "d_from_t",
    "d_from_f",
    "d_from_p",
    "d_from_prepost",
    "d_to_logor",
    "logor_to_d",
    "d_to_r",
    "r_to_d",
    "partial_r_from_t",
]


def hedges_correction(m) -> np.ndarray:
    """Exact small-sample correction J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)).

    Parameters
    ----------
    m : array_like
        Degrees of freedom (n1 + n2 - 2 for two groups).

    Returns
    -------
    ndarray
        The factor J(m) by which d is multiplied to give Hedges' g.

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and
    related estimators. Journal of Educational Statistics, 6(2), 107-128.
    """
    m = np.asarray(m, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.exp(special.gammaln(m / 2) - 0.5 * np.log(m / 2) - special.gammaln((m - 1) / 2))


def smd_variance(g, n1i, n2i) -> np.ndarray:
    """Large-sample variance of a (bias-corrected) SMD, as metafor's default:
    1/n1 + 1/n2 + g^2 / (2 (n1 + n2)).

    Parameters
    ----------
    g : array_like
        Standardised mean differences.
    n1i, n2i : array_like
        Group sizes.

    Returns
    -------
    ndarray
        Sampling variances.

    References
    ----------
    Hedges, L. V., & Olkin, I. (1985). Statistical methods for meta-analysis. Academic
    Press, chapter 5.
    """
    g, n1i, n2i = (np.asarray(x, float) for x in (g, n1i, n2i))
    return 1 / n1i + 1 / n2i + g**2 / (2 * (n1i + n2i))


# --------------------------------------------------------------------------------------
# Conversions from reported statistics (Borenstein et al., 2009, ch. 4 and 7;
# Lipsey & Wilson, 2001, appendix B)
# --------------------------------------------------------------------------------------


def d_from_t(t, n1, n2, hedges: bool = True):
    """SMD from an independent-samples t statistic: d = t sqrt(1/n1 + 1/n2).

    Parameters
    ----------
    t : array_like
        t statistics (sign gives the direction).
    n1, n2 : array_like
        Group sizes.
    hedges : bool
        Apply the small-sample correction (Hedges' g).

    Returns
    -------
    g, vi : ndarray
        Effect sizes and sampling variances.

    References
    ----------
    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009).
    Introduction to meta-analysis. Wiley, chapter 7.
    """
    t, n1, n2 = (np.asarray(x, float) for x in (t, n1, n2))
    d = t * np.sqrt(1 / n1 + 1 / n2)
    g = hedges_correction(n1 + n2 - 2) * d if hedges else d
    return g, smd_variance(g, n1, n2)


def d_from_f(f, n1, n2, sign=1.0, hedges: bool = True):
    """SMD from a one-degree-of-freedom F statistic (t = sqrt(F)).

    Parameters
    ----------
    f : array_like
        F statistics (>= 0).
    n1, n2 : array_like
        Group sizes.
    sign : float or array_like
        Direction, which F itself does not carry.
    hedges : bool
        Apply the small-sample correction.

    Returns
    -------
    g, vi : ndarray

    References
    ----------
    Lipsey, M. W., & Wilson, D. B. (2001). Practical meta-analysis. Sage, appendix B.
    """
    f = np.asarray(f, float)
    if np.any(f < 0):
        raise InputError("F statistic must be non-negative")
    return d_from_t(np.sign(sign) * np.sqrt(f), n1, n2, hedges=hedges)


def d_from_p(p, n1, n2, sign=1.0, two_sided: bool = True, hedges: bool = True):
    """SMD from an exact p-value of a two-group t test with n1 + n2 - 2 df.

    Parameters
    ----------
    p : array_like
        p-values, strictly between 0 and 1 (two-sided unless ``two_sided=False``).
    n1, n2 : array_like
        Group sizes; the t test has n1 + n2 - 2 degrees of freedom.
    sign, hedges, two_sided
        Direction (+1/-1), Hedges' correction, sidedness of ``p``.

    Returns
    -------
    g, vi : ndarray
        Effect sizes and variances, via :func:`d_from_t` (Lipsey & Wilson, 2001, appendix B).

    References
    ----------
    See :func:`d_from_f`.
    """
    p = np.asarray(p, float)
    if np.any((p <= 0) | (p >= 1)):
        raise InputError("p-value must lie strictly between 0 and 1")
    n1, n2 = np.asarray(n1, float), np.asarray(n2, float)
    q = p / 2 if two_sided else p
    t = stats.t.isf(q, n1 + n2 - 2)
    return d_from_t(np.sign(sign) * t, n1, n2, hedges=hedges)


def d_from_prepost(m_pre, m_post, sd_pre, n, r, sd_post=None, hedges: bool = True):
    """Standardised mean change for a single-group pre-post design (metafor's SMCR):
    standardised by the pre-test SD, with the pre-post correlation ``r``; variance
    2(1 - r)/n + d^2 / (2n).

    Parameters
    ----------
    m_pre, m_post : array_like
        Pre- and post-test means.
    sd_pre : array_like
        Pre-test standard deviations.
    n : array_like
        Sample sizes.
    r : array_like
        Pre-post correlations, strictly between -1 and 1.
    sd_post : array_like, optional
        Not used (the pre-test SD standardises, as SMCR).
    hedges : bool
        Apply the small-sample correction with n - 1 df.

    Returns
    -------
    g, vi : ndarray

    References
    ----------
    Becker, B. J. (1988). Synthesizing standardized mean-change measures. British Journal
    of Mathematical and Statistical Psychology, 41(2), 257-278.
    """
    m_pre, m_post, sd_pre, n, r = (np.asarray(x, float) for x in (m_pre, m_post, sd_pre, n, r))
    if np.any((r <= -1) | (r >= 1)):
        raise InputError("pre-post correlation must lie strictly between -1 and 1")
    d = (m_post - m_pre) / sd_pre
    g = hedges_correction(n - 1) * d if hedges else d
    vi = 2 * (1 - r) / n + g**2 / (2 * n)
    return g, vi


def d_to_logor(d, vd):
    """SMD to log odds ratio: log OR = d pi / sqrt(3); var = vd pi^2 / 3.

    Parameters
    ----------
    d, vd : array_like
        SMDs and their variances.

    Returns
    -------
    logor, vlogor : ndarray

    References
    ----------
    Hasselblad, V., & Hedges, L. V. (1995). Meta-analysis of screening and diagnostic
    tests. Psychological Bulletin, 117(1), 167-178.
    """
    d, vd = np.asarray(d, float), np.asarray(vd, float)
    return d * np.pi / np.sqrt(3), vd * np.pi**2 / 3


def logor_to_d(logor, vlogor):
    """Log odds ratio to SMD (inverse of :func:`d_to_logor`): d = log OR sqrt(3) / pi;
    var = v 3 / pi^2.

    Parameters
    ----------
    logor, vlogor : array_like
        Log odds ratios and their variances.

    Returns
    -------
    d, vd : ndarray
        SMDs and their variances.

    References
    ----------
    Hasselblad & Hedges (1995), cited in full under :func:`d_to_logor`.
    """
    logor, vlogor = np.asarray(logor, float), np.asarray(vlogor, float)
    return logor * np.sqrt(3) / np.pi, vlogor * 3 / np.pi**2


def d_to_r(d, vd, n1, n2):
    """SMD to correlation: r = d / sqrt(d^2 + a), a = (n1 + n2)^2 / (n1 n2);
    var = a^2 vd / (d^2 + a)^3.

    Parameters
    ----------
    d, vd : array_like
        SMDs and their variances.
    n1, n2 : array_like
        Group sizes.

    Returns
    -------
    r, vr : ndarray

    References
    ----------
    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009).
    Introduction to meta-analysis. Wiley, equations 7.5-7.6.
    """
    d, vd, n1, n2 = (np.asarray(x, float) for x in (d, vd, n1, n2))
    a = (n1 + n2) ** 2 / (n1 * n2)
    r = d / np.sqrt(d**2 + a)
    vr = a**2 * vd / (d**2 + a) ** 3
    return r, vr


def r_to_d(r, vr):
    """Correlation to SMD: d = 2r / sqrt(1 - r^2); var = 4 vr / (1 - r^2)^3.

    Parameters
    ----------
    r, vr : array_like
        Correlations (strictly between -1 and 1) and their variances.

    Returns
    -------
    d, vd : ndarray

    References
    ----------
    Borenstein et al. (2009), cited in full under :func:`d_to_r`, equations 7.7-7.8.
    """
    r, vr = np.asarray(r, float), np.asarray(vr, float)
    if np.any((r <= -1) | (r >= 1)):
        raise InputError("correlation must lie strictly between -1 and 1")
    return 2 * r / np.sqrt(1 - r**2), 4 * vr / (1 - r**2) ** 3


def partial_r_from_t(t, n, preds):
    """Partial correlation of a regression predictor from its t value (metafor's
    ``escalc("PCOR")``): r = t / sqrt(t^2 + df), df = n - preds - 1; var = (1 - r^2)^2 / df.

    Parameters
    ----------
    t : array_like
        t values of the predictor.
    n : array_like
        Sample sizes.
    preds : array_like
        Number of predictors in the regression.

    Returns
    -------
    r, vr : ndarray

    References
    ----------
    Aloe, A. M., & Thompson, C. G. (2013). The synthesis of partial effect sizes. Journal
    of the Society for Social Work and Research, 4(4), 390-405.
    """
    t, n, preds = (np.asarray(x, float) for x in (t, n, preds))
    df = n - preds - 1
    if np.any(df <= 0):
        raise InputError("partial correlation needs n > number of predictors + 1")
    r = t / np.sqrt(t**2 + df)
    return r, (1 - r**2) ** 2 / df
