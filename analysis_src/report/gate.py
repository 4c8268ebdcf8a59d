"""Checks on the built book before it is published: nothing personal, nothing loaded from elsewhere.

:func:`disclosure_findings` scans every page of the HTML, its tables, its inline SVG
and the JSON data inside every chart, and every other file published with the pages (the
search index, static files), for what must never be published:

* an identifier of a family, child, worker or respondent from the data;
* a free-text description from the data, or an excerpt that may not be quoted (no consent, or
  the screen finds a name, place, age or date);
* a date-of-birth or postcode pattern;
* a count of people from 1 to 5 that was not suppressed;
* a hidden count that the determined reader (:mod:`analysis_src.disclosure.audit`) can pin
  to 1 to 5: from a table's totals, or as a percentage of a total given in a sentence
  ("8% of 78 families");
* a notebook or page source (they carry exact figures), or the data folder's path.

:func:`external_references` lists every script, style, font, image or frame that a page
or a stylesheet would load from another host. Run ``python -m analysis_src.report.gate`` on a
built book; it exits non-zero on any finding.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from analysis_src.disclosure import SUPPRESSED
from analysis_src.disclosure.audit import Fact, disclosures, share_facts
from analysis_src.inputs.contracts import Tables

IDENTIFIER_COLUMNS = {
    "families": ["family_id", "worker_id"],
    "transactions": ["transaction_id", "family_id"],
    "staff_survey": ["respondent_id"],
    "coded_segments": ["segment_id", "participant_id"],
}
PEOPLE_HEADER = re.compile(
    r"\bfamil(y|ies)\b(?! time)|respondent|\bchildren\b|\bpeople\b|\bstaff\b|allocat|deviation|\bworkers?\b|"
    r"\bintervention\b|\bcontrol\b",
    re.IGNORECASE,
)
PEOPLE_FIELD = re.compile(r"famil(y|ies)|respondent|children|people|allocation|worker", re.IGNORECASE)
POSTCODE = re.compile(r"\b(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b")
BIRTH_DATE = re.compile(r"(date of birth|\bDOB\b)\W{0,5}\d|\b\d{1,2}/\d{1,2}/(19|20)\d{2}\b", re.IGNORECASE)
SVG_COUNT = re.compile(r"\(n=(\d+)\)")
CHART_CALL = re.compile(r'vegaEmbed\("#[a-z0-9-]+", (\{.*?\}), \{"actions"', re.DOTALL)
LOADING_ATTRIBUTES = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src")}
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])(?P<url>[^'")\s]+)""")
SHARE_OF_TOTAL = re.compile(
    r"\b(\d{1,3})% of (?:the |its |all |their |these )?(\d[\d,]*) (?:[a-z]+ ){0,2}?"
    r"(families|respondents|children|people|staff|social workers|workers)\b",
    re.IGNORECASE,
)
TOTAL_LABEL = re.compile(r"^(total|all)\b", re.IGNORECASE)
# Files published with the pages that are binary, or third-party code with no data in it.
BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".woff", ".woff2", ".ttf", ".eot", ".inv"}
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """One thing the gate refuses: which page, what kind, and the offending text."""

    page: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}: {self.detail}"


class _Page(HTMLParser):
    """Collects visible text, table cells by column header, loaded references and inline scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.references: list[str] = []
        self.links: list[str] = []
        self.scripts: list[str] = []
        self._cell: list[str] | None = None
        self._in_script = self._in_style = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for element, attribute in LOADING_ATTRIBUTES:
            if tag == element and attributes.get(attribute):
                if tag != "link" or attributes.get("rel", "") in {"stylesheet", "preload", "icon", "modulepreload"}:
                    self.references.append(attributes[attribute])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        self._in_script = tag == "script"
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag in ("script", "style"):
            self._in_script = self._in_style = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)
        elif not self._in_style:
            self.text.append(data)
            if self._cell is not None:
                self._cell.append(data)


def parse(path: Path) -> _Page:
    """Parse one HTML page into its text, tables, links, loaded references and inline scripts."""
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def pages(html_dir: Path) -> list[Path]:
    """The book's HTML pages (not the static files or page sources)."""
    return sorted(p for p in html_dir.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)


