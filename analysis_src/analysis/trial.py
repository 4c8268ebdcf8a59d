"""Darlington's randomised comparison: flow, randomisation, balance, outcomes by arm, promise.

The comparison is exploratory (the protocol's Exploratory analysis 1): a pilot of a
few dozen families cannot estimate effects precisely. Outcomes are analysed by the
arm *allocated* (intention to treat), among families followed up.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy.optimize import brentq
from statsmodels.regression.mixed_linear_model import MixedLMParams

from analysis_src.analysis.effects import (
    Stratum,
    mantel_haenszel_risk_difference,
    mantel_haenszel_risk_ratio,
    standardised_mean_difference,
    stratified_hedges_g,
)
from analysis_src.config import protocol
from analysis_src.config.protocol import number, percent
from analysis_src.disclosure import (
    DERIVED,
    FEW_PEOPLE,
    PRIMARY,
    ROUNDED,
    SUPPRESSED,
    enough_people,
    is_small,
    protect_lines,
    protect_table,
    quiet,
    record,
    round_where_safe,
    rounding_band,
    show_count,
)
from analysis_src.disclosure.audit import Fact, feasible_denominators

# The pre-specified primary outcome: any of the protocol's ``trial.composite_outcome`` components.
COMPOSITE = "any_escalation"
BINARY_OUTCOMES = {
    COMPOSITE: "Any escalation",
    "s47_enquiry": "Section 47 enquiry",
    "cp_plan": "Child protection plan",
    "plo_start": "PLO (pre-proceedings) start",
    "care_entry": "Entry to care",
}
COUNT_OUTCOMES = {"days_in_care": "Days in care"}


@dataclass(frozen=True)
class TrialData:
    """The randomised comparison's tables.

    Attributes
    ----------
    families
        Every family assessed (the pilot's families table).
    randomised
        One row per allocation: arm allocated and received, baseline, spending flag, outcomes.
    analysed
        The randomised families followed up, with ``treated`` = 1 for the intervention arm.
    """

    families: pd.DataFrame
    randomised: pd.DataFrame
    analysed: pd.DataFrame


def trial_data(
    families: pd.DataFrame, log: pd.DataFrame, outcomes: pd.DataFrame, transactions: pd.DataFrame
) -> TrialData:
    """Join the allocation log, baseline characteristics, spending and outcomes of the randomised families."""
    spenders = set(transactions["family_id"])
    components = list(protocol.current().trial.composite_outcome)
    unknown = sorted(set(components) - set(BINARY_OUTCOMES))
    if unknown:
        raise ValueError(f"protocol.yml trial.composite_outcome: {unknown} are not outcomes of the trial")
    merged = (
        log.drop(columns=["la_code"])
        .merge(families.drop(columns=["allocated_arm", "la_code"]), on="family_id", how="left")
        .merge(outcomes.drop(columns=["la_code"]), on="family_id", how="left")
        .assign(received_budget=lambda f: f["family_id"].isin(spenders))
    )
    merged[COMPOSITE] = merged[components].max(axis=1)
    analysed = merged[merged["followed_up"] == "Y"].reset_index(drop=True)
    analysed = analysed.assign(treated=(analysed["allocated_arm"] == "intervention").astype(int))
    return TrialData(families=families, randomised=merged, analysed=analysed)


def flow_counts(data: TrialData) -> dict[str, float]:
    """The CONSORT flow: assessed, eligible, randomised, allocated, received, deviations, analysed."""
    randomised = data.randomised
    figures = {
        "trial.assessed": len(data.families),
        "trial.eligible": int((data.families["eligible"] == "Y").sum()),
        "trial.randomised": len(randomised),
    }
    for arm in ("intervention", "control"):
        allocated = randomised[randomised["allocated_arm"] == arm]
        figures[f"trial.{arm}.allocated"] = len(allocated)
        figures[f"trial.{arm}.received_budget"] = int(allocated["received_budget"].sum())
        figures[f"trial.{arm}.crossed_over"] = int((allocated["arm_received"] != arm).sum())
        figures[f"trial.{arm}.analysed"] = int((allocated["followed_up"] == "Y").sum())
        for index, period in enumerate(allocation_periods(randomised), start=1):
            in_arm = period[period["allocated_arm"] == arm]
            figures[f"trial.{arm}.allocated_period_{index}"] = len(in_arm)
            figures[f"trial.{arm}.analysed_period_{index}"] = int((in_arm["followed_up"] == "Y").sum())
    figures["trial.deviations"] = int((randomised["allocated_arm"] != randomised["arm_received"]).sum())
    figures["trial.share_eligible_randomised"] = figures["trial.randomised"] / max(figures["trial.eligible"], 1)
    rule = protocol.current().trial
    figures["trial.proceeded_as_planned"] = int(
        figures["trial.share_eligible_randomised"] >= rule.min_share_randomised
        and figures["trial.deviations"] <= rule.max_share_deviations * figures["trial.randomised"]
    )
    return figures


def published_allocations(data: TrialData) -> dict[tuple[str, str], str]:
    """Each arm's allocations under each ratio in force as published: exact, rounded (``≈``) or ``c``.

    They add up to the arms' allocated families in the flow diagram, so they are protected
    with it (:func:`_consort_counts`), by ratio in force in time order.
    """
    figures = flow_counts(data)
    with quiet():  # logged where the flow diagram is drawn
        shown = _consort_counts({k: int(v) for k, v in figures.items() if float(v).is_integer()})
    ratios = [period["ratio_in_force"].iloc[0] for period in allocation_periods(data.randomised)]
    return {
        (ratio, arm): shown[f"{arm}.period_{k}"]
        for k, ratio in enumerate(ratios, start=1)
        for arm in ("intervention", "control")
    }


def _number_shown(text: str) -> float:
    """The number a published cell states (the rounded value for ``≈``); missing for ``c`` or 1 to 5."""
    if text == SUPPRESSED:
        return float("nan")
    value = float(re.match(r"≈?([\d,]+)", text).group(1).replace(",", ""))
    return float("nan") if is_small(value) else value


def ratio_over_time(data: TrialData) -> pd.DataFrame:
    """Allocations by ratio in force and arm, as the allocation table publishes them (rounded where it rounds)."""
    frame = data.randomised.groupby(["ratio_in_force", "allocated_arm"]).size().rename("allocations").reset_index()
    first = data.randomised.groupby("ratio_in_force")["allocation_date"].min().dt.strftime("%b %Y")
    frame["period"] = frame["ratio_in_force"] + " from " + frame["ratio_in_force"].map(first)
    published = published_allocations(data)
    shown = [
        published[(ratio, arm)] for ratio, arm in zip(frame["ratio_in_force"], frame["allocated_arm"], strict=True)
    ]
    return frame.assign(allocations=[_number_shown(text) for text in shown], shown=shown)


def ratio_chart(by_period: pd.DataFrame) -> alt.Chart:
    """Bars of allocations to each arm under each ratio in force, in time order."""
    return (
        alt.Chart(by_period, title="Allocations by arm under each ratio in force", width=360)
        .mark_bar()
        .encode(
            x=alt.X("period:N", title="Ratio in force (intervention:control)", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("allocated_arm:N"),
            y=alt.Y("allocations:Q", title="Families allocated (≈: rounded)"),
            color=alt.Color("allocated_arm:N", title="Arm"),
            tooltip=["period:N", "allocated_arm:N", alt.Tooltip("shown:N", title="Families allocated")],
        )
    )


BASELINE = {
    "oldest_child_age": ("Age of oldest child (years)", False),
    "n_children": ("Children in the family", False),
    "previous_referrals": ("Referrals in previous 24 months", False),
    "previous_cp_plan": ("Previous child protection plan", True),
}


def balance_table(data: TrialData) -> pd.DataFrame:
    """Baseline characteristics by allocated arm with standardised mean differences; large |SMD| flagged."""
    flag = protocol.current().trial.smd_flag
    step = _risk_step(data)
    rows = []
    frame = data.analysed.assign(previous_cp_plan=(data.analysed["previous_cp_plan"] == "Y").astype(float))
    for column, (label, binary) in BASELINE.items():
        arms = {
            arm: frame.loc[frame["allocated_arm"] == arm, column].astype(float) for arm in ("intervention", "control")
        }
        smd = standardised_mean_difference(arms["intervention"], arms["control"], binary=binary)
        row = {"Characteristic": label}
        if not all(enough_people(len(values)) for values in arms.values()):  # a statistic of 1 to 5 families
            rows.append(
                row | {"Intervention": SUPPRESSED, "Control": SUPPRESSED, "SMD": SUPPRESSED, "Flag": "", "_smd": 0.0}
            )
            record("Trial: balance at baseline", label, "all", FEW_PEOPLE)
            continue
        for arm, values in arms.items():
            if binary:  # a percentage of 1 to 5 families (or all but 1 to 5) is suppressed
                small = is_small(values.sum()) or is_small(len(values) - values.sum())
                row[arm.capitalize()] = SUPPRESSED if small else _risk(values.mean(), step)
            else:
                row[arm.capitalize()] = f"{values.mean():.1f} ({values.std():.1f})"
        row["SMD"] = f"{smd:+.2f}"
        row["Flag"] = f"imbalance (|SMD| > {number(flag)})" if abs(smd) > flag else ""
        row["_smd"] = smd
        rows.append(row)
    return pd.DataFrame(rows).set_index("Characteristic").rename_axis(None)


def promise(g_low: float, g: float, g_high: float) -> str:
    """Read an effect size against the protocol's band of promise (a reduction is a negative g)."""
    band = protocol.current().promise
    low, high = band.low, band.high
    if g_low < -high and g_high > high:
        return "CI too wide to tell"
    if g_high < -low:
        return f"promise: CI shows a reduction of at least {number(low)}"
    if g <= -low:
        return "estimate in the band of promise, CI includes no effect"
    return "no sign of promise"


def allocation_periods(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """The analysed families split by the allocation ratio in force when they were randomised, in order."""
    return [period for _, period in frame.groupby("ratio_in_force", sort=True)]


def outcome_figures(data: TrialData) -> dict[str, float]:
    """Risks by allocated arm, and effects estimated within each allocation period and combined.

    The ratio changed at the midpoint (1:1, then 2:1) while families' risks changed over
    the pilot, so a comparison pooled over periods is biased: the intervention arm holds
    more late families. Every effect is therefore stratified by allocation period:
    Mantel-Haenszel risk difference (Sato variance) and risk ratio (Greenland-Robins),
    and Hedges' g combined with inverse-variance weights. The risks by arm are descriptive.
    """
    figures = {}
    frame = data.analysed
    treated, control = frame[frame["treated"] == 1], frame[frame["treated"] == 0]
    periods = allocation_periods(frame)
    figures["trial.allocation_periods"] = len(periods)
    for outcome in BINARY_OUTCOMES:
        strata = [
            Stratum(
                int(p.loc[p["treated"] == 1, outcome].sum()),
                int((p["treated"] == 1).sum()),
                int(p.loc[p["treated"] == 0, outcome].sum()),
                int((p["treated"] == 0).sum()),
            )
            for p in periods
        ]
        rd = mantel_haenszel_risk_difference(strata)
        figures |= {
            f"trial.{outcome}.risk_intervention": float(treated[outcome].mean()),
            f"trial.{outcome}.risk_control": float(control[outcome].mean()),
            f"trial.{outcome}.risk_difference": rd.estimate,
            f"trial.{outcome}.risk_difference_ci_low": rd.ci_low,
            f"trial.{outcome}.risk_difference_ci_high": rd.ci_high,
        }
        rr = mantel_haenszel_risk_ratio(strata)
        if rr is not None:
            figures |= {
                f"trial.{outcome}.risk_ratio": rr.estimate,
                f"trial.{outcome}.risk_ratio_ci_low": rr.ci_low,
                f"trial.{outcome}.risk_ratio_ci_high": rr.ci_high,
            }
    for outcome in {**BINARY_OUTCOMES, **COUNT_OUTCOMES}:
        g = stratified_hedges_g(
            [
                (p.loc[p["treated"] == 1, outcome].astype(float), p.loc[p["treated"] == 0, outcome].astype(float))
                for p in periods
            ]
        )
        if g is not None:
            figures |= {
                f"trial.{outcome}.hedges_g": g.estimate,
                f"trial.{outcome}.hedges_g_ci_low": g.ci_low,
                f"trial.{outcome}.hedges_g_ci_high": g.ci_high,
            }
    return figures


def outcome_table(figures: dict[str, float], data: TrialData) -> pd.DataFrame:
    """Outcomes by arm: risks, risk difference and ratio, Hedges' g, the reading against promise, and why not shown.

    An outcome that 1 to 5 families in an arm had (or did not have) is hidden in full,
    since its risks and every effect computed from them would reveal the count; so is
    days in care when 1 to 5 families in an arm spent any day in care. The last column
    then says why, briefly; :func:`hidden_outcomes_text` says it in full below the table, with
    what a trial would need to report it.
    """
    rows = []
    step = _risk_step(data)
    for outcome, label in {**BINARY_OUTCOMES, **COUNT_OUTCOMES, COMPOSITE: composite_label()}.items():
        key = f"trial.{outcome}"
        row = {"Outcome": label}
        reason = why_hidden(data, outcome)
        if reason is not None:  # the reason takes the place of the reading against promise
            rows.append(row | dict.fromkeys(_OUTCOME_COLUMNS, SUPPRESSED) | {_READING: reason})
            for column in _OUTCOME_COLUMNS:
                record("Trial: outcomes by arm", label, column, PRIMARY if column in _ARMS else DERIVED)
            continue
        if not _events(data, outcome).any():
            rows.append(row | {_READING: "not estimable: no family in either arm had it"})
            continue
        if small_strata(data, outcome):
            # Within an allocation period an arm had 1 to 5 families with (or without) the outcome: with the
            # risks, the ratio and g beside it, a reader trying every split recovers that count. The stratified
            # risk difference and its interval alone do not pin it (checked by brute force in the tests).
            hidden = [c for c in _OUTCOME_COLUMNS if c != "Risk difference (95% CI)"]
            row |= dict.fromkeys(hidden, SUPPRESSED) | {_READING: STRATA_NOTE}
            for column in hidden:
                record("Trial: outcomes by arm", label, column, DERIVED)
            if outcome in BINARY_OUTCOMES:
                row["Risk difference (95% CI)"] = _risk_difference(figures, key)
            else:
                row["Risk difference (95% CI)"] = SUPPRESSED
            rows.append(row)
            continue
        if outcome in BINARY_OUTCOMES:
            row["Intervention"] = _risk(figures[f"{key}.risk_intervention"], step)
            row["Control"] = _risk(figures[f"{key}.risk_control"], step)
            if step > 0.01:  # the rounding is said once, below the table
                record("Trial: outcomes by arm", label, "risks", ROUNDED)
            row["Risk difference (95% CI)"] = _risk_difference(figures, key)
            row["Risk ratio (95% CI)"] = (
                f"{figures[f'{key}.risk_ratio']:.2f} ({figures[f'{key}.risk_ratio_ci_low']:.2f} to "
                f"{figures[f'{key}.risk_ratio_ci_high']:.2f})"
                if f"{key}.risk_ratio" in figures
                else "x (not estimable: no events in one arm)"
            )
        else:
            means = data.analysed.groupby("treated")[outcome].mean()
            row["Intervention"] = f"{means.get(1, float('nan')):.1f} days"
            row["Control"] = f"{means.get(0, float('nan')):.1f} days"
        if f"{key}.hedges_g" not in figures:
            row["Hedges' g (95% CI)"] = "x (not estimable: no variation within the allocation periods)"
            rows.append(row)
            continue
        g, low, high = (figures[f"{key}.hedges_g{s}"] for s in ("", "_ci_low", "_ci_high"))
        row["Hedges' g (95% CI)"] = f"{g:+.2f} ({low:+.2f} to {high:+.2f})"
        row[_READING] = promise(low, g, high)
        rows.append(row)
    columns = ["Outcome", *_OUTCOME_COLUMNS]
    return pd.DataFrame(rows, columns=columns).set_index("Outcome").rename_axis(None).fillna("z")


STRATA_NOTE = "c: only the risk difference (a period's arm had 1 to 5 with or without it)"


def _risk_difference(figures: dict[str, float], key: str) -> str:
    return (
        f"{figures[f'{key}.risk_difference']:+.2f} ({figures[f'{key}.risk_difference_ci_low']:+.2f} to "
        f"{figures[f'{key}.risk_difference_ci_high']:+.2f})"
    )


def _risk_difference_only(data: TrialData, outcome: str) -> bool:
    return why_hidden(data, outcome) is None and bool(_events(data, outcome).any()) and small_strata(data, outcome)


def small_strata(data: TrialData, outcome: str) -> bool:
    """Whether, in some allocation period, an arm had 1 to 5 families with the outcome, or without it."""
    frame = data.analysed.assign(event=(data.analysed[outcome] > 0).astype(int))
    strata = frame.groupby(["ratio_in_force", "treated"])["event"].agg(["sum", "size"])
    return bool(any(is_small(s) or is_small(n - s) for s, n in zip(strata["sum"], strata["size"], strict=True)))


def _risk(value: float, step: float) -> str:
    """A risk as a whole percentage, or rounded to ``step`` with ``≈``."""
    return f"{value:.0%}" if step <= 0.01 else f"≈{step * round(value / step):.0%}"


def _risk_step(data: TrialData) -> float:
    """How finely shares of an arm can be shown: 1%, or 5% or 10% where whole percentages give an arm's size away.

    Where the flow diagram hides or rounds an arm's analysed number, several shares of the
    same arm (risks of the outcomes, the share with a previous plan at baseline), each a
    whole number of families over that number, can rule out every size but one (the integer
    attack of :func:`analysis_src.disclosure.audit.feasible_denominators`), and with it the
    number lost to follow-up. The shares are then rounded more coarsely.
    """
    figures = flow_counts(data) | outcome_figures(data)
    n = {key: int(value) for key, value in figures.items() if key.startswith("trial.") and float(value).is_integer()}
    with quiet():  # the flow diagram logs its own cells where it is drawn
        shown = _consort_counts(n)
    outcomes = [o for o in BINARY_OUTCOMES if why_hidden(data, o) is None and _events(data, o).any()]
    shares = {}
    for arm, treated in (("intervention", 1), ("control", 0)):
        group = data.analysed[data.analysed["treated"] == treated]
        shares[arm] = [figures[f"trial.{o}.risk_{arm}"] for o in outcomes]
        shares[arm].append(float((group["previous_cp_plan"] == "Y").mean()) if len(group) else 0.0)
    for step in (0.01, 0.05, 0.10):
        if not any(_size_given_away(figures, arm, shown, shares[arm], step) for arm in shares):
            return step
    return 1.0


def _size_given_away(
    figures: dict[str, float], arm: str, shown: dict[str, str], risks: list[float], step: float
) -> bool:
    """Whether published risks (rounded to ``step``) pin the arm's number lost to follow-up to one of 1 to 5."""
    allocated = int(figures[f"trial.{arm}.allocated"])
    text = shown[f"{arm}.analysed"]
    if text == SUPPRESSED:
        low, high = 0, allocated
    elif text.startswith("≈"):
        value, base = (int(part) for part in re.findall(r"\d+", text.replace(",", "")))
        low, high = rounding_band(value, base)
        low, high = max(0, low), min(allocated, high)
    else:
        return False  # shown exactly: nothing hidden to work out
    rounded = [step * round(r / step) for r in risks]
    lost = {allocated - size for size in feasible_denominators(rounded, low, high, step)}
    small = {value for value in lost if 1 <= value <= protocol.current().disclosure.largest_suppressed_count}
    return bool(lost) and (lost == small or len(small) == 1)


_ARMS = ("Intervention", "Control")
_OUTCOME_COLUMNS = [
    *_ARMS,
    "Risk difference (95% CI)",
    "Risk ratio (95% CI)",
    "Hedges' g (95% CI)",
    "Against the band of promise",
]
_READING = _OUTCOME_COLUMNS[-1]


def _in_sentence(label: str) -> str:
    """A label inside a sentence: lower case, except for an abbreviation (PLO)."""
    first = label.split()[0]
    return label if first.isupper() else label[0].lower() + label[1:]


def composite_label() -> str:
    """The composite outcome's row label."""
    return f"{BINARY_OUTCOMES[COMPOSITE]} (primary outcome)"


def composite_text() -> str:
    """The composite outcome's components from ``protocol.yml``, for a sentence: "a section 47 enquiry, ..."."""
    parts = [_in_sentence(BINARY_OUTCOMES[c]) for c in protocol.current().trial.composite_outcome]
    return f"{', '.join(parts[:-1])} or {parts[-1]}"


def _events(data: TrialData, outcome: str) -> pd.Series:
    """Families with the outcome (any day in care, for days in care) in each arm, indexed by ``treated``."""
    return data.analysed.groupby("treated")[outcome].apply(lambda values: int((values > 0).sum()))


def why_hidden(data: TrialData, outcome: str) -> str | None:
    """Why an outcome's row cannot be published, in words; ``None`` when it can.

    A binary outcome is hidden when 1 to 5 analysed families in an arm had it, or all
    but 1 to 5 did; days in care when 1 to 5 families in an arm spent any day in care
    (its mean and effect would describe those few families). Which arm is not said.
    """
    threshold = protocol.current().disclosure.largest_suppressed_count + 1
    sizes = data.analysed.groupby("treated").size()
    strata = data.analysed.groupby(["ratio_in_force", "treated"]).size()
    if any(is_small(n) for n in strata):  # the effects, computed within periods, would give a stratum's size away
        return f"c: fewer than {threshold} families analysed in an arm of an allocation period"
    events = _events(data, outcome)
    few_with = any(is_small(events[arm]) for arm in events.index)
    few_without = outcome in BINARY_OUTCOMES and any(is_small(sizes[arm] - events[arm]) for arm in events.index)
    if not (few_with or few_without) and all(enough_people(n) for n in sizes):
        return None
    what = "with a day in care" if outcome in COUNT_OUTCOMES else "had it"
    if few_without and not few_with:
        what = "did not have it" if outcome in BINARY_OUTCOMES else what
    return f"c: fewer than {threshold} in an arm {what}"


def hidden_outcomes_text(data: TrialData) -> str:
    """Below the outcomes table: why each hidden row is hidden, what a trial would need, and the rounding."""
    threshold = protocol.current().disclosure.largest_suppressed_count + 1
    reasons: dict[str, list[str]] = {}
    for outcome, label in {**BINARY_OUTCOMES, **COUNT_OUTCOMES}.items():
        reason = why_hidden(data, outcome)
        if reason is not None:
            reasons.setdefault(reason.removeprefix("c: "), []).append(_in_sentence(label))
    sentences = []
    if reasons:
        listed = "; ".join(f"{', '.join(names)}: {reason}" for reason, names in reasons.items())
        sentences.append(
            f"Rows marked `c` are hidden ({listed}): in that arm the risks, and every effect computed from them, "
            "would reveal a count of 1 to 5 families, so the whole row is hidden and which arm is not said. "
            f"To report such an outcome, a trial needs at least {threshold} families with it in each arm: for an "
            "outcome that one family in twenty has, well over a hundred families an arm."
        )
        sentences.append(
            "The composite outcome (first row) counts each of these events, and is shown."
            if why_hidden(data, COMPOSITE) is None
            else "Here even the composite outcome is hidden."
        )
    else:
        sentences.append("Every outcome's row is shown.")
    partial = [
        _in_sentence(label) for outcome, label in BINARY_OUTCOMES.items() if _risk_difference_only(data, outcome)
    ]
    if partial:
        sentences.append(
            f"For {', '.join(partial)} only the risk difference is shown: within an allocation period one arm had "
            "1 to 5 families with (or without) the outcome, and with the risks, the risk ratio and Hedges' g beside "
            "it a reader trying every possible split of the families could work that count out."
        )
    step = _risk_step(data)
    if step > 0.01:
        sentences.append(
            f"Risks marked `≈` are rounded to the nearest {step:.0%}: with the arms' sizes rounded in the flow "
            "diagram, whole percentages would let the number lost to follow-up be worked out."
        )
    return " ".join(sentences)


# The 95% point of a chi-square with one degree of freedom: the profile-likelihood interval's cut-off.
_CHI2_95 = 3.841458820694124


def icc_interval(model, best: float) -> tuple[float, float]:
    """Profile-likelihood 95% interval of the intra-class correlation of a random-intercept model.

    The worker variance is held at each value on a grid (relative to the residual variance,
    as statsmodels parametrises it), the rest profiled out, and the interval is every ICC
    whose likelihood-ratio statistic against the fit stays below the chi-square cut-off. At
    the boundary the lower limit is 0. The limits are refined between grid points by root
    finding (scipy ``brentq``).
    """

    def deviance(relative: float) -> float:
        params = MixedLMParams.from_components(fe_params=np.zeros(model.k_fe), cov_re=np.array([[relative]]))
        return 2 * (best - model.loglike(params, profile_fe=True)) - _CHI2_95

    grid = np.concatenate([[1e-9], np.geomspace(1e-4, 100, 240)])
    inside = np.array([deviance(c) <= 0 for c in grid])
    if not inside.any():  # the grid missed the maximum: the interval is the estimate's neighbourhood
        return float("nan"), float("nan")
    first, last = int(np.argmax(inside)), len(inside) - 1 - int(np.argmax(inside[::-1]))
    low = 0.0 if first == 0 else brentq(deviance, grid[first - 1], grid[first])
    high = grid[-1] if last == len(grid) - 1 else brentq(deviance, grid[last], grid[last + 1])
    return float(low / (1 + low)), float(high / (1 + high))


def multilevel(data: TrialData, outcome: str = "s47_enquiry") -> dict[str, float]:
    """Random-intercept model for social worker: the arm effect and the intra-class correlation.

    A linear mixed model (statsmodels MixedLM, REML) of the outcome on allocated arm with a
    random intercept for the family's social worker. For a binary outcome this is a linear
    probability model; the ICC is on that scale. Families are nested in workers, so the ICC
    feeds the design effect of a future cluster trial.

    Estimation warnings are kept, not silenced: ``trial.multilevel.converged`` records
    whether the fit converged and ``trial.multilevel.boundary`` whether the worker variance
    sits on the boundary of zero (statsmodels warns; the estimate is then a floor, not a finding).
    """
    frame = data.analysed[[outcome, "treated", "worker_id"]].astype({outcome: float})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = smf.mixedlm(f"{outcome} ~ treated", frame, groups=frame["worker_id"]).fit(reml=True)
    boundary = any("boundary" in str(w.message) for w in caught)
    icc_low, icc_high = icc_interval(fit.model, fit.llf)
    between = float(fit.cov_re.iloc[0, 0])
    within = float(fit.scale)
    low, high = fit.conf_int().loc["treated"]
    return {
        "trial.multilevel.estimate": float(fit.params["treated"]),
        "trial.multilevel.ci_low": float(low),
        "trial.multilevel.ci_high": float(high),
        "trial.icc_social_worker": between / (between + within) if between + within > 0 else 0.0,
        "trial.social_workers": int(frame["worker_id"].nunique()),
        "trial.icc_social_worker.ci_low": icc_low,
        "trial.icc_social_worker.ci_high": icc_high,
        "trial.multilevel.converged": int(bool(fit.converged)),
        "trial.multilevel.boundary": int(boundary or between <= 0),
    }


def balance_figures(table: pd.DataFrame) -> dict[str, float]:
    """The largest absolute standardised mean difference, and how many characteristics are flagged."""
    smd = table["_smd"].abs()
    return {
        "balance.max_abs_smd": float(smd.max()),
        "balance.flagged": int((smd > protocol.current().trial.smd_flag).sum()),
    }


def randomisation_table(data: TrialData) -> pd.DataFrame:
    """Allocations by the ratio in force and arm, with deviations from allocation (suppressed from 1 to 5)."""
    frame = data.randomised
    table = pd.crosstab(frame["ratio_in_force"], frame["allocated_arm"]).reindex(
        columns=["intervention", "control"], fill_value=0
    )
    deviations = frame.assign(deviated=frame["allocated_arm"] != frame["arm_received"])
    table["Deviations"] = deviations.groupby("ratio_in_force")["deviated"].sum().astype(int)
    first = frame.groupby("ratio_in_force")["allocation_date"].min().dt.strftime("%B %Y")
    table.insert(0, "In force from", first)
    table = table.rename(columns={"intervention": "Intervention", "control": "Control"})
    shown = protect_table(table, counts=["Deviations"], where="Trial: allocations by ratio in force")
    # The allocations add up to the flow diagram's arms: published as the diagram's protection decides.
    published = published_allocations(data)
    for arm in ("intervention", "control"):
        shown[arm.capitalize()] = [published[(ratio, arm)] for ratio in shown.index]
    return shown.rename_axis(None).rename_axis(None, axis=1)


def trial_figures(data: TrialData) -> dict[str, float]:
    """Every ledger figure of the randomised comparison."""
    with quiet():  # the balance table logs its cells where it is shown
        balance = balance_figures(balance_table(data))
    return flow_counts(data) | balance | outcome_figures(data) | multilevel(data)


def show_balance(table: pd.DataFrame) -> pd.DataFrame:
    """The balance table without its helper column."""
    return table.drop(columns="_smd")


CONSORT_WHERE = "Trial: CONSORT flow diagram"


def consort_splits(n: dict[str, int]) -> tuple[pd.Series, list[tuple[str, ...]]]:
    """The flow diagram's and the allocation table's counts by name, and their splits ``(parent, part, ...)``.

    Besides the diagram's boxes, each arm's allocations in each allocation period (the
    table of allocations by ratio in force) add up to the arm's allocated families.
    """
    counts = {
        "assessed": n["trial.assessed"],
        "eligible": n["trial.eligible"],
        "not_eligible": n["trial.assessed"] - n["trial.eligible"],
        "randomised": n["trial.randomised"],
        "not_randomised": n["trial.eligible"] - n["trial.randomised"],
    }
    splits = [
        ("assessed", "eligible", "not_eligible"),
        ("eligible", "randomised", "not_randomised"),
        ("randomised", "intervention.allocated", "control.allocated"),
    ]
    for arm in ("intervention", "control"):
        allocated, received, analysed = (n[f"trial.{arm}.{k}"] for k in ("allocated", "received_budget", "analysed"))
        counts |= {
            f"{arm}.allocated": allocated,
            f"{arm}.received": received,
            f"{arm}.not_received": allocated - received,
            f"{arm}.analysed": analysed,
            f"{arm}.lost": allocated - analysed,
        }
        splits += [
            (f"{arm}.allocated", f"{arm}.received", f"{arm}.not_received"),
            (f"{arm}.allocated", f"{arm}.analysed", f"{arm}.lost"),
        ]
        periods = sorted(key.rpartition("_")[2] for key in n if key.startswith(f"trial.{arm}.allocated_period_"))
        if periods:
            # Each period's allocations, and (not shown, but worked out from the effects, which are
            # computed on them) each period's analysed families; the rest of the period was lost.
            for k in periods:
                allocated_k, analysed_k = n[f"trial.{arm}.allocated_period_{k}"], n[f"trial.{arm}.analysed_period_{k}"]
                counts |= {
                    f"{arm}.period_{k}": allocated_k,
                    f"{arm}.period_{k}.analysed": analysed_k,
                    f"{arm}.period_{k}.lost": allocated_k - analysed_k,
                }
                splits.append((f"{arm}.period_{k}", f"{arm}.period_{k}.analysed", f"{arm}.period_{k}.lost"))
            splits += [
                (f"{arm}.allocated", *(f"{arm}.period_{k}" for k in periods)),
                (f"{arm}.analysed", *(f"{arm}.period_{k}.analysed" for k in periods)),
                (f"{arm}.lost", *(f"{arm}.period_{k}.lost" for k in periods)),
            ]
    return pd.Series(counts, dtype=float), splits


def _consort_counts(n: dict[str, int]) -> dict[str, str]:
    """The flow diagram's counts after disclosure control.

    Counts of 1 to 5 are hidden, and with each another box of its split or of the families
    who received a budget in either arm (their sum is the chapter's families with spending);
    a box hidden only to protect another is rounded to the nearest 5, or else 10, where the
    determined reader can then pin no hidden count (``≈40``).

    The analysed numbers are kept exact where at all possible: the effects on the page
    are computed from them, so a reader who tries every possible arm size against the
    published estimates and intervals would otherwise find them, and the number lost to
    follow-up with them (a brute-force attack that succeeds on this pilot's design). It is
    the allocated numbers that are rounded instead.
    """
    counts, splits = consort_splits(n)
    # The families who received a budget in either arm add up to the chapter's families with
    # spending (every spender is randomised in a randomised pilot): a sum published elsewhere.
    received = ["intervention.received", "control.received"]
    identities = [(parent, parts) for parent, *parts in splits]
    # The analysed families of each allocation period are not shown, but the published effects give
    # them away to a reader who tries every possibility: they count as published.
    known = [key for key in counts.index if key.endswith(".analysed") and ".period_" in key]
    if any(is_small(counts[key]) for key in known):  # then no effect is published (see why_hidden)
        known = []
    keep = {"intervention.analysed", "control.analysed", *known}
    facts = [Fact.value(key, counts[key]) for key in known]
    mask = protect_lines(
        counts, [received], facts=facts, where=CONSORT_WHERE, column="n", identities=identities, keep=keep
    )
    shown = {key: SUPPRESSED if mask[key] else f"{value:,.0f}" for key, value in counts.items()}
    exact = {key: float(counts[key]) for key in counts.index if not mask[key] or key in known}
    received_total = Fact.equals(received, counts[received].sum())
    for key, text in round_where_safe(counts, mask, splits, exact, facts=[received_total]).items():
        shown[key] = text
        record(CONSORT_WHERE, key, "n", ROUNDED)
    return shown


def consort_key(figures: dict[str, float]) -> str:
    """Under the flow diagram: which boxes are hidden or rounded, and why, in words."""
    n = {key: int(value) for key, value in figures.items() if key.startswith("trial.") and float(value).is_integer()}
    shown = _consort_counts(n)
    names = {
        "not_eligible": "not eligible",
        "not_randomised": "eligible, not randomised",
        "received": "received a budget",
        "not_received": "did not receive a budget",
        "analysed": "analysed",
        "lost": "lost to follow-up",
        "allocated": "allocated",
        "eligible": "eligible",
        "randomised": "randomised",
        "assessed": "assessed",
    }
    shown = {key: text for key, text in shown.items() if key.count(".") < 2}  # the boxes and the table's cells

    def named(key: str) -> str:
        arm, _, box = key.rpartition(".")
        if box.startswith("period_"):
            return f"allocated in period {box.removeprefix('period_')} ({arm})"
        return f"{names[box]} ({arm})" if arm else names[box]

    # Which hidden box is 1 to 5 and which hides another is not said: that would narrow both down.
    hidden = [named(k) for k, t in shown.items() if t == SUPPRESSED]
    rounded = [named(k) for k, t in shown.items() if t.startswith("≈")]
    parts = []
    if hidden:
        parts.append(
            f"`c` for {', '.join(hidden)}: 1 to 5 families, or hidden so that such a count cannot be worked out "
            "from the boxes around it."
        )
    if rounded:
        parts.append(
            f"`≈` for {', '.join(rounded)}: rounded instead of hidden; with the exact number, a hidden count "
            "could be worked out from the boxes it adds up with (each rounding is checked against every box)."
        )
    return " ".join(parts) or "Every box of the diagram is shown exactly."


def consort_svg(figures: dict[str, float]) -> str:
    """A CONSORT-style flow diagram for a randomised pilot, as inline SVG (no script, works offline)."""
    boxes = []
    n = {key: int(value) for key, value in figures.items() if key.startswith("trial.") and float(value).is_integer()}
    shown = _consort_counts(n)

    def box(x, y, w, text_lines, bold=False):
        h = 18 * len(text_lines) + 12
        boxes.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="4" fill="#ffffff" stroke="#333333"/>')
        for i, line in enumerate(text_lines):
            weight = ' font-weight="bold"' if bold and i == 0 else ""
            boxes.append(
                f'<text x="{x + w / 2}" y="{y + 20 + 18 * i}" text-anchor="middle" font-size="13"{weight}>{line}</text>'
            )
        return y + h

    def arrow(x1, y1, x2, y2):
        boxes.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#333333" marker-end="url(#arrow)"/>')

    bottom = box(230, 10, 260, [f"Assessed for eligibility (n={shown['assessed']})"])
    box(520, 10, 220, ["Excluded:", f"not eligible (n={shown['not_eligible']})"])
    arrow(490, 30, 520, 30)
    arrow(360, bottom, 360, 80)
    bottom = box(
        230, 80, 260, [f"Eligible (n={shown['eligible']})", f"Randomised (n={shown['randomised']})"], bold=True
    )
    box(520, 80, 220, ["Eligible, not randomised", f"(n={shown['not_randomised']})"])
    arrow(490, 100, 520, 100)
    columns = {"intervention": 20, "control": 420}
    for arm, x in columns.items():
        arrow(360, bottom, x + 150, 170)
        lines = [f"Allocated to {arm} (n={shown[f'{arm}.allocated']})"]
        if arm == "intervention":
            lines += [
                f"Received a budget (n={shown[f'{arm}.received']})",
                f"Did not receive: no spending (n={shown[f'{arm}.not_received']})",
            ]
        else:
            lines += [
                f"Did not receive a budget (n={shown[f'{arm}.not_received']})",
                f"Deviation: received a budget (n={shown[f'{arm}.received']})",
            ]
        end = box(x, 170, 300, lines, bold=True)
        arrow(x + 150, end, x + 150, end + 30)
        lost, analysed = shown[f"{arm}.lost"], shown[f"{arm}.analysed"]
        box(x, end + 30, 300, [f"Lost to follow-up (n={lost})", f"Analysed by allocated arm (n={analysed})"])
    height = 340
    defs = (
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#333333"/></marker></defs>'
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="consort-title" '
        f'viewBox="0 0 760 {height}" '
        'width="100%" style="max-width: 760px; height: auto" font-family="sans-serif">'
        '<title id="consort-title">CONSORT flow diagram of the randomised families, from assessment to analysis. '
        "≈: rounded to the nearest 5 or 10 where the exact number would let a hidden count be worked out.</title>"
        f"{defs}{''.join(boxes)}</svg>"
    )


def trial_data_for(chapter) -> TrialData:
    """The trial data of a randomised pilot's chapter (see :class:`analysis_src.report.chapter.Chapter`)."""
    tables = chapter.tables
    if tables.allocation_log is None or tables.allocation_log.empty:
        raise ValueError(f"{chapter.pilot.name}: no allocation log, so no randomised comparison")
    return trial_data(tables.families, tables.allocation_log, tables.family_outcomes, tables.transactions)


def trial_texts(figures: dict[str, float], data: TrialData | None = None) -> dict[str, str]:
    """Sentences for the trial page, computed from its figures (and, for the hidden outcomes, its data)."""
    planned = "**Yes**" if figures["trial.proceeded_as_planned"] == 1 else "**No**"
    deviations = show_count(figures["trial.deviations"])
    rule = protocol.current().trial
    feasibility = (
        f"{planned}, by the criteria set here before looking at outcomes "
        f"(at least {percent(rule.min_share_randomised)} of eligible families randomised, "
        f"at most {percent(rule.max_share_deviations)} of allocations overridden): "
        f"{figures['trial.share_eligible_randomised']:.0%} of eligible families were randomised and "
        f"{deviations} of {show_count(figures['trial.randomised'])} allocations were overridden. "
        "The ratio in force is shown below, including any change at the midpoint."
    )
    multilevel = (
        f"A linear mixed model of a section 47 enquiry on allocated arm, with a random intercept for each of the "
        f"{show_count(figures['trial.social_workers'])} social workers, estimates a difference of "
        f"{figures['trial.multilevel.estimate']:+.2f} (95% CI {figures['trial.multilevel.ci_low']:+.2f} to "
        f"{figures['trial.multilevel.ci_high']:+.2f}). The intra-class correlation within social workers is "
        f"{figures['trial.icc_social_worker']:.3f} (95% profile-likelihood interval "
        f"{figures['trial.icc_social_worker.ci_low']:.3f} to {figures['trial.icc_social_worker.ci_high']:.3f})"
    )
    if not figures.get("trial.multilevel.converged", 1):
        multilevel = "**The model did not converge; read its estimates with caution.** " + multilevel
    if figures.get("trial.multilevel.boundary", 0) or figures["trial.icc_social_worker"] < 0.001:
        multilevel += (
            ": the estimate sits at the boundary of zero, which with so few workers and families says little "
            "about the true ICC. A future trial should not assume it is zero."
        )
    else:
        multilevel += "; it is imprecise with so few workers and families."
    texts = {
        "feasibility": feasibility,
        "multilevel": multilevel,
        "composite": composite_text(),
        "flow_key": consort_key(figures),
    }
    if data is not None:
        texts["hidden_outcomes"] = hidden_outcomes_text(data)
    return texts
