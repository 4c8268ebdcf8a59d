"""What staff and families said: the matrix, its merging rule, differences, uses, quotes and findings."""

import pandas as pd
import pytest

from analysis_src.analysis import qualitative
from analysis_src.inputs.contracts import load_tables
from analysis_src.paths import SYNTHETIC_DATA_DIR


@pytest.fixture(scope="module")
def tables(pilots):
    return load_tables(SYNTHETIC_DATA_DIR, pilots)


def _people(roles: dict[str, int], code: str = "autonomy_valued", la_code: int = 312) -> pd.DataFrame:
    """One segment per participant: ``roles`` gives how many participants of each role."""
    rows, n = [], 0
    for role, count in roles.items():
        for _ in range(count):
            n += 1
            rows.append(
                {
                    "segment_id": f"S{n:04d}",
                    "la_code": la_code,
                    "participant_id": f"P{n:03d}",
                    "source_type": "interview",
                    "role": role,
                    "phase": "final",
                    "code": code,
                    "stance": "supports",
                    "excerpt": None,
                    "consent_to_quote": None,
                }
            )
    return pd.DataFrame(rows)


def test_a_role_with_few_participants_is_merged_never_shown_alone():
    columns = qualitative.role_columns(qualitative.participants(_people({"social_worker": 12, "manager": 3})))
    assert columns == {"Staff": ["social_worker", "manager"]}  # "managers" beside "staff" would give them back
    columns = qualitative.role_columns(
        qualitative.participants(_people({"social_worker": 12, "manager": 4, "senior_leader": 3, "parent": 8}))
    )
    assert columns == {
        "Social workers": ["social_worker"],
        "Other staff (team and service managers and senior leaders)": ["manager", "senior_leader"],
        "Parents and carers": ["parent"],
    }
    columns = qualitative.role_columns(qualitative.participants(_people({"social_worker": 12, "parent": 4})))
    assert columns == {"All participants": ["social_worker", "parent"]}  # a group of 1 to 5 merges everyone


def test_every_column_of_every_pilot_has_more_than_five_participants(tables, pilots):
    for pilot in pilots:
        segments = tables.coded_segments[tables.coded_segments["la_code"] == pilot.la_code]
        counts, totals = qualitative.theme_counts(segments)
        assert (totals > 5).all(), (pilot.name, totals)
        matrix = qualitative.theme_matrix(segments)
        small = (counts > 0) & (counts <= 5)
        for theme, column in zip(*small.to_numpy().nonzero(), strict=True):
            assert matrix.iloc[theme, column] == "c"
        assert matrix.loc["Participants (all)"].tolist() == [f"{t:,}" for t in totals]


def test_a_participant_counts_once_however_often_they_raised_a_theme():
    segments = _people({"social_worker": 7})
    segments = pd.concat([segments, segments.assign(segment_id=segments["segment_id"] + "b")], ignore_index=True)
    counts, totals = qualitative.theme_counts(segments)
    assert counts.loc["autonomy", "Social workers"] == 7 and totals["Social workers"] == 7


def test_differences_found_both_ways_and_not_when_there_are_none():
    staff = _people({"social_worker": 20}, code="decided_together")
    families = _people({"parent": 20}, code="decided_together").assign(
        participant_id=lambda f: "F" + f["participant_id"], segment_id=lambda f: "F" + f["segment_id"]
    )
    assert qualitative.differences(pd.concat([staff, families])) == []
    assert "On no theme" in qualitative.differences_text(pd.concat([staff, families]))
    disagreeing = families.assign(stance="refutes")
    found = qualitative.differences(pd.concat([staff, disagreeing]))
    assert [d.theme for d in found] == ["shared_decisions"] and found[0].low > 0
    assert "staff supported it more often than families" in qualitative.differences_text(
        pd.concat([staff, disagreeing])
    )
    agreeing_staff = staff.assign(stance="refutes")
    text = qualitative.differences_text(pd.concat([agreeing_staff, families]))
    assert "families supported it more often than staff" in text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("We went to see Sarah at home.", "a name or place"),
        ("Kerry and I sorted it out over a coffee.", "a name or place"),  # a name opening the sentence
        ("It was fine. Then Leeds happened.", "a name or place"),
        ("Mum said it helped.", "a name or place"),  # refused, not guessed
        ("The boy, aged 12, settled well.", "a number"),
        ("It was ready in March.", "a date"),
        ("Ring me on my mobile any time at home@example.org", "contact details"),
        ("He is a teenager of the estate.", "an age"),
    ],
)
def test_the_screen_refuses_what_could_identify(text, problem):
    assert qualitative.excerpt_problem(text).startswith(problem)


