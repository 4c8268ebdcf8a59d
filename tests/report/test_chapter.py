import dataclasses

from analysis_src.report.chapter import chapter_figures, chapter_texts, load_chapter, profile_table


def test_chapter_loads_only_its_authority():
    chapter = load_chapter("wigan", "synthetic_data")
    assert set(chapter.tables.transactions["la_code"]) == {359}


def test_texts_say_met_or_not_met_from_the_figures():
    chapter = load_chapter("darlington", "synthetic_data")
    figures = chapter_figures(chapter)
    assert "**met**" in chapter_texts(chapter, figures)["reach"]
    figures["feasibility.within_30pct"] = 0
    assert "**not met**" in chapter_texts(chapter, figures)["reach"]


def test_governance_text_for_a_pilot_without_threshold():
    chapter = load_chapter("wigan", "synthetic_data")
    text = chapter_texts(chapter, chapter_figures(chapter))["governance"]
    assert "not applicable (`z`)" in text


def test_governance_text_names_no_family_and_hides_exceptions_of_few_families():
    chapter = load_chapter("darlington", "synthetic_data")
    text = chapter_texts(chapter, chapter_figures(chapter))["governance"]
    assert "Governance exceptions" in text
    assert not any(family in text for family in chapter.tables.families["family_id"])
    # Hillingdon: one transaction above the threshold had no approval, one family's spending.
    chapter = load_chapter("hillingdon", "synthetic_data")
    text = chapter_texts(chapter, chapter_figures(chapter))["governance"]
    assert "Governance exceptions" not in text and "1 to 5 families" in text


def test_profile_table_states_the_threshold_basis(pilots):
    assert profile_table(pilots[1]).loc["Manager approval needed above", "Value"] == "£1,000 per family"
    no_threshold = dataclasses.replace(pilots[2])
    assert profile_table(no_threshold).loc["Manager approval needed above", "Value"] == "not stated"


def test_with_a_salt_the_chapter_sees_pseudonyms_only(monkeypatch):
    from analysis_src.inputs.contracts import SALT_ENV

    monkeypatch.setenv(SALT_ENV, "a secret salt")
    families = load_chapter("wigan", "synthetic_data").tables.families
    assert families["family_id"].str.fullmatch(r"F-[0-9a-f]{16}").all()
    assert families["worker_id"].str.fullmatch(r"W-[0-9a-f]{16}").all()


def test_reach_without_a_published_plan_is_not_assessable():
    chapter = load_chapter("hillingdon", "synthetic_data")
    figures = chapter_figures(chapter)
    assert figures["feasibility.within_30pct"] == -1 and "families.planned" not in figures
    texts = chapter_texts(chapter, figures)
    assert "**not assessable**" in texts["reach"] and "**met**" not in texts["reach"]
    assert texts["reached_against_plan"].endswith("(no plan published: `z`)")
    assert profile_table(chapter.pilot).loc["Families planned", "Value"] == "z (no plan published)"


def _its_figures(ratios):
    """Ledger figures of the time series: each indicator's rate ratio with a symmetric log interval of width 0.2."""
    import math

    from analysis_src.analysis.outcomes import INDICATORS

    figures = {}
    for indicator, ratio in zip(INDICATORS, ratios, strict=False):
        key = f"outcomes.its.{indicator}"
        figures |= {
            f"{key}.rate_ratio": ratio,
            f"{key}.ci_low": ratio * math.exp(-0.2),
            f"{key}.ci_high": ratio * math.exp(0.2),
        }
    return figures


def test_its_text_names_a_real_halving_that_survives_multiplicity():
    chapter = load_chapter("wigan", "synthetic_data")
    halved = _its_figures([0.5] + [1.0] * 8)  # s.47 enquiries halved, nothing else changed
    text = chapter_texts(chapter, chapter_figures(chapter) | halved)["its"]
    assert "section 47 enquiries fell (rate ratio 0.50, 95% CI 0.41 to 0.61)" in text
    assert "After a Holm adjustment for the 9 comparisons, the change in section 47 enquiries remains" in text


