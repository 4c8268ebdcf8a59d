"""End-to-end checks of the build: reproducible, staged, and safe on failure."""

import dataclasses
import filecmp
import re
import shutil

import nbformat
import pytest
import yaml

from analysis_src.inputs.contracts import DataValidationError, load_tables
from analysis_src.paths import BOOK_DIR, PROJECT_ROOT
from analysis_src.pipeline import build
from analysis_src.report.synthesis import load_synthesis


def _targets(tmp_path, **changes):
    return dataclasses.replace(build.targets_under(tmp_path), **changes)


def _outputs(stage_book):
    return sorted(p.relative_to(stage_book) for p in stage_book.rglob("*") if p.suffix in {".ipynb", ".json"})


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, pilots):
    tables = load_tables(PROJECT_ROOT / "synthetic_data", pilots)
    runs = []
    for name in ("first", "second"):
        targets = _targets(tmp_path_factory.mktemp(name))
        work = build.stage_notebooks(pilots, tables, targets, progress=False)
        assert work.reused == []  # nothing to reuse in a new folder: every notebook ran
        runs.append(targets.stage_dir / "book")
    return runs


def test_two_builds_give_identical_notebooks_and_ledger(two_runs):
    first, second = two_runs
    files = _outputs(first)
    assert files == _outputs(second)
    assert len(files) == 11  # three chapters, the trial page, the synthesis, the logic model, the summary, four ledgers
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative


def test_committed_notebooks_and_ledger_match_what_the_code_produces(two_runs):
    stale = [str(r) for r in _outputs(two_runs[0]) if not filecmp.cmp(two_runs[0] / r, BOOK_DIR / r, shallow=False)]
    assert stale == [], "run `make book` and commit the result"


def test_committed_toc_follows_the_manifest(pilots):
    committed = yaml.safe_load((PROJECT_ROOT / "_toc.yml").read_text())
    assert committed == build.toc(pilots)
    chapters = committed["parts"][0]["chapters"]
    assert [c["file"] for c in chapters] == [f"book/pilots/{p.slug}" for p in pilots]
    assert committed["root"] == "book/summary"  # the answer first: the executive summary is the home page
    assert committed["parts"][-1]["chapters"][0] == {"file": "book/intro"}  # rebuilding: "About this book"


def test_toc_has_one_chapter_per_authority_in_the_manifest(pilots):
    extra = dataclasses.replace(pilots[0], slug="newtown", name="Newtown", la_code=999)
    files = [c["file"] for c in build.toc(pilots + [extra])["parts"][0]["chapters"]]
    assert files[-1] == "book/pilots/newtown" and len(files) == 4


def test_full_build_writes_the_book_pages(built_book, pilots):
    targets = built_book
    html = targets.html_dir
    assert (html / "index.html").is_file()
    for pilot in pilots:
        page = (html / "book" / "pilots" / f"{pilot.slug}.html").read_text()
        assert pilot.name in page and "vegaEmbed(" in page
    assert (html / "book" / "synthesis.html").is_file()
    assert (html / "_static" / "vega-bundle.js").is_file()
    assert not targets.runs_dir.exists()
    assert (html / "book" / "pilots" / "darlington_trial.html").is_file()
    for page in html.rglob("*.html"):
        assert "THEBE_JS_URL" not in page.read_text(), page


def test_every_page_carries_the_provenance_stamp(built_book):
    page = (built_book.html_dir / "book" / "pilots" / "wigan.html").read_text()
    stamp = re.search(
        r'<p class="provenance">Version ([^ ]+) · commit ([^·]+) · input data sha256:([0-9a-f]{12}) · built ', page
    )
    assert stamp and stamp.group(3) == build.data_fingerprint(PROJECT_ROOT / "synthetic_data")


def test_invalid_data_stops_the_build_and_keeps_the_last_good_book(tmp_path, data_copy, pilots):
    targets = _targets(tmp_path, data_dir=data_copy)
    for folder in (targets.html_dir, targets.book_dir / "pilots"):
        folder.mkdir(parents=True)
        (folder / "last-good.txt").write_text("kept")
    (data_copy / "transactions.csv").write_text("", encoding="utf-8")
    with pytest.raises(DataValidationError, match="transactions.csv"):
        build.build(targets)
    assert (targets.html_dir / "last-good.txt").read_text() == "kept"
    assert sorted(p.name for p in (targets.book_dir / "pilots").iterdir()) == ["last-good.txt"]


def test_invalid_data_exits_non_zero_with_a_clear_message(tmp_path, data_copy, monkeypatch, capsys):
    shutil.copy(data_copy / "families.csv", data_copy / "transactions.csv")
    monkeypatch.setattr(build, "default_targets", lambda: _targets(tmp_path, data_dir=data_copy))
    assert build.main([]) == 2
    error = capsys.readouterr().err
    assert "Nothing was changed" in error and "transactions.csv" in error


def test_a_failing_chapter_is_reported_and_nothing_is_published(tmp_path, monkeypatch):
    targets = _targets(tmp_path)
    targets.html_dir.mkdir(parents=True)
    (targets.html_dir / "last-good.txt").write_text("kept")
    failing = nbformat.v4.new_notebook(metadata=nbformat.read(build.CHAPTER_TEMPLATE, as_version=4).metadata)
    failing.cells = [
        nbformat.v4.new_code_cell('slug = ""\ndata_dir = ""\nmanifest = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("ratio = 1 / (slug != 'darlington')"),
    ]
    template = tmp_path / "failing.ipynb"
    nbformat.write(failing, template)
    monkeypatch.setattr(build, "CHAPTER_TEMPLATE", template)
    with pytest.raises(build.BuildError) as raised:
        build.build(targets, progress=False)
    message = str(raised.value)
    # The failing authority is named with its cell and error; the others ran (no error reported for them).
    assert "1 notebook(s) failed" in message
    assert "Darlington: chapter: cell In [3] `ratio = 1 / (slug != 'darlington')` raised ZeroDivisionError" in message
    assert "Wigan" not in message and "Hillingdon" not in message
    assert (targets.html_dir / "last-good.txt").read_text() == "kept"
    assert not (targets.book_dir / "pilots").exists()


def test_synthesis_loader_sees_every_authority(pilots):
    context = load_synthesis("synthetic_data")
    assert sorted(context.tables.families["la_code"].unique()) == sorted(p.la_code for p in pilots)
