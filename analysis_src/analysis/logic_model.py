"""The logic model, kept as data (``logic_model.yml``) and drawn as an inline SVG diagram.

The diagram needs no third-party script and works offline. Nodes that the data speak
to show their indicator, read from the results-ledger figures, and link to the page
holding the evidence.
"""

from __future__ import annotations

import html
import textwrap
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from analysis_src.paths import CONFIG_DIR

MODEL_PATH = CONFIG_DIR / "logic_model.yml"
TITLES = {
    "context": "Contexts",
    "input": "Inputs",
    "activity": "Activities",
    "mechanism": "Mechanisms",
    "outcome": "Outcomes",
}
COLOURS = {
    "context": "#F0F0F0",
    "input": "#DCEEFB",
    "activity": "#D6F0E4",
    "mechanism": "#FCEBD2",
    "outcome": "#F3DDEB",
}


@cache
def load_model(path: Path = MODEL_PATH) -> dict:
    """Read and check the logic model: known kinds, unique ids, links between known nodes.

    Raises
    ------
    ValueError
        Naming the node or link that breaks a rule.
    """
    model = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    ids = [node["id"] for node in model["nodes"]]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: node ids must be unique")
    for node in model["nodes"]:
        if node["kind"] not in model["kinds"]:
            raise ValueError(f"{path}: node {node['id']!r} has unknown kind {node['kind']!r}")
    for source, target in model["links"]:
        if source not in ids or target not in ids:
            raise ValueError(f"{path}: link {source} -> {target} names an unknown node")
    return model


def indicator_text(node: dict, figures: dict[str, float]) -> str | None:
    """The node's indicator as text from the figures, or None when the node has none or it is missing."""
    indicator = node.get("indicator")
    if not indicator or indicator["key"] not in figures:
        return None
    value = figures[indicator["key"]]
    if "values" in indicator:
        value = indicator["values"][int(value)]
    return indicator["format"].format(value)


def diagram_svg(figures: dict[str, float], model: dict | None = None) -> str:
    """The logic model as an SVG: columns by kind, arrows for links, indicators linked to evidence."""
    model = model or load_model()
    width, box_w, gap_x, top = 1000, 180, 20, 40
    columns = {kind: [n for n in model["nodes"] if n["kind"] == kind] for kind in model["kinds"]}
    positions, parts = {}, []
    height = top
    for column, kind in enumerate(model["kinds"]):
        x = 10 + column * (box_w + gap_x)
        parts.append(
            f'<text x="{x + box_w / 2}" y="22" text-anchor="middle" font-weight="bold" '
            f'font-size="14">{TITLES[kind]}</text>'
        )
        y = top
        for node in columns[kind]:
            lines = textwrap.wrap(node["label"], 26)
            indicator = indicator_text(node, figures)
            extra = textwrap.wrap(indicator, 28) if indicator else []
            h = 16 * (len(lines) + len(extra)) + 16
            parts.append(
                f'<rect x="{x}" y="{y}" width="{box_w}" height="{h}" rx="6" fill="{COLOURS[kind]}" stroke="#555555"/>'
            )
            for i, line in enumerate(lines):
                parts.append(f'<text x="{x + 8}" y="{y + 18 + 16 * i}" font-size="12">{html.escape(line)}</text>')
            if extra:
                page = node["indicator"]["page"]
                anchor = [f'<a href="{page}.html">']
                for i, line in enumerate(extra):
                    row = y + 18 + 16 * (len(lines) + i)
                    anchor.append(
                        f'<text x="{x + 8}" y="{row}" font-size="12" font-weight="bold" fill="#005A9C" '
                        f'text-decoration="underline">{html.escape(line)}</text>'
                    )
                anchor.append("</a>")
                parts.append("".join(anchor))
            positions[node["id"]] = (x, y, h)
            y += h + 14
        height = max(height, y)
    for source, target in model["links"]:
        (x1, y1, h1), (x2, y2, h2) = positions[source], positions[target]
        parts.append(
            f'<line x1="{x1 + box_w}" y1="{y1 + h1 / 2}" x2="{x2 - 2}" y2="{y2 + h2 / 2}" '
            'stroke="#555555" marker-end="url(#lm-arrow)"/>'
        )
    defs = (
        '<defs><marker id="lm-arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#555555"/></marker></defs>'
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" role="group" aria-labelledby="lm-title" '
        f'viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width: {width}px" font-family="sans-serif"><title id="lm-title">'
        "Logic model of devolved budgets: "
        "contexts, inputs, activities, mechanisms (pathways A and B) and outcomes, with the figures that measure them"
        f"</title>{defs}{''.join(parts)}</svg>"
    )


def links_table(model: dict | None = None) -> pd.DataFrame:
    """The model's links as a table: the text alternative to the diagram."""
    model = model or load_model()
    labels = {node["id"]: node["label"] for node in model["nodes"]}
    frame = pd.DataFrame([(labels[s], labels[t]) for s, t in model["links"]], columns=["From", "Leads to"])
    return frame.set_index("From").rename_axis(None)


def cmo_table(slug: str, model: dict | None = None) -> pd.DataFrame:
    """Context-mechanism-outcome configurations for one pilot (``z`` where none are recorded)."""
    model = model or load_model()
    rows = model.get("cmo", {}).get(slug)
    if not rows:
        return pd.DataFrame([{"Mechanism": "z", "Outcome": "z"}], index=["z"])
    return pd.DataFrame(rows).rename(columns=str.capitalize).set_index("Context").rename_axis(None)
