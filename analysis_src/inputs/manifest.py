"""Load and validate the manifest of pilots (``pilots.yml``).

The manifest is the single list of authorities that drives the papermill runs,
the table of contents, the synthetic data generator and the synthesis chapter.
It is checked strictly when it loads: papermill only warns about unknown
parameters, so the project refuses bad configuration itself.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from analysis_src.paths import MANIFEST_PATH

THRESHOLD_BASES = ("per_item", "per_family", "not_stated")
_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# Text that the pages print (names, target groups, focus): words and plain punctuation only.
# Anything else could be markup where it lands (HTML, a MyST role or directive, a template
# substitution such as ${...} or {{...}}, a table's |, a link's [ ]), so it is refused here.
TEXT_KEYS = ("name", "target_group", "main_focus")
_PLAIN_TEXT = re.compile(r"[\w ,.'’()&/:;+–-]+")
_MAX_TEXT = 200


class ManifestError(ValueError):
    """The manifest breaks its contract; the message names the file and the key."""


@dataclass(frozen=True)
class Pilot:
    """One pilot authority, as described in the manifest.

    Attributes mirror the manifest keys; see ``pilots.yml`` for their sources.
    """

    name: str
    slug: str
    la_code: int
    target_group: str
    main_focus: str
    planned_families: int | None
    actual_families: int
    budget_per_family_gbp: float
    approval_threshold_gbp: float | None
    approval_threshold_basis: str
    pilot_start: str
    pilot_end: str
    randomised: bool

    @property
    def start_date(self) -> dt.date:
        """First day of the pilot's first month."""
        year, month = map(int, self.pilot_start.split("-"))
        return dt.date(year, month, 1)

    @property
    def end_date(self) -> dt.date:
        """Last day of the pilot's last month."""
        year, month = map(int, self.pilot_end.split("-"))
        first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
        return first_of_next - dt.timedelta(days=1)

    @property
    def months(self) -> int:
        """Number of calendar months in the pilot period."""
        start, end = self.start_date, self.end_date
        return (end.year - start.year) * 12 + end.month - start.month + 1

    @property
    def expected_spend_gbp(self) -> float:
        """Expected spend: actual families times the budget per family."""
        return self.actual_families * self.budget_per_family_gbp


# Allowed Python types for each key; ``None`` in the tuple means the value may be null.
_KEY_TYPES: dict[str, tuple] = {
    "name": (str,),
    "slug": (str,),
    "la_code": (int,),
    "target_group": (str,),
    "main_focus": (str,),
    "planned_families": (int, type(None)),
    "actual_families": (int,),
    "budget_per_family_gbp": (int, float),
    "approval_threshold_gbp": (int, float, type(None)),
    "approval_threshold_basis": (str,),
    "pilot_start": (str,),
    "pilot_end": (str,),
    "randomised": (bool,),
}
assert set(_KEY_TYPES) == {f.name for f in fields(Pilot)}


