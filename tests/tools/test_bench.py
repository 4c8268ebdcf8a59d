"""The benchmark's measuring and fitting routines (the timings themselves are not asserted)."""

import sys

import numpy as np
import pytest

from analysis_src.inputs.manifest import load_manifest
from analysis_src.tools import bench


def test_fit_linear_recovers_an_exact_line_and_flags_curvature():
    sizes = [3, 30, 150]
    fit = bench.fit_linear(sizes, [10 + 2.5 * n for n in sizes])
    assert fit["seconds_per_authority"] == 2.5 and fit["fixed_seconds"] == 10.0
    assert fit["largest_residual_share"] == 0 and fit["marginal_per_authority"] == [2.5, 2.5]
    curved = bench.fit_linear(sizes, [n**2 / 10 for n in sizes])
    assert curved["marginal_per_authority"][1] > 5 * curved["marginal_per_authority"][0]
    slope, intercept = np.polyfit(sizes, [n**2 / 10 for n in sizes], 1)
    assert curved["seconds_per_authority"] == pytest.approx(slope, abs=1e-3)


def test_measure_reports_peak_memory_of_the_process_tree(tmp_path):
    child = "b = bytearray(300 * 2**20); import time; time.sleep(0.6)"
    grow = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    result = bench.measure([sys.executable, "-c", grow], tmp_path / "log")
    assert result.peak_mb > 300  # the child's allocation is counted
    with pytest.raises(RuntimeError, match="exit code 3"):
        bench.measure([sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "log")


def test_inputs_for_n_authorities_and_a_one_authority_change(tmp_path):
    data, manifest = bench.make_inputs(tmp_path, 4)
    pilots = load_manifest(manifest)
    assert len(pilots) == 4 and len({p.la_code for p in pilots}) == 4
    before = (data / "transactions.csv").read_text().splitlines()
    bench.change_one_authority(data, pilots[1].la_code)
    after = (data / "transactions.csv").read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1 and f",{pilots[1].la_code}," in changed[0][0]


def test_textbook_sequence_runs_each_notebook_then_jupyter_book(tmp_path):
    data, manifest = bench.make_inputs(tmp_path, 3)
    script = bench.textbook_script(data, manifest, tmp_path / "textbook").read_text().splitlines()
    papermill = [line for line in script if "/papermill " in line]
    assert len(papermill) == 3 + 1 + 2  # three chapters, one trial page, synthesis, logic model
    assert script[-1].split()[1:3] == ["build", str(tmp_path / "textbook")]
    assert (tmp_path / "textbook" / "_toc.yml").is_file()


def test_targets_are_checked_against_their_limits():
    rows = [
        {
            "authorities": 3,
            "clean": {"seconds": 20, "peak_mb": 900},
            "unchanged_vs_clean": 0.2,
            "one_changed_vs_clean": 0.7,
            "textbook": {"seconds": 40},
            "clean_vs_textbook": 0.5,
        },
        {
            "authorities": 150,
            "clean": {"seconds": 600, "peak_mb": 1600},
            "unchanged_vs_clean": 0.02,
            "one_changed_vs_clean": 0.3,
        },
    ]
    checks = {c["target"]: c["met"] for c in bench.check_targets(rows)}
    assert checks == {
        "clean / textbook at 3": True,
        "unchanged / clean at 150": True,
        "one changed / clean at 150": False,
        "peak memory (GB) at 150": False,
    }
