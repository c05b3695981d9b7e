"""Streamed training rows (tvgcurate.model.data.stream_dataset) against the in-memory path."""

import io
import json
import shutil

import numpy as np
import pyarrow as pa
import pytest

from tvgcurate.curation.keyframes.run import write_frames
from tvgcurate.model.data import (
    SkipLog,
    grpo_rows,
    mix,
    read_skipped,
    sft_rows,
    stream_dataset,
    to_dataset,
)
from tvgcurate.model.decode import FrameStore
from tvgcurate.model.inputs import InputConfig, build_inputs, plan_inputs
from tvgcurate.schemas.keyframes import FRAMES
from tvgcurate.workspace import Workspace

CFG = InputConfig(max_frames=4)

# a micro tiny model and an SFT run short enough for a unit test (recipe-free)
MICRO_SFT = [
    "tiny.hidden_size=32",
    "tiny.num_layers=1",
    "tiny.intermediate_size=64",
    "tiny.vision_embed_dim=32",
    "tiny.vision_depth=1",
    "inputs.max_frames=2",
    "sft.save_steps=100",
    "report_to=[]",
    "torch_threads=1",
]


def pixels(img) -> np.ndarray:
    return np.asarray(img.convert("RGB"))


def no_none(x):
    """Arrow fills absent struct keys with None ({"type": "image", "text": None}); the chat
    template reads both forms alike."""
    if isinstance(x, dict):
        return {k: no_none(v) for k, v in x.items() if v is not None}
    if isinstance(x, list):
        return [no_none(v) for v in x]
    return x


def assert_same_rows(a: dict, b: dict):
    assert set(a) == set(b)
    for k in a:
        if k == "images":
            assert [pixels(x).shape for x in a[k]] == [pixels(y).shape for y in b[k]]
            for x, y in zip(a[k], b[k], strict=True):
                np.testing.assert_array_equal(pixels(x), pixels(y))
        else:
            assert no_none(a[k]) == no_none(b[k]), k


def streamed(ws, kind, tmp_path, share=None, seed=0, cfg=CFG):
    plan = plan_inputs(ws, cfg, split="train")
    rows = mix(plan.plans, share, seed)
    log = SkipLog(tmp_path / "skipped.jsonl", kind)
    return stream_dataset(rows, plan.source, plan.fmt, cfg, kind, log), rows


@pytest.mark.parametrize("kind", ["sft", "grpo"])
def test_streamed_rows_equal_in_memory_rows(grounding_ws, tmp_path, kind):
    ds, _ = streamed(grounding_ws, kind, tmp_path, share=0.4, seed=3)
    built = build_inputs(grounding_ws, CFG, split="train")
    rows = mix(built.inputs, 0.4, 3)
    mem = to_dataset(sft_rows(rows) if kind == "sft" else grpo_rows(rows))
    assert len(ds) == len(mem) > 0
    for i in range(len(ds)):
        assert_same_rows(ds[i], mem[i])
    assert not (tmp_path / "skipped.jsonl").exists()


@pytest.mark.parametrize("share, seed", [(None, 0), (0.2, 0), (0.5, 1), (0.9, 7)])
def test_mixing_chooses_the_rows_of_the_in_memory_path(grounding_ws, share, seed):
    plan = plan_inputs(grounding_ws, CFG, split="train")
    built = build_inputs(grounding_ws, CFG, split="train")
    a = [p.sample_id for p in mix(plan.plans, share, seed)]
    b = [m.sample_id for m in mix(built.inputs, share, seed)]
    assert a == b


def test_nothing_is_decoded_until_a_row_is_read(grounding_ws, tmp_path):
    plan = plan_inputs(grounding_ws, CFG, split="train")
    calls = []
    frames = plan.source.frames
    plan.source.frames = lambda vid, kfs: calls.append(vid) or frames(vid, kfs)
    ds = stream_dataset(
        plan.plans, plan.source, plan.fmt, CFG, "sft", SkipLog(tmp_path / "s", "sft")
    )
    assert calls == []
    ds[2]
    assert calls == [plan.plans[2].video_id]


