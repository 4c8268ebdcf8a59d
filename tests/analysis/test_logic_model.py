import pytest
import yaml

from analysis_src.analysis.logic_model import MODEL_PATH, cmo_table, diagram_svg, indicator_text, load_model


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
    assert "£1,234 spent" in svg and '<a href="synthesis.html">' in svg


def test_cmo_table_for_each_pilot(pilots):
    for pilot in pilots:
        table = cmo_table(pilot.slug)
        assert list(table.columns) == ["Mechanism", "Outcome"] and len(table) >= 1
    assert cmo_table("newtown").iloc[0, 0] == "z"
