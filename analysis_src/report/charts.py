"""Charts for the book: one Altair theme, rendered without any third-party request.

Altair's default HTML loads vega, vega-lite and vega-embed from a CDN, which
fails offline and on locked-down networks. Here the three libraries are written
once into the book's static files (:func:`write_vega_bundle`, from the
``vl-convert-python`` package) and each chart's HTML only calls ``vegaEmbed``.
Chart ids are derived from the chart's name, so executed notebooks are stable.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import altair as alt
import pandas as pd
from IPython.display import HTML

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
BUNDLE_NAME = "vega-bundle.js"


def tables_in_full() -> None:
    """Let pandas print every table cell of this kernel in full (it would cut cells at 50 characters)."""
    pd.set_option("display.max_colwidth", None)


@alt.theme.register("devolved_budgets", enable=True)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "view": {"continuousWidth": 560, "continuousHeight": 280, "stroke": None},
            "range": {"category": PALETTE},
            "mark": {"color": PALETTE[0]},
            "axis": {"labelFontSize": 12, "titleFontSize": 12},
            "title": {"fontSize": 14, "anchor": "start"},
            "font": "sans-serif",
        }
    }


def write_vega_bundle(static_dir: str | Path) -> Path:
    """Write the vega, vega-lite and vega-embed bundle into ``static_dir`` (once per build)."""
    import vl_convert

    path = Path(static_dir) / BUNDLE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    # A function scope keeps the bundle's top-level names (such as `_`) off the page's
    # globals; the bundle itself assigns vegaEmbed, vega and vegaLite to window.
    text = "(function () {\n" + vl_convert.javascript_bundle() + "\n})();\n"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:  # unchanged: keep the file's time
        path.write_text(text, encoding="utf-8")
    return path


def chart_html(chart: alt.TopLevelMixin, name: str, description: str) -> str:
    """HTML for one chart: a titled figure with a text description, rendered by vegaEmbed.

    Parameters
    ----------
    chart
        The Altair chart; its data must already be aggregated.
    name
        Short name, unique on the page; it becomes the element id.
    description
        Text alternative read by screen readers and shown under the chart.
    """
    if not re.fullmatch(r"[a-z0-9-]+", name):
        raise ValueError(f"chart name {name!r} must be lower-case letters, digits and '-'")
    spec = chart.properties(description=description).to_dict()
    table = _data_table(spec)
    spec_json = json.dumps(spec, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")
    element = f"chart-{name}"
    return (
        f'<figure class="devolved-chart" id="figure-{element}">'
        f'<div id="{element}" role="img" aria-label="{html.escape(description)}"></div>'
        f"<figcaption>{html.escape(description)}</figcaption>{table}</figure>\n"
        f'<script type="text/javascript">vegaEmbed("#{element}", {spec_json}, '
        f'{{"actions": false, "renderer": "svg"}}).catch(console.error);</script>'
    )


def _data_table(spec: dict) -> str:
    """The chart's own (already aggregated and suppressed) data as an HTML table behind a toggle."""
    datasets = spec.get("datasets", {})
    rows = [row for values in datasets.values() for row in values]
    if not rows:
        return ""
    columns = list(dict.fromkeys(key for row in rows for key in row))

    def cell(value: object) -> str:
        if value is None:
            return "c"
        if isinstance(value, float):
            return f"{value:,.4g}"
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    # A value of None is a suppressed count (c); a field a row does not have is left blank.
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(row[c]) if c in row else ''}</td>" for c in columns) + "</tr>" for row in rows
    )
    return (
        '<details class="chart-data"><summary>Data table for this chart</summary>'
        f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></details>'
    )


def show(chart: alt.TopLevelMixin, name: str, description: str) -> HTML:
    """Display a chart in a notebook cell (see :func:`chart_html`)."""
    return HTML(chart_html(chart, name, description))


def svg(markup: str) -> HTML:
    """Display an inline SVG figure (drawn by the package; it carries its own title for screen readers)."""
    if not markup.lstrip().startswith("<svg"):
        raise ValueError("not an SVG document")
    return HTML(f'<figure class="devolved-diagram">{markup}</figure>')
