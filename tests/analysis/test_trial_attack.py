"""A determined reader with a computer: every arm size consistent with the published effects, tried by brute force.

The risks, risk differences and risk ratios with their intervals are computed on the analysed
families of each arm and allocation period. A reader who tries every possible split of the
analysed families (and every split of the events) and keeps those that reproduce every
published figure can work the analysed numbers out; the test checks that the numbers lost to
follow-up still cannot be, given how the page publishes the allocations.
"""

import itertools
import re

import numpy as np
import pytest

from analysis_src.analysis.effects import Z_95
from analysis_src.analysis.trial import (
    _consort_counts,
    flow_counts,
    outcome_figures,
    outcome_table,
    trial_data_for,
)
from analysis_src.report.chapter import load_chapter

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _interval(text: str, exact: int) -> range:
    """The whole numbers a published cell allows: exact, ``≈20, nearest 10``, or ``c`` (1 to 5, or a complement)."""
    if text == "c":
        return range(0, exact + 50)
    if text.startswith("≈"):
        value, base = (int(x) for x in re.findall(r"\d+", text.replace(",", "")))
        # Halves round up: 25 is "≈30, nearest 10", 35 is not.
        return range(int(np.ceil(value - base / 2)), int(np.ceil(value + base / 2)))
    return range(exact, exact + 1)


def _solutions(n10, n11, n00, n01, published):
    """The events in the four strata that reproduce every published figure (risks, RD, RR with intervals, 2 dp)."""
    grids = np.meshgrid(*(np.arange(n + 1) for n in (n10, n11, n00, n01)), indexing="ij")
    e10, e11, e00, e01 = (g.ravel().astype(float) for g in grids)
    ok = np.ones(len(e10), dtype=bool)
    if "risk" in published:
        ok &= np.round((e10 + e11) / (n10 + n11), 2) == published["risk"][0]
        ok &= np.round((e00 + e01) / (n00 + n01), 2) == published["risk"][1]
    t0, t1 = n10 + n00, n11 + n01
    weights = n10 * n00 / t0 + n11 * n01 / t1
    d = ((e10 * n00 - e00 * n10) / t0 + (e11 * n01 - e01 * n11) / t1) / weights
    strata = ((n10, n00, e10, e00, t0), (n11, n01, e11, e01, t1))
    p = sum((a**2 * eb - b**2 * ea + a * b * (b - a) / 2) / t**2 for a, b, ea, eb, t in strata)
    q = sum((ea * (b - eb) + eb * (a - ea)) / (2 * t) for a, b, ea, eb, t in strata)
    se = np.sqrt(np.maximum(d * p + q, 0)) / weights
    for value, shown in zip((d, d - Z_95 * se, d + Z_95 * se), published["rd"], strict=True):
        ok &= np.round(value + 1e-12, 2) == shown
    if "rr" in published:
        r = e10 * n00 / t0 + e11 * n01 / t1
        s = e00 * n10 / t0 + e01 * n11 / t1
        rr = r / s
        num = sum((a * b * (ea + eb) - ea * eb * t) / t**2 for a, b, ea, eb, t in strata)
        sr = np.sqrt(num / (r * s))
        for value, shown in zip((rr, rr * np.exp(-Z_95 * sr), rr * np.exp(Z_95 * sr)), published["rr"], strict=True):
            ok &= np.round(value + 1e-12, 2) == shown
    return [e[ok].astype(int) for e in (e10, e11, e00, e01)]


def _consistent(n10, n11, n00, n01, published):
    return len(_solutions(n10, n11, n00, n01, published)[0]) > 0


def _published(data, figures):
    """What the outcomes table shows of each binary outcome, as the brute force reads it."""
    table = outcome_table(figures, data)
    published = {}
    for outcome, label in (("any_escalation", table.index[0]), ("s47_enquiry", "Section 47 enquiry")):
        row, key = table.loc[label], f"trial.{outcome}"
        if row["Risk difference (95% CI)"] == "c":
            continue
        shown = {"rd": tuple(round(figures[f"{key}.risk_difference{s}"], 2) for s in ("", "_ci_low", "_ci_high"))}
        if row["Intervention"] != "c":
            shown["risk"] = (round(figures[f"{key}.risk_intervention"], 2), round(figures[f"{key}.risk_control"], 2))
        if row["Risk ratio (95% CI)"] != "c":
            shown["rr"] = tuple(round(figures[f"{key}.risk_ratio{s}"], 2) for s in ("", "_ci_low", "_ci_high"))
        published[outcome] = shown
    return published


