"""Sphinx extension for the book: keep pages free of unused third-party scripts.

Jupyter Book 1 always loads sphinx-thebe, even with live code off, and its inline
configuration script is added twice, so every page logs
"Identifier 'THEBE_JS_URL' has already been declared". The book has no live code,
so the thebe scripts are dropped from every page.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def _is_thebe(script: object) -> bool:
    filename = str(getattr(script, "filename", script) or "")
    body = str(getattr(script, "attributes", {}).get("body", ""))
    return "thebe" in filename.lower() or "THEBE_JS_URL" in body


def _drop_thebe(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: object) -> None:
    if "script_files" in context:
        context["script_files"] = [script for script in context["script_files"] if not _is_thebe(script)]


def setup(app: Sphinx) -> dict:
    """Register the page-context hook."""
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
