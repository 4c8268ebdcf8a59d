"""How much was spent: the spend summary of a pilot's transaction log."""

from __future__ import annotations

import altair as alt
import pandas as pd

from analysis_src.config import protocol
from analysis_src.disclosure import (
    FEW_PEOPLE,
    NOT_APPLICABLE,
    SUPPRESSED,
    enough_people,
    is_small,
    protect_lines,
    record,
    show_count,
    show_share,
)
from analysis_src.inputs.manifest import Pilot


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
        raise ValueError(f"{pilot.name}: no transactions in the spend log (see no_spending_summary)")
    amounts = transactions["amount_gbp"]
    total = float(amounts.sum())
    # No plan published: the key is left out (shown as `z`), never filled with another figure.
    planned = {} if pilot.planned_families is None else {"families.planned": pilot.planned_families}
    return planned | {
        "families.actual": pilot.actual_families,
        "families.with_spend": int(transactions["family_id"].nunique()),
        "spend.transactions": int(len(transactions)),
        "spend.total_gbp": round(total, 2),
        "spend.expected_total_gbp": pilot.expected_spend_gbp,
        "spend.share_of_expected": total / pilot.expected_spend_gbp,
        # No cheapest or dearest transaction: each is one family's spending.
        "spend.median_transaction_gbp": float(amounts.median()),
    }


def no_spending_summary(pilot: Pilot) -> dict[str, float]:
    """The spend summary of a pilot with no transactions yet: the counts and total that add up across pilots.

    Only figures that are truly zero are given (families with spending, transactions, pounds
    spent); shares, medians and everything else about spending are left out and shown as
    ``z`` (not applicable), never as zeros that look like findings.
    """
    planned = {} if pilot.planned_families is None else {"families.planned": pilot.planned_families}
    return planned | {
        "families.actual": pilot.actual_families,
        "families.with_spend": 0,
        "spend.transactions": 0,
        "spend.total_gbp": 0.0,
        "spend.expected_total_gbp": pilot.expected_spend_gbp,
    }


def spend_by_month(pilot: Pilot, transactions: pd.DataFrame) -> pd.DataFrame:
    """Spending and transactions per calendar month of the pilot, months with few families combined.

    A month's spending is a statistic of the families who spent in it: a month with 1 to
    5 of them is combined with the months after it (the last with those before it) until
    each period covers at least 6 families, so no bar, tooltip or step of the running total
    describes fewer. Months with no spending stay on their own.

    Returns
    -------
    DataFrame
        Columns ``month`` (YYYY-MM, or ``YYYY-MM to YYYY-MM`` for combined months),
        ``months`` (calendar months in the period), ``spend_gbp``, ``transactions``, ``cumulative_gbp``.
    """
    months = pd.period_range(pilot.start_date, pilot.end_date, freq="M")
    frame = transactions.assign(month=transactions["transaction_date"].dt.to_period("M"))
    families = frame.groupby("month")["family_id"].agg(set).reindex(months)
    groups: list[list[pd.Period]] = []
    open_group: list[pd.Period] = []
    for month in months:
        spenders = families[month] if isinstance(families[month], set) else set()
        if not spenders and not open_group:
            groups.append([month])
            continue
        open_group.append(month)
        if enough_people(len(set().union(*(families[m] for m in open_group if isinstance(families[m], set))))):
            groups.append(open_group)
            open_group = []
    if open_group:
        spending = [g for g in groups if any(isinstance(families[m], set) for m in g)]
        if spending:
            last = groups.index(spending[-1])
            groups[last:] = [[m for g in groups[last:] for m in g] + open_group]
        else:
            groups.append(open_group)
    rows = []
    for group in groups:
        chosen = frame[frame["month"].isin(group)]
        label = str(group[0]) if len(group) == 1 else f"{group[0]} to {group[-1]}"
        if len(group) > 1:
            record("Spending by month", label, "spend_gbp", FEW_PEOPLE)
        rows.append(
            {
                "month": label,
                "months": len(group),
                "spend_gbp": round(float(chosen["amount_gbp"].sum()), 2),
                "transactions": len(chosen),
            }
        )
    by_month = pd.DataFrame(rows, columns=["month", "months", "spend_gbp", "transactions"])
    by_month["cumulative_gbp"] = by_month["spend_gbp"].cumsum().round(2)
    return by_month


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


PER_FAMILY_BINS = [0, 100, 250, 500, 1_000, 2_000, 4_000, 10_000, float("inf")]
# Log-spaced bands of transaction size; the protocol's small-transaction line is added as an edge.
_TRANSACTION_EDGES = [0, 5, 10, 50, 100, 200, 500, 1_000, 2_000, 5_000, float("inf")]


def transaction_bins() -> list[float]:
    """Edges of the transaction-size bands: log-spaced, with the small-transaction line of ``protocol.yml``."""
    return sorted({*_TRANSACTION_EDGES, protocol.current().spend.small_transaction_gbp})


