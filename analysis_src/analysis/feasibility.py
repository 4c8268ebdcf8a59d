"""Feasibility and reach: were the planned families reached, how fast, and were they the intended group."""

from __future__ import annotations

import itertools
import re

import altair as alt
import pandas as pd

from analysis_src.config import protocol
from analysis_src.disclosure import (
    PRIMARY,
    ROUNDED,
    SECONDARY,
    SUPPRESSED,
    is_small,
    protect_chart_data,
    protect_lines,
    protect_table,
    quiet,
    record,
    round_where_safe,
    rounding_band,
)
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


def funnel_figures(families: pd.DataFrame, reached: int) -> dict[str, float]:
    """The uptake funnel's stages: families referred, eligible, applied for and with any spending."""
    eligible = families["eligible"] == "Y"
    return {
        "funnel.referred": len(families),
        "funnel.eligible": int(eligible.sum()),
        "funnel.applied": int((eligible & families["application_date"].notna()).sum()),
        "funnel.with_spend": reached,
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
    spenders = families[families["family_id"].isin(firsts.index)].set_index("family_id")
    days = (firsts - spenders["referral_date"].reindex(firsts.index)).dt.days
    figures = {
        "feasibility.families_reached": reached,
        **reach_against_plan(reached, pilot.planned_families),
        **funnel_figures(families, reached),
        "timing.referral_to_first_spend_days.median": float(days.median()),
        "timing.referral_to_first_spend_days.q1": float(days.quantile(0.25)),
        "timing.referral_to_first_spend_days.q3": float(days.quantile(0.75)),
    }
    cohorts = spenders["age_cohort"].value_counts()
    for cohort, key in COHORT_KEYS.items():
        figures[f"reach.cohort.{key}.families"] = int(cohorts.get(cohort, 0))
    return figures


FUNNEL_STAGES = {
    "referred": "Referred to the pilot",
    "eligible": "Identified as eligible",
    "applied": "Application made",
    "with_spend": "Any spending",
}
FUNNEL_WHERE = "Uptake funnel (chart and text)"
# Each stage splits into the next and the families who stopped there: a reader subtracts.
_FUNNEL_SPLITS = [
    ("referred", "eligible", "not_eligible"),
    ("eligible", "applied", "not_applied"),
    ("applied", "with_spend", "applied_not_spent"),
]


def funnel_shown(figures: dict[str, float]) -> dict[str, str]:
    """The funnel's stages as published: exact, ``≈N, nearest B`` or ``c``.

    The difference between two stages is a count of families too (applied 99 and spent
    95 tells that 4 applied and never spent), so the drops are protected like the boxes
    of a flow diagram: a drop of 1 to 5 hides a stage next to it, and a stage hidden only
    to protect a drop is rounded to the nearest 5 or 10 where the determined reader can
    then pin no drop to 1 to 5. The families with spending, on which the rest of the
    chapter is computed, stay exact.
    """
    stages = {key: int(figures[f"funnel.{key}"]) for key in FUNNEL_STAGES}
    counts = dict(stages)
    for parent, shown_part, drop in _FUNNEL_SPLITS:
        counts[drop] = stages[parent] - stages[shown_part]
    counts = pd.Series(counts)
    identities = [(parent, parts) for parent, *parts in _FUNNEL_SPLITS]
    with quiet():  # the drops are never shown themselves: only the stages are logged
        mask = protect_lines(counts, identities=identities, keep={"with_spend"}, displayed=list(stages))
    shown = {key: SUPPRESSED if mask[key] else f"{value:,.0f}" for key, value in stages.items()}
    exact = {key: float(counts[key]) for key in counts.index if not mask[key]}

    def unseen(key: str, text: str, so_far: dict) -> bool:  # by the reader who knows why a stage was rounded
        return not funnel_reader_pins({**shown, **so_far, key: text}, stages)

    rounded = round_where_safe(counts, mask, _FUNNEL_SPLITS, exact, cells=list(stages), accept=unseen)
    for key in stages:
        if not mask[key]:
            continue
        shown[key] = rounded.get(key, shown[key])
        rule = ROUNDED if key in rounded else PRIMARY if is_small(stages[key]) else SECONDARY
        record(FUNNEL_WHERE, FUNNEL_STAGES[key], "families", rule)
    return shown


def _possible(text: str, limit: int) -> range:
    """The whole values a reader takes a published stage to be: exact, a rounding band, or anything for ``c``."""
    if text == SUPPRESSED:
        return range(0, limit + 1)
    value = int(re.match(r"≈?([\d,]+)", text).group(1).replace(",", ""))
    if not text.startswith("≈"):
        return range(value, value + 1)
    low, high = rounding_band(value, int(text.rpartition(" ")[2]))
    return range(max(low, 0), high + 1)


def funnel_reader_pins(shown: dict[str, str], stages: dict[str, int]) -> bool:
    """Whether a reader who tries every funnel the page allows pins a drop of 1 to 5 between two stages.

    The reader knows the stages are nested, and also why a stage is rounded or hidden: some
    stage or drop is 1 to 5, so every funnel without one is ruled out (with applied "≈80,
    nearest 5" beside 78 with spending, 78 applied would have needed no rounding, which
    leaves 1 to 4 who applied and never spent). A drop is pinned when the funnels left put
    it only at values from 1 to 5, or at a single one of them. Tried by brute force.
    """
    keys = list(FUNNEL_STAGES)
    limit = max(stages.values()) + 20
    options = [_possible(shown[key], limit) for key in keys]
    protected = any(shown[key] != f"{stages[key]:,.0f}" for key in keys)
    largest = protocol.current().disclosure.largest_suppressed_count
    values: list[set[int]] = [set() for _ in range(len(keys) - 1)]
    for world in itertools.product(*options):
        if any(a < b for a, b in itertools.pairwise(world)) or world[-1] < 0:
            continue
        drops = [a - b for a, b in itertools.pairwise(world)]
        if protected and not any(0 < n <= largest for n in (*world, *drops)):
            continue  # nothing in this funnel would have needed protecting
        for i, drop in enumerate(drops):
            values[i].add(drop)
    small = set(range(1, largest + 1))
    truth = [a - b for a, b in itertools.pairwise(stages[key] for key in keys)]
    return any(
        0 < true <= largest and (possible <= small or len(possible & small) == 1)
        for true, possible in zip(truth, values, strict=True)
    )


def funnel_text(figures: dict[str, float]) -> str:
    """The funnel in a sentence, with the stages as :func:`funnel_shown` publishes them."""
    with quiet():  # logged where the chart draws the funnel
        published = funnel_shown(figures)
    shown = {key: f"`{text}`" if text == SUPPRESSED else _in_prose(text) for key, text in published.items()}
    return (
        f"Of {shown['referred']} families referred, {shown['eligible']} were identified as eligible, "
        f"social workers applied for a budget for {shown['applied']}, and {shown['with_spend']} had any spending."
    )


def _in_prose(text: str) -> str:
    """``≈100, nearest 5`` as a sentence reads it: ``≈100 (to the nearest 5)``."""
    value, _, base = text.partition(", nearest ")
    return f"{value} (to the nearest {base})" if base else text


def funnel_table(figures: dict[str, float]) -> pd.DataFrame:
    """The uptake funnel as the chart draws it: each stage, the number drawn (missing for ``c``) and its label."""
    shown = funnel_shown(figures)
    drawn = [
        float("nan") if text == SUPPRESSED else float(re.match(r"≈?([\d,]+)", text).group(1).replace(",", ""))
        for text in shown.values()
    ]
    return pd.DataFrame({"stage": list(FUNNEL_STAGES.values()), "families": drawn, "shown": list(shown.values())})


def funnel_chart(funnel: pd.DataFrame, pilot_name: str) -> alt.Chart:
    """Horizontal bars of the uptake funnel, in stage order (a stage shown as ``c`` has no bar)."""
    return (
        alt.Chart(funnel, title=f"{pilot_name}: from referral to spending (≈: rounded)", width=420)
        .mark_bar()
        .encode(
            y=alt.Y("stage:N", sort=list(funnel["stage"]), title=None),
            x=alt.X("families:Q", title="Families"),
            tooltip=[alt.Tooltip("stage:N", title="Stage"), alt.Tooltip("shown:N", title="Families")],
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
