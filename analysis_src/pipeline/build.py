"""Build the book: validate, run every chapter with papermill, build the HTML, then publish.

Everything is built in a staging folder first. Only when every step has
succeeded are the executed notebooks, the results ledger, the table of contents
and the HTML moved into place, so a failed build leaves the last good book
untouched. Run ``python -m analysis_src.pipeline.build --help``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import html
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd
import yaml

from analysis_src import __version__
from analysis_src.analysis.costs import load_unit_costs
from analysis_src.config import protocol
from analysis_src.config.protocol import ProtocolError
from analysis_src.inputs.contracts import (
    DROP_COLUMNS_ENV,
    SALT_ENV,
    DataValidationError,
    Tables,
    authorities_with_data,
    pseudonymise,
    read_tables,
)
from analysis_src.inputs.manifest import ManifestError, Pilot, load_manifest, manifest_text
from analysis_src.paths import BOOK_DIR, BUILD_DIR, MANIFEST_PATH, PROJECT_ROOT, SYNTHETIC_DATA_DIR, TEMPLATES_DIR
from analysis_src.pipeline.incremental import authority_hash, code_hash, is_current, programme_hash
from analysis_src.pipeline.runs import Run, portable, run_all, stop_children
from analysis_src.report.chapter import has_spending
from analysis_src.report.charts import write_vega_bundle
from analysis_src.report.gate import disclosure_findings, external_references
from analysis_src.report.ledger import harvest, harvest_suppressions, ledger_text, suppressions_text
from analysis_src.report.pages import PAGE_NAMES, data_note, generated_pages

CHAPTER_TEMPLATE = TEMPLATES_DIR / "pilot_chapter.ipynb"
# The chapter of an authority with no spending yet: it says so, and gives what can be estimated.
WAITING_TEMPLATE = TEMPLATES_DIR / "pilot_waiting.ipynb"
SYNTHESIS_TEMPLATE = TEMPLATES_DIR / "synthesis.ipynb"
SUMMARY_TEMPLATE = TEMPLATES_DIR / "summary.ipynb"
# The notebooks run once for the whole programme, after the pilots' chapters.
PROGRAMME_PAGES = ("synthesis.ipynb", "logic_model.ipynb", "summary.ipynb")
TRIAL_TEMPLATE = TEMPLATES_DIR / "trial.ipynb"
LOGIC_MODEL_TEMPLATE = TEMPLATES_DIR / "logic_model.ipynb"
CONFIG_PATH = PROJECT_ROOT / "_config.yml"
TOC_PATH = PROJECT_ROOT / "_toc.yml"
# Generated pages (report/templates/pages): written by every build, published into book/ by the synthetic build.
GENERATED_PAGES = PAGE_NAMES


class BuildStopped(Exception):
    """The build was stopped by a signal (SIGTERM, SIGINT); the message names it."""


def _stop(signum: int, frame: object) -> None:
    raise BuildStopped(signal.Signals(signum).name)


class BuildError(RuntimeError):
    """A build step failed; the message says which step and, for a chapter, which authority."""


@dataclass(frozen=True)
class Targets:
    """Where a build reads from and publishes to.

    ``stage_dir`` is the Sphinx source tree, kept between builds so that Sphinx
    re-reads only the pages that changed; ``runs_dir`` receives the notebooks
    executed by this build before they are checked and staged.
    """

    data_dir: Path
    manifest: Path
    book_dir: Path
    toc_path: Path
    html_dir: Path
    stage_dir: Path
    runs_dir: Path


def default_targets() -> Targets:
    """The synthetic build: committed notebooks in ``book/``, HTML in ``_build/html``."""
    return Targets(
        data_dir=SYNTHETIC_DATA_DIR,
        manifest=MANIFEST_PATH,
        book_dir=BOOK_DIR,
        toc_path=TOC_PATH,
        html_dir=BUILD_DIR / "html",
        stage_dir=BUILD_DIR / "stage",
        runs_dir=BUILD_DIR / "runs",
    )


def targets_under(root: Path, data_dir: Path = SYNTHETIC_DATA_DIR, manifest: Path = MANIFEST_PATH) -> Targets:
    """A build that reads ``data_dir`` and writes everything under ``root`` (tests, benchmarks, real data)."""
    return Targets(
        data_dir=data_dir,
        manifest=manifest,
        book_dir=root / "book",
        toc_path=root / "_toc.yml",
        html_dir=root / "html",
        stage_dir=root / "stage",
        runs_dir=root / "runs",
    )


@dataclass(frozen=True)
class Plan:
    """What a build executes and what it reuses.

    Attributes
    ----------
    authority_runs
        Runs of the pilot chapters (and trial pages) whose inputs changed.
    programme_runs
        The synthesis and the logic model, when any input of theirs changed.
    reused
        Labels of the notebooks reused from the last build because their inputs are unchanged.
    notebooks
        Every notebook of the book, relative to the book folder, with the hash of its inputs.
    authority_notebooks
        The notebooks of each authority (by slug), relative to the book folder.
    """

    authority_runs: list[Run]
    programme_runs: list[Run]
    reused: list[str]
    notebooks: dict[str, str]
    authority_notebooks: dict[str, list[str]]

    @property
    def executed(self) -> list[str]:
        """Labels of the notebooks this build executes."""
        return [run.label for run in self.authority_runs + self.programme_runs]


def _say(message: str) -> None:
    print(message, flush=True)


def toc(pilots: list[Pilot]) -> dict:
    """The table of contents: the executive summary, one chapter per pilot in manifest order, synthesis, data."""
    return {
        "format": "jb-book",
        "root": "book/summary",
        "parts": [
            {"caption": "Pilot chapters", "chapters": [_chapter_entry(p) for p in pilots]},
            {"caption": "Across the pilots", "chapters": [{"file": "book/logic_model"}, {"file": "book/synthesis"}]},
            {
                "caption": "About the data and methods",
                "chapters": [
                    {"file": "book/intro"},
                    {"file": "book/data"},
                    {"file": "book/data_officer"},
                    {"file": "book/validation"},
                    {"file": "book/glossary"},
                ],
            },
        ],
    }


def _chapter_entry(pilot: Pilot) -> dict:
    entry = {"file": f"book/pilots/{pilot.slug}"}
    if pilot.randomised:
        entry["sections"] = [{"file": f"book/pilots/{pilot.slug}_trial"}]
    return entry


def toc_text(pilots: list[Pilot]) -> str:
    """The text of ``_toc.yml`` for the manifest."""
    header = "# Generated from pilots.yml by `make book`: edit the manifest, not this file.\n"
    return header + yaml.safe_dump(toc(pilots), sort_keys=False)


def write_toc(pilots: list[Pilot], path: Path) -> None:
    """Write ``_toc.yml`` from the manifest."""
    _write_if_changed(path, toc_text(pilots).encode())


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless the file already holds it (Sphinx then sees an unchanged page)."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def _prune(folder: Path, keep: set[Path]) -> None:
    """Delete files under ``folder`` that are not in ``keep`` (pages of authorities no longer built)."""
    if folder.is_dir():
        for path in folder.rglob("*"):
            if path.is_file() and path not in keep:
                path.unlink()


def _common_replacements(synthetic: bool) -> dict[str, str]:
    """Slots of every template: the note on which data the page reads, and the protocol's labels."""
    labels = {f"{{{{ protocol.{slot} }}}}": label for slot, label in protocol.current().slots().items()}
    return {"{{ data_note }}": data_note(synthetic), **labels}


