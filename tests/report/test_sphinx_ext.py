"""The book's Sphinx extension on the built book: glossary terms linked at their first use on every page."""

import re

import pytest
from bs4 import BeautifulSoup

from analysis_src.report.pages import glossary_page, glossary_terms

# The extension is tested on a whole built book.
pytestmark = pytest.mark.slow

_SKIPPED = ("h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "script", "style", "svg", "a")


def _first_uses(path):
    """For each glossary term used in a page's main text: whether its first use is a link to the glossary."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    main = soup.select_one("main") or soup
    strings = list(main.find_all(string=True))
    found = {}
    for entry in glossary_terms():
        pattern = re.compile(rf"(?<![\w-])(?:{entry['match']})(?![\w-])")
        for text in strings:
            if not pattern.search(str(text)):
                continue
            link = next((parent for parent in text.parents if parent.name == "a"), None)
            if link is not None and "glossary.html#term-" in link.get("href", ""):
                found[entry["term"]] = True
                break
            if any(parent.name in _SKIPPED for parent in text.parents):  # headings, code, diagrams, other links
                continue
            found[entry["term"]] = False
            break
    return found


def test_every_term_used_on_a_page_is_linked_at_its_first_use(built_book):
    html = built_book.html_dir / "book"
    unlinked = {}
    checked = 0
    for path in sorted(html.rglob("*.html")):
        if path.name == "glossary.html":
            continue
        uses = _first_uses(path)
        checked += len(uses)
        missing = [term for term, linked in uses.items() if not linked]
        if missing:
            unlinked[path.name] = missing
    assert unlinked == {}
    assert checked > 20  # the check looked at real uses (SMD, ICC, Wilson, PLO, CMO, ...)


def test_the_glossary_page_defines_every_term(built_book):
    soup = BeautifulSoup((built_book.html_dir / "book" / "glossary.html").read_text(encoding="utf-8"), "html.parser")
    defined = {dt.get_text(strip=True).removesuffix("#").replace("’", "'") for dt in soup.select("dl.glossary dt")}
    assert defined == {entry["term"] for entry in glossary_terms()}
    assert glossary_page().count("\n  ") == len(glossary_terms())
