"""How decisions were made: spending above the approval threshold, and managers' approval of it."""

from __future__ import annotations

import pandas as pd

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
        ``spend.governance_exceptions`` (above the threshold with no recorded approval) and
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
        "spend.threshold_flag_disagreements": int(((transactions["above_threshold"] == "Y") != above).sum()),
    }
    if above.any():
        figures["spend.above_threshold_approved_share"] = float(approved[above].mean())
    return figures
