import altair as alt
import pandas as pd
import pytest

from analysis_src.report.charts import chart_html, write_vega_bundle


@pytest.fixture
def chart():
    return alt.Chart(pd.DataFrame({"x": ["a", "b"], "y": [1, 2]})).mark_bar().encode(x="x", y="y")


def test_chart_html_is_deterministic_and_loads_nothing_from_a_cdn(chart):
    first = chart_html(chart, "demo", "A demo chart.")
    assert first == chart_html(chart, "demo", "A demo chart.")
    assert 'id="chart-demo"' in first
    assert "cdn" not in first.lower() and "http://" not in first.replace("http://www.w3.org", "")
    assert 'aria-label="A demo chart."' in first


def test_chart_name_must_be_an_id(chart):
    with pytest.raises(ValueError, match="chart name"):
        chart_html(chart, "Bad Name", "x")


def test_vega_bundle_defines_vega_embed_globally(tmp_path):
    text = write_vega_bundle(tmp_path).read_text()
    assert "window.vegaEmbed=" in text
    assert text.startswith("(function () {")  # its own names stay off the page's globals
