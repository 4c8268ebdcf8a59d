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

from analysis_src.analysis import qualitative
from analysis_src.config import codebook, protocol
from analysis_src.inputs.manifest import Pilot
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
    codes = codebook.current().codes
    names = [configuration["id"] for configuration in model.get("configurations", [])]
    if len(names) != len(set(names)):
        raise ValueError(f"{path}: configuration ids must be unique")
    for configuration in model.get("configurations", []):
        where = f"{path}: configuration {configuration['id']!r}"
        for node in configuration["nodes"]:
            if node not in ids:
                raise ValueError(f"{where} names an unknown node {node!r}")
        for code in configuration["codes"]:
            if code not in codes:
                raise ValueError(f"{where} names a code {code!r} that is not in the codebook")
        for indicator in configuration.get("indicators", []):
            if ("at_most" in indicator) == ("at_least" in indicator):
                raise ValueError(f"{where}: indicator {indicator['key']!r} needs at_most or at_least (one of them)")
            threshold(indicator)
    return model


def threshold(indicator: dict) -> float:
    """An indicator's threshold: a number, or a protocol.yml value named ``section.key``."""
    value = indicator.get("at_most", indicator.get("at_least"))
    if isinstance(value, str):
        section, _, key = value.partition(".")
        return float(getattr(getattr(protocol.current(), section), key))
    return float(value)


def node_targets(model: dict | None = None) -> dict[str, str]:
    """Each node's configuration: the first that names it (its evidence section on the logic model page)."""
    model = model or load_model()
    targets: dict[str, str] = {}
    for configuration in model.get("configurations", []):
        for node in configuration["nodes"]:
            targets.setdefault(node, configuration["id"])
    return targets


def anchor(configuration_id: str) -> str:
    """The HTML id of a configuration's evidence section."""
    return "cmo-" + configuration_id.replace("_", "-")


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
    targets = node_targets(model)
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
            box = [
                f'<rect x="{x}" y="{y}" width="{box_w}" height="{h}" rx="6" fill="{COLOURS[kind]}" stroke="#555555"/>'
            ]
            for i, line in enumerate(lines):
                box.append(f'<text x="{x + 8}" y="{y + 18 + 16 * i}" font-size="12">{html.escape(line)}</text>')
            for i, line in enumerate(extra):
                row = y + 18 + 16 * (len(lines) + i)
                box.append(
                    f'<text x="{x + 8}" y="{row}" font-size="12" font-weight="bold" fill="#005A9C">'
                    f"{html.escape(line)}</text>"
                )
            if node["id"] in targets:  # the whole box links to the evidence of its configuration
                box = [f'<a href="#{anchor(targets[node["id"]])}">', *box, "</a>"]
            parts.append("".join(box))
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


STATUS_TEXT = {
    "supported": "**supported**",
    "mixed": "**mixed**",
    "refuted": "**refuted**",
    "untested": "**untested**",
}


def _pilots_of(configuration: dict, pilots: list[Pilot]) -> list[Pilot]:
    wanted = configuration["pilots"]
    return list(pilots) if wanted == "all" else [pilot for pilot in pilots if pilot.slug in wanted]


def indicator_results(
    configuration: dict, pilots: list[Pilot], figures: dict[str, float], ledgers: dict[str, dict[str, float]]
) -> list[dict]:
    """Each indicator of a configuration: its values, whether it holds, and where the figure is."""
    results = []
    for indicator in configuration.get("indicators", []):
        limit = threshold(indicator)
        at_most = "at_most" in indicator
        if indicator["scope"] == "synthesis":
            values = {"the programme": figures[indicator["key"]]} if indicator["key"] in figures else {}
        else:
            values = {
                p.name: ledgers[p.name][indicator["key"]]
                for p in _pilots_of(configuration, pilots)
                if indicator["key"] in ledgers.get(p.name, {})
            }
        if values:
            results.append(
                {
                    "indicator": indicator,
                    "values": values,
                    "holds": all(v <= limit if at_most else v >= limit for v in values.values()),
                }
            )
    return results


