"""Validate input tables against the data dictionary before any analysis runs.

Validation runs in two pandera stages so that one bad cell cannot hide another:

1. *Format*: every cell is checked as the raw text read from the file (a number
   that is not a number, a date that is not a date, a code not in the list,
   a blank in a required column, a repeated key).
2. *Values*: the typed table is checked for ranges and authority codes, then
   across tables (a transaction for an unknown family, a date outside the pilot).

Every problem is reported as file, column, spreadsheet row(s) (the header is
row 1) and the rule broken; all problems are collected before the error is raised.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from analysis_src.paths import CONFIG_DIR

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pandera.pandas as pa

from analysis_src.config import codebook, protocol
from analysis_src.inputs.manifest import Pilot
from analysis_src.inputs.problems import DataValidationError, Problem
from analysis_src.inputs.readers import Note, read_table, table_path
from analysis_src.inputs.rules import cross_table_problems

DICTIONARY_PATH = CONFIG_DIR / "data_dictionary.yml"
# Tables needed only when the manifest has a randomised pilot.
RANDOMISED_ONLY = ("allocation_log", "family_outcomes")

_FORMAT_PATTERNS = {
    "id": (r"^[A-Za-z0-9_-]{1,40}$", "an identifier of letters, digits, '-' or '_' (at most 40)"),
    "integer": (r"^-?\d+$", "a whole number"),
    "decimal": (r"^-?\d+(\.\d{1,2})?$", "a number with at most 2 decimal places"),
    "date": (r"^\d{4}-\d{2}-\d{2}$", "a date written YYYY-MM-DD"),
    "month": (r"^\d{4}-\d{2}$", "a month written YYYY-MM"),
}


@cache
def load_dictionary(path: Path = DICTIONARY_PATH) -> dict:
    """Return the data dictionary: ``{table: {file, description, unique, columns}}``.

    A column with ``values_from: codebook`` gets the codes of ``codebook.yml`` as its values.
    """
    tables = yaml.safe_load(path.read_text(encoding="utf-8"))["tables"]
    for table in tables.values():
        for spec in table["columns"].values():
            if spec.get("values_from") == "codebook":
                spec["values"] = list(codebook.current().codes)
    return tables


_TYPE_TEXT = {
    "id": "identifier",
    "text": "free text",
    "integer": "whole number",
    "decimal": "number (2 dp)",
    "date": "date YYYY-MM-DD",
    "month": "month YYYY-MM",
    "code": "code",
}


def type_text(kind: str) -> str:
    """How a column type of the data dictionary is described to people."""
    return _TYPE_TEXT[kind]


def required_tables(pilots: list[Pilot]) -> list[str]:
    """Names of the tables a build needs for these pilots."""
    randomised = any(pilot.randomised for pilot in pilots)
    return [name for name in load_dictionary() if randomised or name not in RANDOMISED_ONLY]


def _is_calendar_date(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="%Y-%m-%d", errors="coerce").notna() | values.isna()


def _is_calendar_month(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="%Y-%m", errors="coerce").notna() | values.isna()


def _format_schema(table: dict) -> pa.DataFrameSchema:
    columns = {}
    for name, spec in table["columns"].items():
        kind = spec["type"]
        checks = []
        if kind in _FORMAT_PATTERNS:
            pattern, meaning = _FORMAT_PATTERNS[kind]
            checks.append(pa.Check.str_matches(pattern, error=f"must be {meaning}"))
        if kind == "date":
            checks.append(pa.Check(_is_calendar_date, error="must be a real calendar date"))
        if kind == "month":
            checks.append(pa.Check(_is_calendar_month, error="must be a real calendar month"))
        if kind == "code":
            allowed = ", ".join(spec["values"])
            checks.append(pa.Check.isin(spec["values"], error=f"must be one of: {allowed}"))
        if kind == "text":
            checks.append(pa.Check.str_length(max_value=500, error="must be at most 500 characters"))
        columns[name] = pa.Column(str, checks, nullable=not spec.get("required", True))
    return pa.DataFrameSchema(columns, unique=table.get("unique"), report_duplicates="all")


def _value_schema(table: dict, pilots: list[Pilot]) -> pa.DataFrameSchema:
    codes = sorted(pilot.la_code for pilot in pilots)
    columns = {}
    for name, spec in table["columns"].items():
        checks = []
        unit = f" {spec['unit']}" if spec.get("unit") else ""
        if "min" in spec:
            checks.append(pa.Check.ge(spec["min"], error=f"must be at least {spec['min']}{unit}"))
        if "max" in spec:
            checks.append(pa.Check.le(spec["max"], error=f"must be at most {spec['max']}{unit}"))
        if spec.get("authority"):
            checks.append(
                pa.Check.isin(codes, error=f"unknown authority: must be an la_code in the manifest ({codes})")
            )
        if checks:
            columns[name] = pa.Column(checks=checks, nullable=True)
    return pa.DataFrameSchema(columns)


def _rule_text(check: str, failure: object) -> str:
    failure = failure.item() if hasattr(failure, "item") else failure  # 359, not np.int64(359)
    if check == "not_nullable":
        return "must not be blank"
    if check.startswith("field_uniqueness") or check.startswith("multiple_fields_uniqueness"):
        return f"must be unique; repeated value {failure!r}"
    if check == "column_in_dataframe":
        return "required column is missing"
    return f"{check}; found {failure!r}"


def _problems_from(errors: pa.errors.SchemaErrors, file: str) -> list[Problem]:
    cases = errors.failure_cases
    problems = []
    for (column, check), group in cases.groupby(["column", "check"], sort=False, dropna=False):
        rows = tuple(sorted({int(i) + 2 for i in group["index"].dropna()}))
        column_name = str(column) if pd.notna(column) else ", ".join(map(str, group["failure_case"]))
        rule = _rule_text(str(check), group["failure_case"].iloc[0])
        problems.append(Problem(file, column_name, rows, rule))
    return problems


def _typed(raw: pd.DataFrame, table: dict) -> pd.DataFrame:
    typed = raw.copy()
    for name, spec in table["columns"].items():
        kind = spec["type"]
        if kind == "integer":
            typed[name] = pd.to_numeric(raw[name]).astype("Int64")
        elif kind == "decimal":
            typed[name] = pd.to_numeric(raw[name]).astype(float)
        elif kind == "date":
            typed[name] = pd.to_datetime(raw[name], format="%Y-%m-%d")
        elif kind == "month":
            typed[name] = pd.to_datetime(raw[name], format="%Y-%m")
    return typed


def validate_table(
    name: str, raw: pd.DataFrame, file: str, pilots: list[Pilot], empty_ok: bool = False
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Check one table against its contract.

    Parameters
    ----------
    name
        Table name in the data dictionary, such as ``"transactions"``.
    raw
        The table as text, as returned by :func:`analysis_src.inputs.readers.read_table`.
    file
        How to name the file in error messages.
    pilots
        The manifest, for authority codes.
    empty_ok
        Accept a table with no rows (the rows of one authority may be none).

    Returns
    -------
    typed, problems
        The typed table (``None`` when the format stage failed) and the problems found.
    """
    table = load_dictionary()[name]
    if raw.empty and not empty_ok:
        return None, [Problem(file, "(all)", (), "the file has no data rows")]
    expected = list(table["columns"])
    missing = [column for column in expected if column not in raw.columns]
    extra = [column for column in raw.columns if column not in expected]
    problems = [Problem(file, column, (), "required column is missing") for column in missing]
    problems += [
        Problem(file, str(column), (), "column is not in the data dictionary (refused: it may hold personal data)")
        for column in extra
    ]
    if problems:
        return None, problems
    try:
        _format_schema(table).validate(raw[expected], lazy=True)
    except pa.errors.SchemaErrors as errors:
        return None, _problems_from(errors, file)
    typed = _typed(raw[expected], table)
    try:
        _value_schema(table, pilots).validate(typed, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return typed, _problems_from(errors, file)
    return typed, []


def _constant_problems(name: str, frame: pd.DataFrame, file: str) -> list[Problem]:
    """Attributes that must be the same in every row of a key (a participant's authority and role)."""
    problems = []
    for key, columns in load_dictionary()[name].get("constant_within", {}).items():
        for column in columns:
            varying = frame.groupby(key)[column].transform("nunique") > 1
            if varying.any():
                rows = tuple(int(i) + 2 for i in frame.index[varying])
                rule = f"must be the same in every row of the same {key}"
                problems.append(Problem(file, column, rows, rule))
    return problems


def _window_problems(name: str, frame: pd.DataFrame, file: str, pilots: list[Pilot]) -> list[Problem]:
    """Dates outside the pilot period (or the study period) of the row's authority."""
    problems = []
    by_code = {pilot.la_code: pilot for pilot in pilots}
    for column, spec in load_dictionary()[name]["columns"].items():
        if not (spec.get("within_pilot") or spec.get("within_study")):
            continue
        bad_rows = []
        for index, code, value in zip(frame.index, frame["la_code"], frame[column], strict=True):
            pilot = by_code.get(code)
            if pilot is None or pd.isna(value):
                continue
            start = pd.Timestamp(pilot.start_date)
            if spec.get("within_study"):
                start -= pd.DateOffset(months=protocol.current().outcomes.max_pre_months)
            if not start <= value <= pd.Timestamp(pilot.end_date):
                bad_rows.append(index + 2)
        if bad_rows:
            period = "the study period (pre-period and pilot)" if spec.get("within_study") else "the pilot period"
            problems.append(Problem(file, column, tuple(bad_rows), f"date outside {period} of the row's authority"))
    return problems


def _reference_problems(name: str, frame: pd.DataFrame, file: str, tables: dict) -> list[Problem]:
    problems = []
    for column, spec in load_dictionary()[name]["columns"].items():
        target = spec.get("references")
        if not target:
            continue
        target_table, target_column = target.split(".")
        if tables.get(target_table) is None:
            continue
        known = set(tables[target_table][target_column])
        bad_rows = tuple(i + 2 for i, value in zip(frame.index, frame[column], strict=True) if value not in known)
        if bad_rows:
            problems.append(Problem(file, column, bad_rows, f"unknown value: not a {target_column} in {target_table}"))
    return problems


# Questionnaires an authority may not have returned (the chapter says so in words).
SURVEYS_MAY_BE_EMPTY = {
    "staff_survey": "no staff questionnaire was returned",
    "family_survey": "no family questionnaire was returned",
}
# Tables an authority may return empty: it still gets a chapter, which says so.
MAY_BE_EMPTY = SURVEYS_MAY_BE_EMPTY | {
    "transactions": "no spending is recorded yet, and gives the referrals, outcomes and questionnaires only",
    "coded_segments": "no coded interviews, focus groups or observations were supplied",
}
# ...except that a randomised comparison needs the spend log to know which families received a budget.
NEEDED_WHEN_RANDOMISED = {"transactions": "the randomised comparison needs its spend log"}


def coverage(
    tables: dict[str, pd.DataFrame | None], labels: dict[str, str], pilots: list[Pilot]
) -> tuple[list[Problem], list[Note]]:
    """Each authority's rows in each table: what stops a build, and what its chapter will state.

    An authority with no families or no monthly returns cannot have a chapter (its figures
    would be zeros that look like findings), nor can a randomised one with no spending: a
    problem. One with no rows in a questionnaire, or with no spending yet, gets a chapter
    that says so in words: a warning. ``make check`` and ``make book`` both run this, so
    they say the same.
    """
    problems, warnings_ = [], []
    for name, frame in tables.items():
        if frame is None or name in RANDOMISED_ONLY or "la_code" not in frame.columns:
            continue
        present = set(frame["la_code"].dropna().astype(int))
        for pilot in pilots:
            if pilot.la_code in present:
                continue
            file = labels.get(name, name)
            if pilot.randomised and name in NEEDED_WHEN_RANDOMISED:
                rule = f"no rows for {pilot.name} ({pilot.la_code}): {NEEDED_WHEN_RANDOMISED[name]}"
                problems.append(Problem(file, "la_code", (), rule))
            elif name in MAY_BE_EMPTY:
                what = f"warning: no rows for {pilot.name} ({pilot.la_code}): the chapter says {MAY_BE_EMPTY[name]}"
                warnings_.append(Note(file, "la_code", (), what))
            else:
                rule = f"no rows for {pilot.name} ({pilot.la_code}): a chapter needs its {name.replace('_', ' ')}"
                problems.append(Problem(file, "la_code", (), rule))
    return problems, warnings_


@dataclass
class Tables:
    """The validated input tables, typed. Absent optional tables are ``None``."""

    families: pd.DataFrame
    transactions: pd.DataFrame
    monthly_returns: pd.DataFrame
    staff_survey: pd.DataFrame
    family_survey: pd.DataFrame
    coded_segments: pd.DataFrame
    allocation_log: pd.DataFrame | None = None
    family_outcomes: pd.DataFrame | None = None

    def for_authority(self, la_code: int) -> Tables:
        """The same tables restricted to one authority."""
        return Tables(
            **{
                name: (None if frame is None else frame[frame["la_code"] == la_code].reset_index(drop=True))
                for name, frame in vars(self).items()
            }
        )


SALT_ENV = "DEVOLVED_BUDGETS_SALT"
DROP_COLUMNS_ENV = "DEVOLVED_BUDGETS_DROP_COLUMNS"


def read_tables(
    data_dir: str | Path, pilots: list[Pilot], authorities: list[int] | None = None, drop_unknown_columns: bool = False
) -> tuple[Tables, list[Note]]:
    """Read, normalise and validate every input table in ``data_dir``; return the tables and the log.

    Parameters
    ----------
    data_dir
        Folder holding the tables named in the data dictionary, each as ``.csv`` or ``.xlsx``.
    pilots
        The validated manifest.
    authorities
        When given, only the rows of these LA codes are validated and kept (a
        chapter needs its own authority only, which keeps a many-authority build
        linear). Rows keep their spreadsheet numbers in error messages.
    drop_unknown_columns
        Drop columns that are not in the data dictionary (logged) instead of refusing them.

    Returns
    -------
    tables, notes
        The typed tables and every normalisation applied (see :mod:`analysis_src.inputs.readers`).

    Raises
    ------
    DataValidationError
        Listing every problem found in every file (not only the first).
    """
    data_dir = Path(data_dir)
    dictionary = load_dictionary()
    tables: dict[str, pd.DataFrame | None] = {}
    labels: dict[str, str] = {}
    problems: list[Problem] = []
    notes: list[Note] = []
    if not data_dir.is_dir():
        raise DataValidationError([Problem(str(data_dir), "(all)", (), "the data folder does not exist")])
    for name in dictionary:
        tables[name] = None
        path, found = table_path(data_dir, dictionary[name]["file"])
        problems += found
        if found:
            continue
        if path is None:
            if name in required_tables(pilots):
                problems.append(
                    Problem(str(data_dir / dictionary[name]["file"]), "(all)", (), "required file is missing")
                )
            continue
        raw = read_table(path, name, dictionary[name]["columns"], drop_unknown_columns, authorities)
        labels[name] = raw.file
        notes += raw.notes
        problems += raw.problems
        if raw.frame is None or raw.problems:
            continue
        filtered = authorities is not None and "la_code" in raw.frame.columns
        typed, found = validate_table(name, raw.frame, raw.file, pilots, empty_ok=filtered)
        problems += found
        tables[name] = typed
    for name, frame in tables.items():
        if frame is None:
            continue
        problems += _constant_problems(name, frame, labels[name])
        problems += _window_problems(name, frame, labels[name], pilots)
        problems += _reference_problems(name, frame, labels[name], tables)
    problems += cross_table_problems(tables, labels)
    if authorities is None:  # a chapter reads its own rows only: the whole folder was checked before
        gaps, warnings_ = coverage(tables, labels, pilots)
        problems += gaps
        notes += warnings_
    if problems:
        raise DataValidationError(problems)
    # Spreadsheet row numbers were needed for the messages only: the analysis gets plain row positions.
    return Tables(**{k: None if v is None else v.reset_index(drop=True) for k, v in tables.items()}), notes


def load_tables(
    data_dir: str | Path,
    pilots: list[Pilot],
    authorities: list[int] | None = None,
    drop_unknown_columns: bool | None = None,
    salt: str | None = None,
) -> Tables:
    """Read and validate the input tables, then replace identifiers by salted pseudonyms.

    Parameters
    ----------
    data_dir, pilots, authorities
        As for :func:`read_tables`.
    drop_unknown_columns
        As for :func:`read_tables`; when ``None``, taken from the environment variable
        ``DEVOLVED_BUDGETS_DROP_COLUMNS`` (set by the build for its notebooks).
    salt
        Secret salt of the pseudonyms; when ``None``, taken from ``DEVOLVED_BUDGETS_SALT``.
        Without a salt the identifiers are kept (the synthetic data's are not real).

    Returns
    -------
    Tables
        The typed tables, identifiers re-keyed when a salt is set.

    Raises
    ------
    DataValidationError
        Listing every problem found in every file (not only the first).
    """
    if drop_unknown_columns is None:
        drop_unknown_columns = os.environ.get(DROP_COLUMNS_ENV, "") == "1"
    tables, _ = read_tables(data_dir, pilots, authorities, drop_unknown_columns)
    salt = os.environ.get(SALT_ENV) if salt is None else salt
    return pseudonymise(tables, salt) if salt else tables


def pseudonymise(tables: Tables, salt: str) -> Tables:
    """Replace every identifier marked ``pseudonymise`` in the dictionary (and its references) by a salted hash.

    The same value gives the same pseudonym in every table, so joins still work;
    without the salt the real identifier cannot be recovered by hashing guesses.
    """
    marked = {
        f"{name}.{column}": spec["pseudonymise"]
        for name, table in load_dictionary().items()
        for column, spec in table["columns"].items()
        if spec.get("pseudonymise")
    }
    out = {}
    for name, frame in vars(tables).items():
        if frame is not None:
            frame = frame.copy()
            for column, spec in load_dictionary()[name]["columns"].items():
                prefix = marked.get(f"{name}.{column}") or marked.get(spec.get("references", ""))
                if prefix:
                    frame[column] = frame[column].map(lambda value, p=prefix: _pseudonym(value, p, salt))
        out[name] = frame
    return Tables(**out)


def _pseudonym(value: object, prefix: str, salt: str) -> object:
    if pd.isna(value):
        return value
    return f"{prefix}-{hashlib.sha256(f'{salt}:{value}'.encode()).hexdigest()[:16]}"


def authorities_with_data(data_dir: str | Path, pilots: list[Pilot]) -> list[Pilot]:
    """The pilots of the manifest that have rows in the families table (all of them if it cannot be read)."""
    path, found = table_path(Path(data_dir), load_dictionary()["families"]["file"])
    if path is None or found:
        return pilots
    raw = read_table(path, "families", load_dictionary()["families"]["columns"], drop_unknown_columns=True)
    if raw.frame is None or "la_code" not in raw.frame.columns:
        return pilots
    present = set(raw.frame["la_code"].dropna())
    return [pilot for pilot in pilots if str(pilot.la_code) in present] or pilots
