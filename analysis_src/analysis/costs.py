"""Cost-consequence analysis from a public-sector perspective, as the protocol plans.

Costs are disaggregated (intervention spending from the transactions; staff time as
explicit assumptions; other social care costs as outcomes times unit costs) and all are
inflated to one price year. Consequences are listed separately, never added into one
number. The break-even point is the number of care entries (or weeks in care) avoided
that would pay for the intervention; a one-way sensitivity analysis varies each unit
cost and assumption across its stated range.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import altair as alt
import pandas as pd
import yaml

from analysis_src.disclosure import protect_table
from analysis_src.paths import CONFIG_DIR

COSTS_PATH = CONFIG_DIR / "unit_costs.yml"
# Monthly-return indicators valued by a unit cost (days in care by the blended weekly cost / 7).
VALUED_INDICATORS = {
    "s47_enquiries": "s47_enquiry",
    "cp_plans_started": "cp_plan",
    "plo_starts": "plo_start",
    "care_proceedings_started": "care_proceedings",
}


@dataclass(frozen=True)
class UnitCosts:
    """Unit costs in the price year; ``values`` maps parameter name to its inflated value."""

    price_year: str
    values: dict[str, float]
    documentation: dict[str, dict]

    def with_value(self, name: str, value: float) -> UnitCosts:
        """A copy with one parameter changed (for the sensitivity analysis)."""
        return replace(self, values={**self.values, name: value})


def _year(price_year: str) -> int:
    return int(str(price_year)[:4])


def _inflate(value: float, from_year: str | None, to_year: str, rate: float) -> float:
    if from_year is None:
        return value
    return value * (1 + rate) ** (_year(to_year) - _year(from_year))


@cache
def load_unit_costs(path: Path = COSTS_PATH) -> UnitCosts:
    """Read the unit costs, check each has a source, and inflate money values to the price year.

    Raises
    ------
    ValueError
        If a parameter lacks a value, source or range, or its base value lies outside the range.
    """
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    year, rate = document["price_year"], document["inflation"]["annual_rate"]
    values, docs = {}, {}
    for name, spec in document["parameters"].items():
        for key in ("label", "value", "low", "high", "unit", "source", "assumption"):
            if key not in spec:
                raise ValueError(f"{path}: parameter {name!r} has no {key!r}")
        if not spec["low"] <= spec["value"] <= spec["high"]:
            raise ValueError(f"{path}: parameter {name!r}: value outside its low-high range")
        factor = _inflate(1.0, spec.get("price_year"), year, rate) if spec["unit"] == "GBP" else 1.0
        values[name] = spec["value"] * factor
        docs[name] = spec | {
            "inflated": spec["value"] * factor,
            "low_inflated": spec["low"] * factor,
            "high_inflated": spec["high"] * factor,
        }
    return UnitCosts(price_year=year, values=values, documentation=docs)


def weekly_care_cost(costs: UnitCosts) -> float:
    """Blended cost of a week in care: foster and residential by the assumed share."""
    share = costs.values["share_residential"]
    return (1 - share) * costs.values["foster_care_week"] + share * costs.values["residential_week"]


def cost_figures(figures: dict[str, float], costs: UnitCosts | None = None) -> dict[str, float]:
    """Costs of the intervention, per family, and the break-even point, from a pilot's ledger figures.

    Parameters
    ----------
    figures
        The pilot's ledger figures (spending, families, transactions above the threshold).
    costs
        Unit costs in the price year; by default those of ``unit_costs.yml``.
    """
    costs = costs or load_unit_costs()
    v = costs.values
    staff = figures["feasibility.families_reached"] * v["staff_hours_per_family"] * v["social_worker_hour"]
    approvals = (
        figures.get("spend.above_threshold_transactions", 0) * v["manager_hours_per_approval"] * v["social_worker_hour"]
    )
    total = figures["spend.total_gbp"] + staff + approvals
    per_entry = weekly_care_cost(costs) * v["care_weeks_per_entry"]
    return {
        "cca.intervention_spend_gbp": figures["spend.total_gbp"],
        "cca.staff_time_gbp": staff + approvals,
        "cca.total_cost_gbp": total,
        "cca.cost_per_family_gbp": total / figures["families.actual"],
        "cca.cost_per_family_reached_gbp": total / figures["feasibility.families_reached"],
        "cca.cost_per_care_entry_gbp": per_entry,
        "cca.break_even_care_entries": total / per_entry,
        "cca.break_even_care_weeks": total / weekly_care_cost(costs),
    }


def cost_table(figures: dict[str, float]) -> pd.DataFrame:
    """The disaggregated costs of the intervention."""
    rows = [
        ("Devolved-budget spending (transactions)", figures["cca.intervention_spend_gbp"], "data"),
        ("Staff time to plan, agree and approve spending", figures["cca.staff_time_gbp"], "assumption"),
        ("Total cost of the intervention", figures["cca.total_cost_gbp"], ""),
        ("Cost per family reported", figures["cca.cost_per_family_gbp"], ""),
        ("Cost per family reached", figures["cca.cost_per_family_reached_gbp"], ""),
    ]
    return pd.DataFrame(
        {"Cost (£)": [f"{value:,.0f}" for _, value, _ in rows], "Basis": [basis for *_, basis in rows]},
        index=[label for label, *_ in rows],
    )


def other_costs_table(period_totals: pd.DataFrame, costs: UnitCosts | None = None) -> pd.DataFrame:
    """Other social care costs: each valued outcome's count times its unit cost, pre-period and pilot.

    Parameters
    ----------
    period_totals
        Indexed by indicator, columns ``pre`` and ``pilot`` (counts; days for ``days_in_care``).
    costs
        Unit costs in the price year; by default those of ``unit_costs.yml``.
    """
    costs = costs or load_unit_costs()
    rows = []
    for indicator, parameter in {**VALUED_INDICATORS, "days_in_care": None}.items():
        unit = weekly_care_cost(costs) / 7 if parameter is None else costs.values[parameter]
        label = (
            "Days in care (blended weekly cost / 7)" if parameter is None else costs.documentation[parameter]["label"]
        )
        pre, pilot = period_totals.loc[indicator, "pre"], period_totals.loc[indicator, "pilot"]
        rows.append(
            {
                "Outcome": label,
                "Unit cost (£)": unit,
                "pre": pre,
                "pilot": pilot,
                "Pre-period cost (£)": pre * unit,
                "Pilot cost (£)": pilot * unit,
            }
        )
    frame = pd.DataFrame(rows).set_index("Outcome").rename_axis(None)
    # A cost computed from 1 to 5 children would reveal the count (the unit cost is shown).
    shown = protect_table(
        frame,
        counts=["pre", "pilot"],
        derived={"Pre-period cost (£)": "pre", "Pilot cost (£)": "pilot"},
        formats=dict.fromkeys(frame.columns, "{:,.0f}"),
        where="Cost-consequence table",
    )
    return shown.drop(columns=["pre", "pilot"])


def period_totals(prepared: pd.DataFrame) -> pd.DataFrame:
    """Totals per indicator in the pre-period of the pilot's length (``after`` = 0) and the pilot (1)."""
    indicators = [*VALUED_INDICATORS, "days_in_care"]
    compared = prepared[prepared["compared"]] if "compared" in prepared else prepared
    totals = compared.groupby("after")[indicators].sum().T
    return totals.rename(columns={0: "pre", 1: "pilot"})


