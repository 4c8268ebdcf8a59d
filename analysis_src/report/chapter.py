"""What a chapter notebook needs: its pilot, its validated data, and tables to show.

Each notebook cell makes one call into this package; this module gathers the
manifest entry and the authority's validated tables once, at the top of the chapter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis_src.analysis import qualitative
from analysis_src.analysis.acceptability import acceptability_figures
from analysis_src.analysis.categories import category_figures
from analysis_src.analysis.costs import cost_figures
from analysis_src.analysis.effects import CONFIDENCE
from analysis_src.analysis.feasibility import funnel_figures, funnel_text, reach_figures
from analysis_src.analysis.governance import approval_text, governance_figures
from analysis_src.analysis.outcomes import INDICATORS, its_figures, its_model_text
from analysis_src.analysis.spend import distribution_figures, no_spending_summary, spend_summary
from analysis_src.config import protocol
from analysis_src.disclosure import show_count, show_share
from analysis_src.inputs.contracts import MAY_BE_EMPTY, SURVEYS_MAY_BE_EMPTY, Tables, load_tables
from analysis_src.inputs.manifest import Pilot, load_manifest, pilot_by_slug
from analysis_src.paths import MANIFEST_PATH, SYNTHETIC_DATA_DIR, resolve


@dataclass(frozen=True)
class Chapter:
    """One pilot chapter: the manifest entry and that authority's tables."""

    pilot: Pilot
    tables: Tables
    synthetic: bool = False  # the project's synthetic data: every excerpt is marked as invented


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
    tables = load_tables(resolve(data_dir), pilots, authorities=[pilot.la_code])
    synthetic = resolve(data_dir).resolve() == SYNTHETIC_DATA_DIR.resolve()
    return Chapter(pilot=pilot, tables=tables.for_authority(pilot.la_code), synthetic=synthetic)


def _money(value: float | None) -> str:
    return "not stated" if value is None else f"£{value:,.0f}"


def profile_table(pilot: Pilot) -> pd.DataFrame:
    """The pilot's profile from the manifest, as a two-column table for display."""
    basis = {"per_item": " per item", "per_family": " per family", "not_stated": ""}[pilot.approval_threshold_basis]
    rows = [
        ("Local authority", pilot.name),
        ("Target group", pilot.target_group),
        ("Main focus", pilot.main_focus),
        (
            "Families planned",
            "z (no plan published)" if pilot.planned_families is None else show_count(pilot.planned_families),
        ),
        ("Families reported as receiving a budget", show_count(pilot.actual_families)),
        ("Expected budget per family", _money(pilot.budget_per_family_gbp)),
        ("Manager approval needed above", _money(pilot.approval_threshold_gbp) + basis),
        ("Pilot period", f"{pilot.start_date:%B %Y} to {pilot.end_date:%B %Y}"),
        ("Allocation randomised", "yes" if pilot.randomised else "no"),
    ]
    return pd.DataFrame(rows, columns=["Item", "Value"]).set_index("Item").rename_axis(None)


def chapter_figures(chapter: Chapter) -> dict[str, float]:
    """Every ledger figure of a pilot chapter, from its manifest entry and tables."""
    pilot, tables = chapter.pilot, chapter.tables
    figures = spend_summary(pilot, tables.transactions)
    figures |= distribution_figures(pilot, tables.transactions)
    figures |= reach_figures(pilot, tables.families, tables.transactions)
    figures |= category_figures(tables.transactions)
    figures |= governance_figures(pilot, tables.transactions)
    figures |= its_figures(pilot, tables.monthly_returns)
    figures |= acceptability_figures(tables.staff_survey, tables.family_survey)
    figures |= cost_figures(figures)
    return figures


def has_spending(pilot: Pilot, tables: Tables) -> bool:
    """True when the spend log holds at least one of the authority's transactions."""
    return bool((tables.transactions["la_code"] == pilot.la_code).any())


def waiting_figures(chapter: Chapter) -> dict[str, float]:
    """The ledger figures of a pilot that has not spent yet: its referrals, outcomes and questionnaires.

    Nothing is computed from spending, as there is none: see :func:`no_spending_summary`.
    """
    pilot, tables = chapter.pilot, chapter.tables
    figures = no_spending_summary(pilot) | {"feasibility.families_reached": 0}
    figures |= funnel_figures(tables.families, 0)
    figures |= its_figures(pilot, tables.monthly_returns)
    figures |= acceptability_figures(tables.staff_survey, tables.family_survey)
    return figures


def pilot_figures(chapter: Chapter) -> dict[str, float]:
    """The chapter's figures: :func:`chapter_figures`, or :func:`waiting_figures` before any spending."""
    return chapter_figures(chapter) if has_spending(chapter.pilot, chapter.tables) else waiting_figures(chapter)


def _common_texts(chapter: Chapter, figures: dict[str, float]) -> dict[str, str]:
    """The sentences every chapter has, spending or not."""
    return {
        "funnel": funnel_text(figures),
        "its": _its_text(figures),
        "its_model": its_model_text(int(figures["outcomes.its.pre_months"])),
        "acceptability": _acceptability_text(figures),
        "survey_returns": survey_returns_text(chapter),
        **qualitative_texts(chapter),
    }


