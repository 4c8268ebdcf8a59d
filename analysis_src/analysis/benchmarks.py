"""Published results that the book's estimators reproduce, recomputed with the project's own routines.

The published values and their sources are data (``config/benchmarks.yml``); the inputs
of each worked example are here, beside the routine that recomputes it. The
methods-validation page shows both, and says for each whether they agree.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pandas as pd
import yaml

from analysis_src.analysis.effects import (
    Estimate,
    Stratum,
    hedges_g,
    mantel_haenszel_risk_ratio,
    risk_difference,
    wilson,
)
from analysis_src.analysis.its import segmented_regression
from analysis_src.paths import CONFIG_DIR

BENCHMARKS_PATH = CONFIG_DIR / "benchmarks.yml"
SICILY_PATH = CONFIG_DIR / "benchmarks" / "sicily.csv"


def _sicily() -> Estimate:
    data = pd.read_csv(SICILY_PATH)
    fit = segmented_regression(
        data["aces"], data["stdpop"], data["time"], data["smokban"], month=data["month"], harmonic_pairs=2, quasi=True
    )
    return Estimate(fit.rate_ratio, fit.ci_low, fit.ci_high)


# Each worked example's inputs and the routine the book uses, by benchmark id.
_RECOMPUTE: dict[str, Callable[[], Estimate]] = {
    "wilson": lambda: wilson(81, 263),
    "newcombe": lambda: risk_difference(56, 70, 48, 80),
    "hedges_g": lambda: hedges_g(103, 5.5, 50, 100, 4.5, 50),
    "mh_risk_ratio": lambda: mantel_haenszel_risk_ratio([Stratum(16, 27, 5, 25), Stratum(12, 28, 7, 26)]),
    "its_sicily": _sicily,
}


@cache
def load_benchmarks() -> list[dict]:
    """The published benchmarks of ``config/benchmarks.yml``."""
    return yaml.safe_load(BENCHMARKS_PATH.read_text(encoding="utf-8"))["benchmarks"]


def reproduced() -> list[dict]:
    """Each benchmark with the project's value of every published figure and whether they agree.

    Returns
    -------
    list of dict
        ``id``, ``estimator``, ``source``, ``example``, ``published`` and ``ours`` (figure to
        value, rounded to the published decimals) and ``agrees`` (every figure equal).
    """
    rows = []
    for benchmark in load_benchmarks():
        estimate = _RECOMPUTE[benchmark["id"]]()
        decimals = benchmark["decimals"]
        published = {k: v for k, v in benchmark["published"].items() if v is not None}
        ours = {figure: round(float(getattr(estimate, figure)), decimals) for figure in published}
        rows.append(
            {
                **{k: benchmark[k] for k in ("id", "estimator", "source", "example")},
                "published": published,
                "ours": ours,
                "agrees": all(round(value, decimals) == ours[figure] for figure, value in published.items()),
            }
        )
    return rows
