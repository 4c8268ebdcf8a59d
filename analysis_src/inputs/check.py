"""Check a folder of input tables against the contract without building the book.

``make check DATA=folder`` (``python -m analysis_src.inputs.check --data folder``)
reads every table (CSV or Excel), applies the documented normalisations and
lists each one, then lists **every** problem in every file at once, each with
its file, sheet, row, column and rule. Exit code 0 when the folder can be
built, 2 when it cannot. Nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis_src.config import protocol
from analysis_src.config.protocol import ProtocolError
from analysis_src.inputs.contracts import DataValidationError, authorities_with_data, read_tables
from analysis_src.inputs.manifest import ManifestError, load_manifest
from analysis_src.paths import MANIFEST_PATH, SYNTHETIC_DATA_DIR


def check_folder(data_dir: Path, manifest: Path | None = None, drop_unknown_columns: bool = False) -> list[str]:
    """Check ``data_dir``; return the report lines (normalisations, then a summary).

    Raises
    ------
    ProtocolError, ManifestError, DataValidationError
        When the protocol's numbers, the manifest or the data break their contracts (every problem listed).
    """
    protocol.current()
    if manifest is None:
        manifest = data_dir / "pilots.yml" if (data_dir / "pilots.yml").is_file() else MANIFEST_PATH
    pilots = load_manifest(manifest)
    present = authorities_with_data(data_dir, pilots)
    tables, notes = read_tables(data_dir, present, drop_unknown_columns=drop_unknown_columns)
    lines = [f"Manifest {manifest}: {len(pilots)} pilot(s); with data in {data_dir}: "]
    lines[0] += ", ".join(f"{p.name} ({p.la_code})" for p in present)
    lines += [f"  {'' if note.action.startswith('warning') else 'normalised: '}{note}" for note in notes]
    rows = {name: len(frame) for name, frame in vars(tables).items() if frame is not None}
    lines.append("OK: every table meets the contract (" + ", ".join(f"{n} {k} rows" for k, n in rows.items()) + ").")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Command line: exit 0 when the folder can be built, 2 when it cannot."""
    parser = argparse.ArgumentParser(description="Check a data folder against the contract (nothing is written).")
    parser.add_argument("--data", type=Path, default=SYNTHETIC_DATA_DIR, help="folder of input tables")
    parser.add_argument("--manifest", type=Path, help="manifest (default: DATA/pilots.yml or pilots.yml)")
    parser.add_argument("--drop-unknown-columns", action="store_true", help="drop columns not in the dictionary")
    args = parser.parse_args(argv)
    try:
        lines = check_folder(args.data, args.manifest, args.drop_unknown_columns)
    except (ProtocolError, ManifestError, DataValidationError) as error:
        print(f"Check failed: the folder cannot be built as it is.\n{error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
