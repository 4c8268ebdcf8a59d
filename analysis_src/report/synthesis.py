"""The synthesis chapter: the pilots side by side, from the manifest and the data."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from analysis_src.analysis.governance import approval_hidden
from analysis_src.analysis.spend import no_spending_summary, spend_summary
from analysis_src.config import protocol
from analysis_src.config.protocol import percent
from analysis_src.disclosure import SUPPRESSED, enough_people, show_count
from analysis_src.inputs.contracts import Tables, load_tables
from analysis_src.inputs.manifest import Pilot, load_manifest
from analysis_src.paths import MANIFEST_PATH, resolve


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
                "Number of families (reported)": show_count(pilot.actual_families),
                "Families with spending (data)": show_count(counted),
                "Main focus": pilot.main_focus,
                "Expected budget per family": f"£{pilot.budget_per_family_gbp:,.0f}",
            }
        )
    return pd.DataFrame(rows).set_index("Pilot authority").rename_axis(None)


def synthesis_figures(pilots: list[Pilot], tables: Tables) -> dict[str, float]:
    """Programme-level ledger figures: sums over pilots of the chapter figures."""
    per_pilot = [
        spend_summary(p, spent)
        if len(spent := tables.for_authority(p.la_code).transactions)
        else no_spending_summary(p)
        for p in pilots
    ]
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
    under_20 = (tables.transactions["amount_gbp"] < protocol.current().spend.small_transaction_gbp).mean()
    totals["spend.share_transactions_under_20"] = float(under_20)
    totals["pilots"] = len(pilots)
    totals["pilots.without_spending"] = sum(figures["families.with_spend"] == 0 for figures in per_pilot)
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


# Indicators compared across pilots: label ({slot} from protocol.yml), ledger key, format.
INDICATORS = [
    ("Families planned", "families.planned", show_count),
    ("Families reached", "feasibility.families_reached", show_count),
    ("Reached as share of plan", "feasibility.reach_ratio", "{:.0%}"),
    ("Spent", "spend.total_gbp", "£{:,.0f}"),
    ("Share of expected spend", "spend.share_of_expected", "{:.0%}"),
    ("Median spend per family", "spend.per_family_median_gbp", "£{:,.0f}"),
    ("Median transaction", "spend.median_transaction_gbp", "£{:,.2f}"),
    ("Transactions under {small_transaction}", "spend.share_transactions_under_20", "{:.0%}"),
    ("Days from referral to first spend (median)", "timing.referral_to_first_spend_days.median", "{:,.0f}"),
    ("Above-threshold spending with approval", "spend.above_threshold_approved_share", "{:.0%}"),
]
# Indicators that describe 1 to 5 families in some pilots: shown as c there, as in the chapter.
HIDDEN_WHEN = {
    "spend.above_threshold_approved_share": approval_hidden,
    "spend.per_family_median_gbp": lambda figures: not enough_people(figures["families.with_spend"]),
    "timing.referral_to_first_spend_days.median": lambda figures: not enough_people(figures["families.with_spend"]),
}
# The shares drawn as small multiples, one panel per indicator.
SHARES = [
    ("Reached as share of plan", "feasibility.reach_ratio"),
    ("Share of expected spend", "spend.share_of_expected"),
    ("Transactions under {small_transaction}", "spend.share_transactions_under_20"),
]


def pilot_ledgers(pilots: list[Pilot], tables: Tables) -> dict[str, dict[str, float]]:
    """Each pilot's figures, computed as its chapter (and trial page) compute them, keyed by pilot name."""
    from analysis_src.analysis.trial import trial_data_for, trial_figures
    from analysis_src.report.chapter import Chapter, pilot_figures

    ledgers = {}
    for pilot in pilots:
        chapter = Chapter(pilot=pilot, tables=tables.for_authority(pilot.la_code))
        ledgers[pilot.name] = pilot_figures(chapter)
        if pilot.randomised:
            ledgers[pilot.name] |= trial_figures(trial_data_for(chapter))
    return ledgers


def side_by_side(ledgers: dict[str, dict[str, float]]) -> pd.DataFrame:
    """The indicators for every pilot in columns; ``z`` where an indicator does not apply."""
    rows = {}
    slots = protocol.current().slots()
    for label, key, fmt in INDICATORS:
        rows[label.format(**slots)] = [
            "z"
            if key not in figures
            else SUPPRESSED
            if key in HIDDEN_WHEN and HIDDEN_WHEN[key](figures)
            else fmt(figures[key])
            if callable(fmt)
            else fmt.format(figures[key])
            for figures in ledgers.values()
        ]
    return pd.DataFrame(rows, index=list(ledgers)).T


