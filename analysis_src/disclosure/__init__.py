"""Statistical disclosure control: the one mechanism every published number passes through.

The DfE convention for children's social care statistics:

* ``c``: a count of people (children, families, staff) from 1 to 5 is suppressed, and so
  is any percentage, rate or effect computed from it;
* secondary suppression: where cells add up to a published total, a single suppressed
  cell could be worked out by subtraction, so the next smallest cell is suppressed too;
* ``z``: not applicable; ``x``: not available.

Tables are built numerically, then passed to :func:`protect_table`, which suppresses and
formats them; chart data pass through :func:`protect_chart_data`; prose counts of people
through :func:`show_count`, shares of known totals through :func:`show_share`. Counts that
add up along several published lines (rows, columns, a chart's groups, a sentence's
total) go through :func:`protect_lines`, whose complementary suppression is checked by the
determined reader of :mod:`analysis_src.disclosure.audit`. A statistic (mean, median,
SD, effect size, chart position) of 1 to 5 people is never shown (:func:`enough_people`).

Every suppressed or rounded cell is entered in the suppression log (:func:`record`),
with where it appears and the rule that fired, never its value; the build writes the log
beside the ledger. The same path runs for synthetic and real data: there is no switch
that turns it off.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from analysis_src.config import protocol
from analysis_src.disclosure.audit import Fact, at_least_one, disclosures, guessed

SUPPRESSED = "c"
NOT_APPLICABLE = "z"

# The rules that can fire, as the suppression log and the pages name them.
PRIMARY = "primary"
SECONDARY = "secondary"
DERIVED = "derived"
FEW_PEOPLE = "few people"
ROUNDED = "rounded"
NOT_QUOTED = "not quoted"
RULES = {
    PRIMARY: "a count of {suppressed} people",
    SECONDARY: "complementary: would let a hidden count be worked out from totals, shares or other cells",
    DERIVED: "computed from a hidden count (a share, rate or effect)",
    FEW_PEOPLE: "a statistic (mean, median, SD, effect, chart position) of {suppressed} people",
    ROUNDED: "rounded to the nearest 5 or 10 instead of suppressed, checked against every published total",
    NOT_QUOTED: "an excerpt withheld: no consent to quote, it may identify someone, or too few to attribute it to",
}


@dataclass(frozen=True)
class Suppression:
    """One entry of the suppression log: where a cell is hidden or rounded and why, never its value."""

    where: str
    row: str
    column: str
    rule: str


_LOG: list[Suppression] = []
_QUIET: list[bool] = []


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Protect without logging: for figures computed but not shown where they are computed."""
    _QUIET.append(True)
    try:
        yield
    finally:
        _QUIET.pop()


def record(where: str, row: object, column: object, rule: str) -> None:
    """Enter a suppressed or rounded cell in this run's suppression log (once per place; the last rule stands)."""
    if _QUIET:
        return
    entry = Suppression(str(where), str(row), str(column), rule)
    for index, logged in enumerate(_LOG):
        if (logged.where, logged.row, logged.column) == (entry.where, entry.row, entry.column):
            _LOG[index] = entry
            return
    _LOG.append(entry)


def suppression_log() -> list[Suppression]:
    """The log of this run (a notebook's kernel), in the order the cells were protected."""
    return list(_LOG)


def reset_log() -> None:
    """Start a new log (each notebook starts one; tests too)."""
    _LOG.clear()


def log_json() -> str:
    """The log as JSON lines-free text (a list of objects), for the build to collect."""
    return json.dumps([asdict(entry) for entry in _LOG])


def rule_text(rule: str) -> str:
    """The rule in words, with the protocol's threshold."""
    return RULES[rule].format(suppressed=protocol.current().disclosure.suppressed_label)


def notes() -> str:
    """The key to the symbols, as printed under the book's tables."""
    return (
        f"`c` suppressed: a count of {protocol.current().disclosure.suppressed_label} people, a figure computed "
        "from one, or a cell that would reveal one. `≈` rounded (a count to the nearest 5 or 10, a share to the "
        "nearest 5% or 10%) where the exact figure would let a hidden count be worked out. `z` not applicable. "
        "`x` not available."
    )


