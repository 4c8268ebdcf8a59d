import json

import nbformat
import pytest

from analysis_src.paths import RESULTS_DIR
from analysis_src.report.ledger import LedgerError, check_figures, describe, harvest, read_ledger, write_ledger

REQUIRED_PILOT_KEYS = {
    "families.actual",
    "families.with_spend",
    "spend.transactions",
    "spend.total_gbp",
    "spend.expected_total_gbp",
    "spend.median_transaction_gbp",
}


def test_undocumented_key_is_refused():
    with pytest.raises(LedgerError, match="'spend.typo' is not documented"):
        check_figures({"spend.typo": 1})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "12", None])
def test_non_numbers_are_refused(value):
    with pytest.raises(LedgerError):
        check_figures({"spend.total_gbp": value})


def test_values_are_cleaned_for_stable_json():
    assert check_figures({"spend.total_gbp": 12.0, "spend.share_of_expected": 1 / 3}) == {
        "spend.share_of_expected": 0.3333333333,
        "spend.total_gbp": 12,
    }


def test_harvest_reads_glued_figures_from_an_executed_notebook():
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/papermill.record/text/plain": "86010.04"},
            metadata={"scrapbook": {"name": "ledger.spend.total_gbp", "mime_prefix": "application/papermill.record/"}},
        ),
        nbformat.v4.new_output(
            "display_data",
            data={"application/papermill.record/text/plain": "'c'"},
            metadata={"scrapbook": {"name": "families.with_spend", "mime_prefix": "application/papermill.record/"}},
        ),
        nbformat.v4.new_output("display_data", data={"text/plain": "not glued"}),
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    assert harvest(notebook) == {"spend.total_gbp": 86010.04}


def test_ledger_file_is_sorted_flat_json(tmp_path):
    path = tmp_path / "x.json"
    write_ledger({"b.x": 2, "a.y": 1.5}, path)
    assert path.read_text() == '{\n  "a.y": 1.5,\n  "b.x": 2\n}\n'
    assert read_ledger(path) == {"a.y": 1.5, "b.x": 2}


@pytest.mark.parametrize("slug", ["hillingdon", "darlington", "wigan"])
def test_committed_ledgers_have_the_required_documented_keys(slug):
    figures = json.loads((RESULTS_DIR / f"{slug}.json").read_text())
    assert REQUIRED_PILOT_KEYS <= set(figures)
    for key in figures:
        describe(key)


def test_key_patterns_match_families_of_keys(tmp_path, monkeypatch):
    from analysis_src.report import ledger

    monkeypatch.setattr(ledger, "documented_keys", lambda: {"pilot": {"spend.category.<name>.share_gbp": {}}})
    assert ledger.describe("spend.category.therapeutic.share_gbp") == {}
    with pytest.raises(LedgerError):
        ledger.describe("spend.category.share_gbp")


@pytest.mark.parametrize("slug", ["hillingdon", "darlington", "wigan"])
def test_committed_ledgers_have_the_spend_chapter_keys(slug):
    from analysis_src.analysis.categories import load_rules

    figures = json.loads((RESULTS_DIR / f"{slug}.json").read_text())
    required = {
        "spend.share_transactions_under_20",
        "spend.share_of_expected",
        "spend.per_family_median_gbp",
        "feasibility.within_30pct",
    } | {f"spend.category.{code}.share_gbp" for code in load_rules().labels}
    if slug != "wigan":  # Wigan stated no approval threshold: not applicable, so absent
        required |= {"spend.above_threshold_transactions", "spend.above_threshold_approved_share"}
    assert required <= set(figures)
    # Hillingdon and Wigan published no plan: reach against plan is not assessable (-1), never "met".
    assert figures["feasibility.within_30pct"] == (-1 if slug in ("hillingdon", "wigan") else 1)


def test_committed_ledgers_have_the_cost_and_trial_design_keys():
    for slug in ("hillingdon", "darlington", "wigan"):
        figures = json.loads((RESULTS_DIR / f"{slug}.json").read_text())
        assert {"cca.total_cost_gbp", "cca.cost_per_family_gbp", "cca.break_even_care_entries"} <= set(figures)
    synthesis = json.loads((RESULTS_DIR / "synthesis.json").read_text())
    required = {"trial_design.mdes_individual", "trial_design.mdes_cluster", "trial_design.families_for_effect_0_2"}
    required |= {f"progression.{c}" for c in ("reach_within_30pct", "staff_acceptability", "family_acceptability")}
    required |= {"progression.randomisation_as_planned", "progression.spend_and_thresholds_specified"}
    assert required <= set(synthesis)
    assert all(synthesis[f"progression.{c}"] in (1, 0, -1) for c in ("staff_acceptability", "family_acceptability"))
    darlington = json.loads((RESULTS_DIR / "darlington.json").read_text())
    assert {
        "trial.randomised",
        "trial.icc_social_worker",
        "balance.max_abs_smd",
        "trial.care_entry.risk_difference",
    } <= set(darlington)


def test_the_suppression_log_is_collected_from_a_notebook_without_values():
    from analysis_src.report.ledger import SUPPRESSIONS, harvest_suppressions, suppressions_text

    entries = [{"where": "Trial: outcomes by arm", "row": "Entry to care", "column": "Control", "rule": "primary"}]
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/plain": repr(json.dumps(entries))},
            metadata={"scrapbook": {"name": SUPPRESSIONS}},
        )
    ]
    notebook.cells = [cell]
    found = harvest_suppressions(notebook, "pilots/darlington_trial.ipynb")
    assert found == [{"page": "pilots/darlington_trial.ipynb", **entries[0]}]
    assert suppressions_text(found).splitlines() == [
        "page,where,row,column,rule",
        '"pilots/darlington_trial.ipynb","Trial: outcomes by arm","Entry to care","Control","primary"',
    ]


def test_the_committed_suppression_log_names_real_pages_and_known_rules():
    import csv

    from analysis_src.disclosure import RULES

    with open(RESULTS_DIR / "suppressions.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {row["rule"] for row in rows} <= set(RULES)
    assert {row["page"] for row in rows} >= {"pilots/darlington_trial.ipynb", "pilots/wigan.ipynb"}
    assert all((RESULTS_DIR.parent / row["page"]).is_file() for row in rows)
