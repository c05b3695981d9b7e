#!/usr/bin/env bash
# Create or reconcile the Label Studio server environment (.venv-labelstudio) from its lock.
# Label Studio is a Django server with its own pins; it lives apart from tvgcurate's .venv
# (which only has label-studio-sdk). Every package comes from requirements/labelstudio.lock,
# installed with --no-deps, so nothing unpinned can enter. A stamp in the venv holds the lock's
# hash: when it matches, this does nothing; when it does not (an older environment, a changed
# lock), the environment is brought in line: locked versions installed, extra packages removed.
#   LABEL_STUDIO_VENV  where to create it           (default: <repo>/.venv-labelstudio)
#   PYTHON             interpreter for a new venv   (default: python3; Label Studio needs >= 3.10)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${LABEL_STUDIO_VENV:-$PWD/.venv-labelstudio}
LOCK=$PWD/requirements/labelstudio.lock
PY=${PYTHON:-python3}
STAMP=$VENV/.tvgcurate-lock.sha256
want=$(sha256sum "$LOCK" | cut -d' ' -f1)

# What differs between the environment and the lock: "extra NAME" / "wrong NAME have want" lines
# (-I: isolated, so the repository's own tvgcurate.egg-info is not seen as installed).
drift() {
  "$VENV/bin/python" -I - "$LOCK" <<'PYEOF'
import re, sys
from importlib.metadata import distributions
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
locked = {}
for line in open(sys.argv[1]):
    if "==" in line and not line.startswith("#"):
        name, ver = line.strip().split("==")
        locked[norm(name)] = ver
have = {norm(d.metadata["Name"]): d.version for d in distributions()}
for name in sorted(set(have) - set(locked) - {"pip"}):
    print("extra", name)
for name in sorted(locked):
    if have.get(name) != locked[name]:
        print("wrong", name, have.get(name, "missing"), locked[name])
PYEOF
}

if [ -x "$VENV/bin/label-studio" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ] &&
  [ -z "$(drift)" ]; then
  echo "Label Studio environment in $VENV matches requirements/labelstudio.lock"
  exit 0
fi
# pip, quiet, without the machine's notes about absent local package mirrors.
pipq() { "$@" 2>&1 | { grep -v '^WARNING: Location' || true; }; }
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
rm -f "$STAMP"
if [ -x "$VENV/bin/label-studio" ]; then
  echo "bringing $VENV in line with requirements/labelstudio.lock:"
  drift | head -n 20 | sed 's/^/  /'
fi
pipq "$VENV/bin/python" -m pip install -q -r requirements/pip.txt
pipq "$VENV/bin/python" -m pip install -q --no-deps -r "$LOCK"
# Remove what the lock does not name (left over from an older, unlocked install).
extra=$(drift | awk '$1 == "extra" {print $2}')
if [ -n "$extra" ]; then
  # shellcheck disable=SC2086
  pipq "$VENV/bin/python" -m pip uninstall -q -y $extra
fi
left=$(drift)
if [ -n "$left" ]; then
  echo "error: $VENV still differs from requirements/labelstudio.lock: $(echo "$left" | head -n 3 | tr '\n' ';')" >&2
  exit 1
fi
if ! "$VENV/bin/python" -m pip check >/dev/null 2>&1; then
  echo "error: $VENV does not satisfy its own requirements after installing the lock:" >&2
  "$VENV/bin/python" -m pip check >&2 || true
  exit 1
fi
[ -x "$VENV/bin/label-studio" ] || { echo "error: no label-studio executable in $VENV" >&2; exit 1; }
echo "$want" >"$STAMP"
echo "Label Studio environment in $VENV installed from requirements/labelstudio.lock"
