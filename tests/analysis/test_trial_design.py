"""MDES formulas against independent hand computations (Bloom 1995; Dong and Maynard 2013)."""

import math

import pytest
from scipy import stats

from analysis_src.analysis.trial_design import (
    design_effect,
    families_for_effect,
    mdes_cluster,
    mdes_individual,
    multiplier,
)


def test_individual_trial_of_100_gives_about_0_57():
    # by hand: M = t(0.975, 98) + t(0.80, 98) = 1.9845 + 0.8453 = 2.8298; SE = sqrt(1 / (0.25 * 100)) = 0.2
    assert round(mdes_individual(100), 3) == round(2.8298 * 0.2, 3)
    assert round(mdes_individual(100), 2) == 0.57


def test_multiplier_approaches_2_8_for_large_samples():
    assert multiplier(10_000) == pytest.approx(stats.norm.ppf(0.975) + stats.norm.ppf(0.8), abs=1e-3)
    assert multiplier(10_000) == pytest.approx(2.80, abs=0.01)


def test_cluster_mdes_by_hand():
    # J = 20 clusters of m = 30, ICC = 0.05, P = 0.5; df = 18
    m = stats.t.ppf(0.975, 18) + stats.t.ppf(0.8, 18)
    by_hand = m * math.sqrt(0.05 / (0.25 * 20) + 0.95 / (0.25 * 20 * 30))
    assert mdes_cluster(20, 30, 0.05) == pytest.approx(by_hand)


def test_cluster_mdes_with_no_icc_equals_an_individual_trial_with_cluster_degrees_of_freedom():
    expected = multiplier(18) * math.sqrt(1 / (0.25 * 600))
    assert mdes_cluster(20, 30, 0.0) == pytest.approx(expected)


def test_families_for_an_effect_of_0_2():
    n = families_for_effect(0.2)
    assert mdes_individual(n) <= 0.2 < mdes_individual(n - 1)
    assert 780 <= n <= 800  # (2.80 / 0.2)^2 / 0.25 = 784


def test_design_effect():
    assert design_effect(11, 0.05) == pytest.approx(1.5)


def test_cluster_design_needs_three_authorities_and_its_verdict_follows_the_figure():
    from analysis_src.analysis.trial_design import cluster_text, design_figures

    two = design_figures(69.0, 0.0, 2, 10, 208)
    assert "trial_design.mdes_cluster" not in two
    assert "cannot be assessed from 2 authorities" in cluster_text(two, 2)
    three = design_figures(69.0, 0.0, 3, 10, 208)
    assert three["trial_design.mdes_cluster"] > 0.2 and "1.96, larger than an effect of 0.2." in cluster_text(three, 3)
    many = design_figures(69.0, 0.0, 150, 10, 150 * 69)
    assert many["trial_design.mdes_cluster"] < 0.2 and "no larger than an effect of 0.2." in cluster_text(many, 150)


def test_the_trial_is_also_sized_at_the_assumed_iccs_and_says_which_the_headline_uses():
    from analysis_src.analysis.trial_design import design_effect, design_figures, families_for_effect, sizing_range_text

    figures = design_figures(70, 0.0, 3, 10, 208)
    per_worker = 208 / 10
    assert figures["trial_design.families_for_effect_0_2"] == families_for_effect(0.2, 0.5, 1.0)
    assert figures["trial_design.families_for_effect_at_icc.0_05"] == families_for_effect(
        0.2, 0.5, design_effect(per_worker, 0.05)
    )
    assert (
        figures["trial_design.families_for_effect_at_icc.0_10"]
        > figures["trial_design.families_for_effect_at_icc.0_05"]
    )
    text = sizing_range_text(figures)
    assert text.startswith("The headline uses the ICC of 0.000")
    assert f"about {figures['trial_design.families_for_effect_at_icc.0_05']:,.0f} families at an ICC of 0.05" in text