def enough_people(n: float) -> bool:
    """Whether a statistic of ``n`` people may be shown: more than the largest suppressed count."""
    return n > protocol.current().disclosure.largest_suppressed_count


def is_small(value: object) -> bool:
    """True for a count of people that must be suppressed (1 to 5, or as ``protocol.yml`` sets)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return not math.isnan(number) and 0 < number <= protocol.current().disclosure.largest_suppressed_count


def protect_lines(
    counts: pd.Series,
    lines: Sequence[Sequence[Hashable]] = (),
    facts: Iterable[Fact] = (),
    where: str = "",
    column: str = "",
    identities: Sequence[tuple[Hashable, Sequence[Hashable]]] = (),
    keep: Iterable[Hashable] = (),
    displayed: Iterable[Hashable] | None = None,
) -> pd.Series:
    """Which counts to hide so that none of 1 to 5 can be worked out from what is published.

    Counts of 1 to 5 are hidden (primary suppression). Then, while the determined reader
    (:func:`analysis_src.disclosure.audit.disclosures`) can pin a hidden count of 1 to 5
    to one value, or to values from 1 to 5 only, from everything published, the smallest
    shown count on a line or identity through it is hidden too (complementary suppression);
    where that is not enough, the search widens to every line with a hidden count.

    Parameters
    ----------
    counts
        Counts of people, indexed by cell.
    lines
        Groups of cells (index labels) whose sum is published elsewhere: a row or column
        total, a chart's bar, a group whose share is given in a sentence. A line whose sum
        is itself 1 to 5 must be published as ``c`` (:func:`show_count`) and is not counted.
    facts
        Anything else published about the cells (:class:`analysis_src.disclosure.audit.Fact`).
    where, column
        Where the counts appear, for the suppression log.
    identities
        ``(total, parts)``: a cell that is the sum of other cells, all in ``counts`` (a box
        of a flow diagram and the boxes it splits into). The reader knows the identity;
        the total is published only if it is shown, and it may itself be hidden.
    keep
        Cells hidden as complements only when nothing else will do (figures the page's
        other results depend on).
    displayed
        Cells the page shows (as ``c`` when hidden); the others are only worked out by
        difference. A reader knows a displayed ``c`` is not 0, and may guess it is 1 to 5
        (:func:`analysis_src.disclosure.audit.guessed`). All cells when ``None``.

    Returns
    -------
    Series of bool
        True where the cell must be hidden.

    Raises
    ------
    ValueError
        When no cell is left to hide: the table's totals themselves must then be hidden
        (:func:`protect_with_totals`).
    """
    mask, _ = _protect(
        counts, lines, facts, where, column, hide_totals=False, identities=identities, keep=keep, displayed=displayed
    )
    return mask


def protect_with_totals(
    counts: pd.Series,
    lines: Sequence[Sequence[Hashable]],
    facts: Iterable[Fact] = (),
    where: str = "",
    column: str = "",
) -> tuple[pd.Series, list[int]]:
    """As :func:`protect_lines`, but a line's total may be hidden where no cell is left to hide.

    Returns
    -------
    tuple
        The cells to hide, and the positions in ``lines`` of the totals to show as ``c``
        (those of 1 to 5 included).
    """
    return _protect(counts, lines, facts, where, column, hide_totals=True)


def _protect(counts, lines, facts, where, column, hide_totals, identities=(), keep=(), displayed=None):
    facts = list(facts)
    displayed = set(counts.index if displayed is None else displayed)
    facts += [Fact({total: 1.0} | {part: -1.0 for part in parts}, 0.0, 0.0) for total, parts in identities]
    groups = [list(line) for line in lines]
    # A line whose total is itself 1 to 5 has its total hidden (show_count): not a published sum.
    hidden_totals = [i for i, line in enumerate(groups) if is_small(counts[line].sum())]
    groups += [[total, *parts] for total, parts in identities]  # where complements are looked for
    totals = {total for total, _ in identities}
    keep = set(keep)
    largest = protocol.current().disclosure.largest_suppressed_count
    mask = counts.map(is_small).astype(bool)
    while mask.any():
        sums = [i for i in range(len(lines)) if i not in hidden_totals]
        published = facts + [Fact.equals(groups[i], float(counts[groups[i]].sum())) for i in sums]
        # A total of 1 to 5 is shown as c: known to be 1 to 5 (a total hidden as a complement is not).
        # Only the readers who take a c to be 1 to 5 use it.
        small_totals = [
            Fact(dict.fromkeys(groups[i], 1.0), 1.0, float(largest))
            for i in hidden_totals
            if i < len(lines) and is_small(counts[groups[i]].sum())
        ]
        published += [Fact.value(cell, float(value)) for cell, value in counts[~mask].items()]
        shown_as_c = [cell for cell in counts.index[mask] if cell in displayed]
        # Only the counts of 1 to 5 are sensitive: a complementary cell pinned down gives nothing away.
        sensitive = [cell for cell in counts.index[mask] if is_small(counts[cell])]
        found = _readers_findings(published, small_totals, shown_as_c, sensitive, counts, largest, groups)
        if not found:
            break
        exposed = next(iter(found))
        through = [i for i, group in enumerate(groups) if i not in hidden_totals and exposed in group]
        # The count is exposed along a chain where the groups through it have nothing left: widen the
        # search to every group with a hidden cell. A part is hidden before a total (a box of a diagram
        # before the box it splits), near the exposed count before further away.
        chained = [i for i, group in enumerate(groups) if i not in hidden_totals and mask[group].any()]
        choice = None
        tiers = [(reach, part, False) for reach in (through, chained) for part in (True, False)]
        for reach, want_part, allow_kept in [*tiers, (through, True, True), (chained, True, True)]:
            pool = counts[[cell for i in reach for cell in groups[i] if not mask[cell] and counts[cell] > 0]]
            pool = pool[[(cell not in totals) == want_part and (allow_kept or cell not in keep) for cell in pool.index]]
            if len(pool):
                choice = pool.astype(float).idxmin()
                break
        candidates = counts[[cell for i in chained for cell in groups[i] if not mask[cell]]]
        if choice is not None:
            mask[choice] = True
        elif hide_totals and any(i < len(lines) for i in through):
            line = max((i for i in through if i < len(lines)), key=lambda i: int(mask[groups[i]].sum()))
            hidden_totals.append(line)
            record(where, f"total of line {line}", column, SECONDARY)
        elif len(candidates):
            mask[candidates.astype(float).idxmin()] = True
        else:
            raise ValueError(f"{where}: cannot protect {exposed!r}: every cell on its lines is already hidden")
    for cell in counts.index[mask]:
        record(where, cell, column, PRIMARY if is_small(counts[cell]) else SECONDARY)
    return mask, sorted(hidden_totals)


def _readers_findings(published, small_totals, shown_as_c, sensitive, counts, largest, groups):
    """The sensitive counts three readers pin down, each finding checked against the true count.

    The first reader uses only what is published; the second also knows that zeros are shown,
    so that every ``c`` is at least 1, line by line (where a 0 had to be hidden as a complement,
    this reader may be misled, so only what it gets right counts); the third guesses that
    every ``c`` is 1 to 5 (:func:`analysis_src.disclosure.audit.guessed`), and counts where
    the guess is right.
    """
    found = disclosures(published, sensitive, largest)
    published = [*published, *small_totals]
    for group in groups:
        in_group = set(group)
        cells = [cell for cell in sensitive if cell in in_group]
        if not cells:
            continue
        try:
            nonzero = disclosures([*published, *at_least_one(c for c in shown_as_c if c in in_group)], cells, largest)
        except ValueError:  # more c on the line than its sum allows: the reader learns that one is 0, no more
            continue
        # This reader knows a c is 1 to 5 anyway: only a count pinned to one value is news.
        found |= {cell: span for cell, span in nonzero.items() if span[0] == span[1] == counts[cell]}
    if not found:
        guesses = guessed(published, shown_as_c, sensitive, largest)
        found = {cell: span for cell, span in guesses.items() if span[0] == counts[cell]}
    return found


def suppression_mask(counts: pd.Series, additive: bool = False, where: str = "", column: str = "") -> pd.Series:
    """Which cells of a series of people counts to suppress.

    Parameters
    ----------
    counts
        Counts of people.
    additive
        The cells add up to a total that is published: apply complementary suppression
        (:func:`protect_lines` with the whole series as one line).
    where, column
        Where the counts appear, for the suppression log.

    Returns
    -------
    Series of bool
        True where the cell must show ``c``.
    """
    counts = counts.astype(float)
    return protect_lines(counts, [list(counts.index)] if additive else [], where=where, column=column)


def protect_table(
    frame: pd.DataFrame,
    counts: Iterable[str] = (),
    derived: dict[str, str] | None = None,
    formats: dict[str, str | Callable] | None = None,
    additive: bool = False,
    where: str = "table",
) -> pd.DataFrame:
    """Suppress and format a numeric table for publication.

    Parameters
    ----------
    frame
        The table, numeric where numbers.
    counts
        Columns that count people.
    derived
        ``{column: count column}``: a column computed from a count (a share, a rate, an
        effect) is suppressed wherever its count is.
    formats
        ``{column: format string or function}`` applied to the cells that are shown;
        missing values show as ``z``.
    additive
        The rows of each count column add up to a published total (complementary suppression).
    where
        The table's name in the suppression log.

    Returns
    -------
    DataFrame
        Text cells, with ``c`` where suppressed.
    """
    derived = derived or {}
    formats = formats or {}
    masks = {column: suppression_mask(frame[column], additive, where, column) for column in counts}
    shown = frame.astype(object).copy()
    for column in frame.columns:
        fmt = formats.get(column)
        for index, value in frame[column].items():
            if value is None or (isinstance(value, float) and math.isnan(value)):
                shown.at[index, column] = NOT_APPLICABLE
            elif fmt is not None and not isinstance(value, str):
                shown.at[index, column] = fmt(value) if callable(fmt) else fmt.format(value)
    for column, mask in masks.items():
        shown.loc[mask, column] = SUPPRESSED
    for column, source in derived.items():
        mask = masks[source] if source in masks else frame[source].map(is_small)
        shown.loc[mask, column] = SUPPRESSED
        for index in frame.index[mask.to_numpy(dtype=bool)]:
            record(where, index, column, DERIVED)
    return shown


def protect_chart_data(
    frame: pd.DataFrame,
    counts: Iterable[str],
    additive: bool = False,
    where: str = "chart",
    label: str | None = None,
    derived: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Chart data with suppressed counts of people set to missing (drawn as gaps), never as numbers.

    Parameters
    ----------
    frame
        The chart's data, one row a mark.
    counts
        Columns that count people.
    additive
        The rows add up to a published total (complementary suppression).
    where
        The chart's name in the suppression log.
    label
        The column that names each row in the log (the index when ``None``).
    derived
        ``{column: count column}``: a share or rate computed from a count, hidden with it
        (a share of a known total gives the count back).
    """
    protected = frame.copy()
    names = frame.index if label is None else pd.Index(frame[label].astype(str))
    for column in counts:
        counted = frame[column].set_axis(names)
        mask = suppression_mask(counted, additive, where, column).to_numpy(dtype=bool)
        protected[column] = frame[column].astype(float).where(~mask)
        for share, source in (derived or {}).items():
            if source == column:
                protected[share] = frame[share].astype(float).where(~mask)
                for name in names[mask]:
                    record(where, name, share, DERIVED)
    return protected


