import dataclasses

import pandas as pd
import pytest

from analysis_src.analysis.spend import (
    binned,
    cumulative_against_forecast,
    distribution_figures,
    spend_by_month,
    spend_summary,
    summary_table,
    transaction_bins,
)


@pytest.fixture
def pilot(pilots):
    return dataclasses.replace(pilots[0], actual_families=4, planned_families=5, budget_per_family_gbp=100)


@pytest.fixture
def transactions():
    return pd.DataFrame(
        {
            "family_id": ["A", "A", "B", "C", "C"],
            "transaction_date": pd.to_datetime(["2019-03-05", "2019-03-20", "2019-05-01", "2019-05-02", "2020-02-29"]),
            "amount_gbp": [10.0, 30.0, 5.5, 200.0, 4.5],
        }
    )


def test_spend_summary_on_a_hand_made_table(pilot, transactions):
    figures = spend_summary(pilot, transactions)
    assert figures == {
        "families.planned": 5,
        "families.actual": 4,
        "families.with_spend": 3,
        "spend.transactions": 5,
        "spend.total_gbp": 250.0,
        "spend.expected_total_gbp": 400,
        "spend.share_of_expected": 0.625,
        "spend.min_transaction_gbp": 4.5,
        "spend.median_transaction_gbp": 10.0,
        "spend.max_transaction_gbp": 200.0,
    }


def test_no_transactions_is_an_error_not_zeros(pilot, transactions):
    with pytest.raises(ValueError, match="no transactions"):
        spend_summary(pilot, transactions.iloc[0:0])


def test_spend_by_month_covers_every_pilot_month(pilot, transactions):
    by_month = spend_by_month(pilot, transactions)
    assert len(by_month) == 12
    assert by_month.set_index("month").loc["2019-03", "spend_gbp"] == 40.0
    assert by_month.set_index("month").loc["2019-04", "transactions"] == 0
    assert by_month["cumulative_gbp"].iloc[-1] == 250.0


def test_summary_table_names_the_ledger_key_of_each_figure(pilot, transactions):
    table = summary_table(spend_summary(pilot, transactions) | distribution_figures(pilot, transactions))
    assert table.loc["Total spent", "Value"] == "£250"
    assert table.loc["Total spent", "Ledger key"] == "spend.total_gbp"
    assert table.loc["Share of expected spend", "Value"] == "62%"


def test_distribution_figures_on_a_hand_made_table(pilot, transactions):
    # per family: A 40, B 5.5, C 204.5; budget 100 a family
    figures = distribution_figures(pilot, transactions)
    assert figures["spend.per_family_median_gbp"] == 40.0
    assert figures["spend.per_family_q1_gbp"] == pytest.approx(22.75)
    assert figures["spend.per_family_q3_gbp"] == pytest.approx(122.25)
    assert figures["spend.per_family_share_over_budget"] == pytest.approx(1 / 3)
    assert figures["spend.share_transactions_under_20"] == pytest.approx(3 / 5)


def test_binned_counts_use_closed_lower_edges():
    counts = binned(pd.Series([4.99, 5.0, 19.99, 20.0, 6000.0]), transaction_bins(), "transactions").set_index("band")
    assert counts.loc["£0-£5", "transactions"] == 1
    assert counts.loc["£5-£10", "transactions"] == 1
    assert counts.loc["£10-£20", "transactions"] == 1
    assert counts.loc["£20-£50", "transactions"] == 1
    assert counts.loc["£5,000+", "transactions"] == 1


def test_straight_line_forecast_reaches_the_expected_budget(pilot, transactions):
    data = cumulative_against_forecast(pilot, transactions)
    expected = data[data["series"] == "Expected (straight line)"]["gbp"]
    assert expected.iloc[0] == pytest.approx(400 / 12, abs=0.01) and expected.iloc[-1] == 400
    assert data[data["series"] == "Spent"]["gbp"].iloc[-1] == 250.0
