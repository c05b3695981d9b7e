"""A small workspace whose queries are hard to carry (quotes, `##`, non-ASCII, spaces, a
line break), over two real 4-second videos, with uniform keyframes and cached frames."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pytest

from tvgcurate.demo.render import Scene, ShapeTrack, VideoSpec, render_video
from tvgcurate.model.inputs import uniform_keyframes
from tvgcurate.workspace import Workspace

TRICKY = [
    "he said \"stop\", then 'left'",
    "a ## inside ## twice",
    "  café, 東京 and a 🎬 clip  ",
    "back\\slash and\ttab",
]
NEWLINE_QUERY = "first line\nsecond line"


def _jpeg(w: int, h: int, shade: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (w, h), (shade, 30, 200 - shade)).save(buf, format="JPEG")
    return buf.getvalue()


def make_tricky_workspace(root: Path, newline: bool = False, irrelevant: bool = True) -> Workspace:
    media = root / "media"
    ws = Workspace(root / "ws", create=True)
    videos, samples, keyframes, frames = [], [], [], []
    for i in range(2):
        vid = f"vid{i}"
        duration = 4.0
        spec = VideoSpec(
            vid,
            64,
            64,
            4,
            duration,
            scenes=[Scene(0.0, (60, 60, 60), "stripes", i)],
            shapes=[ShapeTrack("circle", "red", 1.0, 2.5, 20, 10, 20, 40, 20)],
        )
        render_video(spec, media / f"{vid}.mp4")
        videos.append(
            {
                "video_id": vid,
                "path": f"{vid}.mp4",
                "duration_s": duration,
                "fps": 4.0,
                "num_frames": 16,
                "width": 64,
                "height": 64,
                "codec": "h264",
            }
        )
        for k, kf in enumerate(uniform_keyframes(vid, duration, 1.0, 4)):
            if k % 2:  # SAA gives frames different sizes: 2x3 patches here, 2x2 elsewhere
                kf = {**kf, "width": 84, "tokens": 6}
            keyframes.append({**kf, "change_score": 0.0, "is_boundary": False})
            frames.append(
                {
                    "video_id": vid,
                    "frame_index": kf["frame_index"],
                    "timestamp_s": kf["timestamp_s"],
                    "height": kf["height"],
                    "width": kf["width"],
                    "image": _jpeg(kf["width"], kf["height"], 40 * k),
                    "format": "jpeg",
                }
            )
    split_of = ["train", "train", "val", "val"]
    for j, q in enumerate(TRICKY + ([NEWLINE_QUERY] if newline else [])):
        vid = f"vid{j % 2}"
        split = split_of[j % 4]
        windows = [{"start": 0.5 + j * 0.25, "end": 2.75}]
        if j == 1:
            windows.append({"start": 3.0, "end": 3.9})
        samples.append(
            {
                "sample_id": f"qvhighlights:{split}:{j}",
                "video_id": vid,
                "query": q,
                "windows": windows,
                "relevance": "relevant",
                "split": split,
                "source": "qvhighlights",
                "source_qid": str(j),
                "duration_s": 4.0,
                "origin": "source",
                "needs_review": False,
            }
        )
    if irrelevant:
        samples.append(
            {
                "sample_id": "qvhighlights:train:irr0",
                "video_id": "vid0",
                "query": 'a blue "square"',
                "windows": [],
                "relevance": "irrelevant",
                "split": "train",
                "source": "qvhighlights",
                "source_qid": "irr0",
                "duration_s": 4.0,
                "origin": "synthetic:cross-video",
                "parent_sample_id": "qvhighlights:train:0",
                "needs_review": False,
                "similarity": 0.12,
            }
        )
    with ws.transaction("test fixture") as tx:
        tx.write("videos", pa.Table.from_pylist(videos))
        tx.write("samples", pa.Table.from_pylist(samples))
        tx.write("keyframes", pa.Table.from_pylist(keyframes))
        tx.write("frames", pa.Table.from_pylist(frames))
        tx.set_meta("media_root", str(media))
    return ws


@pytest.fixture(scope="session")
def tricky_ws(tmp_path_factory) -> Workspace:
    """Read-only: four tricky relevant queries (one with two windows) and one irrelevant row."""
    return make_tricky_workspace(tmp_path_factory.mktemp("tricky"))
