"""The synthesis chapter: the pilots side by side, from the manifest and the data."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from analysis_src.contracts import Tables, load_tables
from analysis_src.disclosure import show_count
from analysis_src.manifest import Pilot, load_manifest
from analysis_src.paths import MANIFEST_PATH, resolve
from analysis_src.spend import SMALL_TRANSACTION_GBP, spend_summary


def figure_a(pilots: list[Pilot], tables: Tables) -> pd.DataFrame:
    """Regenerate the report's Figure A, the summary of each pilot.

    The published columns come from the manifest; the number of families is
    shown both as reported and as counted in the spend log, so that a reader
    can see whether the data reproduce the published figure.
    """
    rows = []
    for pilot in pilots:
        counted = tables.transactions.loc[tables.transactions["la_code"] == pilot.la_code, "family_id"].nunique()
        rows.append(
            {
                "Pilot authority": pilot.name,
                "Target group": pilot.target_group,
                "Number of families (reported)": show_count(pilot.actual_families),
                "Families with spending (data)": show_count(counted),
                "Main focus": pilot.main_focus,
                "Expected budget per family": f"£{pilot.budget_per_family_gbp:,.0f}",
            }
        )
    return pd.DataFrame(rows).set_index("Pilot authority").rename_axis(None)


def synthesis_figures(pilots: list[Pilot], tables: Tables) -> dict[str, float]:
    """Programme-level ledger figures: sums over pilots of the chapter figures."""
    per_pilot = [spend_summary(p, tables.for_authority(p.la_code).transactions) for p in pilots]
    totals = {
        key: sum(figures[key] for figures in per_pilot)
        for key in (
            "families.actual",
            "families.with_spend",
            "spend.transactions",
            "spend.total_gbp",
            "spend.expected_total_gbp",
        )
    }
    totals["spend.share_of_expected"] = totals["spend.total_gbp"] / totals["spend.expected_total_gbp"]
    under_20 = (tables.transactions["amount_gbp"] < SMALL_TRANSACTION_GBP).mean()
    totals["spend.share_transactions_under_20"] = float(under_20)
    totals["pilots"] = len(pilots)
    return totals


@dataclass(frozen=True)
class Synthesis:
    """Everything the synthesis chapter needs: the manifest and all validated tables."""

    pilots: list[Pilot]
    tables: Tables


def load_synthesis(data_dir: str, manifest: str = str(MANIFEST_PATH)) -> Synthesis:
    """Load and validate the manifest and every authority's data."""
    pilots = load_manifest(resolve(manifest))
    return Synthesis(pilots=pilots, tables=load_tables(resolve(data_dir), pilots))


# Indicators compared across pilots: label, ledger key, format.
INDICATORS = [
    ("Families planned", "families.planned", show_count),
    ("Families reached", "feasibility.families_reached", show_count),
    ("Reached as share of plan", "feasibility.reach_ratio", "{:.0%}"),
    ("Spent", "spend.total_gbp", "£{:,.0f}"),
    ("Share of expected spend", "spend.share_of_expected", "{:.0%}"),
    ("Median spend per family", "spend.per_family_median_gbp", "£{:,.0f}"),
    ("Median transaction", "spend.median_transaction_gbp", "£{:,.2f}"),
    ("Transactions under £20", "spend.share_transactions_under_20", "{:.0%}"),
    ("Days from referral to first spend (median)", "timing.referral_to_first_spend_days.median", "{:,.0f}"),
    ("Above-threshold spending with approval", "spend.above_threshold_approved_share", "{:.0%}"),
]
# The shares drawn as small multiples, one panel per indicator.
SHARES = [
    ("Reached as share of plan", "feasibility.reach_ratio"),
    ("Share of expected spend", "spend.share_of_expected"),
    ("Transactions under £20", "spend.share_transactions_under_20"),
]


def pilot_ledgers(pilots: list[Pilot], tables: Tables) -> dict[str, dict[str, float]]:
    """Each pilot's chapter figures, computed as the chapters compute them, keyed by pilot name."""
    from analysis_src.chapter import Chapter, chapter_figures

    return {p.name: chapter_figures(Chapter(pilot=p, tables=tables.for_authority(p.la_code))) for p in pilots}


def side_by_side(ledgers: dict[str, dict[str, float]]) -> pd.DataFrame:
    """The indicators for every pilot in columns; ``z`` where an indicator does not apply."""
    rows = {}
    for label, key, fmt in INDICATORS:
        rows[label] = [
            (fmt(figures[key]) if callable(fmt) else fmt.format(figures[key])) if key in figures else "z"
            for figures in ledgers.values()
        ]
    return pd.DataFrame(rows, index=list(ledgers)).T


def small_multiples(ledgers: dict[str, dict[str, float]]) -> alt.Chart:
    """One panel per share indicator, one bar per pilot."""
    data = pd.DataFrame(
        [
            {"pilot": name, "indicator": label, "value": figures[key]}
            for name, figures in ledgers.items()
            for label, key in SHARES
        ]
    )
    return (
        alt.Chart(data, width=200, height=160)
        .mark_bar()
        .encode(
            x=alt.X("pilot:N", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title="Share", axis=alt.Axis(format=".0%")),
            color=alt.Color("pilot:N", legend=None),
            tooltip=[alt.Tooltip("pilot:N"), alt.Tooltip("indicator:N"), alt.Tooltip("value:Q", format=".0%")],
        )
        .facet(column=alt.Column("indicator:N", title=None, sort=[label for label, _ in SHARES]))
        .properties(title="The pilots side by side")
    )


def findings(ledgers: dict[str, dict[str, float]], programme: dict[str, float]) -> list[str]:
    """Sentences of findings, each printed only when the figures support it.

    Parameters
    ----------
    ledgers
        Each pilot's chapter figures.
    programme
        The programme-level figures (:func:`synthesis_figures`).

    Returns
    -------
    list of str
        Markdown sentences; a finding the data do not support is left out, never reworded.
    """
    out = []
    under_20 = programme["spend.share_transactions_under_20"]
    if under_20 > 0.5:
        out.append(f"Most transactions were small: {under_20:.0%} across the programme were under £20.")
    shares = {name: figures["spend.share_of_expected"] for name, figures in ledgers.items()}
    if all(share < 1 for share in shares.values()):
        lowest = min(shares, key=shares.get)
        out.append(
            f"Spending was lower than expected in every pilot, from {shares[lowest]:.0%} of the expected budget "
            f"in {lowest} to {max(shares.values()):.0%}."
        )
    within = [name for name, figures in ledgers.items() if figures["feasibility.within_30pct"] == 1]
    if len(within) == len(ledgers):
        out.append("Every pilot reached its planned number of families within the protocol's ±30%.")
    elif within:
        out.append(f"{len(within)} of {len(ledgers)} pilots reached their planned number of families within ±30%.")
    approved = {
        n: f["spend.above_threshold_approved_share"]
        for n, f in ledgers.items()
        if "spend.above_threshold_approved_share" in f
    }
    if approved and all(share >= 0.9 for share in approved.values()):
        out.append(
            "Where an approval threshold applied, at least 90% of spending above it had a recorded manager's approval."
        )
    return out
