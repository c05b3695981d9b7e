#!/usr/bin/env bash
# Refresh requirements/labelstudio.lock: resolve requirements/labelstudio.in in a throw-away
# venv, freeze it, then start the server from it once (scripts/check-labelstudio.sh) before the
# lock is replaced. See docs/dev/dependencies.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pipq() { "$@" 2>&1 | { grep -v '^WARNING: Location' || true; }; }
"$PY" -m venv "$tmp/venv"
pipq "$tmp/venv/bin/python" -m pip install -q -r requirements/pip.txt
# The one unpinned resolve in the project, on purpose: this is how the lock is made.
pipq "$tmp/venv/bin/python" -m pip install -q -r requirements/labelstudio.in
{
  echo "# Label Studio server environment (.venv-labelstudio): every package pinned."
  echo "# Made by scripts/lock-labelstudio.sh from requirements/labelstudio.in on $(date -u +%F); see docs/dev/dependencies.md."
  "$tmp/venv/bin/python" -m pip freeze --all | grep -v '^pip=='
} >"$tmp/labelstudio.lock"
LABEL_STUDIO_BIN="$tmp/venv/bin/label-studio" bash scripts/check-labelstudio.sh
mv "$tmp/labelstudio.lock" requirements/labelstudio.lock
echo "requirements/labelstudio.lock refreshed ($(grep -c '==' requirements/labelstudio.lock) pins)"
