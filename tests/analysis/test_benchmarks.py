"""The published benchmarks, recomputed by the book's routines: each agrees, and a disagreement would show."""

from analysis_src.analysis import benchmarks


def test_every_published_benchmark_is_reproduced():
    rows = benchmarks.reproduced()
    assert {row["id"] for row in rows} == {"wilson", "newcombe", "hedges_g", "mh_risk_ratio", "its_sicily"}
    assert [row["id"] for row in rows if not row["agrees"]] == []


def test_a_benchmark_that_disagrees_is_reported_as_such(monkeypatch):
    altered = [dict(b) for b in benchmarks.load_benchmarks()]
    altered[0] = altered[0] | {"published": {"estimate": None, "ci_low": 0.2553, "ci_high": 0.3700}}
    monkeypatch.setattr(benchmarks, "load_benchmarks", lambda: altered)
    rows = {row["id"]: row for row in benchmarks.reproduced()}
    assert rows["wilson"]["agrees"] is False and rows["newcombe"]["agrees"] is True
