"""Generate the synthetic input tables, deterministically from a seed.

The tables have the shape of the real returns (see ``data_dictionary.yml``) and
are calibrated to the published facts of the pilots (Westlake et al. 2020;
Community Care, 19 August 2019):

* families with spending: Hillingdon 95, Darlington 35, Wigan 78 (the manifest);
* spending lower than expected in every pilot;
* most transactions under £20 across the programme;
* Hillingdon's cheapest, median and dearest transaction near £9.40, £113, £1,800;
* Darlington's weak early uptake: 21 families eligible by the interim report
  (end of July 2019) and applications for only 7 of them.

The synthetic data hold **no built-in effect** of the pilot: monthly returns
follow trend and season only, and randomised arms share one outcome model.
Any "effect" the book finds in them is noise, which is what a reader should see.

Each authority draws from its own random stream (seed and LA code), so adding an
authority leaves the others' rows unchanged. Run ``python -m analysis_src.tools.generate``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from analysis_src.inputs.contracts import load_dictionary
from analysis_src.inputs.manifest import Pilot, load_manifest
from analysis_src.paths import MANIFEST_PATH, SYNTHETIC_DATA_DIR
from analysis_src.tools.qualitative_data import coded_segments

DEFAULT_SEED = 20190301

# Descriptions a social worker might type, by category. Synthetic, generic, no names.
DESCRIPTIONS = {
    "relationship_activities": [
        "Lunch with young person",
        "Hot chocolate and cake during visit",
        "Cinema tickets",
        "Bowling with young person",
        "Snacks for direct work session",
        "Trampoline park entry",
        "Breakfast meeting with young person",
        "Football session fee",
    ],
    "travel_transport": [
        "Bus fare to appointment",
        "Train tickets to family visit",
        "Taxi to hospital appointment",
        "Bus pass top-up",
    ],
    "practical_material": [
        "School uniform and shoes",
        "Bed and bedding",
        "Washing machine",
        "Food shop for family",
        "Winter coats for children",
        "Cooker replacement",
        "Clothing and essentials",
    ],
    "therapeutic": [
        "Counselling sessions",
        "Play therapy block",
        "Family therapy sessions",
        "Private assessment to bridge waiting list",
    ],
    "education_childcare": [
        "Nursery place",
        "Tutoring sessions",
        "Driving lessons",
        "Holiday club place",
        "After-school club fees",
    ],
    "housing_home": [
        "House deep clean",
        "Decorating materials",
        "Carpet for bedroom",
        "Garden clearance",
        "Home repairs",
    ],
    "family_time_holidays": [
        "Family day trip",
        "Short break for family",
        "Family group conference venue hire",
        "Cookery class for parent",
    ],
    "other": [
        "Rent arrears contribution",
        "Replacement vehicle contribution",
        "Mobile phone for contact",
        "Caravan for kinship carers",
    ],
}
# Categories of the larger transactions, with their relative weights.
LARGE_CATEGORIES = {
    "practical_material": 0.30,
    "therapeutic": 0.15,
    "education_childcare": 0.17,
    "housing_home": 0.13,
    "family_time_holidays": 0.10,
    "travel_transport": 0.08,
    "other": 0.07,
}
# Annual rates per 10,000 children, England 2019-20 (DfE statistics, see DOMAIN notes).
ANNUAL_RATES_PER_10K = {
    "s47_enquiries": 167.0,
    "cp_plans_started": 55.0,
    "plo_starts": 14.0,
    "care_proceedings_started": 11.0,
    "care_entries": 26.0,
    "reunifications": 8.0,
    "care_orders_rescinded": 1.5,
}
LOOKED_AFTER_PER_10K = 65.0


# Monthly returns go back three years before the pilot, as administrative returns do, so that the
# time-series model can be chosen by the history it needs (protocol.yml, outcomes); the extra history
# draws from its own random stream.
HISTORY_MONTHS = 36
HISTORY_STREAM = 1


@dataclass(frozen=True)
class Profile:
    """Calibration knobs for one authority's synthetic data."""

    child_population: int = 40_000
    looked_after_multiplier: float = 1.0
    small_share: float = 0.55
    transactions_per_family: float = 12.0
    large_median_gbp: float = 150.0
    large_sigma: float = 1.0
    large_cap_gbp: float = 3_500.0
    small_floor_gbp: float = 3.0
    pinned_min_gbp: float | None = None
    pinned_max_gbp: float | None = None
    min_age: int = 0
    max_age: int = 17
    teams: tuple[str, ...] = ("CIN-1", "CIN-2", "CP-1")
    workers: int = 12
    staff: tuple[int, int, int] = (15, 4, 3)  # social workers, team managers, senior leaders


