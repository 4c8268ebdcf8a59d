"""Property: any malformed input ends in a clean read or a clear validation error, never a traceback.

Hypothesis draws one to three defects of the kinds real exports have (encodings,
date and money formats, blank and repeated rows, moved, extra, personal or
missing columns, odd codes, broken cells, truncated or missing files, Excel
copies) and applies them to a one-authority copy of the synthetic data. Either
the tables are read (and the chapter's figures compute from them) or a
:class:`DataValidationError` names file, column and rule for each problem, and
the build exits with status 2 leaving the last good output untouched.
"""

import dataclasses
import shutil
import tempfile
from pathlib import Path

import pandas as pd
from conftest import read_text_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from analysis_src.inputs.contracts import DataValidationError, load_dictionary, read_tables
from analysis_src.inputs.manifest import load_manifest, manifest_text
from analysis_src.paths import SYNTHETIC_DATA_DIR
from analysis_src.pipeline import build
from analysis_src.report.chapter import Chapter, chapter_figures

PILOT = next(p for p in load_manifest() if p.slug == "wigan")
TABLES = ["families", "transactions", "monthly_returns", "staff_survey", "family_survey", "coded_segments"]
BASE = {
    name: (lambda f: f[f["la_code"] == str(PILOT.la_code)].reset_index(drop=True))(
        read_text_table(SYNTHETIC_DATA_DIR / f"{name}.csv")
    )
    for name in TABLES
}
KINDS = [
    "bom",
    "cp1252",
    "undecodable",
    "dmy_dates",
    "serial_dates",
    "money",
    "whitespace",
    "blank_rows",
    "repeat_header",
    "shuffle_columns",
    "extra_column",
    "personal_column",
    "code_case",
    "blank_cell",
    "garbage_cell",
    "drop_column",
    "truncate",
    "delete_file",
    "as_xlsx",
]

defects = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.sampled_from(TABLES),
        st.integers(min_value=0, max_value=10_000),
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    ),
    min_size=1,
    max_size=3,
)


def _columns_of(name, kind, frame):
    """The table's columns of a type that the frame still has (an earlier defect may have dropped one)."""
    return [c for c, spec in load_dictionary()[name]["columns"].items() if spec["type"] == kind and c in frame]


def _apply(frames, encodings, xlsx, missing, truncated, defect):
    kind, name, number, text = defect
    frame = frames[name]
    row = number % max(len(frame), 1)
    column = frame.columns[number % len(frame.columns)] if len(frame.columns) else None
    if kind == "bom":
        encodings[name] = "utf-8-sig"
    elif kind == "cp1252":
        encodings[name] = "cp1252"
        if len(frame) and "description" in frame.columns:
            frame.loc[row, "description"] = "Café – £5"
    elif kind == "undecodable":
        encodings[name] = "undecodable"
    elif kind in ("dmy_dates", "serial_dates"):
        for col in _columns_of(name, "date", frame):
            days = pd.to_datetime(frame[col], format="%Y-%m-%d", errors="coerce")
            if kind == "dmy_dates":
                frame[col] = days.dt.strftime("%d/%m/%Y").fillna(frame[col])
            else:
                serial = (days - pd.Timestamp("1899-12-30")).dt.days
                frame[col] = serial.map(lambda v: "" if pd.isna(v) else str(int(v))).where(days.notna(), frame[col])
    elif kind == "money":
        for col in _columns_of(name, "decimal", frame):
            # Drawn twice, the defect leaves values already written as money as they are.
            frame[col] = frame[col].map(
                lambda v: f"£{float(v):,.2f}" if v not in ("", None) and not str(v).startswith("£") else v
            )
    elif kind == "whitespace" and column is not None and len(frame):
        frame.loc[row, column] = f"  {frame.loc[row, column]} "
    elif kind == "blank_rows":
        blank = pd.DataFrame([[""] * len(frame.columns)] * (1 + number % 3), columns=frame.columns)
        frames[name] = pd.concat([frame, blank], ignore_index=True)
    elif kind == "repeat_header" and len(frame.columns):
        header = pd.DataFrame([list(frame.columns)], columns=frame.columns)
        frames[name] = pd.concat([frame.iloc[:row], header, frame.iloc[row:]], ignore_index=True)
    elif kind == "shuffle_columns":
        order = list(frame.columns)
        shift = number % max(len(order), 1)
        frames[name] = frame[order[shift:] + order[:shift]]
    elif kind == "extra_column":
        frame[text or "extra"] = "x"
    elif kind == "personal_column":
        frame[["child_name", "DOB", "postcode", "upn", "NHS number", "case notes"][number % 6]] = "x"
    elif kind == "code_case":
        for col in _columns_of(name, "code", frame):
            frame[col] = frame[col].str.upper() if number % 2 else frame[col].str.title()
    elif kind == "blank_cell" and column is not None and len(frame):
        frame.loc[row, column] = ""
    elif kind == "garbage_cell" and column is not None and len(frame):
        frame.loc[row, column] = text
    elif kind == "drop_column" and column is not None:
        frames[name] = frame.drop(columns=column)
    elif kind == "truncate":
        truncated[name] = number
    elif kind == "delete_file":
        missing.add(name)
    elif kind == "as_xlsx":
        xlsx.add(name)