def show_count(value: float, fmt: str = "{:,.0f}", where: str = "") -> str:
    """A count of people for prose: ``c`` when 1 to 5, otherwise formatted."""
    if is_small(value):
        if where:
            record(where, "", "", PRIMARY)
        return SUPPRESSED
    return fmt.format(value)


def show_share(count: float, total: float, fmt: str = "{:.0%}", where: str = "") -> str:
    """A share of a published total for prose or a table: ``c`` when the count or the rest of the total is 1 to 5.

    A percentage of a known total gives back its count (8% of 78 families is 6 families),
    so it is shown only where the count itself could be, and the rest of the total too.
    """
    if is_small(count) or is_small(total - count) or is_small(total):
        if where:
            record(where, "", "share", DERIVED)
        return SUPPRESSED
    return fmt.format(count / total) if total else NOT_APPLICABLE


def rounding_band(rounded: float, base: int) -> tuple[int, int]:
    """The whole counts that round (half up) to ``rounded`` at the nearest ``base``.

    ``≈30, nearest 10`` is 25 to 34; ``≈20, nearest 5`` is 18 to 22. A reader who knows
    the convention knows exactly this much, so the determined reader is given this band.
    """
    return math.ceil(rounded - base / 2), math.ceil(rounded + base / 2) - 1


