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

The theme's toggles for nested pages in the sidebar are ``<summary>`` elements with only
an icon inside; they get a text label so that screen readers can name them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx


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
    app.connect("config-inited", _publish_pages_only, priority=900)
    app.connect("builder-inited", _stylesheet_before_pages, priority=900)
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("build-finished", _label_toggles)
    app.connect("build-finished", _drop_sources)
    app.connect("build-finished", _drop_stale_words)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
