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


def test_findings_on_the_synthetic_data(ledgers, programme, pilots):
    text = " ".join(findings(ledgers, programme, pilots))
    assert "Most transactions were small" in text
    assert "lower than expected in every pilot" in text
    assert "1 of the 1 pilots with a published plan reached it" in text  # Darlington
    assert "Hillingdon and Wigan published no plan, so were not assessable" in text


def test_every_claim_is_stated_whichever_way_the_data_point(ledgers, programme, pilots):
    assert len(findings(ledgers, programme, pilots)) == 4
    few_small = dict(programme, **{"spend.share_transactions_under_20": 0.45})
    text = " ".join(findings(ledgers, few_small, pilots))
    assert "Most transactions were **not** small: 45%" in text and "Most transactions were small" not in text
    overspent = copy.deepcopy(ledgers)
    overspent["Wigan"]["spend.share_of_expected"] = 1.2
    text = " ".join(findings(overspent, programme, pilots))
    assert "lower than expected in Hillingdon and Darlington but reached or exceeded it in Wigan" in text
    for name in overspent:
        overspent[name]["spend.share_of_expected"] = 1.1
    assert "reached or exceeded the expected budget in every pilot" in " ".join(findings(overspent, programme, pilots))


def test_reach_findings_met_missed_and_not_assessable(ledgers, programme, pilots):
    missed = copy.deepcopy(ledgers)
    missed["Darlington"]["feasibility.within_30pct"] = 0
    text = " ".join(findings(missed, programme, pilots))
    assert "0 of the 1 pilots with a published plan reached it within ±30%; Darlington did not" in text
    planned = copy.deepcopy(ledgers)
    for name in planned:
        planned[name]["feasibility.within_30pct"] = 1
    text = " ".join(findings(planned, programme, pilots))
    assert "Every pilot reached its planned number of families within the protocol's ±30%" in text
    assert "not assessable" not in text


def test_approval_findings_both_ways(ledgers, programme, pilots):
    lax = copy.deepcopy(ledgers)
    lax["Hillingdon"]["spend.above_threshold_approved_share"] = 0.5
    lax["Hillingdon"]["spend.governance_exception_families"] = 12
    text = " ".join(findings(lax, programme, pilots))
    assert "approval less often than 90% in Hillingdon (Hillingdon 50%)" in text
    assert "left out" not in text
    none = copy.deepcopy(ledgers)
    for figures in none.values():
        figures.pop("spend.above_threshold_approved_share", None)
    assert "No pilot had spending above a stated approval threshold" in " ".join(findings(none, programme, pilots))


def test_a_pilot_whose_unapproved_spending_was_for_few_families_is_left_out_of_the_verdict(ledgers, programme, pilots):
    few = copy.deepcopy(ledgers)
    few["Hillingdon"]["spend.above_threshold_approved_share"] = 0.5
    few["Hillingdon"]["spend.governance_exception_families"] = 3
    text = " ".join(findings(few, programme, pilots))
    assert "Hillingdon 50%" not in text
    assert "Hillingdon is left out: the spending above the threshold or without approval there was for 1 to 5" in text
    assert side_by_side(few).loc["Above-threshold spending with approval", "Hillingdon"] == "c"


def test_side_by_side_marks_not_applicable_with_z(ledgers):
    table = side_by_side(ledgers)
    assert table.loc["Above-threshold spending with approval", "Wigan"] == "z"
    assert table.loc["Families reached", "Darlington"] == "35"


def test_progression_criteria_from_the_figures(pilots, tables, ledgers):
    from analysis_src.report.synthesis import progression_figures, progression_markdown

    figures = progression_figures(pilots, tables, ledgers)
    assert figures["progression.reach_within_30pct"] == -1  # Hillingdon and Wigan published no plan
    assert "| Families reached within ±30% of a published plan, in every pilot | **not assessable" in (
        progression_markdown(figures, pilots)
    )
    assert figures["progression.randomisation_as_planned"] == 1  # Darlington: all randomised, 2 of 67 overridden
    assert figures["progression.spend_and_thresholds_specified"] == 0  # Wigan stated no threshold
    assert figures["progression.staff_acceptability"] in (1, 0, -1)
    assert "| Random allocation proceeded as planned | **met** |" in progression_markdown(figures, pilots)


def test_a_criterion_fails_when_a_pilot_misses_it(pilots, tables, ledgers):
    from analysis_src.report.synthesis import progression_figures

    missed = copy.deepcopy(ledgers)
    missed["Hillingdon"]["feasibility.within_30pct"] = 0
    assert progression_figures(pilots, tables, missed)["progression.reach_within_30pct"] == 0


