import dataclasses
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis_src.analysis.trial import (
    COMPOSITE,
    STRATA_NOTE,
    _consort_counts,
    _size_given_away,
    balance_table,
    consort_key,
    consort_splits,
    consort_svg,
    flow_counts,
    hidden_outcomes_text,
    outcome_figures,
    outcome_table,
    promise,
    randomisation_table,
    trial_data,
    trial_data_for,
    trial_figures,
    trial_texts,
    why_hidden,
)
from analysis_src.disclosure.audit import Fact, disclosures, feasible_denominators
from analysis_src.report.chapter import load_chapter


@pytest.fixture
def small():
    families = pd.DataFrame(
        {
            "family_id": list("ABCDEFGH"),
            "la_code": 841,
            "eligible": ["Y"] * 7 + ["N"],
            "allocated_arm": ["intervention", "control"] * 3 + ["intervention", None],
            "worker_id": ["W1", "W1", "W2", "W2", "W3", "W3", "W1", "W2"],
            "oldest_child_age": [3, 5, 7, 9, 11, 13, 15, 2],
            "n_children": [1, 2, 1, 2, 3, 1, 2, 1],
            "previous_referrals": [0, 1, 2, 3, 0, 1, 2, 0],
            "previous_cp_plan": ["Y", "N", "N", "Y", "N", "N", "Y", "N"],
        }
    )
    log = pd.DataFrame(
        {
            "sequence": range(1, 8),
            "la_code": 841,
            "allocation_date": pd.to_datetime(
                ["2019-03-05", "2019-04-05", "2019-05-05", "2019-06-05", "2019-09-05", "2019-10-05", "2019-11-05"]
            ),
            "family_id": list("ABCDEFG"),
            "ratio_in_force": ["1:1"] * 4 + ["2:1"] * 3,
            "allocated_arm": ["intervention", "control"] * 3 + ["intervention"],
            "arm_received": [
                "intervention",
                "control",
                "intervention",
                "intervention",
                "intervention",
                "control",
                "intervention",
            ],
        }
    )
    outcomes = pd.DataFrame(
        {
            "family_id": list("ABCDEFG"),
            "la_code": 841,
            "followed_up": ["Y", "Y", "Y", "Y", "Y", "Y", "N"],
            "followup_days": [300, 300, 250, 200, 150, 100, None],
            "s47_enquiry": [0, 1, 0, 1, 1, 0, None],
            "cp_plan": [0, 0, 0, 1, 0, 0, None],
            "plo_start": [0, 0, 0, 0, 1, 0, None],
            "care_entry": [0, 1, 0, 0, 0, 0, None],
            "days_in_care": [0, 30, 0, 0, 0, 0, None],
        }
    )
    transactions = pd.DataFrame({"family_id": ["A", "C", "D", "E", "G"]})
    return trial_data(families, log, outcomes, transactions)


def test_flow_counts_by_hand(small):
    figures = flow_counts(small)
    assert (figures["trial.assessed"], figures["trial.eligible"], figures["trial.randomised"]) == (8, 7, 7)
    assert figures["trial.intervention.allocated"] == 4 and figures["trial.control.allocated"] == 3
    assert figures["trial.intervention.received_budget"] == 4  # A, C, E, G
    assert figures["trial.control.received_budget"] == 1  # D, a deviation
    assert figures["trial.control.crossed_over"] == 1 and figures["trial.deviations"] == 1
    assert figures["trial.intervention.analysed"] == 3  # G lost to follow-up
    assert figures["trial.share_eligible_randomised"] == 1.0
    assert figures["trial.proceeded_as_planned"] == 0  # 1 of 7 overridden is more than 10%