def copy_ws(ws: Workspace, dest):
    shutil.copytree(ws.root, dest / "ws")
    media = dest / "media"
    shutil.copytree(ws.meta("media_root"), media)
    out = Workspace(dest / "ws")
    with out.transaction() as tx:
        tx.set_meta("media_root", str(media))
    return out, media


def test_a_corrupt_video_is_skipped_and_listed(grounding_ws, tmp_path):
    ws, media = copy_ws(grounding_ws, tmp_path)
    (media / "v1.mp4").write_bytes(b"not a video" * 100)
    ds, rows = streamed(ws, "sft", tmp_path)
    bad = [i for i, p in enumerate(rows) if p.video_id == "v1"]
    assert bad
    got = [ds[i] for i in range(len(ds))]  # never raises
    assert len(got) == len(rows)
    skipped = read_skipped(tmp_path / "skipped.jsonl")
    assert set(skipped) == {rows[i].sample_id for i in bad}
    assert all("v1.mp4" in e or "Error" in e for e in skipped.values())
    # a skipped row is replaced by the next readable one
    nxt = next(j for j in range(bad[-1] + 1, len(rows) + bad[-1]) if j % len(rows) not in bad)
    assert got[bad[-1]]["completion"] == ds[nxt % len(rows)]["completion"]


def frames_table(ws: Workspace, cfg: InputConfig) -> pa.Table:
    """The frames table of a workspace, built from its decoded inputs (JPEG per keyframe)."""
    plan = plan_inputs(ws, cfg)
    rows, seen = [], set()
    for p in plan.plans:
        if p.video_id in seen:
            continue
        seen.add(p.video_id)
        for kf, img in zip(p.keyframes, plan.source.frames(p.video_id, p.keyframes), strict=True):
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=95)
            rows.append(
                {
                    "video_id": p.video_id,
                    "frame_index": kf["frame_index"],
                    "timestamp_s": kf["timestamp_s"],
                    "height": kf["height"],
                    "width": kf["width"],
                    "image": buf.getvalue(),
                    "format": "jpeg",
                }
            )
    return pa.Table.from_pylist(rows, schema=FRAMES)


def with_frames(grounding_ws, tmp_path, corrupt: tuple[str, int] | None = None):
    ws, media = copy_ws(grounding_ws, tmp_path)
    table = frames_table(ws, CFG)
    if corrupt is not None:
        vids, idx = table.column("video_id").to_pylist(), table.column("frame_index").to_pylist()
        data = table.column("image").to_pylist()
        data = [b"garbage" if (v, i) == corrupt else d for v, i, d in zip(vids, idx, data)]
        table = table.set_column(table.schema.get_field_index("image"), "image", [data])
    with ws.sharded_writer("frames", FRAMES) as w:
        write_frames(w, [table.drop_columns(["format"])], videos_per_shard=2)
    shutil.rmtree(media)  # frames come from the table alone
    return ws


def test_frames_table_is_sharded_and_read_one_video_at_a_time(grounding_ws, tmp_path):
    ws = with_frames(grounding_ws, tmp_path)
    path = ws.path_of("frames")
    assert path.is_dir()
    shards = sorted(p.name for p in path.glob("*.parquet"))
    assert shards == ["part-00000.parquet", "part-00001.parquet"]  # 4 videos, 2 per shard
    tv = ws.current("frames")
    assert tv.rows == ws.read("frames").num_rows == 16
    store = FrameStore(path)
    assert sorted(store.index) == ["v0", "v1", "v2", "v3"]
    assert all(len(v) == 1 for v in store.index.values())  # one row group per video
    assert sorted(store.images("v2")) == [
        r["frame_index"] for r in ws.read("frames").to_pylist() if r["video_id"] == "v2"
    ]
    # streamed from the table equals the in-memory path over the same table
    ds, rows = streamed(ws, "grpo", tmp_path, share=0.5, seed=2)
    mem = to_dataset(grpo_rows(mix(build_inputs(ws, CFG, split="train").inputs, 0.5, 2)))
    assert len(ds) == len(mem)
    for i in range(len(ds)):
        assert_same_rows(ds[i], mem[i])


