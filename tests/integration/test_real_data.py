"""A build from an authority's data folder: Excel templates filled in, a fourth authority, nothing committed."""

import dataclasses
import subprocess

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis_src.inputs.contracts import load_dictionary
from analysis_src.inputs.manifest import load_manifest, manifest_text
from analysis_src.inputs.workbooks import write_templates
from analysis_src.paths import BOOK_DIR, PROJECT_ROOT
from analysis_src.pipeline import build
from analysis_src.tools.generate import generate, write_tables


def _excel_value(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


IDENTIFYING = "Kerry and I sorted it out over a coffee."
UNCONSENTED = "Nobody asked me before they wrote it down."
QUOTABLE = "It made the work feel human again to decide for ourselves."


def _fill_templates(folder, pilots, not_spent=()):
    """The blank templates, filled with generated rows as a data officer would type them.

    The authorities in ``not_spent`` have returned no spending yet.
    """
    write_templates(folder, pilots)
    tables = generate(pilots)
    spend = tables["transactions"]
    tables["transactions"] = spend[~spend["la_code"].astype(int).isin(not_spent)]
    # Hillingdon's excerpts on the autonomy code: one names a person, one has no consent, one may be quoted.
    segments = tables["coded_segments"]
    autonomy = segments.index[(segments["la_code"] == 312) & (segments["code"] == "autonomy_valued")]
    theme = (segments["la_code"] == 312) & segments["code"].isin(["autonomy_valued", "trusted_as_professional"])
    segments.loc[theme, ["excerpt", "consent_to_quote"]] = None
    social = [i for i in autonomy if segments.loc[i, "role"] == "social_worker"]
    segments.loc[social[0], ["excerpt", "consent_to_quote"]] = [IDENTIFYING, "Y"]
    segments.loc[social[1], ["excerpt", "consent_to_quote"]] = [UNCONSENTED, "N"]
    segments.loc[social[2], ["excerpt", "consent_to_quote"]] = [QUOTABLE, "Y"]
    for name, table in load_dictionary().items():
        workbook = load_workbook(folder / f"{name}.xlsx")
        sheet = workbook[name]
        for row in tables[name][list(table["columns"])].itertuples(index=False):
            sheet.append([_excel_value(v) for v in row])
        workbook.save(folder / f"{name}.xlsx")
    return tables


def _tree(root):
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _git_status():
    result = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=PROJECT_ROOT)
    return result.stdout if result.returncode == 0 else None


@pytest.fixture(scope="module")
def real_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    pilots = load_manifest()
    newtown = dataclasses.replace(pilots[0], name="Newtown", slug="newtown", la_code=999, actual_families=60)
    pilots = [*pilots, newtown]
    folder = root / "data"
    folder.mkdir()
    (folder / "pilots.yml").write_text(manifest_text(pilots), encoding="utf-8")
    tables = _fill_templates(folder, pilots, not_spent={newtown.la_code})  # it joined late: no spending yet
    book_before, status_before = _tree(BOOK_DIR), _git_status()
    code = build.main(["--data", str(folder), "--out", str(root / "out")])
    return {
        "code": code,
        "out": root / "out",
        "tables": tables,
        "book_unchanged": _tree(BOOK_DIR) == book_before,
        "status": (status_before, _git_status()),
    }


def test_the_book_builds_from_filled_templates_with_a_fourth_authority(real_build):
    assert real_build["code"] == 0
    html = real_build["out"] / "html"
    for slug in ("hillingdon", "darlington", "darlington_trial", "wigan", "newtown"):
        assert (html / "book" / "pilots" / f"{slug}.html").is_file(), slug
    assert "Newtown" in (html / "book" / "synthesis.html").read_text(encoding="utf-8")
    assert "data supplied by the authorities" in (html / "book" / "intro.html").read_text(encoding="utf-8")
    assert (html / "book" / "data_officer.html").is_file()
    assert sorted(p.name for p in (real_build["out"] / "book" / "results").iterdir()) == [
        "darlington.json",
        "hillingdon.json",
        "newtown.json",
        "suppressions.csv",
        "synthesis.json",
        "wigan.json",
    ]


def test_an_authority_that_has_not_spent_yet_gets_a_chapter_that_says_so(real_build):
    import json

    html = real_build["out"] / "html" / "book"
    chapter = (html / "pilots" / "newtown.html").read_text(encoding="utf-8")
    assert "The spend log holds no devolved-budget spending for Newtown" in chapter and "not estimable" in chapter
    assert "2. Outcomes in the monthly returns" in chapter and "2. How much" not in chapter  # no spending section
    figures = json.loads((real_build["out"] / "book" / "results" / "newtown.json").read_text(encoding="utf-8"))
    assert figures["spend.total_gbp"] == 0 and "spend.per_family_median_gbp" not in figures
    synthesis = (html / "synthesis.html").read_text(encoding="utf-8")
    assert "Newtown has recorded no spending yet" in synthesis
    spenders = (html / "pilots" / "wigan.html").read_text(encoding="utf-8")  # the others keep full chapters
    assert "not estimable" not in spenders and "2. How much" in spenders


def test_only_a_consented_excerpt_that_identifies_no_one_is_quoted(real_build):
    html = real_build["out"] / "html"
    published = " ".join(p.read_text(encoding="utf-8", errors="ignore") for p in html.rglob("*") if p.is_file())
    assert IDENTIFYING not in published and "Kerry" not in published
    assert UNCONSENTED not in published
    chapter = (html / "book" / "pilots" / "hillingdon.html").read_text(encoding="utf-8")
    assert QUOTABLE in chapter and "one of the social workers, Hillingdon" in chapter
    assert "invented" not in chapter.split(QUOTABLE)[1][:300]  # real data: a quote is not marked as invented


