"""The package's layers: each imports only the layers below it (read from the code's own imports)."""

import ast
import json
from pathlib import Path

import pytest

from analysis_src.pipeline.incremental import SOURCE_DIR

# From the bottom up. A module may import its own layer and any layer below it.
LAYERS = ["paths", "config", "disclosure", "inputs", "analysis", "report", "pipeline", "tools"]


def layer_of(module: str) -> str | None:
    """The layer of a dotted module name inside the package (``None`` outside it, or for the package's face)."""
    parts = module.split(".")
    if parts[0] != "analysis_src" or len(parts) == 1:
        return None
    return parts[1] if parts[1] in LAYERS else None


def imported_modules(source: str, module: str) -> set[str]:
    """Every module of the package that ``source`` imports, as dotted names (relative imports resolved)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: -node.level]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found |= {f"{name}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("analysis_src")}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _template_sources(root: Path):
    for template in sorted((root / "report" / "templates").glob("*.ipynb")):
        cells = json.loads(template.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        yield template, "analysis_src.report.templates", code


def layer_breaches(root: Path) -> list[str]:
    """Every import that points up the layers, as ``file: layer imports module (layer)``."""
    sources = [
        (path, _module_name(path, root), path.read_text(encoding="utf-8")) for path in sorted(root.rglob("*.py"))
    ]
    breaches = []
    for path, module, source in [*sources, *_template_sources(root)]:
        own = layer_of(module)
        if own is None:
            continue
        for target in sorted(imported_modules(source, module)):
            theirs = layer_of(target)
            if theirs is not None and LAYERS.index(theirs) > LAYERS.index(own):
                breaches.append(f"{path.relative_to(root.parent)}: {own} imports {target} ({theirs})")
    return breaches


def test_every_module_belongs_to_a_layer():
    modules = [_module_name(p, SOURCE_DIR) for p in SOURCE_DIR.rglob("*.py")]
    outside = [m for m in modules if m != "analysis_src" and layer_of(m) is None]
    assert outside == []


def test_no_layer_imports_a_layer_above_it():
    assert layer_breaches(SOURCE_DIR) == []


def test_a_build_never_imports_the_tools():
    below_tools = [p for p in SOURCE_DIR.rglob("*.py") if layer_of(_module_name(p, SOURCE_DIR)) != "tools"]
    for path in below_tools:
        imported = imported_modules(path.read_text(encoding="utf-8"), _module_name(path, SOURCE_DIR))
        assert not any(layer_of(name) == "tools" for name in imported), path


@pytest.mark.parametrize(
    ("where", "line"),
    [
        ("inputs/readers.py", "from analysis_src.report.pages import data_page\n"),
        ("analysis/spend.py", "from ..pipeline import build\n"),
        ("disclosure/__init__.py", "import analysis_src.inputs.contracts\n"),
        ("config/protocol.py", "from analysis_src import disclosure\n"),
    ],
)
def test_the_rule_catches_an_import_that_points_up(tmp_path, where, line):
    root = tmp_path / "analysis_src"
    for name in (
        "__init__.py",
        "paths.py",
        "disclosure/__init__.py",
        "config/protocol.py",
        "inputs/readers.py",
        "analysis/spend.py",
        "report/pages.py",
        "pipeline/build.py",
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    (root / "report" / "templates").mkdir()
    assert layer_breaches(root) == []
    (root / where).write_text(line)
    assert len(layer_breaches(root)) >= 1
