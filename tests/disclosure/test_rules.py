import pandas as pd

from analysis_src.disclosure import (
    SUPPRESSED,
    is_small,
    protect_chart_data,
    protect_table,
    show_count,
    suppression_mask,
)


def test_counts_from_1_to_5_are_small_and_zero_is_not():
    assert [is_small(v) for v in (0, 1, 5, 6, float("nan"), "c")] == [False, True, True, False, False, False]


def test_primary_suppression():
    assert list(suppression_mask(pd.Series([0, 3, 10, 40]))) == [False, True, False, False]


def test_secondary_suppression_protects_a_single_small_cell_of_a_total():
    # 3 + 10 + 40 = 53 published: 3 alone could be recovered, so 10 goes too
    mask = suppression_mask(pd.Series([3, 10, 40]), additive=True)
    assert list(mask) == [True, True, False]
    assert list(suppression_mask(pd.Series([3, 4, 40]), additive=True)) == [True, True, False]  # two already


def test_derived_figures_are_suppressed_with_their_count():
    frame = pd.DataFrame({"n": [3, 20], "share": [0.6, 0.75]}, index=["managers", "workers"])
    shown = protect_table(frame, counts=["n"], derived={"share": "n"}, formats={"share": "{:.0%}"})
    assert shown.loc["managers"].tolist() == [SUPPRESSED, SUPPRESSED]
    assert shown.loc["workers"].tolist() == [20, "75%"]


def test_missing_values_show_as_not_applicable():
    shown = protect_table(pd.DataFrame({"rate": [float("nan")]}))
    assert shown.iloc[0, 0] == "z"


def test_chart_data_carry_gaps_not_small_numbers():
    data = protect_chart_data(pd.DataFrame({"families": [2, 30, 12]}), ["families"], additive=True)
    assert data["families"].isna().tolist() == [True, False, True]


def test_show_count_for_prose():
    assert (show_count(4), show_count(0), show_count(1234)) == ("c", "0", "1,234")
