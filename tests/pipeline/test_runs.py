"""Parallel papermill runs: every run is attempted and each failure names its cell and error."""

import nbformat
import pytest

from analysis_src.pipeline import runs
from analysis_src.pipeline.build import CHAPTER_TEMPLATE
from analysis_src.pipeline.incremental import recorded_hash


def _template(path, body):
    notebook = nbformat.v4.new_notebook(metadata=nbformat.read(CHAPTER_TEMPLATE, as_version=4).metadata)
    notebook.cells = [
        nbformat.v4.new_code_cell("value = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body),
        nbformat.v4.new_markdown_cell("# {{ name }}"),
    ]
    nbformat.write(notebook, path)
    return path


@pytest.mark.slow
def test_parallel_runs_execute_all_and_report_each_failure(tmp_path):
    template = _template(tmp_path / "t.ipynb", "print(10 // value)")
    batch = [
        runs.Run(f"run {v}", template, tmp_path / "out" / f"{v}.ipynb", {"value": v}, {"{{ name }}": f"N{v}"}, f"h{v}")
        for v in (1, 0, 2)
    ]
    failures = runs.run_all(batch, jobs=2, progress=False)
    assert list(failures) == ["run 0"]
    assert (
        failures["run 0"]
        == "cell In [3] `print(10 // value)` raised ZeroDivisionError: integer division or modulo by zero"
    )
    for value, expected in ((1, "10"), (2, "5")):
        notebook = nbformat.read(tmp_path / "out" / f"{value}.ipynb", as_version=4)
        assert notebook.cells[2].outputs[0]["text"].strip() == expected
        assert notebook.cells[3].source == f"# N{value}"
        assert recorded_hash(tmp_path / "out" / f"{value}.ipynb") == f"h{value}"


def test_run_all_in_process_with_a_runner_and_no_runs(tmp_path):
    seen = []

    def runner(run):
        seen.append(run.label)
        return "broken" if run.label == "b" else None

    batch = [runs.Run(label, tmp_path, tmp_path) for label in "abc"]
    assert runs.run_all(batch, jobs=1, progress=False, runner=runner) == {"b": "broken"}
    assert seen == ["a", "b", "c"]
    assert runs.run_all([], jobs=2) == {}
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        runs.run_all(batch, jobs=0)


def test_default_jobs_is_one_per_available_core():
    assert runs.default_jobs() >= 1


def test_describe_failure_of_an_ordinary_exception():
    assert runs.describe_failure(FileNotFoundError("no such template")) == "FileNotFoundError: no such template"


def test_a_kernel_that_fails_to_start_is_retried_once_and_a_failing_cell_never(tmp_path, monkeypatch):
    from papermill.exceptions import PapermillExecutionError

    calls = []

    def flaky(template, output, parameters):
        calls.append(output.name)
        if len(calls) == 1:
            raise RuntimeError("Kernel didn't respond in 60 seconds")

    monkeypatch.setattr(runs, "execute", flaky)
    monkeypatch.setattr(runs, "clean_executed", lambda *args, **kwargs: None)
    run = runs.Run("a", CHAPTER_TEMPLATE, tmp_path / "a.ipynb")
    assert runs.run_one(run) is None and len(calls) == 2

    def always_down(template, output, parameters):
        calls.append(output.name)
        raise RuntimeError("Kernel didn't respond in 60 seconds")

    calls.clear()
    monkeypatch.setattr(runs, "execute", always_down)
    assert "Kernel didn't respond" in runs.run_one(run) and len(calls) == 2

    def cell_fails(template, output, parameters):
        calls.append(output.name)
        raise PapermillExecutionError(3, 3, "x = 1 / 0", "ZeroDivisionError", "division by zero", [])

    calls.clear()
    monkeypatch.setattr(runs, "execute", cell_fails)
    assert "ZeroDivisionError" in runs.run_one(run) and len(calls) == 1
