"""Indicative evidence of impact from the monthly returns: pre-period against pilot, and ITS.

This design compares the pilot year with the year before in the same authority.
It cannot separate the pilot from anything else that changed at the same time
(other services, thresholds, the courts, recording practice), and the pilot
families are a small part of the authority's caseload. Results are indicative only.
"""

from __future__ import annotations

import dataclasses
import warnings

import altair as alt
import pandas as pd

from analysis_src.analysis.its import segmented_regression
from analysis_src.config import protocol
from analysis_src.disclosure import FEW_PEOPLE, protect_lines, protect_table, quiet, record
from analysis_src.inputs.manifest import Pilot

INDICATORS = {
    "s47_enquiries": "Section 47 enquiries",
    "cp_plans_started": "Child protection plans started",
    "plo_starts": "PLO (pre-proceedings) starts",
    "care_proceedings_started": "Care proceedings started",
    "care_entries": "Entries to care",
    "days_in_care": "Days in care",
    "placement_moves": "Placement moves",
    "reunifications": "Reunifications",
    "care_orders_rescinded": "Care orders rescinded",
}
# Days in care counts child-days, so its exposure is child-days too: a 28-day February
# would otherwise look like a fall in care, and confound the seasonal terms with the step.
CHILD_DAY_INDICATORS = {"days_in_care"}


def prepare(pilot: Pilot, returns: pd.DataFrame) -> pd.DataFrame:
    """The authority's returns in month order, with time index, period flag, calendar month and child-days."""
    frame = returns.sort_values("month").reset_index(drop=True)
    return frame.assign(
        time=range(1, len(frame) + 1),
        after=(frame["month"] >= pd.Timestamp(pilot.start_date)).astype(int),
        # The protocol's comparison: the pre-period of the same length as the pilot, against the pilot.
        compared=frame["month"] >= pd.Timestamp(pilot.start_date) - pd.DateOffset(months=pilot.months),
        calendar_month=frame["month"].dt.month,
        child_days=frame["child_population"] * frame["month"].dt.days_in_month,
    )


def exposure(frame: pd.DataFrame, indicator: str) -> pd.Series:
    """The offset of an indicator: child-days for days in care, otherwise the child population."""
    return frame["child_days"] if indicator in CHILD_DAY_INDICATORS else frame["child_population"]


def period_comparison(pilot: Pilot, returns: pd.DataFrame) -> pd.DataFrame:
    """Totals and annualised rates per 10,000 children, pre-period against pilot period."""
    frame = prepare(pilot, returns)
    rows = []
    for indicator, label in INDICATORS.items():
        row = {"Indicator": label}
        for flag, name in ((0, "Pre-period"), (1, "Pilot")):
            part = frame[(frame["after"] == flag) & frame["compared"]]
            total = part[indicator].sum()
            child_years = (part["child_population"] / 12).sum()
            # Days in care are child-days, not a count of children: never small, never suppressed.
            row[f"{name} total"] = total
            row[f"{name} rate per 10,000"] = total / child_years * 10_000
        rows.append(row)
    table = pd.DataFrame(rows).set_index("Indicator").rename_axis(None)
    formats = {column: ("{:,.0f}" if column.endswith("total") else "{:,.1f}") for column in table.columns}
    return protect_table(
        table,
        counts=["Pre-period total", "Pilot total"],
        derived={"Pre-period rate per 10,000": "Pre-period total", "Pilot rate per 10,000": "Pilot total"},
        formats=formats,
        where="Monthly returns: before and during the pilot",
    )


def its_model(pre_months: int) -> tuple[bool, int]:
    """The time-series model a pre-period of ``pre_months`` months can support: (linear trend, harmonic pairs).

    With a long history, a trend and two seasonal pairs (Lopez Bernal et al. 2017); with a
    shorter one, a trend only; with less, the level alone, which is the protocol's comparison
    of the pilot with the period before it. Thresholds are in ``protocol.yml``.
    """
    rules = protocol.current().outcomes
    if pre_months >= rules.min_pre_months_for_seasonality:
        return True, 2
    if pre_months >= rules.min_pre_months_for_trend:
        return True, 0
    return False, 0


_PAIRS = {1: "one", 2: "two"}


