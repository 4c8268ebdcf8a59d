"""The README's layout names every folder and module of the package, so it cannot drift from the tree."""

import re

from analysis_src.paths import PROJECT_ROOT
from analysis_src.pipeline.incremental import SOURCE_DIR


def _layout() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"## Layout\n\n```text\n(.*?)```", readme, re.S).group(1)


def test_the_layout_names_every_subpackage_module_and_config_file():
    layout = _layout()
    missing = []
    for path in sorted(SOURCE_DIR.rglob("*")):
        if "__pycache__" in path.parts or path.name in ("__init__.py", "__main__.py"):
            continue
        if path.is_dir() and path.parent == SOURCE_DIR and f"  {path.name}/" not in layout:
            missing.append(path.name + "/")
        if path.suffix in (".py", ".yml") and path.name not in layout:
            missing.append(path.relative_to(SOURCE_DIR).as_posix())
    assert missing == []


def test_the_layout_names_nothing_that_is_gone():
    named = set(re.findall(r"\b([a-z_]+\.(?:py|yml))\b", _layout()))
    tracked = [SOURCE_DIR, PROJECT_ROOT / "tests"]
    present = {p.name for root in tracked for p in root.rglob("*") if p.suffix in (".py", ".yml")}
    present |= {p.name for p in PROJECT_ROOT.glob("*.yml")}
    assert named - present == set()
