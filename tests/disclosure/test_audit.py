"""The determined reader, and the attacker's test of everything the disclosure path publishes."""

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis_src.disclosure import (
    SUPPRESSED,
    protect_lines,
    protect_with_totals,
    reset_log,
    show_share,
    suppression_log,
)
from analysis_src.disclosure.audit import Fact, at_least_one, bounds, disclosed, disclosures, guessed, share_facts


def test_a_single_hidden_cell_is_recovered_from_its_total():
    facts = [Fact.equals(["a", "b", "c"], 20), Fact.value("a", 10), Fact.value("b", 7)]
    assert bounds(facts, ["c"]) == {"c": (3.0, 3.0)}
    assert disclosures(facts, ["c"]) == {"c": (3.0, 3.0)}


def test_two_hidden_cells_on_a_line_keep_each_other_safe():
    facts = [Fact.equals(["a", "b", "c"], 20), Fact.value("a", 10)]
    assert bounds(facts, ["b", "c"]) == {"b": (0.0, 10.0), "c": (0.0, 10.0)}
    assert disclosures(facts, ["b", "c"]) == {}


def test_a_percentage_of_a_known_total_gives_back_its_count():
    # The audit's example: 8% of Wigan's 78 families is 6 families, and with the total a band of 2.
    facts = [Fact.equals(["over", "under"], 78), *share_facts(["over"], ["over", "under"], 0.08)]
    assert bounds(facts, ["over"]) == {"over": (6.0, 6.0)}
    # The bands above the budget are a (hidden) and b (shown, 4): a = 6 - 4 = 2.
    facts += [Fact({"over": 1.0, "a": -1.0, "b": -1.0}, 0, 0), Fact.value("b", 4)]
    assert bounds(facts, ["a"]) == {"a": (2.0, 2.0)}


def test_an_interval_inside_one_to_five_is_a_disclosure():
    assert disclosed((2, 4)) and disclosed((3, 3))
    assert not disclosed((0, 4)) and not disclosed((2, 6)) and not disclosed((0, math.inf))


def test_protect_lines_adds_a_complement_on_each_line_that_needs_one():
    counts = pd.Series({"a": 3, "b": 10, "c": 40, "d": 12})
    mask = protect_lines(counts, [["a", "b", "c", "d"]])
    assert mask.sum() == 2 and mask["a"] and mask["b"]


def test_protect_lines_sees_a_second_published_line():
    # Bands a..d add up to all families; a and b (above the budget) also add up to a published figure.
    counts = pd.Series({"a": 2, "b": 9, "c": 3, "d": 30})
    mask = protect_lines(counts, [["a", "b", "c", "d"], ["a", "b"]])
    shown = {cell: counts[cell] for cell in counts.index if not mask[cell]}
    facts = [Fact.equals(["a", "b", "c", "d"], 44), Fact.equals(["a", "b"], 11)]
    facts += [Fact.value(cell, value) for cell, value in shown.items()]
    assert disclosures(facts, list(counts.index[mask])) == {}


def test_every_suppression_is_logged_with_its_rule_and_no_value():
    reset_log()
    protect_lines(pd.Series({"x": 2, "y": 9, "z": 30}), [["x", "y", "z"]], where="test table", column="families")
    log = suppression_log()
    assert [(e.row, e.rule) for e in log] == [("x", "primary"), ("y", "secondary")]
    assert all("2" not in e.where + e.row + e.column and "9" not in e.where + e.row for e in log)
    assert show_share(6, 78) == "8%" and show_share(3, 78) == SUPPRESSED and show_share(74, 78) == SUPPRESSED


def _published_crosstab(table: pd.DataFrame) -> tuple[list[Fact], list[tuple[int, int]]]:
    """Publish a table of counts with row and column totals and row percentages, as the book does.

    Returns what a reader sees, as facts, and the hidden counts of 1 to 5 (the sensitive ones).
    """
    cells = {(r, c): int(table.iat[r, c]) for r in range(table.shape[0]) for c in range(table.shape[1])}
    rows = [[(r, c) for c in range(table.shape[1])] for r in range(table.shape[0])]
    columns = [[(r, c) for r in range(table.shape[0])] for c in range(table.shape[1])]
    lines = rows + columns + [list(cells)]
    mask, hidden_totals = protect_with_totals(pd.Series(cells), lines)
    shown_lines = [line for i, line in enumerate(lines) if i not in hidden_totals]
    facts = [Fact.equals(line, sum(cells[cell] for cell in line)) for line in shown_lines]
    for row in rows:  # each shown cell also as a whole-number percentage of its shown row total
        total = sum(cells[cell] for cell in row)
        for cell in row:
            if mask[cell]:
                continue
            facts.append(Fact.value(cell, cells[cell]))
            if total and row in shown_lines and show_share(cells[cell], total) != SUPPRESSED:
                facts += share_facts([cell], row, round(cells[cell] / total, 2))
    return facts, [cell for cell in cells if mask[cell] and 1 <= cells[cell] <= 5]