def test_outcomes_by_allocated_arm(small):
    figures = outcome_figures(small)
    # intervention analysed A, C, E: s47 0, 0, 1; control B, D, F: 1, 1, 0
    assert figures["trial.s47_enquiry.risk_intervention"] == pytest.approx(1 / 3)
    assert figures["trial.s47_enquiry.risk_control"] == pytest.approx(2 / 3)
    # Stratified by allocation period: 1:1 (A, C vs B, D) gives -1 with weight 2*2/4 = 1;
    # 2:1 (E vs F; G lost) gives +1 with weight 1*1/2 = 0.5; together (-1 + 0.5) / 1.5.
    assert figures["trial.s47_enquiry.risk_difference"] == pytest.approx(-1 / 3)
    assert figures["trial.allocation_periods"] == 2
    # Care entry: only B (1:1, control) had one; the 2:1 period has no events, so no ratio.
    assert figures["trial.care_entry.risk_difference"] == pytest.approx((0 - 1 / 2) * 1 / 1.5)
    assert "trial.care_entry.risk_ratio" not in figures
    assert "trial.plo_start.hedges_g" not in figures  # no period has two families in each arm with variation


def test_balance_flags_large_differences(small):
    table = balance_table(small)
    assert set(table.columns) >= {"Intervention", "Control", "SMD", "Flag"}
    flagged = table[table["_smd"].abs() > 0.1]
    assert (flagged["Flag"] != "").all()


@pytest.mark.parametrize(
    ("low", "g", "high", "reading"),
    [
        (-0.5, -0.35, -0.15, "promise: CI shows a reduction of at least 0.1"),
        (-0.4, -0.15, 0.1, "estimate in the band of promise, CI includes no effect"),
        (-0.6, 0.0, 0.6, "CI too wide to tell"),
        (-0.05, 0.05, 0.15, "no sign of promise"),
    ],
)
def test_promise_reading(low, g, high, reading):
    assert promise(low, g, high) == reading


def test_randomisation_table_by_ratio(small):
    table = randomisation_table(small)
    assert table.loc["1:1", "In force from"] == "March 2019"
    assert table.loc["2:1", "Intervention"] == "c" and table.loc["1:1", "Deviations"] == "c"  # 2 and 1 families


def test_consort_diagram_is_self_contained_svg(small):
    svg = consort_svg(flow_counts(small))
    assert svg.startswith("<svg") and "<script" not in svg and "http://www.w3.org/2000/svg" in svg
    # Eight families, most boxes 1 to 5: every box is there, none shows a count of 1 to 5.
    assert "<title" in svg and svg.count("(n=") == 15  # every box of the diagram
    assert not any(f"(n={k})" in svg for k in range(1, 6))


def test_darlington_synthetic_trial_figures():
    data = trial_data_for(load_chapter("darlington", "synthetic_data"))
    figures = trial_figures(data)
    assert figures["trial.randomised"] == 67
    assert figures["trial.deviations"] == 2
    assert 0 <= figures["trial.icc_social_worker"] < 1
    assert "**Yes**" in trial_texts(figures)["feasibility"]


def test_a_pilot_without_allocation_log_has_no_trial():
    with pytest.raises(ValueError, match="no allocation log"):
        trial_data_for(load_chapter("wigan", "synthetic_data"))


def test_the_mixed_model_records_a_boundary_fit_and_a_clustered_one():
    import numpy as np

    from analysis_src.analysis.trial import TrialData, multilevel

    figures = multilevel(trial_data_for(load_chapter("darlington", "synthetic_data")))
    assert figures["trial.multilevel.converged"] == 1
    # The synthetic data have worker effects, but ten workers cannot show them: the fit sits at the boundary.
    assert figures["trial.multilevel.boundary"] == 1 and figures["trial.icc_social_worker"] < 0.001
    rng = np.random.default_rng(3)
    workers = np.repeat(np.arange(20), 10)
    outcome = (rng.normal(0, 1, 20)[workers] + rng.normal(0, 0.5, 200) > 0).astype(float)
    analysed = pd.DataFrame({"s47_enquiry": outcome, "treated": np.tile([0, 1], 100), "worker_id": workers})
    clustered = multilevel(TrialData(pd.DataFrame(), analysed, analysed))
    assert clustered["trial.multilevel.boundary"] == 0 and clustered["trial.icc_social_worker"] > 0.2


def _clustered(rng, workers, per_worker, icc):
    """Continuous outcomes of families nested in workers with a known intra-class correlation."""
    import numpy as np

    from analysis_src.analysis.trial import TrialData

    group = np.repeat(np.arange(workers), per_worker)
    outcome = rng.normal(0, np.sqrt(icc), workers)[group] + rng.normal(0, np.sqrt(1 - icc), workers * per_worker)
    frame = pd.DataFrame({"s47_enquiry": outcome, "treated": rng.integers(0, 2, len(group)), "worker_id": group})
    return TrialData(pd.DataFrame(), frame, frame)


