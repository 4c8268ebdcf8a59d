#!/usr/bin/env bash
# Re-resolve the dependencies of pyproject.toml (with the dev extra) for Python 3.11,
# pin every package with its hashes in requirements.lock, then regenerate
# environment.yml from the lock so that the two cannot drift.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3.11 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check uv
"$tmp/venv/bin/uv" pip compile pyproject.toml --extra dev --generate-hashes \
  --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
  --quiet --no-header --no-annotate --output-file requirements.lock
# Load lockfile.py by path: it uses the standard library only (the package itself needs pandas).
python3.11 -c "import importlib.util as u; s = u.spec_from_file_location('lockfile', 'analysis_src/tools/lockfile.py'); m = u.module_from_spec(s); s.loader.exec_module(m); m.write_environment_yml()"
echo "requirements.lock and environment.yml updated"