def test_its_text_says_a_lone_borderline_interval_is_not_an_effect():
    chapter = load_chapter("wigan", "synthetic_data")
    borderline = _its_figures([1.25] + [1.0] * 8)  # interval 1.02 to 1.53: excludes 1, nominally
    text = chapter_texts(chapter, chapter_figures(chapter) | borderline)["its"]
    assert "1 has a 95% confidence interval" in text and "section 47 enquiries rose" in text
    assert "None shown survives a Holm adjustment for the 9 comparisons" in text


def test_its_text_never_describes_an_indicator_whose_months_are_hidden():
    chapter = load_chapter("wigan", "synthetic_data")
    figures = chapter_figures(chapter) | _its_figures([1.0] * 4 + [0.5] + [1.0] * 4)  # entries to care halved
    figures["outcomes.its.care_entries.months_hidden"] = 2
    text = chapter_texts(chapter, figures)["its"]
    assert "entries to care" not in text.lower() and "not shown (`c`)" in text
    figures["outcomes.its.care_entries.months_hidden"] = 0
    assert "entries to care fell" in chapter_texts(chapter, figures)["its"].lower()


def test_acceptability_text_when_no_family_changed_its_answer():
    from analysis_src.analysis.acceptability import acceptability_figures

    chapter = load_chapter("darlington", "synthetic_data")
    survey = chapter.tables.family_survey.copy()
    survey["helpful"] = 4
    figures = {k: v for k, v in chapter_figures(chapter).items() if not k.startswith("acceptability.")}
    figures |= acceptability_figures(chapter.tables.staff_survey, survey)
    text = chapter_texts(chapter, figures)["acceptability"]
    assert "every family gave the same rating" in text and "Too few" not in text


def test_a_missing_questionnaire_is_said_in_words(pilots):
    from analysis_src.report.chapter import Chapter, survey_returns_text

    chapter = load_chapter("wigan", "synthetic_data")
    assert survey_returns_text(chapter) == "Both questionnaires were returned: staff and families."
    empty = dataclasses.replace(chapter.tables, staff_survey=chapter.tables.staff_survey.iloc[0:0])
    text = survey_returns_text(Chapter(pilot=chapter.pilot, tables=empty))
    assert (
        text
        == "For Wigan, no staff questionnaire was returned: the answers below are not available (`x`) for that group."
    )


def _without_spending(chapter):
    from analysis_src.report.chapter import Chapter

    empty = dataclasses.replace(chapter.tables, transactions=chapter.tables.transactions.iloc[0:0])
    return Chapter(pilot=chapter.pilot, tables=empty)


def test_a_pilot_without_spending_has_no_spending_figure_but_zero_counts():
    from analysis_src.report.chapter import has_spending, pilot_figures, waiting_texts

    chapter = load_chapter("wigan", "synthetic_data")
    assert has_spending(chapter.pilot, chapter.tables)
    spent = pilot_figures(chapter)
    assert spent["spend.total_gbp"] > 0 and "spend.median_transaction_gbp" in spent
    waiting = _without_spending(chapter)
    assert not has_spending(waiting.pilot, waiting.tables)
    figures = pilot_figures(waiting)
    assert figures["spend.total_gbp"] == 0 and figures["funnel.with_spend"] == 0
    assert not [key for key in figures if key.startswith(("spend.share", "spend.median", "timing.", "cca."))]
    assert figures["funnel.referred"] == spent["funnel.referred"]  # referrals and outcomes do not need spending
    assert figures["outcomes.its.pre_months"] == spent["outcomes.its.pre_months"]
    text = waiting_texts(waiting, figures)
    assert "holds no devolved-budget spending for Wigan" in text["waiting"] and "**not estimable**" in text["waiting"]
    assert "and 0 had any spending" in text["funnel"]
