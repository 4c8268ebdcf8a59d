import dataclasses

import pandas as pd
import pytest

from analysis_src.analysis.spend import (
    binned,
    cumulative_against_forecast,
    distribution_figures,
    per_family_bands,
    spend_by_month,
    spend_summary,
    summary_table,
    transaction_bins,
)
from analysis_src.disclosure.audit import Fact, disclosures


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
        "spend.median_transaction_gbp": 10.0,
    }  # no cheapest or dearest transaction: each is one family's spending


def test_no_transactions_is_an_error_not_zeros(pilot, transactions):
    with pytest.raises(ValueError, match="no transactions"):
        spend_summary(pilot, transactions.iloc[0:0])


def _monthly(families_per_month: dict[str, int]) -> pd.DataFrame:
    """Transactions of £10 by the given number of distinct families in each month."""
    rows = [
        {"family_id": f"{month}-{i}", "transaction_date": pd.Timestamp(f"{month}-05"), "amount_gbp": 10.0}
        for month, n in families_per_month.items()
        for i in range(n)
    ]
    return pd.DataFrame(rows)


def test_spend_by_month_covers_every_pilot_month(pilot):
    months = [str(m) for m in pd.period_range("2019-03", "2020-02", freq="M")]
    by_month = spend_by_month(pilot, _monthly(dict.fromkeys(months, 6) | {"2019-04": 0}))
    assert list(by_month["month"]) == months
    assert by_month.set_index("month").loc["2019-03", "spend_gbp"] == 60.0
    assert by_month.set_index("month").loc["2019-04", "transactions"] == 0
    assert by_month["cumulative_gbp"].iloc[-1] == 660.0


def test_a_month_with_few_families_is_combined_with_the_next(pilot):
    months = [str(m) for m in pd.period_range("2019-03", "2020-02", freq="M")]
    by_month = spend_by_month(pilot, _monthly(dict.fromkeys(months, 6) | {"2019-03": 1, "2019-07": 3}))
    assert by_month["month"].iloc[0] == "2019-03 to 2019-04"
    assert "2019-07 to 2019-08" in set(by_month["month"])
    assert by_month.set_index("month").loc["2019-07 to 2019-08", "spend_gbp"] == 90.0
    assert by_month["months"].sum() == 12 and by_month["cumulative_gbp"].iloc[-1] == 10.0 * (6 * 10 + 1 + 3)


def test_a_last_month_with_few_families_joins_the_months_before(pilot):
    months = [str(m) for m in pd.period_range("2019-03", "2020-02", freq="M")]
    by_month = spend_by_month(pilot, _monthly(dict.fromkeys(months, 6) | {"2020-02": 2}))
    assert by_month["month"].iloc[-1] == "2020-01 to 2020-02"


def test_a_hand_made_log_of_three_families_is_one_period(pilot, transactions):
    by_month = spend_by_month(pilot, transactions)
    assert list(by_month["month"]) == ["2019-03 to 2020-02"] and by_month["spend_gbp"].iloc[0] == 250.0


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
    # Three families only: one period of twelve months, whose forecast is the whole budget.
    assert list(expected) == [400]
    assert data[data["series"] == "Spent"]["gbp"].iloc[-1] == 250.0


def test_per_family_bands_survive_the_share_over_budget(pilot):
    # 40 families spending £50, 30 spending £150 and 2 spending £300 against a budget of £100 a family:
    # the share over budget (32 of 72) is published with the bands, so the 2 must not be worked back.
    spent = [50.0] * 40 + [150.0] * 30 + [300.0] * 2
    transactions = pd.DataFrame(
        {
            "family_id": [f"F{i}" for i in range(len(spent))],
            "transaction_date": pd.Timestamp("2019-05-01"),
            "amount_gbp": spent,
        }
    )
    bands = per_family_bands(pilot, transactions).set_index("band")["families"]
    assert bands.isna().any()
    above = [band for band in bands.index if band != "£0-£100"]
    facts = [Fact.equals(list(bands.index), 72), Fact.equals(above, 32)]
    facts += [Fact.value(band, value) for band, value in bands.dropna().items()]
    assert disclosures(facts, list(bands.index[bands.isna()])) == {}
    assert distribution_figures(pilot, transactions)["spend.families_over_budget"] == 32


def test_a_band_of_large_transactions_for_few_families_joins_the_band_below():
    import pandas as pd

    from analysis_src.analysis.spend import few_family_bands_merged

    many = [(f"F{i}", 30.0) for i in range(40)] + [(f"F{i}", 300.0) for i in range(10)]
    few = [("F1", 2500.0), ("F2", 3000.0), ("F2", 1500.0)]  # two families' large items
    transactions = pd.DataFrame(many + few, columns=["family_id", "amount_gbp"])
    edges = [0, 20, 100, 500, 1000, 2000, float("inf")]
    merged = few_family_bands_merged(transactions, edges)
    assert merged == [0, 20, 100, float("inf")]  # £100+ holds the 10 families at £300 and the two large ones
    bands = pd.cut(transactions["amount_gbp"], merged, right=False, labels=False)
    families = transactions.groupby(bands)["family_id"].nunique()
    assert all(n == 0 or n > 5 for n in families)
    assert few_family_bands_merged(transactions.iloc[:50], [0, 20, 100, 500]) == [0, 20, 100, 500]
