import json

import datasets
import pytest

from tvgcurate.exporters import ExportConfig, export
from tvgcurate.model.eta import parse_answer
from tvgcurate.model.inputs import DEFAULT_PROMPT


@pytest.fixture(scope="module")
def trl_dir(tricky_ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("trl") / "trl"
    res = export(
        ExportConfig(workspace=tricky_ws.root, format="trl", out=out, include_irrelevant=True)
    )
    assert res.written == tricky_ws.read("samples").num_rows and not res.skipped
    return out


def test_rows_have_trl_vision_shape(trl_dir, tricky_ws):
    dsd = datasets.load_from_disk(str(trl_dir))
    samples = {s["sample_id"]: s for s in tricky_ws.read("samples").to_pylist()}
    kf = {}
    for k in tricky_ws.read("keyframes").to_pylist():
        kf.setdefault(k["video_id"], []).append(k)
    width = json.loads((trl_dir / "tvgcurate_inputs.json").read_text())["timestamp_width"]
    assert width == 1
    for split, ds in dsd.items():
        assert ds.features["images"] == datasets.List(datasets.Image())
        for row in ds:
            s = samples[row["sample_id"]]
            assert row["split"] == split == s["split"]
            (turn,) = row["prompt"]
            assert turn["role"] == "user"
            parts = turn["content"]
            frames = sorted(kf[s["video_id"]], key=lambda k: k["timestamp_s"])
            # ETA text then image, per frame in time order, then the prompt with the query
            assert [p["type"] for p in parts] == ["text", "image"] * len(frames) + ["text"]
            assert [p["text"] for p in parts[:-1:2]] == [
                f"<t>{k['timestamp_s']:.1f}</t>" for k in frames
            ]
            assert parts[-1]["text"] == DEFAULT_PROMPT.format(query=s["query"])
            assert [im.size for im in row["images"]] == [(k["width"], k["height"]) for k in frames]
            assert row["frame_timestamps"] == [k["timestamp_s"] for k in frames]
            (answer,) = row["completion"]
            assert answer["role"] == "assistant"
            assert answer["content"][0]["text"] == row["solution"]
            a = parse_answer(row["solution"])
            if s["relevance"] == "relevant":
                first = min((w["start"], w["end"]) for w in s["windows"])
                assert (a.start, a.end) == (round(first[0], 1), round(first[1], 1))
                assert row["gt_windows"] == sorted([w["start"], w["end"]] for w in s["windows"])
            else:
                assert a.refused and row["gt_windows"] == []
            assert row["relevance"] == s["relevance"] and row["duration_s"] == s["duration_s"]


def test_parquet_shards_load_with_images(trl_dir, tmp_path):
    ds = datasets.load_dataset(
        "parquet", data_files=str(trl_dir / "data" / "train-*.parquet"), cache_dir=str(tmp_path)
    )["train"]
    disk = datasets.load_from_disk(str(trl_dir))["train"]
    assert ds.features == disk.features
    assert [im.size for im in ds[0]["images"]] == [im.size for im in disk[0]["images"]]


def test_rewards_read_the_exported_columns(trl_dir):
    from tvgcurate.model.rewards import format_reward, iou_reward, refusal_reward

    ds = datasets.load_from_disk(str(trl_dir))["train"]
    cols = {k: ds[k] for k in ("gt_windows", "relevance", "duration_s")}
    perfect = ds["solution"]  # the targets themselves score full marks
    assert format_reward(perfect, **cols) == [1.0] * len(ds)
    iou = iou_reward(perfect, **cols)
    assert [v is None for v in iou] == [r != "relevant" for r in ds["relevance"]]
    assert all(v is None or v > 0.9 for v in iou)
    assert [v for v in refusal_reward(perfect, **cols) if v is not None] == [1.0]


def test_messages_layout(tricky_ws, tmp_path):
    out = tmp_path / "m"
    export(
        ExportConfig(
            workspace=tricky_ws.root,
            format="trl",
            out=out,
            split="val",
            options={"layout": "messages", "max_frames": "2"},
        )
    )
    row = datasets.load_from_disk(str(out))["val"][0]
    assert "prompt" not in row and [m["role"] for m in row["messages"]] == ["user", "assistant"]
    assert (
        len(row["images"]) == 2 == sum(p["type"] == "image" for p in row["messages"][0]["content"])
    )


def _train_output(res):
    return res[-1] if isinstance(res, tuple) else res


@pytest.mark.slow
def test_model_trainers_take_the_exported_dataset(trl_dir, tmp_path):
    """The exported rows go straight into the model's SFT and GRPO trainers (tiny Qwen2-VL)."""
    from tvgcurate.model.config import GRPOStageConfig, SFTStageConfig
    from tvgcurate.model.grpo import run_grpo
    from tvgcurate.model.sft import run_sft
    from tvgcurate.model.tiny import build_tiny

    train = datasets.load_from_disk(str(trl_dir))["train"]
    model, processor = build_tiny()
    sft = _train_output(
        run_sft(
            model,
            processor,
            train,
            SFTStageConfig(max_steps=1, per_device_train_batch_size=2, save_steps=100),
            tmp_path / "sft",
        )
    )
    assert sft.global_step == 1 and sft.training_loss > 0
    grpo = _train_output(
        run_grpo(
            model,
            processor,
            train,
            GRPOStageConfig(
                max_steps=1,
                num_generations=2,
                per_device_train_batch_size=2,
                max_completion_length=4,
                save_steps=100,
            ),
            tmp_path / "grpo",
        )
    )
    assert grpo.global_step == 1
