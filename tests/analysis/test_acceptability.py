import pandas as pd
import pytest
from scipy import stats

from analysis_src.analysis.acceptability import acceptability_figures, acceptability_table, diverging_data, verdict


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


def test_responses_from_1_to_5_families_are_left_as_gaps(families):
    question = diverging_data(families).query("question == 'The support helped (T1)'")
    assert (question["share"] == 0).all()  # 8 families: every level given is given by 1 to 5 of them