def test_acceptability_is_judged_in_every_pilot_not_pooled(pilots, tables, ledgers):
    """The protocol's rule is 70% of each group: one pilot's families all negative fails it, whatever the pool."""
    import dataclasses

    from analysis_src.report.synthesis import progression_figures

    survey = tables.family_survey.copy()
    survey["helpful"] = 5
    positive = dataclasses.replace(tables, family_survey=survey)
    figures = progression_figures(pilots, positive, ledgers)
    assert figures["progression.family_acceptability"] == 1
    darlington = next(p for p in pilots if p.slug == "darlington")
    survey.loc[(survey["la_code"] == darlington.la_code) & (survey["wave"] == "T2"), "helpful"] = 1
    figures = progression_figures(pilots, dataclasses.replace(tables, family_survey=survey), ledgers)
    assert figures["progression.family_acceptability.share_positive"] > 0.7  # the pool still looks fine
    assert figures["progression.family_acceptability"] == 0


def test_the_icc_sentence_follows_its_value(pilots):
    from analysis_src.report.synthesis import icc_text

    design = {"families_randomised": 67, "workers": 10}
    at_zero = icc_text({"trial_design.icc_used": 0.0, "trial_design.icc_upper": 0.27}, design, pilots)
    assert "sits at zero" in at_zero and "reaches 0.27" in at_zero
    estimated = icc_text({"trial_design.icc_used": 0.084, "trial_design.icc_upper": 0.4}, design, pilots)
    assert "The ICC of 0.084 comes from only 67 randomised families and 10 social workers" in estimated
    assert "zero" not in estimated
    unrandomised = [p for p in pilots if not p.randomised]
    assert "is assumed, not estimated" in icc_text({"trial_design.icc_used": 0.05}, design, unrandomised)


def test_a_pilot_without_spending_is_left_out_of_the_findings_and_said_to_be(pilots, tables, programme):
    import dataclasses

    from analysis_src.report.synthesis import progression_figures, progression_markdown

    spend = tables.transactions
    waiting_tables = dataclasses.replace(tables, transactions=spend[spend["la_code"] != 841])  # Darlington
    ledgers = pilot_ledgers(pilots, waiting_tables)
    programme = synthesis_figures(pilots, waiting_tables)
    assert programme["pilots.without_spending"] == 1
    assert programme["families.with_spend"] == 208 - 35
    text = " ".join(findings(ledgers, programme, pilots))
    assert "Darlington has recorded no spending yet, so it is left out" in text
    assert "from 23% of the expected budget in Hillingdon to" in text and "in Darlington" not in text.split(". ")[1]
    assert "Hillingdon and Wigan published no plan" in text and "pilots with a published plan reached" not in text
    figures = progression_figures(pilots, waiting_tables, ledgers)
    assert figures["progression.reach_within_30pct"] == -1  # Darlington met its plan; without spending, no verdict
    assert "not every pilot has spending yet" in progression_markdown(figures | programme, pilots)
    assert side_by_side(ledgers).loc["Spent", "Darlington"] == "£0"
    assert side_by_side(ledgers).loc["Median transaction", "Darlington"] == "z"
    # The other way: every pilot spending, no such sentence and no such reason.
    full = pilot_ledgers(pilots, tables)
    assert not [f for f in findings(full, synthesis_figures(pilots, tables), pilots) if "no spending yet" in f]
    assert "spending yet" not in progression_markdown(progression_figures(pilots, tables, full), pilots)


def test_qualitative_findings_cover_every_theme_link_to_each_chapter_and_follow_the_data(pilots, tables):
    from analysis_src.config import codebook
    from analysis_src.report.synthesis import qualitative_findings

    found = qualitative_findings(tables.coded_segments, pilots)
    assert len(found) == len(codebook.current().themes)
    assert all("{ref}`Hillingdon <hillingdon-said>`" in finding for finding in found)
    segments = tables.coded_segments
    quiet = segments[segments["code"] != "wanted_more_choice"]  # no family asks for more say
    text = " ".join(qualitative_findings(quiet, pilots))
    assert "(key finding 5): raised by **only a few** families, fewer than the published evaluation's *some*" in text


def test_the_executive_summary_has_both_strands_and_the_verdicts(pilots, tables):
    from analysis_src.report.synthesis import Synthesis, programme_figures, summary_texts

    ctx = Synthesis(pilots=pilots, tables=tables)
    figures, ledgers, _ = programme_figures(ctx)
    texts = summary_texts(ctx, figures, ledgers)
    assert texts["findings"].count("\n- ") == len(findings(ledgers, figures, pilots)) - 1
    assert "(key finding 1): raised by most staff" in texts["qualitative_findings"]
    assert texts["progression"].startswith("| Criterion | Status | Evidence |")
