"""Read an input table from CSV or Excel as text, and normalise what real exports get wrong.

Files exported from case-management systems and spreadsheets differ from the
contract in ordinary ways. Each of the cases below is either **normalised and
logged** (a :class:`Note` says what was changed, where) or **rejected** (a
:class:`~analysis_src.inputs.contracts.Problem` names the file, sheet, row, column and
rule). :data:`HANDLED` lists them; the data officer's page is generated from it.

Nothing here guesses silently: a value that does not match one of the patterns
below is left as it is, and the contract then rejects it with its rule.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis_src.inputs.problems import Problem

EXCEL_EPOCH = dt.date(1899, 12, 30)
# Excel serial day numbers accepted as dates: 1 January 1990 to 31 December 2099.
_SERIAL_RANGE = (32874, 73050)
_SERIAL = re.compile(r"^\d{5}(\.0+)?$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_WITH_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00(:00(\.0+)?)?$")
_MONTH_AS_FIRST_DAY = re.compile(r"^(\d{4}-\d{2})-01$")
_MONTH_SLASH = re.compile(r"^(\d{1,2})/(\d{4})$")
_MONEY = re.compile(r"^(-?)\s*£?\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")
_YES_NO = {"yes": "Y", "no": "N", "y": "Y", "n": "N"}
INSTRUCTIONS_SHEET = "instructions"

# Column names that identify people: refused (or dropped on request), never analysed.
PERSONAL_COLUMNS = {
    "a name": re.compile(r"(^|_)(first_?name|fore_?name|surname|last_?name|full_?name|given_?name|name)s?($|_)"),
    "a date of birth": re.compile(r"(^|_)(dob|d_o_b|date_?of_?birth|birth_?date|birthday)($|_)"),
    "a postcode or address": re.compile(r"(^|_)(post_?code|postal_?code|address|street|house)($|_)"),
    "a Unique Pupil Number": re.compile(r"(^|_)(upn|unique_?pupil_?number|pupil_?number)($|_)"),
    "an NHS number": re.compile(r"(^|_)(nhs|nhs_?number|nhs_?no)($|_)"),
    "free-text case notes": re.compile(r"(^|_)(case_?notes?|notes?|comments?|narrative|free_?text)($|_)"),
}

# Every input problem the readers handle, and how: rendered on the data officer's page.
HANDLED = [
    ("CSV saved by Excel as Windows-1252 (cp1252)", "normalised: read as cp1252 when it is not UTF-8, logged"),
    ("CSV in UTF-8 with a byte-order mark (BOM)", "normalised: the mark is removed, logged"),
    ("Text in neither UTF-8 nor cp1252", "rejected: the file is named"),
    ("Excel workbook (.xlsx) instead of CSV", "read from the sheet named as the table (or the first sheet)"),
    ("Both a .csv and an .xlsx for one table", "rejected: which one to use is not guessed"),
    ("Dates written dd/mm/YYYY (as in the SSDA903 return)", "normalised to YYYY-MM-DD, logged"),
    ("Dates as Excel serial numbers (e.g. 43540)", "normalised to YYYY-MM-DD (1990 to 2099 only), logged"),
    ("Dates with a midnight time (2019-03-16 00:00:00)", "normalised: the time is removed, logged"),
    ("Months written YYYY-MM-01, 01/MM/YYYY or MM/YYYY", "normalised to YYYY-MM, logged"),
    ("Amounts with £ and thousands separators (£1,250.00)", "normalised to 1250.00, logged"),
    ("Stray spaces around values and column names", "normalised: removed, logged"),
    ("Column names in another case or with spaces", "normalised to the dictionary's names, logged"),
    ("Blank rows, including blank trailing rows", "normalised: removed, logged with their row numbers"),
    ("Header row repeated inside the data", "normalised: removed, logged with their row numbers"),
    ("Columns in a different order", "accepted: columns are matched by name"),
    ("Codes in another case (Intervention, y)", "normalised to the dictionary's code, logged"),
    ("Yes/No written out in a Y/N field", "normalised to Y/N, logged"),
    (
        "Extra columns not in the data dictionary",
        "rejected (they may hold personal data), or dropped with `DROP_COLUMNS=1`, logged",
    ),
    (
        "Columns that identify people (names, dates of birth, postcodes, UPNs, NHS numbers, case notes)",
        "rejected with the reason, or dropped with `DROP_COLUMNS=1`, logged",
    ),
    ("A required column missing, a repeated column name", "rejected: the column (and where it repeats) is named"),
    (
        "A misspelt column name (amount_gpb)",
        "rejected: the missing column and the likely misspelling are named",
    ),
    ("A CSV saved with ';' or tabs between columns", "rejected: the delimiter found is named"),
    ("Any other value that breaks the contract", "rejected: file, sheet, row, column and rule are named"),
]


@dataclass(frozen=True)
class Note:
    """One normalisation applied to the input: where, and what was changed."""

    file: str
    column: str
    rows: tuple[int, ...]
    action: str

    def __str__(self) -> str:
        return str(Problem(self.file, self.column, self.rows, self.action))


@dataclass
class RawTable:
    """A table read as text: one column per name, index = spreadsheet row - 2 (the header is row 1)."""

    frame: pd.DataFrame | None
    file: str
    notes: list[Note]
    problems: list[Problem]


def table_path(data_dir: Path, file: str) -> tuple[Path | None, list[Problem]]:
    """The CSV or Excel file of a table (``transactions.csv`` or ``transactions.xlsx``)."""
    csv = data_dir / file
    xlsx = csv.with_suffix(".xlsx")
    found = [path for path in (csv, xlsx) if path.is_file()]
    if len(found) == 2:
        rule = f"both {csv.name} and {xlsx.name} exist: keep one of them"
        return None, [Problem(str(csv), "(all)", (), rule)]
    return (found[0] if found else None), []


def read_table(
    path: Path, table_name: str, columns: dict, drop_unknown_columns: bool = False, authorities: list[int] | None = None
) -> RawTable:
    """Read a CSV or Excel table as text and normalise it (see :data:`HANDLED`).

    Parameters
    ----------
    path
        The ``.csv`` or ``.xlsx`` file.
    table_name
        The table's name in the data dictionary (the sheet to read in a workbook).
    columns
        The table's column specifications from the data dictionary.
    drop_unknown_columns
        Drop (and log) columns not in the dictionary instead of refusing them.
    authorities
        Keep only the rows of these LA codes (see :func:`normalise`).
    """
    if path.suffix.lower() == ".xlsx":
        raw = _read_xlsx(path, table_name, columns)
    else:
        raw = _read_csv(path)
    if raw.frame is not None and not raw.problems:
        normalise(raw, columns, drop_unknown_columns, authorities)
    return raw


def _read_csv(path: Path) -> RawTable:
    file = str(path)
    notes: list[Note] = []
    data = path.read_bytes()
    if not data.strip():
        return RawTable(None, file, notes, [Problem(file, "(all)", (), "the file is empty")])
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="strict") if _is_utf8(data[3:]) else None
        notes.append(Note(file, "(all)", (), "UTF-8 byte-order mark removed"))
    elif _is_utf8(data):
        text = data.decode("utf-8")
    else:
        try:
            text = data.decode("cp1252")
            notes.append(Note(file, "(all)", (), "not UTF-8: read as Windows-1252 (cp1252), as saved by Excel"))
        except UnicodeDecodeError:
            text = None
    if text is None:
        rule = "cannot be read: the text is neither UTF-8 nor Windows-1252 (save it as CSV UTF-8)"
        return RawTable(None, file, notes, [Problem(file, "(all)", (), rule)])
    header = next(csv.reader(io.StringIO(text)), [])
    problems = _header_problems(file, header)
    if problems:
        return RawTable(None, file, notes, problems)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[], skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        message = " ".join(str(error).split())
        return RawTable(None, file, notes, [Problem(file, "(all)", (), f"cannot be read as CSV: {message}")])
    return RawTable(frame, file, notes, [])


def _header_problems(file: str, header: list[str]) -> list[Problem]:
    """A header that is not a comma-separated list of distinct names: another delimiter, a repeated name."""
    if len(header) == 1:
        for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if delimiter in header[0]:
                rule = (
                    f"the header is one column holding {name}: the file uses {delimiter!r} between columns, "
                    "not ','. Save it as 'CSV (comma delimited)' or 'CSV UTF-8'"
                )
                return [Problem(file, "(header)", (1,), rule)]
    names = [_canonical_name(name) for name in header]
    problems = []
    for name in dict.fromkeys(names):
        positions = [i + 1 for i, other in enumerate(names) if other == name]
        if len(positions) > 1:
            where = ", ".join(map(str, positions))
            problems.append(Problem(file, name, (1,), f"the column name appears more than once (columns {where})"))
    return problems


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _cell_text(value: object, kind: str | None) -> str:
    """An Excel cell as the text the contract expects."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and value.time() != dt.time(0):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):  # a datetime at midnight, or a date
        day = value.date() if isinstance(value, dt.datetime) else value
        return f"{day:%Y-%m}" if kind == "month" and day.day == 1 else f"{day:%Y-%m-%d}"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and kind != "decimal" else repr(value)
    return str(value)


