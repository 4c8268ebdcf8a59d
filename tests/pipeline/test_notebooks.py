import re

import nbformat
import pytest

from analysis_src.paths import TEMPLATES_DIR
from analysis_src.pipeline.notebooks import ParameterError, check_parameters, clean_executed

CHAPTER = TEMPLATES_DIR / "pilot_chapter.ipynb"


def test_templates_declare_their_parameters_and_full_metadata():
    for name, declared in (("pilot_chapter", {"slug", "data_dir"}), ("synthesis", {"data_dir"})):
        notebook = nbformat.read(TEMPLATES_DIR / f"{name}.ipynb", as_version=4)
        tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1
        assert set(notebook.metadata) >= {"kernelspec", "language_info"}
        check_parameters(TEMPLATES_DIR / f"{name}.ipynb", dict.fromkeys(declared, "x"))


def test_unknown_parameter_is_refused():
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) \['slgu'\]"):
        check_parameters(CHAPTER, {"slgu": "wigan"})


def test_templates_are_thin():
    for name in ("pilot_chapter", "synthesis"):
        notebook = nbformat.read(TEMPLATES_DIR / f"{name}.ipynb", as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not re.search(r"^\s*(def|class) ", cell.source, re.MULTILINE), cell.source
                assert len(cell.source.splitlines()) <= 6


def test_clean_executed_strips_run_metadata_and_fills_the_title(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["papermill"] = {"start_time": "2026-01-01T00:00:00", "duration": 1.2}
    notebook.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    injected = nbformat.v4.new_code_cell('slug = "wigan"')
    injected.metadata = {"tags": ["injected-parameters"], "papermill": {"duration": 0.1}, "execution": {"a": 1}}
    title = nbformat.v4.new_markdown_cell("# {{ name }}")
    notebook.cells = [injected, title]
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    cleaned = clean_executed(path, {"{{ name }}": "Wigan"})
    assert "papermill" not in cleaned.metadata
    assert cleaned.metadata["language_info"]["version"] == "3.11"
    assert cleaned.cells[0].id == "injected-parameters"
    assert cleaned.cells[0].metadata == {"tags": ["injected-parameters", "remove-cell"]}
    assert cleaned.cells[1].source == "# Wigan"


def test_people_counts_in_prose_carry_no_numeric_format():
    """A people count is glued as text ('c' from 1 to 5): a numeric format would break the build."""
    import re

    from analysis_src.report.ledger import LedgerError, is_people_count

    for template in TEMPLATES_DIR.glob("*.ipynb"):
        notebook = nbformat.read(template, as_version=4)
        scope = "synthesis" if template.stem == "synthesis" else "pilot"
        for cell in notebook.cells:
            for key, spec in re.findall(r"\{glue:text\}`([a-z0-9_.]+)(:[^`]*)?`", cell.source):
                try:
                    people = is_people_count(key, scope)
                except LedgerError:
                    continue
                assert not (people and spec), f"{template.name}: {key} is a count of people; drop {spec}"


def test_a_template_slot_left_unfilled_stops_the_notebook(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("Within {{ protocol.reach_tollerance }} of plan.")]
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(ValueError, match=r"no value for the template slot \{\{ protocol.reach_tollerance \}\}"):
        clean_executed(path, {"{{ protocol.reach_tolerance }}": "±30%"})


def test_every_protocol_slot_of_the_templates_has_a_label():
    from analysis_src.config import protocol

    slots = protocol.current().slots()
    used = set()
    for template in TEMPLATES_DIR.glob("*.ipynb"):
        text = template.read_text(encoding="utf-8")
        used |= set(re.findall(r"\{\{ protocol\.(\w+) \}\}", text))
    assert used and used <= set(slots)


def test_the_templates_type_no_protocol_threshold():
    """Markdown cells take thresholds from protocol.yml through slots, never as typed numbers."""
    typed = re.compile(
        r"(±\d+%|\b70%|£20\b|20 pounds|\b0\.1 to 0\.2\b|80% power|two-sided 5%|SMD above 0\.1|effect of 0\.2)"
    )
    for template in TEMPLATES_DIR.glob("*.ipynb"):
        for cell in nbformat.read(template, as_version=4).cells:
            assert not typed.search(cell.source), (template.name, typed.search(cell.source).group(0))
