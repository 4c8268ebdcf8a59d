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


def test_governance_text_counts_exceptions_never_families():
    chapter = load_chapter("hillingdon", "synthetic_data")
    figures = chapter_figures(chapter)
    text = chapter_texts(chapter, figures)["governance"]
    assert "Governance exceptions" in text
    assert not any(family in text for family in chapter.tables.families["family_id"])


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
