import pandas as pd
import pytest

from analysis_src.analysis.categories import (
    UNCATEGORISED,
    categorise,
    category_chart,
    category_display,
    category_figures,
    category_table,
    largest_uses,
    load_rules,
)


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Carpet for bedroom", "housing_home"),  # 'bed' inside 'bedroom' must not make it practical
        ("Cookery class for parent", "family_time_holidays"),  # 'rent' inside 'parent' is not rent
        ("Rent arrears contribution", "housing_home"),
        ("Breakfast club fees", "education_childcare"),
        ("Breakfast with young person", "relationship_activities"),
        ("Family group conference venue hire", "family_time_holidays"),
        ("FGC refreshments", "family_time_holidays"),
        ("Holiday club place", "education_childcare"),  # a club, not a holiday
        ("Bus fare to appointment", "travel_transport"),
        ("Business card printing", UNCATEGORISED),  # 'bus' inside a word is not travel
        ("Welfare visit", UNCATEGORISED),  # 'fare' inside 'welfare' is not travel
        ("Taxi to therapy session", "therapeutic"),  # rule order: therapeutic purpose first
        ("PLAY THERAPY", "therapeutic"),
        ("Cot and mattress", "practical_material"),
        ("Replacement vehicle contribution", "other"),
        ("", UNCATEGORISED),
    ],
)
def test_tricky_descriptions(description, expected):
    assert categorise(description) == expected


def test_recorded_category_is_the_fallback_only():
    assert categorise("Misc", recorded="therapeutic") == "therapeutic"
    assert categorise("Cinema tickets", recorded="therapeutic") == "relationship_activities"
    assert categorise("Misc", recorded="not-a-category") == UNCATEGORISED


def test_a_rule_naming_an_unknown_category_is_refused(tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text("categories: {other: Other}\nrules:\n  - {pattern: x, category: toys}\n")
    with pytest.raises(ValueError, match="rule 1 names unknown category 'toys'"):
        load_rules(path)


@pytest.fixture
def transactions():
    return pd.DataFrame(
        {
            "description": ["Cinema tickets", "Counselling", "Misc", "Mystery", "Bus fare"],
            "category": [None, None, "other", None, "travel_transport"],
            "amount_gbp": [10.0, 300.0, 40.0, 50.0, 100.0],
            "family_id": ["A", "B", "C", "D", "E"],
        }
    )


def test_category_table_counts_and_shares(transactions):
    table = category_table(transactions)
    assert table["transactions"].sum() == 5
    assert table["share_gbp"].sum() == pytest.approx(1.0)
    assert table.loc["therapeutic", "share_gbp"] == pytest.approx(0.6)
    assert table.loc[UNCATEGORISED, "transactions"] == 1
    assert table.loc["housing_home", "transactions"] == 0  # every category listed


def test_category_figures(transactions):
    figures = category_figures(transactions)
    assert figures["spend.uncategorised_share"] == pytest.approx(0.2)
    assert figures["spend.categorised_by_rule_share"] == pytest.approx(0.6)
    assert figures["spend.category_agreement_share"] == 1.0  # 'Bus fare' recorded as travel, ruled travel
    assert figures["spend.category.other.share_gbp"] == pytest.approx(0.08)


def test_largest_uses_show_categories_never_amounts(transactions):
    table = largest_uses(transactions, count=2)
    assert list(table.iloc[:, 0]) == ["Therapeutic", "Travel and transport"]
    assert list(table.columns) == ["Categories of the 2 largest transactions"]  # no amounts, no counts
    assert table.map(lambda value: isinstance(value, str)).all().all()


def test_uncategorised_share_stays_low_on_the_synthetic_data(pilots):
    from analysis_src.inputs.contracts import load_tables
    from analysis_src.paths import SYNTHETIC_DATA_DIR

    tables = load_tables(SYNTHETIC_DATA_DIR, pilots)
    assert category_figures(tables.transactions)["spend.uncategorised_share"] < 0.05


def test_a_category_of_few_families_shows_no_spending_and_one_more_is_hidden_with_it():
    families = [f"F{i}" for i in range(40)]
    transactions = pd.DataFrame(
        {
            "description": ["Counselling"] * 20 + ["Bus fare"] * 18 + ["Cinema tickets"] * 10 + ["Car repair"] * 2,
            "category": [None] * 50,
            "amount_gbp": [100.0] * 48 + [2_500.0, 2_500.0],
            "family_id": families[:20] + families[20:38] + families[:10] + ["F1", "F2"],
        }
    )
    table = category_table(transactions)
    shown = category_display(table)
    hidden = shown[shown["Spending"] == "c"]
    assert len(hidden) == 2  # the 2 families' category and its complement: only their sum can be worked out
    assert table.loc[table["label"].isin(hidden.index), "families"].min() == 2
    chart = category_chart(table, "Test").to_dict()
    labels = [row["label"] for rows in chart["datasets"].values() for row in rows]
    assert not set(hidden.index) & set(labels)
