import pytest
import yaml

from analysis_src.inputs.manifest import ManifestError, load_manifest, pilot_by_slug
from analysis_src.paths import MANIFEST_PATH


def _write(tmp_path, document):
    path = tmp_path / "pilots.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def _document():
    return yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))


def test_manifest_holds_the_published_figure_a_values(pilots):
    by_slug = {p.slug: p for p in pilots}
    assert [p.slug for p in pilots] == ["hillingdon", "darlington", "wigan"]
    assert {s: p.actual_families for s, p in by_slug.items()} == {"hillingdon": 95, "darlington": 35, "wigan": 78}
    assert {s: p.budget_per_family_gbp for s, p in by_slug.items()} == {
        "hillingdon": 4000,
        "darlington": 10000,
        "wigan": 4000,
    }
    assert by_slug["darlington"].randomised and not by_slug["hillingdon"].randomised
    assert by_slug["darlington"].approval_threshold_gbp == 1000
    assert by_slug["darlington"].approval_threshold_basis == "per_family"
    assert by_slug["hillingdon"].approval_threshold_gbp == 500
    assert by_slug["wigan"].approval_threshold_gbp is None


def test_pilot_period_is_march_2019_to_february_2020(pilots):
    pilot = pilots[0]
    assert (str(pilot.start_date), str(pilot.end_date), pilot.months) == ("2019-03-01", "2020-02-29", 12)


def test_unknown_key_is_named(tmp_path):
    document = _document()
    document["pilots"][1]["budget_per_famly_gbp"] = 10
    with pytest.raises(ManifestError, match=r"pilots\[1\]: unknown key 'budget_per_famly_gbp'"):
        load_manifest(_write(tmp_path, document))


def test_missing_key_is_named(tmp_path):
    document = _document()
    del document["pilots"][0]["la_code"]
    with pytest.raises(ManifestError, match=r"pilots\[0\]: missing key 'la_code'"):
        load_manifest(_write(tmp_path, document))


@pytest.mark.parametrize(
    ("key", "value"),
    [("planned_families", "ninety"), ("planned_families", True), ("randomised", "yes"), ("name", 3)],
)
def test_wrong_type_is_named(tmp_path, key, value):
    document = _document()
    document["pilots"][2][key] = value
    with pytest.raises(ManifestError, match=rf"pilots\[2\]: key '{key}' must be"):
        load_manifest(_write(tmp_path, document))


def test_empty_value_is_refused(tmp_path):
    document = _document()
    document["pilots"][0]["main_focus"] = " "
    with pytest.raises(ManifestError, match="key 'main_focus' is empty"):
        load_manifest(_write(tmp_path, document))


def test_repeated_slug_is_refused(tmp_path):
    document = _document()
    document["pilots"][1]["slug"] = "hillingdon"
    with pytest.raises(ManifestError, match="key 'slug' repeats the value hillingdon"):
        load_manifest(_write(tmp_path, document))


def test_threshold_must_agree_with_its_basis(tmp_path):
    document = _document()
    document["pilots"][2]["approval_threshold_gbp"] = 250
    with pytest.raises(ManifestError, match="approval_threshold_gbp"):
        load_manifest(_write(tmp_path, document))


def test_month_must_be_written_as_a_month(tmp_path):
    document = _document()
    document["pilots"][0]["pilot_start"] = "March 2019"
    with pytest.raises(ManifestError, match="key 'pilot_start' must be a month"):
        load_manifest(_write(tmp_path, document))


def test_new_authority_needs_only_a_manifest_entry(tmp_path):
    document = _document()
    document["pilots"].append({**document["pilots"][2], "name": "Newtown", "slug": "newtown", "la_code": 999})
    pilots = load_manifest(_write(tmp_path, document))
    assert pilot_by_slug(pilots, "newtown").la_code == 999


def test_unknown_slug_is_named(pilots):
    with pytest.raises(ManifestError, match="unknown pilot slug 'leeds'"):
        pilot_by_slug(pilots, "leeds")


HOSTILE = [
    ("<script>alert(1)</script>", "<"),
    ("{download}`salt <../../.salt>`", "{"),
    ("```{include} ../../.salt\n```", "`"),
    ("${salt}", "$"),
    ("{{ env.DEVOLVED_BUDGETS_SALT }}", "{"),
    ("Wigan | extra cell", "|"),
    ("![tracker](https://example.org/pixel.png)", "!"),
    ("[link](https://example.org)", "["),
    ("*bold* focus", "*"),
    ("__dunder__", "_"),
    ("Line one\nLine two", "\n"),
    ("# Heading", "#"),
]


@pytest.mark.parametrize("key", ["name", "target_group", "main_focus"])
@pytest.mark.parametrize(("value", "character"), HOSTILE)
def test_markup_in_a_printed_field_is_refused_with_the_character(tmp_path, key, value, character):
    document = _document()
    document["pilots"][0][key] = value
    with pytest.raises(ManifestError, match=f"key '{key}' may hold only letters") as caught:
        load_manifest(_write(tmp_path, document))
    assert repr(character) in str(caught.value)


def test_plain_names_with_punctuation_are_accepted(tmp_path):
    document = _document()
    document["pilots"][0]["name"] = "Kingston upon Hull, City of"
    document["pilots"][0]["target_group"] = "Families with children aged 4-16 (and carers)"
    document["pilots"][0]["main_focus"] = "Care entry & reunification: St. Helens’ approach"
    assert load_manifest(_write(tmp_path, document))[0].name == "Kingston upon Hull, City of"
