"""Everyday problems of exported files: each is normalised and logged, or rejected with file, row, column and rule."""

import datetime as dt

import pandas as pd
import pytest
from conftest import read_text_table
from openpyxl import Workbook

from analysis_src.inputs.contracts import DataValidationError, load_tables, pseudonymise, read_tables
from analysis_src.inputs.readers import HANDLED, personal_kind
from analysis_src.paths import SYNTHETIC_DATA_DIR


@pytest.fixture(scope="module")
def reference(pilots):
    """The synthetic tables as the contract reads them: every hardened variant must read the same."""
    return load_tables(SYNTHETIC_DATA_DIR, pilots)


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def _write_lines(path, lines, encoding="utf-8"):
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))


def _notes(data_copy, pilots, **options):
    tables, notes = read_tables(data_copy, pilots, **options)
    return tables, [str(n) for n in notes]


def _problems(data_copy, pilots, **options):
    with pytest.raises(DataValidationError) as caught:
        read_tables(data_copy, pilots, **options)
    return [str(p) for p in caught.value.problems]


def _edit_column(path, column, change):
    frame = read_text_table(path)
    frame[column] = [change(i, v) for i, v in enumerate(frame[column])]
    frame.to_csv(path, index=False, lineterminator="\n")


def test_utf8_with_byte_order_mark_is_read_and_logged(data_copy, pilots, reference):
    path = data_copy / "transactions.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    tables, notes = _notes(data_copy, pilots)
    assert any("transactions.csv" in n and "byte-order mark removed" in n for n in notes)
    pd.testing.assert_frame_equal(tables.transactions, reference.transactions)


def test_cp1252_export_is_read_as_windows_1252_and_logged(data_copy, pilots):
    path = data_copy / "transactions.csv"
    lines = _lines(path)
    lines[1] = lines[1].replace(lines[1].split(",")[6], "Café voucher – £10")
    _write_lines(path, lines, encoding="cp1252")
    tables, notes = _notes(data_copy, pilots)
    assert tables.transactions.loc[0, "description"] == "Café voucher – £10"
    assert any("read as Windows-1252" in n for n in notes)


def test_text_in_neither_encoding_is_rejected_naming_the_file(data_copy, pilots):
    path = data_copy / "staff_survey.csv"
    path.write_bytes(path.read_bytes() + b"\x81\x8d\x8f\x90\x9d\n")
    (problem,) = _problems(data_copy, pilots)
    assert "staff_survey.csv" in problem and "neither UTF-8 nor Windows-1252" in problem


def test_dates_dd_mm_yyyy_and_excel_serials_are_normalised(data_copy, pilots, reference):
    path = data_copy / "families.csv"

    def reformat(i, value):
        day = dt.date.fromisoformat(value)
        return f"{day:%d/%m/%Y}" if i % 2 else str((day - dt.date(1899, 12, 30)).days)

    _edit_column(path, "referral_date", reformat)
    tables, notes = _notes(data_copy, pilots)
    pd.testing.assert_frame_equal(tables.families, reference.families)
    assert any("'referral_date', rows 3, 5, 7" in n and "dd/mm/YYYY" in n for n in notes)
    assert any("'referral_date', rows 2, 4, 6" in n and "Excel serial" in n for n in notes)


def test_impossible_dd_mm_date_is_rejected_with_its_row(data_copy, pilots):
    _edit_column(data_copy / "families.csv", "referral_date", lambda i, v: "31/02/2019" if i == 4 else v)
    problems = _problems(data_copy, pilots)
    assert any("families.csv: column 'referral_date', row 6: must be a date written YYYY-MM-DD" in p for p in problems)
    assert all("row 6" in p for p in problems)


def test_amounts_with_pound_sign_and_thousands_separators(data_copy, pilots, reference):
    def money(i, value):
        amount = float(value)
        return f"£{amount:,.2f}" if i % 3 == 0 else value

    _edit_column(data_copy / "transactions.csv", "amount_gbp", money)
    tables, notes = _notes(data_copy, pilots)
    pd.testing.assert_frame_equal(tables.transactions, reference.transactions)
    assert any("'amount_gbp'" in n and "'£' and thousands separators removed" in n for n in notes)


def test_badly_grouped_thousands_are_rejected(data_copy, pilots):
    _edit_column(data_copy / "transactions.csv", "amount_gbp", lambda i, v: "£1,25.00" if i == 0 else v)
    (problem,) = _problems(data_copy, pilots)
    assert "transactions.csv: column 'amount_gbp', row 2" in problem