def _replacements(pilot: Pilot, synthetic: bool) -> dict[str, str]:
    return {
        "{{ name }}": pilot.name,
        "{{ slug }}": pilot.slug,
        "{{ target_group }}": pilot.target_group,
        "{{ price_year }}": load_unit_costs().price_year,
        **_common_replacements(synthetic),
    }


def plan(pilots: list[Pilot], tables: Tables, targets: Targets) -> Plan:
    """Decide which notebooks to execute: those whose input hash differs from the last build's.

    A notebook is reused when the published copy in ``targets.book_dir`` records
    the same input hash (see :mod:`analysis_src.pipeline.incremental`); the synthesis and
    the logic model are executed again whenever any authority's hash changes.
    """
    code = code_hash()
    common = {"data_dir": portable(targets.data_dir), "manifest": portable(targets.manifest)}
    authority_runs, programme_runs, reused = [], [], []
    notebooks: dict[str, str] = {}
    authority_notebooks: dict[str, list[str]] = {}
    hashes = {}
    for pilot in pilots:
        parameters = {"slug": pilot.slug, **common}
        digest = hashes[pilot.slug] = authority_hash(code, pilot, tables, parameters)
        chapter = CHAPTER_TEMPLATE if has_spending(pilot, tables) else WAITING_TEMPLATE
        pages = [(f"pilots/{pilot.slug}.ipynb", chapter, "chapter")]
        if pilot.randomised:
            pages.append((f"pilots/{pilot.slug}_trial.ipynb", TRIAL_TEMPLATE, "randomised comparison"))
        authority_notebooks[pilot.slug] = [page for page, _, _ in pages]
        notebooks |= {page: digest for page, _, _ in pages}
        if is_current([targets.book_dir / page for page, _, _ in pages], digest):
            reused += [f"{pilot.name}: {what}" for _, _, what in pages]
            continue
        authority_runs += [
            Run(
                f"{pilot.name}: {what}",
                template,
                targets.runs_dir / page,
                parameters,
                _replacements(pilot, is_synthetic(targets)),
                digest,
            )
            for page, template, what in pages
        ]
    digest = programme_hash(code, pilots, hashes, common)
    for page, template, label in (
        ("synthesis.ipynb", SYNTHESIS_TEMPLATE, "synthesis"),
        ("logic_model.ipynb", LOGIC_MODEL_TEMPLATE, "logic model"),
        ("summary.ipynb", SUMMARY_TEMPLATE, "executive summary"),
    ):
        notebooks[page] = digest
        if is_current([targets.book_dir / page], digest):
            reused.append(label)
        else:
            programme_runs.append(
                Run(
                    label,
                    template,
                    targets.runs_dir / page,
                    dict(common),
                    _common_replacements(is_synthetic(targets)),
                    digest,
                )
            )
    return Plan(authority_runs, programme_runs, reused, notebooks, authority_notebooks)


