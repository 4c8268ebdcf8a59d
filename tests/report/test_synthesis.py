import copy

import pytest

from analysis_src.inputs.contracts import load_tables
from analysis_src.paths import SYNTHETIC_DATA_DIR
from analysis_src.report.synthesis import figure_a, findings, pilot_ledgers, side_by_side, synthesis_figures


@pytest.fixture(scope="module")
def tables(pilots):
    return load_tables(SYNTHETIC_DATA_DIR, pilots)


@pytest.fixture(scope="module")
def ledgers(pilots, tables):
    return pilot_ledgers(pilots, tables)


@pytest.fixture(scope="module")
def programme(pilots, tables):
    return synthesis_figures(pilots, tables)


def test_figure_a_reproduces_the_published_table(pilots, tables):
    table = figure_a(pilots, tables)
    assert list(table.index) == ["Hillingdon", "Darlington", "Wigan"]
    assert list(table["Number of families (reported)"]) == ["95", "35", "78"]
    assert list(table["Expected budget per family"]) == ["£4,000", "£10,000", "£4,000"]


def test_programme_figures_are_sums_of_the_pilots(ledgers, programme):
    assert programme["spend.total_gbp"] == pytest.approx(sum(f["spend.total_gbp"] for f in ledgers.values()))
    assert programme["families.with_spend"] == 208


def test_findings_supported_by_the_synthetic_data(ledgers, programme, pilots):
    text = " ".join(findings(ledgers, programme, pilots))
    assert "Most transactions were small" in text
    assert "lower than expected in every pilot" in text


def test_a_finding_disappears_when_the_data_no_longer_support_it(ledgers, programme, pilots):
    changed = dict(programme, **{"spend.share_transactions_under_20": 0.45})
    assert not any("Most transactions" in f for f in findings(ledgers, changed, pilots))
    overspent = copy.deepcopy(ledgers)
    overspent["Wigan"]["spend.share_of_expected"] = 1.2
    assert not any("lower than expected" in f for f in findings(overspent, programme, pilots))
    missed = copy.deepcopy(ledgers)
    missed["Darlington"]["feasibility.within_30pct"] = 0
    assert "2 of 3 pilots reached" in " ".join(findings(missed, programme, pilots))


def test_side_by_side_marks_not_applicable_with_z(ledgers):
    table = side_by_side(ledgers)
    assert table.loc["Above-threshold spending with approval", "Wigan"] == "z"
    assert table.loc["Families reached", "Darlington"] == "35"


def test_progression_criteria_from_the_figures(pilots, tables, ledgers):
    from analysis_src.report.synthesis import progression_figures, progression_markdown

    figures = progression_figures(pilots, tables, ledgers)
    assert figures["progression.reach_within_30pct"] == 1
    assert figures["progression.randomisation_as_planned"] == 1  # Darlington: all randomised, 2 of 67 overridden
    assert figures["progression.spend_and_thresholds_specified"] == 0  # Wigan stated no threshold
    assert figures["progression.staff_acceptability"] in (1, 0, -1)
    assert "| Random allocation proceeded as planned | **met** |" in progression_markdown(figures, pilots)


def test_a_criterion_fails_when_a_pilot_misses_it(pilots, tables, ledgers):
    from analysis_src.report.synthesis import progression_figures

    missed = copy.deepcopy(ledgers)
    missed["Hillingdon"]["feasibility.within_30pct"] = 0
    assert progression_figures(pilots, tables, missed)["progression.reach_within_30pct"] == 0
