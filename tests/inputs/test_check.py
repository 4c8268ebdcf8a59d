"""`make check`: every problem at once, nothing written, exit status 0 or 2."""

from conftest import read_text_table

from analysis_src.inputs import check


def test_valid_folder_passes_and_reports_what_it_read(capsys, data_copy):
    assert check.main(["--data", str(data_copy)]) == 0
    out = capsys.readouterr().out
    assert "Hillingdon (312), Darlington (841), Wigan (359)" in out and "OK: every table meets the contract" in out


def test_every_problem_in_every_file_is_listed_at_once(capsys, data_copy):
    transactions = read_text_table(data_copy / "transactions.csv")
    transactions.loc[3, "amount_gbp"] = "-5"
    transactions["postcode"] = "DL1 5QT"
    transactions.to_csv(data_copy / "transactions.csv", index=False)
    families = read_text_table(data_copy / "families.csv")
    families.loc[7, "eligible"] = "maybe"
    families.to_csv(data_copy / "families.csv", index=False)
    (data_copy / "staff_survey.csv").unlink()
    before = sorted(p.name for p in data_copy.iterdir())
    assert check.main(["--data", str(data_copy)]) == 2
    error = capsys.readouterr().err
    assert "families.csv: column 'eligible', row 9: must be one of: Y, N" in error
    assert "transactions.csv: column 'postcode', whole file: column looks like personal data" in error
    assert "staff_survey.csv: column '(all)', whole file: required file is missing" in error
    assert sorted(p.name for p in data_copy.iterdir()) == before  # nothing written


def test_normalisations_are_listed(capsys, data_copy):
    path = data_copy / "families.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert check.main(["--data", str(data_copy)]) == 0
    assert "normalised:" in capsys.readouterr().out


def _drop_authority(data_copy, file, code):
    from conftest import read_text_table, write_text_table

    frame = read_text_table(data_copy / file)
    write_text_table(frame[frame["la_code"] != str(code)], data_copy / file)


def test_a_questionnaire_not_returned_is_a_warning_that_the_chapter_will_state(capsys, data_copy):
    _drop_authority(data_copy, "staff_survey.csv", 359)
    assert check.main(["--data", str(data_copy)]) == 0
    out = capsys.readouterr().out
    assert "warning: no rows for Wigan (359): the chapter says no staff questionnaire was returned" in out


def test_an_authority_without_monthly_returns_is_refused_by_check_and_build_with_the_same_message(
    capsys, data_copy, tmp_path
):
    from analysis_src.pipeline import build

    _drop_authority(data_copy, "monthly_returns.csv", 359)
    assert check.main(["--data", str(data_copy)]) == 2
    checked = capsys.readouterr().err
    assert build.main(["--data", str(data_copy), "--out", str(tmp_path / "out")]) == 2
    built = capsys.readouterr().err
    line = next(line for line in checked.splitlines() if "no rows for Wigan (359)" in line)
    assert "a chapter needs its monthly returns" in line and line in built.splitlines()
    assert not (tmp_path / "out" / "html").exists()


def test_an_authority_that_has_not_spent_yet_is_a_warning_unless_it_randomised(capsys, data_copy, tmp_path):
    from analysis_src.pipeline import build

    _drop_authority(data_copy, "transactions.csv", 359)
    assert check.main(["--data", str(data_copy)]) == 0
    out = capsys.readouterr().out
    assert "warning: no rows for Wigan (359): the chapter says no spending is recorded yet" in out
    _drop_authority(data_copy, "transactions.csv", 841)  # Darlington randomised: its comparison needs the log
    assert check.main(["--data", str(data_copy)]) == 2
    checked = capsys.readouterr().err
    line = next(line for line in checked.splitlines() if "no rows for Darlington (841)" in line)
    assert "the randomised comparison needs its spend log" in line
    assert build.main(["--data", str(data_copy), "--out", str(tmp_path / "out")]) == 2
    assert line in capsys.readouterr().err.splitlines()


def test_a_spend_log_without_any_spending_is_refused(capsys, data_copy):
    for code in (359, 841, 312):
        _drop_authority(data_copy, "transactions.csv", code)
    assert check.main(["--data", str(data_copy)]) == 2
    assert "transactions.csv: column '(all)', whole file: the file has no data rows" in capsys.readouterr().err