def its_model_text(pre_months: int) -> str:
    """The chosen model in words, for the chapter."""
    trend, pairs = its_model(pre_months)
    if pairs:
        return f"a trend and {_PAIRS[pairs]} seasonal (harmonic) pairs, fitted to {pre_months} months before the pilot"
    if trend:
        return f"a trend without seasonal terms, as {pre_months} months before the pilot cannot separate the seasons"
    return (
        f"the level alone (no trend, no seasons): {pre_months} months before the pilot are too few to extrapolate "
        "a trend, so the step compares the pilot with the period before it"
    )


def fit_indicator(pilot: Pilot, returns: pd.DataFrame, indicator: str, slope_change: bool = False):
    """Segmented quasi-Poisson regression of one indicator, or ``None`` where it is not estimable.

    Not estimable: no events in the pre-period or in the pilot period (the step would be infinite).
    The model is chosen by the length of the pre-period (:func:`its_model`), so that a short
    history is not extrapolated into a counterfactual the data cannot support.
    """
    frame = prepare(pilot, returns)
    by_period = frame.groupby("after")[indicator].sum()
    if len(by_period) < 2 or (by_period == 0).any():
        return None
    trend, pairs = its_model(int((frame["after"] == 0).sum()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = segmented_regression(
            frame[indicator],
            exposure(frame, indicator),
            frame["time"],
            frame["after"],
            month=frame["calendar_month"] if pairs else None,
            harmonic_pairs=pairs,
            trend=trend,
            slope_change=slope_change and trend,
        )
    # Estimation warnings are kept and shown beside the estimate, not silenced.
    return dataclasses.replace(result, warnings=tuple(sorted({str(w.message) for w in caught})))


def hidden_months(frame: pd.DataFrame, indicator: str, label: str = "") -> pd.Series:
    """Which months of a count indicator the chart hides: 1 to 5 events, and a complement in a period with a total.

    A month's rate from 1 to 5 children is suppressed, and with it another month of the
    same period where the period's total is published (the comparison table), so that no
    month can be worked back as the total less the others. Days in care (child-days) hide none.
    """
    months = frame["month"].dt.strftime("%Y-%m").to_numpy()
    if indicator in CHILD_DAY_INDICATORS:
        return pd.Series(False, index=months)
    counts = frame[indicator].astype(float).set_axis(months)
    periods = [frame["compared"] & (frame["after"] == 0), frame["after"] == 1]
    lines = [list(counts.index[period.to_numpy()]) for period in periods]
    return protect_lines(counts, lines, where="Monthly rates chart", column=label)


def its_figures(pilot: Pilot, returns: pd.DataFrame) -> dict[str, float]:
    """Ledger figures: the step rate ratio and 95% CI per indicator, its slope-change sensitivity and DW.

    ``months_hidden`` counts the months the chart hides: where there are any, the model is
    not published (its fitted values and estimate, with the months shown, would give the
    hidden months back through the model's score equations).
    """
    frame = prepare(pilot, returns)
    figures = {"outcomes.its.pre_months": int((frame["after"] == 0).sum())}
    for indicator in INDICATORS:
        step = fit_indicator(pilot, returns, indicator)
        if step is None:
            continue
        key = f"outcomes.its.{indicator}"
        figures |= {f"{key}.rate_ratio": step.rate_ratio, f"{key}.ci_low": step.ci_low, f"{key}.ci_high": step.ci_high}
        figures[f"{key}.durbin_watson"] = step.durbin_watson
        figures[f"{key}.warnings"] = len(step.warnings)
        with quiet():  # logged where the chart hides them
            figures[f"{key}.months_hidden"] = int(hidden_months(frame, indicator).sum())
        if its_model(figures["outcomes.its.pre_months"])[0]:  # a change of slope needs a trend to change
            slope = fit_indicator(pilot, returns, indicator, slope_change=True)
            figures[f"{key}.with_slope_change.rate_ratio"] = slope.rate_ratio
    return figures


def its_table(figures: dict[str, float]) -> pd.DataFrame:
    """Rate ratios with 95% CIs, the slope-change sensitivity, and the autocorrelation check."""
    rows = []
    # Durbin-Watson outside this band suggests autocorrelated residuals.
    low, high = protocol.current().outcomes.durbin_watson_band
    for indicator, label in INDICATORS.items():
        key = f"outcomes.its.{indicator}"
        if f"{key}.rate_ratio" not in figures:
            rows.append({"Indicator": label, "Rate ratio (95% CI)": "x (not estimable: no events in a period)"})
            continue
        if figures.get(f"{key}.months_hidden", 0):
            reason = "c (months of 1 to 5 events: the model would give them back)"
            rows.append(
                {"Indicator": label, "Rate ratio (95% CI)": reason, "With slope change": "c", "Durbin-Watson": "c"}
            )
            record("Interrupted time series", label, "all columns", FEW_PEOPLE)
            continue
        dw = figures[f"{key}.durbin_watson"]
        rows.append(
            {
                "Indicator": label,
                "Rate ratio (95% CI)": (
                    f"{figures[f'{key}.rate_ratio']:.2f} "
                    f"({figures[f'{key}.ci_low']:.2f} to {figures[f'{key}.ci_high']:.2f})"
                ),
                "With slope change": (
                    f"{figures[f'{key}.with_slope_change.rate_ratio']:.2f}"
                    if f"{key}.with_slope_change.rate_ratio" in figures
                    else "z (no trend to change)"
                ),
                "Durbin-Watson": f"{dw:.2f}" + ("" if low <= dw <= high else " (check autocorrelation)"),
                "Fit": "the fit warned: read with caution" if figures.get(f"{key}.warnings", 0) else "",
            }
        )
    table = pd.DataFrame(rows).set_index("Indicator").rename_axis(None).fillna("")
    # The column appears only when a fit warned, so that a reader sees the flag beside its estimate.
    return table if (table.get("Fit", pd.Series(dtype=str)) != "").any() else table.drop(columns="Fit", errors="ignore")


def rates_for_chart(pilot: Pilot, returns: pd.DataFrame) -> pd.DataFrame:
    """Monthly observed, fitted and counterfactual rates per 10,000 children for every estimable indicator."""
    frame = prepare(pilot, returns)
    parts = []
    for indicator, label in INDICATORS.items():
        result = fit_indicator(pilot, returns, indicator)
        if result is None:
            continue
        # Rates per 10,000 children a month; for days in care, children in care per 10,000 on an average day.
        scale = 10_000
        observed = frame[indicator] / exposure(frame, indicator) * scale
        hidden = hidden_months(frame, indicator, label).to_numpy()
        observed = observed.where(~hidden)
        series = {"Observed": observed}
        if not hidden.any():  # with hidden months, the fitted values would give them back: observed only
            series |= {
                "Fitted": result.fitted * scale,
                "Counterfactual (no pilot)": (result.counterfactual * scale).where(frame["after"] == 1),
            }
        for name, values in series.items():
            parts.append(
                pd.DataFrame(
                    {"month": frame["month"].dt.strftime("%Y-%m"), "indicator": label, "series": name, "rate": values}
                )
            )
    return pd.concat(parts, ignore_index=True).dropna(subset=["rate"]).round({"rate": 4})


def its_chart(data: pd.DataFrame, pilot: Pilot) -> alt.FacetChart:
    """Small multiples of observed monthly rates, the fitted model and the counterfactual."""
    start = pd.Timestamp(pilot.start_date).strftime("%Y-%m")
    base = alt.Chart(data, width=230, height=140)
    observed = base.transform_filter(alt.datum.series == "Observed").mark_point(filled=True, size=20, color="#000000")
    lines = base.transform_filter(alt.datum.series != "Observed").mark_line()
    encode = {
        "x": alt.X("month:O", title=None, axis=alt.Axis(labels=False, ticks=False)),
        "y": alt.Y("rate:Q", title="Rate per 10,000 children", scale=alt.Scale(zero=False)),
        "tooltip": [alt.Tooltip("month:O"), alt.Tooltip("series:N"), alt.Tooltip("rate:Q", format=".2f")],
    }
    rule = base.mark_rule(strokeDash=[2, 2], color="#777777", aria=False).encode(x=alt.datum(start))
    layered = alt.layer(
        observed.encode(**encode),
        lines.encode(
            **encode, color=alt.Color("series:N", title=None), strokeDash=alt.StrokeDash("series:N", title=None)
        ),
        rule,
    )
    return (
        layered.facet(facet=alt.Facet("indicator:N", title=None), columns=3)
        .resolve_scale(y="independent")
        .properties(title=f"{pilot.name}: monthly rates, model fit and counterfactual (dashed rule: pilot start)")
    )