def _bin_labels(edges: list[float]) -> list[str]:
    labels = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        labels.append(f"£{low:,.0f}+" if high == float("inf") else f"£{low:,.0f}-£{high:,.0f}")
    return labels


def per_family_spend(transactions: pd.DataFrame) -> pd.Series:
    """Total spending per family with any spending."""
    return transactions.groupby("family_id")["amount_gbp"].sum()


def distribution_figures(pilot: Pilot, transactions: pd.DataFrame) -> dict[str, float]:
    """Ledger figures on spend per family and transaction sizes.

    Returns
    -------
    dict
        Per-family median and quartiles, the share of families above the per-family
        budget, and the share of transactions under the protocol's small-transaction line.
    """
    per_family = per_family_spend(transactions)
    return {
        "spend.per_family_median_gbp": float(per_family.median()),
        "spend.per_family_q1_gbp": float(per_family.quantile(0.25)),
        "spend.per_family_q3_gbp": float(per_family.quantile(0.75)),
        "spend.per_family_share_over_budget": float((per_family > pilot.budget_per_family_gbp).mean()),
        "spend.families_over_budget": int((per_family > pilot.budget_per_family_gbp).sum()),
        "spend.share_transactions_under_20": float(
            (transactions["amount_gbp"] < protocol.current().spend.small_transaction_gbp).mean()
        ),
    }


def binned(values: pd.Series, edges: list[float], unit: str) -> pd.DataFrame:
    """Counts of ``values`` in bins ``[low, high)``: aggregated data for a histogram."""
    labels = _bin_labels(edges)
    counts = pd.cut(values, edges, right=False, labels=labels).value_counts().reindex(labels, fill_value=0)
    return pd.DataFrame({"band": labels, unit: counts.to_numpy()})


def histogram_chart(data: pd.DataFrame, unit: str, title: str, x_title: str, highlight: str | None = None) -> alt.Chart:
    """Bars of counts per band, bands in order; bands up to ``highlight`` drawn in a second colour."""
    order = list(data["band"])
    colour = alt.value("#0072B2")
    if highlight is not None:
        cut = order.index(highlight)
        data = data.assign(group=["below" if i <= cut else "above" for i in range(len(order))])
        colour = alt.Color(
            "group:N", scale=alt.Scale(domain=["below", "above"], range=["#E69F00", "#0072B2"]), legend=None
        )
    return (
        alt.Chart(data, title=title, width=560)
        .mark_bar()
        .encode(
            x=alt.X("band:O", sort=order, title=x_title, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y(f"{unit}:Q", title=unit.capitalize()),
            color=colour,
            tooltip=[alt.Tooltip("band:O", title="Band"), alt.Tooltip(f"{unit}:Q", title=unit.capitalize())],
        )
    )


def per_family_bands(pilot: Pilot, transactions: pd.DataFrame) -> pd.DataFrame:
    """Families per band of spending, the per-family budget an edge, with every hidden band safe.

    The bands add up to the families with spending, and those above the budget to the
    share of families over budget given in the chapter (where that share is shown): both
    are published lines, so the complementary suppression
    (:func:`analysis_src.disclosure.protect_lines`) covers both.
    """
    budget = pilot.budget_per_family_gbp
    edges = sorted({*PER_FAMILY_BINS, budget})
    data = binned(per_family_spend(transactions), edges, "families")
    above = [band for band, low in zip(data["band"], edges[:-1], strict=True) if low >= budget]
    counts = pd.Series(data["families"].astype(float).to_numpy(), index=list(data["band"]))
    lines = [list(counts.index)]
    if show_share(counts[above].sum(), counts.sum()) != SUPPRESSED:  # the share over budget is published
        lines.append(above)
    mask = protect_lines(counts, lines, where="Spending per family (bands)", column="families")
    return data.assign(families=counts.where(~mask).to_numpy())


def per_family_chart(pilot: Pilot, transactions: pd.DataFrame) -> alt.Chart:
    """Distribution of spend per family in bands, against the per-family budget (log-spaced bands)."""
    data = per_family_bands(pilot, transactions)
    title = f"{pilot.name}: spending per family (budget £{pilot.budget_per_family_gbp:,.0f} a family)"
    return histogram_chart(data, "families", title, "Spending per family")


def transaction_size_description() -> str:
    """What the transaction-size chart shows, for screen readers."""
    line = protocol.current().spend.small_transaction_gbp
    return (
        "Bar chart of the number of transactions in each size band; bands widen on a log scale and those under "
        f"{line:g} pounds are highlighted."
    )


def few_family_bands_merged(transactions: pd.DataFrame, edges: list[float]) -> list[float]:
    """Band edges with every band of 1 to 5 families' transactions merged into the band below it.

    A band of large transactions made for one or two families tells their spending; merged
    with the band below ("£1,000+"), every band holds the transactions of no family or of
    more than five, and the bands still add up to the published number of transactions.
    """
    edges = list(edges)
    while len(edges) > 2:
        bands = pd.cut(transactions["amount_gbp"], edges, right=False, labels=False)
        families = transactions.groupby(bands)["family_id"].nunique().reindex(range(len(edges) - 1), fill_value=0)
        small = [i for i, n in families.items() if is_small(n)]
        if not small:
            break
        # The highest small band joins the one below it (the lowest joins the one above).
        band = small[-1]
        edges.pop(band if band > 0 else 1)
    return edges


def transaction_size_chart(pilot: Pilot, transactions: pd.DataFrame) -> alt.Chart:
    """Distribution of transaction sizes in log-spaced bands; those under the small-transaction line highlighted."""
    spend = protocol.current().spend
    edges = few_family_bands_merged(transactions, transaction_bins())
    data = binned(transactions["amount_gbp"], edges, "transactions")
    title = f"{pilot.name}: transaction sizes (bands widen on a log scale; under {spend.small_label} highlighted)"
    line = spend.small_transaction_gbp
    last_small_band = _bin_labels(edges)[edges.index(line) - 1] if line in edges[1:] else None
    return histogram_chart(data, "transactions", title, "Transaction size", highlight=last_small_band)


def cumulative_against_forecast(pilot: Pilot, transactions: pd.DataFrame) -> pd.DataFrame:
    """Cumulative spending by month beside a straight-line forecast of the expected budget."""
    by_month = spend_by_month(pilot, transactions)
    elapsed = by_month["months"].cumsum()
    forecast = [round(pilot.expected_spend_gbp * m / elapsed.iloc[-1], 2) for m in elapsed]
    actual = by_month[["month", "cumulative_gbp"]].rename(columns={"cumulative_gbp": "gbp"}).assign(series="Spent")
    expected = pd.DataFrame({"month": by_month["month"], "gbp": forecast, "series": "Expected (straight line)"})
    return pd.concat([actual, expected], ignore_index=True)


def cumulative_chart(data: pd.DataFrame, pilot_name: str) -> alt.Chart:
    """Lines of cumulative spending against the straight-line forecast."""
    return (
        alt.Chart(data, title=f"{pilot_name}: cumulative spending against the expected budget", width=560)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:O", title="Month", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("gbp:Q", title="Cumulative spending (£)", axis=alt.Axis(format=",.0f")),
            color=alt.Color("series:N", title=None),
            strokeDash=alt.StrokeDash("series:N", title=None),
            tooltip=[alt.Tooltip("month:O"), alt.Tooltip("series:N"), alt.Tooltip("gbp:Q", format=",.0f")],
        )
    )


