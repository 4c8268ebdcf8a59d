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
    trial_data_for,
    why_hidden,
)
from analysis_src.report.chapter import load_chapter

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _interval(text: str, exact: int) -> range:
    """The whole numbers a published cell allows: exact, ``≈20, nearest 10``, or ``c`` (1 to 5, or a complement)."""
    if text == "c":
        return range(0, exact + 50)
    if text.startswith("≈"):
        value, base = (int(x) for x in re.findall(r"\d+", text.replace(",", "")))
        return range(int(np.ceil(value - base / 2)), int(np.floor(value + base / 2)) + 1)
    return range(exact, exact + 1)


def _consistent(n10, n11, n00, n01, published):
    """Whether some events in the four strata reproduce the published risks, risk difference and ratio (2 dp)."""
    grids = np.meshgrid(*(np.arange(n + 1) for n in (n10, n11, n00, n01)), indexing="ij")
    e10, e11, e00, e01 = (g.ravel().astype(float) for g in grids)
    ok = np.round((e10 + e11) / (n10 + n11), 2) == published["risk"][0]
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
    r = e10 * n00 / t0 + e11 * n01 / t1
    s = e00 * n10 / t0 + e01 * n11 / t1
    rr = r / s
    num = sum((a * b * (ea + eb) - ea * eb * t) / t**2 for a, b, ea, eb, t in strata)
    sr = np.sqrt(num / (r * s))
    for value, shown in zip((rr, rr * np.exp(-Z_95 * sr), rr * np.exp(Z_95 * sr)), published["rr"], strict=True):
        ok &= np.round(value + 1e-12, 2) == shown
    return bool(ok.any())


def test_the_numbers_lost_to_follow_up_survive_a_brute_force_on_the_published_effects():
    data = trial_data_for(load_chapter("darlington", "synthetic_data"))
    figures = flow_counts(data) | outcome_figures(data)
    n = {k: int(v) for k, v in figures.items() if float(v).is_integer()}
    shown = _consort_counts(n)
    published = {}
    for outcome in ("any_escalation", "s47_enquiry"):
        if why_hidden(data, outcome) is None:
            key = f"trial.{outcome}"
            published[outcome] = {
                "risk": (round(figures[f"{key}.risk_intervention"], 2), round(figures[f"{key}.risk_control"], 2)),
                "rd": tuple(round(figures[f"{key}.risk_difference{s}"], 2) for s in ("", "_ci_low", "_ci_high")),
                "rr": tuple(round(figures[f"{key}.risk_ratio{s}"], 2) for s in ("", "_ci_low", "_ci_high")),
            }
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
