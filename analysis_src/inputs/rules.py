"""Rules across columns and tables, as the data dictionary writes them (its ``rules:`` list).

A table can meet its own contract and still contradict another: spending dated before
the family's referral, an allocation for a family judged not eligible, a transaction
recorded by another authority than the family's. Each rule names the table whose rows
it checks, optionally another table joined on ``family_id``, and a pandas expression
that must hold. Every breach is reported with the rows of both files.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from analysis_src.inputs.problems import Problem
from analysis_src.paths import CONFIG_DIR

RULES_PATH = CONFIG_DIR / "data_dictionary.yml"
KEY = "family_id"
# One message per breach up to this many per rule; the rest are counted in one more.
_MAX_BREACHES_LISTED = 10
_QUALIFIED = re.compile(r"\b([a-z_]+)\.([a-z_]+)\b")


@cache
def load_rules(path: Path = RULES_PATH) -> list[dict]:
    """The cross-table rules of the data dictionary."""
    return yaml.safe_load(path.read_text(encoding="utf-8")).get("rules", [])


def _name(column: str) -> str:
    """A column name pandas can evaluate: ``families.referral_date`` becomes ``families__referral_date``."""
    return column.replace(".", "__")


def _columns(rule: dict) -> list[str]:
    """The columns a rule reads, qualified (``families.referral_date``) or the checked table's own."""
    words = set(re.findall(r"\b[a-z_]+(?:\.[a-z_]+)?\b", rule.get("holds", "")))
    words -= {"and", "or", "not"}
    quoted = set(re.findall(r"'([^']*)'", rule.get("holds", "")))
    return sorted((words - quoted) | set(rule.get("present", [])) | set(rule.get("when_present", [])))


def _joined(rule: dict, tables: dict[str, pd.DataFrame | None]) -> pd.DataFrame | None:
    """The checked table with its spreadsheet row, joined to the other table's columns and rows."""
    frame = tables.get(rule["table"])
    if frame is None:
        return None
    frame = frame.assign(_row=frame.index + 2)
    other = rule.get("with")
    if other is None:
        return frame
    if tables.get(other) is None:
        return None
    right = tables[other].assign(_row=tables[other].index + 2)
    right = right.drop_duplicates(KEY).rename(columns=lambda c: c if c == KEY else f"{other}__{c}")
    return frame.merge(right, on=KEY, how="left", indicator="_match")


def _blank(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    blank = pd.Series(False, index=frame.index)
    for column in columns:
        blank |= frame[_name(column)].isna()
    return blank


def rule_breaches(rule: dict, tables: dict[str, pd.DataFrame | None], labels: dict[str, str]) -> list[Problem]:
    """Every row of ``rule['table']`` that breaks ``rule``, with the other file's row where there is one.

    Parameters
    ----------
    rule
        One entry of the data dictionary's ``rules``.
    tables
        The validated tables by name, indexed by spreadsheet row - 2.
    labels
        How each table's file is named in messages.
    """
    frame = _joined(rule, tables)
    if frame is None or frame.empty:
        return []
    other = rule.get("with")
    if rule.get("must_match"):
        broken = frame["_match"] == "left_only"
    else:
        if other is not None:
            frame = frame[frame["_match"] == "both"]  # an unknown family is reported by `references`
        broken = _blank(frame, rule.get("present", []))
        judged = ~broken & ~_blank(frame, [c for c in _columns(rule) if c not in rule.get("present", [])])
        judged &= ~_blank(frame, rule.get("when_present", []))
        if "holds" in rule and judged.any():
            expression = _QUALIFIED.sub(lambda m: f"{m.group(1)}__{m.group(2)}", rule["holds"])
            subset = frame.loc[judged].astype(object)
            holds = subset.eval(" ".join(expression.split()), engine="python").astype(bool)
            broken |= pd.Series(False, index=frame.index).mask(judged, ~holds.reindex(frame.index, fill_value=True))
    own = [c for c in _columns(rule) if "." not in c]
    shown = own + [c for c in _columns(rule) if "." in c and c.split(".")[0] == other]
    problems = []
    file = labels.get(rule["table"], rule["table"])
    for _, row in frame[broken].head(_MAX_BREACHES_LISTED).iterrows():
        values = ", ".join(f"{c} {_text(row[_name(c)])}" for c in shown)
        where = ""
        if other is not None and row.get("_match") == "both":
            where = f" (with {labels.get(other, other)} row {int(row[f'{other}___row'])})"
        elif other is not None:
            where = f" (no row for this family in {labels.get(other, other)})"
        problems.append(
            Problem(
                file,
                ", ".join(own) or KEY,
                (int(row["_row"]),),
                f"breaks the rule: {rule['rule']}{where}; found {values}",
            )
        )
    more = int(broken.sum()) - _MAX_BREACHES_LISTED
    if more > 0:
        rows = tuple(int(r) for r in frame.loc[broken, "_row"].iloc[_MAX_BREACHES_LISTED:])
        problems.append(
            Problem(file, ", ".join(own) or KEY, rows, f"breaks the rule: {rule['rule']} ({more} more rows)")
        )
    return problems


def _text(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return "blank" if pd.isna(value) else str(value)


def cross_table_problems(tables: dict[str, pd.DataFrame | None], labels: dict[str, str]) -> list[Problem]:
    """Every breach of every rule of the data dictionary."""
    return [problem for rule in load_rules() for problem in rule_breaches(rule, tables, labels)]
