"""Benchmark the build: clean, unchanged and one-authority rebuilds, and scale to many authorities.

``make bench`` (``python -m analysis_src.tools.bench``) measures, in one run and side
by side on the same inputs:

* the project's clean build against the textbook sequence (papermill run one
  notebook after another from its command line, then ``jupyter-book build``);
* a rebuild with nothing changed and a rebuild after one authority's data
  changed, each as a ratio to the clean build;
* N synthetic authorities (made by the generator from a scaled manifest):
  wall time, peak memory of the whole process tree, and the fitted cost per
  authority.

Every build runs as a separate process, so timings include interpreter start-up
exactly as a user sees it. Results go to ``benchmarks/results.json`` and
``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import psutil

from analysis_src.inputs.manifest import load_manifest, manifest_text
from analysis_src.paths import BUILD_DIR, PROJECT_ROOT
from analysis_src.pipeline.build import (
    CHAPTER_TEMPLATE,
    CONFIG_PATH,
    LOGIC_MODEL_TEMPLATE,
    SYNTHESIS_TEMPLATE,
    TRIAL_TEMPLATE,
    source_commit,
    toc_text,
)
from analysis_src.pipeline.notebooks import KERNEL_NAME
from analysis_src.report.charts import write_vega_bundle
from analysis_src.report.pages import generated_pages
from analysis_src.tools.generate import generate, scaled_manifest, write_tables

RESULTS_DIR = PROJECT_ROOT / "benchmarks"
# Targets of the build's speed and memory (see the README).
TARGETS = {
    "clean_vs_textbook": 0.55,
    "unchanged_vs_clean": 0.10,
    "one_changed_vs_clean": 0.25,
    "peak_memory_gb": 1.5,
}


@dataclass(frozen=True)
class Measure:
    """One timed command: wall seconds and peak resident memory of its process tree."""

    seconds: float
    peak_mb: float


def measure(command: list[str], log: Path) -> Measure:
    """Run ``command``, sampling the summed RSS of it and its children every 0.1 s.

    Raises
    ------
    RuntimeError
        If the command fails; the log file holds its output.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
        peak = 0
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            root = psutil.Process(process.pid)
            while not stop.is_set():
                try:
                    tree = [root, *root.children(recursive=True)]
                    total = 0
                    for proc in tree:
                        try:
                            total += proc.memory_info().rss
                        except psutil.Error:
                            pass
                    peak = max(peak, total)
                except psutil.Error:
                    pass
                stop.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
    if code != 0:
        raise RuntimeError(f"{' '.join(command)} failed with exit code {code}; see {log}")
    return Measure(seconds=seconds, peak_mb=peak / 2**20)


def make_inputs(folder: Path, count: int) -> tuple[Path, Path]:
    """Write a manifest of ``count`` authorities and their generated data; return both paths."""
    pilots = scaled_manifest(load_manifest(), count)
    data = folder / "data"
    write_tables(generate(pilots), data)
    manifest = folder / "pilots.yml"
    manifest.write_text(manifest_text(pilots), encoding="utf-8")
    return data, manifest


def change_one_authority(data: Path, la_code: int) -> None:
    """Add one penny to the first transaction of one authority (a one-authority data change)."""
    path = data / "transactions.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    la, amount = header.index("la_code"), header.index("amount_gbp")
    for i, line in enumerate(lines[1:], start=1):
        cells = line.rstrip("\n").split(",")
        if cells[la] == str(la_code):
            cells[amount] = f"{float(cells[amount]) + 0.01:.2f}"
            lines[i] = ",".join(cells) + "\n"
            break
    path.write_text("".join(lines), encoding="utf-8")


def project_build(data: Path, manifest: Path, out: Path, jobs: int | None) -> list[str]:
    """The project's build command for these inputs."""
    command = [sys.executable, "-m", "analysis_src.pipeline.build", "--data", str(data), "--manifest", str(manifest)]
    return command + ["--out", str(out)] + ([] if jobs is None else ["--jobs", str(jobs)])