def small_multiples_description() -> str:
    """What the small multiples show, for screen readers."""
    line = protocol.current().spend.small_transaction_gbp
    return (
        "Three panels of bars, one bar per pilot: families reached as a share of plan (pilots with a published "
        f"plan only), spending as a share of the expected budget, and the share of transactions under {line:g} pounds."
    )


def small_multiples(ledgers: dict[str, dict[str, float]]) -> alt.Chart:
    """One panel per share indicator, one bar per pilot."""
    slots = protocol.current().slots()
    shares = [(label.format(**slots), key) for label, key in SHARES]
    data = pd.DataFrame(
        [
            {"pilot": name, "indicator": label, "value": figures[key]}
            for name, figures in ledgers.items()
            for label, key in shares
            if key in figures  # a pilot without a published plan has no share of plan
        ]
    )
    return (
        alt.Chart(data, width=200, height=160)
        .mark_bar()
        .encode(
            x=alt.X("pilot:N", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title="Share", axis=alt.Axis(format=".0%")),
            color=alt.Color("pilot:N", legend=None),
            tooltip=[alt.Tooltip("pilot:N"), alt.Tooltip("indicator:N"), alt.Tooltip("value:Q", format=".0%")],
        )
        .facet(column=alt.Column("indicator:N", title=None, sort=[label for label, _ in shares]))
        .properties(title="The pilots side by side")
    )


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def small_transactions_finding(programme: dict[str, float], pilots: list[Pilot]) -> str:
    """Were most transactions small? The published evaluation found they were; the data may say otherwise."""
    share = programme["spend.share_transactions_under_20"]
    line = protocol.current().spend.small_label
    evidence = _evidence_links("section 2 of each pilot chapter", pilots)
    if share > 0.5:  # "most": more than half
        return f"Most transactions were small: {share:.0%} across the programme were under {line} ({evidence})."
    return (
        f"Most transactions were **not** small: {share:.0%} across the programme were under {line}, "
        f"unlike the published evaluation, which found most under {line} ({evidence})."
    )


def spending_finding(ledgers: dict[str, dict[str, float]], pilots: list[Pilot]) -> str:
    """Spending against the expected budget, whichever way each pilot went."""
    shares = {name: figures["spend.share_of_expected"] for name, figures in ledgers.items()}
    lowest, highest = min(shares, key=shares.get), max(shares, key=shares.get)
    span = f"from {shares[lowest]:.0%} of the expected budget in {lowest} to {shares[highest]:.0%} in {highest}"
    evidence = _evidence_links("section 2 of each pilot chapter", pilots)
    below = [name for name, share in shares.items() if share < 1]
    if len(below) == len(shares):
        return f"Spending was lower than expected in every pilot, {span} ({evidence})."
    if not below:
        return f"Spending reached or exceeded the expected budget in every pilot, {span} ({evidence})."
    above = [name for name in shares if name not in below]
    return (
        f"Spending was lower than expected in {_names(below)} but reached or exceeded it in {_names(above)}, "
        f"{span} ({evidence})."
    )


def reach_finding(ledgers: dict[str, dict[str, float]], pilots: list[Pilot]) -> str:
    """Reach against plan: met, not met or not assessable (no plan published), pilot by pilot."""
    label = protocol.current().feasibility.reach_label
    status = {name: figures["feasibility.within_30pct"] for name, figures in ledgers.items()}
    met = [name for name, value in status.items() if value == 1]
    missed = [name for name, value in status.items() if value == 0]
    unknown = [name for name, value in status.items() if value == -1]
    parts = []
    if met and not missed and not unknown:
        parts.append(f"Every pilot reached its planned number of families within the protocol's {label}")
    elif met or missed:
        assessed = len(met) + len(missed)
        parts.append(f"{len(met)} of the {assessed} pilots with a published plan reached it within {label}")
        if missed:
            parts[-1] += f"; {_names(missed)} did not"
    if unknown:
        verb = "was" if len(unknown) == 1 else "were"
        parts.append(f"{_names(unknown)} published no plan, so {verb} not assessable against one")
    return "; ".join(parts) + f" ({_evidence_links('section 1 of each pilot chapter', pilots)})."


