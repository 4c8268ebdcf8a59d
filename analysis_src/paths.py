"""Project paths, anchored on the package location rather than the working directory."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MANIFEST_PATH = PROJECT_ROOT / "pilots.yml"
SYNTHETIC_DATA_DIR = PROJECT_ROOT / "synthetic_data"
BOOK_DIR = PROJECT_ROOT / "book"
PILOTS_DIR = BOOK_DIR / "pilots"
RESULTS_DIR = BOOK_DIR / "results"
# The simulation study behind the methods-validation page (written by `make simulate`).
SIMULATION_PATH = BOOK_DIR / "validation" / "simulation.json"
CONFIG_DIR = PROJECT_ROOT / "analysis_src" / "config"
TEMPLATES_DIR = PROJECT_ROOT / "analysis_src" / "report" / "templates"
BUILD_DIR = PROJECT_ROOT / "_build"


def resolve(path: str | Path) -> Path:
    """Resolve ``path`` against the project root when it is relative."""
    path = Path(path)
    return path if path.is_absolute() else PROJECT_ROOT / path
