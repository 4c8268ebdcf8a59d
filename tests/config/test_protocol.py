"""The protocol's numbers: validated when loaded, and every verdict and its label follow them."""

import dataclasses

import pandas as pd
import pytest
import yaml

from analysis_src import disclosure
from analysis_src.analysis import acceptability, feasibility, spend, trial, trial_design
from analysis_src.config import protocol
from analysis_src.report import synthesis


def test_the_project_protocol_holds_the_published_thresholds():
    rules = protocol.load_protocol()
    assert rules.feasibility.reach_tolerance == 0.30 and rules.feasibility.reach_label == "±30%"
    assert rules.acceptability.criterion == 0.70 and rules.acceptability.criterion_label == "70%"
    assert rules.acceptability.positive_answers == (4, 5)
    assert rules.promise.effect_band == (0.1, 0.2) and rules.promise.band_label == "0.1 to 0.2"
    assert rules.spend.small_label == "£20"
    assert rules.disclosure.suppressed_label == "1 to 5"
    assert (rules.trial_design.alpha, rules.trial_design.power) == (0.05, 0.80)


def test_the_protocol_object_is_frozen():
    rules = protocol.load_protocol()
    with pytest.raises(Exception, match="frozen"):
        rules.feasibility.reach_tolerance = 0.5


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("feasibility", "reach_tolerance", "0.3", "feasibility.reach_tolerance: Input should be a valid number"),
        ("feasibility", "reach_tolerance", True, "feasibility.reach_tolerance: Input should be a valid number"),
        ("acceptability", "criterion", 70, "acceptability.criterion: Input should be less than 1"),
        ("promise", "effect_band", [0.2, 0.1], "promise: Value error, effect_band must be [low, high]"),
        ("disclosure", "largest_suppressed_count", 0, "disclosure.largest_suppressed_count: Input should be greater"),
        ("trial_design", "alpah", 0.05, "trial_design.alpah: Extra inputs are not permitted"),
        ("realist", "theme_bands", [0.1, 0.3, 0.5], "realist: Value error, theme_bands must be [most, many, some]"),
        ("realist", "max_refuting_share", 1.5, "realist.max_refuting_share: Input should be less than 1"),
    ],
)
def test_a_broken_protocol_is_refused_with_the_key_named(tmp_path, section, key, value, message):
    raw = yaml.safe_load(protocol.PROTOCOL_PATH.read_text(encoding="utf-8"))
    raw[section][key] = value
    path = tmp_path / "protocol.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(protocol.ProtocolError) as error:
        protocol.load_protocol(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_a_missing_number_is_refused(tmp_path):
    raw = yaml.safe_load(protocol.PROTOCOL_PATH.read_text(encoding="utf-8"))
    del raw["spend"]["small_transaction_gbp"]
    path = tmp_path / "protocol.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(protocol.ProtocolError, match="spend.small_transaction_gbp: Field required"):
        protocol.load_protocol(path)


@pytest.mark.parametrize(("share", "label"), [(0.3, "30%"), (0.275, "27.5%"), (0.05, "5%"), (0.9, "90%")])
def test_percent_labels_carry_no_needless_decimals(share, label):
    assert protocol.percent(share) == label


def _reach_families_and_spending():
    families = pd.DataFrame(
        {
            "family_id": list("ABCDEFGHIJKL"),
            "eligible": ["Y"] * 12,
            "application_date": pd.to_datetime(["2019-03-10"] * 12),
            "referral_date": pd.to_datetime(["2019-03-01"] * 12),
            "age_cohort": ["0-4"] * 12,
        }
    )
    transactions = pd.DataFrame(
        {
            "family_id": list("ABCDEFGHIJKL"),
            "transaction_date": pd.to_datetime(["2019-03-11"] * 12),
            "amount_gbp": [10.0] * 12,
        }
    )
    return families, transactions


def test_reach_tolerance_changes_the_verdict_and_its_label(pilots, use_protocol):
    """12 families reached against 10 planned: within ±30%, not within ±10%."""
    pilot = dataclasses.replace(pilots[0], planned_families=10)
    families, transactions = _reach_families_and_spending()
    assert feasibility.reach_figures(pilot, families, transactions)["feasibility.within_30pct"] == 1
    use_protocol({"feasibility.reach_tolerance": 0.1})
    assert feasibility.reach_figures(pilot, families, transactions)["feasibility.within_30pct"] == 0
    table = synthesis.progression_table({f"progression.{key}": 0 for key in synthesis.CRITERIA}, pilots)
    assert "Families reached within ±10% of a published plan, in every pilot" in set(table["Criterion"])
    assert "±30%" not in " ".join(table["Criterion"])


def test_acceptability_criterion_changes_the_verdict_and_its_label(use_protocol):
    figures = {
        "acceptability.social_worker.respondents": 40,
        "acceptability.social_worker.share_positive": 0.8,
        "acceptability.social_worker.ci_low": 0.72,
        "acceptability.social_worker.ci_high": 0.88,
    }
    assert acceptability.verdict(0.72, 0.88) == 1
    table = acceptability.acceptability_table(figures | {"acceptability.social_worker.criterion_met": 1})
    assert list(table.columns)[-1] == "70% criterion" and table.iloc[0, -1] == "met"
    use_protocol({"acceptability.criterion": 0.9})
    assert acceptability.verdict(0.72, 0.88) == 0
    table = acceptability.acceptability_table(figures | {"acceptability.social_worker.criterion_met": 0})
    assert list(table.columns)[-1] == "90% criterion" and table.iloc[0, -1] == "not met"


def test_positive_answers_change_the_share_positive(use_protocol):
    staff = pd.DataFrame({"role": ["social_worker"] * 10, "acceptable_overall": [5, 5, 4, 4, 4, 3, 3, 3, 2, 1]})
    families = pd.DataFrame({"family_id": [], "wave": [], "helpful": []})
    before = acceptability.acceptability_figures(staff, families)["acceptability.social_worker.share_positive"]
    use_protocol({"acceptability.positive_answers": [5]})
    after = acceptability.acceptability_figures(staff, families)["acceptability.social_worker.share_positive"]
    assert (before, after) == (0.5, 0.2)


def test_promise_band_changes_the_reading_and_its_label(use_protocol):
    assert trial.promise(-0.5, -0.3, -0.15) == "promise: CI shows a reduction of at least 0.1"
    use_protocol({"promise.effect_band": [0.2, 0.4]})
    assert trial.promise(-0.5, -0.3, -0.15) == "estimate in the band of promise, CI includes no effect"
    assert trial.promise(-0.5, -0.3, -0.25) == "promise: CI shows a reduction of at least 0.2"
    assert trial_design.target_effect() == 0.4


def test_small_transaction_line_changes_the_share_and_its_label(pilots, use_protocol):
    transactions = pd.DataFrame({"family_id": list("ABCD"), "amount_gbp": [5.0, 15.0, 25.0, 45.0]})
    share = spend.distribution_figures(pilots[0], transactions)["spend.share_transactions_under_20"]
    assert share == 0.5
    use_protocol({"spend.small_transaction_gbp": 30})
    assert spend.distribution_figures(pilots[0], transactions)["spend.share_transactions_under_20"] == 0.75
    assert 30 in spend.transaction_bins()
    figures = dict.fromkeys((key for _, key, _ in spend._SUMMARY_ROWS), 1.0)
    assert "Share of transactions under £30" in spend.summary_table(figures).index
    assert "Transactions under £30" in synthesis.side_by_side({"A": {"spend.share_transactions_under_20": 0.75}}).index


def test_disclosure_threshold_changes_what_is_suppressed_and_the_key(use_protocol):
    assert disclosure.is_small(5) and not disclosure.is_small(6)
    assert "1 to 5 people" in disclosure.notes()
    use_protocol({"disclosure.largest_suppressed_count": 9})
    assert disclosure.is_small(9) and not disclosure.is_small(10)
    assert disclosure.show_count(8) == disclosure.SUPPRESSED
    assert "1 to 9 people" in disclosure.notes()


def test_power_and_alpha_change_the_trial_size(use_protocol):
    before = trial_design.mdes_individual(100)
    use_protocol({"trial_design.power": 0.9})
    assert trial_design.mdes_individual(100) > before
