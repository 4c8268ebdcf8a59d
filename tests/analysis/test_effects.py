"""Effect sizes against published worked examples and independent computations."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis_src.analysis.effects import (
    Stratum,
    hedges_g,
    hedges_g_from_values,
    mantel_haenszel_risk_difference,
    mantel_haenszel_risk_ratio,
    risk_difference,
    standardised_mean_difference,
    stratified_hedges_g,
    wilson,
)


def test_hedges_g_reproduces_borenstein_worked_example():
    # Borenstein et al. (2009), Introduction to Meta-Analysis, ch. 4: g = 0.5924, SE 0.2028
    result = hedges_g(103, 5.5, 50, 100, 4.5, 50)
    assert round(result.estimate, 4) == 0.5924
    assert round(result.se, 4) == 0.2028
    assert result.ci_low == pytest.approx(0.5924 - 1.96 * 0.2028, abs=1e-3)


def test_hedges_g_from_values_matches_the_summary_statistics_route():
    rng = np.random.default_rng(1)
    a, b = pd.Series(rng.normal(1, 2, 30)), pd.Series(rng.normal(0, 2, 25))
    direct = hedges_g(a.mean(), a.std(), 30, b.mean(), b.std(), 25)
    assert hedges_g_from_values(a, b).estimate == pytest.approx(direct.estimate)


def test_wilson_interval_matches_the_textbook_example():
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I: 81/263 -> 0.2553 to 0.3662
    result = wilson(81, 263)
    assert (round(result.ci_low, 4), round(result.ci_high, 4)) == (0.2553, 0.3662)


def test_wilson_agrees_with_scipy():
    interval = stats.binomtest(7, 10).proportion_ci(confidence_level=0.95, method="wilson")
    result = wilson(7, 10)
    assert (result.ci_low, result.ci_high) == pytest.approx((interval.low, interval.high))


def test_newcombe_risk_difference_matches_the_published_example():
    # Newcombe (1998), Stat Med 17:873-890, example (a): 56/70 vs 48/80 -> 0.0524 to 0.3339
    result = risk_difference(56, 70, 48, 80)
    assert result.estimate == pytest.approx(0.2)
    assert (round(result.ci_low, 4), round(result.ci_high, 4)) == (0.0524, 0.3339)


def test_smd_for_continuous_and_binary_characteristics():
    assert standardised_mean_difference([1, 2, 3], [1, 2, 3]) == 0
    assert standardised_mean_difference([2, 4], [0, 2]) == pytest.approx(2 / math.sqrt(2))
    assert standardised_mean_difference([1, 1, 0, 0], [1, 0, 0, 0], binary=True) == pytest.approx(
        (0.5 - 0.25) / math.sqrt((0.25 + 0.1875) / 2)
    )


# The SAS/STAT PROC FREQ documentation, example "Cochran-Mantel-Haenszel Statistics" (migraine trial,
# stratified by gender): treatment Active/Placebo, response Better/Same. Its "Common Relative Risks"
# table gives the Mantel-Haenszel cohort (column 1) risk ratio 2.1636 with 95% limits 1.2336 to 3.7948.
MIGRAINE = [Stratum(16, 27, 5, 25), Stratum(12, 28, 7, 26)]


def test_mantel_haenszel_risk_ratio_reproduces_the_published_migraine_example():
    rr = mantel_haenszel_risk_ratio(MIGRAINE)
    assert (round(rr.estimate, 4), round(rr.ci_low, 4), round(rr.ci_high, 4)) == (2.1636, 1.2336, 3.7948)


def test_mantel_haenszel_risk_ratio_agrees_with_statsmodels():
    from statsmodels.stats.contingency_tables import StratifiedTable

    tables = [np.array([[s.events_1, s.n_1 - s.events_1], [s.events_0, s.n_0 - s.events_0]]) for s in MIGRAINE]
    assert mantel_haenszel_risk_ratio(MIGRAINE).estimate == pytest.approx(StratifiedTable(tables).riskratio_pooled)


def test_mantel_haenszel_risk_difference_by_hand_and_with_one_stratum():
    # Migraine: females 16/27 - 5/25 with weight 27*25/52, males 12/28 - 7/26 with weight 28*26/54.
    w = (27 * 25 / 52, 28 * 26 / 54)
    expected = (w[0] * (16 / 27 - 5 / 25) + w[1] * (12 / 28 - 7 / 26)) / sum(w)
    assert mantel_haenszel_risk_difference(MIGRAINE).estimate == pytest.approx(expected)
    one = mantel_haenszel_risk_difference([Stratum(16, 27, 5, 25)])
    assert one.estimate == pytest.approx(16 / 27 - 5 / 25)
    # With one large stratum, Sato's variance is close to the Wald variance.
    big = mantel_haenszel_risk_difference([Stratum(300, 1000, 200, 1000)])
    assert big.se == pytest.approx(math.sqrt(0.3 * 0.7 / 1000 + 0.2 * 0.8 / 1000), rel=0.01)


def test_stratification_removes_confounding_by_period():
    """Simpson's paradox: no effect within either period, yet the crude difference is far from zero."""
    early, late = Stratum(8, 10, 8, 10), Stratum(4, 20, 2, 10)  # 80% vs 80%; 20% vs 20%
    crude = (early.events_1 + late.events_1) / 30 - (early.events_0 + late.events_0) / 20
    assert crude == pytest.approx(0.4 - 0.5)
    assert mantel_haenszel_risk_difference([early, late]).estimate == pytest.approx(0.0)
    assert mantel_haenszel_risk_ratio([early, late]).estimate == pytest.approx(1.0)


def test_a_ratio_with_no_events_in_one_arm_is_not_estimable():
    assert mantel_haenszel_risk_ratio([Stratum(0, 10, 3, 10), Stratum(0, 5, 1, 5)]) is None


def test_stratified_hedges_g_weights_by_inverse_variance_and_skips_empty_strata():
    a1, a0 = pd.Series([1.0, 2.0, 3.0, 4.0]), pd.Series([2.0, 3.0, 4.0, 5.0])
    b1, b0 = pd.Series([0.0, 1.0, 0.0, 1.0, 1.0, 0.0]), pd.Series([1.0, 1.0, 0.0, 1.0, 1.0, 1.0])
    ga, gb = hedges_g_from_values(a1, a0), hedges_g_from_values(b1, b0)
    w = (1 / ga.se**2, 1 / gb.se**2)
    pooled = stratified_hedges_g([(a1, a0), (b1, b0), (pd.Series([1.0]), pd.Series([2.0, 3.0]))])
    assert pooled.estimate == pytest.approx((w[0] * ga.estimate + w[1] * gb.estimate) / sum(w))
    assert pooled.se == pytest.approx(math.sqrt(1 / sum(w)))
    assert stratified_hedges_g([(pd.Series([1.0]), pd.Series([2.0]))]) is None
