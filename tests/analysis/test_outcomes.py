import dataclasses

import numpy as np
import pandas as pd
import pytest

from analysis_src.analysis.its import segmented_regression
from analysis_src.analysis.outcomes import INDICATORS, fit_indicator, its_figures, period_comparison, rates_for_chart


@pytest.fixture
def pilot(pilots):
    return pilots[0]


def _returns(pilot, rng, step=1.0, zero_pre=False, start="2018-03-01"):
    months = pd.date_range(start, "2020-02-01", freq="MS")
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
    """12 months before the pilot: the level alone; 36: a trend and two seasonal pairs."""
    for start, trend, month in (("2018-03-01", False, False), ("2016-03-01", True, True)):
        frame = _returns(pilot, np.random.default_rng(4), start=start)
        figures = its_figures(pilot, frame)
        after = (frame["month"] >= pd.Timestamp(pilot.start_date)).astype(int)
        direct = segmented_regression(
            frame["plo_starts"],
            frame["child_population"],
            pd.Series(range(1, len(frame) + 1)),
            after,
            month=frame["month"].dt.month if month else None,
            trend=trend,
        )
        assert figures["outcomes.its.plo_starts.rate_ratio"] == pytest.approx(direct.rate_ratio)
        assert figures["outcomes.its.pre_months"] == int((after == 0).sum())
        assert ("outcomes.its.plo_starts.with_slope_change.rate_ratio" in figures) == trend


@pytest.mark.parametrize(
    ("pre_months", "model"), [(12, (False, 0)), (23, (False, 0)), (24, (True, 0)), (36, (True, 2))]
)
def test_the_model_is_chosen_by_the_length_of_the_pre_period(pre_months, model):
    from analysis_src.analysis.outcomes import its_model, its_model_text

    assert its_model(pre_months) == model
    assert str(pre_months) in its_model_text(pre_months)


def test_the_protocol_comparison_uses_the_pre_period_of_the_pilots_length(pilot):
    frame = _returns(pilot, np.random.default_rng(7), start="2016-03-01")
    frame["s47_enquiries"] = 50
    frame.loc[frame["month"] < pd.Timestamp("2018-03-01"), "s47_enquiries"] = 500  # older history, not compared
    table = period_comparison(pilot, frame)
    assert table.loc["Section 47 enquiries", "Pre-period total"] == "600"


def test_a_trend_from_a_short_history_is_not_extrapolated(pilot):
    """A chance slope over 12 pre-months would be extended over the pilot; the level model does not do that."""
    frame = _returns(pilot, np.random.default_rng(8))
    pre = frame["month"] < pd.Timestamp(pilot.start_date)
    frame.loc[pre, "care_entries"] = np.linspace(20, 60, int(pre.sum())).round().astype(int)  # rising by chance
    frame.loc[~pre, "care_entries"] = 40
    result = fit_indicator(pilot, frame, "care_entries")
    assert result.rate_ratio == pytest.approx(40 * 12 / frame.loc[pre, "care_entries"].sum(), rel=1e-6)


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


def test_a_small_month_cannot_be_worked_back_from_the_period_total(pilot):
    frame = _returns(pilot, np.random.default_rng(6))
    pilot_months = frame["month"] >= pd.Timestamp(pilot.start_date)
    frame.loc[pilot_months.idxmax(), "care_entries"] = 3  # one month of 3 children in the pilot period
    data = rates_for_chart(pilot, frame)
    observed = data[(data["series"] == "Observed") & (data["indicator"] == INDICATORS["care_entries"])]
    shown = set(observed["month"])
    pilot_labels = set(frame.loc[pilot_months, "month"].dt.strftime("%Y-%m"))
    hidden = pilot_labels - shown
    # The 3 and at least one more month of the pilot: the period's total (published) less the shown months
    # leaves their sum, not the 3.
    assert frame.loc[pilot_months.idxmax(), "month"].strftime("%Y-%m") in hidden and len(hidden) >= 2
