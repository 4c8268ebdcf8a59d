"""The built book in a real browser (Debian's headless Chromium, driven by Playwright), with no network.

On every page: every chart rendered an SVG or canvas, the console logged no error, no
request left the machine, internal links resolve, and axe-core finds no serious or
critical accessibility violation. Screenshots of the pilot chapters and the axe report
are written to ``_build/test-artifacts``. Without Chromium the tests skip loudly; on CI
(the CI environment variable set) they fail instead.
"""

import functools
import http.server
import json
import os
import shutil
import threading
import warnings
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from analysis_src.paths import BUILD_DIR
from analysis_src.report.gate import pages, parse

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = BUILD_DIR / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require_chromium():
    if Path(CHROMIUM).exists():
        return
    message = "Chromium is not installed, so the browser tests cannot run: `bash scripts/install-browser.sh`"
    if os.environ.get("CI"):
        pytest.fail(message)
    warnings.warn(message, stacklevel=2)
    pytest.skip(message)


@pytest.fixture(scope="module")
def site(built_book):
    handler = functools.partial(_QuietHandler, directory=str(built_book.html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield built_book.html_dir, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def visits(site):
    """Visit every page once; record charts, console errors, outside requests and axe results."""
    _require_chromium()
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    html_dir, base = site
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        outside = []

        def route(request_route):
            if urlparse(request_route.request.url).hostname == "127.0.0.1":
                request_route.continue_()
            else:  # no network: record and refuse anything that leaves the machine
                outside.append(request_route.request.url)
                request_route.abort()

        context.route("**/*", route)
        for path in pages(html_dir):
            name = str(path.relative_to(html_dir))
            page = context.new_page()
            errors, failed = [], []
            page.on(
                "console",
                lambda message, errors=errors: errors.append(message.text) if message.type == "error" else None,
            )
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            page.on(
                "response",
                lambda response, failed=failed: failed.append(response.url) if response.status >= 400 else None,
            )
            outside.clear()
            page.goto(base + name, wait_until="load")
            page.wait_for_timeout(700)
            charts = page.evaluate(
                "Array.from(document.querySelectorAll('figure.devolved-chart > div[id^=chart-]'))"
                ".map(div => [div.id, !!div.querySelector('svg, canvas')])"
            )
            if name.startswith("book/pilots/") or name == "book/synthesis.html":
                page.screenshot(
                    path=str(ARTIFACTS / (name.replace("/", "_").removesuffix(".html") + ".png")), full_page=True
                )
            # Snapshot what the page itself did before axe runs (axe's own requests are not the book's).
            seen = {"errors": list(errors), "failed": list(failed), "outside": list(outside)}
            violations = Axe().run(page, options={"preload": False}).response["violations"]
            results[name] = {
                "charts": charts,
                **seen,
                "violations": [
                    {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"]), "help": v["help"]}
                    for v in violations
                ],
            }
            page.close()
        browser.close()
    (ARTIFACTS / "axe-report.json").write_text(json.dumps({k: v["violations"] for k, v in results.items()}, indent=2))
    return results


def test_every_chart_rendered(visits):
    charts = {page: result["charts"] for page, result in visits.items() if result["charts"]}
    assert len(charts) >= 5
    blank = [(page, chart) for page, items in charts.items() for chart, drawn in items if not drawn]
    assert blank == []


def test_the_console_shows_no_errors_and_nothing_fails_to_load(visits):
    problems = {page: r["errors"] + r["failed"] for page, r in visits.items() if r["errors"] or r["failed"]}
    assert problems == {}


def test_no_request_leaves_the_machine(visits):
    assert {page: r["outside"] for page, r in visits.items() if r["outside"]} == {}


def test_no_serious_or_critical_accessibility_violations(visits):
    serious = {
        page: [v for v in r["violations"] if v["impact"] in ("serious", "critical")] for page, r in visits.items()
    }
    assert {page: v for page, v in serious.items() if v} == {}


def test_internal_links_resolve(site):
    html_dir, base = site
    broken = []
    for path in pages(html_dir):
        name = str(path.relative_to(html_dir))
        for target in _links(path):
            url = urlparse(urljoin(base + name, target))
            if url.hostname != "127.0.0.1":
                continue
            file = html_dir / url.path.lstrip("/")
            if not (file.is_file() or (file / "index.html").is_file()):
                broken.append((name, target))
    assert broken == []


def _links(path):
    page = parse(path)
    return [href for href in page.links if not href.startswith(("#", "mailto:", "javascript:"))]
