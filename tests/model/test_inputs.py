import io

import numpy as np
import pyarrow as pa
import pytest
from PIL import Image

from tvgcurate.model.eta import REFUSAL, TimestampFormat
from tvgcurate.model.inputs import (
    InputConfig,
    build_input,
    build_inputs,
    dataset_format,
    decode_frames,
    select_frames,
    uniform_keyframes,
)
from tvgcurate.workspace import Workspace


def sample(duration, windows=((1.0, 2.0),), relevance="relevant"):
    return {
        "sample_id": f"s{duration}",
        "video_id": "v",
        "query": "the red circle",
        "windows": [{"start": s, "end": e} for s, e in windows],
        "relevance": relevance,
        "duration_s": duration,
    }


def keyframes(duration, n=5):
    sizes = [(56, 56), (112, 56), (56, 84), (28, 28), (84, 112)]
    return [
        {
            "video_id": "v",
            "frame_index": i,
            "timestamp_s": duration * i / n,
            "height": sizes[i % 5][0],
            "width": sizes[i % 5][1],
            "tokens": 4,
        }
        for i in range(n)
    ]


def images_for(kfs):
    return [Image.new("RGB", (k["width"], k["height"])) for k in kfs]


@pytest.mark.parametrize("duration", [9.0, 99.0, 999.0])
def test_interleaved_and_one_width(duration):
    fmt = dataset_format([{"duration_s": duration}, {"duration_s": duration / 10}])
    kfs = keyframes(duration)
    mi = build_input(sample(duration), kfs, images_for(kfs), fmt, InputConfig())
    parts = mi.prompt[0]["content"]
    assert [p["type"] for p in parts] == ["text", "image"] * len(kfs) + ["text"]
    stamps = [p["text"] for p in parts[:-1:2]]
    assert len({len(s) for s in stamps}) == 1, stamps
    assert len(stamps[0]) == len("<t></t>") + fmt.width + 2
    assert "the red circle" in parts[-1]["text"]
    assert [im.size for im in mi.images] == [(k["width"], k["height"]) for k in kfs]
    assert mi.target == fmt.answer(1.0, 2.0)


def test_query_first_puts_the_prompt_before_the_frames_too():
    fmt = dataset_format([{"duration_s": 9.0}])
    kfs = keyframes(9.0)
    mi = build_input(sample(9.0), kfs, images_for(kfs), fmt, InputConfig(query_first=True))
    parts = mi.prompt[0]["content"]
    assert [p["type"] for p in parts] == ["text"] + ["text", "image"] * len(kfs) + ["text"]
    assert parts[0]["text"] == parts[-1]["text"] and "the red circle" in parts[0]["text"]


def test_irrelevant_and_partial_targets_refuse():
    fmt = TimestampFormat(2)
    kfs = keyframes(10)
    for rel in ("irrelevant", "partial"):
        mi = build_input(
            sample(10, windows=(), relevance=rel), kfs, images_for(kfs), fmt, InputConfig()
        )
        assert mi.target == REFUSAL
        assert mi.gt_windows == []


def test_first_window_is_the_target():
    mi = build_input(
        sample(30, windows=((20, 25), (3, 4))), [], [], TimestampFormat(2), InputConfig()
    )
    assert mi.target == "<answer>03.0 to 04.0</answer>"
    assert mi.gt_windows == [[3.0, 4.0], [20.0, 25.0]]


def test_select_frames_thins_evenly():
    kfs = keyframes(100, n=20)[::-1]
    out = select_frames(kfs, 5)
    assert len(out) == 5
    assert [k["timestamp_s"] for k in out] == sorted(k["timestamp_s"] for k in out)


def test_config_errors():
    with pytest.raises(ValueError, match="query"):
        InputConfig(prompt_template="no placeholder")
    with pytest.raises(ValueError):
        InputConfig(frames="video")


def test_decode_frames_sizes_and_content(grounding_ws):
    ws = grounding_ws
    media = ws.manifest()["media_root"]
    kfs = [dict(k, width=84, height=56) for k in uniform_keyframes("v0", 6.0, 1.0, 4)]
    imgs = decode_frames(f"{media}/v0.mp4", kfs)
    assert [im.size for im in imgs] == [(84, 56)] * len(kfs)
    # v0 shows a red circle during [1, 3): frames at 1.5 and 2.5 s are redder than at 4.5 s
    red = [
        int((np.asarray(im, dtype=int)[..., 0] - np.asarray(im, dtype=int)[..., 1]).sum())
        for im in imgs
    ]
    assert red[1] > red[4] and red[2] > red[4]


def test_build_inputs_from_workspace(grounding_ws):
    built = build_inputs(grounding_ws, InputConfig(), split="train")
    assert not built.errors
    assert len(built.inputs) == 6
    assert built.fmt.width == 1
    rel = [m for m in built.inputs if m.relevance == "relevant"]
    assert all(len(m.images) == 6 for m in built.inputs)
    assert all(m.target.startswith("<answer>") and m.target != REFUSAL for m in rel)


def test_missing_video_is_an_error_row(tmp_path, grounding_ws):
    ws = Workspace(tmp_path / "ws", create=True)
    samples = grounding_ws.read("samples")
    with ws.transaction() as tx:
        tx.write("samples", samples)
        tx.write("videos", grounding_ws.read("videos").slice(0, 1))
        tx.write("keyframes", grounding_ws.read("keyframes"))
        tx.set_meta("media_root", grounding_ws.manifest()["media_root"])
    built = build_inputs(ws, InputConfig())
    assert len(built.inputs) == 2  # only v0's two samples
    assert len(built.errors) == samples.num_rows - 2
    assert all("videos table" in e for e in built.errors.values())


def test_missing_keyframes_says_what_to_run(tmp_path, grounding_ws):
    ws = Workspace(tmp_path / "ws", create=True)
    ws.write("samples", grounding_ws.read("samples"))
    built = build_inputs(ws, InputConfig())
    assert "tvgcurate keyframes" in next(iter(built.errors.values()))
    assert build_inputs(ws, InputConfig(frames="uniform")).errors  # no videos either


def test_frames_cache_is_used(tmp_path, grounding_ws):
    kf = grounding_ws.read("keyframes").to_pylist()
    buf = io.BytesIO()
    Image.new("RGB", (56, 56), (0, 255, 0)).save(buf, format="JPEG")
    frames = pa.table(
        {
            "video_id": [k["video_id"] for k in kf],
            "frame_index": [k["frame_index"] for k in kf],
            "image": [buf.getvalue()] * len(kf),
        }
    )
    ws = Workspace(tmp_path / "ws", create=True)
    with ws.transaction() as tx:
        for name in ("samples", "keyframes"):
            tx.write(name, grounding_ws.read(name))
        tx.write("videos", grounding_ws.read("videos").drop_columns(["path"]))  # no files
        tx.write("frames", frames, validate=False)
    built = build_inputs(ws, InputConfig())
    assert not built.errors
    px = built.inputs[0].images[0].getpixel((28, 28))
    assert px[1] > 200 and px[0] < 50
