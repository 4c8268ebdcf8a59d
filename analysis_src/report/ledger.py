"""The results ledger: headline figures written to JSON by the computation that prints them.

Each chapter passes its figures, a flat ``{"dotted.key": number}`` mapping, to
:func:`publish`, which checks every key against ``ledger_keys.yml`` and glues each
figure into the notebook so that prose quotes it with MyST-NB's ``{glue:text}``
role. The build then collects (:func:`harvest`) the glued figures of the executed notebook
into ``book/results/<slug>.json``: the ledger is exactly what the book printed.
"""

from __future__ import annotations

import ast
import json
import math
import numbers
import re
from functools import cache
from pathlib import Path

import yaml

from analysis_src.paths import CONFIG_DIR

KEYS_PATH = CONFIG_DIR / "ledger_keys.yml"


class LedgerError(ValueError):
    """A figure is undocumented or not a finite number."""


@cache
def documented_keys() -> dict[str, dict[str, dict]]:
    """Return ``{"pilot" | "synthesis": {key pattern: {unit, description}}}``."""
    return yaml.safe_load(KEYS_PATH.read_text(encoding="utf-8"))


def _pattern(key: str) -> re.Pattern:
    parts = [re.escape(part) for part in re.split(r"<[a-z_]+>", key)]
    return re.compile("^" + "[a-z0-9_]+".join(parts) + "$")


def describe(key: str, scope: str = "pilot") -> dict:
    """Return the documentation of ``key``, or raise LedgerError if it has none."""
    for pattern, doc in documented_keys()[scope].items():
        if _pattern(pattern).match(key):
            return doc
    raise LedgerError(f"ledger key {key!r} is not documented in {KEYS_PATH.name} ({scope})")


def _clean(key: str, value: object) -> int | float:
    if isinstance(value, bool):
        return int(value)
    if not isinstance(value, numbers.Real):
        raise LedgerError(f"ledger key {key!r}: {value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise LedgerError(f"ledger key {key!r}: {value!r} is not finite")
    if number.is_integer() and abs(number) < 2**53:
        return int(number)
    return float(f"{number:.10g}")  # stable text across platforms


def check_figures(figures: dict[str, object], scope: str = "pilot") -> dict[str, int | float]:
    """Check every key is documented and every value a finite number; return them sorted and cleaned.

    Raises
    ------
    LedgerError
        If a key is undocumented or a value is not a finite number.
    """
    cleaned = {}
    for key in sorted(figures):
        describe(key, scope)
        cleaned[key] = _clean(key, figures[key])
    return cleaned


TEXT_PREFIX = "text."
LEDGER_PREFIX = "ledger."
# Units that count people: their figures reach the prose through disclosure control.
PEOPLE_UNITS = {"families", "people", "workers", "children"}


def is_people_count(key: str, scope: str = "pilot") -> bool:
    """True when a documented key counts people (its prose value is suppressed from 1 to 5)."""
    return describe(key, scope)["unit"] in PEOPLE_UNITS


def publish(figures: dict[str, object], scope: str = "pilot", texts: dict[str, str] | None = None) -> dict:
    """Check the figures and glue each one into the notebook, for the prose and the ledger.

    Each figure is glued twice: its exact value under ``ledger.<key>``, which the build
    harvests into the ledger file (:func:`harvest`) and no page displays, and its
    published value under ``<key>`` for the prose. A count of people is published through
    disclosure control, as formatted text (``c`` from 1 to 5): quote it with
    ``{glue:text}`` and no format specification.

    Parameters
    ----------
    figures
        ``{"dotted.key": number}``, each key documented in ``ledger_keys.yml``.
    scope
        ``"pilot"`` or ``"synthesis"``.
    texts
        Sentences computed from the figures (Markdown), glued as ``text.<name>`` for
        ``{glue:md}``; they are not part of the ledger.

    Returns
    -------
    dict
        The figures as glued (integers where whole, 10 significant digits otherwise).
    """
    from IPython.display import Markdown
    from myst_nb import glue

    from analysis_src.disclosure import show_count

    cleaned = check_figures(figures, scope)
    for key, value in cleaned.items():
        glue(LEDGER_PREFIX + key, value, display=False)
        glue(key, show_count(value) if is_people_count(key, scope) else value, display=False)
    for name, text in (texts or {}).items():
        glue(TEXT_PREFIX + name, Markdown(text), display=False)
    return cleaned


SUPPRESSIONS = "disclosure.suppressions"
SUPPRESSION_COLUMNS = ("page", "where", "row", "column", "rule")


def publish_suppressions() -> None:
    """Glue this notebook's suppression log (where and which rule, never a value) for the build to collect.

    Called by the last cell of every template, after every table and chart is made.
    """
    from myst_nb import glue

    from analysis_src.disclosure import log_json

    glue(SUPPRESSIONS, log_json(), display=False)


def harvest_suppressions(notebook: dict, page: str) -> list[dict[str, str]]:
    """The suppression log glued in an executed notebook, each entry with the page it belongs to."""
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            if output.get("metadata", {}).get("scrapbook", {}).get("name") == SUPPRESSIONS:
                text = next(value for mime, value in output["data"].items() if mime.endswith("text/plain"))
                return [{"page": page, **entry} for entry in json.loads(ast.literal_eval(text))]
    return []


def suppressions_text(entries: list[dict[str, str]]) -> str:
    """The suppression log as CSV (stable bytes for git)."""
    lines = [",".join(SUPPRESSION_COLUMNS)]
    for entry in entries:
        lines.append(",".join('"' + entry[c].replace('"', '""') + '"' for c in SUPPRESSION_COLUMNS))
    return "\n".join(lines) + "\n"


def harvest(notebook: dict, scope: str = "pilot") -> dict[str, int | float]:
    """Collect the figures glued in an executed notebook.

    Parameters
    ----------
    notebook
        The executed notebook (nbformat node or plain dict).
    scope
        ``"pilot"`` or ``"synthesis"``.

    Returns
    -------
    dict
        ``{"dotted.key": number}`` for every glued figure, checked against the documented keys.
    """
    figures = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is None or not name.startswith(LEDGER_PREFIX):
                continue
            text = next(value for mime, value in output["data"].items() if mime.endswith("text/plain"))
            figures[name.removeprefix(LEDGER_PREFIX)] = float(text) if any(c in text for c in ".eE") else int(text)
    return check_figures(figures, scope)


def ledger_text(figures: dict[str, int | float]) -> str:
    """Figures as a sorted, flat JSON object (stable bytes for git)."""
    return json.dumps(figures, indent=2, sort_keys=True) + "\n"


def write_ledger(figures: dict[str, int | float], path: str | Path) -> None:
    """Write figures as a sorted, flat JSON object (stable bytes for git)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ledger_text(figures), encoding="utf-8")


def read_ledger(path: str | Path) -> dict[str, int | float]:
    """Read a ledger file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