def test_the_icc_interval_contains_a_large_icc_and_excludes_zero():
    import numpy as np

    from analysis_src.analysis.trial import multilevel

    figures = multilevel(_clustered(np.random.default_rng(5), 40, 10, 0.4))
    assert 0 < figures["trial.icc_social_worker.ci_low"] < 0.4 < figures["trial.icc_social_worker.ci_high"] < 0.8
    assert figures["trial.icc_social_worker.ci_low"] < figures["trial.icc_social_worker"]
    assert figures["trial.icc_social_worker"] < figures["trial.icc_social_worker.ci_high"]


@pytest.mark.slow
def test_the_icc_interval_covers_on_a_pilot_sized_design():
    """Ten workers, about seven families each, a true ICC of 0.1: the profile interval covers it ~95% of the time."""
    import math

    import numpy as np

    from analysis_src.analysis.trial import multilevel

    rng = np.random.default_rng(20190301)
    repetitions, covered = 120, 0
    for _ in range(repetitions):
        figures = multilevel(_clustered(rng, 10, 7, 0.1))
        covered += figures["trial.icc_social_worker.ci_low"] <= 0.1 <= figures["trial.icc_social_worker.ci_high"]
    coverage = covered / repetitions
    assert coverage >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / repetitions)


@pytest.fixture(scope="module")
def darlington():
    return trial_data_for(load_chapter("darlington", "synthetic_data"))


def test_the_composite_outcome_is_any_of_its_components(darlington):
    frame = darlington.analysed
    components = ["s47_enquiry", "cp_plan", "plo_start", "care_entry"]
    assert (frame[COMPOSITE] == frame[components].max(axis=1)).all()


def test_the_randomised_page_publishes_the_composite_estimate_and_says_why_rows_are_hidden(darlington):
    table = outcome_table(trial_figures(darlington), darlington)
    primary = table.iloc[0]
    assert table.index[0] == "Any escalation (primary outcome)"
    assert re.fullmatch(r"[+-]\d\.\d\d \([+-]\d\.\d\d to [+-]\d\.\d\d\)", primary["Risk difference (95% CI)"])
    reasons = table["Against the band of promise"]
    hidden = table[table["Risk difference (95% CI)"] == "c"]
    assert len(hidden) and all(reasons[label].startswith("c: fewer than 6 in an arm") for label in hidden.index)
    # Rows shown with their risk difference only say so, and why.
    partial = table[(table["Risk difference (95% CI)"] != "c") & (table["Intervention"] == "c")]
    assert all(reasons[label] == STRATA_NOTE for label in partial.index)
    below = hidden_outcomes_text(darlington)
    assert all(label.lower() in below.lower() for label in hidden.index)  # each hidden row named, with its reason
    assert "composite outcome (first row)" in below and "is shown" in below
    assert all(label.split(" (")[0].lower() in below.lower() for label in partial.index)


def _with_outcome(data, outcome, intervention_events, control_events):
    """The trial data with ``outcome`` set for the first families of each arm (the rest without it)."""
    frame = data.analysed.copy()
    frame[outcome] = 0
    for treated, events in ((1, intervention_events), (0, control_events)):
        frame.loc[frame.index[frame["treated"] == treated][:events], outcome] = 1
    return dataclasses.replace(data, analysed=frame)


@pytest.mark.parametrize(
    ("events", "reason"),
    [
        ((3, 12), "fewer than 6 in an arm had it"),
        ((12, 3), "fewer than 6 in an arm had it"),
        ((12, 10), None),
        ((0, 0), None),
    ],
)
def test_why_hidden_follows_the_counts_in_each_arm(darlington, events, reason):
    data = _with_outcome(darlington, "care_entry", *events)
    found = why_hidden(data, "care_entry")
    assert (found is None) if reason is None else (reason in found)


def test_an_outcome_no_family_had_is_not_estimable_in_words(darlington):
    data = _with_outcome(darlington, "care_entry", 0, 0)
    row = outcome_table(trial_figures(data), data).loc["Entry to care"]
    assert row["Against the band of promise"] == "not estimable: no family in either arm had it"