def test_the_numbers_lost_to_follow_up_survive_a_brute_force_on_the_published_effects():
    data = trial_data_for(load_chapter("darlington", "synthetic_data"))
    figures = flow_counts(data) | outcome_figures(data)
    n = {k: int(v) for k, v in figures.items() if float(v).is_integer()}
    shown = _consort_counts(n)
    published = _published(data, figures)
    assert published, "the page publishes at least the composite outcome"
    analysed = {arm: n[f"trial.{arm}.analysed"] for arm in ("intervention", "control")}
    assert all(shown[f"{arm}.analysed"] == str(count) for arm, count in analysed.items())  # shown exactly
    # Every split of each arm's analysed families over the two periods that reproduces every published figure.
    splits = [
        (n10, analysed["intervention"] - n10, n00, analysed["control"] - n00)
        for n10 in range(1, analysed["intervention"])
        for n00 in range(1, analysed["control"])
        if all(
            _consistent(n10, analysed["intervention"] - n10, n00, analysed["control"] - n00, p)
            for p in published.values()
        )
    ]
    assert splits  # the true split is among them
    # Every allocation the published cells allow, with those splits: what could each number lost be?
    cells = [f"{arm}.period_{k}" for arm in ("intervention", "control") for k in (1, 2)]
    ranges = [_interval(shown[c], int(n[f"trial.{c.replace('.period_', '.allocated_period_')}"])) for c in cells]
    arms = {arm: _interval(shown[f"{arm}.allocated"], n[f"trial.{arm}.allocated"]) for arm in analysed}
    lost = set()
    for split in splits:
        for allocation in itertools.product(*ranges):
            if sum(allocation) != n["trial.randomised"]:
                continue
            if (
                allocation[0] + allocation[1] not in arms["intervention"]
                or allocation[2] + allocation[3] not in arms["control"]
            ):
                continue
            if all(a >= s for a, s in zip(allocation, split, strict=True)):
                lost.add(tuple(a - s for a, s in zip(allocation, split, strict=True)))
    assert lost
    candidates = [{row[0] + row[1] for row in lost}, {row[2] + row[3] for row in lost}]
    candidates += [{row[i] for row in lost} for i in range(4)]
    for values in candidates:
        small = {v for v in values if 1 <= v <= 5}
        assert not (values == small or len(small) == 1), values  # never pinned to 1 to 5


def test_no_period_arms_count_of_1_to_5_can_be_solved_back_from_the_published_effects():
    data = trial_data_for(load_chapter("darlington", "synthetic_data"))
    figures = flow_counts(data) | outcome_figures(data)
    published = _published(data, figures)
    strata = [
        int(figures[f"trial.{arm}.analysed_period_{k}"]) for arm in ("intervention", "control") for k in (1, 2)
    ]  # the reader can find these (see the test above); the events within them are what is at stake
    for outcome, shown in published.items():
        solutions = np.array(_solutions(*strata, shown))
        if "risk" not in shown:  # the row's note tells the reader that some period's arm is 1 to 5 with or without it
            sizes = np.array(strata)[:, None]
            small = ((solutions >= 1) & (solutions <= 5)) | ((sizes - solutions >= 1) & (sizes - solutions <= 5))
            solutions = solutions[:, small.any(axis=0)]
        assert solutions.shape[1], outcome
        for events, n in zip(solutions, strata, strict=True):
            for values in ({int(v) for v in events}, {n - int(v) for v in events}):
                # These counts are never shown as `c`: pinned means every possibility lies in 1 to 5.
                assert not all(1 <= v <= 5 for v in values), (outcome, values)