def sensitivity(
    figures: dict[str, float], costs: UnitCosts | None = None, output: str = "cca.break_even_care_entries"
) -> pd.DataFrame:
    """One-way sensitivity: ``output`` with each parameter at its low and high value, others at base."""
    costs = costs or load_unit_costs()
    base = cost_figures(figures, costs)[output]
    rows = []
    for name, doc in costs.documentation.items():
        low = cost_figures(figures, costs.with_value(name, doc["low_inflated"]))[output]
        high = cost_figures(figures, costs.with_value(name, doc["high_inflated"]))[output]
        if abs(high - low) > 1e-9:
            rows.append(
                {
                    "parameter": doc["label"],
                    "low": round(min(low, high), 4),
                    "high": round(max(low, high), 4),
                    "base": round(base, 4),
                }
            )
    return pd.DataFrame(rows).assign(width=lambda f: f["high"] - f["low"]).sort_values("width", ascending=False)


def tornado_chart(data: pd.DataFrame, pilot_name: str) -> alt.LayerChart:
    """Tornado chart of the break-even number of care entries across each parameter's range."""
    order = list(data["parameter"])
    bars = (
        alt.Chart(data, title=f"{pilot_name}: break-even care entries, one parameter at a time", width=420)
        .mark_bar(color="#56B4E9")
        .encode(
            y=alt.Y("parameter:N", sort=order, title=None),
            x=alt.X("low:Q", title="Care entries avoided to break even"),
            x2="high:Q",
            tooltip=["parameter:N", alt.Tooltip("low:Q", format=".1f"), alt.Tooltip("high:Q", format=".1f")],
        )
    )
    rule = alt.Chart(data.head(1)).mark_rule(color="#000000", aria=False).encode(x="base:Q")
    return alt.layer(bars, rule)


def unit_cost_table(costs: UnitCosts | None = None) -> pd.DataFrame:
    """Every unit cost and assumption: value in the price year, range, source and price year."""
    costs = costs or load_unit_costs()
    rows = []
    for doc in costs.documentation.values():
        money = doc["unit"] == "GBP"
        fmt = "£{:,.0f}" if money else "{:,.2f}"
        rows.append(
            {
                "Parameter": doc["label"],
                f"Value ({costs.price_year} prices)": fmt.format(doc["inflated"]),
                "Range varied": f"{fmt.format(doc['low_inflated'])} to {fmt.format(doc['high_inflated'])}",
                "Source": doc["source"],
                "Price year of source": doc.get("price_year", "z"),
                "Assumption": "yes" if doc["assumption"] else "no",
            }
        )
    return pd.DataFrame(rows).set_index("Parameter").rename_axis(None)
