"""Blank Excel templates of the input tables, generated from the data dictionary.

``make templates`` (``python -m analysis_src.inputs.workbooks``) writes one workbook
per table. Each has a data sheet named as the table, with the header row and
drop-down lists for coded fields (authority codes from the manifest, the
dictionary's codes, Likert values 1 to 5), and an ``instructions`` sheet that
describes every column. A filled-in workbook is read back by the build as it is.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from analysis_src.inputs.contracts import load_dictionary, type_text
from analysis_src.inputs.manifest import Pilot, load_manifest
from analysis_src.inputs.readers import INSTRUCTIONS_SHEET
from analysis_src.paths import BUILD_DIR, MANIFEST_PATH

TEMPLATES_DIR = BUILD_DIR / "templates"
# Rows of the data sheet that carry the drop-downs and formats.
ROWS = 20000
_FORMATS = {"date": "yyyy-mm-dd", "month": "@", "decimal": "0.00", "id": "@", "text": "@", "code": "@"}


def _choices(spec: dict, pilots: list[Pilot]) -> list[str] | None:
    """The drop-down values of a column, or ``None`` when it has no fixed list."""
    if spec.get("authority"):
        return [str(pilot.la_code) for pilot in pilots]
    if spec["type"] == "code":
        return [str(value) for value in spec["values"]]
    if spec["type"] == "integer" and spec.get("min") == 1 and spec.get("max") == 5:  # Likert items
        return ["1", "2", "3", "4", "5"]
    return None


# Excel allows at most 255 characters in a list written into the rule; longer lists go on a sheet.
_INLINE_LIST = 255
LISTS_SHEET = "lists"


def _validation(spec: dict, pilots: list[Pilot], workbook: Workbook | None = None) -> DataValidation | None:
    choices = _choices(spec, pilots)
    blank = not spec.get("required", True)
    if choices is not None:
        inline = ",".join(choices)
        if len(inline) + 2 > _INLINE_LIST and workbook is not None:
            lists = workbook[LISTS_SHEET] if LISTS_SHEET in workbook.sheetnames else workbook.create_sheet(LISTS_SHEET)
            lists.sheet_state = "hidden"
            column = get_column_letter(lists.max_column + (1 if lists.max_row > 1 or lists["A1"].value else 0))
            for row, value in enumerate(choices, start=1):
                lists[f"{column}{row}"] = value
            formula = f"{LISTS_SHEET}!${column}$1:${column}${len(choices)}"
        else:
            formula = '"' + inline + '"'
        rule = DataValidation(type="list", formula1=formula, allow_blank=blank)
        rule.error = "Choose a value from the list" + (": " + ", ".join(choices) if len(choices) <= 12 else "")
    elif spec["type"] == "date":
        rule = DataValidation(type="date", operator="greaterThan", formula1="32874", allow_blank=blank)
        rule.error = "Enter a date (day/month/year); it is stored as YYYY-MM-DD"
    elif spec["type"] in ("integer", "decimal") and "min" in spec:
        kind = "whole" if spec["type"] == "integer" else "decimal"
        if "max" in spec:
            rule = DataValidation(
                type=kind, operator="between", formula1=str(spec["min"]), formula2=str(spec["max"]), allow_blank=blank
            )
        else:
            rule = DataValidation(
                type=kind, operator="greaterThanOrEqual", formula1=str(spec["min"]), allow_blank=blank
            )
        rule.error = f"Enter a number from {spec['min']}" + (f" to {spec['max']}" if "max" in spec else "")
    else:
        return None
    rule.showErrorMessage = True
    rule.errorTitle = "Not allowed by the data dictionary"
    return rule


def template_workbook(name: str, pilots: list[Pilot]) -> Workbook:
    """The blank workbook of one table: data sheet with drop-downs, and an instructions sheet."""
    table = load_dictionary()[name]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = name
    for index, (column, spec) in enumerate(table["columns"].items(), start=1):
        cell = sheet.cell(row=1, column=index, value=column)
        cell.font = Font(bold=True)
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(14, len(column) + 4)
        rule = _validation(spec, pilots, workbook)
        if rule is not None:
            rule.add(f"{letter}2:{letter}{ROWS + 1}")
            sheet.add_data_validation(rule)
        # A column style, not formatted cells: the sheet stays empty below the header.
        sheet.column_dimensions[letter].number_format = _FORMATS.get(spec["type"], "General")
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet(INSTRUCTIONS_SHEET)
    guide.append([f"{table['file']}: {' '.join(table['description'].split())}"])
    guide.append(
        [
            "Fill in the sheet '" + name + "', one row per record, from row 2. Keep the header row. "
            "Do not add columns: a column that is not listed below is refused, because it may hold personal data "
            "(names, dates of birth, postcodes, UPNs, NHS numbers and case notes never enter the analysis). "
            "Check the folder with `make check DATA=folder` before building."
        ]
    )
    if table.get("unique"):
        guide.append(["Each row is identified by: " + ", ".join(table["unique"])])
    guide.append([])
    guide.append(["Column", "Required", "Type", "Allowed values", "Description"])
    for cell in guide[guide.max_row]:
        cell.font = Font(bold=True)
    for column, spec in table["columns"].items():
        choices = _choices(spec, pilots)
        allowed = ", ".join(choices) if choices else ""
        if "min" in spec and not choices:
            allowed = f"{spec['min']} to {spec.get('max', '')}".strip() + (
                f" {spec['unit']}" if spec.get("unit") else ""
            )
        if spec.get("references"):
            allowed = (allowed + "; " if allowed else "") + f"must exist in {spec['references']}"
        guide.append(
            [
                column,
                "yes" if spec.get("required", True) else "may be blank",
                type_text(spec["type"]),
                allowed,
                " ".join(str(spec.get("description", "")).split()),
            ]
        )
    for letter, width in zip("ABCDE", (24, 14, 18, 40, 90), strict=True):
        guide.column_dimensions[letter].width = width
    return workbook


def write_templates(out_dir: Path, pilots: list[Pilot]) -> list[Path]:
    """Write one blank workbook per table of the data dictionary; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in load_dictionary().items():
        path = out_dir / Path(table["file"]).with_suffix(".xlsx").name
        template_workbook(name, pilots).save(path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: write the templates."""
    parser = argparse.ArgumentParser(description="Write a blank Excel template for each input table.")
    parser.add_argument("--out", type=Path, default=TEMPLATES_DIR)
    parser.add_argument("--manifest", type=Path, default=MANIFEST_PATH, help="manifest giving the authority codes")
    args = parser.parse_args(argv)
    for path in write_templates(args.out, load_manifest(args.manifest)):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
