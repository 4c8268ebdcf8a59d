"""Simulation studies of the trial estimators on Darlington's own design (ADEMP).

Following Morris, White and Crowther (2019, Statistics in Medicine 38:2074-2102):

* **Aims**: is each estimator of the randomised comparison unbiased, and do its 95%
  intervals cover, on the pilot's design?
* **Data-generating mechanism**: families randomised one by one over the pilot, 1:1 in
  permuted blocks until the midpoint and 2:1 after it (the protocol's ratio change);
  families nested in social workers (a random intercept); a baseline risk that falls
  over the pilot (later families are followed up for less time); a true effect set by
  the study (none by default).
* **Estimand**: the risk difference between arms (0 with no effect), the risk ratio (1),
  Hedges' g (0).
* **Methods**: the crude comparison pooled over the pilot (Newcombe risk difference),
  and the estimators the book uses, stratified by allocation period (Mantel-Haenszel
  risk difference and ratio, inverse-variance Hedges' g).
* **Performance**: bias and coverage, each with its Monte Carlo standard error.

The same structure checks the interrupted time series on 12 and 36 months of history:
monthly counts with a trend and a season and no step, fitted with the model the book
chooses for that history and with the full model beside it.

Run ``python -m analysis_src.tools.simulate`` (``make simulate``) for the full table;
the test suite runs a shorter version and fails when a stratified estimator's bias
exceeds three Monte Carlo standard errors or its coverage leaves the Monte Carlo band.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis_src.analysis.effects import (
    Stratum,
    mantel_haenszel_risk_difference,
    mantel_haenszel_risk_ratio,
    risk_difference,
    stratified_hedges_g,
    wilson,
)
from analysis_src.paths import SIMULATION_PATH


def measures(estimates: np.ndarray, lows: np.ndarray, highs: np.ndarray, truth: float) -> dict[str, float]:
    """The performance measures of one method: bias and coverage, each with its Monte Carlo standard error."""
    n = len(estimates)
    coverage = float(((lows <= truth) & (highs >= truth)).mean())
    return {
        "repetitions": n,
        "bias": float(estimates.mean() - truth),
        "bias_mcse": float(estimates.std(ddof=1) / math.sqrt(n)),
        "coverage": coverage,
        "coverage_mcse": math.sqrt(coverage * (1 - coverage) / n),
    }


@dataclass(frozen=True)
class TrialDesign:
    """The data-generating mechanism of one simulated trial.

    Attributes
    ----------
    families
        Families randomised over the pilot (Darlington's allocation log holds 67).
    workers
        Social workers; each family has one, with a random intercept on the log-odds scale.
    worker_sd
        Standard deviation of the workers' intercepts (log odds).
    risk_start, risk_end
        Baseline risk of the outcome for a family randomised at the start and at the end
        of the pilot (it falls: later families are followed up for less time).
    log_odds_effect
        The true effect of allocation to the intervention (0: none).
    """

    families: int = 67
    workers: int = 10
    worker_sd: float = 0.5
    risk_start: float = 0.45
    risk_end: float = 0.15
    log_odds_effect: float = 0.0


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def allocate(families: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Allocation over time: 1:1 permuted blocks of 2 before the midpoint, 2:1 blocks of 3 after it.

    Returns the allocation time (0 to 1, in order), whether each family was allocated
    to the intervention, and (implicitly, by time) its allocation period.
    """
    times = np.sort(rng.random(families))
    treated = np.empty(families, dtype=int)
    block: list[int] = []
    late_before = False
    for i, time in enumerate(times):
        late = time >= 0.5
        if not block or late != late_before:
            block = list(rng.permutation([1, 0] if not late else [1, 1, 0]))
        treated[i] = block.pop()
        late_before = late
    return times, treated


def simulate_trial(design: TrialDesign, rng: np.random.Generator) -> pd.DataFrame:
    """One simulated trial: allocation time and period, arm, worker and a binary outcome."""
    times, treated = allocate(design.families, rng)
    workers = rng.integers(0, design.workers, design.families)
    intercepts = rng.normal(0, design.worker_sd, design.workers)
    baseline = _logit(design.risk_start) + (_logit(design.risk_end) - _logit(design.risk_start)) * times
    log_odds = baseline + intercepts[workers] + design.log_odds_effect * treated
    outcome = (rng.random(design.families) < 1 / (1 + np.exp(-log_odds))).astype(int)
    return pd.DataFrame(
        {
            "ratio_in_force": np.where(times < 0.5, "1:1", "2:1"),
            "treated": treated,
            "worker_id": workers,
            "outcome": outcome,
        }
    )


def _strata(trial: pd.DataFrame) -> list[Stratum]:
    strata = []
    for _, period in trial.groupby("ratio_in_force"):
        arm_1, arm_0 = period[period["treated"] == 1], period[period["treated"] == 0]
        strata.append(Stratum(int(arm_1["outcome"].sum()), len(arm_1), int(arm_0["outcome"].sum()), len(arm_0)))
    return strata


def estimates(trial: pd.DataFrame) -> dict[str, tuple[float, float, float] | None]:
    """Each method's estimate and 95% limits on one trial (``None`` where not estimable)."""
    strata = _strata(trial)
    pooled = Stratum(*(sum(getattr(s, f) for s in strata) for f in ("events_1", "n_1", "events_0", "n_0")))
    crude = risk_difference(pooled.events_1, pooled.n_1, pooled.events_0, pooled.n_0)
    rd = mantel_haenszel_risk_difference(strata)
    rr = mantel_haenszel_risk_ratio(strata)
    g = stratified_hedges_g(
        [
            (p.loc[p["treated"] == 1, "outcome"].astype(float), p.loc[p["treated"] == 0, "outcome"].astype(float))
            for _, p in trial.groupby("ratio_in_force")
        ]
    )
    return {
        "risk difference, crude (pooled over periods)": (crude.estimate, crude.ci_low, crude.ci_high),
        "risk difference, Mantel-Haenszel by period": (rd.estimate, rd.ci_low, rd.ci_high),
        "log risk ratio, Mantel-Haenszel by period": (
            None if rr is None else (math.log(rr.estimate), math.log(rr.ci_low), math.log(rr.ci_high))
        ),
        "Hedges' g, inverse-variance by period": None if g is None else (g.estimate, g.ci_low, g.ci_high),
    }


def performance(design: TrialDesign, repetitions: int, seed: int) -> pd.DataFrame:
    """Bias and coverage of every method over ``repetitions`` simulated trials under no true effect.

    Returns
    -------
    DataFrame
        One row per method: repetitions with an estimate, bias, its Monte Carlo SE,
        coverage of the 95% interval, its Monte Carlo SE.
    """
    if design.log_odds_effect != 0:
        raise ValueError("the estimands are known only under no true effect (0 on every scale)")
    rng = np.random.default_rng(seed)
    results: dict[str, list[tuple[float, float, float]]] = {}
    for _ in range(repetitions):
        for method, value in estimates(simulate_trial(design, rng)).items():
            results.setdefault(method, [])
            if value is not None:
                results[method].append(value)
    rows = []
    for method, values in results.items():
        array = np.array(values)
        rows.append({"method": method, **measures(array[:, 0], array[:, 1], array[:, 2], truth=0.0)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ReturnsDesign:
    """The data-generating mechanism of one authority's monthly returns, with no effect of the pilot.

    Counts are Poisson with gamma-distributed means (overdispersed), a trend of 2% a year and a
    season peaking in the autumn term, as in the synthetic data; the estimand is a step of 1.
    """

    pre_months: int = 12
    pilot_months: int = 12
    monthly_mean: float = 20.0
    population: int = 40_000


def simulate_returns(design: ReturnsDesign, rng: np.random.Generator) -> pd.DataFrame:
    """One authority's monthly returns: time, calendar month, after, population and counts."""
    months = design.pre_months + design.pilot_months
    t = np.arange(months)
    calendar = (t + 3) % 12 + 1  # the series starts in March, as the pilots did
    level = (1.02 ** (t / 12)) * (1 + 0.10 * np.sin(2 * np.pi * (calendar - 7) / 12))
    mean = rng.gamma(50.0, design.monthly_mean * level / 50.0)
    return pd.DataFrame(
        {
            "time": t + 1,
            "calendar_month": calendar,
            "after": (t >= design.pre_months).astype(int),
            "population": design.population,
            "count": rng.poisson(mean),
        }
    )


def its_performance(pre_months: int, repetitions: int, seed: int) -> pd.DataFrame:
    """Bias, coverage and mean interval width (log scale) of the time-series step, under no step.

    Two methods: the model the book chooses for ``pre_months`` of history, and the full
    model (trend and two seasonal pairs) beside it.
    """
    from analysis_src.analysis.its import segmented_regression
    from analysis_src.analysis.outcomes import its_model

    design = ReturnsDesign(pre_months=pre_months)
    trend, pairs = its_model(pre_months)
    methods = {"chosen by the pre-period": (trend, pairs), "full (trend and two seasonal pairs)": (True, 2)}
    rng = np.random.default_rng(seed)
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in methods}
    for _ in range(repetitions):
        frame = simulate_returns(design, rng)
        for name, (with_trend, with_pairs) in methods.items():
            fit = segmented_regression(
                frame["count"],
                frame["population"],
                frame["time"],
                frame["after"],
                month=frame["calendar_month"] if with_pairs else None,
                harmonic_pairs=with_pairs,
                trend=with_trend,
            )
            results[name].append((math.log(fit.rate_ratio), math.log(fit.ci_low), math.log(fit.ci_high)))
    rows = []
    for name, values in results.items():
        array = np.array(values)
        rows.append(
            {
                "method": f"log rate ratio, {name}",
                "pre_months": pre_months,
                **measures(array[:, 0], array[:, 1], array[:, 2], truth=0.0),
                "mean_width": float((array[:, 2] - array[:, 1]).mean()),
            }
        )
    return pd.DataFrame(rows)


def wilson_performance(sizes: tuple[int, ...], share: float, repetitions: int, seed: int) -> pd.DataFrame:
    """Coverage of the Wilson interval for groups of survey respondents of the given sizes (true share ``share``)."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        positives = rng.binomial(n, share, repetitions)
        array = np.array([(e.estimate, e.ci_low, e.ci_high) for e in (wilson(int(k), n) for k in positives)])
        rows.append(
            {
                "method": "share positive, Wilson interval",
                "respondents": n,
                **measures(array[:, 0], array[:, 1], array[:, 2], truth=share),
            }
        )
    return pd.DataFrame(rows)


def icc_performance(icc: float, workers: int, per_worker: int, repetitions: int, seed: int) -> pd.DataFrame:
    """The book's mixed model on a pilot-sized design, with no effect of allocation.

    Two rows: the ICC (bias, coverage of its profile-likelihood interval, share of estimates
    at zero) and the arm effect (bias and coverage of its Wald interval; the truth is 0).
    """
    from analysis_src.analysis.trial import TrialData, multilevel

    rng = np.random.default_rng(seed)
    icc_fits, arm_fits = [], []
    for _ in range(repetitions):
        group = np.repeat(np.arange(workers), per_worker)
        outcome = rng.normal(0, math.sqrt(icc), workers)[group] + rng.normal(0, math.sqrt(1 - icc), len(group))
        frame = pd.DataFrame({"s47_enquiry": outcome, "treated": rng.integers(0, 2, len(group)), "worker_id": group})
        figures = multilevel(TrialData(pd.DataFrame(), frame, frame))
        icc_fits.append([figures[f"trial.icc_social_worker{part}"] for part in ("", ".ci_low", ".ci_high")])
        arm_fits.append([figures[f"trial.multilevel.{part}"] for part in ("estimate", "ci_low", "ci_high")])
    iccs, arms = np.array(icc_fits), np.array(arm_fits)
    design = f"{workers} workers, {per_worker} families each, true ICC {icc:g}"
    return pd.DataFrame(
        [
            {
                "method": "arm effect, linear mixed model",
                "design": design,
                **measures(arms[:, 0], arms[:, 1], arms[:, 2], truth=0.0),
                "share_at_zero": float("nan"),
            },
            {
                "method": "ICC, profile-likelihood interval",
                "design": design,
                **measures(iccs[:, 0], iccs[:, 1], iccs[:, 2], truth=icc),
                "share_at_zero": float((iccs[:, 0] < 0.001).mean()),
            },
        ]
    )


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows for JSON, rounded; a figure that does not apply is ``null`` (JSON has no NaN)."""
    return [
        {key: (None if isinstance(value, float) and math.isnan(value) else value) for key, value in row.items()}
        for row in frame.round(6).to_dict(orient="records")
    ]


def study(repetitions: int, seed: int) -> dict:
    """The whole simulation study: trial estimators, time series on 12 and 36 months, Wilson on survey groups."""
    trial = performance(TrialDesign(), repetitions, seed)
    its = pd.concat([its_performance(pre, repetitions // 5, seed) for pre in (12, 36)], ignore_index=True)
    survey = wilson_performance((3, 10, 30, 60), 0.7, repetitions, seed)
    icc = icc_performance(0.05, 10, 7, repetitions // 25, seed)
    return {
        "seed": seed,
        "repetitions": repetitions,
        "trial_design": vars(TrialDesign()),
        "returns_design": vars(ReturnsDesign()),
        "survey_share": 0.7,
        "trial": _records(trial),
        "time_series": _records(its),
        "survey": _records(survey),
        "icc": _records(icc),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: run the simulation study, print its tables and write them for the methods page."""
    parser = argparse.ArgumentParser(description="Simulate the book's estimators on the pilots' own designs.")
    parser.add_argument("--repetitions", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20190301)
    parser.add_argument("--out", type=Path, default=SIMULATION_PATH, help="where the results are written")
    args = parser.parse_args(argv)
    results = study(args.repetitions, args.seed)
    for name in ("trial", "time_series", "survey", "icc"):
        print(f"\n{name}:\n" + pd.DataFrame(results[name]).to_markdown(index=False, floatfmt=".4f"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
