import pandas as pd
import pytest
from scipy import stats

from analysis_src.analysis.acceptability import (
    FAMILY_ITEMS,
    acceptability_figures,
    acceptability_table,
    diverging_data,
    verdict,
    verdict_gives_away,
)


@pytest.mark.parametrize(("low", "high", "expected"), [(0.72, 0.9, 1), (0.5, 0.69, 0), (0.6, 0.8, -1), (0.70, 0.8, 1)])
def test_verdict_against_70_percent(low, high, expected):
    assert verdict(low, high) == expected


@pytest.fixture
def staff():
    return pd.DataFrame(
        {
            "role": ["social_worker"] * 10 + ["team_manager"] * 2,
            "acceptable_overall": [5, 4, 4, 4, 3, 5, 4, 2, 4, 5, 1, 5],
        }
    )


@pytest.fixture
def families():
    rows = []
    for i, (t1, t2) in enumerate([(3, 4), (2, 4), (4, 5), (3, 3), (5, 4), (2, 5), (3, 4), (4, 4)]):
        rows += [
            {"family_id": f"F{i}", "wave": "T1", "helpful": t1, "had_a_say": 3, "worker_relationship": 4},
            {"family_id": f"F{i}", "wave": "T2", "helpful": t2, "had_a_say": 4, "worker_relationship": 4},
        ]
    return pd.DataFrame(rows)


def test_share_positive_with_wilson_interval(staff, families):
    figures = acceptability_figures(staff, families)
    assert figures["acceptability.social_worker.share_positive"] == pytest.approx(0.8)
    interval = stats.binomtest(8, 10).proportion_ci(method="wilson")
    assert figures["acceptability.social_worker.ci_low"] == pytest.approx(interval.low)
    assert figures["acceptability.team_manager.respondents"] == 2
    assert "acceptability.senior_leader.share_positive" not in figures  # no respondents, no figure


def test_paired_change_uses_wilcoxon_signed_rank(staff, families):
    figures = acceptability_figures(staff, families)
    wide = families.pivot(index="family_id", columns="wave", values="helpful")
    expected = stats.wilcoxon(wide["T2"], wide["T1"], zero_method="wilcox").pvalue
    assert figures["acceptability.family_change.pairs"] == 8
    assert figures["acceptability.family_change.wilcoxon_p"] == pytest.approx(expected)
    assert figures["acceptability.family_change.mean_change"] == pytest.approx(
        7 / 8
    )  # differences +1 +2 +1 0 -1 +3 +1 0


def test_table_reads_each_group_against_the_criterion(staff, families):
    table = acceptability_table(acceptability_figures(staff, families))
    assert table.loc["Social workers", "70% criterion"] == "uncertain"


def test_diverging_bars_are_centred_on_neutral():
    answers = [1] * 6 + [2] * 6 + [3] * 10 + [4] * 20 + [5] * 8
    families = pd.DataFrame({"wave": "T1", "helpful": answers, "had_a_say": answers, "worker_relationship": answers})
    question = diverging_data(families).query("question == 'The support helped (T1)'").set_index("response")
    neutral = question.loc["Neutral"]
    assert neutral["start"] == pytest.approx(-neutral["share"] / 2)
    assert question["share"].sum() == pytest.approx(1.0)


def _bar(answers):
    families = pd.DataFrame({"wave": "T1", "helpful": answers, "had_a_say": answers, "worker_relationship": answers})
    return diverging_data(families).query("question == 'The support helped (T1)'").reset_index(drop=True)


@pytest.mark.parametrize(
    ("answers", "groups"),
    [
        ([1] * 6 + [2] * 6 + [3] * 10 + [4] * 20 + [5] * 8, 5),
        ([1] * 2 + [2] * 6 + [3] * 10 + [4] * 20 + [5] * 8, 3),  # 2 very negative: negative answers combined
        ([1] * 1 + [2] * 3 + [3] * 4 + [4] * 20, 2),  # 4 negative: positive against not positive
        ([2] * 3 + [3] * 2 + [4] * 3, 0),  # 3 positive: no bar
    ],
)
def test_a_bar_never_has_a_gap_and_every_segment_holds_6_families_or_none(answers, groups):
    bar = _bar(answers)
    assert len(bar) == groups
    if groups:
        assert list(bar["end"].iloc[:-1]) == pytest.approx(list(bar["start"].iloc[1:]))  # contiguous: no gaps
        assert bar["share"].sum() == pytest.approx(1.0)
        counts = bar["share"] * len(answers)
        assert ((counts.round() == 0) | (counts.round() >= 6)).all()


def test_two_groups_meet_at_zero_so_the_neutral_share_is_not_given_back():
    bar = _bar([1] * 1 + [2] * 3 + [3] * 4 + [4] * 20).set_index("response")
    assert bar.loc["Not positive (1 to 3)", "end"] == pytest.approx(0.0)


def test_a_share_positive_that_gives_back_the_few_negative_is_hidden():
    staff = pd.DataFrame({"role": ["social_worker"] * 20, "acceptable_overall": [4] * 17 + [2] * 3})
    figures = acceptability_figures(staff, pd.DataFrame(columns=["family_id", "wave", *FAMILY_ITEMS]))
    table = acceptability_table(figures)
    assert table.loc["Social workers", "Share positive (95% CI)"] == "c"
    assert table.loc["Social workers", "Respondents"] == "20"
    staff["acceptable_overall"] = [4] * 14 + [2] * 6
    assert (
        acceptability_table(acceptability_figures(staff, pd.DataFrame(columns=["family_id", "wave", *FAMILY_ITEMS])))
        .loc["Social workers", "Share positive (95% CI)"]
        .startswith("70%")
    )


def test_a_verdict_that_leaves_one_possible_count_is_hidden_too():
    assert verdict_gives_away(19, 20)  # "met" beside `c` leaves only 19 positive of 20
    assert not verdict_gives_away(17, 20)