def test_a_sharded_version_commits_like_a_file(tmp_path):
    ws = Workspace(tmp_path / "ws", create=True)
    t = pa.table({"a": list(range(10))})
    with ws.sharded_writer("x", t.schema) as w:
        w.write_table(t.slice(0, 4))
        w.new_shard()
        w.write_table(t.slice(4))
    with ws.sharded_writer("x", t.schema):
        pass  # an empty version is still a table
    v1, v2 = ws.versions("x")
    assert (v1.rows, v2.rows) == (10, 0)
    assert ws.read("x", 1).column("a").to_pylist() == list(range(10))
    assert ws.read("x").num_rows == 0 and ws.read("x").schema == t.schema
    assert len(v1.sha256) == 64 and v1.sha256 != v2.sha256
    with pytest.raises(RuntimeError), ws.sharded_writer("x", t.schema) as w:
        w.write_table(t)
        raise RuntimeError("crash")
    assert [v.version for v in ws.versions("x")] == [1, 2]
    assert not [p for p in (ws.root / "tables" / "x").iterdir() if p.name.startswith(".")]


def test_a_corrupt_cached_frame_is_skipped_and_listed(grounding_ws, tmp_path):
    ws = with_frames(grounding_ws, tmp_path, corrupt=("v0", 3))  # a frame max_frames=4 keeps
    ds, rows = streamed(ws, "sft", tmp_path)
    for i in range(len(ds)):
        ds[i]
    v0 = {p.sample_id for p in rows if p.video_id == "v0"}
    assert v0 and set(read_skipped(tmp_path / "skipped.jsonl")) == v0
    line = json.loads((tmp_path / "skipped.jsonl").read_text().splitlines()[0])
    assert line["stage"] == "sft" and "Error" in line["error"]


@pytest.mark.slow
def test_training_skips_an_unreadable_video_and_lists_it(grounding_ws, tmp_path):
    from tvgcurate.model.config import build_config
    from tvgcurate.model.train import train

    ws, media = copy_ws(grounding_ws, tmp_path)
    (media / "v0.mp4").write_bytes(b"\0" * 1000)
    out = tmp_path / "run"
    sets = MICRO_SFT + ["sft.per_device_train_batch_size=6", "sft.max_steps=1"]
    cfg = build_config(None, sets, workspace=ws.root, output=out, stage="sft")
    res = train(cfg)
    v0 = {s["sample_id"] for s in ws.read("samples").to_pylist() if s["video_id"] == "v0"}
    listed = read_skipped(out / "skipped.jsonl", "sft")
    assert set(listed) == v0
    assert v0 <= set(res.skipped)
    run = json.loads((out / "run.json").read_text())
    assert run["stages"]["sft"]["skipped"] == len(v0)
    assert (res.final / "config.json").exists()


def test_each_rank_decodes_only_its_own_rows(grounding_ws, tmp_path):
    """Under accelerate (2 processes, simulated by process_index) each rank's loader reads
    and decodes its own rows: disjoint, together every row once."""
    from accelerate.data_loader import prepare_data_loader
    from torch.utils.data import DataLoader

    plan = plan_inputs(grounding_ws, CFG, split="train")
    n = len(plan.plans) - len(plan.plans) % 4  # whole batches on both ranks: no padding rows
    assert n >= 4
    frames = plan.source.frames
    seen, decoded = {}, {}
    for rank in (0, 1):
        calls = []
        plan.source.frames = lambda vid, kfs, calls=calls: calls.append(vid) or frames(vid, kfs)
        log = SkipLog(tmp_path / "s", "sft")
        ds = stream_dataset(plan.plans[:n], plan.source, plan.fmt, CFG, "sft", log)

        def read(batch, ds=ds):
            return [(i, ds[i]) for i in batch]

        loader = prepare_data_loader(
            DataLoader(range(n), batch_size=2, collate_fn=read),
            num_processes=2,
            process_index=rank,
            put_on_device=False,
        )
        seen[rank] = [i for batch in loader for i, row in batch if row["images"]]
        decoded[rank] = calls
    plan.source.frames = frames
    assert set(seen[0]).isdisjoint(seen[1])
    assert sorted(seen[0] + seen[1]) == list(range(n))
    for rank in (0, 1):  # one decode per row read, of that row's video, nothing else
        assert decoded[rank] == [plan.plans[i].video_id for i in seen[rank]]
