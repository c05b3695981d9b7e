"""Helpers for build-irrelevant tests: samples rows, a real-data loader, an independent checker."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from tvgcurate.workspace import Workspace


def sample_rows(items, source="charades-sta"):
    """(video_id, query, split) triples -> samples rows with ids `{source}:{split}:{i}`."""
    return [
        {
            "sample_id": f"{source}:{split}:{i}",
            "video_id": vid,
            "query": query,
            "windows": [{"start": 0.0, "end": 1.0}],
            "relevance": "relevant",
            "split": split,
            "source": source,
            "source_qid": str(i),
            "duration_s": 30.0,
            "origin": "source",
            "needs_review": False,
        }
        for i, (vid, query, split) in enumerate(items)
    ]


def load_lines(path: Path, split: str, source: str, limit: int):
    """QVH-line jsonl -> samples rows (the first `limit` records)."""
    items = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if len(items) >= limit:
                break
            d = json.loads(line)
            items.append((d["vid"], d["query"], split))
    return sample_rows(items, source)


def _norm(text: str) -> str:
    return " ".join(text.split())


def independent_similarities(ws_root: Path, model: str) -> list[dict]:
    """For every synthetic row: its query's (or partial clause's) max cosine to the true
    queries of its video, recomputed with numpy from the raw embeddings table."""
    ws = Workspace(ws_root)
    emb = ws.read("embeddings").to_pylist()
    vec = {
        r["text_hash"]: np.asarray(r["vector"], dtype=np.float64)
        for r in emb
        if r["model"] == model
    }

    def v(text):
        return vec[hashlib.sha256(_norm(text).encode()).hexdigest()]

    rows = ws.read("samples").to_pylist()
    by_id = {r["sample_id"]: r for r in rows}
    truth: dict[str, list[str]] = {}
    for r in rows:
        if r["relevance"] == "relevant":
            truth.setdefault(r["video_id"], []).append(r["query"])
    out = []
    for r in rows:
        if not (r["origin"] or "").startswith("synthetic:"):
            continue
        text = (
            r["query"] if r["relevance"] == "irrelevant" else by_id[r["donor_sample_id"]]["query"]
        )
        q = v(text)
        sims = [
            float(q @ v(t) / (np.linalg.norm(q) * np.linalg.norm(v(t))))
            for t in truth[r["video_id"]]
        ]
        out.append({**r, "checked": max(sims), "checked_text": text})
    return out