def round_half_up(value: float, base: int) -> int:
    """``value`` to the nearest multiple of ``base``, halves up (25 to the nearest 10 is 30)."""
    return int(base * math.floor(value / base + 0.5))


def round_where_safe(
    counts: pd.Series,
    mask: pd.Series,
    splits: Sequence[Sequence[Hashable]],
    exact: dict[Hashable, float],
    cells: Iterable[Hashable] | None = None,
    facts: Iterable[Fact] = (),
    accept: Callable[[Hashable, str, dict[Hashable, str]], bool] | None = None,
) -> dict[Hashable, str]:
    """The hidden counts (other than 1 to 5) that can be shown rounded: ``{cell: "≈40, nearest 5"}``.

    Each is rounded to the nearest 5, or else 10, where :func:`round_count` finds that the
    determined reader pins no hidden count, given what is exact, the splits, ``facts`` and
    every rounding made before it (in the order of ``cells``, all of ``counts`` by default).
    ``accept(cell, text, rounded_so_far)`` may refuse a rounding that a reader the integer
    programme does not model would see through.
    """
    published = list(facts)
    rounded: dict[Hashable, str] = {}
    for cell in counts.index if cells is None else cells:
        if not mask[cell] or is_small(counts[cell]):
            continue
        for base in (5, 10):
            value = round_count(counts[cell], cell, exact, splits, base=base, facts=published, values=counts.to_dict())
            text = None if value is None else f"≈{value}, nearest {base}"
            if text is not None and (accept is None or accept(cell, text, rounded)):
                rounded[cell] = text
                published.append(Fact({cell: 1.0}, *rounding_band(float(value.replace(",", "")), base)))
                break
    return rounded


