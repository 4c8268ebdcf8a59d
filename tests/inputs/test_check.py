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