def test_the_flow_diagram_hides_or_rounds_so_that_no_hidden_count_can_be_worked_out(darlington):
    n = {k: int(v) for k, v in flow_counts(darlington).items() if float(v).is_integer()}
    assert any(text.startswith("≈") for text in _consort_counts(n).values())  # rounding, not only `c`, here
    assert _attack_flow(n) == {}


def test_whole_percentages_of_a_hidden_arm_size_give_it_away_and_coarser_ones_do_not():
    # 39 allocated, 38 analysed (1 lost); a risk of 50% and a risk of 34% rule out every size but 38.
    figures = {"trial.intervention.allocated": 39}
    shown = {"intervention.analysed": "≈40, nearest 10"}
    assert _size_given_away(figures, "intervention", shown, [19 / 38, 13 / 38], 0.01)
    assert not _size_given_away(figures, "intervention", shown, [19 / 38, 13 / 38], 0.05)
    assert feasible_denominators([0.50, 0.34], 35, 39) == [38]


def _attack_flow(n: dict[str, int]) -> dict:
    """Everything the flow diagram and the chapter publish about the flow, tried by the determined reader."""
    shown = _consort_counts(n)
    counts, splits = consort_splits(n)
    facts = [Fact({parent: 1.0} | {part: -1.0 for part in parts}, 0, 0) for parent, *parts in splits]
    received = ["intervention.received", "control.received"]
    if not 1 <= counts[received].sum() <= 5:  # the chapter's families with spending, where it is shown
        facts.append(Fact.equals(received, counts[received].sum()))
    hidden = []
    for key, text in shown.items():
        if ".period_" in key and key.endswith(".analysed"):  # given away by the effects: known to the reader
            facts.append(Fact.value(key, counts[key]))
        elif text == "c":
            hidden.append(key)
        elif text.startswith("≈"):
            value, base = (int(x) for x in re.findall(r"\d+", text.replace(",", "")))
            facts.append(Fact({key: 1.0}, value - base / 2, value + base / 2 - 0.5))  # halves round up
            hidden.append(key)
        else:
            facts.append(Fact.value(key, float(text.replace(",", ""))))
    return disclosures(facts, [key for key in hidden if 1 <= counts[key] <= 5])


@settings(max_examples=120, deadline=None)
@given(
    st.integers(0, 40).flatmap(
        lambda ai: st.integers(0, 40).flatmap(
            lambda ac: st.tuples(
                st.just(ai),
                st.just(ac),
                st.integers(0, ai),
                st.integers(0, ac),
                st.integers(0, ai),
                st.integers(0, ac),
                st.sampled_from([0, 1, 3, 7]),
                st.sampled_from([0, 2, 10]),
            )
        )
    )
)
def test_the_attacker_cannot_work_back_a_small_count_from_the_flow_diagram(flow):
    ai, ac, ri, rc, li, lc, not_randomised, not_eligible = flow
    randomised = ai + ac
    n = {
        "trial.assessed": randomised + not_randomised + not_eligible,
        "trial.eligible": randomised + not_randomised,
        "trial.randomised": randomised,
        "trial.intervention.allocated": ai,
        "trial.intervention.received_budget": ri,
        "trial.intervention.analysed": li,
        "trial.control.allocated": ac,
        "trial.control.received_budget": rc,
        "trial.control.analysed": lc,
    }
    assert _attack_flow(n) == {}


def test_the_flow_key_names_every_hidden_or_rounded_box_without_telling_which_is_1_to_5(darlington):
    figures = flow_counts(darlington)
    key = consort_key(figures)
    shown = _consort_counts({k: int(v) for k, v in figures.items() if float(v).is_integer()})
    hidden = [k for k, t in shown.items() if t == "c" and k.count(".") < 2]  # the boxes and the table's cells
    rounded = [k for k, t in shown.items() if t.startswith("≈") and k.count(".") < 2]
    assert key.count("lost to follow-up") == sum(k.endswith(".lost") for k in hidden + rounded)
    assert key.count("`c` for") == 1 and key.count("`≈` for") == (1 if rounded else 0)
