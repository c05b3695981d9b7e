"""The pretraining stand-in: its rows, and `train --stage pretrain` end to end on tiny."""

import json
import random

import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app
from tvgcurate.model.eta import TimestampFormat
from tvgcurate.model.inputs import ModelInput
from tvgcurate.model.pretrain import PretrainTask, caption_rows, presence_rows, pretrain_rows


def model_input(relevance="relevant", windows=((2.0, 4.0),), n=6):
    fmt = TimestampFormat(1)
    content = []
    for t in range(n):
        content += [{"type": "text", "text": fmt.stamp(t)}, {"type": "image"}]
    content.append({"type": "text", "text": "the red circle"})
    return ModelInput(
        sample_id="s",
        prompt=[{"role": "user", "content": content}],
        images=[f"img{t}" for t in range(n)],  # stand-ins: rows only carry them through
        target="",
        timestamps=[float(t) for t in range(n)],
        relevance=relevance,
        gt_windows=[list(w) for w in windows] if relevance == "relevant" else [],
        duration_s=float(n),
    )


def red_and_blue():
    """Two queries of one video "v": the red circle in 2-4 s, the blue star in 0-1 s."""
    red = model_input(windows=((2.0, 4.0),))
    red.video_id = "v"
    blue = model_input(windows=((0.0, 1.0),))
    blue.video_id, blue.sample_id = "v", "b"
    blue.prompt[0]["content"][-1]["text"] = "the blue star"
    return red, blue


def answer(row):
    return row["completion"][0]["content"][0]["text"]


def test_presence_answers_follow_the_window():
    rng = random.Random(0)
    rows = presence_rows(model_input(), PretrainTask(rows_per_sample=40, clip_frames=3), rng)
    assert len(rows) == 40
    seen = set()
    for row in rows:
        frames = [int(i[3:]) for i in row["images"]]
        assert 1 <= len(frames) <= 3 and frames == list(range(frames[0], frames[-1] + 1))
        stamps = [p["text"] for p in row["prompt"][0]["content"] if p["type"] == "text"][:-1]
        assert stamps == [f"<t>{f}.0</t>" for f in frames]  # each frame keeps its own stamp
        inside = any(2 <= f < 4 for f in frames)
        assert answer(row) == ("yes" if inside else "no")
        assert "the red circle" in row["prompt"][0]["content"][-1]["text"]
        seen.add(answer(row))
    assert seen == {"yes", "no"}  # both answers are drawn


def test_irrelevant_rows_are_always_no_and_get_no_captions():
    m = model_input("irrelevant")
    rows = presence_rows(m, PretrainTask(rows_per_sample=10), random.Random(1))
    assert rows and {answer(r) for r in rows} == {"no"}
    assert caption_rows(m, PretrainTask(), random.Random(1)) == []


def test_captions_show_one_frame_inside_the_window():
    rows = caption_rows(model_input(), PretrainTask(rows_per_sample=5), random.Random(2))
    assert len(rows) == 2  # two frames (2 s and 3 s) lie inside the window
    for row in rows:
        assert len(row["images"]) == 1 and row["images"][0] in ("img2", "img3")
        assert answer(row) == "the red circle"


def test_rows_are_deterministic_for_a_seed_and_reject_unknown_kinds():
    inputs = [model_input(), model_input("irrelevant")]
    task = PretrainTask(kinds=["presence", "caption"])
    assert pretrain_rows(inputs, task, 3) == pretrain_rows(inputs, task, 3)
    with pytest.raises(ValueError, match="pretrain kinds"):
        PretrainTask(kinds=["dense"])


@pytest.mark.slow
def test_train_all_runs_pretrain_first(grounding_ws, tmp_path):
    out = tmp_path / "run"
    small = [
        "tiny.hidden_size=64",
        "tiny.num_layers=2",
        "tiny.intermediate_size=128",
        "tiny.vision_embed_dim=32",
        "inputs.max_frames=4",
        "pretrain.per_device_train_batch_size=4",
        "sft.per_device_train_batch_size=4",
        "grpo.num_generations=2",
        "grpo.per_device_train_batch_size=4",
        "grpo.max_completion_length=8",
        "report_to=[]",
    ]
    args = ["train", "--workspace", str(grounding_ws.root), "--model", "tiny"]
    args += ["--stage", "all", "--recipe", "recipes/tiny-cpu.yaml", "--max-steps", "2"]
    args += ["--output", str(out)]
    for s in small:
        args += ["--set", s]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output + repr(res.exception)
    meta = json.loads((out / "run.json").read_text())
    assert list(meta["stages"]) == ["pretrain", "sft", "grpo"]
    assert meta["stages"]["pretrain"]["steps"] == 2
    assert (out / "pretrain" / "final" / "model.safetensors").exists()
    assert meta["final"] == "grpo/final"
    logged = [json.loads(x) for x in (out / "pretrain" / "metrics.jsonl").read_text().splitlines()]
    assert logged and {r["stage"] for r in logged} == {"pretrain"}