def textbook_script(data: Path, manifest: Path, root: Path) -> Path:
    """A shell script of the textbook sequence: papermill per notebook, one after another, then jupyter-book."""
    pilots = load_manifest(manifest)
    bin_dir = Path(sys.executable).parent
    common = f"-p data_dir {data} -p manifest {manifest} -k {KERNEL_NAME} --cwd {PROJECT_ROOT} --no-progress-bar"
    lines = ["#!/usr/bin/env bash", "set -euo pipefail"]
    for pilot in pilots:
        out = root / "book" / "pilots" / f"{pilot.slug}.ipynb"
        lines.append(f"{bin_dir}/papermill {CHAPTER_TEMPLATE} {out} -p slug {pilot.slug} {common}")
        if pilot.randomised:
            out = root / "book" / "pilots" / f"{pilot.slug}_trial.ipynb"
            lines.append(f"{bin_dir}/papermill {TRIAL_TEMPLATE} {out} -p slug {pilot.slug} {common}")
    for template, name in ((SYNTHESIS_TEMPLATE, "synthesis"), (LOGIC_MODEL_TEMPLATE, "logic_model")):
        lines.append(f"{bin_dir}/papermill {template} {root / 'book' / f'{name}.ipynb'} {common}")
    lines.append(f"{bin_dir}/jupyter-book build {root} --builder html --quiet")
    # The same book sources as the project's build: configuration, contents, generated pages.
    (root / "book" / "pilots").mkdir(parents=True, exist_ok=True)
    shutil.copy2(CONFIG_PATH, root / "_config.yml")
    (root / "_toc.yml").write_text(toc_text(pilots), encoding="utf-8")
    for page, text in generated_pages().items():
        (root / "book" / page).write_text(text, encoding="utf-8")
    write_vega_bundle(root / "book" / "_static")
    script = root / "textbook.sh"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return script


def _ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 3)


def run_size(count: int, work: Path, jobs: int | None, textbook: bool) -> dict:
    """Every measurement for ``count`` authorities."""
    folder = work / f"n{count:03d}"
    shutil.rmtree(folder, ignore_errors=True)
    data, manifest = make_inputs(folder, count)
    out = folder / "project"
    print(f"N = {count}: clean build", flush=True)
    clean = measure(project_build(data, manifest, out, jobs), folder / "logs" / "clean.log")
    print(f"N = {count}: rebuild, nothing changed", flush=True)
    unchanged = measure(project_build(data, manifest, out, jobs), folder / "logs" / "unchanged.log")
    print(f"N = {count}: rebuild, one authority's data changed", flush=True)
    change_one_authority(data, load_manifest(manifest)[0].la_code)
    one = measure(project_build(data, manifest, out, jobs), folder / "logs" / "one_changed.log")
    result = {
        "authorities": count,
        "clean": asdict(clean),
        "unchanged": asdict(unchanged),
        "one_changed": asdict(one),
        "unchanged_vs_clean": _ratio(unchanged.seconds, clean.seconds),
        "one_changed_vs_clean": _ratio(one.seconds, clean.seconds),
    }
    if textbook:
        print(f"N = {count}: textbook sequence (papermill one by one, then jupyter-book build)", flush=True)
        script = textbook_script(data, manifest, folder / "textbook")
        sequential = measure(["bash", str(script)], folder / "logs" / "textbook.log")
        result["textbook"] = asdict(sequential)
        result["clean_vs_textbook"] = _ratio(clean.seconds, sequential.seconds)
    print(f"N = {count}: {json.dumps(result)}", flush=True)
    shutil.rmtree(folder / "textbook", ignore_errors=True)
    return result


def fit_linear(sizes: list[int], seconds: list[float]) -> dict:
    """Least-squares line through (authorities, seconds), and how far each point is from it.

    ``marginal_per_authority`` compares the cost of each added authority between
    successive sizes: equal values mean the cost grows linearly.
    """
    slope, intercept = np.polyfit(sizes, seconds, 1)
    fitted = [intercept + slope * n for n in sizes]
    marginal = [(seconds[i] - seconds[i - 1]) / (sizes[i] - sizes[i - 1]) for i in range(1, len(sizes))]
    return {
        "seconds_per_authority": round(float(slope), 3),
        "fixed_seconds": round(float(intercept), 1),
        "largest_residual_share": round(max(abs(s - f) / s for s, f in zip(seconds, fitted, strict=True)), 3),
        "marginal_per_authority": [round(m, 3) for m in marginal],
    }


