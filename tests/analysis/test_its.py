"""The ITS routine against the published results of Lopez Bernal et al. (2017), see tests/data/README.md."""

import pandas as pd
import pytest

from analysis_src.analysis.benchmarks import SICILY_PATH
from analysis_src.analysis.its import segmented_regression

SICILY = pd.read_csv(SICILY_PATH)


def _fit(**options):
    return segmented_regression(SICILY["aces"], SICILY["stdpop"], SICILY["time"], SICILY["smokban"], **options)


def test_quasi_poisson_seasonally_adjusted_step_reproduces_the_paper():
    result = _fit(month=SICILY["month"], harmonic_pairs=2, quasi=True)
    assert round(result.rate_ratio, 3) == 0.885
    assert round(result.ci_low, 3) == 0.839
    assert round(result.ci_high, 3) == 0.933


def test_poisson_without_seasonality_reproduces_the_paper():
    result = _fit(month=None, quasi=False)
    assert (round(result.rate_ratio, 3), round(result.ci_low, 3), round(result.ci_high, 3)) == (0.894, 0.865, 0.925)


def test_counterfactual_equals_fitted_before_the_interruption():
    result = _fit(month=SICILY["month"])
    before = SICILY["smokban"] == 0
    assert result.fitted[before].to_numpy() == pytest.approx(result.counterfactual[before].to_numpy())
    assert (result.fitted[~before] < result.counterfactual[~before]).all()  # a step down after the ban


def test_slope_change_sensitivity_runs_and_reports_autocorrelation():
    result = _fit(month=SICILY["month"], slope_change=True)
    assert 0 < result.ci_low < result.rate_ratio < result.ci_high
    assert 0 < result.durbin_watson < 4