def test_query_first_inputs_keep_the_question_before_the_clip():
    m = model_input()
    m.prompt[0]["content"].insert(0, {"type": "text", "text": "the red circle"})
    rows = presence_rows(m, PretrainTask(rows_per_sample=4), random.Random(5))
    for row in rows:
        parts = row["prompt"][0]["content"]
        assert parts[0]["text"] == parts[-1]["text"] and "the red circle" in parts[0]["text"]
        stamps = [p for p in parts[1:-1] if p["type"] == "text"]
        assert len(stamps) == len(row["images"])


def test_contrast_asks_each_clip_about_every_query_of_its_video():
    red, blue = red_and_blue()
    other = model_input(windows=((0.0, 6.0),))
    other.video_id, other.sample_id = "w", "o"  # another video: never asked about v's clips
    task = PretrainTask(clip_frames=1, rows_per_sample=2, contrast=True)
    rows = presence_rows(red, task, random.Random(0), [red, blue])
    assert len(rows) == 4  # 2 clips x (its own query + the blue one)
    for own, sib in (rows[0:2], rows[2:4]):
        assert own["images"] == sib["images"]
        t = float(own["images"][0][3:])  # "img3" -> frame 3 at 3.0 s
        assert answer(own) == ("yes" if 2.0 <= t < 4.0 else "no")
        assert "the blue star" in sib["prompt"][0]["content"][-1]["text"]
        assert answer(sib) == ("yes" if 0.0 <= t < 1.0 else "no")
    plain = presence_rows(red, PretrainTask(clip_frames=1), random.Random(0), [red, blue])
    assert len(plain) == 2
    assert len(pretrain_rows([red, blue, other], task, 0)) == 2 * 2 + 2 * 2 + 2


def test_turns_ask_one_clip_several_questions_in_one_conversation():
    red, blue = red_and_blue()
    task = PretrainTask(clip_frames=1, rows_per_sample=2, turns=4)
    rows = presence_rows(red, task, random.Random(0), [red, blue])
    assert len(rows) == 2 and all(set(r) == {"messages", "images"} for r in rows)
    for row in rows:
        msgs = row["messages"]
        # clip + own question, its answer, then the one sibling (turns cap at the video's queries)
        assert [m["role"] for m in msgs] == ["user", "assistant", "user", "assistant"]
        assert sum(p["type"] == "image" for p in msgs[0]["content"]) == len(row["images"]) == 1
        assert msgs[2]["content"] == [
            {"type": "text", "text": "Is this shown: the blue star? Answer yes or no."}
        ]
        t = float(row["images"][0][3:])
        said = [m["content"][0]["text"] for m in msgs[1::2]]
        assert said == ["yes" if 2.0 <= t < 4.0 else "no", "yes" if 0.0 <= t < 1.0 else "no"]
    # mixed with captions, every row is a conversation (one dataset, one format)
    mixed = pretrain_rows([red, blue], PretrainTask(kinds=["presence", "caption"], turns=2), 0)
    assert mixed and all("messages" in r and "prompt" not in r for r in mixed)
    with pytest.raises(ValueError, match="turns"):
        PretrainTask(turns=0)


def test_conversation_rows_train_only_on_the_answers():
    # TRL's assistant_only_loss reads the template's generation markers
    from tvgcurate.model.processor import build_processor

    proc = build_processor()
    msgs = [
        {"role": "user", "content": [{"type": "text", "text": "Is this shown: x?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "yes"}]},
        {"role": "user", "content": [{"type": "text", "text": "Is this shown: y?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "no"}]},
    ]
    out = proc.tokenizer.apply_chat_template(
        msgs, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    ids, mask = out["input_ids"], out["assistant_masks"]
    trained = proc.tokenizer.decode([i for i, k in zip(ids, mask, strict=True) if k])
    assert trained == "yes<|im_end|>\nno<|im_end|>\n"