def test_nothing_behind_the_pages_of_a_real_data_build(real_build):
    html = real_build["out"] / "html"
    published = [p for p in html.rglob("*") if p.is_file()]
    assert not [p for p in published if p.suffix in {".ipynb", ".md"} or "_sources" in p.parts]
    folder = str(real_build["out"].parent / "data")
    assert not [p for p in published if folder in p.read_text(encoding="utf-8", errors="ignore")]
    assert "download-source-button" not in (html / "book" / "pilots" / "darlington_trial.html").read_text()


def test_the_randomised_page_of_a_real_data_build_shows_an_estimate_and_says_why_rows_are_hidden(real_build):
    page = (real_build["out"] / "html" / "book" / "pilots" / "darlington_trial.html").read_text(encoding="utf-8")
    assert "Any escalation (primary" in page
    assert "c: fewer than 6 in an arm" in page and "Rows marked" in page  # each hidden row says why
    log = (real_build["out"] / "book" / "results" / "suppressions.csv").read_text(encoding="utf-8")
    assert log.startswith("page,where,row,column,rule\n") and "darlington_trial.ipynb" in log


def test_a_real_data_build_leaves_the_committed_book_and_git_status_untouched(real_build):
    assert real_build["book_unchanged"]
    before, after = real_build["status"]
    assert before is not None and before == after


def test_real_identifiers_never_reach_a_notebook_or_page(real_build):
    tables = real_build["tables"]
    ids = set(tables["families"]["family_id"]) | set(tables["families"]["worker_id"])
    ids |= set(tables["transactions"]["transaction_id"])
    outputs = [p for folder in ("book", "html") for p in (real_build["out"] / folder).rglob("*") if p.is_file()]
    outputs = [p for p in outputs if p.suffix in {".ipynb", ".json", ".html", ".js"}]
    assert outputs
    leaks = [(p.name, i) for p in outputs for i in ids if i in p.read_text(encoding="utf-8", errors="ignore")]
    assert leaks == []
    salt = real_build["out"] / ".salt"
    assert salt.stat().st_mode & 0o077 == 0  # readable by its owner only


def test_a_folder_with_a_subset_of_authorities_builds_only_those(tmp_path, pilots):
    wigan = next(p for p in pilots if p.slug == "wigan")
    write_tables(generate([wigan]), tmp_path / "data")
    targets = build.targets_under(tmp_path / "out", data_dir=tmp_path / "data")
    chosen, manifest = build.pilots_to_build(targets)
    assert chosen == [wigan]
    assert load_manifest(manifest) == [wigan] and manifest != targets.manifest


def test_out_folder_may_not_be_the_committed_book():
    with pytest.raises(build.BuildError, match="outside the committed book"):
        build.targets_from_args(PROJECT_ROOT / "synthetic_data", None, BOOK_DIR / "pilots")


def test_pages_that_fail_the_disclosure_check_are_never_published_or_reused(tmp_path, pilots, monkeypatch, capsys):
    wigan = next(p for p in pilots if p.slug == "wigan")
    write_tables(generate([wigan]), tmp_path / "data")
    out = tmp_path / "out"
    targets = build.targets_under(out, data_dir=tmp_path / "data")
    real_check = build.check_disclosure

    def refuse(html, tables, data_dir=None):
        raise build.BuildError("the built pages failed the disclosure check (1 finding(s))")

    monkeypatch.setattr(build, "check_disclosure", refuse)
    assert build.main(["--data", str(tmp_path / "data"), "--out", str(out)]) == 1
    assert "failed the disclosure check" in capsys.readouterr().err
    assert not targets.html_dir.exists() and not (targets.stage_dir / "_build" / "sources.sha256").exists()
    checked = []
    monkeypatch.setattr(
        build,
        "check_disclosure",
        lambda html, tables, data_dir=None: checked.append(real_check(html, tables, data_dir)),
    )
    assert build.main(["--data", str(tmp_path / "data"), "--out", str(out)]) == 0
    assert checked == [None]  # the same pages were checked again, not reused unchecked
    assert (targets.html_dir / "book" / "pilots" / "wigan.html").is_file()


def test_an_authority_taken_out_leaves_no_page_notebook_or_index_entry(tmp_path, pilots):
    from sphinx.search import js_index

    out, data = tmp_path / "out", tmp_path / "data"
    wigan, hillingdon = (next(p for p in pilots if p.slug == slug) for slug in ("wigan", "hillingdon"))
    write_tables(generate([wigan, hillingdon]), data)
    (data / "pilots.yml").write_text(manifest_text([hillingdon, wigan]), encoding="utf-8")
    assert build.main(["--data", str(data), "--out", str(out)]) == 0
    assert (out / "html" / "book" / "pilots" / "wigan.html").is_file()
    # Wigan leaves the manifest (and its rows the data folder).
    write_tables(generate([hillingdon]), data)
    (data / "pilots.yml").write_text(manifest_text([hillingdon]), encoding="utf-8")
    assert build.main(["--data", str(data), "--out", str(out)]) == 0
    published = {p.relative_to(out / "html").as_posix() for p in (out / "html").rglob("*") if p.is_file()}
    assert "book/pilots/hillingdon.html" in published
    assert not [name for name in published if "wigan" in name]
    assert not [p for p in (out / "book").rglob("*wigan*")]
    index = js_index.loads((out / "html" / "searchindex.js").read_text(encoding="utf-8"))
    assert not [doc for doc in index["docnames"] if "wigan" in doc]
    assert all(pages != [] for pages in index["terms"].values())
