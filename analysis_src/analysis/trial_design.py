"""Size of a future trial: minimum detectable effect sizes (Bloom 1995, 2005), individual and cluster.

MDES = M * sqrt(1 / (P (1 - P) n))                                  individually randomised
MDES = M * sqrt(ICC / (P (1 - P) J) + (1 - ICC) / (P (1 - P) J m))   clusters (J of m families)

with M = t(1 - alpha/2, df) + t(power, df), df = n - 2 (individual) or J - 2 (clusters),
P the share allocated to the intervention. Effects are standardised (Hedges' g scale).
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
from scipy import stats

from analysis_src.config import protocol
from analysis_src.config.protocol import number


def target_effect() -> float:
    """The effect a future trial is sized to detect: the top of the protocol's band of promise."""
    return protocol.current().promise.high


def multiplier(df: float, alpha: float | None = None, power: float | None = None) -> float:
    """Bloom's multiplier M for a two-sided test with ``df`` degrees of freedom (``protocol.yml``'s alpha and power)."""
    design = protocol.current().trial_design
    alpha = design.alpha if alpha is None else alpha
    power = design.power if power is None else power
    return float(stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df))


def mdes_individual(n: int, share_treated: float = 0.5) -> float:
    """MDES of an individually randomised trial of ``n`` families."""
    return multiplier(n - 2) * math.sqrt(1 / (share_treated * (1 - share_treated) * n))


def mdes_cluster(clusters: int, per_cluster: float, icc: float, share_treated: float = 0.5) -> float:
    """MDES of a trial randomising ``clusters`` clusters (authorities or teams) of ``per_cluster`` families."""
    p = share_treated * (1 - share_treated)
    variance = icc / (p * clusters) + (1 - icc) / (p * clusters * per_cluster)
    return multiplier(clusters - 2) * math.sqrt(variance)


def families_for_effect(effect: float | None = None, share_treated: float = 0.5, design_effect: float = 1.0) -> int:
    """Families an individually randomised trial needs to detect ``effect`` (times a design effect).

    ``effect`` defaults to :func:`target_effect`.
    """
    effect = target_effect() if effect is None else effect
    n = 10
    while mdes_individual(n, share_treated) > effect:
        n = math.ceil(n * 1.05) if mdes_individual(n, share_treated) > effect * 1.2 else n + 1
    return math.ceil(n * design_effect)


def design_effect(per_cluster: float, icc: float) -> float:
    """Design effect of clustering: 1 + (m - 1) ICC."""
    return 1 + (per_cluster - 1) * icc


def design_figures(
    families_per_authority: float,
    icc: float,
    authorities: int,
    workers: int,
    families: int,
    icc_high: float | None = None,
) -> dict:
    """Ledger figures for a future trial, from the pilot's sizes and ICC (and the upper limit of its interval)."""
    per_worker = families / max(workers, 1)
    figures = {
        "trial_design.mdes_individual": mdes_individual(families),
        "trial_design.families_for_effect_0_2": families_for_effect(
            target_effect(), 0.5, design_effect(per_worker, icc)
        ),
        "trial_design.icc_used": icc,
        # The pilot's ICC is imprecise (often at the boundary): the size is also given at the assumed ICCs.
        **{
            f"trial_design.families_for_effect_at_icc.{_icc_key(assumed)}": families_for_effect(
                target_effect(), 0.5, design_effect(per_worker, assumed)
            )
            for assumed in protocol.current().trial_design.assumed_iccs
        },
        "trial_design.families_per_authority": families_per_authority,
    }
    if icc_high is not None and not math.isnan(icc_high):
        figures["trial_design.icc_upper"] = icc_high
        figures["trial_design.families_for_effect_at_icc_upper"] = families_for_effect(
            target_effect(), 0.5, design_effect(per_worker, icc_high)
        )
    # t has J - 2 degrees of freedom: no test with fewer than 3 clusters (protocol.yml may ask for more).
    if authorities >= protocol.current().trial_design.min_clusters:
        figures["trial_design.mdes_cluster"] = mdes_cluster(authorities, families_per_authority, icc)
    return figures


