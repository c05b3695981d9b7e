#!/usr/bin/env bash
# Create the Label Studio server environment (.venv-labelstudio), idempotently.
# Label Studio is a Django server with its own pins; it lives apart from tvgcurate's .venv
# (which only has label-studio-sdk). Re-running does nothing when the right version is there.
#   LABEL_STUDIO_VENV     where to create it   (default: <repo>/.venv-labelstudio)
#   LABEL_STUDIO_VERSION  which version        (default: 1.23.2)
#   PYTHON                interpreter for the venv (default: python3; Label Studio needs >= 3.10)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${LABEL_STUDIO_VENV:-$PWD/.venv-labelstudio}
VERSION=${LABEL_STUDIO_VERSION:-1.23.2}
PY=${PYTHON:-python3}

installed() {
  [ -x "$VENV/bin/label-studio" ] && [ -x "$VENV/bin/python" ] &&
    "$VENV/bin/python" - "$VERSION" <<'PYEOF'
import sys
from importlib.metadata import PackageNotFoundError, version
try:
    sys.exit(0 if version("label-studio") == sys.argv[1] else 1)
except PackageNotFoundError:
    sys.exit(1)
PYEOF
}

if installed; then
  echo "Label Studio $VERSION already in $VENV"
  exit 0
fi
# pip, quiet, without the machine's notes about absent local package mirrors.
pipq() { "$@" 2>&1 | { grep -v '^WARNING: Location' || true; }; }
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pipq "$VENV/bin/python" -m pip install -q --upgrade pip
pipq "$VENV/bin/python" -m pip install -q "label-studio==$VERSION"
installed || { echo "error: label-studio $VERSION did not install into $VENV" >&2; exit 1; }
# (not `label-studio --version`: it initialises Django under $HOME and checks PyPI)
echo "Label Studio $VERSION installed in $VENV"
