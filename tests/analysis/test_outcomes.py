import dataclasses

import numpy as np
import pandas as pd
import pytest

from analysis_src.analysis.its import segmented_regression
from analysis_src.analysis.outcomes import INDICATORS, fit_indicator, its_figures, period_comparison, rates_for_chart


@pytest.fixture
def pilot(pilots):
    return pilots[0]


def _returns(pilot, rng, step=1.0, zero_pre=False):
    months = pd.date_range("2018-03-01", "2020-02-01", freq="MS")
    frame = pd.DataFrame({"month": months, "child_population": 50_000})
    after = (months >= pd.Timestamp(pilot.start_date)).astype(int)
    for indicator in INDICATORS:
        mean = 40 * np.where(after == 1, step, 1.0)
        frame[indicator] = rng.poisson(mean)
    if zero_pre:
        frame.loc[after == 0, "care_orders_rescinded"] = 0
    frame["days_in_care"] = 300 * frame["month"].dt.days_in_month
    return frame


def test_period_comparison_annualises_rates_per_10000(pilot):
    frame = _returns(pilot, np.random.default_rng(0))
    frame["s47_enquiries"] = 50  # 600 a year in 50,000 children: 120 per 10,000
    table = period_comparison(pilot, frame)
    assert table.loc["Section 47 enquiries", "Pre-period total"] == "600"
    assert table.loc["Section 47 enquiries", "Pilot rate per 10,000"] == "120.0"


def test_a_built_in_step_is_recovered(pilot):
    frame = _returns(pilot, np.random.default_rng(1), step=0.5)
    result = fit_indicator(pilot, frame, "s47_enquiries")
    assert result.ci_low < 0.5 < result.ci_high
    assert result.ci_high < 1


def test_days_in_care_uses_child_days_so_short_months_are_not_a_step(pilot):
    frame = _returns(pilot, np.random.default_rng(2))  # a constant 300 children in care every day
    result = fit_indicator(pilot, frame, "days_in_care")
    assert result.rate_ratio == pytest.approx(1.0, abs=1e-6)


def test_an_indicator_without_events_in_a_period_is_not_estimable(pilot):
    frame = _returns(pilot, np.random.default_rng(3), zero_pre=True)
    assert fit_indicator(pilot, frame, "care_orders_rescinded") is None
    figures = its_figures(pilot, frame)
    assert "outcomes.its.care_orders_rescinded.rate_ratio" not in figures
    assert "outcomes.its.s47_enquiries.rate_ratio" in figures


def test_its_figures_match_the_routine_called_directly(pilot):
    frame = _returns(pilot, np.random.default_rng(4))
    figures = its_figures(pilot, frame)
    after = (frame["month"] >= pd.Timestamp(pilot.start_date)).astype(int)
    direct = segmented_regression(
        frame["plo_starts"], frame["child_population"], pd.Series(range(1, 25)), after, month=frame["month"].dt.month
    )
    assert figures["outcomes.its.plo_starts.rate_ratio"] == pytest.approx(direct.rate_ratio)


def test_short_series_are_fitted_without_seasonal_terms(pilot):
    frame = _returns(pilot, np.random.default_rng(5)).iloc[6:18]
    short = dataclasses.replace(pilot)
    assert fit_indicator(short, frame, "s47_enquiries") is not None


def test_chart_data_are_monthly_rates_not_rows_of_people(pilot):
    data = rates_for_chart(pilot, _returns(pilot, np.random.default_rng(6)))
    assert set(data.columns) == {"month", "indicator", "series", "rate"}
    counterfactual = data[data["series"] == "Counterfactual (no pilot)"]
    assert counterfactual["month"].min() == "2019-03"


def test_a_fit_that_warns_is_flagged_beside_its_estimate():
    from analysis_src.analysis.outcomes import its_table

    figures = {}
    for indicator in INDICATORS:
        key = f"outcomes.its.{indicator}"
        figures |= {
            f"{key}.rate_ratio": 1.0,
            f"{key}.ci_low": 0.8,
            f"{key}.ci_high": 1.2,
            f"{key}.durbin_watson": 2.0,
            f"{key}.with_slope_change.rate_ratio": 1.0,
            f"{key}.warnings": 0,
        }
    assert "Fit" not in its_table(figures).columns
    figures["outcomes.its.care_entries.warnings"] = 1
    table = its_table(figures)
    assert table.loc["Entries to care", "Fit"] == "the fit warned: read with caution"
    assert table.loc["Section 47 enquiries", "Fit"] == ""
