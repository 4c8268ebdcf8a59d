"""Which notebooks a rebuild executes again, and that an incremental build equals a clean one."""

import dataclasses
import filecmp

import pytest

from analysis_src.inputs.contracts import load_tables
from analysis_src.paths import SYNTHETIC_DATA_DIR
from analysis_src.pipeline import build, incremental

PROGRAMME = ["synthesis", "logic model", "executive summary"]


@pytest.fixture(scope="module")
def tables(pilots):
    return load_tables(SYNTHETIC_DATA_DIR, pilots)


def _with_changed_amount(tables, la_code):
    """The tables with one penny added to one transaction of one authority."""
    transactions = tables.transactions.copy()
    row = transactions.index[transactions["la_code"] == la_code][0]
    transactions.loc[row, "amount_gbp"] += 0.01
    return dataclasses.replace(tables, transactions=transactions)


def test_committed_book_is_current_so_a_rebuild_executes_nothing(pilots, tables):
    work = build.plan(pilots, tables, build.default_targets())
    assert work.executed == []
    assert len(work.reused) == 7


def test_one_authority_changed_reruns_that_authority_and_the_synthesis_only(pilots, tables):
    wigan = next(p for p in pilots if p.slug == "wigan")
    work = build.plan(pilots, _with_changed_amount(tables, wigan.la_code), build.default_targets())
    assert work.executed == ["Wigan: chapter", *PROGRAMME]
    darlington = next(p for p in pilots if p.slug == "darlington")
    work = build.plan(pilots, _with_changed_amount(tables, darlington.la_code), build.default_targets())
    assert work.executed == ["Darlington: chapter", "Darlington: randomised comparison", *PROGRAMME]


def test_a_manifest_entry_change_reruns_that_authority(pilots, tables):
    changed = [dataclasses.replace(p, budget_per_family_gbp=5000.0) if p.slug == "hillingdon" else p for p in pilots]
    work = build.plan(changed, tables, build.default_targets())
    assert work.executed == ["Hillingdon: chapter", *PROGRAMME]


def test_a_code_change_reruns_everything(pilots, tables, monkeypatch):
    monkeypatch.setattr(build, "code_hash", lambda: "another version of the code")
    assert len(build.plan(pilots, tables, build.default_targets()).executed) == 7


def _package(root):
    """A small package laid out like analysis_src, with a file in every layer."""
    source = root / "analysis_src"
    for path, text in {
        "__init__.py": "",
        "paths.py": "",
        "disclosure/__init__.py": "",
        "config/protocol.yml": "a: 1\n",
        "inputs/readers.py": "",
        "analysis/spend.py": "x = 1\n",
        "report/chapter.py": "",
        "report/gate.py": "",
        "report/sphinx_ext.py": "",
        "report/templates/chapter.ipynb": "{}",
        "report/templates/pages/data.md": "# Data\n",
        "pipeline/build.py": "",
        "tools/bench.py": "",
    }.items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_text(text)
    (source / "__pycache__").mkdir()
    return source


def test_code_hash_covers_what_notebooks_import_and_templates(tmp_path):
    source = _package(tmp_path)
    lock = tmp_path / "requirements.lock"
    lock.write_text("pandas==2.2.3\n")
    first = incremental.code_hash(source, lock)
    (source / "__pycache__" / "spend.cpython-311.pyc").write_bytes(b"\0")
    (source / "notes.txt").write_text("not code")
    assert incremental.code_hash(source, lock) == first
    for name in (
        "config/protocol.yml",
        "analysis/spend.py",
        "report/templates/chapter.ipynb",
        "disclosure/__init__.py",
    ):
        (source / name).write_text((source / name).read_text() + "\n")
        assert incremental.code_hash(source, lock) != first, name
        first = incremental.code_hash(source, lock)
    lock.write_text("pandas==2.2.4\n")
    assert incremental.code_hash(source, lock) != first


@pytest.mark.parametrize("name", ["tools/bench.py", "pipeline/build.py", "report/gate.py", "report/sphinx_ext.py"])
def test_code_hash_ignores_code_that_no_notebook_runs(tmp_path, name):
    source = _package(tmp_path)
    lock = tmp_path / "requirements.lock"
    first = incremental.code_hash(source, lock)
    (source / name).write_text("# edited\n")
    assert incremental.code_hash(source, lock) == first


def test_editing_a_tool_leaves_nothing_to_execute(pilots, tables, tmp_path, monkeypatch):
    """The real package: a copy with the benchmark edited hashes the same, so the committed book stays current."""
    import shutil

    copy = tmp_path / "analysis_src"
    shutil.copytree(incremental.SOURCE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "tools" / "bench.py").write_text((copy / "tools" / "bench.py").read_text() + "\n# edited\n")
    assert incremental.code_hash(copy) == incremental.code_hash()
    monkeypatch.setattr(build, "code_hash", lambda: incremental.code_hash(copy))
    assert build.plan(pilots, tables, build.default_targets()).executed == []
    (copy / "analysis" / "spend.py").write_text((copy / "analysis" / "spend.py").read_text() + "\n# edited\n")
    assert len(build.plan(pilots, tables, build.default_targets()).executed) == 7


def test_recorded_hash_of_missing_or_broken_notebook_is_none(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert incremental.recorded_hash(tmp_path / "absent.ipynb") is None
    assert incremental.recorded_hash(broken) is None
    assert not incremental.is_current([broken], "abc")


def _html_files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_incremental_build_equals_a_clean_build(tmp_path, data_copy):
    """Unchanged: nothing executes. One authority changed: only it and the synthesis; same HTML as clean."""
    targets = build.targets_under(tmp_path / "incremental", data_dir=data_copy)
    assert len(build.build(targets, progress=False).executed) == 7
    assert build.build(targets, progress=False).executed == []
    path = data_copy / "transactions.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    wigan_row = next(i for i, line in enumerate(lines) if line.split(",")[2] == "359")
    cells = lines[wigan_row].rstrip("\n").split(",")
    cells[4] = f"{float(cells[4]) + 0.01:.2f}"
    lines[wigan_row] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    assert build.build(targets, progress=False).executed == ["Wigan: chapter", *PROGRAMME]
    clean = build.targets_under(tmp_path / "clean", data_dir=data_copy)
    build.build(clean, progress=False)
    files = _html_files(clean.html_dir)
    assert files == _html_files(targets.html_dir)
    differing = [str(f) for f in files if not filecmp.cmp(clean.html_dir / f, targets.html_dir / f, shallow=False)]
    assert differing == []
    for folder in ("pilots", "results"):
        for f in _html_files(clean.book_dir / folder):
            assert filecmp.cmp(clean.book_dir / folder / f, targets.book_dir / folder / f, shallow=False), f
