"""How much was spent: the spend summary of a pilot's transaction log."""

from __future__ import annotations

import altair as alt
import pandas as pd

from analysis_src.manifest import Pilot


def spend_summary(pilot: Pilot, transactions: pd.DataFrame) -> dict[str, float]:
    """Headline figures of a pilot's spending, keyed as in the results ledger.

    Parameters
    ----------
    pilot
        The pilot's manifest entry (planned and reported families, budget per family).
    transactions
        The pilot's validated transactions (``amount_gbp``, ``family_id``).

    Returns
    -------
    dict
        ``families.*`` and ``spend.*`` figures: see ``ledger_keys.yml``.

    Raises
    ------
    ValueError
        If the pilot has no transactions: a spend summary of nothing would print zeros
        that look like findings.
    """
    if transactions.empty:
        raise ValueError(f"{pilot.name}: no transactions in the spend log")
    amounts = transactions["amount_gbp"]
    total = float(amounts.sum())
    return {
        "families.planned": pilot.planned_families,
        "families.actual": pilot.actual_families,
        "families.with_spend": int(transactions["family_id"].nunique()),
        "spend.transactions": int(len(transactions)),
        "spend.total_gbp": round(total, 2),
        "spend.expected_total_gbp": pilot.expected_spend_gbp,
        "spend.share_of_expected": total / pilot.expected_spend_gbp,
        "spend.min_transaction_gbp": float(amounts.min()),
        "spend.median_transaction_gbp": float(amounts.median()),
        "spend.max_transaction_gbp": float(amounts.max()),
    }


def spend_by_month(pilot: Pilot, transactions: pd.DataFrame) -> pd.DataFrame:
    """Spending and transactions per calendar month of the pilot, months with none included.

    Returns
    -------
    DataFrame
        Columns ``month`` (YYYY-MM), ``spend_gbp``, ``transactions``, ``cumulative_gbp``.
    """
    months = pd.period_range(pilot.start_date, pilot.end_date, freq="M")
    by_month = (
        transactions.assign(month=transactions["transaction_date"].dt.to_period("M"))
        .groupby("month")["amount_gbp"]
        .agg(spend_gbp="sum", transactions="count")
        .reindex(months, fill_value=0)
    )
    by_month["spend_gbp"] = by_month["spend_gbp"].round(2)
    by_month["cumulative_gbp"] = by_month["spend_gbp"].cumsum().round(2)
    by_month.index = by_month.index.astype(str)
    return by_month.rename_axis("month").reset_index()


def monthly_spend_chart(by_month: pd.DataFrame, pilot_name: str) -> alt.Chart:
    """Bar chart of spending per month of the pilot (aggregated data only)."""
    return (
        alt.Chart(by_month, title=f"{pilot_name}: devolved-budget spending by month", width=560)
        .mark_bar()
        .encode(
            x=alt.X("month:O", title="Month", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("spend_gbp:Q", title="Spending (£)", axis=alt.Axis(format=",.0f")),
            tooltip=[
                alt.Tooltip("month:O", title="Month"),
                alt.Tooltip("spend_gbp:Q", title="Spending (£)", format=",.0f"),
                alt.Tooltip("transactions:Q", title="Transactions"),
            ],
        )
    )


_SUMMARY_ROWS = [
    ("Families planned", "families.planned", "{:,.0f}"),
    ("Families reported as receiving a budget", "families.actual", "{:,.0f}"),
    ("Families with any spending (data)", "families.with_spend", "{:,.0f}"),
    ("Transactions", "spend.transactions", "{:,.0f}"),
    ("Total spent", "spend.total_gbp", "£{:,.0f}"),
    ("Expected spend", "spend.expected_total_gbp", "£{:,.0f}"),
    ("Share of expected spend", "spend.share_of_expected", "{:.0%}"),
    ("Cheapest transaction", "spend.min_transaction_gbp", "£{:,.2f}"),
    ("Median transaction", "spend.median_transaction_gbp", "£{:,.2f}"),
    ("Dearest transaction", "spend.max_transaction_gbp", "£{:,.2f}"),
]


def summary_table(figures: dict[str, float]) -> pd.DataFrame:
    """The spend summary as a table: label, formatted value and the ledger key it comes from."""
    rows = [(label, fmt.format(figures[key]), key) for label, key, fmt in _SUMMARY_ROWS]
    return pd.DataFrame(rows, columns=["Figure", "Value", "Ledger key"]).set_index("Figure").rename_axis(None)