PROFILES = {
    # Adolescents; interim: cheapest £9.40, median £113, dearest £1,800.
    "hillingdon": Profile(
        child_population=77_000,
        small_share=0.15,
        transactions_per_family=5.0,
        large_median_gbp=150.0,
        large_sigma=0.9,
        large_cap_gbp=1_800.0,
        small_floor_gbp=9.40,
        pinned_min_gbp=9.40,
        pinned_max_gbp=1_800.0,
        min_age=11,
        max_age=17,
        teams=("ADOLESCENT-1", "ADOLESCENT-2", "EXPLOITATION"),
        workers=16,
        staff=(18, 5, 3),
    ),
    # Three age cohorts of oldest child 0-16; 10-16s from Keeping Families Together.
    "darlington": Profile(
        child_population=23_000,
        looked_after_multiplier=1.4,
        small_share=0.62,
        transactions_per_family=28.0,
        large_median_gbp=200.0,
        large_sigma=1.1,
        large_cap_gbp=5_500.0,
        max_age=16,
        teams=("SAFEGUARDING-A", "SAFEGUARDING-B", "KFT"),
        workers=10,
        staff=(14, 4, 3),
    ),
    "wigan": Profile(
        child_population=68_000,
        small_share=0.70,
        transactions_per_family=24.0,
        large_median_gbp=150.0,
        teams=("EDGE-OF-CARE", "REUNIFICATION", "CIN-EAST"),
        workers=18,
        staff=(16, 5, 3),
    ),
}

INTERIM_DATE = dt.date(2019, 7, 31)
INTERIM_ELIGIBLE = 21
INTERIM_APPLICATIONS = 7


def profile_for(pilot: Pilot) -> Profile:
    """The calibration profile of a pilot; a default one for authorities not calibrated."""
    return PROFILES.get(pilot.slug, Profile())


def _cohort(age: int) -> str:
    return "0-4" if age <= 4 else "5-9" if age <= 9 else "10-17"


