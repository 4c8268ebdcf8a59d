import datetime as dt

import pandas as pd
import pytest

from analysis_src.inputs.contracts import load_tables
from analysis_src.paths import SYNTHETIC_DATA_DIR
from analysis_src.tools.generate import DEFAULT_SEED, generate, scaled_manifest, write_tables


@pytest.fixture(scope="module")
def tables(pilots):
    return load_tables(SYNTHETIC_DATA_DIR, pilots)


def _by_code(frame, pilots):
    return {p.slug: frame[frame["la_code"] == p.la_code] for p in pilots}


def test_same_seed_gives_byte_identical_files_and_the_committed_data(tmp_path, pilots):
    first = write_tables(generate(pilots, DEFAULT_SEED), tmp_path / "a")
    second = write_tables(generate(pilots, DEFAULT_SEED), tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
        assert a.read_bytes() == (SYNTHETIC_DATA_DIR / a.name).read_bytes(), f"{a.name}: committed data are stale"


def test_another_seed_gives_other_data(pilots):
    assert not generate(pilots, 1)["transactions"].equals(generate(pilots, 2)["transactions"])


def test_generated_data_meet_the_contract(tmp_path, pilots):
    write_tables(generate(pilots, 7), tmp_path)
    load_tables(tmp_path, pilots)  # raises on any broken rule


def test_families_with_spending_match_the_published_numbers(tables, pilots):
    counts = {slug: t["family_id"].nunique() for slug, t in _by_code(tables.transactions, pilots).items()}
    assert counts == {"hillingdon": 95, "darlington": 35, "wigan": 78}


def test_spending_is_lower_than_expected_in_every_pilot(tables, pilots):
    for pilot in pilots:
        spent = tables.transactions.loc[tables.transactions["la_code"] == pilot.la_code, "amount_gbp"].sum()
        assert spent < 0.75 * pilot.expected_spend_gbp, pilot.name


def test_most_transactions_are_under_20_pounds(tables):
    assert (tables.transactions["amount_gbp"] < 20).mean() > 0.5


def test_hillingdon_cheapest_median_and_dearest(tables, pilots):
    amounts = _by_code(tables.transactions, pilots)["hillingdon"]["amount_gbp"]
    assert amounts.min() == pytest.approx(9.40)
    assert amounts.max() == pytest.approx(1800.0)
    assert amounts.median() == pytest.approx(113, rel=0.05)


def test_darlington_weak_early_uptake(tables, pilots):
    families = _by_code(tables.families, pilots)["darlington"]
    interim = pd.Timestamp(dt.date(2019, 7, 31))
    eligible = ((families["eligible"] == "Y") & (families["referral_date"] <= interim)).sum()
    applications = (families["application_date"] <= interim).sum()
    assert (eligible, applications) == (21, 7)


def test_only_darlington_is_randomised(tables, pilots):
    randomised = tables.families.dropna(subset=["allocated_arm"])["la_code"].unique().tolist()
    assert randomised == [p.la_code for p in pilots if p.randomised]


def test_an_added_authority_leaves_the_others_unchanged(pilots):
    base = generate(pilots)["transactions"]
    extended = generate(pilots + scaled_manifest(pilots, 4)[3:])["transactions"]
    assert extended[extended["la_code"].isin([p.la_code for p in pilots])].reset_index(drop=True).equals(base)


def test_data_dictionary_beside_the_data_is_current():
    from analysis_src.tools.generate import dictionary_file_text

    assert (SYNTHETIC_DATA_DIR / "DATA_DICTIONARY.md").read_text() == dictionary_file_text()


def test_coded_segments_follow_the_protocols_plan_in_every_pilot(tables, pilots):
    for slug, segments in _by_code(tables.coded_segments, pilots).items():
        staff = segments[(segments["source_type"] == "interview") & ~segments["role"].isin(["parent", "young_person"])]
        people = segments.drop_duplicates("participant_id")
        families = people[people["role"].isin(["parent", "young_person"]) & (people["source_type"] == "interview")]
        # Interviewees who raised nothing have no segment, so the counts are at most the plan's.
        for phase in ("interim", "final"):
            assert 5 <= staff.loc[staff["phase"] == phase, "participant_id"].nunique() <= 15, (slug, phase)
        assert 10 <= len(families) <= 20, slug
        assert {"interview", "focus_group", "observation", "free_text"} <= set(segments["source_type"]), slug
        assert set(segments["stance"]) == {"supports", "refutes", "qualifies"}, slug  # the theory is challenged too
        quoted = segments[segments["excerpt"].notna()]
        assert len(quoted) and set(quoted["consent_to_quote"]) == {"Y", "N"}, slug
