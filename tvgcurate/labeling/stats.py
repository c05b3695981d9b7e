"""``relabel stats``: what re-annotation changed (the table the cQvH paper reports).

Reads one samples version (current by default) and compares every relabelled row with its
previous values (``prev_*`` columns written by consensus): how many samples changed, how
far boundaries moved (mean and percentiles, seconds; windows paired in time order when
both sides have the same count), how many queries were rewritten, and how relevance moved.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import setting
from tvgcurate.metrics import boundary_shift, windows_differ
from tvgcurate.workspace import Workspace


@dataclass
class StatsConfig:
    workspace: Path = setting(help="Workspace directory.")
    version: int | None = setting(None, "Samples version (default: current).")
    round: str | None = setting(None, "Only this relabel round.")


def relabel_stats(cfg: StatsConfig) -> dict:
    ws = Workspace(cfg.workspace)
    table = ws.read("samples", cfg.version)
    if "relabel_round" not in table.column_names:
        raise TvgError(
            f"{ws.root}: samples version {cfg.version or 'current'} has no relabelled rows; "
            "run `tvgcurate relabel pull` first"
        )
    rows = [
        r
        for r in table.to_pylist()
        if r.get("relabel_round") and (cfg.round is None or r["relabel_round"] == cfg.round)
    ]
    changed = [
        r
        for r in rows
        if windows_differ(r)
        or r["query"] != r["prev_query"]
        or r["relevance"] != r["prev_relevance"]
    ]
    moved = boundary_shift(rows)
    relevance = Counter(
        f"{r['prev_relevance']}->{r['relevance']}"
        for r in rows
        if r["prev_relevance"] != r["relevance"]
    )
    return {
        "samples": table.num_rows,
        "relabelled": len(rows),
        "changed": len(changed),
        "windows_changed": sum(1 for r in rows if windows_differ(r)),
        "queries_rewritten": sum(1 for r in rows if r["query"] != r["prev_query"]),
        "relevance_changed": dict(sorted(relevance.items())),
        "boundary_shift": moved,
        "needs_review": sum(1 for r in table.to_pylist() if r.get("needs_review")),
        "rounds": sorted({r["relabel_round"] for r in rows}),
    }