def _check_entry(entry: object, where: str) -> Pilot:
    if not isinstance(entry, dict):
        raise ManifestError(f"{where}: each pilot must be a mapping of keys to values")
    unknown = sorted(set(entry) - set(_KEY_TYPES))
    if unknown:
        raise ManifestError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(_KEY_TYPES)})")
    missing = [key for key in _KEY_TYPES if key not in entry]
    if missing:
        raise ManifestError(f"{where}: missing key {missing[0]!r}")
    values = dict(entry)
    for key in ("pilot_start", "pilot_end"):
        # YAML reads 2019-03 as a string, but a full date as a date: accept neither silently.
        if isinstance(values[key], dt.date):
            raise ManifestError(f"{where}: key {key!r} must be a month written YYYY-MM")
    for key, allowed in _KEY_TYPES.items():
        value = values[key]
        # bool is a subclass of int: a true/false must not pass as a number.
        wrong_bool = isinstance(value, bool) and bool not in allowed
        if wrong_bool or not isinstance(value, allowed):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in allowed)
            raise ManifestError(f"{where}: key {key!r} must be {names}, got {value!r}")
        if isinstance(value, str) and not value.strip():
            raise ManifestError(f"{where}: key {key!r} is empty")
    for key in TEXT_KEYS:
        text = values[key]
        if len(text) > _MAX_TEXT:
            raise ManifestError(f"{where}: key {key!r} is longer than {_MAX_TEXT} characters")
        if not _PLAIN_TEXT.fullmatch(text) or "_" in text:
            bad = next(ch for ch in text if not _PLAIN_TEXT.fullmatch(ch) or ch == "_")
            raise ManifestError(
                f"{where}: key {key!r} may hold only letters, digits, spaces and , . ' ( ) & / : ; + - "
                f"(it is printed on the pages, where other characters can be markup); found {bad!r}"
            )
    if not _SLUG.match(values["slug"]):
        raise ManifestError(f"{where}: key 'slug' must be lower-case letters, digits or _")
    for key in ("pilot_start", "pilot_end"):
        if not _MONTH.match(values[key]):
            raise ManifestError(f"{where}: key {key!r} must be a month written YYYY-MM")
    if values["pilot_end"] < values["pilot_start"]:
        raise ManifestError(f"{where}: key 'pilot_end' is before 'pilot_start'")
    for key in ("planned_families", "actual_families", "budget_per_family_gbp", "la_code"):
        if values[key] is not None and values[key] <= 0:
            raise ManifestError(f"{where}: key {key!r} must be positive")
    basis = values["approval_threshold_basis"]
    if basis not in THRESHOLD_BASES:
        raise ManifestError(f"{where}: key 'approval_threshold_basis' must be one of {THRESHOLD_BASES}")
    if (values["approval_threshold_gbp"] is None) != (basis == "not_stated"):
        raise ManifestError(
            f"{where}: key 'approval_threshold_gbp' must be null exactly when 'approval_threshold_basis' is not_stated"
        )
    return Pilot(**values)


def load_manifest(path: str | Path = MANIFEST_PATH) -> list[Pilot]:
    """Read and validate the manifest.

    Parameters
    ----------
    path
        The YAML manifest; by default ``pilots.yml`` at the project root.

    Returns
    -------
    list of Pilot
        The pilots in manifest order.

    Raises
    ------
    ManifestError
        If the file is missing or any key is unknown, missing, of the wrong type,
        or out of range, or if two pilots share a slug or LA code.
    """
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"{path}: manifest not found")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ManifestError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(document, dict) or set(document) != {"pilots"}:
        raise ManifestError(f"{path}: the manifest must have exactly one top-level key, 'pilots'")
    entries = document["pilots"]
    if not isinstance(entries, list) or not entries:
        raise ManifestError(f"{path}: key 'pilots' must be a non-empty list")
    pilots = [_check_entry(entry, f"{path}: pilots[{i}]") for i, entry in enumerate(entries)]
    for key in ("slug", "la_code"):
        seen = [getattr(p, key) for p in pilots]
        dupes = sorted({str(v) for v in seen if seen.count(v) > 1})
        if dupes:
            raise ManifestError(f"{path}: key {key!r} repeats the value {dupes[0]}")
    return pilots


def pilot_by_slug(pilots: list[Pilot], slug: str) -> Pilot:
    """Return the pilot with ``slug`` or raise a ManifestError naming the slug."""
    for pilot in pilots:
        if pilot.slug == slug:
            return pilot
    raise ManifestError(f"unknown pilot slug {slug!r} (manifest has: {', '.join(p.slug for p in pilots)})")


def manifest_text(pilots: list[Pilot]) -> str:
    """The YAML text of a manifest holding ``pilots`` (read back by :func:`load_manifest`)."""
    entries = [{f.name: getattr(pilot, f.name) for f in fields(Pilot)} for pilot in pilots]
    return yaml.safe_dump({"pilots": entries}, sort_keys=False, allow_unicode=True)
