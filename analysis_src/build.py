"""Build the book: validate, run every chapter with papermill, build the HTML, then publish.

Everything is built in a staging folder first. Only when every step has
succeeded are the executed notebooks, the results ledger, the table of contents
and the HTML moved into place, so a failed build leaves the last good book
untouched. Run ``python -m analysis_src.build --help``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from analysis_src import __version__
from analysis_src.charts import write_vega_bundle
from analysis_src.contracts import DataValidationError, load_tables
from analysis_src.costs import load_unit_costs
from analysis_src.docs import data_page
from analysis_src.ledger import harvest, write_ledger
from analysis_src.manifest import ManifestError, Pilot, load_manifest
from analysis_src.notebooks import clean_executed, execute
from analysis_src.paths import BOOK_DIR, BUILD_DIR, MANIFEST_PATH, PROJECT_ROOT, SYNTHETIC_DATA_DIR, TEMPLATES_DIR

CHAPTER_TEMPLATE = TEMPLATES_DIR / "pilot_chapter.ipynb"
SYNTHESIS_TEMPLATE = TEMPLATES_DIR / "synthesis.ipynb"
TRIAL_TEMPLATE = TEMPLATES_DIR / "trial.ipynb"
LOGIC_MODEL_TEMPLATE = TEMPLATES_DIR / "logic_model.ipynb"
CONFIG_PATH = PROJECT_ROOT / "_config.yml"
TOC_PATH = PROJECT_ROOT / "_toc.yml"
# Hand-written pages of the book, copied into the staging folder as they are.
STATIC_PAGES = ("intro.md",)


class BuildError(RuntimeError):
    """A build step failed; the message says which step and, for a chapter, which authority."""


@dataclass(frozen=True)
class Targets:
    """Where a build reads from and publishes to."""

    data_dir: Path
    manifest: Path
    book_dir: Path
    toc_path: Path
    html_dir: Path
    stage_dir: Path


def default_targets() -> Targets:
    """The synthetic build: committed notebooks in ``book/``, HTML in ``_build/html``."""
    return Targets(
        data_dir=SYNTHETIC_DATA_DIR,
        manifest=MANIFEST_PATH,
        book_dir=BOOK_DIR,
        toc_path=TOC_PATH,
        html_dir=BUILD_DIR / "html",
        stage_dir=BUILD_DIR / "stage",
    )


def targets_under(root: Path, data_dir: Path = SYNTHETIC_DATA_DIR) -> Targets:
    """A build that reads ``data_dir`` and writes everything under ``root`` (for tests and trial builds)."""
    return Targets(
        data_dir=data_dir,
        manifest=MANIFEST_PATH,
        book_dir=root / "book",
        toc_path=root / "_toc.yml",
        html_dir=root / "html",
        stage_dir=root / "stage",
    )


def _say(message: str) -> None:
    print(message, flush=True)


def _portable(path: Path) -> str:
    """Path as recorded in notebooks: relative to the project root where possible."""
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path.resolve())


def toc(pilots: list[Pilot]) -> dict:
    """The table of contents: introduction, one chapter per pilot in manifest order, synthesis, data."""
    return {
        "format": "jb-book",
        "root": "book/intro",
        "parts": [
            {"caption": "Pilot chapters", "chapters": [_chapter_entry(p) for p in pilots]},
            {"caption": "Across the pilots", "chapters": [{"file": "book/logic_model"}, {"file": "book/synthesis"}]},
            {"caption": "About the data", "chapters": [{"file": "book/data"}]},
        ],
    }


def _chapter_entry(pilot: Pilot) -> dict:
    entry = {"file": f"book/pilots/{pilot.slug}"}
    if pilot.randomised:
        entry["sections"] = [{"file": f"book/pilots/{pilot.slug}_trial"}]
    return entry


def write_toc(pilots: list[Pilot], path: Path) -> None:
    """Write ``_toc.yml`` from the manifest."""
    header = "# Generated from pilots.yml by `make book`: edit the manifest, not this file.\n"
    path.write_text(header + yaml.safe_dump(toc(pilots), sort_keys=False), encoding="utf-8")


def _run_chapter(template: Path, output: Path, parameters: dict, replacements: dict, scope: str) -> dict:
    execute(template, output, parameters)
    notebook = clean_executed(output, replacements)
    return harvest(notebook, scope)


def stage_notebooks(pilots: list[Pilot], targets: Targets) -> None:
    """Run every chapter and the synthesis into the staging folder, with their ledgers."""
    stage_book = targets.stage_dir / "book"
    data = _portable(targets.data_dir)
    failures = []
    for number, pilot in enumerate(pilots, start=1):
        _say(f"  [{number}/{len(pilots)}] {pilot.name}: running chapter")
        parameters = {"slug": pilot.slug, "data_dir": data}
        replacements = {
            "{{ name }}": pilot.name,
            "{{ slug }}": pilot.slug,
            "{{ target_group }}": pilot.target_group,
            "{{ price_year }}": load_unit_costs().price_year,
        }
        try:
            output = stage_book / "pilots" / f"{pilot.slug}.ipynb"
            figures = _run_chapter(CHAPTER_TEMPLATE, output, parameters, replacements, "pilot")
            if pilot.randomised:
                output = stage_book / "pilots" / f"{pilot.slug}_trial.ipynb"
                figures |= _run_chapter(TRIAL_TEMPLATE, output, parameters, replacements, "pilot")
        except Exception as error:  # report every failing authority, then stop
            failures.append(f"{pilot.name} ({pilot.slug}): {error}")
            continue
        write_ledger(figures, stage_book / "results" / f"{pilot.slug}.json")
    if failures:
        raise BuildError("chapter(s) failed:\n" + "\n".join(failures))
    _say("  synthesis: running chapter")
    figures = _run_chapter(SYNTHESIS_TEMPLATE, stage_book / "synthesis.ipynb", {"data_dir": data}, {}, "synthesis")
    write_ledger(figures, stage_book / "results" / "synthesis.json")
    _say("  logic model: running chapter")
    _run_chapter(LOGIC_MODEL_TEMPLATE, stage_book / "logic_model.ipynb", {"data_dir": data}, {}, "synthesis")


def data_fingerprint(data_dir: Path) -> str:
    """SHA-256 over the input tables' names and bytes, in name order (first 12 hex digits)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in data_dir.iterdir() if p.suffix in {".csv", ".xlsx"}):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def source_commit() -> str:
    """The commit the book is built from, marked when the work tree has uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=PROJECT_ROOT
        )
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=PROJECT_ROOT)
    except OSError:
        return "unknown"
    if commit.returncode != 0:
        return "unknown"
    return commit.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def provenance_footer(data_dir: Path) -> str:
    """The stamp on every page: version, commit, input data hash and build date."""
    return (
        f'<p class="provenance">Version {__version__} · commit {html.escape(source_commit())} · '
        f"input data sha256:{data_fingerprint(data_dir)} · built {dt.date.today():%d %B %Y} · "
        "licence: MIT (see LICENSE and CITATION.cff)</p>"
    )


def stage_sources(pilots: list[Pilot], targets: Targets) -> None:
    """Copy the book's configuration and hand-written pages into the staging folder."""
    stage_book = targets.stage_dir / "book"
    stage_book.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
    config.setdefault("html", {})["extra_footer"] = provenance_footer(targets.data_dir)
    (targets.stage_dir / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    write_toc(pilots, targets.stage_dir / "_toc.yml")
    for page in STATIC_PAGES:
        shutil.copy2(BOOK_DIR / page, stage_book / page)
    (stage_book / "data.md").write_text(data_page(), encoding="utf-8")
    write_vega_bundle(stage_book / "_static")


def build_html(targets: Targets) -> Path:
    """Run ``jupyter-book build`` on the staging folder, strict: any warning fails the build."""
    command = [
        str(Path(sys.executable).with_name("jupyter-book")),
        "build",
        str(targets.stage_dir),
        "--builder",
        "html",
        "-W",
        "-n",
        "--keep-going",
        "--quiet",
    ]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if result.returncode != 0:
        raise BuildError(f"jupyter-book build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return targets.stage_dir / "_build" / "html"


def _replace_dir(source: Path, destination: Path) -> None:
    """Move ``source`` to ``destination``, swapping out any old copy only at the end."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    old = destination.with_name(destination.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if destination.exists():
        destination.rename(old)
    shutil.move(str(source), str(destination))
    shutil.rmtree(old, ignore_errors=True)


def publish(pilots: list[Pilot], targets: Targets, html: Path) -> None:
    """Move the staged notebooks, ledgers, table of contents and HTML into place."""
    stage_book = targets.stage_dir / "book"
    for folder in ("pilots", "results"):
        _replace_dir(stage_book / folder, targets.book_dir / folder)
    for page in ("synthesis.ipynb", "logic_model.ipynb", "data.md"):
        shutil.copy2(stage_book / page, targets.book_dir / page)
    shutil.copy2(targets.stage_dir / "_toc.yml", targets.toc_path)
    _replace_dir(html, targets.html_dir)


def build(targets: Targets) -> None:
    """Run every step of the build; raise on the first failed step, with nothing published."""
    started = time.perf_counter()
    _say(f"[1/5] Validating the manifest {_portable(targets.manifest)}")
    pilots = load_manifest(targets.manifest)
    _say(f"[2/5] Validating the data in {_portable(targets.data_dir)}")
    load_tables(targets.data_dir, pilots)
    shutil.rmtree(targets.stage_dir, ignore_errors=True)
    _say(f"[3/5] Running {len(pilots)} pilot chapters and the synthesis with papermill")
    stage_sources(pilots, targets)
    stage_notebooks(pilots, targets)
    _say("[4/5] Building the HTML book (strict: warnings are errors)")
    html = build_html(targets)
    _say("[5/5] Publishing the notebooks, results ledger and HTML")
    publish(pilots, targets, html)
    shutil.rmtree(targets.stage_dir, ignore_errors=True)
    _say(f"Done in {time.perf_counter() - started:.0f} s: open {_portable(targets.html_dir / 'index.html')}")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exit 2 on invalid input, 1 on a failed step."""
    parser = argparse.ArgumentParser(description="Build the devolved budgets evaluation report.")
    parser.parse_args(argv)
    try:
        build(default_targets())
    except (ManifestError, DataValidationError) as error:
        print(f"Build stopped: invalid input. Nothing was changed.\n{error}", file=sys.stderr)
        return 2
    except BuildError as error:
        print(f"Build failed. The last good book was left in place.\n{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
