"""The publication gate on the built book, and mutation tests proving each check can fail."""

import shutil

import pytest

from analysis_src.inputs.contracts import load_tables
from analysis_src.paths import SYNTHETIC_DATA_DIR
from analysis_src.report.gate import disclosure_findings, external_references, suppressed_cells

# The gate is tested on a whole built book.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tables(pilots):
    return load_tables(SYNTHETIC_DATA_DIR, pilots)


@pytest.fixture
def book_copy(built_book, tmp_path):
    target = tmp_path / "html"
    shutil.copytree(built_book.html_dir, target)
    return target


def _inject(html_dir, markup, page="book/pilots/wigan.html"):
    path = html_dir / page
    text = path.read_text()
    path.write_text(text.replace("</article>", markup + "</article>", 1))


def _kinds(findings):
    return {finding.kind for finding in findings}


def test_the_built_book_passes_the_disclosure_gate(built_book, tables):
    assert disclosure_findings(built_book.html_dir, tables) == []
    assert suppressed_cells(built_book.html_dir) > 0  # small counts exist and were suppressed


def test_the_built_book_loads_nothing_from_another_host(built_book):
    assert external_references(built_book.html_dir) == []


def test_gate_catches_a_family_identifier(book_copy, tables):
    family = tables.families["family_id"].iloc[0]
    _inject(book_copy, f"<p>Case {family}</p>")
    assert "identifier from the data" in _kinds(disclosure_findings(book_copy, tables))


def test_gate_catches_a_worker_identifier_inside_chart_data(book_copy, tables):
    worker = tables.families["worker_id"].iloc[0]
    _inject(
        book_copy,
        '<script>vegaEmbed("#chart-x", '
        + f'{{"datasets": {{"d": [{{"worker": "{worker}"}}]}}}}'
        + ', {"actions": false});</script>',
    )
    assert "identifier from the data" in _kinds(disclosure_findings(book_copy, tables))


def test_gate_catches_a_free_text_description(book_copy, tables):
    description = tables.transactions["description"].iloc[0]
    _inject(book_copy, f"<p>{description}</p>")
    assert "free-text description from the data" in _kinds(disclosure_findings(book_copy, tables))


@pytest.mark.parametrize(
    ("markup", "kind"), [("<p>SW1A 1AA</p>", "postcode pattern"), ("<p>DOB: 03/04/2012</p>", "date-of-birth pattern")]
)
def test_gate_catches_personal_patterns(book_copy, tables, markup, kind):
    _inject(book_copy, markup)
    assert kind in _kinds(disclosure_findings(book_copy, tables))


def test_gate_catches_a_small_count_in_a_table(book_copy, tables):
    _inject(
        book_copy,
        "<table><tr><th></th><th>Families with spending</th></tr>"
        "<tr><td>Oldest child aged 0-4</td><td>3</td></tr></table>",
    )
    assert "unsuppressed count of people" in _kinds(disclosure_findings(book_copy, tables))


def test_gate_catches_a_small_count_in_chart_data(book_copy, tables):
    _inject(
        book_copy,
        '<script>vegaEmbed("#chart-y", {"datasets": {"d": [{"new_families": 2}]}}, {"actions": false});</script>',
    )
    assert "unsuppressed count of people in chart data" in _kinds(disclosure_findings(book_copy, tables))


def test_gate_catches_a_small_count_in_a_diagram(book_copy, tables):
    _inject(book_copy, "<svg><text>Lost to follow-up (n=2)</text></svg>")
    assert "unsuppressed count of people in a diagram" in _kinds(disclosure_findings(book_copy, tables))


def test_gate_catches_a_notebook_published_with_the_pages(book_copy, tables):
    (book_copy / "_sources" / "book").mkdir(parents=True)
    (book_copy / "_sources" / "book" / "synthesis.ipynb").write_text("{}")
    assert "notebook or page source published" in _kinds(disclosure_findings(book_copy, tables))


def test_the_built_book_publishes_no_notebook_and_no_download_button(built_book):
    assert not list(built_book.html_dir.rglob("*.ipynb")) and not (built_book.html_dir / "_sources").exists()
    assert "download-source-button" not in (built_book.html_dir / "book" / "pilots" / "wigan.html").read_text()


def test_gate_catches_the_data_folder_path_in_the_search_index(book_copy, tables, tmp_path):
    folder = tmp_path / "authority-returns"
    index = book_copy / "searchindex.js"
    index.write_text(index.read_text() + f"// {folder}")
    assert "path of the data folder" in _kinds(disclosure_findings(book_copy, tables, folder))
    assert "path of the data folder" not in _kinds(disclosure_findings(book_copy, tables, tmp_path / "elsewhere"))


