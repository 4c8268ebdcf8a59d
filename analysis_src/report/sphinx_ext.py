"""Sphinx extension for the book: keep pages free of unused third-party scripts.

Jupyter Book 1 always loads sphinx-thebe, even with live code off, and its inline
configuration script is added twice, so every page logs
"Identifier 'THEBE_JS_URL' has already been declared". The book has no live code,
so the thebe scripts are dropped from every page.

Myst-NB copies its stylesheet into the output only when the build finishes, so
Sphinx links it without its ``?v=`` checksum on a clean build but with one on a
rebuild. The stylesheet is copied when the builder starts instead, so that a
rebuild writes exactly the pages of a clean build.

The book publishes its pages, not the notebooks behind them: the executed notebooks carry
exact figures (the results ledger is glued into them) and the data folder's path, which the
pages never show. So no source is copied into ``_sources`` and the theme's download button
(notebook, source, print) is off; the executed notebooks of a synthetic build are in the
repository, and those of a real-data build stay under ``_build/real/book``.

Sphinx keeps every word it ever indexed in ``searchindex.js``: on a rebuild it removes the
rebuilt pages from each word's list of pages but never the word itself, so a figure that a
page no longer shows (a count since suppressed, an earlier build's table) stays in the index
with no page, for anyone who downloads the file. Words with no page are dropped when the
build finishes, so the index of a rebuild is that of a clean build.

Every term of the glossary (``analysis_src/config/glossary.yml``) is linked to its definition
at its first use on each page, wherever the text comes from (a template, a glued sentence, a
table): headings, code, links and the glossary itself are left alone.

The theme's toggles for nested pages in the sidebar are ``<summary>`` elements with only
an icon inside; they get a text label so that screen readers can name them.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx

from analysis_src.report.pages import GLOSSARY_PATH, glossary_terms

GLOSSARY_DOC = "book/glossary"
# Where a term is not linked: headings, code, existing links, raw HTML, the glossary's own terms.
_NOT_LINKED = (
    nodes.title,
    nodes.subtitle,
    nodes.reference,
    nodes.literal,
    nodes.literal_block,
    nodes.raw,
    nodes.term,
    nodes.caption,
    addnodes.glossary,
    addnodes.pending_xref,
    nodes.FixedTextElement,
)


def _linkable(node: nodes.Text) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, _NOT_LINKED):
            return False
        parent = parent.parent
    return True


_SKIPPED_TAGS = ("a", "code", "pre", "script", "style", "svg", "h1", "h2", "h3", "h4", "h5", "h6")
_TAG = re.compile(r"(<[^>]+>)")


def _link_in_html(html: str, pattern: re.Pattern, anchor: str) -> str | None:
    """``html`` with the first match of ``pattern`` in its text (not in a link, code, heading or SVG) linked."""
    parts = _TAG.split(html)
    skipping: list[str] = []
    for i, part in enumerate(parts):
        if part.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", part)
            if name is None:
                continue
            tag = name.group(1).lower()
            if tag in _SKIPPED_TAGS and not part.endswith("/>"):
                if part.startswith("</"):
                    if tag in skipping:
                        skipping.remove(tag)
                else:
                    skipping.append(tag)
            continue
        if skipping:
            continue
        found = pattern.search(part)
        if found:
            parts[i] = part[: found.start()] + anchor.format(found.group(0)) + part[found.end() :]
            return "".join(parts)
    return None


def _link_terms(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Link the first use of every glossary term on the page to its definition, in text or in HTML tables."""
    if app.builder.format != "html" or docname == GLOSSARY_DOC:
        return
    known = app.env.get_domain("std").data.get("terms", {})
    pieces = [
        node
        for node in doctree.findall(lambda n: isinstance(n, (nodes.Text, nodes.raw)))
        if (isinstance(node, nodes.raw) and "html" in node.get("format", ""))
        or (isinstance(node, nodes.Text) and _linkable(node))
    ]
    for entry in glossary_terms():
        target = known.get(entry["term"].lower())
        if target is None:
            continue
        pattern = re.compile(rf"(?<![\w-])(?:{entry['match']})(?![\w-])")
        uri = app.builder.get_relative_uri(docname, target[0]) + "#" + target[1]
        for index, node in enumerate(pieces):
            if isinstance(node, nodes.raw):
                anchor = f'<a class="reference internal glossary-term" href="{uri}" title="{entry["term"]}">{{}}</a>'
                linked = _link_in_html(node.astext(), pattern, anchor)
                if linked is None:
                    continue
                new = nodes.raw("", linked, format=node["format"])
                node.parent.replace(node, new)
                pieces[index] = new
                break
            text = str(node)
            found = pattern.search(text)
            if found is None:
                continue
            link = nodes.reference("", found.group(0), internal=True, refuri=uri, reftitle=entry["term"])
            link["classes"].append("glossary-term")
            before, after = nodes.Text(text[: found.start()]), nodes.Text(text[found.end() :])
            node.parent.replace(node, [before, link, after])
            pieces[index : index + 1] = [before, after]  # a later term may be in the same text
            break


