"""nbval must be able to fail: a changed stored number in an executed notebook is reported."""

import json
import shutil
import subprocess
import sys

import pytest

from analysis_src.paths import PILOTS_DIR, PROJECT_ROOT

SANITIZE = PROJECT_ROOT / "tests" / "nbval_sanitize.cfg"


def _nbval(path):
    command = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZE)]
    command += ["-p", "no:cacheprovider", "-q", str(path)]
    return subprocess.run(command, capture_output=True, text=True, cwd=path.parent)


def _change_total(notebook: dict, old: str, new: str) -> int:
    changed = 0
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            for mime, value in output.get("data", {}).items():
                text = "".join(value) if isinstance(value, list) else value
                if isinstance(text, str) and old in text:
                    output["data"][mime] = text.replace(old, new)
                    changed += 1
    return changed


@pytest.fixture
def copy_of_chapter(tmp_path):
    target = tmp_path / "hillingdon.ipynb"
    shutil.copy(PILOTS_DIR / "hillingdon.ipynb", target)
    return target


def test_unchanged_notebook_passes(copy_of_chapter):
    result = _nbval(copy_of_chapter)
    assert result.returncode == 0, result.stdout[-2000:]


def test_a_changed_stored_number_is_reported(copy_of_chapter):
    ledger = json.loads((PROJECT_ROOT / "book" / "results" / "hillingdon.json").read_text())
    old = f"{ledger['spend.transactions']:,}"
    notebook = json.loads(copy_of_chapter.read_text())
    assert _change_total(notebook, f">{old}<", f">{int(old.replace(',', '')) + 1:,}<") == 1
    copy_of_chapter.write_text(json.dumps(notebook))
    result = _nbval(copy_of_chapter)
    assert result.returncode != 0
    assert "failed" in result.stdout and "Cell" in result.stdout
