"""Interrupted time series: segmented Poisson regression of monthly counts.

Follows Lopez Bernal, Cummins & Gasparrini (2017): counts with the population as
an offset, a level (step) change at the interruption, an underlying linear trend,
optional harmonic terms for seasonality, and quasi-Poisson standard errors
(the Poisson GLM with its scale estimated from Pearson's chi-square).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.stattools import durbin_watson

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class ItsResult:
    """The step change as a rate ratio with its 95% CI, and model diagnostics."""

    rate_ratio: float
    ci_low: float
    ci_high: float
    scale: float
    durbin_watson: float
    fitted: pd.Series
    counterfactual: pd.Series
    warnings: tuple[str, ...] = ()


def harmonics(month: pd.Series, pairs: int, period: int = 12) -> pd.DataFrame:
    """Sine and cosine terms ``sin(2*pi*k*month/period)``, ``cos(...)`` for k = 1..pairs."""
    columns = {}
    for k in range(1, pairs + 1):
        angle = 2 * np.pi * k * month.to_numpy(dtype=float) / period
        columns[f"sin{k}"] = np.sin(angle)
        columns[f"cos{k}"] = np.cos(angle)
    return pd.DataFrame(columns, index=month.index)


def segmented_regression(
    counts: pd.Series,
    population: pd.Series,
    time: pd.Series,
    after: pd.Series,
    month: pd.Series | None = None,
    harmonic_pairs: int = 2,
    trend: bool = True,
    slope_change: bool = False,
    quasi: bool = True,
) -> ItsResult:
    """Fit a segmented Poisson regression and return the step change as a rate ratio.

    Parameters
    ----------
    counts
        Monthly event counts.
    population
        Population at risk each month (the exposure offset).
    time
        Time index (1, 2, ...).
    after
        1 from the interruption on, 0 before.
    month
        Calendar month (1-12) for the harmonic terms; ``None`` for no seasonal adjustment.
    harmonic_pairs
        Number of sine/cosine pairs when ``month`` is given.
    trend
        Include a linear trend; without it the step compares the levels before and after.
    slope_change
        Add a change in slope after the interruption (a sensitivity analysis).
    quasi
        Estimate the scale from Pearson's chi-square (quasi-Poisson); otherwise scale 1.

    Returns
    -------
    ItsResult
        Rate ratio of the step with its 95% CI, the Pearson scale, the Durbin-Watson
        statistic of the Pearson residuals, and fitted and counterfactual rates per person.
    """
    design = pd.DataFrame({"const": 1.0, "after": after.astype(float)})
    if trend:
        design["time"] = time.astype(float)
    if slope_change:
        start = time[after == 1].min()
        design["time_after"] = np.where(after == 1, time - start + 1, 0.0)
    if month is not None and harmonic_pairs:
        design = design.join(harmonics(month, harmonic_pairs))
    model = sm.GLM(counts.astype(float), design, family=sm.families.Poisson(), offset=np.log(population.astype(float)))
    fit = model.fit(scale="X2" if quasi else None)
    estimate, se = fit.params["after"], fit.bse["after"]
    without = design.assign(after=0.0, **({"time_after": 0.0} if slope_change else {}))
    return ItsResult(
        rate_ratio=float(np.exp(estimate)),
        ci_low=float(np.exp(estimate - Z_95 * se)),
        ci_high=float(np.exp(estimate + Z_95 * se)),
        scale=float(fit.scale),
        durbin_watson=float(durbin_watson(fit.resid_pearson)),
        fitted=pd.Series(fit.predict(design, offset=np.zeros(len(design))), index=counts.index),
        counterfactual=pd.Series(fit.predict(without, offset=np.zeros(len(design))), index=counts.index),
    )