def _read_xlsx(path: Path, table_name: str, columns: dict) -> RawTable:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    notes: list[Note] = []
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        rule = f"cannot be read as an Excel workbook: {type(error).__name__}"
        return RawTable(None, str(path), notes, [Problem(str(path), "(all)", (), rule)])
    try:
        names = [name for name in workbook.sheetnames if name.lower() != INSTRUCTIONS_SHEET]
        sheet = table_name if table_name in workbook.sheetnames else (names[0] if names else None)
        if sheet is None:
            return RawTable(None, str(path), notes, [Problem(str(path), "(all)", (), "the workbook has no data sheet")])
        file = f"{path} (sheet '{sheet}')"
        if sheet != table_name:
            notes.append(Note(file, "(all)", (), f"no sheet named '{table_name}': read the first sheet"))
        rows = list(workbook[sheet].iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows or all(value is None for value in rows[0]):
        return RawTable(None, file, notes, [Problem(file, "(all)", (), "the sheet is empty")])
    header = ["" if value is None else str(value) for value in rows[0]]
    while header and header[-1] == "":  # Excel reports formatted but empty columns
        header.pop()
    problems = [p for p in _header_problems(file, header) if p.column != "(header)"]  # a sheet has no delimiter
    if problems:
        return RawTable(None, file, notes, problems)
    kinds = [columns.get(_canonical_name(name), {}).get("type") for name in header]
    body = [[_cell_text(value, kind) for value, kind in zip(row, kinds, strict=False)] for row in rows[1:]]
    body = [row + [""] * (len(header) - len(row)) for row in body]
    frame = pd.DataFrame(body, columns=header, dtype=object).astype(str) if body else pd.DataFrame(columns=header)
    return RawTable(frame, file, notes, [])


def _canonical_name(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).replace("\ufeff", "").strip()).lower()