def test_the_screen_lets_plain_words_through():
    assert qualitative.excerpt_problem("I was never sure how much I was allowed to spend.") is None
    assert qualitative.excerpt_problem("The money was there the same week. It helped.") is None


def test_only_consented_screened_and_attributable_excerpts_are_quoted():
    segments = _people({"social_worker": 8, "manager": 2})
    segments.loc[0, ["excerpt", "consent_to_quote"]] = ["We went to see Sarah every week.", "Y"]
    segments.loc[1, ["excerpt", "consent_to_quote"]] = ["It felt like real trust.", "N"]
    segments.loc[2, ["excerpt", "consent_to_quote"]] = ["It felt like real trust, at last.", "Y"]
    quotes = qualitative.quotable(segments, "Hillingdon")
    assert quotes["excerpt"].tolist() == ["It felt like real trust, at last."]
    assert quotes["attribution"].tolist() == ["one of the social workers, Hillingdon"]
    manager = segments.index[segments["role"] == "manager"][0]
    only_manager = segments.assign(excerpt=None, consent_to_quote=None)
    only_manager.loc[manager, ["excerpt", "consent_to_quote"]] = ["It felt like real trust.", "Y"]
    quotes = qualitative.quotable(only_manager, "Hillingdon")
    assert quotes["attribution"].tolist() == ["one of the staff, Hillingdon"]  # 2 managers: by group only
    assert "invented" in qualitative.quotes_markdown(only_manager, "Hillingdon", invented=True)
    assert "invented" not in qualitative.quotes_markdown(only_manager, "Hillingdon", invented=False)


def test_unusual_uses_say_whether_the_spend_log_shows_their_category(tables, pilots):
    wigan = next(p for p in pilots if p.slug == "wigan")
    segments = tables.coded_segments[tables.coded_segments["la_code"] == wigan.la_code]
    spend = tables.transactions[tables.transactions["la_code"] == wigan.la_code]
    table = qualitative.unusual_uses(segments, spend)
    assert "A caravan as a home for special guardians" in table.index
    assert table.iloc[:, 0].str.endswith("spending recorded").all()
    assert qualitative.unusual_uses(segments, spend.iloc[0:0]).iloc[:, 0].str.endswith("no spending recorded").all()


def test_theme_findings_on_the_synthetic_data_and_the_other_way(tables):
    segments = tables.coded_segments
    found = " ".join(qualitative.theme_findings(segments, "evidence"))
    assert "*Social workers valued the autonomy to decide how to spend* (key finding 1): raised by most staff" in found
    assert "as the published evaluation found" in found
    # Weaken the theme: keep its segments from only a quarter of the staff who raised it.
    autonomy = segments["code"].isin(["autonomy_valued", "trusted_as_professional"])
    raisers = sorted(set(segments.loc[autonomy, "participant_id"]))
    dropped = set(raisers[len(raisers) // 4 :])
    weakened = segments[~(autonomy & segments["participant_id"].isin(dropped))]
    found = " ".join(qualitative.theme_findings(weakened, "evidence"))
    assert "(key finding 1): raised by **only some** staff, fewer than the published evaluation's *most*" in found


def test_status_follows_the_protocol_rule():
    assert qualitative.status(0, 0, []) == "untested"
    assert qualitative.status(2, 0, []) == "untested"
    assert qualitative.status(10, 1, []) == "supported"
    assert qualitative.status(10, 1, [False]) == "mixed"
    assert qualitative.status(10, 5, []) == "mixed"  # a third refute: more than 25%
    assert qualitative.status(3, 5, []) == "refuted"
    assert qualitative.status(1, 0, [False]) == "refuted"
    assert qualitative.status(1, 0, [True]) == "mixed"