def approval_finding(ledgers: dict[str, dict[str, float]], pilots: list[Pilot]) -> str:
    """Was spending above the approval thresholds approved? Whichever way the figures point."""
    rule = protocol.current().governance.min_share_approved
    evidence = _evidence_links("section 4 of each pilot chapter", pilots)
    judged = {n: f for n, f in ledgers.items() if "spend.above_threshold_approved_share" in f}
    approved = {n: f["spend.above_threshold_approved_share"] for n, f in judged.items() if not approval_hidden(f)}
    hidden = sorted(set(judged) - set(approved))
    # A pilot whose approvals describe 1 to 5 families is left out of the verdict: "at least 95%" of a known
    # number of transactions would bound its exceptions.
    aside = (
        f" {_names(hidden)} {'is' if len(hidden) == 1 else 'are'} left out: the spending above the threshold "
        "or without approval there was for 1 to 5 families (`c`)."
        if hidden
        else ""
    )
    if not approved:
        if hidden:
            return f"Approval above the threshold cannot be judged without disclosing it ({evidence}).{aside}"
        return f"No pilot had spending above a stated approval threshold, so approval cannot be judged ({evidence})."
    short = {name: share for name, share in approved.items() if share < rule}
    if not short:
        return (
            f"Where an approval threshold applied, at least {percent(rule)} of spending above it had a recorded "
            f"manager's approval ({evidence}).{aside}"
        )
    detail = ", ".join(f"{name} {share:.0%}" for name, share in short.items())
    return (
        f"Spending above the approval threshold had a recorded manager's approval less often than "
        f"{percent(rule)} in {_names(list(short))} ({detail}) ({evidence}).{aside}"
    )


def qualitative_findings(segments: pd.DataFrame, pilots: list[Pilot]) -> list[str]:
    """The key findings of what staff and families said, each from the coded segments, with links to the evidence."""
    from analysis_src.analysis.qualitative import theme_findings

    evidence = "what staff and families said: " + ", ".join(f"{{ref}}`{p.name} <{p.slug}-said>`" for p in pilots)
    return theme_findings(segments, evidence)


def summary_texts(ctx: Synthesis, figures: dict[str, float], ledgers: dict[str, dict[str, float]]) -> dict[str, str]:
    """The executive summary's generated Markdown: both strands' key findings and the progression verdicts."""
    found = findings(ledgers, figures, ctx.pilots)
    said = qualitative_findings(ctx.tables.coded_segments, ctx.pilots)
    return {
        "findings": "\n".join(f"- {finding}" for finding in found),
        "qualitative_findings": "\n".join(f"- {finding}" for finding in said),
        "progression": progression_markdown(figures, ctx.pilots),
    }


