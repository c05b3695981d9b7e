"""A small grounding workspace for model tests: real MP4s with one coloured shape each.

Each video shows one shape during a known window; relevant queries name it, irrelevant
queries name a shape that never appears. Keyframes are uniform 56x56 frames at 1 fps.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from tvgcurate.demo.render import Scene, ShapeTrack, VideoSpec, render_video
from tvgcurate.model.inputs import uniform_keyframes
from tvgcurate.workspace import Workspace

SHAPES = [("red", "circle"), ("blue", "square"), ("green", "triangle"), ("yellow", "star")]


def make_workspace(
    root: Path,
    n_videos: int = 4,
    duration: float = 6.0,
    n_val: int = 1,
    fps: int = 4,
    size: int = 112,
) -> Workspace:
    media = root / "media"
    ws = Workspace(root / "ws", create=True)
    videos, samples, keyframes = [], [], []
    for i in range(n_videos):
        colour, shape = SHAPES[i % len(SHAPES)]
        other_colour, other_shape = SHAPES[(i + 1) % len(SHAPES)]
        start, end = 1.0 + (i % 3), 3.0 + (i % 3)
        vid = f"v{i}"
        spec = VideoSpec(
            vid,
            size,
            size,
            fps,
            duration,
            scenes=[Scene(0.0, (60, 60, 60), "stripes", i)],
            shapes=[ShapeTrack(shape, colour, start, end, 40, 30, 50, 80, 50)],
        )
        render_video(spec, media / f"{vid}.mp4")
        videos.append(
            {
                "video_id": vid,
                "path": f"{vid}.mp4",
                "duration_s": duration,
                "fps": float(fps),
                "num_frames": int(duration * fps),
                "width": size,
                "height": size,
                "codec": "h264",
            }
        )
        split = "val" if i >= n_videos - n_val else "train"
        base = {
            "video_id": vid,
            "split": split,
            "source": "qvhighlights",
            "duration_s": duration,
            "origin": "source",
            "needs_review": False,
        }
        samples.append(
            {
                **base,
                "sample_id": f"qvhighlights:{split}:{2 * i}",
                "source_qid": str(2 * i),
                "query": f"the {colour} {shape}",
                "windows": [{"start": start, "end": end}],
                "relevance": "relevant",
            }
        )
        samples.append(
            {
                **base,
                "sample_id": f"qvhighlights:{split}:{2 * i + 1}",
                "source_qid": str(2 * i + 1),
                "query": f"the {other_colour} {other_shape}",
                "windows": [],
                "relevance": "irrelevant",
                "origin": "synthetic:cross-video",
            }
        )
        for k in uniform_keyframes(vid, duration, 1.0, 4):
            keyframes.append({**k, "change_score": 0.0, "is_boundary": False})
    with ws.transaction("test fixture") as tx:
        tx.write("videos", pa.Table.from_pylist(videos))
        tx.write("samples", pa.Table.from_pylist(samples))
        tx.write("keyframes", pa.Table.from_pylist(keyframes))
        tx.set_meta("media_root", str(media))
    return ws


@pytest.fixture(scope="session")
def grounding_ws(tmp_path_factory) -> Workspace:
    return make_workspace(tmp_path_factory.mktemp("grounding"))


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())
