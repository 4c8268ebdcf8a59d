"""Shared fixtures: the manifest, and a writable copy of the synthetic data."""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import settings

from analysis_src.config import protocol
from analysis_src.inputs.manifest import load_manifest
from analysis_src.paths import SYNTHETIC_DATA_DIR

# CI runs the property tests with a fixed seed, so that a run cannot pass or fail by chance;
# on a developer's machine they explore new examples each time.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

INTEGRATION_DIR = Path(__file__).parent / "integration"


def pytest_collection_modifyitems(items):
    """Every whole-book test (under tests/integration/) is slow: `make test-fast` leaves it out."""
    for item in items:
        if INTEGRATION_DIR in Path(item.fspath).parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def pilots():
    return load_manifest()


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A copy of the committed synthetic data that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(SYNTHETIC_DATA_DIR, target, ignore=shutil.ignore_patterns("*.md"))
    return target


def read_text_table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write_text_table(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n")


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The whole book built once from the synthetic data into a temporary folder (targets of the build)."""
    from analysis_src.pipeline import build

    targets = build.targets_under(tmp_path_factory.mktemp("built"))
    build.build(targets)
    return targets


@pytest.fixture
def use_protocol(monkeypatch, tmp_path):
    """Put an altered ``protocol.yml`` in place for one test: ``use_protocol({"feasibility.reach_tolerance": 0.1})``.

    The altered file is written and loaded like the real one, so it is validated too.
    """

    def apply(changes: dict) -> protocol.Protocol:
        raw = yaml.safe_load(protocol.PROTOCOL_PATH.read_text(encoding="utf-8"))
        for dotted, value in changes.items():
            section, key = dotted.split(".")
            raw[section][key] = value
        path = tmp_path / "protocol.yml"
        path.write_text(yaml.safe_dump(raw), encoding="utf-8")
        altered = protocol.load_protocol(path)
        monkeypatch.setattr(protocol, "current", lambda: altered)
        return altered

    return apply