def configurations(
    segments: pd.DataFrame, pilots: list[Pilot], figures: dict[str, float], ledgers: dict[str, dict[str, float]]
) -> list[dict]:
    """Every configuration about the built pilots, with its evidence and its status (protocol's rule)."""
    model = load_model()
    out = []
    for configuration in model.get("configurations", []):
        chosen = _pilots_of(configuration, pilots)
        if not chosen:
            continue
        codes = {pilot.la_code for pilot in chosen}
        evidence = qualitative.configuration_evidence(segments[segments["la_code"].isin(codes)], configuration["codes"])
        indicators = indicator_results(configuration, chosen, figures, ledgers)
        verdict = qualitative.status(evidence["supports"], evidence["refutes"], [r["holds"] for r in indicators])
        out.append(
            {**configuration, "chosen": chosen, "evidence": evidence, "indicators": indicators, "status": verdict}
        )
    return out


def _format(value: float, key: str) -> str:
    if "share" in key:
        return f"{value:.0%}"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.2g}"


def configurations_markdown(found: list[dict], pilots: list[Pilot]) -> str:
    """One section per configuration, with an anchor the diagram links to: CMO, status and evidence."""
    book = codebook.current()
    blocks = []
    for item in found:
        evidence = item["evidence"]
        where = ", ".join(p.name for p in pilots if p.la_code in evidence["authorities"]) or "none"
        who = " and ".join(group.lower() for group in evidence["groups"]) or "no one"
        about = "every pilot" if item["pilots"] == "all" else ", ".join(p.name for p in item["chosen"])
        codes = ", ".join(book.code(code).label.lower() for code in item["codes"])
        links = ", ".join(f"{{ref}}`{p.name} <{p.slug}-said>`" for p in item["chosen"])
        lines = [
            f"({anchor(item['id'])})=",
            f"### {item['mechanism']}",
            "",
            f"*About {about}.* **Context:** {item['context']}. **Mechanism:** {item['mechanism']}. "
            f"**Outcome:** {item['outcome']}.",
            "",
            f"- **Status:** {STATUS_TEXT[item['status']]} (by the protocol's rule, above).",
            f"- **Qualitative evidence** (codes: {codes}): participants "
            f"{qualitative.counts_text(evidence)}; from {who}; in {where} ({links}).",
        ]
        for result in item["indicators"]:
            indicator = result["indicator"]
            sign = "at most" if "at_most" in indicator else "at least"
            words = indicator.get("values", {})
            values = "; ".join(
                f"{name} {words.get(int(v), _format(v, indicator['key'])) if words else _format(v, indicator['key'])}"
                for name, v in result["values"].items()
            )
            limit = words.get(int(threshold(indicator))) if words else _format(threshold(indicator), indicator["key"])
            held = "holds" if result["holds"] else "**does not hold**"
            lines.append(
                f"- **Indicator:** {indicator['label']} ({sign} {limit}): {values}; {held} "
                f"(ledger key `{indicator['key']}`)."
            )
        if not item["indicators"]:
            lines.append("- **Indicator:** none in the data (`z`).")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def status_rule_text() -> str:
    """The protocol's rule for a configuration's status, in words, from ``protocol.yml``."""
    rule = protocol.current().realist
    least = rule.min_participants
    share = f"{rule.max_refuting_share:.0%}"
    return (
        f"A configuration is **supported** when at least {least} participants support it, no more than {share} of "
        "those who speak to it (supporting or refuting) refute it, and every indicator holds; **refuted** when more "
        f"refute it than support it, or every indicator fails and fewer than {least} support it; **untested** when "
        f"fewer than {least} speak to it and no indicator applies; and **mixed** otherwise. A participant counts once "
        "per configuration: as supporting, refuting, or qualifying or mixed where their segments qualify it or point "
        f"both ways; `c` stands for 1 to 5 participants."
    )
