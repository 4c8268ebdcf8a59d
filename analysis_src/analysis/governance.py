"""How decisions were made: spending above the approval threshold, and managers' approval of it."""

from __future__ import annotations

import pandas as pd

from analysis_src.disclosure import FEW_PEOPLE, PRIMARY, SUPPRESSED, is_small, record
from analysis_src.inputs.manifest import Pilot


def above_threshold(pilot: Pilot, transactions: pd.DataFrame) -> pd.Series | None:
    """Which transactions lie above the pilot's approval threshold, by the manifest's rule.

    ``per_item``: the transaction's amount exceeds the threshold. ``per_family``: the
    family's running total, in date order, exceeds the threshold with this transaction
    or an earlier one. Returns ``None`` when the pilot stated no threshold.
    """
    if pilot.approval_threshold_basis == "not_stated":
        return None
    if pilot.approval_threshold_basis == "per_item":
        return transactions["amount_gbp"] > pilot.approval_threshold_gbp
    ordered = transactions.sort_values(["transaction_date", "transaction_id"], kind="stable")
    running = ordered.groupby("family_id")["amount_gbp"].cumsum()
    return (running > pilot.approval_threshold_gbp).reindex(transactions.index)


def governance_figures(pilot: Pilot, transactions: pd.DataFrame) -> dict[str, float]:
    """Ledger figures on approval; empty when the pilot stated no threshold (not applicable).

    Returns
    -------
    dict
        ``spend.above_threshold_transactions``, ``spend.above_threshold_families``,
        ``spend.above_threshold_approved_share`` (``nan``-free: omitted when nothing is above),
        ``spend.governance_exceptions`` (above the threshold with no recorded approval),
        ``spend.governance_exception_families`` (the families those transactions were for) and
        ``spend.threshold_flag_disagreements`` (the log's own flag against the manifest's rule).
    """
    above = above_threshold(pilot, transactions)
    if above is None:
        return {}
    approved = transactions["manager_approved"] == "Y"
    figures = {
        "spend.above_threshold_transactions": int(above.sum()),
        "spend.above_threshold_families": int(transactions.loc[above, "family_id"].nunique()),
        "spend.governance_exceptions": int((above & ~approved).sum()),
        "spend.governance_exception_families": int(transactions.loc[above & ~approved, "family_id"].nunique()),
        "spend.threshold_flag_disagreements": int(((transactions["above_threshold"] == "Y") != above).sum()),
    }
    if above.any():
        figures["spend.above_threshold_approved_share"] = float(approved[above].mean())
    return figures


def approval_hidden(figures: dict[str, float]) -> bool:
    """Whether the approval figures would describe 1 to 5 families (then they are not shown).

    One transaction without approval is one family's spending: the count of exceptions,
    and the share approved that gives it back from the published number above the
    threshold, are shown only when the families behind them are not 1 to 5. So are the
    number of transactions above the threshold and their approval, when 1 to 5 families
    had any.
    """
    return is_small(figures.get("spend.above_threshold_families", 0)) or is_small(
        figures.get("spend.governance_exception_families", 0)
    )


def approval_text(pilot: Pilot, figures: dict[str, float], where: str = "") -> str:
    """The chapter's sentences on approval above the threshold, as far as disclosure allows."""
    if pilot.approval_threshold_basis == "not_stated":
        return (
            "The sources state no approval threshold for this pilot, so spending above a threshold "
            "is not applicable (`z`). The log still records who approved each item."
        )
    basis = "an item" if pilot.approval_threshold_basis == "per_item" else "a family (running total)"
    text = f"A manager's approval was needed above £{pilot.approval_threshold_gbp:,.0f} for {basis}. "
    families = figures["spend.above_threshold_families"]
    if is_small(families):
        if where:
            record(where, "families above the threshold", "", PRIMARY)
        return text + (
            f"Spending above the threshold was recorded for `{SUPPRESSED}` families (1 to 5), so the number of "
            "transactions above it and their approval are not shown."
        )
    transactions = figures["spend.above_threshold_transactions"]
    text += f"{_count(transactions, 'transaction')}, for {families:,.0f} families, lay above the threshold"
    if "spend.above_threshold_approved_share" not in figures:
        return text + "."
    if approval_hidden(figures):
        if where:
            record(where, "approved share and governance exceptions", "", FEW_PEOPLE)
        return text + (
            f". How many of them have a recorded approval is not shown (`{SUPPRESSED}`): the transactions "
            "without one were for 1 to 5 families."
        )
    return text + (
        f"; {figures['spend.above_threshold_approved_share']:.0%} of them have a recorded approval. "
        f"**Governance exceptions** (above the threshold with no recorded approval): "
        f"{_count(figures['spend.governance_exceptions'], 'transaction')}, for "
        f"{figures['spend.governance_exception_families']:,.0f} families."
    )


def _count(number: float, singular: str) -> str:
    return f"{number:,.0f} {singular if number == 1 else singular + 's'}"