def _icc_key(icc: float) -> str:
    """A ledger-key part for an ICC: 0.05 -> ``0_05``."""
    return f"{icc:.2f}".replace(".", "_")


def sizing_range_text(figures: dict[str, float]) -> str:
    """The trial size at each assumed ICC beside the headline's, so the reader sees how much it rests on the ICC."""
    sizes = [
        f"about {figures[f'trial_design.families_for_effect_at_icc.{_icc_key(icc)}']:,.0f} families at an ICC of "
        f"{icc:.2f}"
        for icc in protocol.current().trial_design.assumed_iccs
    ]
    if "trial_design.families_for_effect_at_icc_upper" in figures:
        sizes.append(
            f"about {figures['trial_design.families_for_effect_at_icc_upper']:,.0f} families at the upper limit of "
            f"the pilot's interval, {figures['trial_design.icc_upper']:.2f}"
        )
    listed = ", ".join(sizes[:-1]) + " and " + sizes[-1] if len(sizes) > 1 else sizes[0]
    return (
        f"The headline uses the ICC of {figures['trial_design.icc_used']:.3f}; over a plausible range the same trial "
        f"would need {listed}."
    )


def cluster_text(figures: dict[str, float], authorities: int) -> str:
    """The sentence on randomising authorities, judged against the target effect from the figures."""
    if "trial_design.mdes_cluster" not in figures:
        noun = "authority" if authorities == 1 else "authorities"
        return (
            f"Randomising authorities instead cannot be assessed from {authorities} {noun}: a trial that randomises "
            f"clusters needs at least {protocol.current().trial_design.min_clusters} of them."
        )
    mdes = figures["trial_design.mdes_cluster"]
    verdict = "larger" if mdes > target_effect() else "no larger"
    return (
        f"Randomising authorities instead, with as many authorities as there were pilots ({authorities}) and "
        f"{figures['trial_design.families_per_authority']:,.0f} families each, the minimum detectable effect would be "
        f"{mdes:.2f}, {verdict} than an effect of {number(target_effect())}."
    )


def mdes_by_authorities(families_per_authority: float, iccs: dict[str, float], counts=range(4, 61, 2)) -> pd.DataFrame:
    """MDES of a cluster trial by number of authorities, for each ICC scenario."""
    rows = [
        {"authorities": j, "scenario": label, "mdes": round(mdes_cluster(j, families_per_authority, icc), 4)}
        for label, icc in iccs.items()
        for j in counts
    ]
    return pd.DataFrame(rows)


def mdes_chart(data: pd.DataFrame) -> alt.LayerChart:
    """Lines of MDES against the number of authorities, with the protocol's target effect marked."""
    lines = (
        alt.Chart(data, title="Minimum detectable effect size by number of authorities randomised", width=520)
        .mark_line()
        .encode(
            x=alt.X("authorities:Q", title="Authorities randomised"),
            y=alt.Y("mdes:Q", title="MDES (standardised)", scale=alt.Scale(domain=[0, 1.5], clamp=True)),
            color=alt.Color("scenario:N", title="ICC"),
            tooltip=["authorities:Q", "scenario:N", alt.Tooltip("mdes:Q", format=".2f")],
        )
    )
    rule = alt.Chart(pd.DataFrame({"y": [target_effect()]})).mark_rule(strokeDash=[4, 4], aria=False).encode(y="y:Q")
    return alt.layer(lines, rule)


def mdes_scenarios(design: dict[str, float]) -> pd.DataFrame:
    """MDES by number of authorities for the pilot's ICC and two assumed ICCs (the pilot's is imprecise)."""
    iccs = {f"pilot estimate {design['icc']:.3f}": design["icc"]}
    iccs |= {f"{icc:.2f} (assumed)": icc for icc in protocol.current().trial_design.assumed_iccs}
    return mdes_by_authorities(design["families_per_authority"], iccs)
