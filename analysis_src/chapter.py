"""What a chapter notebook needs: its pilot, its validated data, and tables to show.

Each notebook cell makes one call into this package; this module gathers the
manifest entry and the authority's validated tables once, at the top of the chapter.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis_src.contracts import Tables, load_tables
from analysis_src.manifest import Pilot, load_manifest, pilot_by_slug
from analysis_src.paths import MANIFEST_PATH, resolve


@dataclass(frozen=True)
class Chapter:
    """One pilot chapter: the manifest entry and that authority's tables."""

    pilot: Pilot
    tables: Tables


def load_chapter(slug: str, data_dir: str, manifest: str = str(MANIFEST_PATH)) -> Chapter:
    """Load and validate the manifest and data, and keep the rows of one authority.

    Parameters
    ----------
    slug
        The pilot's slug in the manifest.
    data_dir
        Folder of input tables, relative to the project root or absolute.
    manifest
        Path of the manifest.

    Raises
    ------
    ManifestError, DataValidationError
        If the manifest or the data break their contracts.
    """
    pilots = load_manifest(resolve(manifest))
    pilot = pilot_by_slug(pilots, slug)
    tables = load_tables(resolve(data_dir), pilots)
    return Chapter(pilot=pilot, tables=tables.for_authority(pilot.la_code))


def _money(value: float | None) -> str:
    return "not stated" if value is None else f"£{value:,.0f}"


def profile_table(pilot: Pilot) -> pd.DataFrame:
    """The pilot's profile from the manifest, as a two-column table for display."""
    basis = {"per_item": " per item", "per_family": " per family", "not_stated": ""}[pilot.approval_threshold_basis]
    rows = [
        ("Local authority", pilot.name),
        ("Target group", pilot.target_group),
        ("Main focus", pilot.main_focus),
        ("Families planned", f"{pilot.planned_families:,}"),
        ("Families reported as receiving a budget", f"{pilot.actual_families:,}"),
        ("Expected budget per family", _money(pilot.budget_per_family_gbp)),
        ("Manager approval needed above", _money(pilot.approval_threshold_gbp) + basis),
        ("Pilot period", f"{pilot.start_date:%B %Y} to {pilot.end_date:%B %Y}"),
        ("Allocation randomised", "yes" if pilot.randomised else "no"),
    ]
    return pd.DataFrame(rows, columns=["Item", "Value"]).set_index("Item").rename_axis(None)
