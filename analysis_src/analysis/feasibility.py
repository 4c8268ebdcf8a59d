"""Feasibility and reach: were the planned families reached, how fast, and were they the intended group."""

from __future__ import annotations

import altair as alt
import pandas as pd

from analysis_src.config import protocol
from analysis_src.disclosure import protect_chart_data, protect_table
from analysis_src.inputs.manifest import Pilot

COHORT_KEYS = {"0-4": "age_0_4", "5-9": "age_5_9", "10-17": "age_10_17"}


def first_spend(transactions: pd.DataFrame) -> pd.Series:
    """Date of each family's first transaction."""
    return transactions.groupby("family_id")["transaction_date"].min()


def reach_against_plan(reached: int, planned: int | None) -> dict[str, float]:
    """The protocol's reach criterion: 1 met, 0 not met, -1 not assessable when no plan was published.

    Without a published plan there is nothing to compare with: the published number of
    families is what was reached, so comparing with it would be met by construction.
    """
    if planned is None:
        return {"feasibility.within_30pct": -1}
    # Compare counts, not a ratio of floats: 13 reached against 10 planned is exactly +30%, met at ±30%.
    tolerance = protocol.current().feasibility.reach_tolerance
    return {
        "feasibility.reach_ratio": reached / planned,
        "feasibility.within_30pct": int(abs(reached - planned) <= tolerance * planned),
    }


def reach_figures(pilot: Pilot, families: pd.DataFrame, transactions: pd.DataFrame) -> dict[str, float]:
    """Ledger figures for reach: planned against reached, the uptake funnel, timing and cohorts.

    Parameters
    ----------
    pilot
        The manifest entry (planned families).
    families, transactions
        The pilot's validated tables.

    Returns
    -------
    dict
        ``feasibility.*``, ``funnel.*``, ``timing.*`` and ``reach.cohort.*`` figures.
    """
    firsts = first_spend(transactions)
    reached = len(firsts)
    eligible = families["eligible"] == "Y"
    spenders = families[families["family_id"].isin(firsts.index)].set_index("family_id")
    days = (firsts - spenders["referral_date"].reindex(firsts.index)).dt.days
    figures = {
        "feasibility.families_reached": reached,
        **reach_against_plan(reached, pilot.planned_families),
        "funnel.referred": len(families),
        "funnel.eligible": int(eligible.sum()),
        "funnel.applied": int((eligible & families["application_date"].notna()).sum()),
        "funnel.with_spend": reached,
        "timing.referral_to_first_spend_days.median": float(days.median()),
        "timing.referral_to_first_spend_days.q1": float(days.quantile(0.25)),
        "timing.referral_to_first_spend_days.q3": float(days.quantile(0.75)),
    }
    cohorts = spenders["age_cohort"].value_counts()
    for cohort, key in COHORT_KEYS.items():
        figures[f"reach.cohort.{key}.families"] = int(cohorts.get(cohort, 0))
    return figures


def funnel_table(figures: dict[str, float]) -> pd.DataFrame:
    """The uptake funnel as a table: each stage and its share of the eligible families."""
    stages = [
        ("Referred to the pilot", "funnel.referred"),
        ("Identified as eligible", "funnel.eligible"),
        ("Application made", "funnel.applied"),
        ("Any spending", "funnel.with_spend"),
    ]
    eligible = figures["funnel.eligible"]
    return pd.DataFrame(
        {
            "stage": [label for label, _ in stages],
            "families": [figures[key] for _, key in stages],
            "share_of_eligible": [figures[key] / eligible if eligible else float("nan") for _, key in stages],
        }
    )


def funnel_chart(funnel: pd.DataFrame, pilot_name: str) -> alt.Chart:
    """Horizontal bars of the uptake funnel, in stage order."""
    funnel = protect_chart_data(
        funnel, ["families"], where="Funnel chart", label="stage", derived={"share_of_eligible": "families"}
    )
    return (
        alt.Chart(funnel, title=f"{pilot_name}: from referral to spending", width=420)
        .mark_bar()
        .encode(
            y=alt.Y("stage:N", sort=list(funnel["stage"]), title=None),
            x=alt.X("families:Q", title="Families"),
            tooltip=[alt.Tooltip("stage:N", title="Stage"), alt.Tooltip("families:Q", title="Families")],
        )
    )


def first_spend_by_month(pilot: Pilot, transactions: pd.DataFrame) -> pd.DataFrame:
    """Families whose first spending fell in each month of the pilot, and the running total."""
    months = pd.period_range(pilot.start_date, pilot.end_date, freq="M")
    counts = first_spend(transactions).dt.to_period("M").value_counts().reindex(months, fill_value=0)
    frame = pd.DataFrame({"month": months.astype(str), "new_families": counts.to_numpy()})
    # The months add up to the families reached, which is published: secondary suppression applies.
    return protect_chart_data(
        frame, ["new_families"], additive=True, where="Families with a first spend, by month", label="month"
    )


def first_spend_chart(by_month: pd.DataFrame, pilot_name: str) -> alt.Chart:
    """Bars of families with a first spend each month; suppressed months are left as gaps."""
    return (
        alt.Chart(by_month, title=f"{pilot_name}: families with a first spend, by month (gaps: c)", width=560)
        .mark_bar()
        .encode(
            x=alt.X("month:O", title="Month", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("new_families:Q", title="Families"),
            tooltip=[alt.Tooltip("month:O", title="Month"), alt.Tooltip("new_families:Q", title="New families")],
        )
    )


def cohort_table(figures: dict[str, float]) -> pd.DataFrame:
    """Families with spending by age cohort of the oldest child."""
    counts = [figures[f"reach.cohort.{key}.families"] for key in COHORT_KEYS.values()]
    total = sum(counts)
    frame = pd.DataFrame(
        {"Families with spending": counts, "Share": [c / total if total else float("nan") for c in counts]},
        index=[f"Oldest child aged {cohort}" for cohort in COHORT_KEYS],
    )
    return protect_table(
        frame,
        counts=["Families with spending"],
        derived={"Share": "Families with spending"},
        formats={"Families with spending": "{:,.0f}", "Share": "{:.0%}"},
        additive=True,
        where="Families with spending by age cohort",
    )