def test_whitespace_blank_rows_and_repeated_headers_are_removed_and_logged(data_copy, pilots, reference):
    path = data_copy / "monthly_returns.csv"
    lines = _lines(path)
    header = lines[0]
    lines[3] = " " + lines[3].replace(",", " , ")
    lines = lines[:10] + [header] + lines[10:] + [",,,,,,,", "", ",,,,,,,"]
    _write_lines(path, lines)
    tables, notes = _notes(data_copy, pilots)
    pd.testing.assert_frame_equal(tables.monthly_returns, reference.monthly_returns)
    assert any("rows 4: stray spaces" in n or "row 4: stray spaces" in n for n in notes)
    assert any("row 11: repeated header rows removed" in n for n in notes)
    assert any("blank rows removed" in n for n in notes)


def test_columns_in_another_order_and_case_are_matched_by_name(data_copy, pilots, reference):
    path = data_copy / "staff_survey.csv"
    frame = read_text_table(path)
    frame = frame[list(reversed(frame.columns))].rename(columns={"acceptable_overall": " Acceptable Overall"})
    frame.to_csv(path, index=False)
    tables, notes = _notes(data_copy, pilots)
    pd.testing.assert_frame_equal(tables.staff_survey, reference.staff_survey)
    assert any("' Acceptable Overall' as 'acceptable_overall'" in n for n in notes)


def test_codes_in_another_case_and_yes_no_are_normalised(data_copy, pilots, reference):
    _edit_column(data_copy / "transactions.csv", "manager_approved", lambda i, v: {"Y": "yes", "N": "n"}[v])
    _edit_column(data_copy / "allocation_log.csv", "allocated_arm", lambda i, v: v.upper() if i % 2 else v.title())
    tables, notes = _notes(data_copy, pilots)
    pd.testing.assert_frame_equal(tables.transactions, reference.transactions)
    pd.testing.assert_frame_equal(tables.allocation_log, reference.allocation_log)
    assert sum("codes written in another form" in n for n in notes) == 2


def test_unknown_code_is_still_rejected(data_copy, pilots):
    _edit_column(data_copy / "allocation_log.csv", "allocated_arm", lambda i, v: "treatment" if i == 2 else v)
    (problem,) = _problems(data_copy, pilots)
    assert "allocation_log.csv: column 'allocated_arm', row 4: must be one of: intervention, control" in problem


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("Child Name", "a name"),
        ("surname", "a name"),
        ("DOB", "a date of birth"),
        ("date_of_birth", "a date of birth"),
        ("Postcode", "a postcode or address"),
        ("UPN", "a Unique Pupil Number"),
        ("NHS Number", "an NHS number"),
        ("case_notes", "free-text case notes"),
    ],
)
def test_personal_columns_are_refused_with_the_reason(data_copy, pilots, column, kind):
    path = data_copy / "families.csv"
    frame = read_text_table(path)
    frame[column] = "x"
    frame.to_csv(path, index=False)
    assert personal_kind(column) == kind
    (problem,) = _problems(data_copy, pilots)
    assert f"column '{column}'" in problem and f"looks like personal data ({kind})" in problem
    assert "DROP_COLUMNS=1" in problem


def test_unknown_and_personal_columns_are_dropped_and_logged_on_request(data_copy, pilots, reference):
    path = data_copy / "families.csv"
    frame = read_text_table(path)
    frame["NHS Number"] = "943 476 5919"
    frame["referrer_team_code"] = "A"
    frame.to_csv(path, index=False)
    tables, notes = _notes(data_copy, pilots, drop_unknown_columns=True)
    pd.testing.assert_frame_equal(tables.families, reference.families)
    assert any("'NHS Number'" in n and "column dropped" in n and "an NHS number" in n for n in notes)
    assert any("'referrer_team_code'" in n and "column dropped" in n for n in notes)


def test_a_table_as_both_csv_and_xlsx_is_rejected(data_copy, pilots):
    Workbook().save(data_copy / "staff_survey.xlsx")
    problems = _problems(data_copy, pilots)
    assert any("both staff_survey.csv and staff_survey.xlsx exist" in p for p in problems)


def _as_workbook(data_copy, name, sheet=None, change=None):
    frame = read_text_table(data_copy / f"{name}.csv")
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet or name
    worksheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        worksheet.append(list(row))
    if change:
        change(worksheet)
    (data_copy / f"{name}.csv").unlink()
    workbook.save(data_copy / f"{name}.xlsx")


def test_xlsx_is_read_like_csv_with_real_dates_and_numbers(data_copy, pilots, reference):
    def typed_cells(worksheet):
        for row in worksheet.iter_rows(min_row=2):
            row[3].value = dt.datetime.fromisoformat(row[3].value)  # transaction_date as an Excel date
            row[4].value = float(row[4].value)  # amount as a number
            row[2].value = int(row[2].value)  # la_code as a number

    _as_workbook(data_copy, "transactions", change=typed_cells)
    tables, _ = _notes(data_copy, pilots)
    pd.testing.assert_frame_equal(tables.transactions, reference.transactions)


