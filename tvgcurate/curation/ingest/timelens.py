"""TimeLens-Bench refined annotations (Charades-TimeLens, ActivityNet-TimeLens,
QVHighlights-TimeLens), as the TencentARC/TimeLens repository publishes them
(``timelens/dataset/timelens_data.py``): one JSON object per file,

    {"<video id>": {"duration": 30.9, "spans": [[s, e], ...], "queries": ["...", ...]}, ...}

with ``spans[i]`` the window of ``queries[i]`` (seconds). Files are named
``charades-timelens.json``, ``activitynet-timelens.json``, ``qvhighlights-timelens.json``;
the bench is a test set, so the split defaults to ``test``. A sample's qid is
``<video id>#<query index>`` (the ActivityNet habit); its source is the file's dataset
(``charades-timelens`` ...). `compare` diffs them against the original annotations.
"""

from __future__ import annotations

import re
from pathlib import Path

from tvgcurate.curation.ingest.base import READERS, ReadResult, SourceFile
from tvgcurate.curation.ingest.keyed_json import read_keyed_json
from tvgcurate.errors import TvgError
from tvgcurate.metrics import boundary_shift, windows_differ

TIMELENS = "timelens"
# the TimeLens-Bench file -> the original dataset its queries were refined from
ORIGINALS = {
    "charades-timelens": "charades-sta",
    "activitynet-timelens": "activitynet",
    "qvhighlights-timelens": "qvhighlights",
}


def _sniff(path: Path, head: bytes) -> bool:
    if path.suffix.lower() != ".json":
        return False
    return "timelens" in path.name.lower() or (b'"spans"' in head and b'"queries"' in head)


@READERS.register(TIMELENS, sniff=_sniff, priority=10, default_split="test")
def read_timelens(sf: SourceFile) -> ReadResult:
    return read_keyed_json(sf, "spans", "queries")


def comparisons(ws, sources: set[str]) -> dict[str, dict]:
    """`compare_refined` for each TimeLens source in `sources` whose original the workspace
    holds (ingest reports them)."""
    import pyarrow.compute as pc

    table = ws.read("samples")
    if table.num_rows == 0:
        return {}
    have = set(pc.unique(table.column("source")).to_pylist())
    return {
        s: compare_refined(ws, s)
        for s in sorted(sources)
        if s in ORIGINALS and ORIGINALS[s] in have
    }


def _norm(query: str) -> str:
    """TimeLens' own query normalisation (``parse_query``), lower-cased, for matching."""
    return re.sub(r"\s+", " ", query or "").strip().strip(".").strip().lower()


def _pair_rows(refined: list[dict], original: list[dict]) -> tuple[list[dict], dict]:
    """Pair refined samples with original ones of the same video: the same (normalised)
    query first, then the rest in their order. Returns relabel-stats-style rows
    (``windows``/``prev_windows``, ``query``/``prev_query``) and the pairing counts."""
    by_video: dict[str, list[dict]] = {}
    for r in original:
        by_video.setdefault(r["video_id"], []).append(r)
    rows, by_query, by_order, added = [], 0, 0, 0
    used: set[str] = set()
    refined_by_video: dict[str, list[dict]] = {}
    for r in refined:
        refined_by_video.setdefault(r["video_id"], []).append(r)
    for vid, fresh in refined_by_video.items():
        free = list(by_video.get(vid, []))
        left = []
        for r in fresh:
            hit = next((o for o in free if _norm(o["query"]) == _norm(r["query"])), None)
            if hit is None:
                left.append(r)
                continue
            free.remove(hit)
            rows.append(_row(r, hit))
            used.add(hit["sample_id"])
            by_query += 1
        for r, o in zip(left, free, strict=False):
            rows.append(_row(r, o))
            used.add(o["sample_id"])
            by_order += 1
        added += max(0, len(left) - len(free))
    dropped = sum(1 for r in original if r["sample_id"] not in used)
    videos = len({r["video_id"] for r in refined} & set(by_video))
    return rows, {
        "matched_by_query": by_query,
        "matched_by_order": by_order,
        "refined_only": added,
        "original_only": dropped,
        "videos_in_both": videos,
    }


def _row(new: dict, old: dict) -> dict:
    return {
        "windows": new["windows"],
        "prev_windows": old["windows"],
        "query": new["query"],
        "prev_query": old["query"],
        "duration_s": new.get("duration_s"),
        "prev_duration_s": old.get("duration_s"),
    }


def compare_refined(ws, refined_source: str, original_source: str | None = None) -> dict:
    """What the TimeLens refinement changed, in `relabel stats` terms: samples paired, windows
    changed, queries rewritten, how far boundaries moved (mean and percentiles, seconds),
    durations changed. `original_source` defaults to the dataset the bench refined."""
    import pyarrow.compute as pc

    original_source = original_source or ORIGINALS.get(refined_source)
    if original_source is None:
        raise TvgError(f"{refined_source!r} is not a TimeLens-Bench source; name the original")
    table = ws.read("samples")
    cols = ["sample_id", "video_id", "query", "windows", "duration_s", "source"]
    if table.num_rows == 0:
        raise TvgError(f"{ws.root}: no samples; ingest the refined and the original files")
    table = table.select(cols)
    refined = table.filter(pc.equal(table.column("source"), refined_source)).to_pylist()
    original = table.filter(pc.equal(table.column("source"), original_source)).to_pylist()
    if not refined or not original:
        missing = refined_source if not refined else original_source
        raise TvgError(f"{ws.root}: no samples of source {missing!r}; ingest its file first")
    rows, pairing = _pair_rows(refined, original)
    moved = boundary_shift(rows)
    return {
        "refined": refined_source,
        "original": original_source,
        "refined_samples": len(refined),
        "original_samples": len(original),
        "paired": len(rows),
        **pairing,
        "changed": sum(1 for r in rows if windows_differ(r) or r["query"] != r["prev_query"]),
        "windows_changed": sum(1 for r in rows if windows_differ(r)),
        "queries_rewritten": sum(1 for r in rows if _norm(r["query"]) != _norm(r["prev_query"])),
        "durations_changed": sum(
            1
            for r in rows
            if r["duration_s"] is not None
            and r["prev_duration_s"] is not None
            and abs(r["duration_s"] - r["prev_duration_s"]) > 1e-6
        ),
        "boundary_shift": moved,
    }