def spending(ledgers: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """The ledgers of the pilots with any spending: the others have nothing to compare on spending or reach."""
    return {name: figures for name, figures in ledgers.items() if figures["families.with_spend"] > 0}


def waiting_finding(ledgers: dict[str, dict[str, float]], pilots: list[Pilot]) -> str | None:
    """Which pilots have recorded no spending yet, and so are left out of the findings above; None if none."""
    waiting = [name for name in ledgers if name not in spending(ledgers)]
    if not waiting:
        return None
    links = ", ".join(f"[{p.name}](pilots/{p.slug}.ipynb)" for p in pilots if p.name in waiting)
    verb = "has" if len(waiting) == 1 else "have"
    return (
        f"{_names(waiting)} {verb} recorded no spending yet, so {'it is' if len(waiting) == 1 else 'they are'} "
        f"left out of the findings on spending, reach and approval above ({links})."
    )


def findings(ledgers: dict[str, dict[str, float]], programme: dict[str, float], pilots: list[Pilot]) -> list[str]:
    """The synthesis's findings: one sentence per claim, worded by what the data say, whichever way.

    Parameters
    ----------
    ledgers
        Each pilot's chapter figures.
    programme
        The programme-level figures (:func:`synthesis_figures`).
    pilots
        The manifest, for the links to each pilot's evidence.

    Returns
    -------
    list of str
        Markdown sentences, each with links to its evidence. Each claim is always stated:
        confirming the published evaluation, contradicting it, or saying that it cannot be assessed.
        Pilots with no spending yet are left out of the claims, and a last sentence says so.
    """
    spent = spending(ledgers)
    with_spending = [pilot for pilot in pilots if pilot.name in spent]  # the evidence is in their chapters
    found = [
        small_transactions_finding(programme, with_spending),
        spending_finding(spent, with_spending),
        reach_finding(spent, with_spending),
        approval_finding(spent, with_spending),
    ]
    waiting = waiting_finding(ledgers, pilots)
    return found if waiting is None else [*found, waiting]


# Pre-specified progression criteria (CONSORT extension for pilot trials), with where the evidence is.
# Labels take their thresholds from protocol.yml: {reach_tolerance}, {acceptability_criterion}.
CRITERIA = {
    "reach_within_30pct": (
        "Families reached within {reach_tolerance} of a published plan, in every pilot",
        "section 1 of each pilot chapter",
    ),
    "staff_acceptability": (
        "At least {acceptability_criterion} of staff positive, in every pilot",
        "section 6 of each pilot chapter",
    ),
    "family_acceptability": (
        "At least {acceptability_criterion} of families positive at T2, in every pilot",
        "section 6 of each pilot chapter",
    ),
    "randomisation_as_planned": (
        "Random allocation proceeded as planned",
        "the randomised comparison",
    ),
    "spend_and_thresholds_specified": (
        "Spend levels and approval thresholds specified in every pilot",
        "each pilot profile",
    ),
}
STATUS = {1: "met", 0: "not met", -1: "uncertain"}


# Where a criterion cannot be judged for want of a plan, it says so rather than "uncertain".
def _not_assessable(key: str, figures: dict[str, float], pilots: list[Pilot]) -> str | None:
    """Why a criterion judged -1 cannot be assessed, where that is for want of a plan or of spending."""
    if key != "reach_within_30pct":
        return None
    reasons = []
    if any(pilot.planned_families is None for pilot in pilots):
        reasons.append("not every pilot published a plan")
    if figures.get("pilots.without_spending", 0):
        reasons.append("not every pilot has spending yet")
    return "not assessable: " + " and ".join(reasons) if reasons else None


def progression_figures(pilots: list[Pilot], tables: Tables, ledgers: dict[str, dict[str, float]]) -> dict[str, float]:
    """Each progression criterion as 1 met, 0 not met or -1 uncertain (or not assessable), from the figures.

    Reach is met only when every pilot published a plan and reached it; not met when any
    pilot with a plan missed it. Acceptability follows the protocol's rule for *each* group:
    in every pilot, staff and families at T2 are read against the criterion with a Wilson
    interval (met when the whole interval is at or above it, not met when wholly below);
    the criterion is met only when every pilot's group meets it, and not met when any
    pilot's group does not. The pooled share is kept beside it. Randomisation is judged by
    the randomised pilot's figures; with no randomised pilot it is uncertain.
    """
    from analysis_src.analysis.acceptability import FAMILY_ITEM, STAFF_ITEM, verdict
    from analysis_src.analysis.effects import wilson

    def combined(verdicts: list[int]) -> int:
        return 0 if 0 in verdicts else (1 if verdicts and all(v == 1 for v in verdicts) else -1)

    # A pilot with no spending yet cannot be judged against its plan: -1, so "met" needs every pilot.
    reach = [f.get("feasibility.within_30pct", -1) for f in ledgers.values()]
    figures = {"progression.reach_within_30pct": combined(reach)}
    positive = protocol.current().acceptability.positive_answers
    staff, survey = tables.staff_survey, tables.family_survey
    families = survey[survey["wave"] == "T2"]
    for key, frame, item in (
        ("staff_acceptability", staff, STAFF_ITEM),
        ("family_acceptability", families, FAMILY_ITEM),
    ):
        verdicts = []
        for pilot in pilots:
            answers = frame.loc[frame["la_code"] == pilot.la_code, item]
            if len(answers):
                share = wilson(int(answers.isin(positive).sum()), len(answers))
                verdicts.append(verdict(share.ci_low, share.ci_high))
            else:
                verdicts.append(-1)  # no answers from this pilot: the rule cannot be judged
        figures[f"progression.{key}"] = combined(verdicts)
        pooled = frame[item]
        figures[f"progression.{key}.share_positive"] = float(pooled.isin(positive).mean()) if len(pooled) else 0.0
    randomised = [f for f in ledgers.values() if "trial.proceeded_as_planned" in f]
    figures["progression.randomisation_as_planned"] = (
        int(all(f["trial.proceeded_as_planned"] == 1 for f in randomised)) if randomised else -1
    )
    figures["progression.spend_and_thresholds_specified"] = int(
        all(p.budget_per_family_gbp > 0 and p.approval_threshold_basis != "not_stated" for p in pilots)
    )
    return figures


def progression_table(figures: dict[str, float], pilots: list[Pilot]) -> pd.DataFrame:
    """The progression criteria with their status and links to the evidence in the pilots' pages."""
    slots = protocol.current().slots()
    rows = [
        {
            "Criterion": label.format(**slots),
            "Status": (
                _not_assessable(key, figures, pilots) or STATUS[-1]
                if int(figures[f"progression.{key}"]) == -1
                else STATUS[int(figures[f"progression.{key}"])]
            ),
            "Evidence": _evidence_links(where, pilots),
        }
        for key, (label, where) in CRITERIA.items()
    ]
    return pd.DataFrame(rows)


def _evidence_links(where: str, pilots: list[Pilot]) -> str:
    """Markdown links to the pages holding the evidence for a criterion."""
    if where == "the randomised comparison":
        return (
            ", ".join(f"[{p.name}: randomised comparison](pilots/{p.slug}_trial.ipynb)" for p in pilots if p.randomised)
            or "z"
        )
    return f"{where}: " + ", ".join(f"[{p.name}](pilots/{p.slug}.ipynb)" for p in pilots)


def progression_markdown(figures: dict[str, float], pilots: list[Pilot]) -> str:
    """The progression table as Markdown, so that its links resolve in the book."""
    lines = ["| Criterion | Status | Evidence |", "|---|---|---|"]
    for _, row in progression_table(figures, pilots).iterrows():
        lines.append(f"| {row['Criterion']} | **{row['Status']}** | {row['Evidence']} |")
    return "\n".join(lines)


def design_inputs(pilots: list[Pilot], ledgers: dict[str, dict[str, float]]) -> dict[str, float]:
    """What the pilots tell a future trial: families per authority, the ICC, and the pilot sizes."""
    reached = [f["feasibility.families_reached"] for f in spending(ledgers).values()]
    randomised = [f for f in ledgers.values() if "trial.icc_social_worker" in f]
    return {
        "families": sum(reached),
        "families_per_authority": sum(reached) / len(reached),
        "authorities": len(pilots),
        "icc": randomised[0]["trial.icc_social_worker"] if randomised else 0.05,
        "icc_high": randomised[0].get("trial.icc_social_worker.ci_high") if randomised else None,
        "workers": randomised[0]["trial.social_workers"] if randomised else 10,
        "families_randomised": randomised[0]["trial.randomised"] if randomised else sum(reached),
    }


def programme_figures(ctx: Synthesis) -> tuple[dict[str, float], dict[str, dict[str, float]], dict[str, float]]:
    """The synthesis figures (programme, progression, trial sizing), the pilots' ledgers and the design inputs."""
    from analysis_src.analysis.trial_design import design_figures

    ledgers = pilot_ledgers(ctx.pilots, ctx.tables)
    design = design_inputs(ctx.pilots, ledgers)
    figures = synthesis_figures(ctx.pilots, ctx.tables)
    figures |= progression_figures(ctx.pilots, ctx.tables, ledgers)
    figures |= design_figures(
        design["families_per_authority"],
        design["icc"],
        design["authorities"],
        design["workers"],
        design["families"],
        design["icc_high"],
    )
    return figures, ledgers, design


def icc_text(figures: dict[str, float], design: dict[str, float], pilots: list[Pilot]) -> str:
    """What the ICC behind the trial sizing is, and how far to trust it: worded by its value and source."""
    icc = figures["trial_design.icc_used"]
    if not any(pilot.randomised for pilot in pilots):
        return f"No pilot in this build was randomised, so the ICC of {icc:.2f} is assumed, not estimated."
    source = (
        f"{show_count(design['families_randomised'])} randomised families and "
        f"{show_count(design['workers'])} social workers"
    )
    reach = (
        f" (its 95% profile-likelihood interval reaches {figures['trial_design.icc_upper']:.2f})"
        if "trial_design.icc_upper" in figures
        else ""
    )
    if icc < 0.001:
        return (
            f"The ICC estimated from {source} sits at zero, the edge of its range{reach}: with so few workers that "
            "does not mean there is no clustering. The chart therefore also shows two assumed ICCs."
        )
    return (
        f"The ICC of {icc:.3f} comes from only {source}, so it is very imprecise{reach}. "
        "The chart therefore also shows two assumed ICCs."
    )


def synthesis_texts(
    figures: dict[str, float], found: list[str], pilots: list[Pilot], design: dict[str, float]
) -> dict[str, str]:
    """The synthesis's computed Markdown: the findings list, the progression table and the trial-sizing sentences."""
    from analysis_src.analysis.trial_design import cluster_text, sizing_range_text

    findings = "\n".join(f"- {finding}" for finding in found)
    return {
        "icc": icc_text(figures, design, pilots),
        "sizing_range": sizing_range_text(figures),
        "findings": findings,
        "progression": progression_markdown(figures, pilots),
        "cluster_design": cluster_text(figures, len(pilots)),
        "icc_source": "estimated in the randomised pilot"
        if any(pilot.randomised for pilot in pilots)
        else "assumed, as no pilot in this build was randomised",
    }