def _small(text: str) -> bool:
    return text.strip() in {"1", "2", "3", "4", "5"}


def _table_findings(name: str, page: _Page) -> list[Finding]:
    findings = []
    for table in page.tables:
        if not table:
            continue
        header = table[0]
        for row in table[1:]:
            label = row[0] if row else ""
            for index, cell in enumerate(row):
                column = header[index] if index < len(header) else ""
                # A people column, or a people row in a generic value column (such as "Families planned | 3").
                people = PEOPLE_HEADER.search(column) or (column in ("", "Value") and PEOPLE_HEADER.search(label))
                if _small(cell) and people:
                    findings.append(Finding(name, "unsuppressed count of people", f"{label!r} / {column!r} = {cell}"))
    return findings


def _chart_findings(name: str, page: _Page) -> list[Finding]:
    findings = []
    for script in page.scripts:
        for match in CHART_CALL.finditer(script):
            spec = json.loads(match.group(1))
            for rows in spec.get("datasets", {}).values():
                for row in rows:
                    for field, value in row.items():
                        if PEOPLE_FIELD.search(field) and isinstance(value, int | float) and 0 < value < 6:
                            findings.append(
                                Finding(name, "unsuppressed count of people in chart data", f"{field}={value}")
                            )
    return findings


def _share_findings(name: str, visible: str) -> list[Finding]:
    """Sentences giving a whole-number percentage of a stated total that pins a count, or its rest, to 1 to 5."""
    findings = []
    for match in SHARE_OF_TOTAL.finditer(visible):
        percent, total = int(match.group(1)), int(match.group(2).replace(",", ""))
        facts = [Fact.equals(["part", "rest"], total), *share_facts(["part"], ["part", "rest"], percent / 100)]
        try:
            exposed = disclosures(facts, ["part", "rest"])
        except ValueError:  # not a share of that total (the numbers cannot both hold)
            continue
        if exposed:
            findings.append(Finding(name, "a percentage of a published total gives back 1 to 5 people", match.group(0)))
    return findings


def _number(cell: str) -> float | None:
    try:
        return float(cell.replace(",", "").replace("£", ""))
    except ValueError:
        return None


def _total_findings(name: str, page: _Page) -> list[Finding]:
    """Tables with a total row or column in which a hidden count can be worked back by the determined reader."""
    findings = []
    for number, table in enumerate(page.tables):
        if len(table) < 3 or not table[0]:
            continue
        header, body = table[0], [row for row in table[1:] if len(row) == len(table[0])]
        cells = {(r, c): cell for r, row in enumerate(body) for c, cell in enumerate(row) if c > 0}
        if not any(cell == SUPPRESSED for cell in cells.values()):
            continue
        total_rows = [r for r, row in enumerate(body) if TOTAL_LABEL.match(row[0])]
        total_columns = [c for c, label in enumerate(header) if c > 0 and TOTAL_LABEL.match(label)]
        if not total_rows and not total_columns:
            continue
        facts = [Fact.value(key, _number(cell)) for key, cell in cells.items() if _number(cell) is not None]
        hidden = [key for key, cell in cells.items() if cell == SUPPRESSED]
        for t in total_rows:
            for c in range(1, len(header)):
                parts = [(r, c) for r in range(len(body)) if r not in total_rows]
                if all(key in cells and (cells[key] == SUPPRESSED or _number(cells[key]) is not None) for key in parts):
                    facts.append(Fact({(t, c): 1.0} | {key: -1.0 for key in parts}, 0.0, 0.0))
        for t in total_columns:
            for r in range(len(body)):
                parts = [(r, c) for c in range(1, len(header)) if c not in total_columns]
                if all(cells.get(key) == SUPPRESSED or _number(cells.get(key, "")) is not None for key in parts):
                    facts.append(Fact({(r, t): 1.0} | {key: -1.0 for key in parts}, 0.0, 0.0))
        try:
            exposed = disclosures(facts, hidden)
        except ValueError:  # the cells are not counts that add up (shares, money): nothing to work back
            continue
        for r, c in exposed:
            findings.append(
                Finding(
                    name,
                    "a hidden count can be worked back from the table's totals",
                    f"table {number + 1}: {body[r][0]!r} / {header[c]!r}",
                )
            )
    return findings