def personal_kind(column: str) -> str | None:
    """What personal data a column name suggests (``"a date of birth"``), or ``None``."""
    name = _canonical_name(column)
    for kind, pattern in PERSONAL_COLUMNS.items():
        if pattern.search(name):
            return kind
    return None


def _rows(mask: pd.Series) -> tuple[int, ...]:
    return tuple(int(i) + 2 for i in mask[mask].index)


def normalise(
    raw: RawTable, columns: dict, drop_unknown_columns: bool = False, authorities: list[int] | None = None
) -> None:
    """Normalise a table read as text in place, adding a note for every change (see :data:`HANDLED`).

    With ``authorities``, only the rows of those LA codes are kept (before the row-by-row
    work, so that a chapter's cost does not grow with the number of authorities in the file).
    """
    frame, file, notes = raw.frame, raw.file, raw.notes
    renamed = {name: _canonical_name(name) for name in frame.columns}
    changed = [f"'{old}' as '{new}'" for old, new in renamed.items() if old != new and new in columns]
    frame.columns = [renamed[name] if renamed[name] in columns else name for name in frame.columns]
    if changed:
        notes.append(Note(file, "(header)", (), "column names read as the dictionary's: " + ", ".join(changed)))
    repeated = sorted({name for name in frame.columns if list(frame.columns).count(name) > 1})
    if repeated:
        raw.problems += [Problem(file, name, (), "the column name appears more than once") for name in repeated]
        return
    if authorities is not None and "la_code" in frame.columns:
        frame = frame[frame["la_code"].astype(str).str.strip().isin([str(code) for code in authorities])]
    text = frame.fillna("").astype(str)
    stripped = text.apply(lambda column: column.str.strip())
    padded = (stripped != text).any(axis=1)
    if padded.any():
        notes.append(Note(file, "(any)", _rows(padded), "stray spaces around values removed"))
    blank = (stripped == "").all(axis=1)
    header_again = ~blank
    for column in frame.columns:  # a row repeating the header: every cell is its column's name
        header_again &= stripped[column].str.replace(r"[\s\-]+", "_", regex=True).str.lower() == _canonical_name(column)
    if blank.any():
        notes.append(Note(file, "(all)", _rows(blank), "blank rows removed"))
    if header_again.any():
        notes.append(Note(file, "(all)", _rows(header_again), "repeated header rows removed"))
    stripped = stripped[~(blank | header_again)]
    for column in list(stripped.columns):
        if column in columns:
            continue
        kind = personal_kind(column)
        why = (
            f"looks like personal data ({kind}): personal data must not enter the analysis"
            if kind
            else "is not in the data dictionary (it may hold personal data)"
        )
        if drop_unknown_columns:
            notes.append(Note(file, column, (), f"column dropped: it {why}"))
            stripped = stripped.drop(columns=column)
        else:
            rule = f"column {why}: refused. Remove it, or build with DROP_COLUMNS=1 to drop it"
            raw.problems.append(Problem(file, column, (), rule))
    raw.problems += _misspelt(file, list(frame.columns), columns)
    for column, spec in columns.items():
        if column in stripped.columns:
            stripped[column] = _normalise_column(stripped[column], spec, file, column, notes)
    raw.frame = stripped.replace("", pd.NA)