def _glossary_digest(app: Sphinx, config: object) -> None:
    """Every page depends on the glossary: a changed glossary makes Sphinx rewrite them all."""
    config.glossary_digest = hashlib.sha256(GLOSSARY_PATH.read_bytes()).hexdigest()


def _is_thebe(script: object) -> bool:
    filename = str(getattr(script, "filename", script) or "")
    body = str(getattr(script, "attributes", {}).get("body", ""))
    return "thebe" in filename.lower() or "THEBE_JS_URL" in body


def _drop_thebe(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object) -> None:
    if "script_files" in context:
        context["script_files"] = [script for script in context["script_files"] if not _is_thebe(script)]


_UNNAMED_TOGGLE = '<summary><span class="toctree-toggle" role="presentation">'
_NAMED_TOGGLE = (
    '<summary aria-label="Show or hide the sections of this chapter"><span class="toctree-toggle" role="presentation">'
)


def _drop_sources(app: Sphinx, exception: Exception | None) -> None:
    """Remove any ``_sources`` left in the output by an earlier build (Sphinx never deletes files)."""
    if exception is None and app.builder.format == "html":
        shutil.rmtree(Path(app.outdir) / "_sources", ignore_errors=True)


def _drop_stale_words(app: Sphinx, exception: Exception | None) -> None:
    """Remove the search index's words that no page contains any more (see the module docstring)."""
    if exception is not None or app.builder.format != "html":
        return
    from sphinx.search import js_index

    path = Path(app.outdir) / "searchindex.js"
    if not path.is_file():
        return
    index = js_index.loads(path.read_text(encoding="utf-8"))
    for key in ("terms", "titleterms"):
        index[key] = {word: pages for word, pages in index.get(key, {}).items() if pages != []}
    path.write_text(js_index.dumps(index), encoding="utf-8")


def _label_toggles(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if _UNNAMED_TOGGLE in text:
            page.write_text(text.replace(_UNNAMED_TOGGLE, _NAMED_TOGGLE), encoding="utf-8")


def _stylesheet_before_pages(app: Sphinx) -> None:
    """Put myst-nb's hashed stylesheet in the output before any page is written."""
    if app.builder.format != "html":
        return
    from importlib.resources import files

    for filename, _ in app.registry.css_files:
        if filename.startswith("mystnb.") and filename.endswith(".css"):
            destination = Path(app.outdir) / "_static" / filename
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(files("myst_nb.static").joinpath("mystnb.css").read_bytes())


def _publish_pages_only(app: Sphinx, config: object) -> None:
    """No page sources or notebook downloads in the output (see the module docstring)."""
    config.html_copy_source = False
    config.html_show_sourcelink = False
    config.html_theme_options = {**(config.html_theme_options or {}), "use_download_button": False}


def setup(app: Sphinx) -> dict:
    """Register the config-inited, builder-inited, page-context and build-finished hooks."""
    app.add_config_value("glossary_digest", "", "env")
    app.connect("config-inited", _publish_pages_only, priority=900)
    app.connect("config-inited", _glossary_digest, priority=901)
    app.connect("doctree-resolved", _link_terms)
    app.connect("builder-inited", _stylesheet_before_pages, priority=900)
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("build-finished", _label_toggles)
    app.connect("build-finished", _drop_sources)
    app.connect("build-finished", _drop_stale_words)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
