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

import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pandera.pandas as pa

from analysis_src.manifest import Pilot

DICTIONARY_PATH = Path(__file__).with_name("data_dictionary.yml")
# Tables needed only when the manifest has a randomised pilot.
RANDOMISED_ONLY = ("allocation_log", "family_outcomes")
_MAX_ROWS_LISTED = 10

_FORMAT_PATTERNS = {
    "id": (r"^[A-Za-z0-9_-]{1,40}$", "an identifier of letters, digits, '-' or '_' (at most 40)"),
    "integer": (r"^-?\d+$", "a whole number"),
    "decimal": (r"^-?\d+(\.\d{1,2})?$", "a number with at most 2 decimal places"),
    "date": (r"^\d{4}-\d{2}-\d{2}$", "a date written YYYY-MM-DD"),
    "month": (r"^\d{4}-\d{2}$", "a month written YYYY-MM"),
}


@dataclass(frozen=True)
class Problem:
    """One broken rule: where it is and what the rule says."""

    file: str
    column: str
    rows: tuple[int, ...]
    rule: str

    def __str__(self) -> str:
        if self.rows:
            shown = ", ".join(map(str, self.rows[:_MAX_ROWS_LISTED]))
            more = f" and {len(self.rows) - _MAX_ROWS_LISTED} more" if len(self.rows) > _MAX_ROWS_LISTED else ""
            where = f"row{'s' if len(self.rows) > 1 else ''} {shown}{more}"
        else:
            where = "whole file"
        return f"{self.file}: column '{self.column}', {where}: {self.rule}"


class DataValidationError(ValueError):
    """Input data break the contract; ``problems`` lists every broken rule."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [f"{len(problems)} problem(s) in the input data (rows count the header as row 1):"]
        lines += [f"  - {problem}" for problem in problems]
        super().__init__("\n".join(lines))


@cache
def load_dictionary(path: Path = DICTIONARY_PATH) -> dict:
    """Return the data dictionary: ``{table: {file, description, unique, columns}}``."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["tables"]


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


def read_raw_table(path: Path) -> pd.DataFrame:
    """Read a CSV table as text, blank cells as missing, stray whitespace stripped."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    return frame.apply(lambda column: column.str.strip()).replace("", pd.NA)


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
        The table as text, as returned by :func:`read_raw_table`.
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
                start -= pd.DateOffset(months=pilot.months)
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


@dataclass
class Tables:
    """The validated input tables, typed. Absent optional tables are ``None``."""

    families: pd.DataFrame
    transactions: pd.DataFrame
    monthly_returns: pd.DataFrame
    staff_survey: pd.DataFrame
    family_survey: pd.DataFrame
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


def load_tables(data_dir: str | Path, pilots: list[Pilot], authorities: list[int] | None = None) -> Tables:
    """Read and validate every input table in ``data_dir``.

    Parameters
    ----------
    data_dir
        Folder holding the tables named in the data dictionary.
    pilots
        The validated manifest.
    authorities
        When given, only the rows of these LA codes are validated and kept (a
        chapter needs its own authority only, which keeps a many-authority build
        linear). Rows keep their spreadsheet numbers in error messages.

    Returns
    -------
    Tables
        The typed tables.

    Raises
    ------
    DataValidationError
        Listing every problem found in every file (not only the first).
    """
    data_dir = Path(data_dir)
    dictionary = load_dictionary()
    tables: dict[str, pd.DataFrame | None] = {}
    problems: list[Problem] = []
    for name in dictionary:
        path = data_dir / dictionary[name]["file"]
        file = str(path)
        if not path.is_file():
            if name in required_tables(pilots):
                problems.append(Problem(file, "(all)", (), "required file is missing"))
            tables[name] = None
            continue
        if path.stat().st_size == 0:
            problems.append(Problem(file, "(all)", (), "the file is empty"))
            tables[name] = None
            continue
        try:
            raw = read_raw_table(path)
        except (pd.errors.ParserError, UnicodeDecodeError) as error:
            problems.append(Problem(file, "(all)", (), f"cannot be read as CSV: {error}"))
            tables[name] = None
            continue
        filtered = authorities is not None and "la_code" in raw.columns and not raw.empty
        if filtered:
            raw = raw[raw["la_code"].isin([str(code) for code in authorities])]
        typed, found = validate_table(name, raw, file, pilots, empty_ok=filtered)
        problems += found
        tables[name] = typed
    for name, frame in tables.items():
        if frame is None:
            continue
        file = str(data_dir / dictionary[name]["file"])
        problems += _window_problems(name, frame, file, pilots)
        problems += _reference_problems(name, frame, file, tables)
    if problems:
        raise DataValidationError(problems)
    return Tables(**tables)