def _misspelt(file: str, found: list[str], columns: dict) -> list[Problem]:
    """A dictionary column missing while a column not in the dictionary looks like it: name both."""
    unknown = [name for name in found if name not in columns]
    problems = []
    for name in (column for column in columns if column not in found):
        guess = difflib.get_close_matches(name, unknown, n=1, cutoff=0.6)
        if guess:
            rule = f"required column is missing; the file's column {guess[0]!r} is probably it, misspelt"
            problems.append(Problem(file, name, (), rule))
    return problems


def _normalise_column(values: pd.Series, spec: dict, file: str, column: str, notes: list[Note]) -> pd.Series:
    kind = spec["type"]
    out = values.copy()

    def apply(mask: pd.Series, new: pd.Series, action: str) -> None:
        nonlocal out
        mask = mask & (new != out) & new.notna()
        if mask.any():
            out = out.where(~mask, new)
            notes.append(Note(file, column, _rows(mask), action))

    if kind == "date":
        apply(values.str.match(_DMY), values.map(_from_dmy), "dates written dd/mm/YYYY read as YYYY-MM-DD")
        apply(values.str.match(_SERIAL), values.map(_from_serial), "Excel serial day numbers read as dates")
        midnight = values.str.extract(_ISO_WITH_MIDNIGHT, expand=False)[0]
        apply(midnight.notna(), midnight, "midnight times removed from dates")
    elif kind == "month":
        first = values.str.extract(_MONTH_AS_FIRST_DAY, expand=False)
        apply(first.notna(), first, "first days of the month read as months YYYY-MM")
        dmy = values.map(_from_dmy)
        as_month = dmy.str.extract(_MONTH_AS_FIRST_DAY, expand=False)
        apply(as_month.notna(), as_month, "dates 01/MM/YYYY read as months YYYY-MM")
        slash = values.map(_from_month_slash)
        apply(slash.notna(), slash, "months written MM/YYYY read as YYYY-MM")
    elif kind in ("decimal", "integer"):
        money = values.map(_from_money)
        apply(money.notna(), money, "'£' and thousands separators removed from numbers")
    elif kind == "code":
        allowed = {str(value).lower(): str(value) for value in spec["values"]}
        lowered = values.str.lower()
        canonical = lowered.map(allowed)
        if set(allowed) == {"y", "n"}:
            canonical = lowered.map(_YES_NO)
        apply(canonical.notna(), canonical, "codes written in another form read as the dictionary's codes")
    return out


def _from_dmy(value: str) -> str | None:
    match = _DMY.match(value)
    if not match:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return f"{dt.date(year, month, day):%Y-%m-%d}"
    except ValueError:
        return None


def _from_serial(value: str) -> str | None:
    if not _SERIAL.match(value):
        return None
    serial = int(float(value))
    if not _SERIAL_RANGE[0] <= serial <= _SERIAL_RANGE[1]:
        return None
    return f"{EXCEL_EPOCH + dt.timedelta(days=serial):%Y-%m-%d}"


def _from_month_slash(value: str) -> str | None:
    match = _MONTH_SLASH.match(value)
    if not match or not 1 <= int(match.group(1)) <= 12:
        return None
    return f"{match.group(2)}-{int(match.group(1)):02d}"


def _from_money(value: str) -> str | None:
    match = _MONEY.match(value)
    if not match or ("£" not in value and "," not in value):
        return None
    sign, whole, fraction = match.groups()
    return f"{sign}{whole.replace(',', '')}{fraction or ''}"
