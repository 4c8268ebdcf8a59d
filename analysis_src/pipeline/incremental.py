"""Content hashes that decide which notebooks a rebuild must execute again.

An executed notebook records, in its metadata, the hash of everything it was
computed from. A rebuild re-executes a notebook only when that hash changes:

* a pilot chapter (and its trial page) depends on the code a notebook can
  import (:data:`NOTEBOOK_SOURCES`: the package's ``config``, ``inputs``,
  ``analysis`` and ``report`` layers with the templates, less the gate and the
  Sphinx extension), the lock file, the Python minor version, that authority's
  manifest entry, the notebook parameters and **that authority's rows** of
  every input table;
* the synthesis and the logic model depend on the same code and on every
  authority's hash, so they are recomputed whenever any authority changes.

Hashing the authority's validated rows, not the files, means that a change to
one authority's rows in a shared ``transactions.csv`` re-runs that authority only.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import asdict
from pathlib import Path

from analysis_src.inputs.contracts import Tables
from analysis_src.inputs.manifest import Pilot
from analysis_src.paths import PROJECT_ROOT

SOURCE_DIR = PROJECT_ROOT / "analysis_src"
LOCK_PATH = PROJECT_ROOT / "requirements.lock"
# What an executed notebook can depend on, relative to the package: the layers it imports
# and the templates. The pipeline and the tools run notebooks but cannot change their outputs.
NOTEBOOK_SOURCES = ("__init__.py", "paths.py", "disclosure", "config", "inputs", "analysis", "report")
# Parts of those layers that work on the built HTML, never inside a notebook.
NOT_NOTEBOOK_SOURCES = ("report/gate.py", "report/sphinx_ext.py")
# The code a notebook's outputs can depend on: modules, rule files and templates (notebooks, Markdown).
_SOURCE_SUFFIXES = {".py", ".yml", ".ipynb", ".md"}
METADATA_KEY = "devolved_budgets"


def _sha256(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def notebook_source_files(source_dir: Path = SOURCE_DIR) -> list[Path]:
    """The files under ``source_dir`` that an executed notebook can depend on, in path order.

    Only :data:`NOTEBOOK_SOURCES` count, less :data:`NOT_NOTEBOOK_SOURCES`;
    caches such as ``__pycache__`` are ignored.
    """
    files = []
    for name in NOTEBOOK_SOURCES:
        root = source_dir / name
        candidates = [root] if root.is_file() else sorted(root.rglob("*"))
        files += [
            path
            for path in candidates
            if path.is_file()
            and path.suffix in _SOURCE_SUFFIXES
            and "__pycache__" not in path.parts
            and path.relative_to(source_dir).as_posix() not in NOT_NOTEBOOK_SOURCES
        ]
    return sorted(files)


def code_hash(source_dir: Path = SOURCE_DIR, lock: Path = LOCK_PATH) -> str:
    """Hash of the code notebooks can depend on, the lock file and the Python minor version.

    Files are taken in path order, by relative name and bytes (see :func:`notebook_source_files`).
    """
    parts = [platform.python_version_tuple()[0].encode(), platform.python_version_tuple()[1].encode()]
    for path in notebook_source_files(source_dir):
        parts += [path.relative_to(source_dir).as_posix().encode(), path.read_bytes()]
    parts.append(lock.read_bytes() if lock.is_file() else b"")
    return _sha256(*parts)


def rows_hash(tables: Tables) -> str:
    """Hash of the typed rows of every table, in file order (absent tables count as empty)."""
    parts = []
    for name, frame in sorted(vars(tables).items()):
        text = b"" if frame is None else frame.to_csv(index=False, lineterminator="\n").encode()
        parts += [name.encode(), text]
    return _sha256(*parts)


def authority_hash(code: str, pilot: Pilot, tables: Tables, parameters: dict) -> str:
    """The inputs of one authority's chapter (and trial page), as one hash.

    Parameters
    ----------
    code
        :func:`code_hash` of this build.
    pilot
        The authority's manifest entry.
    tables
        The validated tables of **all** authorities; only this authority's rows count.
    parameters
        The notebook parameters (they are recorded in the executed notebook).
    """
    entry = json.dumps(asdict(pilot), sort_keys=True, default=str).encode()
    return _sha256(
        b"authority",
        code.encode(),
        entry,
        json.dumps(parameters, sort_keys=True).encode(),
        rows_hash(tables.for_authority(pilot.la_code)).encode(),
    )


def programme_hash(code: str, pilots: list[Pilot], authority_hashes: dict[str, str], parameters: dict) -> str:
    """The inputs of the synthesis and the logic model: every authority, in manifest order."""
    parts = [b"programme", code.encode(), json.dumps(parameters, sort_keys=True).encode()]
    for pilot in pilots:
        parts += [pilot.slug.encode(), authority_hashes[pilot.slug].encode()]
    return _sha256(*parts)


def recorded_hash(path: Path) -> str | None:
    """The input hash recorded in an executed notebook, or ``None`` when absent or unreadable."""
    if not path.is_file():
        return None
    try:
        metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError):
        return None
    return metadata.get(METADATA_KEY, {}).get("inputs_sha256")


def is_current(paths: list[Path], value: str) -> bool:
    """Whether every notebook in ``paths`` exists and records the input hash ``value``."""
    return all(recorded_hash(path) == value for path in paths)
