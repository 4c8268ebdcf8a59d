import pytest
from conftest import read_text_table, write_text_table

from analysis_src.inputs.contracts import DataValidationError, Problem, load_tables


def _problems(data_dir, pilots) -> list[Problem]:
    with pytest.raises(DataValidationError) as caught:
        load_tables(data_dir, pilots)
    return caught.value.problems


def _break(data_dir, file, change):
    frame = read_text_table(data_dir / file)
    change(frame)
    write_text_table(frame, data_dir / file)


def _set_cell(data_dir, file, index, column, value):
    def change(frame):
        frame.loc[index, column] = value

    _break(data_dir, file, change)


def test_the_committed_synthetic_data_meet_the_contract(pilots):
    from analysis_src.paths import SYNTHETIC_DATA_DIR

    tables = load_tables(SYNTHETIC_DATA_DIR, pilots)
    assert str(tables.transactions["amount_gbp"].dtype) == "float64"
    assert str(tables.families["referral_date"].dtype).startswith("datetime64")


def test_missing_column(data_copy, pilots):
    _break(data_copy, "transactions.csv", lambda f: f.drop(columns="amount_gbp", inplace=True))
    (problem,) = _problems(data_copy, pilots)
    assert problem.file.endswith("transactions.csv")
    assert problem.column == "amount_gbp"
    assert problem.rule == "required column is missing"


def test_wrong_type_names_file_column_row_and_rule(data_copy, pilots):
    _set_cell(data_copy, "transactions.csv", 4, "amount_gbp", "twelve")
    (problem,) = _problems(data_copy, pilots)
    assert (problem.column, problem.rows) == ("amount_gbp", (6,))
    assert "number with at most 2 decimal places" in problem.rule
    assert "transactions.csv: column 'amount_gbp', row 6:" in str(problem)


def test_negative_amount(data_copy, pilots):
    _set_cell(data_copy, "transactions.csv", 10, "amount_gbp", "-25.00")
    (problem,) = _problems(data_copy, pilots)
    assert (problem.column, problem.rows) == ("amount_gbp", (12,))
    assert "must be at least 0.01" in problem.rule


def test_unknown_authority(data_copy, pilots):
    _set_cell(data_copy, "families.csv", 0, "la_code", "999")
    problems = _problems(data_copy, pilots)
    authority = [p for p in problems if p.column == "la_code"]
    assert authority and authority[0].rows == (2,)
    assert "unknown authority" in authority[0].rule


def test_duplicate_family_id(data_copy, pilots):
    def duplicate(frame):
        frame.loc[7, "family_id"] = frame.loc[3, "family_id"]

    _break(data_copy, "families.csv", duplicate)
    problems = [p for p in _problems(data_copy, pilots) if p.file.endswith("families.csv")]
    assert problems[0].column == "family_id"
    assert problems[0].rows == (5, 9)
    assert "must be unique" in problems[0].rule


def test_date_outside_the_pilot(data_copy, pilots):
    _set_cell(data_copy, "transactions.csv", 2, "transaction_date", "2021-06-30")
    (problem,) = _problems(data_copy, pilots)
    assert (problem.column, problem.rows) == ("transaction_date", (4,))
    assert "outside the pilot period" in problem.rule


def test_impossible_date(data_copy, pilots):
    _set_cell(data_copy, "families.csv", 0, "referral_date", "2019-02-30")
    (problem,) = _problems(data_copy, pilots)
    assert (problem.column, problem.rows) == ("referral_date", (2,))
    assert problem.rule.startswith("must be a real calendar date")


def test_transaction_for_an_unknown_family(data_copy, pilots):
    _set_cell(data_copy, "transactions.csv", 0, "family_id", "F999-NOBODY")
    (problem,) = _problems(data_copy, pilots)
    assert (problem.column, problem.rows) == ("family_id", (2,))
    assert "not a family_id in families" in problem.rule


def test_empty_file(data_copy, pilots):
    (data_copy / "staff_survey.csv").write_text("", encoding="utf-8")
    (problem,) = _problems(data_copy, pilots)
    assert problem.file.endswith("staff_survey.csv")
    assert problem.rule == "the file is empty"


def test_header_only_file(data_copy, pilots):
    path = data_copy / "monthly_returns.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    (problem,) = _problems(data_copy, pilots)
    assert problem.rule == "the file has no data rows"


def test_missing_required_file(data_copy, pilots):
    (data_copy / "families.csv").unlink()
    problems = _problems(data_copy, pilots)
    assert any(p.file.endswith("families.csv") and p.rule == "required file is missing" for p in problems)


def test_blank_required_cell(data_copy, pilots):
    _set_cell(data_copy, "families.csv", 3, "worker_id", "")
    (problem,) = _problems(data_copy, pilots)
    assert (problem.column, problem.rows, problem.rule) == ("worker_id", (5,), "must not be blank")


def test_unknown_column_is_refused(data_copy, pilots):
    _break(data_copy, "families.csv", lambda f: f.__setitem__("child_name", "x"))
    (problem,) = _problems(data_copy, pilots)
    assert problem.column == "child_name"
    assert "looks like personal data (a name)" in problem.rule and "DROP_COLUMNS=1" in problem.rule


def test_every_problem_is_reported_not_only_the_first(data_copy, pilots):
    _set_cell(data_copy, "transactions.csv", 0, "amount_gbp", "-1.00")
    _set_cell(data_copy, "families.csv", 1, "eligible", "maybe")
    files = {p.file.rsplit("/", 1)[-1] for p in _problems(data_copy, pilots)}
    assert files == {"transactions.csv", "families.csv"}


def test_code_outside_the_list(data_copy, pilots):
    _set_cell(data_copy, "families.csv", 1, "eligible", "maybe")
    (problem,) = _problems(data_copy, pilots)
    assert (problem.column, problem.rows) == ("eligible", (3,))
    assert problem.rule == "must be one of: Y, N; found 'maybe'"


def test_a_chapter_reads_only_its_authority_rows(data_copy, pilots):
    """Rows of other authorities are not even normalised for a chapter (the build checks them all first)."""
    frame = read_text_table(data_copy / "transactions.csv")
    frame.loc[frame.index[frame["la_code"] == "312"][0], "amount_gbp"] = "not a number"
    write_text_table(frame, data_copy / "transactions.csv")
    assert any(p.column == "amount_gbp" for p in _problems(data_copy, pilots))
    wigan = load_tables(data_copy, pilots, authorities=[359])
    assert set(wigan.transactions["la_code"]) == {359}
    assert len(wigan.transactions) == (frame["la_code"] == "359").sum()


def test_a_code_not_in_the_codebook_is_refused_with_its_row(data_copy, pilots):
    _set_cell(data_copy, "coded_segments.csv", 3, "code", "nice_worker")
    (problem,) = _problems(data_copy, pilots)
    assert (problem.column, problem.rows) == ("code", (5,))
    assert "must be one of: autonomy_valued" in problem.rule


def test_a_participant_with_two_roles_is_refused_with_every_row(data_copy, pilots):
    frame = read_text_table(data_copy / "coded_segments.csv")
    person = frame["participant_id"].iloc[0]
    rows = frame.index[frame["participant_id"] == person]
    assert len(rows) > 1
    _set_cell(
        data_copy,
        "coded_segments.csv",
        rows[0],
        "role",
        "parent" if frame.loc[rows[0], "role"] != "parent" else "manager",
    )
    (problem,) = _problems(data_copy, pilots)
    assert problem.column == "role" and problem.rows == tuple(int(i) + 2 for i in rows)
    assert problem.rule == "must be the same in every row of the same participant_id"
