"""Checks on the built book before it is published: nothing personal, nothing loaded from elsewhere.

:func:`disclosure_findings` scans every page of the HTML, its tables, its inline SVG
and the JSON data inside every chart, for what must never be published:

* an identifier of a family, child, worker or respondent from the data;
* a free-text description from the data;
* a date-of-birth or postcode pattern;
* a count of people from 1 to 5 that was not suppressed.

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

from analysis_src.inputs.contracts import Tables

IDENTIFIER_COLUMNS = {
    "families": ["family_id", "worker_id"],
    "transactions": ["transaction_id", "family_id"],
    "staff_survey": ["respondent_id"],
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


def _identifiers(tables: Tables) -> set[str]:
    found = set()
    for table, columns in IDENTIFIER_COLUMNS.items():
        frame = getattr(tables, table)
        for column in columns:
            found |= set(frame[column].dropna().astype(str))
    return found


def disclosure_findings(html_dir: str | Path, tables: Tables) -> list[Finding]:
    """Everything on the built pages that must not be published (see the module docstring)."""
    html_dir = Path(html_dir)
    identifiers = _identifiers(tables)
    descriptions = {d.lower() for d in tables.transactions["description"].dropna() if len(d) >= 8}
    findings = []
    for path in pages(html_dir):
        name = str(path.relative_to(html_dir))
        raw = path.read_text(encoding="utf-8")
        page = parse(path)
        visible = " ".join(" ".join(page.text).split())
        for token in set(re.findall(r"[A-Za-z0-9_-]{4,}", raw)) & identifiers:
            findings.append(Finding(name, "identifier from the data", token))
        lowered = raw.lower()
        findings += [Finding(name, "free-text description from the data", d) for d in descriptions if d in lowered]
        findings += [Finding(name, "postcode pattern", m.group(0)) for m in POSTCODE.finditer(visible)]
        findings += [Finding(name, "date-of-birth pattern", m.group(0)) for m in BIRTH_DATE.finditer(visible)]
        findings += [
            Finding(name, "unsuppressed count of people in a diagram", m.group(0))
            for m in SVG_COUNT.finditer(raw)
            if _small(m.group(1))
        ]
        findings += _table_findings(name, page)
        findings += _chart_findings(name, page)
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
    findings = disclosure_findings(args.html, tables) + external_references(args.html)
    for finding in findings:
        print(finding, file=sys.stderr)
    print(f"{len(findings)} finding(s); {suppressed_cells(args.html)} suppressed cells (c) in {args.html}")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
