#!/usr/bin/env bash
# One command for a fresh machine: create .venv, install torch (CPU) first, then tvgcurate
# with every extra, then run `tvgcurate demo` on generated data.
#   SKIP_DEMO=1  install only (CI uses this; the demo has its own test)
#   WITH_LABELSTUDIO=0  skip the separate Label Studio server environment (.venv-labelstudio)
# Every install is pinned: pip by requirements/pip.txt, torch here, the rest by constraints.txt,
# Label Studio's server by requirements/labelstudio.lock (docs/dev/dependencies.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# pip, quiet, without the machine's notes about absent local package mirrors.
pipq() { "$@" 2>&1 | { grep -v '^WARNING: Location' || true; }; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
pipq .venv/bin/python -m pip install -q -r requirements/pip.txt
# torch first and pinned (an unpinned torch would pull a multi-GB CUDA build), its own
# dependencies held to constraints.txt.
pipq .venv/bin/python -m pip install -q -c constraints.txt "torch==2.13.0"
# constraints.txt pins every dependency to the versions the tests ran with.
pipq .venv/bin/python -m pip install -q -c constraints.txt -e ".[all]"
if [ "${WITH_LABELSTUDIO:-1}" = 1 ] && [ -f scripts/setup-labelstudio.sh ]; then
  bash scripts/setup-labelstudio.sh
  # Prove the server starts (free local port, /health, stop); fails with the log's last error.
  .venv/bin/tvgcurate labelstudio check
fi
if [ "${SKIP_DEMO:-0}" != 1 ]; then
  .venv/bin/tvgcurate demo --out demo-out
fi
