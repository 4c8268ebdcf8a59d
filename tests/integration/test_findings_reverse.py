"""The book built twice: from the synthetic data, and from a copy altered so that the main findings reverse.

Every finding sentence and every progression verdict must follow the data: a sentence
that reads the same whichever way the data point would be true by construction.
"""

import dataclasses
import html
import re

import pytest
import yaml
from conftest import read_text_table, write_text_table

from analysis_src.inputs.manifest import load_manifest, manifest_text
from analysis_src.pipeline import build


def _page_text(targets, page: str) -> str:
    """The visible text of a built page, one line per block."""
    markup = (targets.html_dir / "book" / page).read_text(encoding="utf-8")
    markup = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", markup, flags=re.S)
    text = re.sub(r"<(/p|/li|br|/tr|/h\d)[^>]*>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _reverse(folder):
    """Alter the data so that each main finding points the other way."""
    # Transactions ten times larger: most are no longer small, and spending exceeds the expected budget.
    transactions = read_text_table(folder / "transactions.csv")
    transactions["amount_gbp"] = [f"{float(v) * 10:.2f}" for v in transactions["amount_gbp"]]
    # No manager's approval recorded for any of the spending above the thresholds.
    above = transactions["above_threshold"] == "Y"
    transactions.loc[above, "manager_approved"] = "N"
    transactions.loc[above, "approver_role"] = "social_worker"
    write_text_table(transactions, folder / "transactions.csv")
    # Darlington planned far more families than it reached; the other two published a plan they met.
    pilots = load_manifest()
    # Hillingdon and Wigan reach 95 and 78 families in the data, Darlington 35.
    planned = {"hillingdon": 95, "darlington": 80, "wigan": 78}
    entries = [dataclasses.replace(p, planned_families=planned[p.slug]) for p in pilots]
    (folder / "pilots.yml").write_text(manifest_text(entries), encoding="utf-8")
    # Darlington's families all negative at T2: the protocol's rule for each group fails.
    survey = read_text_table(folder / "family_survey.csv")
    darlington = (survey["la_code"] == "841") & (survey["wave"] == "T2")
    survey.loc[darlington, "helpful"] = "1"
    write_text_table(survey, folder / "family_survey.csv")


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    import shutil

    from analysis_src.paths import SYNTHETIC_DATA_DIR

    root = tmp_path_factory.mktemp("reverse")
    built = {}
    for name in ("as_published", "reversed"):
        folder = root / f"data_{name}"
        shutil.copytree(SYNTHETIC_DATA_DIR, folder, ignore=shutil.ignore_patterns("*.md"))
        if name == "reversed":
            _reverse(folder)
        manifest = folder / "pilots.yml"
        targets = build.targets_under(
            root / name, data_dir=folder, manifest=manifest if manifest.is_file() else build.MANIFEST_PATH
        )
        build.build(targets, progress=False)
        built[name] = _page_text(targets, "synthesis.html")
        markup = (targets.html_dir / "book" / "synthesis.html").read_text(encoding="utf-8")
        built[f"{name} rows"] = [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())
            for row in re.findall(r"<tr.*?</tr>", markup, re.S)
        ]
    return built


@pytest.mark.parametrize(
    ("as_published", "reversed_"),
    [
        ("Most transactions were small:", "Most transactions were not small:"),
        ("Spending was lower than expected in every pilot", "Spending reached or exceeded the expected budget"),
        (
            "Hillingdon and Wigan published no plan, so were not assessable",
            "2 of the 3 pilots with a published plan reached it within ±30%; Darlington did not",
        ),
        # (Sphinx prints apostrophes as typographic ones: the strings avoid them.)
        (
            "at least 90% of spending above it had a recorded",
            "approval less often than 90% in Hillingdon and Darlington",
        ),
    ],
)
def test_each_finding_follows_the_data_both_ways(books, as_published, reversed_):
    assert as_published in books["as_published"] and as_published not in books["reversed"]
    assert reversed_ in books["reversed"] and reversed_ not in books["as_published"]


def test_the_progression_verdicts_follow_the_data(books):
    def status(book, criterion):
        row = next(row for row in books[f"{book} rows"] if row.startswith(criterion))
        return row[len(criterion) :].split(" section ")[0].split(" the randomised")[0].strip()

    reach = "Families reached within ±30% of a published plan, in every pilot"
    families = "At least 70% of families positive at T2, in every pilot"
    assert status("as_published", reach).startswith("not assessable")
    assert status("reversed", reach) == "not met"
    assert status("reversed", families) == "not met"
    assert status("as_published", families) in ("met", "uncertain")


def test_the_reversed_manifest_is_what_the_build_read(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    from analysis_src.paths import SYNTHETIC_DATA_DIR

    for path in SYNTHETIC_DATA_DIR.glob("*.csv"):
        (folder / path.name).write_bytes(path.read_bytes())
    _reverse(folder)
    entries = yaml.safe_load((folder / "pilots.yml").read_text(encoding="utf-8"))["pilots"]
    assert {e["slug"]: e["planned_families"] for e in entries} == {"hillingdon": 95, "darlington": 80, "wigan": 78}