def _execute(runs: list[Run], jobs: int | None, progress: bool) -> None:
    failures = run_all(runs, jobs=jobs, progress=progress)
    if failures:
        lines = [f"  - {label}: {failure}" for label, failure in failures.items()]
        raise BuildError(f"{len(failures)} notebook(s) failed; the others ran:\n" + "\n".join(lines))


SUPPRESSION_LOG = "results/suppressions.csv"


def stage_notebooks(
    pilots: list[Pilot], tables: Tables, targets: Targets, jobs: int | None = None, progress: bool = True
) -> Plan:
    """Execute the notebooks whose inputs changed and stage every notebook with its ledger.

    The pilot chapters run in parallel first; the synthesis and the logic model
    run once they have all succeeded. Unchanged notebooks are copied from the
    last build. Files are written into the staging folder only when their bytes
    change, so that Sphinx re-reads only the pages that changed.

    Raises
    ------
    BuildError
        Naming every failing notebook with its cell and error.
    """
    work = plan(pilots, tables, targets)
    shutil.rmtree(targets.runs_dir, ignore_errors=True)
    _say(f"  {len(work.executed)} notebook(s) to execute, {len(work.reused)} unchanged and reused")
    _execute(work.authority_runs, jobs, progress)
    _execute(work.programme_runs, jobs, progress)
    stage_book = targets.stage_dir / "book"
    executed = {run.output for run in work.authority_runs + work.programme_runs}
    kept = set()
    for page in work.notebooks:
        source = targets.runs_dir / page
        if source not in executed:
            source = targets.book_dir / page
        _write_if_changed(stage_book / page, source.read_bytes())
        kept.add(stage_book / page)
    ledgers = {f"results/{pilot.slug}.json": work.authority_notebooks[pilot.slug] for pilot in pilots}
    ledgers["results/synthesis.json"] = ["synthesis.ipynb"]
    for ledger, pages in ledgers.items():
        kept.add(stage_book / ledger)
        previous = targets.book_dir / ledger
        if not any(targets.runs_dir / page in executed for page in pages) and previous.is_file():
            _write_if_changed(stage_book / ledger, previous.read_bytes())
            continue
        scope = "synthesis" if ledger.endswith("synthesis.json") else "pilot"
        figures = {}
        for page in pages:
            figures |= harvest(nbformat.read(stage_book / page, as_version=4), scope)
        _write_if_changed(stage_book / ledger, ledger_text(figures).encode())
    # The suppression log of the whole book: every hidden or rounded cell, where, and the rule; no values.
    log = [
        entry
        for page in work.notebooks
        for entry in harvest_suppressions(nbformat.read(stage_book / page, as_version=4), page)
    ]
    _write_if_changed(stage_book / SUPPRESSION_LOG, suppressions_text(log).encode())
    kept.add(stage_book / SUPPRESSION_LOG)
    _prune(stage_book / "pilots", kept)
    _prune(stage_book / "results", kept)
    return work


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
    """Write the book's configuration and generated pages into the staging folder (when changed)."""
    stage_book = targets.stage_dir / "book"
    stage_book.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
    config.setdefault("html", {})["extra_footer"] = provenance_footer(targets.data_dir)
    _write_if_changed(targets.stage_dir / "_config.yml", yaml.safe_dump(config, sort_keys=False).encode())
    write_toc(pilots, targets.stage_dir / "_toc.yml")
    pages = generated_pages(is_synthetic(targets))
    for page, text in pages.items():
        _write_if_changed(stage_book / page, text.encode())
    write_vega_bundle(stage_book / "_static")


