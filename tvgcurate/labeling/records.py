"""Where push and pull keep their local records: ``WS/work/labeling/<project>/``."""

from __future__ import annotations

import datetime as _dt
import json
import re
from pathlib import Path

from tvgcurate.workspace import Workspace


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "project"


def project_dir(ws: Workspace, project: str) -> Path:
    return ws.scratch("labeling", slug(project))


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def append_jsonl(path: Path, record: dict) -> None:
    """Append one record and flush it to disk (a crash keeps every line written)."""
    import os

    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a torn last line after a crash
    return out
