"""Acceptability to staff and families: share positive on a 5-point scale against the protocol's criterion."""

from __future__ import annotations

import warnings

import altair as alt
import pandas as pd
from scipy import stats

from analysis_src.analysis.effects import wilson
from analysis_src.config import protocol
from analysis_src.disclosure import (
    DERIVED,
    FEW_PEOPLE,
    PRIMARY,
    SUPPRESSED,
    enough_people,
    is_small,
    protect_table,
    record,
    show_share,
)

STAFF_ROLES = {"social_worker": "Social workers", "team_manager": "Team managers", "senior_leader": "Senior leaders"}
STAFF_ITEM = "acceptable_overall"
FAMILY_ITEM = "helpful"
FAMILY_ITEMS = {
    "helpful": "The support helped",
    "had_a_say": "We had a say",
    "worker_relationship": "Relationship with worker",
}
LIKERT = {1: "Very negative", 2: "Negative", 3: "Neutral", 4: "Positive", 5: "Very positive"}


def verdict(ci_low: float, ci_high: float) -> int:
    """1 met (CI wholly at or above the criterion), 0 not met (CI wholly below), -1 uncertain (CI spans it)."""
    criterion = protocol.current().acceptability.criterion
    if ci_low >= criterion:
        return 1
    if ci_high < criterion:
        return 0
    return -1


def _share(values: pd.Series, key: str) -> dict[str, float]:
    result = wilson(int(values.isin(protocol.current().acceptability.positive_answers).sum()), len(values))
    return {
        f"{key}.respondents": len(values),
        f"{key}.share_positive": result.estimate,
        f"{key}.ci_low": result.ci_low,
        f"{key}.ci_high": result.ci_high,
        f"{key}.criterion_met": verdict(result.ci_low, result.ci_high),
    }


def acceptability_figures(staff: pd.DataFrame, families: pd.DataFrame) -> dict[str, float]:
    """Share positive with Wilson CIs for each staff role and for families at T1 and T2, and the paired change.

    The paired change T1 to T2 uses families who answered both waves: a Wilcoxon
    signed-rank test (zero differences dropped, as in Wilcoxon's original method).
    """
    figures = {}
    for role in STAFF_ROLES:
        answers = staff.loc[staff["role"] == role, STAFF_ITEM]
        if len(answers):
            figures |= _share(answers, f"acceptability.{role}")
    for wave in ("T1", "T2"):
        answers = families.loc[families["wave"] == wave, FAMILY_ITEM]
        if len(answers):
            figures |= _share(answers, f"acceptability.family_{wave.lower()}")
    paired = families.pivot(index="family_id", columns="wave", values=FAMILY_ITEM).dropna()
    if {"T1", "T2"} <= set(paired.columns) and len(paired):
        figures |= {
            "acceptability.family_change.pairs": len(paired),
            "acceptability.family_change.mean_change": float((paired["T2"] - paired["T1"]).mean()),
        }
        # With no family changing its answer there is nothing to test (and no p-value to report).
        if (paired["T2"] != paired["T1"]).any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # scipy warns that small samples use the normal approximation
                test = stats.wilcoxon(paired["T2"], paired["T1"], zero_method="wilcox")
            figures["acceptability.family_change.wilcoxon_p"] = float(test.pvalue)
    return figures


_VERDICT = {1: "met", 0: "not met", -1: "uncertain"}


def verdict_gives_away(positive: int, n: int) -> bool:
    """Whether the verdict, beside a hidden share, pins the number positive (or not) to one value.

    A reader who sees ``c`` for the share knows that 1 to 5 respondents were positive, or
    all but 1 to 5; the verdict rules out every count that would read otherwise. If one
    count is left, the verdict is hidden too.
    """
    largest = protocol.current().disclosure.largest_suppressed_count
    observed = verdict(*_interval(positive, n))
    possible = {
        k
        for k in range(n + 1)
        if (1 <= k <= largest or 1 <= n - k <= largest) and verdict(*_interval(k, n)) == observed
    }
    return len(possible) <= 1


def _interval(positive: int, n: int) -> tuple[float, float]:
    result = wilson(positive, n)
    return result.ci_low, result.ci_high


