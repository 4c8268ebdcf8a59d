"""Effect sizes and intervals for small samples: Wilson, Newcombe, Mantel-Haenszel, Hedges' g, SMD."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

# The book's intervals are 95%.
CONFIDENCE = 0.95
Z_95 = 1.959963984540054  # the standard normal quantile of 0.975


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its 95% confidence interval (and standard error where defined)."""

    estimate: float
    ci_low: float
    ci_high: float
    se: float | None = None


def wilson(successes: int, n: int) -> Estimate:
    """Proportion with the Wilson score 95% interval (good coverage for small n; statsmodels ``proportion_confint``)."""
    if n <= 0:
        raise ValueError("a proportion needs n > 0")
    low, high = proportion_confint(successes, n, alpha=1 - CONFIDENCE, method="wilson")
    return Estimate(successes / n, max(0.0, float(low)), min(1.0, float(high)))


def risk_difference(events_1: int, n_1: int, events_0: int, n_0: int) -> Estimate:
    """Risk difference p1 - p0 with Newcombe's hybrid score interval (statsmodels ``confint_proportions_2indep``)."""
    low, high = confint_proportions_2indep(
        events_1, n_1, events_0, n_0, method="newcomb", compare="diff", alpha=1 - CONFIDENCE
    )
    return Estimate(events_1 / n_1 - events_0 / n_0, float(low), float(high))


def hedges_g(mean_1: float, sd_1: float, n_1: int, mean_0: float, sd_0: float, n_0: int) -> Estimate:
    """Hedges' g (group 1 minus group 0) with its standard error and 95% CI (Borenstein et al. 2009, ch. 4)."""
    df = n_1 + n_0 - 2
    pooled = math.sqrt(((n_1 - 1) * sd_1**2 + (n_0 - 1) * sd_0**2) / df)
    if pooled == 0:
        raise ValueError("Hedges' g is undefined when both groups have no variation")
    d = (mean_1 - mean_0) / pooled
    variance_d = (n_1 + n_0) / (n_1 * n_0) + d**2 / (2 * (n_1 + n_0))
    j = 1 - 3 / (4 * df - 1)
    g, se = j * d, j * math.sqrt(variance_d)
    return Estimate(g, g - Z_95 * se, g + Z_95 * se, se)


def hedges_g_from_values(values_1: pd.Series, values_0: pd.Series) -> Estimate:
    """Hedges' g from two samples (sample standard deviations, ddof = 1)."""
    return hedges_g(
        float(values_1.mean()), float(values_1.std(ddof=1)), len(values_1),
        float(values_0.mean()), float(values_0.std(ddof=1)), len(values_0),
    )  # fmt: skip


def standardised_mean_difference(values_1: pd.Series, values_0: pd.Series, binary: bool = False) -> float:
    """Standardised mean difference for balance: the difference over the root mean of the two variances.

    For a binary characteristic the variances are p(1 - p) (Austin 2009).
    """
    m1, m0 = float(np.mean(values_1)), float(np.mean(values_0))
    if binary:
        v1, v0 = m1 * (1 - m1), m0 * (1 - m0)
    else:
        v1, v0 = float(np.var(values_1, ddof=1)), float(np.var(values_0, ddof=1))
    spread = math.sqrt((v1 + v0) / 2)
    return 0.0 if spread == 0 else (m1 - m0) / spread


@dataclass(frozen=True)
class Stratum:
    """One stratum's 2 x 2 table: events and families in group 1 (intervention) and group 0 (control)."""

    events_1: int
    n_1: int
    events_0: int
    n_0: int

    @property
    def total(self) -> int:
        """Families in the stratum."""
        return self.n_1 + self.n_0


def _usable(strata: list[Stratum]) -> list[Stratum]:
    """Strata with families in both groups (the others carry no comparison)."""
    return [s for s in strata if s.n_1 > 0 and s.n_0 > 0]


def mantel_haenszel_risk_difference(strata: list[Stratum]) -> Estimate:
    """Common risk difference over strata: Mantel-Haenszel weights, Sato (1989) variance, Wald 95% interval.

    The estimate weights each stratum's difference by n1 n0 / N; the variance is
    Sato's, which stays consistent when strata are small (as SAS PROC FREQ computes it).
    With a single stratum the estimate is the crude risk difference.
    """
    strata = _usable(strata)
    if not strata:
        raise ValueError("no stratum has families in both groups")
    weights = sum(s.n_1 * s.n_0 / s.total for s in strata)
    d = sum((s.events_1 * s.n_0 - s.events_0 * s.n_1) / s.total for s in strata) / weights
    p = sum(
        (s.n_1**2 * s.events_0 - s.n_0**2 * s.events_1 + s.n_1 * s.n_0 * (s.n_0 - s.n_1) / 2) / s.total**2
        for s in strata
    )
    q = sum((s.events_1 * (s.n_0 - s.events_0) + s.events_0 * (s.n_1 - s.events_1)) / (2 * s.total) for s in strata)
    se = math.sqrt(max(d * p + q, 0.0)) / weights
    return Estimate(d, d - Z_95 * se, d + Z_95 * se, se)


def mantel_haenszel_risk_ratio(strata: list[Stratum]) -> Estimate | None:
    """Common risk ratio over strata: Mantel-Haenszel, with the Greenland-Robins (1985) log interval.

    Returns ``None`` when the ratio is not estimable (no events in one group of every stratum).
    """
    strata = _usable(strata)
    r = sum(s.events_1 * s.n_0 / s.total for s in strata)
    s_ = sum(s.events_0 * s.n_1 / s.total for s in strata)
    if r == 0 or s_ == 0:
        return None
    ratio = r / s_
    numerator = sum(
        (s.n_1 * s.n_0 * (s.events_1 + s.events_0) - s.events_1 * s.events_0 * s.total) / s.total**2 for s in strata
    )
    se = math.sqrt(numerator / (r * s_))
    return Estimate(ratio, ratio * math.exp(-Z_95 * se), ratio * math.exp(Z_95 * se), se)


def stratified_hedges_g(groups: list[tuple[pd.Series, pd.Series]]) -> Estimate | None:
    """Hedges' g pooled over strata with inverse-variance (fixed-effect) weights (statsmodels ``combine_effects``).

    ``groups`` holds each stratum's (group 1, group 0) values. A stratum with fewer than
    two families in a group, or no variation at all, carries no estimate and is left out;
    ``None`` when no stratum is left.
    """
    estimates = []
    for values_1, values_0 in groups:
        if len(values_1) < 2 or len(values_0) < 2:
            continue
        try:
            estimates.append(hedges_g_from_values(values_1, values_0))
        except ValueError:
            continue
    if not estimates:
        return None
    if len(estimates) == 1:
        return estimates[0]
    # combine_effects also computes heterogeneity statistics (I2) that divide by zero when the
    # strata agree exactly; they are not used here, and the pooled estimate is unaffected.
    with np.errstate(divide="ignore", invalid="ignore"):
        combined = combine_effects(
            np.array([e.estimate for e in estimates]), np.array([e.se**2 for e in estimates]), use_t=False
        )
    g, se = float(combined.mean_effect_fe), float(combined.sd_eff_w_fe)
    return Estimate(g, g - Z_95 * se, g + Z_95 * se, se)
