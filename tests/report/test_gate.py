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
