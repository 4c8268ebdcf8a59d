"""Statistical disclosure control: the one mechanism every published number passes through.

The DfE convention for children's social care statistics:

* ``c``: a count of people (children, families, staff) from 1 to 5 is suppressed, and so
  is any percentage, rate or effect computed from it;
* secondary suppression: where cells add up to a published total, a single suppressed
  cell could be worked out by subtraction, so the next smallest cell is suppressed too;
* ``z``: not applicable; ``x``: not available.

Tables are built numerically, then passed to :func:`protect_table`, which suppresses and
formats them; chart data pass through :func:`protect_chart_data`; prose counts of people
through :func:`show_count`. The same path runs for synthetic and real data: there is no
switch that turns it off.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import pandas as pd

from analysis_src.config import protocol

SUPPRESSED = "c"
NOT_APPLICABLE = "z"


def notes() -> str:
    """The key to the symbols, as printed under the book's tables."""
    return (
        f"`c` suppressed: a count of {protocol.current().disclosure.suppressed_label} people, a figure computed "
        "from one, or a cell that would reveal one. `z` not applicable. `x` not available."
    )


def is_small(value: object) -> bool:
    """True for a count of people that must be suppressed (1 to 5, or as ``protocol.yml`` sets)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return not math.isnan(number) and 0 < number <= protocol.current().disclosure.largest_suppressed_count


def suppression_mask(counts: pd.Series, additive: bool = False) -> pd.Series:
    """Which cells of a series of people counts to suppress.

    Parameters
    ----------
    counts
        Counts of people.
    additive
        The cells add up to a total that is published: apply secondary suppression, so
        that no suppressed cell can be recovered by subtraction.

    Returns
    -------
    Series of bool
        True where the cell must show ``c``.
    """
    mask = counts.map(is_small).astype(bool)
    if additive and mask.sum() == 1:
        candidates = counts[~mask & (counts > 0)]
        if len(candidates):
            mask[candidates.astype(float).idxmin()] = True
    return mask


def protect_table(
    frame: pd.DataFrame,
    counts: Iterable[str] = (),
    derived: dict[str, str] | None = None,
    formats: dict[str, str | Callable] | None = None,
    additive: bool = False,
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
        The rows of each count column add up to a published total (secondary suppression).

    Returns
    -------
    DataFrame
        Text cells, with ``c`` where suppressed.
    """
    derived = derived or {}
    formats = formats or {}
    masks = {column: suppression_mask(frame[column], additive) for column in counts}
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
        shown.loc[masks[source] if source in masks else frame[source].map(is_small), column] = SUPPRESSED
    return shown


def protect_chart_data(frame: pd.DataFrame, counts: Iterable[str], additive: bool = False) -> pd.DataFrame:
    """Chart data with suppressed counts of people set to missing (drawn as gaps), never as numbers."""
    protected = frame.copy()
    for column in counts:
        mask = suppression_mask(frame[column], additive)
        protected[column] = frame[column].astype(float).where(~mask)
    return protected


def show_count(value: float, fmt: str = "{:,.0f}") -> str:
    """A count of people for prose: ``c`` when 1 to 5, otherwise formatted."""
    return SUPPRESSED if is_small(value) else fmt.format(value)


def split_masks(parent_and_parts: list[tuple[float, ...]]) -> list[tuple[bool, ...]]:
    """Suppression of the parts of splits (parent = part + part + ...) whose parent is shown.

    Each part of 1 to 5 is suppressed; if exactly one part of a split is, the next
    smallest part is too, so it cannot be recovered as parent minus the rest.
    """
    result = []
    for _parent, *parts in parent_and_parts:
        mask = suppression_mask(pd.Series(parts, dtype=float), additive=True)
        result.append(tuple(bool(m) for m in mask))
    return result