SOURCE_WORDS = {
    "interview": "interviews",
    "focus_group": "focus groups",
    "observation": "observations of practice",
    "free_text": "questionnaire free text",
}


def qualitative_texts(chapter: Chapter) -> dict[str, str]:
    """The sentences of "What staff and families said": sources, differences between roles, quotes."""
    segments = chapter.tables.coded_segments
    if segments is None or segments.empty:
        missing = f"For {chapter.pilot.name}, {MAY_BE_EMPTY['coded_segments']}: this section is not available (`x`)."
        return {"qualitative_sources": missing, "qualitative_differences": "", "quotes": ""}
    sources = [words for kind, words in SOURCE_WORDS.items() if kind in set(segments["source_type"])]
    phases = sorted(set(segments["phase"]), key=["interim", "final"].index)
    listed = sources[0] if len(sources) == 1 else ", ".join(sources[:-1]) + " and " + sources[-1]
    said = (
        f"The evidence is the coded segments of {listed}, from the {' and '.join(phases)} "
        f"phase{'s' if len(phases) > 1 else ''} of data collection in {chapter.pilot.name}."
    )
    return {
        "qualitative_sources": said,
        "qualitative_differences": qualitative.differences_text(segments),
        "quotes": qualitative.quotes_markdown(segments, chapter.pilot.name, invented=chapter.synthetic),
    }


def waiting_texts(chapter: Chapter, figures: dict[str, float]) -> dict[str, str]:
    """The sentences of the chapter of a pilot with no spending yet, which say so."""
    pilot = chapter.pilot
    period = f"{pilot.start_date:%B %Y} to {pilot.end_date:%B %Y}"
    waiting = (
        f"The spend log holds no devolved-budget spending for {pilot.name}, whose pilot period is {period}. "
        "How much was spent, on what, how spending decisions were made, how long families waited for it, and "
        "the costs and consequences are therefore **not estimable** yet, and are left out rather than shown as "
        "zeros. This chapter gives the families referred so far, the outcomes in the monthly returns and "
        "the questionnaires returned."
    )
    return {"waiting": waiting, **_common_texts(chapter, figures)}


def _count(number: float, singular: str, plural: str | None = None) -> str:
    word = singular if number == 1 else plural or singular + "s"
    return f"{number:,.0f} {word}"


def _verdict(flag: float) -> str:
    return "**met**" if flag == 1 else "**not met**"


def chapter_texts(chapter: Chapter, figures: dict[str, float]) -> dict[str, str]:
    """Sentences whose wording depends on the figures, for ``{glue:md}`` (numbers from the ledger)."""
    pilot = chapter.pilot
    reached = show_count(figures["feasibility.families_reached"])
    criterion = f"the protocol's criterion of the planned number within {protocol.current().feasibility.reach_label}"
    if figures["feasibility.within_30pct"] == -1:
        reach = (
            f"The pilot reached {reached} families. No plan for the number of families was published, so "
            f"{criterion} is **not assessable** (`z`): the published number of families is what was reached, "
            "and comparing with it would be met by construction."
        )
    else:
        reach = (
            f"The pilot reached {reached} families against a plan of {show_count(figures['families.planned'])} "
            f"({figures['feasibility.reach_ratio']:.0%} of plan): {criterion} is "
            f"{_verdict(figures['feasibility.within_30pct'])}."
        )
    against_plan = (
        f"{reached} (no plan published: `z`)"
        if "families.planned" not in figures
        else f"{reached} against a plan of {show_count(figures['families.planned'])}"
    )
    governance = approval_text(pilot, figures, where="Chapter: approval above the threshold")
    over_budget = show_share(
        figures["spend.families_over_budget"], figures["families.with_spend"], where="Chapter: spending per family"
    )
    return {
        "reach": reach,
        **_common_texts(chapter, figures),
        "reached_against_plan": against_plan,
        "over_budget": over_budget,
        "governance": governance,
        "trial_pointer": (
            f"{pilot.name} randomised families: the consequences by arm are on the page "
            f"[{pilot.name}: the randomised comparison]({pilot.slug}_trial.html)."
            if pilot.randomised
            else "This pilot did not randomise families, so its consequences can only be compared before and after."
        ),
    }


def _in_sentence(label: str) -> str:
    """An indicator's label inside a sentence: lower case first, acronyms kept (PLO)."""
    return label if label[:2].isupper() else label[0].lower() + label[1:]


# The book's intervals are 95%: a result outside one arises by chance in 5% of comparisons.
_CHANCE = 1 - CONFIDENCE


def _its_p_value(figures: dict[str, float], indicator: str) -> float:
    """Two-sided p-value of the step rate ratio, from its 95% interval on the log scale."""
    key = f"outcomes.its.{indicator}"
    log_low, log_high = math.log(figures[f"{key}.ci_low"]), math.log(figures[f"{key}.ci_high"])
    se = (log_high - log_low) / (2 * stats.norm.ppf(1 - _CHANCE / 2))
    return float(2 * stats.norm.sf(abs(math.log(figures[f"{key}.rate_ratio"])) / se))


