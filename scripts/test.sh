#!/usr/bin/env bash
# The whole test suite: lint, format check, then pytest (extra arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check tvgcurate tests benchmarks
.venv/bin/ruff format --check tvgcurate tests benchmarks
.venv/bin/python -m pytest "$@"
