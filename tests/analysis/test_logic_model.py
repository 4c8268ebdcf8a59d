import pytest
import yaml

from analysis_src.analysis.logic_model import (
    MODEL_PATH,
    anchor,
    configurations,
    configurations_markdown,
    diagram_svg,
    indicator_text,
    load_model,
    node_targets,
)


def test_model_nodes_cover_both_pathways():
    model = load_model()
    labels = " ".join(node["label"] for node in model["nodes"])
    assert "Pathway A" in labels and "Pathway B" in labels
    assert {node["kind"] for node in model["nodes"]} == set(model["kinds"])


def test_a_link_to_an_unknown_node_is_refused(tmp_path):
    model = yaml.safe_load(MODEL_PATH.read_text())
    model["links"].append(["budget", "nowhere"])
    path = tmp_path / "model.yml"
    path.write_text(yaml.safe_dump(model))
    with pytest.raises(ValueError, match="budget -> nowhere"):
        load_model(path)


def test_indicators_come_from_the_figures():
    node = {"indicator": {"key": "spend.share_transactions_under_20", "format": "under £20: {:.0%}"}}
    assert indicator_text(node, {"spend.share_transactions_under_20": 0.5912}) == "under £20: 59%"
    assert indicator_text(node, {}) is None


def test_diagram_is_self_contained_svg_with_evidence_links():
    svg = diagram_svg({"spend.total_gbp": 1234.0, "spend.share_transactions_under_20": 0.6})
    assert (
        svg.startswith("<svg") and "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    )
    assert "£1,234 spent" in svg


def test_every_node_links_to_the_evidence_of_its_own_configuration():
    model = load_model()
    targets = node_targets(model)
    assert set(targets) == {node["id"] for node in model["nodes"]}
    svg = diagram_svg({})
    for node, configuration in targets.items():
        assert f'<a href="#{anchor(configuration)}">' in svg, node
    assert targets["pathway_a"] == "pathway_a" and anchor("pathway_a") == "cmo-pathway-a"


def test_a_configuration_naming_an_unknown_code_is_refused(tmp_path):
    model = yaml.safe_load(MODEL_PATH.read_text())
    model["configurations"][0]["codes"].append("no_such_code")
    path = tmp_path / "model.yml"
    path.write_text(yaml.safe_dump(model))
    with pytest.raises(ValueError, match="no_such_code"):
        load_model(path)


@pytest.fixture(scope="module")
def programme():
    from analysis_src.report import synthesis

    ctx = synthesis.load_synthesis("synthetic_data")
    figures, ledgers, _ = synthesis.programme_figures(ctx)
    return ctx, figures, ledgers


def test_configurations_carry_their_evidence_and_a_computed_status(programme):
    ctx, figures, ledgers = programme
    found = {item["id"]: item for item in configurations(ctx.tables.coded_segments, ctx.pilots, figures, ledgers)}
    assert found["targeting"]["status"] == "refuted"  # staff: many families were not at imminent risk
    assert found["quick_help"]["status"] == "supported"
    assert found["autonomy"]["status"] == "mixed"  # Wigan stated no approval threshold: its indicator fails
    assert [r["holds"] for r in found["autonomy"]["indicators"]] == [False]
    assert found["hillingdon_engagement"]["evidence"]["authorities"] == [312]
    text = configurations_markdown(list(found.values()), ctx.pilots)
    assert "(cmo-quick-help)=" in text and "**Status:** **supported**" in text


def test_a_status_changes_when_the_evidence_changes_the_other_way(programme):
    ctx, figures, ledgers = programme
    segments = ctx.tables.coded_segments
    turned = segments.copy()
    turned.loc[turned["code"] == "below_edge_of_care", "stance"] = "supports"
    found = {item["id"]: item for item in configurations(turned, ctx.pilots, figures, ledgers)}
    assert found["targeting"]["status"] == "supported"
    slow = {
        name: dict(figures_, **{"timing.referral_to_first_spend_days.median": 90}) for name, figures_ in ledgers.items()
    }
    found = {item["id"]: item for item in configurations(segments, ctx.pilots, figures, slow)}
    assert found["quick_help"]["status"] == "mixed"
    silent = segments[~segments["code"].isin(["quick_access", "little_paperwork"])]
    found = {item["id"]: item for item in configurations(silent, ctx.pilots, figures, slow)}
    assert found["quick_help"]["status"] == "refuted"  # nobody speaks to it and its indicator fails
