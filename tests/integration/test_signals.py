"""A build stopped by SIGTERM or SIGINT stops every worker and kernel, keeps the last good book; the next recovers."""

import signal
import subprocess
import sys
import time

import psutil
import pytest

from analysis_src.paths import PROJECT_ROOT, SYNTHETIC_DATA_DIR


def _start(out):
    return subprocess.Popen(
        [sys.executable, "-m", "analysis_src.pipeline", "--data", str(SYNTHETIC_DATA_DIR), "--out", str(out)]
        + ["--jobs", "2"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kernels_running(build: psutil.Process, timeout: float = 120) -> list[psutil.Process]:
    """Wait until the build has started notebook kernels; return every process under it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = build.children(recursive=True)
        if any("ipykernel" in " ".join(child.cmdline()) for child in children if child.is_running()):
            return children
        time.sleep(0.2)
    raise AssertionError("the build started no kernel")


@pytest.mark.parametrize("stopping", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_build_leaves_no_process_and_the_next_build_recovers(tmp_path, stopping):
    out = tmp_path / "out"
    process = _start(out)
    children = _kernels_running(psutil.Process(process.pid))
    process.send_signal(stopping)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + stopping.value
    assert f"Build stopped by {stopping.name}" in err and "Traceback" not in err
    _, alive = psutil.wait_procs(children, timeout=10)
    assert [p for p in alive if p.status() != psutil.STATUS_ZOMBIE] == []
    assert not (out / "html").exists()  # nothing half-published
    again = _start(out)
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert (out / "html" / "book" / "pilots" / "wigan.html").is_file()
