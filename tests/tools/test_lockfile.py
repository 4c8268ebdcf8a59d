import tomllib

from analysis_src.tools.lockfile import ENVIRONMENT_PATH, LOCK_PATH, ROOT, environment_yaml, pins_from_lock


def test_environment_yml_is_generated_from_the_lock():
    assert ENVIRONMENT_PATH.read_text() == environment_yaml(LOCK_PATH.read_text())


def test_every_dependency_is_pinned_with_hashes():
    lock = LOCK_PATH.read_text()
    pins = pins_from_lock(lock)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    names = {w.split(">")[0].split("<")[0].split("=")[0].strip().lower() for w in wanted}
    assert names <= set(pins)
    blocks = [block for block in lock.split("\n") if block and not block.startswith((" ", "#"))]
    assert len(blocks) == len(pins)
    unhashed = [name for name in pins if not _has_hash(lock, name)]
    assert unhashed == []


def _has_hash(lock: str, name: str) -> bool:
    lines = lock.lower().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name}=="))
    return len(lines) > start + 1 and lines[start + 1].strip().startswith("--hash=sha256:")


def test_jupyter_book_stays_on_1x():
    assert pins_from_lock(LOCK_PATH.read_text())["jupyter-book"].startswith("1.")
