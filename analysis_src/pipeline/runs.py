"""Execute many notebooks with papermill in parallel, one worker process per job.

A papermill run is dominated by starting a kernel and importing pandas, Altair
and statsmodels, so runs are spread over worker processes (one per core by
default). A failing run does not stop the others: every run is attempted and
each failure is returned with its authority, cell and error.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from tqdm import tqdm

from analysis_src.paths import PROJECT_ROOT
from analysis_src.pipeline.incremental import METADATA_KEY
from analysis_src.pipeline.notebooks import clean_executed, execute


def portable(path: Path) -> str:
    """Path as recorded in notebooks and messages: relative to the project root where possible."""
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path.resolve())


@dataclass(frozen=True)
class Run:
    """One notebook to execute.

    Attributes
    ----------
    label
        How the run is named in progress and error messages, e.g. ``"Wigan: chapter"``.
    template, output
        The template notebook and where the executed notebook is written.
    parameters
        Papermill parameters; each must be declared in the template.
    replacements
        Template slots filled in markdown cells, e.g. ``{"{{ name }}": "Wigan"}``.
    inputs_sha256
        The hash of the run's inputs, recorded in the executed notebook.
    """

    label: str
    template: Path
    output: Path
    parameters: dict = field(default_factory=dict)
    replacements: dict = field(default_factory=dict)
    inputs_sha256: str = ""


def default_jobs() -> int:
    """One job per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def describe_failure(error: BaseException) -> str:
    """A one-line account of a failed run: the cell and the exception for a notebook error."""
    ename = getattr(error, "ename", None)
    if ename is not None:  # papermill.PapermillExecutionError
        first_line = (getattr(error, "source", "") or "").strip().splitlines()[:1]
        code = f" `{first_line[0][:80]}`" if first_line else ""
        return f"cell In [{error.exec_count}]{code} raised {ename}: {getattr(error, 'evalue', '')}".strip()
    return f"{type(error).__name__}: {error}"


# A kernel that fails to start or answer (a port taken by another kernel starting at the same
# moment, a kernel that does not respond) is a fault of the machine, not of the notebook: the
# run is tried once more. A failing cell is never retried.
KERNEL_RETRIES = 1


def is_kernel_fault(error: BaseException) -> bool:
    """Whether ``error`` is a kernel that failed to start or answer, rather than a failing cell."""
    if getattr(error, "ename", None) is not None:  # a cell raised: papermill.PapermillExecutionError
        return False
    return type(error).__name__ in {"ZMQError", "DeadKernelError"} or "Kernel didn't respond" in str(error)


def run_one(run: Run) -> str | None:
    """Execute one run and clean the result; return ``None`` on success, else the failure."""
    for attempt in range(KERNEL_RETRIES + 1):
        try:
            execute(run.template, run.output, run.parameters)
            break
        except Exception as error:  # every failure is reported to the caller, never raised in a worker
            if attempt < KERNEL_RETRIES and is_kernel_fault(error):
                continue
            return describe_failure(error)
    try:
        # The executed notebook says that it is generated, and from which template.
        generated = {"inputs_sha256": run.inputs_sha256, "template": portable(run.template)}
        clean_executed(run.output, run.replacements, {METADATA_KEY: generated})
    except Exception as error:  # every failure is reported to the caller, never raised in a worker
        return describe_failure(error)
    return None


def _is_resource_tracker(process: psutil.Process) -> bool:
    """Whether this is the helper of multiprocessing, which ends with this process and is needed until then."""
    try:
        return "resource_tracker" in " ".join(process.cmdline())
    except psutil.Error:
        return False


def stop_children(grace: float = 5.0) -> None:
    """Stop every process this one started (notebook workers and their kernels), however deep.

    Each is asked to terminate, and killed if it has not ended after ``grace`` seconds.
    Kernels run in sessions of their own, so stopping a worker's process group would miss them.
    """
    children = [child for child in psutil.Process().children(recursive=True) if not _is_resource_tracker(child)]
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=grace)
    for child in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    psutil.wait_procs(alive, timeout=grace)


def run_all(
    runs: Iterable[Run], jobs: int | None = None, progress: bool = True, runner: Callable[[Run], str | None] = run_one
) -> dict[str, str]:
    """Execute ``runs`` on ``jobs`` worker processes; return ``{label: failure}`` for the failed ones.

    Parameters
    ----------
    runs
        The notebooks to execute.
    jobs
        Worker processes; :func:`default_jobs` when ``None``. With 1, runs in this process.
    progress
        Show a progress bar on a terminal, or one line per finished run otherwise.
    runner
        The function that executes one run (replaceable in tests).
    """
    runs = list(runs)
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1; found {jobs}")
    failures: dict[str, str] = {}
    if not runs:
        return failures
    interactive = progress and sys.stderr.isatty()
    bar = tqdm(total=len(runs), desc="  notebooks", unit="nb", disable=not interactive, file=sys.stderr)

    done = 0

    def finished(run: Run, failure: str | None) -> None:
        nonlocal done
        done += 1
        if failure is not None:
            failures[run.label] = failure
        bar.update(1)
        if progress and not interactive:
            print(f"    {done}/{len(runs)} {run.label}: {'FAILED' if failure else 'done'}", flush=True)

    if jobs == 1 or len(runs) == 1:
        try:
            for run in runs:
                finished(run, runner(run))
        except BaseException:  # stopped (a signal, Ctrl-C): no kernel may outlive the build
            stop_children()
            raise
    else:
        # "spawn": a clean interpreter per worker, no state inherited from the parent.
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(runs)), mp_context=context)
        try:
            futures = {pool.submit(runner, run): run for run in runs}
            for future in as_completed(futures):
                finished(futures[future], future.result())
        except BaseException:
            stop_children()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    bar.close()
    return dict(sorted(failures.items()))
