"""What the money was spent on: map free-text descriptions to categories with a rule table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import altair as alt
import pandas as pd
import yaml

from analysis_src.disclosure import FEW_PEOPLE, SECONDARY, SUPPRESSED, is_small, record
from analysis_src.paths import CONFIG_DIR

RULES_PATH = CONFIG_DIR / "category_rules.yml"
UNCATEGORISED = "uncategorised"


@dataclass(frozen=True)
class RuleTable:
    """Ordered description rules and the labels of the categories."""

    labels: dict[str, str]
    rules: tuple[tuple[re.Pattern, str], ...]


@cache
def load_rules(path: Path = RULES_PATH) -> RuleTable:
    """Read the rule table; every rule must name a known category.

    Raises
    ------
    ValueError
        If a rule names a category that is not listed, or its pattern is not a valid expression.
    """
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    labels = document["categories"]
    rules = []
    for number, rule in enumerate(document["rules"], start=1):
        if rule["category"] not in labels:
            raise ValueError(f"{path}: rule {number} names unknown category {rule['category']!r}")
        try:
            rules.append((re.compile(rule["pattern"], re.IGNORECASE), rule["category"]))
        except re.error as error:
            raise ValueError(f"{path}: rule {number} pattern is not valid: {error}") from error
    return RuleTable(labels=labels, rules=tuple(rules))


def categorise(description: str, recorded: str | None = None, rules: RuleTable | None = None) -> str:
    """The category of one description: first matching rule, else the recorded category, else uncategorised."""
    rules = rules or load_rules()
    for pattern, category in rules.rules:
        if pattern.search(description or ""):
            return category
    return recorded if isinstance(recorded, str) and recorded in rules.labels else UNCATEGORISED


def categorised(transactions: pd.DataFrame, rules: RuleTable | None = None) -> pd.DataFrame:
    """The transactions with a ``derived_category`` column and whether a rule matched (``by_rule``)."""
    rules = rules or load_rules()
    by_rule = [categorise(d, None, rules) for d in transactions["description"]]
    derived = [
        c if c != UNCATEGORISED else categorise("", r, rules)
        for c, r in zip(by_rule, transactions["category"], strict=True)
    ]
    return transactions.assign(derived_category=derived, by_rule=[c != UNCATEGORISED for c in by_rule])


def category_table(transactions: pd.DataFrame, rules: RuleTable | None = None) -> pd.DataFrame:
    """Counts and pound shares of spending by derived category, every category listed.

    Returns
    -------
    DataFrame
        Indexed by category code, with ``label``, ``transactions``, ``share_transactions``,
        ``spend_gbp``, ``share_gbp`` and ``families`` (families with spending in the category);
        ``uncategorised`` is included as the last row.
    """
    rules = rules or load_rules()
    frame = categorised(transactions, rules)
    order = list(rules.labels) + [UNCATEGORISED]
    grouped = frame.groupby("derived_category").agg(
        transactions=("amount_gbp", "count"), spend_gbp=("amount_gbp", "sum"), families=("family_id", "nunique")
    )
    table = grouped.reindex(order, fill_value=0)
    table["share_transactions"] = table["transactions"] / max(len(frame), 1)
    table["share_gbp"] = table["spend_gbp"] / max(frame["amount_gbp"].sum(), 1e-9)
    table.insert(0, "label", [rules.labels.get(code, "Uncategorised") for code in order])
    return table


def category_figures(transactions: pd.DataFrame) -> dict[str, float]:
    """Ledger figures: pound and count shares per category, and the share not categorised by a rule."""
    table = category_table(transactions)
    frame = categorised(transactions)
    figures = {}
    for code, row in table.iterrows():
        if code == UNCATEGORISED:
            continue
        figures[f"spend.category.{code}.share_gbp"] = row["share_gbp"]
        figures[f"spend.category.{code}.transactions"] = row["transactions"]
    figures["spend.uncategorised_share"] = table.loc[UNCATEGORISED, "share_transactions"]
    figures["spend.categorised_by_rule_share"] = float(frame["by_rule"].mean())
    recorded = frame["category"].notna() & frame["by_rule"]
    if recorded.any():
        agree = frame.loc[recorded, "category"] == frame.loc[recorded, "derived_category"]
        figures["spend.category_agreement_share"] = float(agree.mean())
    return figures


def largest_uses(transactions: pd.DataFrame, count: int = 10) -> pd.DataFrame:
    """The categories of the ``count`` largest transactions: categories only, never amounts, counts or families.

    How many of the largest fell in a category would be a count of a few families' spending,
    so the categories are listed, the most frequent first, without their counts.
    """
    top = categorised(transactions).nlargest(count, "amount_gbp", keep="first")
    labels = load_rules().labels
    ranked = top["derived_category"].map(lambda c: labels.get(c, "Uncategorised")).value_counts(sort=False)
    ranked = ranked.sort_index().sort_values(ascending=False, kind="stable")
    return pd.DataFrame({f"Categories of the {len(top)} largest transactions": list(ranked.index)}).set_axis(
        range(1, len(ranked) + 1)
    )


def hidden_categories(table: pd.DataFrame) -> pd.Series:
    """Categories whose spending is not shown: those of 1 to 5 families, and one more where needed.

    A category's spending (in pounds, transactions or shares) is a statistic of the families
    who spent in it: a category of 1 to 5 families (a replacement car, a caravan) would show
    their spending. The categories add up to the published total, so where exactly one is
    hidden, the next smallest by spending is hidden too, and only their sum can be worked out.
    """
    few = table["families"].map(is_small).astype(bool)
    if few.sum() == 1:
        others = table.loc[~few & (table["families"] > 0), "spend_gbp"]
        if len(others):
            few[others.idxmin()] = True
    for code in table.index[few]:
        rule = FEW_PEOPLE if is_small(table.loc[code, "families"]) else SECONDARY
        record("Spending by category", table.loc[code, "label"], "all columns", rule)
    return few


def category_chart(table: pd.DataFrame, pilot_name: str) -> alt.Chart:
    """Horizontal bars of the share of spending (£) by category; categories of 1 to 5 families left out."""
    shown = table[~hidden_categories(table)]
    data = shown.reset_index(names="code")[["label", "share_gbp", "share_transactions"]]
    return (
        alt.Chart(data, title=f"{pilot_name}: share of spending by category", width=420)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort="-x"),
            x=alt.X("share_gbp:Q", title="Share of spending (£)", axis=alt.Axis(format=".0%")),
            tooltip=[
                alt.Tooltip("label:N", title="Category"),
                alt.Tooltip("share_gbp:Q", title="Share of £", format=".1%"),
                alt.Tooltip("share_transactions:Q", title="Share of transactions", format=".1%"),
            ],
        )
    )


def category_display(table: pd.DataFrame) -> pd.DataFrame:
    """The category table formatted for reading; categories of 1 to 5 families (and a complement) show ``c``."""
    shown = pd.DataFrame(
        {
            "Category": table["label"],
            "Transactions": table["transactions"].map("{:,.0f}".format),
            "Share of transactions": table["share_transactions"].map("{:.1%}".format),
            "Spending": table["spend_gbp"].map("£{:,.0f}".format),
            "Share of spending": table["share_gbp"].map("{:.1%}".format),
        }
    )
    shown.loc[
        hidden_categories(table).to_numpy(), ["Transactions", "Share of transactions", "Spending", "Share of spending"]
    ] = SUPPRESSED
    return shown.set_index("Category")
