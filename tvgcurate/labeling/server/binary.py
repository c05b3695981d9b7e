"""Finding the `label-studio` executable (its own virtual environment, never tvgcurate's)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tvgcurate.labeling.server.config import ServerError

ENV_BIN = "TVGCURATE_LABEL_STUDIO"
REPO_VENV = Path(__file__).resolve().parents[3] / ".venv-labelstudio"


def find_label_studio(explicit: Path | None = None) -> Path:
    """The `label-studio` executable: explicit, $TVGCURATE_LABEL_STUDIO, the repo venv, PATH."""
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    if os.environ.get(ENV_BIN):
        candidates.append(Path(os.environ[ENV_BIN]))
    candidates.append(REPO_VENV / "bin" / "label-studio")
    found = shutil.which("label-studio")
    if found:
        candidates.append(Path(found))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    raise ServerError(
        "Label Studio is not installed: run `scripts/setup-labelstudio.sh` (creates "
        f"{REPO_VENV}) or set {ENV_BIN} to a `label-studio` executable"
    )
