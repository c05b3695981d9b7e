"""``relabel stats``: what re-annotation changed (the table the cQvH paper reports).

Reads one samples version (current by default) and compares every relabelled row with its
previous values (``prev_*`` columns written by consensus): how many samples changed, how
far boundaries moved (mean and percentiles, seconds; windows paired in time order when
both sides have the same count), how many queries were rewritten, and how relevance moved.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tvgcurate.errors import TvgError
from tvgcurate.workspace import Workspace


@dataclass
class StatsConfig:
    workspace: Path = field(metadata={"help": "Workspace directory."})
    version: int | None = field(
        default=None, metadata={"help": "Samples version (default: current)."}
    )
    round: str | None = field(default=None, metadata={"help": "Only this relabel round."})


def _pairs(rows: list[dict]) -> list[float]:
    shifts = []
    for r in rows:
        new = sorted((w["start"], w["end"]) for w in r.get("windows") or [])
        old = sorted((w["start"], w["end"]) for w in r.get("prev_windows") or [])
        if new and len(new) == len(old):
            for (s1, e1), (s0, e0) in zip(new, old):
                shifts += [abs(s1 - s0), abs(e1 - e0)]
    return shifts


def shift_summary(rows: list[dict]) -> dict:
    """How far the paired boundaries moved, in seconds: count, mean, p50, p90, max."""
    shifts = np.asarray(_pairs(rows), dtype=float)
    if not shifts.size:
        return {"pairs": 0, "mean_s": 0.0, "p50_s": 0.0, "p90_s": 0.0, "max_s": 0.0}
    return {
        "pairs": int(shifts.size // 2),
        "mean_s": float(shifts.mean()),
        "p50_s": float(np.percentile(shifts, 50)),
        "p90_s": float(np.percentile(shifts, 90)),
        "max_s": float(shifts.max()),
    }


def _windows_differ(r: dict, tol: float = 1e-6) -> bool:
    new = sorted((w["start"], w["end"]) for w in r.get("windows") or [])
    old = sorted((w["start"], w["end"]) for w in r.get("prev_windows") or [])
    if len(new) != len(old):
        return True
    return any(abs(a - c) > tol or abs(b - d) > tol for (a, b), (c, d) in zip(new, old))


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
        if _windows_differ(r)
        or r["query"] != r["prev_query"]
        or r["relevance"] != r["prev_relevance"]
    ]
    moved = shift_summary(rows)
    relevance = Counter(
        f"{r['prev_relevance']}->{r['relevance']}"
        for r in rows
        if r["prev_relevance"] != r["relevance"]
    )
    return {
        "samples": table.num_rows,
        "relabelled": len(rows),
        "changed": len(changed),
        "windows_changed": sum(1 for r in rows if _windows_differ(r)),
        "queries_rewritten": sum(1 for r in rows if r["query"] != r["prev_query"]),
        "relevance_changed": dict(sorted(relevance.items())),
        "boundary_shift": moved,
        "needs_review": sum(1 for r in table.to_pylist() if r.get("needs_review")),
        "rounds": sorted({r["relabel_round"] for r in rows}),
    }