def _published_file_findings(html_dir: Path, identifiers: set[str], data_dir: Path | None) -> list[Finding]:
    """Every file published with the pages: no notebook or page source, no identifier, no data folder path."""
    paths = {str(data_dir), str(data_dir.resolve())} if data_dir is not None else set()
    findings = []
    for path in sorted(p for p in html_dir.rglob("*") if p.is_file()):
        name = str(path.relative_to(html_dir))
        if path.suffix == ".ipynb" or "_sources" in path.parts:
            findings.append(Finding(name, "notebook or page source published", name))
            continue
        if path.suffix.lower() in BINARY_SUFFIXES:
            continue
        raw = path.read_text(encoding="utf-8", errors="replace")
        findings += [Finding(name, "path of the data folder", folder) for folder in sorted(paths) if folder in raw]
        if path.suffix != ".html":  # pages are scanned below, with their context
            tokens = set(re.findall(r"[A-Za-z0-9_-]{4,}", raw)) & identifiers
            findings += [Finding(name, "identifier from the data", token) for token in sorted(tokens)]
    return findings


def stale_index_words(html_dir: Path) -> list[Finding]:
    """Words in the search index that no page contains: left by an earlier build, with what it showed."""
    path = html_dir / "searchindex.js"
    if not path.is_file():
        return []
    from sphinx.search import js_index

    try:
        index = js_index.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return [Finding("searchindex.js", "search index the check cannot read", "not Sphinx's format")]
    stale = sorted(word for key in ("terms", "titleterms") for word, pages in index.get(key, {}).items() if pages == [])
    if not stale:
        return []
    shown = ", ".join(stale[:10]) + (f" and {len(stale) - 10} more" if len(stale) > 10 else "")
    return [Finding("searchindex.js", "words of an earlier build that no page contains", shown)]


def _identifiers(tables: Tables) -> set[str]:
    found = set()
    for table, columns in IDENTIFIER_COLUMNS.items():
        frame = getattr(tables, table)
        for column in columns:
            found |= set(frame[column].dropna().astype(str))
    return found


def withheld_excerpts(segments) -> set[str]:
    """Excerpts (lower case) that may not be published: no consent to quote, or the screen finds an identifier.

    An excerpt is a quote only as :func:`analysis_src.analysis.qualitative.quotable` allows;
    the same words from another participant who consented may be quoted.
    """
    from analysis_src.analysis.qualitative import excerpt_problem

    if segments is None or "excerpt" not in segments:
        return set()
    rows = segments[segments["excerpt"].notna()]
    allowed = {
        text.lower()
        for text, consent in zip(rows["excerpt"], rows["consent_to_quote"], strict=True)
        if consent == "Y" and excerpt_problem(text) is None
    }
    return {text.lower() for text in rows["excerpt"] if len(text) >= 8} - allowed


