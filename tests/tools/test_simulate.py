"""The trial estimators simulated on Darlington's design: unbiased with the ratio change, intervals that cover."""

import math

import numpy as np
import pytest

from analysis_src.tools.simulate import TrialDesign, allocate, performance, simulate_trial

REPETITIONS = 1000
STRATIFIED = [
    "risk difference, Mantel-Haenszel by period",
    "log risk ratio, Mantel-Haenszel by period",
    "Hedges' g, inverse-variance by period",
]


@pytest.fixture(scope="module")
def table():
    return performance(TrialDesign(), REPETITIONS, seed=20190301).set_index("method")


def test_allocation_changes_ratio_at_the_midpoint():
    times, treated = allocate(3000, np.random.default_rng(1))
    assert treated[times < 0.5].mean() == pytest.approx(1 / 2, abs=0.03)
    assert treated[times >= 0.5].mean() == pytest.approx(2 / 3, abs=0.03)


def test_the_simulated_risk_falls_over_the_pilot():
    trial = simulate_trial(TrialDesign(families=20000, log_odds_effect=0.0), np.random.default_rng(2))
    early, late = (trial.loc[trial["ratio_in_force"] == r, "outcome"].mean() for r in ("1:1", "2:1"))
    assert early > late + 0.1


@pytest.mark.parametrize("method", STRATIFIED)
def test_stratified_estimators_are_unbiased_with_the_ratio_change(table, method):
    row = table.loc[method]
    assert row["repetitions"] >= 0.95 * REPETITIONS
    assert abs(row["bias"]) <= 3 * row["bias_mcse"], row


@pytest.mark.parametrize("method", STRATIFIED[:1] + STRATIFIED[2:])
def test_stratified_intervals_cover_within_the_monte_carlo_band(table, method):
    band = 3 * math.sqrt(0.95 * 0.05 / table.loc[method, "repetitions"])
    assert abs(table.loc[method, "coverage"] - 0.95) <= band, table.loc[method]


def test_the_risk_ratio_interval_is_not_too_narrow(table):
    """The Greenland-Robins interval may be conservative in sparse strata; it must not undercover."""
    row = table.loc["log risk ratio, Mantel-Haenszel by period"]
    assert row["coverage"] >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / row["repetitions"])


def test_the_harness_detects_the_bias_of_a_pooled_comparison(table):
    """The crude comparison mixes the periods: the intervention arm holds more late, lower-risk families."""
    row = table.loc["risk difference, crude (pooled over periods)"]
    assert row["bias"] < -3 * row["bias_mcse"]


def test_performance_refuses_a_design_with_an_effect():
    with pytest.raises(ValueError, match="no true effect"):
        performance(TrialDesign(log_odds_effect=0.5), 10, seed=1)


@pytest.fixture(scope="module")
def its_table():
    import pandas as pd

    from analysis_src.tools.simulate import its_performance

    return pd.concat([its_performance(pre, 400, seed=20190301) for pre in (12, 36)]).set_index(["pre_months", "method"])


def test_a_long_history_gives_an_unbiased_step_with_nominal_coverage(its_table):
    row = its_table.loc[(36, "log rate ratio, chosen by the pre-period")]
    assert abs(row["bias"]) <= 3 * row["bias_mcse"]
    assert abs(row["coverage"] - 0.95) <= 3 * math.sqrt(0.95 * 0.05 / row["repetitions"])


def test_a_short_history_is_not_extrapolated_into_wide_or_wild_counterfactuals(its_table):
    """With 12 months the full model's intervals are several times wider; the level model's are not."""
    chosen = its_table.loc[(12, "log rate ratio, chosen by the pre-period")]
    full = its_table.loc[(12, "log rate ratio, full (trend and two seasonal pairs)")]
    assert full["mean_width"] > 3 * chosen["mean_width"]
    # The level model compares the pilot year with the year before, so it carries the true trend of
    # 2% a year into the step: its bias is log(1.02), no more, within Monte Carlo error.
    assert abs(chosen["bias"] - math.log(1.02)) <= 3 * chosen["bias_mcse"]
    assert chosen["coverage"] >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / chosen["repetitions"])


@pytest.mark.slow
def test_the_committed_simulation_study_is_what_the_code_produces():
    """The methods page reads book/validation/simulation.json: it must be this code's output (make simulate)."""
    import json

    from analysis_src.paths import SIMULATION_PATH
    from analysis_src.tools.simulate import study

    committed = json.loads(SIMULATION_PATH.read_text(encoding="utf-8"))
    fresh = json.loads(json.dumps(study(committed["repetitions"], committed["seed"]), sort_keys=True))
    assert fresh == committed