def _random_date(rng: np.random.Generator, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def _family_rows(
    pilot: Pilot, profile: Profile, rng: np.random.Generator, spend_ids: list[str], extra_ids: list[str]
) -> list[dict]:
    rows = []
    for family_id in spend_ids + extra_ids:
        team = profile.teams[int(rng.integers(len(profile.teams)))]
        age = int(rng.integers(profile.min_age, profile.max_age + 1))
        rows.append(
            {
                "family_id": family_id,
                "la_code": pilot.la_code,
                "worker_id": f"SW{pilot.la_code}-{int(rng.integers(1, profile.workers + 1)):02d}",
                "team": team,
                "oldest_child_age": age,
                "age_cohort": _cohort(age),
                "n_children": int(1 + rng.poisson(1.3)),
                "previous_cp_plan": "Y" if rng.random() < 0.35 else "N",
                "previous_referrals": int(rng.poisson(2.0)),
            }
        )
    return rows


def _family_ids(pilot: Pilot, rng: np.random.Generator, count: int) -> list[str]:
    codes = rng.choice(np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")), size=(count * 2, 6))
    ids = list(dict.fromkeys(f"F{pilot.la_code}-{''.join(code)}" for code in codes))
    return ids[:count]


def _families_open(pilot: Pilot, profile: Profile, rng: np.random.Generator) -> pd.DataFrame:
    """Families of a pilot without randomisation: referral, eligibility, application."""
    n_spend = pilot.actual_families
    n_applied_only = max(1, round(0.04 * n_spend))
    n_eligible_only = max(1, round(0.06 * n_spend))
    n_ineligible = max(1, round(0.08 * n_spend))
    ids = _family_ids(pilot, rng, n_spend + n_applied_only + n_eligible_only + n_ineligible)
    rows = _family_rows(pilot, profile, rng, ids[:n_spend], ids[n_spend:])
    last_referral = pilot.end_date - dt.timedelta(days=75)
    for i, row in enumerate(rows):
        referral = _random_date(rng, pilot.start_date, last_referral)
        row["referral_date"] = referral
        row["eligible"] = "Y" if i < n_spend + n_applied_only + n_eligible_only else "N"
        applied = i < n_spend + n_applied_only
        row["application_date"] = referral + dt.timedelta(days=int(rng.integers(2, 30))) if applied else None
        row["allocated_arm"] = None
    return pd.DataFrame(rows)


def _families_randomised(pilot: Pilot, profile: Profile, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Families and allocation log of a randomised pilot (Darlington's design).

    Eligible families are randomised at the end of the eligibility discussion, 1:1
    until the midpoint and 2:1 after it (the protocol's option to raise the ratio so
    that the budget is spent). Two control allocations are overridden (deviations).
    Uptake is weak early: by the interim date 21 families are eligible and social
    workers have applied for 7.
    """
    midpoint = pilot.start_date + (pilot.end_date - pilot.start_date) / 2
    n_early = INTERIM_ELIGIBLE
    n_late = round(pilot.actual_families * 1.3)
    early_dates = sorted(_random_date(rng, pilot.start_date, INTERIM_DATE) for _ in range(n_early))
    late_dates = sorted(
        _random_date(rng, INTERIM_DATE + dt.timedelta(days=1), pilot.end_date - dt.timedelta(days=60))
        for _ in range(n_late)
    )
    dates = early_dates + late_dates
    arms, ratios, block = [], [], []
    for date in dates:
        ratio = "1:1" if date < midpoint else "2:1"
        if not block or ratios and ratios[-1] != ratio:
            block = ["intervention", "control"] if ratio == "1:1" else ["intervention", "intervention", "control"]
            block = list(rng.permutation(block))
        arms.append(str(block.pop()))
        ratios.append(ratio)
    received = list(arms)
    late_controls = [i for i, date in enumerate(dates) if arms[i] == "control" and date >= midpoint]
    for i in sorted(rng.choice(late_controls, size=min(2, len(late_controls)), replace=False)):
        received[i] = "intervention"
    n_ineligible = max(1, round(0.3 * pilot.actual_families))
    ids = _family_ids(pilot, rng, len(dates) + n_ineligible)
    rows = _family_rows(pilot, profile, rng, ids[: len(dates)], ids[len(dates) :])
    # Applications: 7 among the early intervention families by the interim date,
    # then later ones until the actual number of families with spending is reached.
    treated = [i for i in range(len(dates)) if received[i] == "intervention"]
    early_treated = [i for i in treated if dates[i] <= INTERIM_DATE]
    late_treated = [i for i in treated if dates[i] > INTERIM_DATE]
    applied_early = set(rng.choice(early_treated, size=INTERIM_APPLICATIONS, replace=False).tolist())
    stragglers = [i for i in early_treated if i not in applied_early]
    n_more = pilot.actual_families - INTERIM_APPLICATIONS
    pool = stragglers[: max(0, n_more - len(late_treated))] + late_treated
    applied_late = set(pool[:n_more])
    for i, row in enumerate(rows):
        if i >= len(dates):
            row.update(
                referral_date=_random_date(rng, pilot.start_date, pilot.end_date - dt.timedelta(days=60)),
                eligible="N",
                application_date=None,
                allocated_arm=None,
            )
            continue
        row.update(referral_date=dates[i], eligible="Y", allocated_arm=arms[i], application_date=None)
        if i in applied_early:
            row["application_date"] = min(dates[i] + dt.timedelta(days=int(rng.integers(3, 25))), INTERIM_DATE)
        elif i in applied_late:
            row["application_date"] = max(dates[i], INTERIM_DATE) + dt.timedelta(days=int(rng.integers(5, 40)))
    log = pd.DataFrame(
        {
            "sequence": range(1, len(dates) + 1),
            "la_code": pilot.la_code,
            "allocation_date": dates,
            "family_id": ids[: len(dates)],
            "ratio_in_force": ratios,
            "allocated_arm": arms,
            "arm_received": received,
        }
    )
    return pd.DataFrame(rows), log


def _amounts(profile: Profile, rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    small = rng.random(count) < profile.small_share
    small_amounts = np.clip(rng.lognormal(np.log(11.0), 0.35, count), profile.small_floor_gbp, 19.99)
    large_amounts = np.clip(
        rng.lognormal(np.log(profile.large_median_gbp), profile.large_sigma, count), 20.0, profile.large_cap_gbp
    )
    amounts = np.round(np.where(small, small_amounts, large_amounts), 2)
    if profile.pinned_min_gbp is not None:
        amounts[np.argmin(amounts)] = profile.pinned_min_gbp
    if profile.pinned_max_gbp is not None:
        amounts[np.argmax(amounts)] = profile.pinned_max_gbp
    return amounts, small


def _transactions(pilot: Pilot, profile: Profile, families: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    spenders = families[families["application_date"].notna()].head(pilot.actual_families)
    counts = 1 + rng.poisson(profile.transactions_per_family - 1, len(spenders))
    amounts, small = _amounts(profile, rng, int(counts.sum()))
    large_names = list(LARGE_CATEGORIES)
    large_weights = np.array(list(LARGE_CATEGORIES.values()))
    rows, k = [], 0
    for (_, family), count in zip(spenders.iterrows(), counts, strict=True):
        first = family["application_date"] + dt.timedelta(days=int(rng.integers(1, 21)))
        first = min(first, pilot.end_date)
        dates = sorted([first] + [_random_date(rng, first, pilot.end_date) for _ in range(count - 1)])
        for date in dates:
            if small[k]:
                category = "relationship_activities" if rng.random() < 0.85 else "travel_transport"
            else:
                category = str(rng.choice(large_names, p=large_weights / large_weights.sum()))
            options = DESCRIPTIONS[category]
            rows.append(
                {
                    "transaction_id": f"T{pilot.la_code}-{k + 1:05d}",
                    "family_id": family["family_id"],
                    "la_code": pilot.la_code,
                    "transaction_date": date,
                    "amount_gbp": amounts[k],
                    # Real logs often leave the category blank: a few are left blank here too.
                    "category": category if rng.random() > 0.05 else None,
                    "description": options[int(rng.integers(len(options)))],
                }
            )
            k += 1
    frame = pd.DataFrame(rows).sort_values(["transaction_date", "transaction_id"], kind="stable").reset_index(drop=True)
    return _approvals(pilot, frame, rng)


def _approvals(pilot: Pilot, frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Mark spending above the pilot's threshold, and the manager's approval of it."""
    threshold = pilot.approval_threshold_gbp
    if pilot.approval_threshold_basis == "per_item":
        above = frame["amount_gbp"] > threshold
    elif pilot.approval_threshold_basis == "per_family":
        above = frame.groupby("family_id")["amount_gbp"].cumsum() > threshold
    else:
        above = pd.Series(False, index=frame.index)
    approved = np.where(above, rng.random(len(frame)) < 0.92, rng.random(len(frame)) < 0.05)
    frame["approver_role"] = np.where(
        approved, np.where(frame["amount_gbp"] > 2_000, "service_manager", "team_manager"), "social_worker"
    )
    if pilot.approval_threshold_basis == "not_stated":
        frame["above_threshold"] = None
    else:
        frame["above_threshold"] = np.where(above, "Y", "N")
    frame["manager_approved"] = np.where(approved, "Y", "N")
    return frame


def _monthly_returns(
    pilot: Pilot,
    profile: Profile,
    transactions: pd.DataFrame,
    rng: np.random.Generator,
    history_rng: np.random.Generator,
) -> pd.DataFrame:
    """Monthly returns for the pilot, the same-length pre-period and a longer history before it.

    The pilot and the same-length pre-period draw from the authority's main stream; the
    earlier history (``HISTORY_MONTHS`` in all before the pilot) draws from its own stream,
    so the other tables are the same whatever the length of the history.
    """
    history = pd.period_range(
        pd.Period(pilot.start_date, "M") - HISTORY_MONTHS, pd.Period(pilot.start_date, "M") - pilot.months - 1, freq="M"
    )
    study = pd.period_range(pd.Period(pilot.start_date, "M") - pilot.months, pd.Period(pilot.end_date, "M"), freq="M")
    earlier = _monthly_rows(pilot, profile, transactions, history_rng, history, first_t=-len(history))
    return pd.concat([earlier, _monthly_rows(pilot, profile, transactions, rng, study, first_t=0)], ignore_index=True)


def _monthly_rows(
    pilot: Pilot,
    profile: Profile,
    transactions: pd.DataFrame,
    rng: np.random.Generator,
    months: pd.PeriodIndex,
    first_t: int,
) -> pd.DataFrame:
    """Rows of the monthly returns for ``months``; ``first_t`` is the first month's time from the pre-period start."""
    population = profile.child_population
    spend = transactions.assign(month=pd.to_datetime(transactions["transaction_date"]).dt.to_period("M"))
    by_month = spend.groupby("month").agg(families=("family_id", "nunique"), amount=("amount_gbp", "sum"))
    looked_after = population / 10_000 * LOOKED_AFTER_PER_10K * profile.looked_after_multiplier
    rows = []
    for t, month in enumerate(months, start=first_t):
        # Trend of 2% a year, season peaking in the autumn term; no pilot effect.
        level = (1.02 ** (t / 12)) * (1 + 0.10 * np.sin(2 * np.pi * (month.month - 7) / 12))
        row = {"la_code": pilot.la_code, "month": str(month), "child_population": population}
        row["families_receiving_budget"] = int(by_month["families"].get(month, 0))
        row["amount_spent_gbp"] = round(float(by_month["amount"].get(month, 0.0)), 2)
        for indicator, rate in ANNUAL_RATES_PER_10K.items():
            mean = population / 10_000 * rate / 12 * level
            row[indicator] = int(rng.poisson(rng.gamma(50.0, mean / 50.0)))
        row["days_in_care"] = int(round(looked_after * (1.02 ** (t / 12)) * month.days_in_month * rng.normal(1, 0.01)))
        row["placement_moves"] = int(rng.poisson(looked_after * 0.05))
        rows.append(row)
    return pd.DataFrame(rows)


def _likert(rng: np.random.Generator, count: int, shift: float = 0.0) -> np.ndarray:
    probabilities = np.array([0.05, 0.08, 0.14, 0.45, 0.28])
    probabilities[3:] *= 1 + shift
    return rng.choice(np.arange(1, 6), size=count, p=probabilities / probabilities.sum())


def _staff_survey(pilot: Pilot, profile: Profile, rng: np.random.Generator) -> pd.DataFrame:
    roles = sum(
        ([role] * n for role, n in zip(("social_worker", "team_manager", "senior_leader"), profile.staff, strict=True)),
        [],
    )
    frame = pd.DataFrame(
        {
            "respondent_id": [f"R{pilot.la_code}-{i + 1:03d}" for i in range(len(roles))],
            "la_code": pilot.la_code,
            "role": roles,
        }
    )
    for item in ("acceptable_overall", "decision_process", "amounts_allocated"):
        frame[item] = _likert(rng, len(frame))
    return frame


def _family_survey(
    pilot: Pilot, families: pd.DataFrame, transactions: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    spenders = sorted(set(transactions["family_id"]))
    t1 = [family for family in spenders if rng.random() < 0.7]
    t2 = [family for family in t1 if rng.random() < 0.75]
    rows = []
    for wave, members, shift in (("T1", t1, 0.0), ("T2", t2, 0.15)):
        for family in members:
            values = _likert(rng, 3, shift)
            rows.append(
                {
                    "family_id": family,
                    "la_code": pilot.la_code,
                    "wave": wave,
                    "helpful": values[0],
                    "had_a_say": values[1],
                    "worker_relationship": values[2],
                }
            )
    return pd.DataFrame(rows)


def _family_outcomes(pilot: Pilot, families: pd.DataFrame, log: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Outcomes over follow-up for randomised families; the same model in both arms."""
    merged = log.merge(families[["family_id", "worker_id", "previous_cp_plan"]], on="family_id")
    workers = sorted(set(merged["worker_id"]))
    worker_effect = dict(zip(workers, rng.normal(0, 0.5, len(workers)), strict=True))
    base = {"s47_enquiry": -1.0, "cp_plan": -1.8, "plo_start": -2.3, "care_entry": -2.3}
    rows = []
    for _, family in merged.iterrows():
        followed = rng.random() < 0.94
        row = {"family_id": family["family_id"], "la_code": pilot.la_code, "followed_up": "Y" if followed else "N"}
        if followed:
            row["followup_days"] = (pilot.end_date - family["allocation_date"]).days
            risk = worker_effect[family["worker_id"]] + (0.4 if family["previous_cp_plan"] == "Y" else 0.0)
            for outcome, intercept in base.items():
                row[outcome] = int(rng.random() < 1 / (1 + np.exp(-(intercept + risk))))
            row["days_in_care"] = (
                int(rng.integers(10, min(180, max(11, row["followup_days"])))) if row["care_entry"] else 0
            )
        rows.append(row)
    return pd.DataFrame(rows)


def generate(pilots: list[Pilot], seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Make every input table for the pilots in the manifest.

    Parameters
    ----------
    pilots
        The manifest.
    seed
        Seed of the random streams; the same seed gives the same tables.

    Returns
    -------
    dict of str to DataFrame
        One table per entry of the data dictionary (randomised-only tables
        are empty when no pilot is randomised).
    """
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in load_dictionary()}
    for pilot in pilots:
        rng = np.random.default_rng([seed, pilot.la_code])
        profile = profile_for(pilot)
        if pilot.randomised:
            families, log = _families_randomised(pilot, profile, rng)
        else:
            families, log = _families_open(pilot, profile, rng), None
        transactions = _transactions(pilot, profile, families, rng)
        parts["families"].append(families)
        parts["transactions"].append(transactions)
        history_rng = np.random.default_rng([seed, pilot.la_code, HISTORY_STREAM])
        parts["monthly_returns"].append(_monthly_returns(pilot, profile, transactions, rng, history_rng))
        parts["staff_survey"].append(_staff_survey(pilot, profile, rng))
        parts["family_survey"].append(_family_survey(pilot, families, transactions, rng))
        parts["coded_segments"].append(coded_segments(pilot, seed))
        if log is not None:
            parts["allocation_log"].append(log)
            parts["family_outcomes"].append(_family_outcomes(pilot, families, log, rng))
    dictionary = load_dictionary()
    return {
        name: pd.concat(frames, ignore_index=True)[list(dictionary[name]["columns"])]
        if frames
        else pd.DataFrame(columns=list(dictionary[name]["columns"]))
        for name, frames in parts.items()
    }


def _as_text(frame: pd.DataFrame, table: dict) -> pd.DataFrame:
    """Format every cell as the text written to the CSV, so output is byte-stable."""
    text = pd.DataFrame(index=frame.index)
    for name, spec in table["columns"].items():
        column = frame[name]
        if spec["type"] == "decimal":
            text[name] = column.map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
        elif spec["type"] == "integer":
            text[name] = column.map(lambda v: "" if pd.isna(v) else str(int(v)))
        elif spec["type"] == "date":
            text[name] = column.map(lambda v: "" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d"))
        else:
            text[name] = column.map(lambda v: "" if v is None or pd.isna(v) else str(v))
    return text


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> list[Path]:
    """Write the tables as UTF-8 CSV files named as in the data dictionary.

    Tables with no rows (randomised-only tables when no pilot is randomised) are not written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        if frame.empty:
            continue
        table = load_dictionary()[name]
        path = out_dir / table["file"]
        _as_text(frame, table).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        written.append(path)
    return written


def scaled_manifest(pilots: list[Pilot], count: int) -> list[Pilot]:
    """A manifest of ``count`` authorities, cycling through ``pilots`` with new slugs and codes."""
    scaled = []
    for i in range(count):
        base = pilots[i % len(pilots)]
        scaled.append(replace(base, name=f"{base.name} {i + 1}", slug=f"{base.slug}_{i + 1:03d}", la_code=1000 + i))
    return scaled


def dictionary_file_text() -> str:
    """The data dictionary written beside the synthetic tables."""
    from analysis_src.report.pages import data_dictionary_markdown

    intro = (
        "# Data dictionary\n\nSynthetic tables made by `python -m analysis_src.tools.generate` "
        f"(seed {DEFAULT_SEED}); generated from `analysis_src/config/data_dictionary.yml`, do not edit by hand. "
        "Rows are counted as in a spreadsheet: the header is row 1.\n\n"
    )
    return intro + data_dictionary_markdown(heading_level=2)


def main(argv: list[str] | None = None) -> int:
    """Command line: write the synthetic tables for the manifest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--manifest", type=Path, default=MANIFEST_PATH)
    parser.add_argument("--out", type=Path, default=SYNTHETIC_DATA_DIR)
    args = parser.parse_args(argv)
    for path in write_tables(generate(load_manifest(args.manifest), args.seed), args.out):
        print(f"wrote {path}")
    dictionary = args.out / "DATA_DICTIONARY.md"
    dictionary.write_text(dictionary_file_text(), encoding="utf-8")
    print(f"wrote {dictionary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
