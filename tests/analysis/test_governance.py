import dataclasses

import pandas as pd
import pytest

from analysis_src.analysis.governance import above_threshold, approval_hidden, approval_text, governance_figures


@pytest.fixture
def transactions():
    return pd.DataFrame(
        {
            "transaction_id": ["t1", "t2", "t3", "t4", "t5"],
            "family_id": ["A", "A", "A", "B", "B"],
            "transaction_date": pd.to_datetime(["2019-05-01", "2019-03-01", "2019-04-01", "2019-03-01", "2019-03-02"]),
            "amount_gbp": [100.0, 600.0, 500.0, 900.0, 50.0],
            "above_threshold": ["Y", "N", "Y", "N", "N"],
            "manager_approved": ["Y", "N", "N", "N", "N"],
        }
    )


def _pilot(pilots, basis, threshold):
    return dataclasses.replace(pilots[0], approval_threshold_basis=basis, approval_threshold_gbp=threshold)


def test_per_item_threshold(pilots, transactions):
    assert list(above_threshold(_pilot(pilots, "per_item", 500), transactions)) == [False, True, False, True, False]


def test_per_family_threshold_uses_the_running_total_in_date_order(pilots, transactions):
    # A: 600 (Mar), 1100 (Apr) > 1000, 1200 (May); B: 900, 950
    assert list(above_threshold(_pilot(pilots, "per_family", 1000), transactions)) == [True, False, True, False, False]


def test_governance_figures(pilots, transactions):
    figures = governance_figures(_pilot(pilots, "per_family", 1000), transactions)
    assert figures == {
        "spend.above_threshold_transactions": 2,
        "spend.above_threshold_families": 1,
        "spend.governance_exceptions": 1,
        "spend.governance_exception_families": 1,
        "spend.threshold_flag_disagreements": 0,
        "spend.above_threshold_approved_share": 0.5,
    }


def test_flag_disagreements_are_counted(pilots, transactions):
    figures = governance_figures(_pilot(pilots, "per_item", 500), transactions)
    assert figures["spend.threshold_flag_disagreements"] == 4


def test_no_threshold_means_not_applicable(pilots, transactions):
    assert governance_figures(_pilot(pilots, "not_stated", None), transactions) == {}
    assert above_threshold(_pilot(pilots, "not_stated", None), transactions) is None


def _approvals(families, exception_families, transactions=40, exceptions=10):
    return {
        "spend.above_threshold_transactions": transactions,
        "spend.above_threshold_families": families,
        "spend.governance_exceptions": exceptions,
        "spend.governance_exception_families": exception_families,
        "spend.above_threshold_approved_share": 1 - exceptions / transactions,
    }


def test_one_unapproved_transaction_is_not_shown_nor_given_back_by_the_share(pilots):
    # 29 transactions above, 97% approved: the share gives back the one transaction (one family) without approval.
    figures = _approvals(26, 1, transactions=29, exceptions=1)
    text = approval_text(_pilot(pilots, "per_item", 500), figures)
    assert approval_hidden(figures)
    assert "97%" not in text and "1 transaction" not in text
    assert "29 transactions, for 26 families" in text and "1 to 5 families" in text


def test_approvals_of_many_families_are_shown_with_the_exceptions(pilots):
    figures = _approvals(35, 30, transactions=751, exceptions=61)
    text = approval_text(_pilot(pilots, "per_item", 500), figures)
    assert not approval_hidden(figures)
    assert "92% of them have a recorded approval" in text and "61 transactions, for 30 families" in text


def test_spending_above_the_threshold_for_few_families_shows_no_transactions(pilots):
    figures = _approvals(4, 0, transactions=12, exceptions=0)
    text = approval_text(_pilot(pilots, "per_family", 1000), figures)
    assert approval_hidden(figures)
    assert "12" not in text and "`c` families" in text
