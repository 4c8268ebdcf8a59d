"""The determined reader: what can be worked out about hidden counts from everything published.

A published table, chart or sentence states *linear facts* about counts of people: a
shown cell equals its value, a row of cells adds up to a shown total, a percentage of a
known total puts its count in an interval (the rounding of the percentage), a band says
"between 34 and 38". :func:`bounds` finds, for each hidden count, the smallest and largest
value consistent with every fact and with counts being whole and non-negative: two integer
programmes per hidden count (scipy's ``milp``, HiGHS). A hidden count is *disclosed* (:func:`disclosed`) when
those bounds leave only values from 1 to 5, whether one value (recovered exactly) or a
narrower interval ("between 2 and 4").

Used in two places: :func:`analysis_src.disclosure.protect_lines` adds complementary
suppression until no hidden count is disclosed, and the gate and the attacker's tests run
it against what was actually published.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

# Bounds are rounded inwards to whole people only beyond this tolerance (solver noise).
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Fact:
    """``low <= sum(weight * cell) <= high``: one thing a reader can read off the output.

    Attributes
    ----------
    weights
        ``{cell: weight}``; a cell is any hashable name of a count.
    low, high
        The interval the weighted sum is known to lie in (equal for an exact figure).
    source
        Where the fact is published (a table, chart or sentence), for messages.
    """

    weights: Mapping[Hashable, float]
    low: float
    high: float
    source: str = field(default="", compare=False)

    @classmethod
    def equals(cls, cells: Iterable[Hashable], total: float, source: str = "") -> Fact:
        """The cells add up to ``total``."""
        return cls(dict.fromkeys(cells, 1.0), float(total), float(total), source)

    @classmethod
    def value(cls, cell: Hashable, value: float, source: str = "") -> Fact:
        """The cell is shown as ``value``."""
        return cls({cell: 1.0}, float(value), float(value), source)


def _less_share(cells: list[Hashable], of: list[Hashable], share: float) -> dict[Hashable, float]:
    """Weights of ``sum(cells) - share * sum(of)``."""
    weights: dict[Hashable, float] = {}
    for cell in of:
        weights[cell] = weights.get(cell, 0.0) - share
    for cell in cells:
        weights[cell] = weights.get(cell, 0.0) + 1.0
    return weights


def share_facts(
    cells: Iterable[Hashable], of: Iterable[Hashable], shown: float, step: float = 0.01, source: str = ""
) -> list[Fact]:
    """A percentage ``sum(cells) / sum(of)`` shown as ``shown``, rounded to the nearest ``step``: two facts.

    ``sum(cells) - (shown - step/2) * sum(of) >= 0`` and ``sum(cells) - (shown + step/2) * sum(of) <= 0``.
    """
    cells, of = list(cells), list(of)
    return [
        Fact(_less_share(cells, of, shown - step / 2), 0.0, math.inf, source),
        Fact(_less_share(cells, of, shown + step / 2), -math.inf, 0.0, source),
    ]


def bounds(facts: Iterable[Fact], cells: Iterable[Hashable]) -> dict[Hashable, tuple[float, float]]:
    """The smallest and largest value of each of ``cells`` consistent with every fact.

    Every cell named in a fact is a count: a whole number, non-negative, with no upper
    limit but the facts. The bounds are found by integer programming (scipy's ``milp``,
    HiGHS), so a reader's whole-number reasoning is matched, not only its linear
    relaxation; an unbounded maximum is ``inf``.

    Raises
    ------
    ValueError
        If the facts contradict each other (nothing published can be true at once).
    """
    facts = list(facts)
    wanted = list(cells)
    names = list(dict.fromkeys([*wanted, *(cell for fact in facts for cell in fact.weights)]))
    column = {name: i for i, name in enumerate(names)}
    matrix = np.zeros((len(facts), len(names)))
    for row, fact in enumerate(facts):
        for cell, weight in fact.weights.items():
            matrix[row, column[cell]] += weight
    constraints = [LinearConstraint(matrix, [f.low for f in facts], [f.high for f in facts])] if facts else []
    integral = np.ones(len(names))
    result = {}
    for cell in wanted:
        objective = np.zeros(len(names))
        objective[column[cell]] = 1.0
        low = milp(objective, constraints=constraints, integrality=integral, bounds=Bounds(0, np.inf))
        if low.status == 2:
            raise ValueError("the published facts contradict each other")
        high = milp(-objective, constraints=constraints, integrality=integral, bounds=Bounds(0, np.inf))
        top = math.inf if high.status == 3 or high.x is None else float(math.floor(-high.fun + _TOLERANCE))
        result[cell] = (float(math.ceil(low.fun - _TOLERANCE)), top)
    return result


def disclosed(interval: tuple[float, float], largest: int = 5) -> bool:
    """True when an interval of whole counts gives away a hidden count of 1 to ``largest``.

    Either the interval holds only values from 1 to ``largest`` (the count is recovered or
    narrowed), or it meets that range in a single value: a reader who takes ``c`` to mean
    1 to ``largest``, as the convention says, then knows the count exactly.
    """
    low, high = interval
    return (low >= 1 and high <= largest) or max(low, 1) == min(high, largest)


def feasible_denominators(shares: Iterable[float], low: int, high: int, step: float = 0.01) -> list[int]:
    """The group sizes from ``low`` to ``high`` for which every rounded share is possible.

    A reader who sees several percentages of the same hidden group size (risks of several
    outcomes in one arm) can rule out every size for which some percentage cannot be a
    whole number of people divided by it: the integer attack a linear programme misses.
    """
    shares = list(shares)
    sizes = []
    for n in range(max(low, 1), high + 1):
        if all(
            math.floor((share + step / 2) * n - _TOLERANCE) >= math.ceil((share - step / 2) * n - _TOLERANCE)
            for share in shares
        ):
            sizes.append(n)
    return sizes


def disclosures(
    facts: Iterable[Fact], hidden: Iterable[Hashable], largest: int = 5
) -> dict[Hashable, tuple[float, float]]:
    """The hidden counts that the facts pin to values from 1 to ``largest``, with their bounds."""
    return {cell: span for cell, span in bounds(facts, hidden).items() if disclosed(span, largest)}


def at_least_one(cells: Iterable[Hashable]) -> list[Fact]:
    """Zeros are shown, so a reader knows every ``c`` is at least 1."""
    return [Fact({cell: 1.0}, 1.0, math.inf, "a c is never 0") for cell in cells]


def guessed(
    facts: Iterable[Fact], shown_as_c: Iterable[Hashable], sensitive: Iterable[Hashable], largest: int = 5
) -> dict[Hashable, tuple[float, float]]:
    """The sensitive counts pinned to one value by a reader who takes every ``c`` to be 1 to ``largest``.

    The reader does not know which ``c`` only protects another, but may guess that none
    does: three hidden months that must add up to 15 are then 5, 5 and 5. When the
    guess is impossible (the hidden cells add up to more than they could), it tells the
    reader only that some ``c`` is larger, and nothing is pinned.
    """
    facts = [*facts, *(Fact({cell: 1.0}, 1.0, float(largest), "every c taken as small") for cell in shown_as_c)]
    try:
        spans = bounds(facts, sensitive)
    except ValueError:
        return {}
    return {cell: span for cell, span in spans.items() if span[0] == span[1]}
