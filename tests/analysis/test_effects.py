"""Effect sizes against published worked examples and independent computations."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis_src.analysis.effects import (
    hedges_g,
    hedges_g_from_values,
    risk_difference,
    risk_ratio,
    standardised_mean_difference,
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


def test_risk_ratio_log_interval_by_hand():
    result = risk_ratio(10, 40, 20, 40)
    se = math.sqrt(1 / 10 - 1 / 40 + 1 / 20 - 1 / 40)
    assert result.estimate == pytest.approx(0.5)
    assert result.ci_low == pytest.approx(0.5 * math.exp(-1.959963984540054 * se))


def test_risk_ratio_with_a_zero_cell_uses_the_continuity_correction():
    result = risk_ratio(0, 20, 3, 20)
    assert result.estimate == pytest.approx((0.5 / 21) / (3.5 / 21))
    assert result.ci_low > 0


def test_smd_for_continuous_and_binary_characteristics():
    assert standardised_mean_difference([1, 2, 3], [1, 2, 3]) == 0
    assert standardised_mean_difference([2, 4], [0, 2]) == pytest.approx(2 / math.sqrt(2))
    assert standardised_mean_difference([1, 1, 0, 0], [1, 0, 0, 0], binary=True) == pytest.approx(
        (0.5 - 0.25) / math.sqrt((0.25 + 0.1875) / 2)
    )
