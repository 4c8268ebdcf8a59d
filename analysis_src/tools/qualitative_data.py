"""Synthetic coded segments of the realist evaluation, deterministically from a seed.

The numbers of participants follow the protocol's plan (Westlake et al. 2020; DOMAIN.md):
10 to 15 staff interviews in each of two phases, 2 to 4 focus groups of professionals,
15 to 20 family interviews, and observations of practice, in every pilot. Which themes each
participant raises is drawn with the strength the executive summary gives its key findings
(``most`` workers valued the autonomy; ``some`` families wanted more say; ...), and some
segments qualify or refute the programme theory, as real evidence does: families are less
sure than staff that spending was decided together, and staff say many families were not
at imminent risk of care.

Every segment and excerpt is invented. Each authority draws from its own random stream, so
this table leaves the other tables' rows unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis_src.config import codebook
from analysis_src.inputs.manifest import Pilot

QUALITATIVE_STREAM = 2
# Probability that a participant of each group raises each theme.
RAISES = {
    "autonomy": {"staff": 0.75, "families": 0.0},
    "quick_help": {"staff": 0.65, "families": 0.55},
    "needs_met": {"staff": 0.60, "families": 0.70},
    "relationship": {"staff": 0.45, "families": 0.40},
    "unusual_uses": {"staff": 0.20, "families": 0.10},
    "amount_not_told": {"staff": 0.60, "families": 0.15},
    "shared_decisions": {"staff": 0.50, "families": 0.45},
    "more_say": {"staff": 0.05, "families": 0.25},
    "frugal_culture": {"staff": 0.40, "families": 0.0},
    "not_imminent_risk": {"staff": 0.35, "families": 0.0},
}
# Stance of a segment: probabilities of supports, qualifies, refutes, by theme and group.
STANCE = {
    "shared_decisions": {"staff": (0.85, 0.10, 0.05), "families": (0.40, 0.15, 0.45)},
    "not_imminent_risk": {"staff": (0.0, 0.30, 0.70), "families": (0.0, 0.30, 0.70)},
    "more_say": {"staff": (0.0, 0.40, 0.60), "families": (0.0, 0.40, 0.60)},
    "amount_not_told": {"staff": (0.0, 0.50, 0.50), "families": (0.0, 0.50, 0.50)},
}
DEFAULT_STANCE = (0.85, 0.10, 0.05)
# The unusual uses each pilot's participants describe (executive summary, key finding 3).
UNUSUAL_USES = {
    "hillingdon": ["use_travel_abroad", "use_driving_lessons"],
    "darlington": ["use_vehicle", "use_home_repairs", "use_rent_arrears"],
    "wigan": ["use_caravan", "use_home_repairs"],
}
# Invented excerpts, generic by design: no person, place, age or date.
EXCERPTS = {
    "autonomy_valued": "Being trusted to make the call myself changed how I work with families.",
    "trusted_as_professional": "It felt like the service finally trusted our judgement.",
    "quick_access": "The money was there the same week, not months later.",
    "little_paperwork": "There was hardly any form filling, which was a relief.",
    "material_need_met": "We finally had beds for the kids and it made a real difference.",
    "therapy_gap_filled": "The counselling started straight away instead of sitting on a waiting list.",
    "relationship_built": "Going for a meal together meant we could actually talk.",
    "family_engaged": "Once they saw we meant it, they started to work with us.",
    "decided_together": "We sat down and worked out together what would help most.",
    "amount_not_disclosed": "I never said how much there was, I just asked what they needed.",
    "wanted_more_choice": "I would have liked more say in what the money went on.",
    "frugal_habit": "We are so used to scraping by that spending felt wrong at first.",
    "low_confidence": "I was never sure how much I was allowed to spend.",
    "below_edge_of_care": "Honestly most of these families were never close to care.",
}


def _draw(rng: np.random.Generator, low: int, high: int) -> int:
    return int(rng.integers(low, high + 1))


def _participants(pilot: Pilot, rng: np.random.Generator) -> list[dict]:
    """Who took part: staff (interviewed in one or both phases), focus groups, families, observations."""
    people, number = [], 0

    def person(role: str, source: str, phases: list[str]) -> dict:
        nonlocal number
        number += 1
        return {"participant_id": f"P{pilot.la_code}-{number:03d}", "role": role, "source": source, "phases": phases}

    young_share = 0.5 if pilot.slug == "hillingdon" else 0.25
    staff_roles = np.array(["social_worker", "manager", "senior_leader"])
    pool = [person(str(rng.choice(staff_roles, p=[0.7, 0.2, 0.1])), "interview", []) for _ in range(_draw(rng, 18, 24))]
    for phase in ("interim", "final"):
        for i in rng.choice(len(pool), size=_draw(rng, 10, 15), replace=False):
            pool[int(i)]["phases"].append(phase)
    people += [p for p in pool if p["phases"]]
    for _ in range(_draw(rng, 2, 4)):
        phase = str(rng.choice(["interim", "final"]))
        for _ in range(_draw(rng, 4, 6)):
            role = "other_professional" if rng.random() < 0.6 else "social_worker"
            people.append(person(role, "focus_group", [phase]))
    for _ in range(_draw(rng, 15, 20)):
        role = "young_person" if rng.random() < young_share else "parent"
        people.append(person(role, "interview", [str(rng.choice(["interim", "final"]))]))
    observed = [p for p in people if p["role"] == "social_worker" and p["source"] == "interview"]
    for i in rng.choice(len(observed), size=min(len(observed), _draw(rng, 4, 8)), replace=False):
        observation = dict(observed[int(i)], source="observation", phases=["final"])
        people.append(observation)  # the same worker, observed in practice
    for _ in range(_draw(rng, 4, 8)):
        people.append(person("parent", "free_text", ["final"]))
    return people


def coded_segments(pilot: Pilot, seed: int) -> pd.DataFrame:
    """The coded segments of one pilot's interviews, focus groups, observations and free text."""
    rng = np.random.default_rng([seed, pilot.la_code, QUALITATIVE_STREAM])
    book = codebook.current()
    rows, number = [], 0
    for participant in _participants(pilot, rng):
        group = book.roles[participant["role"]].group
        for theme, chances in RAISES.items():
            if rng.random() >= chances[group]:
                continue
            codes = list(book.themes[theme].codes)
            if theme == "unusual_uses":
                codes = UNUSUAL_USES.get(pilot.slug, codes)
            for _ in range(_draw(rng, 1, 2)):
                number += 1
                code = codes[int(rng.integers(len(codes)))]
                stance = rng.choice(
                    ["supports", "qualifies", "refutes"], p=STANCE.get(theme, {}).get(group, DEFAULT_STANCE)
                )
                quoted = code in EXCERPTS and rng.random() < 0.3
                rows.append(
                    {
                        "segment_id": f"S{pilot.la_code}-{number:05d}",
                        "la_code": pilot.la_code,
                        "participant_id": participant["participant_id"],
                        "source_type": participant["source"],
                        "role": participant["role"],
                        "phase": participant["phases"][int(rng.integers(len(participant["phases"])))],
                        "code": code,
                        "stance": str(stance),
                        "excerpt": EXCERPTS[code] if quoted else None,
                        "consent_to_quote": ("Y" if rng.random() < 0.85 else "N") if quoted else None,
                    }
                )
    return pd.DataFrame(rows)
