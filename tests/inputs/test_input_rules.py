"""The data dictionary's rules across tables: each fires on a breach, names both rows, and passes clean data."""

import pandas as pd
import pytest
from conftest import read_text_table, write_text_table

from analysis_src.inputs.check import main as check_main
from analysis_src.inputs.contracts import DataValidationError, load_tables
from analysis_src.inputs.rules import load_rules
from analysis_src.report.pages import data_dictionary_markdown, handled_problems


def _rule_problems(data_dir, pilots):
    with pytest.raises(DataValidationError) as caught:
        load_tables(data_dir, pilots)
    return [p for p in caught.value.problems if p.rule.startswith("breaks the rule")]


def _edit(data_dir, file, change):
    frame = read_text_table(data_dir / file)
    change(frame)
    write_text_table(frame, data_dir / file)


def _family_of(data_dir, file, row):
    return read_text_table(data_dir / file).loc[row, "family_id"]


def _families_row(data_dir, family):
    frame = read_text_table(data_dir / "families.csv")
    return int(frame.index[frame["family_id"] == family][0]) + 2, frame


def test_the_synthetic_data_break_no_rule(pilots):
    from analysis_src.paths import SYNTHETIC_DATA_DIR

    load_tables(SYNTHETIC_DATA_DIR, pilots)  # raises on any breach


def test_spending_before_the_referral_names_both_rows(data_copy, pilots):
    family = _family_of(data_copy, "transactions.csv", 4)
    families_row, families = _families_row(data_copy, family)
    referral = pd.Timestamp(families.loc[families_row - 2, "referral_date"])
    day_before = (referral - pd.Timedelta(days=1)).strftime("%Y-%m-%d")

    def change(frame):
        frame.loc[4, "transaction_date"] = day_before

    _edit(data_copy, "transactions.csv", change)
    problems = [p for p in _rule_problems(data_copy, pilots) if "on or after the family's referral" in p.rule]
    (problem,) = problems
    assert problem.file.endswith("transactions.csv") and problem.rows == (6,) and problem.column == "transaction_date"
    assert f"families.csv row {families_row}" in problem.rule
    assert f"transaction_date {day_before}" in problem.rule and f"referral_date {referral:%Y-%m-%d}" in problem.rule


def test_a_transaction_recorded_by_another_authority_is_caught_by_check_and_by_the_build(data_copy, pilots, capsys):
    family = _family_of(data_copy, "transactions.csv", 0)
    own = read_text_table(data_copy / "transactions.csv").loc[0, "la_code"]
    other = next(str(p.la_code) for p in pilots if str(p.la_code) != own)

    def change(frame):
        frame.loc[0, "la_code"] = other

    _edit(data_copy, "transactions.csv", change)
    (problem,) = [p for p in _rule_problems(data_copy, pilots) if "authority the family belongs to" in p.rule]
    families_row, _ = _families_row(data_copy, family)
    assert problem.rows == (2,) and f"families.csv row {families_row}" in problem.rule
    assert check_main(["--data", str(data_copy)]) == 2
    assert "spending is recorded by the authority the family belongs to" in capsys.readouterr().err


def test_an_age_that_contradicts_the_cohort(data_copy, pilots):
    def change(frame):
        frame.loc[0, "oldest_child_age"] = "16"
        frame.loc[0, "age_cohort"] = "0-4"

    _edit(data_copy, "families.csv", change)
    (problem,) = _rule_problems(data_copy, pilots)
    assert problem.rows == (2,) and "oldest_child_age 16" in problem.rule and "age_cohort 0-4" in problem.rule


def test_an_allocation_for_a_family_not_eligible(data_copy, pilots):
    family = _family_of(data_copy, "allocation_log.csv", 0)
    families_row, _ = _families_row(data_copy, family)

    def change(frame):
        frame.loc[families_row - 2, "eligible"] = "N"

    _edit(data_copy, "families.csv", change)
    rules = {p.rule.split(" (")[0].split(";")[0] for p in _rule_problems(data_copy, pilots)}
    assert "breaks the rule: an allocation is made only for a family identified as eligible" in rules


def test_outcomes_for_a_family_never_allocated(data_copy, pilots):
    _edit(data_copy, "allocation_log.csv", lambda frame: frame.drop(index=0, inplace=True))
    problems = [p for p in _rule_problems(data_copy, pilots) if "allocation log" in p.rule]
    assert len(problems) == 1 and "no row for this family in" in problems[0].rule


def test_many_breaches_are_all_counted(data_copy, pilots):
    def change(frame):
        frame["age_cohort"] = frame["age_cohort"].map({"0-4": "10-17", "5-9": "0-4", "10-17": "5-9"})

    _edit(data_copy, "families.csv", change)
    problems = _rule_problems(data_copy, pilots)
    listed = sum(len(p.rows) for p in problems)
    assert listed == len(read_text_table(data_copy / "families.csv"))


def test_the_rules_are_documented_where_the_data_officer_reads_them():
    page = data_dictionary_markdown()
    handled = " ".join(case for case, _ in handled_problems())
    for rule in load_rules():
        assert rule["rule"] in page
        assert rule["rule"] in handled
