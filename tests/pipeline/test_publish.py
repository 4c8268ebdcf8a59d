"""Publishing is all or nothing; one build at a time per output folder; faults end in a clear message."""

import errno
import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis_src.pipeline import build
from analysis_src.pipeline.build import GENERATED_PAGES, BuildError, build_lock, publish, targets_under


def _stage(targets, version: str) -> Path:
    """A staged book of a few files, every one carrying ``version``."""
    book = targets.stage_dir / "book"
    for folder in ("pilots", "results"):
        (book / folder).mkdir(parents=True, exist_ok=True)
        (book / folder / "wigan.txt").write_text(f"{folder} {version}")
    for page in (*build.PROGRAMME_PAGES, *GENERATED_PAGES):
        (book / page).write_text(f"{page} {version}")
    (targets.stage_dir / "_toc.yml").write_text(f"toc {version}")
    html = targets.stage_dir / "_build" / "html"
    (html / "book").mkdir(parents=True, exist_ok=True)
    (html / "index.html").write_text(f"index {version}")
    (html / "book" / "wigan.html").write_text(f"wigan {version}")
    return html


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "stage" not in path.relative_to(root).parts and path.name != "build.lock"
    }


@pytest.fixture
def published(tmp_path):
    targets = targets_under(tmp_path / "out")
    publish(targets, _stage(targets, "v1"))
    return targets


def test_a_good_publish_replaces_everything(published):
    publish(published, _stage(published, "v2"))
    texts = {path: (published.stage_dir.parent / path).read_text() for path in _snapshot(published.stage_dir.parent)}
    assert texts and all(text.endswith("v2") for text in texts.values())


@pytest.mark.parametrize("failing_call", [1, 3, 6, 9])
def test_a_disk_that_fills_while_copying_leaves_the_last_good_book_as_it_was(published, monkeypatch, failing_call):
    before = _snapshot(published.stage_dir.parent)
    html = _stage(published, "v2")
    calls = []
    real_copy = build.shutil.copy2

    def copy_until_full(source, destination, **kwargs):
        calls.append(source)
        if len(calls) >= failing_call:
            raise OSError(errno.ENOSPC, "No space left on device", str(destination))
        return real_copy(source, destination, **kwargs)

    monkeypatch.setattr(build.shutil, "copy2", copy_until_full)
    monkeypatch.setattr(build.shutil, "copyfile", copy_until_full)
    with pytest.raises(OSError, match="No space left"):
        publish(published, html)
    assert _snapshot(published.stage_dir.parent) == before
    assert not list(published.stage_dir.parent.rglob("*.new")) and not list(published.stage_dir.parent.rglob("*.old"))


def test_a_rename_that_fails_half_way_is_undone(published, monkeypatch):
    before = _snapshot(published.stage_dir.parent)
    html = _stage(published, "v2")
    real_rename = Path.rename
    renames = []

    def rename_until_refused(self, target):
        renames.append(self)
        if len(renames) == 5:
            raise PermissionError(errno.EACCES, "Permission denied", str(target))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename_until_refused)
    with pytest.raises(PermissionError):
        publish(published, html)
    monkeypatch.setattr(Path, "rename", real_rename)
    assert _snapshot(published.stage_dir.parent) == before


def test_a_full_disk_gives_a_clear_message_and_no_traceback(tmp_path, monkeypatch, capsys):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "html.new"))

    monkeypatch.setattr(build, "build", full)
    assert build.main(["--data", "synthetic_data", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "Build failed. The last good book was left in place." in err and "No space left on device" in err
    assert "Traceback" not in err


def test_a_second_build_in_the_same_folder_stops_with_a_clear_message(tmp_path):
    targets = targets_under(tmp_path / "out")
    with build_lock(targets):
        with pytest.raises(BuildError, match="another build is writing to .*: wait for it to finish"):
            with build_lock(targets):
                pass
    with build_lock(targets):  # released when the first build ends
        pass


def test_a_build_holding_the_lock_in_another_process_is_named(tmp_path, capsys):
    lock = tmp_path / "out" / "build.lock"
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            f"f = open({str(lock)!r}, 'a+'); fcntl.flock(f, fcntl.LOCK_EX); f.write('process 4242'); f.flush()\n"
            "print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.perf_counter()
        assert build.main(["--data", "synthetic_data", "--out", str(tmp_path / "out")]) == 1
        assert time.perf_counter() - started < 30  # it does not wait for the other build
        err = capsys.readouterr().err
        assert "another build is writing to" in err and "process 4242" in err
    finally:
        holder.kill()
        holder.wait()


def test_a_page_whose_source_is_gone_is_not_published(tmp_path):
    from analysis_src.pipeline.build import drop_stale_pages

    stage, html = tmp_path / "stage", tmp_path / "stage" / "_build" / "html"
    for source in ("book/intro.md", "book/pilots/hillingdon.ipynb"):
        (stage / source).parent.mkdir(parents=True, exist_ok=True)
        (stage / source).write_text("{}")
    for page in ("index.html", "search.html", "genindex.html", "_static/x.html", "book/intro.html"):
        (html / page).parent.mkdir(parents=True, exist_ok=True)
        (html / page).write_text("<html></html>")
    for page in ("book/pilots/hillingdon.html", "book/pilots/wigan.html"):
        (html / page).parent.mkdir(parents=True, exist_ok=True)
        (html / page).write_text("<html></html>")
    # Wigan was taken out of the manifest: its notebook is no longer staged.
    assert drop_stale_pages(html, stage) == [Path("book/pilots/wigan.html")]
    assert not (html / "book/pilots/wigan.html").exists() and (html / "book/pilots/hillingdon.html").exists()
    assert (html / "search.html").exists() and (html / "_static/x.html").exists()