def acceptability_table(figures: dict[str, float]) -> pd.DataFrame:
    """Share positive with 95% CI for each group, and the reading against the protocol's criterion.

    A group of 1 to 5 respondents is suppressed (``c``), with everything computed from it.
    """
    criterion = f"{protocol.current().acceptability.criterion_label} criterion"
    groups = {f"acceptability.{r}": label for r, label in STAFF_ROLES.items()}
    groups |= {"acceptability.family_t1": "Families at T1", "acceptability.family_t2": "Families at T2"}
    rows = []
    where = "Acceptability: share positive by group"
    for key, label in groups.items():
        if f"{key}.share_positive" not in figures:
            continue
        n = int(figures[f"{key}.respondents"])
        positive = round(figures[f"{key}.share_positive"] * n)
        low, high = figures[f"{key}.ci_low"], figures[f"{key}.ci_high"]
        share = f"{figures[f'{key}.share_positive']:.0%} ({low:.0%} to {high:.0%})"
        reading = _VERDICT[figures[f"{key}.criterion_met"]]
        if show_share(positive, n) == SUPPRESSED and enough_people(n):
            # 1 to 5 respondents were positive, or all but 1 to 5: the share would give them back.
            share = SUPPRESSED
            record(where, label, "Share positive (95% CI)", DERIVED)
            if verdict_gives_away(positive, n):
                reading = SUPPRESSED
                record(where, label, criterion, DERIVED)
        rows.append({"Group": label, "Respondents": n, "Share positive (95% CI)": share, criterion: reading})
    frame = pd.DataFrame(rows).set_index("Group").rename_axis(None)
    return protect_table(
        frame,
        counts=["Respondents"],
        derived={"Share positive (95% CI)": "Respondents", criterion: "Respondents"},
        formats={"Respondents": "{:,.0f}"},
        where="Acceptability: share positive by group",
    )


COLLAPSED = {"Negative (1 or 2)": (1, 2), "Neutral (3)": (3,), "Positive (4 or 5)": (4, 5)}
TWO_GROUPS = {"Not positive (1 to 3)": (1, 2, 3), "Positive (4 or 5)": (4, 5)}
_COLOURS = {
    "Very negative": "#D55E00",
    "Negative": "#E69F00",
    "Neutral": "#BBBBBB",
    "Positive": "#56B4E9",
    "Very positive": "#0072B2",
    "Negative (1 or 2)": "#C26A00",
    "Neutral (3)": "#999999",
    "Not positive (1 to 3)": "#B0B0B0",
    "Positive (4 or 5)": "#3A8FC9",
}


def _answer_groups(counts: pd.Series) -> list[tuple[str, tuple[int, ...]]] | None:
    """The answer groups a bar can show: five answers, else three (negative, neutral, positive), else two.

    Fewer groups are used when a group would hold 1 to 5 families; ``None`` when even
    "positive" against "not positive" would: the bar is not drawn.
    """
    five = [(LIKERT[level], (level,)) for level in LIKERT]
    for groups in (five, list(COLLAPSED.items()), list(TWO_GROUPS.items())):
        if not any(is_small(counts[list(levels)].sum()) for _, levels in groups):
            return groups
    return None


def diverging_data(families: pd.DataFrame) -> pd.DataFrame:
    """Share of each response to each family item and wave, placed for a diverging stacked bar chart.

    Negative responses and half the neutral ones sit left of zero, the rest right of it.
    Nothing is left as a gap, whose width would give the hidden share back: where an
    answer was given by 1 to 5 families the bar shows three groups (negative, neutral,
    positive) instead of five, or two (positive, not positive), and where a group would
    still hold 1 to 5 families the bar is left out. Each bar's segments then describe at least 6 families or none.
    """
    rows = []
    for (wave, item), group in families.melt(id_vars=["wave"], value_vars=list(FAMILY_ITEMS), var_name="item").groupby(
        ["wave", "item"]
    ):
        counts = group["value"].value_counts().reindex(LIKERT, fill_value=0)
        question = f"{FAMILY_ITEMS[item]} ({wave})"
        groups = _answer_groups(counts)
        if groups is None:
            record("Families' answers (chart)", question, "all answers", PRIMARY)
            continue
        if len(groups) < len(LIKERT):
            record("Families' answers (chart)", question, "answers combined", FEW_PEOPLE)
        shares = counts / counts.sum()
        # Zero sits in the middle of the neutral answers; with two groups, between them (the
        # neutral share must not be given back by where zero falls).
        start = -(shares[1] + shares[2] + (shares[3] if len(groups) == 2 else shares[3] / 2))
        for order, (label, levels) in enumerate(groups):
            share = float(shares[list(levels)].sum())
            rows.append(
                {
                    "question": question,
                    "response": label,
                    "order": order,
                    "start": round(start, 6),
                    "end": round(start + share, 6),
                    "share": round(share, 6),
                }
            )
            start += share
    return pd.DataFrame(rows, columns=["question", "response", "order", "start", "end", "share"])


def diverging_chart(data: pd.DataFrame, pilot_name: str) -> alt.Chart:
    """Diverging stacked bars of the family questionnaire items at T1 and T2."""
    return (
        alt.Chart(data, title=f"{pilot_name}: families' answers at T1 and T2", width=480)
        .mark_bar()
        .encode(
            y=alt.Y("question:N", title=None),
            x=alt.X("start:Q", title="Share of families (negative left, positive right)", axis=alt.Axis(format=".0%")),
            x2="end:Q",
            color=alt.Color(
                "response:N",
                title="Response",
                sort=list(_COLOURS),
                scale=alt.Scale(domain=list(_COLOURS), range=list(_COLOURS.values())),
            ),
            order=alt.Order("order:Q"),
            tooltip=["question:N", "response:N", alt.Tooltip("share:Q", format=".0%")],
        )
    )