def _excel_text(value):
    """Text as Excel can hold it: control characters cannot be typed into a worksheet."""
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _write(folder, frames, encodings, xlsx, missing, truncated):
    for name, frame in frames.items():
        if name in missing:
            continue
        if name in xlsx:
            workbook = Workbook()
            sheet = workbook.active
            sheet.title = name
            sheet.append([_excel_text(c) for c in frame.columns])
            for values in frame.itertuples(index=False):
                sheet.append([None if v == "" else _excel_text(v) for v in map(str, values)])
            workbook.save(folder / f"{name}.xlsx")
            continue
        text = frame.to_csv(index=False, lineterminator="\n")
        encoding = encodings.get(name, "utf-8")
        if encoding == "undecodable":
            data = text.encode("utf-8") + b"\x81\x8d\x8f\x90\x9d\n"
        else:
            data = text.encode(encoding, errors="replace")
        if name in truncated:
            data = data[: truncated[name] % (len(data) + 1)]
        (folder / f"{name}.csv").write_bytes(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=defects)
def test_malformed_input_reads_cleanly_or_fails_clearly(drawn):
    frames = {name: frame.copy() for name, frame in BASE.items()}
    encodings, xlsx, missing, truncated = {}, set(), set(), {}
    for defect in drawn:
        _apply(frames, encodings, xlsx, missing, truncated, defect)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        folder.mkdir()
        _write(folder, frames, encodings, xlsx, missing, truncated)
        (folder / "pilots.yml").write_text(manifest_text([PILOT]), encoding="utf-8")
        try:
            tables, _ = read_tables(folder, [PILOT])
        except DataValidationError as error:
            assert error.problems
            for problem in error.problems:
                assert str(folder) in problem.file and problem.column and problem.rule
            _build_refuses_and_keeps_last_good(folder, Path(tmp) / "out")
            return
        # Read cleanly: the chapter's figures compute from what was read.
        figures = chapter_figures(Chapter(pilot=PILOT, tables=tables.for_authority(PILOT.la_code)))
        assert figures["spend.total_gbp"] >= 0


def _build_refuses_and_keeps_last_good(folder, out):
    targets = build.targets_under(out, data_dir=folder, manifest=folder / "pilots.yml")
    for kept in (targets.html_dir, targets.book_dir):
        kept.mkdir(parents=True)
        (kept / "last-good.txt").write_text("kept")
    assert build.main(["--data", str(folder), "--out", str(out)]) == 2
    for kept in (targets.html_dir, targets.book_dir):
        assert [p.name for p in kept.iterdir()] == ["last-good.txt"]
    assert not targets.stage_dir.exists() and not targets.runs_dir.exists()


def test_the_unbroken_one_authority_copy_reads(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    _write(folder, {k: v.copy() for k, v in BASE.items()}, {}, set(), set(), {})
    tables, notes = read_tables(folder, [PILOT])
    assert notes == [] and len(tables.families) == len(BASE["families"])
    shutil.rmtree(folder)
    assert dataclasses.is_dataclass(tables)