def summary_markdown(results: dict) -> str:
    """The results as a Markdown report with each target and whether it is met."""
    rows = results["sizes"]
    lines = [
        "# Build benchmark",
        "",
        f"Made by `make bench` on {results['date']} at commit {results['commit']}: {results['machine']}. "
        f"Jobs: {results['jobs']}.",
        "Every build is a separate process; peak memory is the summed RSS of its process tree.",
        "",
        "| Authorities | Clean build (s) | Textbook sequence (s) | Clean / textbook | Unchanged rebuild (s) "
        "| Unchanged / clean | One authority changed (s) | One changed / clean | Peak memory, clean (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        textbook = f"{r['textbook']['seconds']:.1f}" if "textbook" in r else "not run"
        versus = f"{r['clean_vs_textbook']:.3f}" if "textbook" in r else "–"
        lines.append(
            f"| {r['authorities']} | {r['clean']['seconds']:.1f} | {textbook} | {versus} "
            f"| {r['unchanged']['seconds']:.1f} | {r['unchanged_vs_clean']:.3f} | {r['one_changed']['seconds']:.1f} "
            f"| {r['one_changed_vs_clean']:.3f} | {r['clean']['peak_mb']:.0f} |"
        )
    fit = results["fit"]
    lines += [
        "",
        f"Clean build time fitted as {fit['fixed_seconds']} s + {fit['seconds_per_authority']} s per authority "
        f"(largest residual {fit['largest_residual_share']:.1%} of the time); cost of each added authority "
        f"between successive sizes: {', '.join(f'{m} s' for m in fit['marginal_per_authority'])}.",
        "",
        "| Target | Limit | Measured | Met |",
        "|---|---:|---:|---|",
    ]
    for check in results["targets"]:
        lines.append(
            f"| {check['target']} | {check['limit']} | {check['measured']} | {'yes' if check['met'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def check_targets(rows: list[dict]) -> list[dict]:
    """Each target against the largest size measured (with a textbook run for the first)."""
    largest = rows[-1]
    checks = []
    with_textbook = [r for r in rows if "textbook" in r]
    if with_textbook:
        r = with_textbook[-1]
        checks.append(_check(f"clean / textbook at {r['authorities']}", "clean_vs_textbook", r["clean_vs_textbook"]))
    n = largest["authorities"]
    checks.append(_check(f"unchanged / clean at {n}", "unchanged_vs_clean", largest["unchanged_vs_clean"]))
    checks.append(_check(f"one changed / clean at {n}", "one_changed_vs_clean", largest["one_changed_vs_clean"]))
    peak = round(largest["clean"]["peak_mb"] / 1024, 2)
    checks.append(_check(f"peak memory (GB) at {n}", "peak_memory_gb", peak))
    return checks


def _check(label: str, key: str, measured: float) -> dict:
    return {"target": label, "limit": TARGETS[key], "measured": measured, "met": measured <= TARGETS[key]}


def main(argv: list[str] | None = None) -> int:
    """Command line: run the benchmark and write its results."""
    parser = argparse.ArgumentParser(description="Benchmark the build (clean, unchanged, one changed, scale).")
    parser.add_argument("--sizes", type=int, nargs="+", default=[3, 30, 150], help="numbers of authorities")
    parser.add_argument(
        "--textbook", type=int, nargs="*", default=[3, 150], help="sizes at which to time the sequential textbook run"
    )
    parser.add_argument("--jobs", type=int, default=None, help="parallel notebook runs (default: one per core)")
    parser.add_argument("--work", type=Path, default=BUILD_DIR / "bench", help="scratch folder")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where to write results.json/.md")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes))
    rows = [run_size(n, args.work, args.jobs, n in args.textbook) for n in sizes]
    results = {
        "date": dt.date.today().isoformat(),
        "commit": source_commit(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}",
        "jobs": args.jobs or "one per core",
        "sizes": rows,
        "fit": fit_linear([r["authorities"] for r in rows], [r["clean"]["seconds"] for r in rows])
        if len(rows) >= 2
        else {},
        "targets": check_targets(rows),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if len(rows) >= 2:
        (args.results / "results.md").write_text(summary_markdown(results), encoding="utf-8")
        print(summary_markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
