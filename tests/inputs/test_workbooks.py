"""Excel templates: header, drop-downs for coded fields, instructions from the dictionary, and a round trip."""

import pandas as pd
import pytest
from conftest import read_text_table
from openpyxl import load_workbook

from analysis_src.inputs.contracts import load_dictionary, load_tables
from analysis_src.inputs.workbooks import write_templates
from analysis_src.paths import SYNTHETIC_DATA_DIR


@pytest.fixture(scope="module")
def templates(tmp_path_factory, pilots):
    folder = tmp_path_factory.mktemp("templates")
    write_templates(folder, pilots)
    return folder


def _validations(sheet):
    """{column letter: (type, formula1)} of the sheet's data validations."""
    found = {}
    for rule in sheet.data_validations.dataValidation:
        for cell_range in rule.sqref.ranges:
            found[cell_range.coord.split(":")[0].rstrip("0123456789")] = (rule.type, rule.formula1)
    return found


def test_one_workbook_per_table_with_the_header_only(templates):
    for name, table in load_dictionary().items():
        workbook = load_workbook(templates / f"{name}.xlsx")
        lists = ["lists"] if name == "coded_segments" else []  # the codebook's codes are too many to inline
        assert workbook.sheetnames == [name, *lists, "instructions"]
        sheet = workbook[name]
        assert [c.value for c in sheet[1]] == list(table["columns"])
        assert sheet.max_row == 1  # blank below the header


def test_coded_fields_have_drop_downs(templates, pilots):
    rules = _validations(load_workbook(templates / "transactions.xlsx")["transactions"])
    assert rules["C"] == ("list", '"' + ",".join(str(p.la_code) for p in pilots) + '"')  # la_code
    assert rules["F"][0] == "list" and "practical_material" in rules["F"][1]  # category
    assert rules["E"][0] == "decimal" and rules["D"][0] == "date"  # amount, date
    likert = _validations(load_workbook(templates / "staff_survey.xlsx")["staff_survey"])
    assert likert["D"] == ("list", '"1,2,3,4,5"')  # acceptable_overall
    arms = _validations(load_workbook(templates / "allocation_log.xlsx")["allocation_log"])
    assert arms["F"] == ("list", '"intervention,control"')


def test_a_list_longer_than_excel_allows_inline_is_on_a_hidden_sheet(templates):
    from analysis_src.config import codebook

    workbook = load_workbook(templates / "coded_segments.xlsx")
    rules = _validations(workbook["coded_segments"])
    codes = list(codebook.current().codes)
    assert rules["G"] == ("list", f"lists!$A$1:$A${len(codes)}")  # code
    assert [row[0] for row in workbook["lists"].iter_rows(values_only=True)] == codes
    assert workbook["lists"].sheet_state == "hidden"
    assert all(len(formula) <= 255 for _, formula in rules.values())


def test_instructions_sheet_describes_every_column(templates):
    for name, table in load_dictionary().items():
        rows = list(load_workbook(templates / f"{name}.xlsx")["instructions"].values)
        described = {row[0]: row for row in rows if row and row[0] in table["columns"]}
        assert set(described) == set(table["columns"])
        for column, spec in table["columns"].items():
            assert described[column][4] == " ".join(spec["description"].split())
        assert any(row and row[0] and "personal data" in row[0] for row in rows)


def test_a_filled_template_reads_back_as_the_csv(tmp_path, templates, pilots):
    """Rows typed into the template as Excel values (dates, numbers) read back exactly as the CSV tables."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name, table in load_dictionary().items():
        workbook = load_workbook(templates / f"{name}.xlsx")
        sheet = workbook[name]
        frame = read_text_table(SYNTHETIC_DATA_DIR / table["file"])
        for row in frame.itertuples(index=False):
            values = []
            for spec, text in zip(table["columns"].values(), row, strict=True):
                if text == "":
                    values.append(None)
                elif spec["type"] == "date":
                    values.append(pd.Timestamp(text).to_pydatetime())
                elif spec["type"] == "integer":
                    values.append(int(text))
                elif spec["type"] == "decimal":
                    values.append(float(text))
                else:
                    values.append(text)
            sheet.append(values)
        workbook.save(folder / f"{name}.xlsx")
    from_excel = load_tables(folder, pilots)
    from_csv = load_tables(SYNTHETIC_DATA_DIR, pilots)
    for name in load_dictionary():
        pd.testing.assert_frame_equal(getattr(from_excel, name), getattr(from_csv, name))