def _its_text(figures: dict[str, float]) -> str:
    """What the interrupted time series say, with the multiplicity of the comparisons stated plainly.

    Every indicator whose interval excludes no change is named with its direction; those
    that survive a Holm adjustment for the number of indicators modelled are said to be
    unlikely to be chance alone (still not proof that the pilot caused them).
    """
    modelled = [i for i in INDICATORS if f"outcomes.its.{i}.rate_ratio" in figures]
    # An indicator with months hidden (1 to 5 events) is not published: its model would give them back.
    fitted = [i for i in modelled if not figures.get(f"outcomes.its.{i}.months_hidden", 0)]
    withheld = len(modelled) - len(fitted)
    if not modelled:
        return "No indicator could be modelled: every one had a period without events (`x`)."
    if not fitted:
        return (
            "No indicator's model is shown (`c`): each has months of 1 to 5 events, which its estimate would give back."
        )

    def described(i: str) -> str:
        key = f"outcomes.its.{i}"
        ratio = figures[f"{key}.rate_ratio"]
        way = "fell" if ratio < 1 else "rose"
        return (
            f"{_in_sentence(INDICATORS[i])} {way} (rate ratio {ratio:.2f}, 95% CI {figures[f'{key}.ci_low']:.2f} to "
            f"{figures[f'{key}.ci_high']:.2f})"
        )

    excluding = [
        i for i in fitted if figures[f"outcomes.its.{i}.ci_low"] > 1 or figures[f"outcomes.its.{i}.ci_high"] < 1
    ]
    # The multiplicity is that of every comparison made, shown or not.
    rejected = multipletests([_its_p_value(figures, i) for i in modelled], alpha=_CHANCE, method="holm")[0]
    surviving = [i for i, keep in zip(modelled, rejected, strict=True) if keep and i in fitted]
    expected = len(modelled) * _CHANCE
    shown = f"of the {len(fitted)} shown, " if withheld else ""
    text = (
        f"Of the {len(modelled)} indicators that could be modelled, {shown}{len(excluding)} "
        f"{'has' if len(excluding) == 1 else 'have'} a 95% confidence interval for the step change that excludes "
        f"no change; about {expected:.1f} such results are expected by chance alone among {len(modelled)} comparisons"
    )
    text += (": " + "; ".join(described(i) for i in excluding) + ". ") if excluding else ". "
    if surviving:
        text += (
            f"After a Holm adjustment for the {len(modelled)} comparisons, the change in "
            + " and in ".join(_in_sentence(INDICATORS[i]) for i in surviving)
            + " remains: unlikely to be chance alone, though a before-and-after comparison cannot show "
            "that the pilot caused it."
        )
    else:
        text += (
            f"None shown survives a Holm adjustment for the {len(modelled)} comparisons, so no single interval "
            "should be read as an effect of the pilot."
        )
    missing = len(INDICATORS) - len(modelled)
    if missing:
        text += f" {_count(missing, 'indicator')} could not be modelled because a period had no events (`x`)."
    if withheld:
        text += (
            f" {_count(withheld, 'indicator')} with months of 1 to 5 events {'is' if withheld == 1 else 'are'} "
            "not shown (`c`): the model's estimate would give those months back."
        )
    return text


def survey_returns_text(chapter: Chapter) -> str:
    """Which questionnaires the authority returned, in words: a missing return is said, not left out silently."""
    missing = [
        what
        for name, what in SURVEYS_MAY_BE_EMPTY.items()
        if getattr(chapter.tables, name) is None or getattr(chapter.tables, name).empty
    ]
    if not missing:
        return "Both questionnaires were returned: staff and families."
    said = " and ".join(missing)
    return f"For {chapter.pilot.name}, {said}: the answers below are not available (`x`) for that group."


def _acceptability_text(figures: dict[str, float]) -> str:
    key = "acceptability.family_change"
    if not any(name.startswith("acceptability.family_t") for name in figures):
        return "No family questionnaire was returned, so the two waves cannot be compared (`x`)."
    if f"{key}.pairs" not in figures or show_count(figures[f"{key}.pairs"]) == "c":
        return "Too few families answered at both T1 and T2 to compare the two waves (`c` or `x`)."
    among = f"Among the {show_count(figures[f'{key}.pairs'])} families who answered at both T1 and T2, "
    if f"{key}.wilcoxon_p" not in figures:
        return among + "every family gave the same rating of how much the support helped at both waves: no change."
    change = figures[f"{key}.mean_change"]
    test = f"(Wilcoxon signed-rank test, p = {figures[f'{key}.wilcoxon_p']:.2f})"
    if change == 0:
        return among + f"some ratings rose and others fell, with no change on average {test}."
    direction = "rose" if change > 0 else "fell"
    return (
        among + f"the rating of how much the support helped {direction} by {abs(change):.2f} points on average {test}."
    )