def test_xlsx_errors_name_the_sheet_row_and_column(data_copy, pilots):
    def negative(worksheet):
        worksheet["E12"] = -25

    _as_workbook(data_copy, "transactions", sheet="Sheet1", change=negative)
    (problem,) = _problems(data_copy, pilots)
    assert "transactions.xlsx (sheet 'Sheet1'): column 'amount_gbp', row 12: must be at least 0.01 GBP" in problem


def test_a_broken_workbook_is_rejected_naming_the_file(data_copy, pilots):
    (data_copy / "staff_survey.csv").unlink()
    (data_copy / "staff_survey.xlsx").write_bytes(b"not a workbook")
    (problem,) = _problems(data_copy, pilots)
    assert "staff_survey.xlsx" in problem and "cannot be read as an Excel workbook" in problem


def test_pseudonyms_are_salted_consistent_across_tables_and_hide_the_ids(reference):
    one = pseudonymise(reference, "salt one")
    two = pseudonymise(reference, "salt two")
    assert not set(one.families["family_id"]) & set(reference.families["family_id"])
    assert not set(one.families["family_id"]) & set(two.families["family_id"])
    assert set(one.transactions["family_id"]) <= set(one.families["family_id"])  # joins still hold
    assert set(one.allocation_log["family_id"]) <= set(one.families["family_id"])
    assert one.families["worker_id"].nunique() == reference.families["worker_id"].nunique()
    assert one.families["family_id"].str.fullmatch(r"F-[0-9a-f]{16}").all()
    pd.testing.assert_series_equal(one.transactions["amount_gbp"], reference.transactions["amount_gbp"])


def test_every_handled_case_is_documented_once():
    cases = [case for case, _ in HANDLED]
    assert len(cases) == len(set(cases)) >= 20
    assert all(
        action.split(":")[0].split()[0] in {"normalised", "rejected", "accepted", "read"} for _, action in HANDLED
    )


def test_months_written_as_first_days_or_mm_yyyy_are_normalised(data_copy, pilots, reference):
    def reformat(i, value):
        year, month = value.split("-")
        return [f"{value}-01", f"01/{month}/{year}", f"{month}/{year}"][i % 3]

    _edit_column(data_copy / "monthly_returns.csv", "month", reformat)
    tables, notes = _notes(data_copy, pilots)
    pd.testing.assert_frame_equal(tables.monthly_returns, reference.monthly_returns)
    assert sum("'month'" in n for n in notes) == 3


def test_dates_with_a_midnight_time_lose_the_time(data_copy, pilots, reference):
    _edit_column(data_copy / "families.csv", "referral_date", lambda i, v: f"{v} 00:00:00")
    tables, notes = _notes(data_copy, pilots)
    pd.testing.assert_frame_equal(tables.families, reference.families)
    assert any("midnight times removed" in n for n in notes)


def _header_case(data_copy, file, change):
    path = data_copy / file
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")


def _check_problems(data_copy, pilots):
    from analysis_src.inputs.contracts import DataValidationError, read_tables

    with pytest.raises(DataValidationError) as caught:
        read_tables(data_copy, pilots)
    return [str(problem) for problem in caught.value.problems]


def test_a_misspelt_header_names_the_missing_column_and_its_likely_misspelling(data_copy, pilots):
    _header_case(
        data_copy, "transactions.csv", lambda lines: [lines[0].replace("amount_gbp", "amount_gpb"), *lines[1:]]
    )
    problems = _check_problems(data_copy, pilots)
    assert any(
        "column 'amount_gbp'" in p and "the file's column 'amount_gpb' is probably it, misspelt" in p for p in problems
    )


def test_a_semicolon_delimited_file_is_named_as_such(data_copy, pilots):
    _header_case(data_copy, "staff_survey.csv", lambda lines: [line.replace(",", ";") for line in lines])
    (problem,) = _check_problems(data_copy, pilots)
    assert "staff_survey.csv" in problem and "uses ';' between columns" in problem


def test_a_column_that_appears_twice_is_named_with_its_positions(data_copy, pilots):
    def twice(lines):
        header, *rows = lines
        return [header + ",la_code", *(row + "," + row.split(",")[1] for row in rows)]

    _header_case(data_copy, "allocation_log.csv", twice)
    (problem,) = _check_problems(data_copy, pilots)
    assert "column 'la_code', row 1: the column name appears more than once (columns 2, 8)" in problem


def test_a_column_that_appears_twice_in_a_workbook_is_named(data_copy, pilots):
    def twice(worksheet):
        worksheet.cell(row=1, column=worksheet.max_column + 1, value="La Code")

    _as_workbook(data_copy, "staff_survey", change=twice)
    (problem,) = _problems(data_copy, pilots)
    assert (
        "staff_survey.xlsx (sheet 'staff_survey'): column 'la_code', row 1: the column name appears more than once"
        in (problem)
    )
