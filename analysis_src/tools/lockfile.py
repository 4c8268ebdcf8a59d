"""Keep ``environment.yml`` in step with ``requirements.lock``, the one source of truth.

The lock pins every package with its hashes (written by ``make lock``). Conda
users get the same pins through the ``pip:`` section of ``environment.yml``,
generated here from the lock. This module uses the standard library only, so
that it runs before the project's environment exists.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK_PATH = ROOT / "requirements.lock"
ENVIRONMENT_PATH = ROOT / "environment.yml"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def pins_from_lock(lock_text: str) -> dict[str, str]:
    """Return ``{package: version}`` for every ``name==version`` line of a lock file."""
    pins = {}
    for line in lock_text.splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def environment_yaml(lock_text: str) -> str:
    """Render ``environment.yml`` for conda from the lock's pins."""
    lines = [
        "# Generated from requirements.lock by `make lock`: do not edit by hand.",
        "name: devolved-budgets",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
    ]
    lines += [f"      - {name}=={version}" for name, version in sorted(pins_from_lock(lock_text).items())]
    lines.append("      - -e .")
    return "\n".join(lines) + "\n"


def write_environment_yml(lock_path: Path = LOCK_PATH, out_path: Path = ENVIRONMENT_PATH) -> None:
    """Write ``environment.yml`` from the lock."""
    out_path.write_text(environment_yaml(lock_path.read_text(encoding="utf-8")), encoding="utf-8")