_SUMMARY_ROWS = [
    ("Families planned", "families.planned", show_count),
    ("Families reported as receiving a budget", "families.actual", show_count),
    ("Families with any spending (data)", "families.with_spend", show_count),
    ("Transactions", "spend.transactions", "{:,.0f}"),
    ("Total spent", "spend.total_gbp", "£{:,.0f}"),
    ("Expected spend", "spend.expected_total_gbp", "£{:,.0f}"),
    ("Share of expected spend", "spend.share_of_expected", "{:.0%}"),
    ("Median transaction", "spend.median_transaction_gbp", "£{:,.2f}"),
    ("Share of transactions under {small_transaction}", "spend.share_transactions_under_20", "{:.0%}"),
    ("Median spend per family", "spend.per_family_median_gbp", "£{:,.0f}"),
    ("Spend per family, lower quartile", "spend.per_family_q1_gbp", "£{:,.0f}"),
    ("Spend per family, upper quartile", "spend.per_family_q3_gbp", "£{:,.0f}"),
    ("Share of families above the per-family budget", "spend.families_over_budget", "share of families.with_spend"),
]


def _shown(figures: dict[str, float], key: str, fmt) -> str:
    """A figure formatted for a table; ``z`` (not applicable) when the figure does not exist."""
    if key not in figures:
        return NOT_APPLICABLE
    if isinstance(fmt, str) and fmt.startswith("share of "):  # a share of a published total of people
        return show_share(figures[key], figures[fmt.removeprefix("share of ")], where="Spend summary")
    return fmt(figures[key]) if callable(fmt) else fmt.format(figures[key])


def summary_table(figures: dict[str, float]) -> pd.DataFrame:
    """The spend summary as a table: label, formatted value and the ledger key it comes from."""
    slots = protocol.current().slots()
    rows = [(label.format(**slots), _shown(figures, key, fmt), key) for label, key, fmt in _SUMMARY_ROWS]
    return pd.DataFrame(rows, columns=["Figure", "Value", "Ledger key"]).set_index("Figure").rename_axis(None)
