"""The synthesis chapter: the pilots side by side, from the manifest and the data."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis_src.contracts import Tables, load_tables
from analysis_src.manifest import Pilot, load_manifest
from analysis_src.paths import MANIFEST_PATH, resolve
from analysis_src.spend import spend_summary


def figure_a(pilots: list[Pilot], tables: Tables) -> pd.DataFrame:
    """Regenerate the report's Figure A, the summary of each pilot.

    The published columns come from the manifest; the number of families is
    shown both as reported and as counted in the spend log, so that a reader
    can see whether the data reproduce the published figure.
    """
    rows = []
    for pilot in pilots:
        counted = tables.transactions.loc[tables.transactions["la_code"] == pilot.la_code, "family_id"].nunique()
        rows.append(
            {
                "Pilot authority": pilot.name,
                "Target group": pilot.target_group,
                "Number of families (reported)": pilot.actual_families,
                "Families with spending (data)": int(counted),
                "Main focus": pilot.main_focus,
                "Expected budget per family": f"£{pilot.budget_per_family_gbp:,.0f}",
            }
        )
    return pd.DataFrame(rows).set_index("Pilot authority").rename_axis(None)


def synthesis_figures(pilots: list[Pilot], tables: Tables) -> dict[str, float]:
    """Programme-level ledger figures: sums over pilots of the chapter figures."""
    per_pilot = [spend_summary(p, tables.for_authority(p.la_code).transactions) for p in pilots]
    totals = {
        key: sum(figures[key] for figures in per_pilot)
        for key in (
            "families.actual",
            "families.with_spend",
            "spend.transactions",
            "spend.total_gbp",
            "spend.expected_total_gbp",
        )
    }
    totals["spend.share_of_expected"] = totals["spend.total_gbp"] / totals["spend.expected_total_gbp"]
    totals["pilots"] = len(pilots)
    return totals


@dataclass(frozen=True)
class Synthesis:
    """Everything the synthesis chapter needs: the manifest and all validated tables."""

    pilots: list[Pilot]
    tables: Tables


def load_synthesis(data_dir: str, manifest: str = str(MANIFEST_PATH)) -> Synthesis:
    """Load and validate the manifest and every authority's data."""
    pilots = load_manifest(resolve(manifest))
    return Synthesis(pilots=pilots, tables=load_tables(resolve(data_dir), pilots))