@settings(max_examples=150, deadline=None)
@given(
    st.integers(2, 4).flatmap(
        lambda n_rows: st.integers(2, 4).flatmap(
            lambda n_cols: st.lists(
                st.lists(st.one_of(st.integers(0, 6), st.integers(7, 60)), min_size=n_cols, max_size=n_cols),
                min_size=n_rows,
                max_size=n_rows,
            )
        )
    )
)
def test_the_attacker_never_pins_a_hidden_count_to_one_to_five(rows):
    table = pd.DataFrame(rows)
    facts, hidden = _published_crosstab(table)
    assert disclosures(facts, hidden) == {}
    # Nor a reader who knows that a c is never 0 (zeros are shown) and guesses that every c is 1 to 5.
    cells = {(r, c): int(table.iat[r, c]) for r in range(table.shape[0]) for c in range(table.shape[1])}
    shown = {cell for fact in facts if fact.low == fact.high and len(fact.weights) == 1 for cell in fact.weights}
    as_c = [cell for cell in cells if cell not in shown]
    if all(cells[cell] >= 1 for cell in as_c):  # this reader knows a c is 1 to 5: only one value is news
        facts = facts + at_least_one(as_c)
        assert not [span for span in disclosures(facts, hidden).values() if span[0] == span[1]]
    pinned = guessed(facts, as_c, hidden)
    assert all(span[0] != cells[cell] for cell, span in pinned.items()), pinned


def test_a_c_is_never_zero_to_the_reader():
    # Six hidden months add up to 6 and the other months show 0: each hidden month is 1.
    months = pd.Series([0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0], index=[f"m{i}" for i in range(12)])
    facts = [Fact.equals(list(months.index), 6)]
    facts += [Fact.value(m, 0) for m in months.index[months == 0]]
    assert disclosures(facts, list(months.index[months > 0])) == {}  # a reader who allows hidden zeros
    assert disclosures(facts + at_least_one(months.index[months > 0]), ["m1"]) == {"m1": (1.0, 1.0)}
    mask = protect_lines(months, [list(months.index)])
    assert mask[months == 1].all() and mask.sum() == 7  # a 0 is hidden too: then a c may be 0


def test_a_reader_who_guesses_every_c_is_small_is_answered():
    # Three hidden months add up to 15: if every c is 1 to 5, each is 5.
    months = pd.Series([5, 8, 9, 5, 7, 10, 5, 6, 12, 7, 8, 9], index=[f"m{i}" for i in range(12)])
    small = ["m0", "m3", "m6"]
    facts = [Fact.equals(list(months.index), int(months.sum()))]
    facts += [Fact.value(m, v) for m, v in months.items() if m not in small]
    assert disclosures(facts, small) == {}  # 1 to 13 each: no proof
    assert guessed(facts, small, small) == {m: (5.0, 5.0) for m in small}  # but the guess is right
    mask = protect_lines(months, [list(months.index)])
    assert mask.sum() == 4
    hidden = list(months.index[mask])
    facts = [Fact.equals(list(months.index), int(months.sum()))]
    facts += [Fact.value(m, v) for m, v in months.items() if m not in hidden]
    assert guessed(facts, hidden, small) == {}  # four c adding up to 21 cannot all be 1 to 5


def test_the_attacker_has_teeth_against_primary_suppression_alone():
    # Primary suppression only: one small cell per row of a table with row totals is given back.
    table = pd.DataFrame([[3, 20, 31], [12, 4, 40]])
    cells = {(r, c): int(table.iat[r, c]) for r in range(2) for c in range(3)}
    facts = [Fact.equals([(r, c) for c in range(3)], int(table.iloc[r].sum())) for r in range(2)]
    facts += [Fact.value(cell, value) for cell, value in cells.items() if value > 5]
    assert disclosures(facts, [(0, 0), (1, 1)]) == {(0, 0): (3.0, 3.0), (1, 1): (4.0, 4.0)}
    protected, hidden = _published_crosstab(table)
    assert len(hidden) == 2 and disclosures(protected, hidden) == {}
