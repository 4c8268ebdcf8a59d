import pandas as pd
import pytest
import yaml

from analysis_src.analysis.costs import (
    COSTS_PATH,
    cost_figures,
    load_unit_costs,
    other_costs_table,
    sensitivity,
    unit_cost_table,
    weekly_care_cost,
)

FIGURES = {
    "spend.total_gbp": 10_000.0,
    "feasibility.families_reached": 10,
    "families.actual": 20,
    "spend.above_threshold_transactions": 4,
}


@pytest.fixture
def costs():
    return load_unit_costs()


def test_money_is_inflated_to_the_price_year(costs):
    # foster care £646 in 2016/17, 2% a year for 3 years to 2019/20
    assert costs.values["foster_care_week"] == pytest.approx(646 * 1.02**3)
    assert costs.values["residential_week"] == pytest.approx(3935)  # already 2019/20
    assert costs.values["share_residential"] == 0.10  # not money: not inflated


def test_cost_figures_by_hand(costs):
    v = costs.values
    figures = cost_figures(FIGURES, costs)
    staff = (
        10 * v["staff_hours_per_family"] * v["social_worker_hour"]
        + 4 * v["manager_hours_per_approval"] * v["social_worker_hour"]
    )
    total = 10_000 + staff
    weekly = 0.9 * v["foster_care_week"] + 0.1 * v["residential_week"]
    assert figures["cca.total_cost_gbp"] == pytest.approx(total)
    assert figures["cca.cost_per_family_gbp"] == pytest.approx(total / 20)
    assert figures["cca.cost_per_family_reached_gbp"] == pytest.approx(total / 10)
    assert figures["cca.break_even_care_entries"] == pytest.approx(total / (weekly * 52))
    assert weekly_care_cost(costs) == pytest.approx(weekly)


def test_sensitivity_varies_one_parameter_at_a_time(costs):
    table = sensitivity(FIGURES, costs).set_index("parameter")
    weeks = table.loc["Weeks in care per entry avoided"]
    base = cost_figures(FIGURES, costs)["cca.break_even_care_entries"]
    assert weeks["low"] == pytest.approx(base * 52 / 104, rel=1e-3)  # 104 weeks halves the entries needed
    assert weeks["high"] == pytest.approx(base * 2, rel=1e-3)
    assert (table["low"] <= table["base"]).all() and (table["base"] <= table["high"]).all()


def test_every_parameter_has_a_source_and_assumptions_are_marked(costs):
    table = unit_cost_table(costs)
    assert (table["Source"].str.len() > 0).all()
    assert table.loc["Section 47 enquiry", "Assumption"] == "yes"
    assert table.loc["Foster care, per child per week", "Assumption"] == "no"


def test_a_parameter_without_a_source_is_refused(tmp_path):
    document = yaml.safe_load(COSTS_PATH.read_text())
    del document["parameters"]["s47_enquiry"]["source"]
    path = tmp_path / "costs.yml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ValueError, match="'s47_enquiry' has no 'source'"):
        load_unit_costs(path)


def test_other_costs_of_small_counts_are_suppressed(costs):
    totals = pd.DataFrame(
        {"pre": [100, 40, 3, 12, 1000], "pilot": [90, 44, 8, 2, 1100]},
        index=["s47_enquiries", "cp_plans_started", "plo_starts", "care_proceedings_started", "days_in_care"],
    )
    table = other_costs_table(totals, costs)
    assert table.loc["Public Law Outline (pre-proceedings) started", "Pre-period cost (£)"] == "c"
    assert table.loc["Care proceedings started", "Pilot cost (£)"] == "c"
    assert table.loc["Section 47 enquiry", "Pre-period cost (£)"] == "100,000"
