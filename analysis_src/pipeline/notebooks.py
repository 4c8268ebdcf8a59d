"""Run the chapter templates with papermill and make the executed notebooks reproducible.

Papermill writes run times, durations and a random id for the injected
parameters cell into every executed notebook, so that two runs on the same
inputs would differ in git. :func:`clean_executed` removes exactly those
run-specific parts and nothing computed.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import nbformat
import papermill

from analysis_src.paths import PROJECT_ROOT

KERNEL_NAME = "devolved-budgets"
_RUN_METADATA = ("papermill", "execution", "collapsed", "scrolled")


class ParameterError(ValueError):
    """A parameter passed to a template is not declared in its parameters cell."""


def declared_parameters(template: Path) -> set[str]:
    """Names declared in the template's cell tagged ``parameters``."""
    return set(papermill.inspect_notebook(str(template)))


def check_parameters(template: Path, parameters: dict) -> None:
    """Refuse parameters the template does not declare (papermill itself only warns)."""
    unknown = sorted(set(parameters) - declared_parameters(template))
    if unknown:
        raise ParameterError(
            f"{template.name}: unknown parameter(s) {unknown}; declared: {sorted(declared_parameters(template))}"
        )


def execute(template: Path, output: Path, parameters: dict) -> None:
    """Execute ``template`` into ``output`` with ``parameters``, in the project's kernel.

    Raises
    ------
    ParameterError
        If a parameter is not declared in the template.
    papermill.PapermillExecutionError
        If a cell fails; the message names the cell and the exception.
    """
    check_parameters(template, parameters)
    output.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("papermill").setLevel(logging.WARNING)
    papermill.execute_notebook(
        str(template),
        str(output),
        parameters=parameters,
        kernel_name=KERNEL_NAME,
        cwd=str(PROJECT_ROOT),
        progress_bar=False,
        # Write the notebook once at the end (and on failure), not after every cell.
        request_save_on_cell_execute=False,
        log_output=False,
        # The kernel talks to papermill over loopback only; its TCP-encryption notice is noise.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )


# A template slot such as "{{ name }}" or "{{ protocol.reach_tolerance }}".
_PLACEHOLDER = re.compile(r"\{\{ *[\w.]+ *\}\}")


def clean_executed(path: Path, replacements: dict[str, str], metadata: dict | None = None) -> nbformat.NotebookNode:
    """Strip run-specific metadata from an executed notebook and fill its title placeholders.

    Parameters
    ----------
    path
        The executed notebook; rewritten in place.
    replacements
        ``{"{{ name }}": "Hillingdon", ...}`` applied to markdown cells.
    metadata
        Entries added to the notebook's metadata (such as the hash of its inputs).

    Returns
    -------
    NotebookNode
        The cleaned notebook.
    """
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata.pop("papermill", None)
    notebook.metadata.update(metadata or {})
    language = notebook.metadata.get("language_info", {})
    if "version" in language:  # keep major.minor: the patch release is machine-specific
        language["version"] = ".".join(language["version"].split(".")[:2])
    for cell in notebook.cells:
        for key in _RUN_METADATA:
            cell.metadata.pop(key, None)
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell.id = "injected-parameters"
            cell.metadata["tags"] = sorted(set(tags) | {"remove-cell"})
        if cell.cell_type == "markdown":
            for placeholder, value in replacements.items():
                cell.source = cell.source.replace(placeholder, value)
            unfilled = _PLACEHOLDER.findall(cell.source)
            if unfilled:
                raise ValueError(f"{path.name}: cell {cell.id}: no value for the template slot {unfilled[0]}")
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                output.get("metadata", {}).pop("execution", None)
    nbformat.write(notebook, path)
    return notebook