def sources_digest(stage_dir: Path) -> str:
    """SHA-256 over the book's sources in the staging folder (names and bytes; Sphinx's output excluded)."""
    digest = hashlib.sha256()
    for path in sorted(
        p for p in stage_dir.rglob("*") if p.is_file() and "_build" not in p.relative_to(stage_dir).parts
    ):
        digest.update(path.relative_to(stage_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


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
        # A failed Sphinx run may leave its environment half-updated: the next build starts clean.
        shutil.rmtree(targets.stage_dir / "_build", ignore_errors=True)
        raise BuildError(f"jupyter-book build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    html = targets.stage_dir / "_build" / "html"
    # sphinx-external-toc writes the redirect to the root page only when none exists; keep it current.
    root = yaml.safe_load((targets.stage_dir / "_toc.yml").read_text(encoding="utf-8"))["root"]
    _write_if_changed(html / "index.html", f'<meta http-equiv="Refresh" content="0; url={root}.html" />\n'.encode())
    return html


def _new_copy(source: Path, destination: Path) -> Path:
    """Copy ``source`` beside ``destination`` as ``<name>.new`` (a folder or a file); return the copy."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    new = destination.with_name(destination.name + ".new")
    _remove(new)
    if source.is_dir():
        shutil.copytree(source, new)
    else:
        shutil.copyfile(source, new)
    return new


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


# Pages Sphinx writes that are not documents of the book.
_SPECIAL_PAGES = {"index.html", "search.html", "genindex.html"}


def drop_stale_pages(html: Path, stage_dir: Path) -> list[Path]:
    """Delete the pages of documents the book no longer has; return them.

    Sphinx writes the pages of the current documents and never deletes an old one, so the
    chapter of an authority taken out of the manifest would stay published (and its HTML
    is reused when no source changed). A page stays only if its source is staged.
    """
    dropped = []
    for page in sorted(html.rglob("*.html")):
        relative = page.relative_to(html)
        if relative.parts[0].startswith("_") or relative.as_posix() in _SPECIAL_PAGES:
            continue
        source = stage_dir / relative.with_suffix("")
        if not any(source.with_suffix(suffix).is_file() for suffix in (".ipynb", ".md")):
            page.unlink()
            dropped.append(relative)
    return dropped


def publish(targets: Targets, html: Path) -> None:
    """Put the staged notebooks, ledgers, pages, table of contents and HTML in place, all or nothing.

    Everything is first copied beside its destination (``<name>.new``), which is where a
    full disk or a read-only folder fails, leaving the last good book as it was. Then each
    destination is swapped for its copy by renames, which need no space; should a rename
    fail, the ones done are undone. The old copies are deleted only at the end.
    """
    stage_book = targets.stage_dir / "book"
    wanted = [(stage_book / folder, targets.book_dir / folder) for folder in ("pilots", "results")]
    for page in (*PROGRAMME_PAGES, *GENERATED_PAGES):
        destination = targets.book_dir / page
        if not destination.is_file() or destination.read_bytes() != (stage_book / page).read_bytes():
            wanted.append((stage_book / page, destination))
    toc = targets.stage_dir / "_toc.yml"
    if not targets.toc_path.is_file() or targets.toc_path.read_bytes() != toc.read_bytes():
        wanted.append((toc, targets.toc_path))
    wanted.append((html, targets.html_dir))
    copies = []
    try:
        for source, destination in wanted:
            copies.append((_new_copy(source, destination), destination))
    except BaseException:  # a full disk, a refused write, or the build stopped by a signal
        for new, _ in copies:
            _remove(new)
        _remove(wanted[len(copies)][1].with_name(wanted[len(copies)][1].name + ".new"))
        raise
    swapped = []
    try:
        for new, destination in copies:
            old = destination.with_name(destination.name + ".old")
            _remove(old)
            if destination.exists():
                destination.rename(old)
            new.rename(destination)
            swapped.append((destination, old))
    except BaseException:
        for destination, old in reversed(swapped):
            _remove(destination)
            if old.exists():
                old.rename(destination)
        for new, _ in copies:
            _remove(new)
        raise
    for _, old in swapped:
        _remove(old)


@contextlib.contextmanager
def build_lock(targets: Targets) -> Iterator[None]:
    """Hold the output folder's lock for the whole build: a second build there stops with a clear message.

    The lock is ``build.lock`` beside the staging folder (``fcntl.flock``): the operating
    system releases it when the process ends, however it ends, so a stopped build leaves
    no stale lock behind.
    """
    path = targets.stage_dir.parent / "build.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise BuildError(
                f"another build is writing to {portable(path.parent)} ({holder}): wait for it to finish, "
                "then build again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}, started {dt.datetime.now():%Y-%m-%d %H:%M:%S}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block (inherited by worker processes)."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def salt_for(root: Path) -> str:
    """The secret salt of a real-data build's pseudonyms, kept in ``root/.salt`` (made once, owner-only)."""
    path = root / ".salt"
    if not path.is_file():
        root.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def check_disclosure(html: Path, tables: list[Tables], data_dir: Path | None = None) -> None:
    """Refuse to publish pages that show identifiers (real or pseudonymised), personal data or small counts."""
    merged = Tables(
        **{
            name: None if frames[0] is None else pd.concat(frames, ignore_index=True)
            for name, frames in ((name, [getattr(t, name) for t in tables]) for name in vars(tables[0]))
        }
    )
    found = disclosure_findings(html, merged, data_dir) + external_references(html)
    findings = sorted(set(map(str, found)))
    if findings:
        lines = "\n".join(f"  - {finding}" for finding in findings[:50])
        raise BuildError(f"the built pages failed the disclosure check ({len(findings)} finding(s)):\n{lines}")


def is_synthetic(targets: Targets) -> bool:
    """Whether the build reads the project's synthetic data."""
    return targets.data_dir.resolve() == SYNTHETIC_DATA_DIR.resolve()


def pilots_to_build(targets: Targets) -> tuple[list[Pilot], Path]:
    """The manifest's pilots that have data in the folder, and the manifest the notebooks read.

    A data folder may hold any subset of the manifest's authorities. When it
    holds fewer, the subset is written to ``pilots_in_data.yml`` beside the
    staging folder and the notebooks read that, so the synthesis covers exactly
    the authorities built.
    """
    pilots = load_manifest(targets.manifest)
    present = authorities_with_data(targets.data_dir, pilots)
    if len(present) == len(pilots):
        return pilots, targets.manifest
    skipped = ", ".join(p.name for p in pilots if p not in present)
    _say(f"  no rows in the data for {skipped}: their chapters are left out")
    subset = targets.stage_dir.parent / "pilots_in_data.yml"
    _write_if_changed(subset, manifest_text(present).encode())
    return present, subset


def build(targets: Targets, jobs: int | None = None, progress: bool = True, drop_unknown_columns: bool = False) -> Plan:
    """Run every step of the build; raise on the first failed step, with nothing published.

    Parameters
    ----------
    targets
        Where to read the data and manifest from and where to publish.
    jobs
        Parallel notebook runs; one per core when ``None``.
    progress
        Show progress of the notebook runs.
    drop_unknown_columns
        Drop (and log) input columns not in the data dictionary instead of refusing them.

    Returns
    -------
    Plan
        What was executed and what was reused.
    """
    started = time.perf_counter()
    _say(f"[1/5] Validating the protocol's numbers and the manifest {portable(targets.manifest)}")
    protocol.current()
    pilots, manifest = pilots_to_build(targets)
    targets = dataclasses.replace(targets, manifest=manifest)
    _say(f"[2/5] Validating the data in {portable(targets.data_dir)}")
    tables, notes = read_tables(targets.data_dir, pilots, drop_unknown_columns=drop_unknown_columns)
    for note in notes:
        _say(f"  {'' if note.action.startswith('warning') else 'normalised: '}{note}")
    salt = os.environ.get(SALT_ENV)
    raw_tables, tables = tables, (pseudonymise(tables, salt) if salt else tables)
    _say(f"[3/5] Running the notebooks of {len(pilots)} pilots and the synthesis with papermill")
    stage_sources(pilots, targets)
    # The notebooks' kernels read the same input settings from the environment they inherit.
    with _environment({DROP_COLUMNS_ENV: "1" if drop_unknown_columns else "0"}):
        work = stage_notebooks(pilots, tables, targets, jobs=jobs, progress=progress)
    _say("[4/5] Building the HTML book (strict: warnings are errors; unchanged pages are not re-read)")
    digest = sources_digest(targets.stage_dir)
    marker = targets.stage_dir / "_build" / "sources.sha256"
    html = targets.stage_dir / "_build" / "html"
    if html.is_dir() and marker.is_file() and marker.read_text(encoding="utf-8") == digest:
        _say("      no page changed since the last build: its HTML is reused")
    else:
        marker.unlink(missing_ok=True)
        html = build_html(targets)
        if not is_synthetic(targets):
            _say("      Checking every page for disclosure before publishing")
            check_disclosure(html, [raw_tables, tables], targets.data_dir)
        marker.write_text(digest, encoding="utf-8")  # only for HTML that passed every check
    drop_stale_pages(html, targets.stage_dir)
    _say("[5/5] Publishing the notebooks, results ledger and HTML")
    publish(targets, html)
    shutil.rmtree(targets.runs_dir, ignore_errors=True)
    _say(f"Done in {time.perf_counter() - started:.0f} s: open {portable(targets.html_dir / 'index.html')}")
    return work


REAL_OUTPUT_DIR = BUILD_DIR / "real"


def targets_from_args(data: Path | None, manifest: Path | None, out: Path | None) -> Targets:
    """The targets of a command-line build.

    Without options the synthetic book is rebuilt in place (``book/``, ``_build/html``).
    With ``--data`` the book is built from that folder into ``--out`` (default
    ``_build/real``, ignored by git), never into ``book/``; the manifest is the
    folder's own ``pilots.yml`` when it has one.
    """
    if data is None and manifest is None and out is None:
        return default_targets()
    data = (data or SYNTHETIC_DATA_DIR).resolve()
    if manifest is None:
        manifest = data / "pilots.yml" if (data / "pilots.yml").is_file() else MANIFEST_PATH
    out = (out or REAL_OUTPUT_DIR).resolve()
    if out in (PROJECT_ROOT, BOOK_DIR) or BOOK_DIR in out.parents:
        raise BuildError(f"--out {out}: must be outside the committed book (use a folder such as _build/real)")
    return targets_under(out, data_dir=data, manifest=manifest.resolve())


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exit 2 on invalid input, 1 on a failed step."""
    parser = argparse.ArgumentParser(description="Build the devolved budgets evaluation report.")
    parser.add_argument("--jobs", type=int, default=None, help="parallel notebook runs (default: one per core)")
    parser.add_argument("--data", type=Path, help="folder of input tables (default: synthetic_data/)")
    parser.add_argument("--manifest", type=Path, help="manifest of pilots (default: DATA/pilots.yml or pilots.yml)")
    parser.add_argument("--out", type=Path, help="output folder for a build from --data (default: _build/real)")
    parser.add_argument(
        "--drop-unknown-columns", action="store_true", help="drop (and log) columns not in the data dictionary"
    )
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs must be at least 1; found {args.jobs}")
    for stopping in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stopping, _stop)
    try:
        targets = targets_from_args(args.data, args.manifest, args.out)
        salt = {} if is_synthetic(targets) else {SALT_ENV: salt_for(targets.stage_dir.parent)}
        with build_lock(targets), _environment(salt):
            build(targets, jobs=args.jobs, drop_unknown_columns=args.drop_unknown_columns)
    except (ProtocolError, ManifestError, DataValidationError) as error:
        print(f"Build stopped: invalid input. Nothing was changed.\n{error}", file=sys.stderr)
        return 2
    except BuildError as error:
        print(f"Build failed. The last good book was left in place.\n{error}", file=sys.stderr)
        return 1
    except BuildStopped as error:
        stop_children()  # the HTML build's process too, if the signal came then
        print(
            f"Build stopped by {error}: every worker and kernel was stopped. The last good book was left "
            "in place; the next build starts where this one stopped.",
            file=sys.stderr,
        )
        return 128 + signal.Signals[str(error)].value
    except OSError as error:  # a full disk, a read-only or missing folder, a file another program holds
        where = f": {error.filename}" if error.filename else ""
        reason = error.strerror or str(error)
        print(f"Build failed. The last good book was left in place.\n{reason}{where}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
