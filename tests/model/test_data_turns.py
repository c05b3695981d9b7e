"""Multi-turn SFT rows (`sft.turns`): a sample's frames asked several of its video's queries."""

import pytest

from tvgcurate.model.config import ConfigError, build_config
from tvgcurate.model.data import (
    SkipLog,
    companions,
    mix,
    sft_rows,
    stream_dataset,
    to_dataset,
)
from tvgcurate.model.inputs import InputConfig, build_inputs, plan_inputs

from .test_data_stream import CFG, MICRO_SFT, assert_same_rows


def question(m) -> str:
    return m.prompt[0]["content"][-1]["text"]


def said(message) -> str:
    return message["content"][0]["text"]


def test_companions_share_the_video_and_its_frames(grounding_ws):
    inputs = mix(build_inputs(grounding_ws, CFG, split="train").inputs, 0.4, 3)
    picks = companions(inputs, 3, seed=0)
    assert any(picks), "the fixture's videos have several samples each"
    for m, js in zip(inputs, picks, strict=True):
        same = [o for o in inputs if o is not m and o.video_id == m.video_id]
        assert len(js) == min(2, len(same)) and len(set(js)) == len(js)
        for j in js:
            assert inputs[j] is not m
            assert inputs[j].video_id == m.video_id
            assert inputs[j].timestamps == m.timestamps
    assert companions(inputs, 3, seed=0) == picks
    assert companions(inputs, 1, seed=0) == [[] for _ in inputs]


def test_a_multi_turn_row_asks_each_companion_on_the_samples_frames(grounding_ws):
    inputs = build_inputs(grounding_ws, CFG, split="train").inputs
    picks = companions(inputs, 3, seed=5)
    rows = sft_rows(inputs, turns=3, seed=5)
    for m, js, row in zip(inputs, picks, rows, strict=True):
        assert set(row) == {"messages", "images"} and row["images"] is m.images
        msgs = row["messages"]
        assert [x["role"] for x in msgs] == ["user", "assistant"] * (1 + len(js))
        assert msgs[0] == m.prompt[0] and said(msgs[1]) == m.target
        for k, j in enumerate(js):
            user, answer = msgs[2 + 2 * k], msgs[3 + 2 * k]
            # a follow-up question is text only: the frames were shown once, in the first turn
            assert user["content"] == [{"type": "text", "text": question(inputs[j])}]
            assert said(answer) == inputs[j].target
        n_images = sum(p["type"] == "image" for x in msgs for p in x["content"])
        assert n_images == len(m.images)


def test_one_turn_keeps_prompt_completion_rows(grounding_ws):
    inputs = build_inputs(grounding_ws, CFG, split="train").inputs
    a, b = sft_rows(inputs), sft_rows(inputs, turns=1, seed=9)
    assert [set(r) for r in a] == [{"prompt", "completion", "images"}] * len(inputs)
    assert [r["completion"] for r in a] == [r["completion"] for r in b]


def test_streamed_multi_turn_rows_equal_in_memory_rows(grounding_ws, tmp_path):
    plan = plan_inputs(grounding_ws, CFG, split="train")
    log = SkipLog(tmp_path / "skipped.jsonl", "sft")
    ds = stream_dataset(mix(plan.plans, 0.4, 3), plan.source, plan.fmt, CFG, "sft", log, 3, 7)
    built = build_inputs(grounding_ws, CFG, split="train")
    mem = to_dataset(sft_rows(mix(built.inputs, 0.4, 3), turns=3, seed=7))
    assert len(ds) == len(mem) > 0
    assert any(len(ds[i]["messages"]) > 2 for i in range(len(ds)))
    for i in range(len(ds)):
        assert_same_rows(ds[i], mem[i])


def test_grpo_rows_stay_single_turn_when_streamed(grounding_ws, tmp_path):
    plan = plan_inputs(grounding_ws, CFG, split="train")
    log = SkipLog(tmp_path / "skipped.jsonl", "grpo")
    ds = stream_dataset(plan.plans, plan.source, plan.fmt, CFG, "grpo", log, 3, 0)
    assert "messages" not in ds[0] and "prompt" in ds[0]


def test_sft_turns_must_be_positive(tmp_path):
    with pytest.raises(ConfigError, match="sft.turns"):
        build_config(None, ["sft.turns=0"], workspace=tmp_path, output=tmp_path / "o")


@pytest.mark.parametrize("stream", [False, True])
def test_multi_turn_sft_trains_on_every_answer(grounding_ws, tmp_path, stream):
    from tvgcurate.model.train import train

    out = tmp_path / "run"
    sets = MICRO_SFT + [f"inputs.stream={str(stream).lower()}", "sft.turns=3"]
    sets += ["sft.per_device_train_batch_size=4", "sft.max_steps=2"]
    cfg = build_config(None, sets, workspace=grounding_ws.root, output=out, stage="sft")
    res = train(cfg)
    assert (res.final / "config.json").exists()
    assert res.stages["sft"]["steps"] == 2
    assert res.stages["sft"]["train_loss"] > 0


def test_the_collator_masks_all_but_the_answers(grounding_ws):
    # what SFTTrainer trains on: every assistant turn of the conversation, nothing else
    from trl import SFTTrainer

    from tvgcurate.model.config import SFTStageConfig
    from tvgcurate.model.sft import sft_args
    from tvgcurate.model.tiny import TinyConfig, build_tiny

    cfg = InputConfig(max_frames=2)
    inputs = build_inputs(grounding_ws, cfg, split="train").inputs
    rows = sft_rows(inputs, turns=3, seed=0)
    i = max(range(len(rows)), key=lambda k: len(rows[k]["messages"]))
    model, proc = build_tiny(TinyConfig(hidden_size=32, num_layers=1, intermediate_size=64))
    args = sft_args(SFTStageConfig(), grounding_ws.root / "o", conversations=True)
    trainer = SFTTrainer(
        model=model, args=args, train_dataset=to_dataset([rows[i]]), processing_class=proc
    )
    batch = trainer.data_collator([trainer.train_dataset[0]])
    ids, labels = batch["input_ids"][0], batch["labels"][0]
    trained = proc.tokenizer.decode(ids[labels != -100])
    answers = [said(x) for x in rows[i]["messages"] if x["role"] == "assistant"]
    assert len(answers) >= 2
    assert trained == "".join(f"{a}<|im_end|>\n" for a in answers)