def test_gate_catches_an_identifier_in_the_search_index(book_copy, tables):
    index = book_copy / "searchindex.js"
    index.write_text(index.read_text() + tables.families["family_id"].iloc[0])
    assert "identifier from the data" in _kinds(disclosure_findings(book_copy, tables))


@pytest.mark.parametrize(
    ("sentence", "caught"),
    [
        ("8% of Wigan's 78 families received more than their budget.", False),  # 6 families, 72 others
        ("4% of the 78 families received more than their budget.", True),  # 3 families
        ("96% of the 78 families kept within their budget.", True),  # all but 3
        ("50% of the 78 families received more than their budget.", False),
    ],
)
def test_gate_catches_a_percentage_that_gives_back_a_small_count(book_copy, tables, sentence, caught):
    _inject(book_copy, f"<p>{sentence}</p>")
    kind = "a percentage of a published total gives back 1 to 5 people"
    assert (kind in _kinds(disclosure_findings(book_copy, tables))) is caught


@pytest.mark.parametrize(("second", "caught"), [("40", True), ("c", False)])
def test_gate_works_back_a_hidden_count_from_a_tables_total(book_copy, tables, second, caught):
    _inject(
        book_copy,
        "<table><tr><th>Band</th><th>Families</th></tr><tr><td>Under £100</td><td>c</td></tr>"
        f"<tr><td>£100 to £500</td><td>{second}</td></tr><tr><td>Over £500</td><td>30</td></tr>"
        "<tr><td>Total</td><td>73</td></tr></table>",
    )
    kind = "a hidden count can be worked back from the table's totals"
    assert (kind in _kinds(disclosure_findings(book_copy, tables))) is caught


def test_offline_check_catches_a_cdn_script(book_copy):
    _inject(book_copy, '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>')
    assert [f.detail for f in external_references(book_copy)] == ["https://cdn.jsdelivr.net/npm/vega@5"]


def test_offline_check_catches_a_web_font_in_a_stylesheet(book_copy):
    css = next((book_copy / "_static").glob("*.css"))
    css.write_text(css.read_text() + '\n@import url("https://fonts.googleapis.com/css?family=Lato");\n')
    assert any("fonts.googleapis.com" in f.detail for f in external_references(book_copy))


def test_offline_check_ignores_links_a_reader_may_follow(book_copy):
    _inject(book_copy, '<p><a href="https://www.gov.uk/">gov.uk</a></p>')
    assert external_references(book_copy) == []


def test_gate_catches_words_of_an_earlier_build_left_in_the_search_index(book_copy, tables):
    from sphinx.search import js_index

    path = book_copy / "searchindex.js"
    index = js_index.loads(path.read_text(encoding="utf-8"))
    assert all(pages != [] for pages in index["terms"].values())  # the built book has none
    index["terms"]["made990"] = []  # an earlier build's table cell, on no page now
    path.write_text(js_index.dumps(index), encoding="utf-8")
    findings = [f for f in disclosure_findings(book_copy, tables) if f.page == "searchindex.js"]
    assert [f.kind for f in findings] == ["words of an earlier build that no page contains"]
    assert "made990" in findings[0].detail


def test_the_build_drops_words_that_no_page_contains_any_more(tmp_path):
    from types import SimpleNamespace

    from sphinx.search import js_index

    from analysis_src.report.sphinx_ext import _drop_stale_words

    index = {"docnames": ["a", "b"], "terms": {"kept": [0, 1], "one": 1, "stale": []}, "titleterms": {"old": []}}
    (tmp_path / "searchindex.js").write_text(js_index.dumps(index), encoding="utf-8")
    _drop_stale_words(SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(format="html")), None)
    cleaned = js_index.loads((tmp_path / "searchindex.js").read_text(encoding="utf-8"))
    assert cleaned["terms"] == {"kept": [0, 1], "one": 1} and cleaned["titleterms"] == {}


def test_gate_catches_an_excerpt_that_may_not_be_quoted(book_copy, tables):
    import dataclasses

    segments = tables.coded_segments.copy()
    segments.loc[0, ["excerpt", "consent_to_quote"]] = ["Nobody asked me before they wrote it down.", "N"]
    segments.loc[1, ["excerpt", "consent_to_quote"]] = ["We stayed with Auntie Pat in the end.", "Y"]
    altered = dataclasses.replace(tables, coded_segments=segments)
    assert disclosure_findings(book_copy, altered) == []
    _inject(book_copy, "<blockquote>Nobody asked me before they wrote it down.</blockquote>")
    _inject(book_copy, "<blockquote>We stayed with Auntie Pat in the end.</blockquote>", page="book/synthesis.html")
    found = [f for f in disclosure_findings(book_copy, altered) if "excerpt" in f.kind]
    assert sorted(f.page for f in found) == ["book/pilots/wigan.html", "book/synthesis.html"]