def round_count(
    value: float,
    cell: Hashable,
    exact: dict[Hashable, float],
    splits: Sequence[Sequence[Hashable]],
    base: int = 5,
    facts: Iterable[Fact] = (),
    values: dict[Hashable, float] | None = None,
) -> str | None:
    """``value`` rounded to the nearest ``base``, if the rounding discloses no hidden count; else ``None``.

    Parameters
    ----------
    value, cell
        The count to round and its name.
    exact
        Every count published exactly, by name.
    splits
        ``[parent, part, part, ...]``: the parent is the sum of its parts. Names in no
        ``exact`` entry (other than ``cell``) are hidden.
    base
        Round to the nearest multiple of this.
    facts
        Anything else published about the cells.
    values
        The true counts: only those of 1 to 5 are checked (every hidden cell when ``None``).

    The rounded value tells a reader the cell lies within half a ``base`` of it; the
    determined reader (:mod:`analysis_src.disclosure.audit`) then tries every hidden cell.
    """
    rounded = round_half_up(value, base)
    facts = [*facts, Fact({cell: 1.0}, *rounding_band(rounded, base))]
    facts += [Fact.value(name, number) for name, number in exact.items() if name != cell]
    facts += [Fact({split[0]: 1.0} | {part: -1.0 for part in split[1:]}, 0.0, 0.0) for split in splits]
    hidden = [name for split in splits for name in split if name not in exact and name != cell]
    hidden = [name for name in hidden if is_small(values.get(name, 0))] if values is not None else hidden
    if disclosures(facts, hidden, protocol.current().disclosure.largest_suppressed_count):
        return None
    return f"{rounded:,.0f}"