def disclosure_findings(html_dir: str | Path, tables: Tables, data_dir: str | Path | None = None) -> list[Finding]:
    """Everything on the built pages, or published with them, that must not be (see the module docstring).

    Parameters
    ----------
    html_dir
        The built HTML.
    tables
        The data the book was built from (its identifiers and free text are looked for).
    data_dir
        The data folder, whose path must appear in no published file.
    """
    html_dir = Path(html_dir)
    identifiers = _identifiers(tables)
    descriptions = {d.lower() for d in tables.transactions["description"].dropna() if len(d) >= 8}
    withheld = withheld_excerpts(tables.coded_segments)
    findings = _published_file_findings(html_dir, identifiers, None if data_dir is None else Path(data_dir))
    findings += stale_index_words(html_dir)
    for path in pages(html_dir):
        name = str(path.relative_to(html_dir))
        raw = path.read_text(encoding="utf-8")
        page = parse(path)
        visible = " ".join(" ".join(page.text).split())
        for token in set(re.findall(r"[A-Za-z0-9_-]{4,}", raw)) & identifiers:
            findings.append(Finding(name, "identifier from the data", token))
        lowered = raw.lower()
        findings += [Finding(name, "free-text description from the data", d) for d in descriptions if d in lowered]
        findings += [
            Finding(name, "excerpt without consent to quote, or that may identify", e) for e in withheld if e in lowered
        ]
        findings += [Finding(name, "postcode pattern", m.group(0)) for m in POSTCODE.finditer(visible)]
        findings += [Finding(name, "date-of-birth pattern", m.group(0)) for m in BIRTH_DATE.finditer(visible)]
        findings += [
            Finding(name, "unsuppressed count of people in a diagram", m.group(0))
            for m in SVG_COUNT.finditer(raw)
            if _small(m.group(1))
        ]
        findings += _table_findings(name, page)
        findings += _chart_findings(name, page)
        findings += _share_findings(name, visible)
        findings += _total_findings(name, page)
    return findings


def external_references(html_dir: str | Path) -> list[Finding]:
    """Every resource a page or stylesheet of the book would load from another host."""
    html_dir = Path(html_dir)
    findings = []
    for path in pages(html_dir):
        name = str(path.relative_to(html_dir))
        page = parse(path)
        findings += [Finding(name, "external resource", url) for url in page.references if EXTERNAL.match(url)]
        for style in CSS_URL.finditer(" ".join(page.scripts)):
            if EXTERNAL.match(style.group("url")):
                findings.append(Finding(name, "external resource in inline style", style.group("url")))
    for path in sorted(html_dir.rglob("*.css")):
        for match in CSS_URL.finditer(path.read_text(encoding="utf-8", errors="replace")):
            if EXTERNAL.match(match.group("url")):
                findings.append(
                    Finding(str(path.relative_to(html_dir)), "external resource in stylesheet", match.group("url"))
                )
    return findings


def suppressed_cells(html_dir: str | Path) -> int:
    """How many table cells, diagram counts and prose figures of the built book show ``c``."""
    total = 0
    for path in pages(Path(html_dir)):
        page = parse(path)
        total += sum(cell == "c" for table in page.tables for row in table for cell in row)
        raw = path.read_text(encoding="utf-8")
        total += raw.count("(n=c)") + raw.count('<span class="pasted-text">c</span>')
    return total


def main(argv: list[str] | None = None) -> int:
    """Command line: check a built book; exit 1 on any finding."""
    from analysis_src.inputs.contracts import load_tables
    from analysis_src.inputs.manifest import load_manifest
    from analysis_src.paths import BUILD_DIR, MANIFEST_PATH, SYNTHETIC_DATA_DIR

    parser = argparse.ArgumentParser(description="Check a built book for disclosure and external loads.")
    parser.add_argument("--html", type=Path, default=BUILD_DIR / "html")
    parser.add_argument("--data", type=Path, default=SYNTHETIC_DATA_DIR)
    parser.add_argument("--manifest", type=Path, default=MANIFEST_PATH)
    args = parser.parse_args(argv)
    tables = load_tables(args.data, load_manifest(args.manifest))
    findings = disclosure_findings(args.html, tables, args.data) + external_references(args.html)
    for finding in findings:
        print(finding, file=sys.stderr)
    print(f"{len(findings)} finding(s); {suppressed_cells(args.html)} suppressed cells (c) in {args.html}")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
