import pytest

from tvgcurate.model.data import mix
from tvgcurate.model.inputs import ModelInput
from tvgcurate.model.score import headline, pool_answers, summarize
from tvgcurate.model.tiny import TinyConfig, mrope_section


def test_pool_greedy():
    r = pool_answers(["<answer>1 to 3</answer>"])
    assert r["windows"] == [{"start": 1.0, "end": 3.0, "score": 1.0}]
    assert r["iou_spread"] is None and not r["refused"]


def test_pool_ranks_by_consensus_and_clips():
    texts = [
        "<answer>0 to 4</answer>",
        "<answer>1 to 4</answer>",
        "<answer>8 to 30</answer>",
        "<answer>1 to 4</answer>",
    ]
    r = pool_answers(texts, duration=10.0)
    assert [(w["start"], w["end"]) for w in r["windows"]] == [(1.0, 4.0), (0.0, 4.0), (8.0, 10.0)]
    assert r["windows"][0]["score"] > r["windows"][1]["score"] > r["windows"][2]["score"]


def test_spread_zero_when_all_agree_and_one_when_none_do():
    assert pool_answers(["<answer>1 to 3</answer>"] * 4)["iou_spread"] == pytest.approx(0.0)
    assert pool_answers(["<answer>none</answer>"] * 3)["iou_spread"] == pytest.approx(0.0)
    far = ["<answer>0 to 1</answer>", "<answer>2 to 3</answer>", "<answer>none</answer>", "x"]
    assert pool_answers(far)["iou_spread"] == pytest.approx(1.0)


def test_refusal_majority():
    r = pool_answers(["<answer>none</answer>", "<answer>none</answer>", "<answer>1 to 2</answer>"])
    assert r["refused"] and r["refusal_rate"] == pytest.approx(0.667, abs=1e-3)


def test_summarize_separates_refusals_from_invalid_answers():
    rows = [
        {"sample_id": "a", "windows": [{"start": 1.0, "end": 3.0, "score": 1.0}], "refused": False},
        {"sample_id": "b", "windows": [], "refused": False},  # unparseable
        {"sample_id": "c", "windows": [], "refused": True},
        {"sample_id": "d", "windows": [], "refused": True},
        {"sample_id": "e", "windows": [], "refused": None, "error": "no video"},
    ]
    gts = {"a": [[1.0, 3.0]], "b": [[1.0, 3.0]], "c": [[0.0, 1.0]], "d": [], "e": []}
    h = headline(summarize(rows, gts))
    assert h["queries"] == 4 and h["relevant"] == 3 and h["irrelevant"] == 1
    assert h["R1@0.5"] == pytest.approx(100 / 3, abs=0.01)
    assert h["refusal_acc_irrelevant"] == 100.0
    assert h["false_refusal_rate"] == pytest.approx(100 / 3, abs=0.01)  # only c, not b
    assert h["invalid_rate"] == 25.0


def mi(i, rel):
    return ModelInput(f"s{i}", [], [], "", [], rel, [[0.0, 1.0]] if rel == "relevant" else [], 5.0)


def test_mix_irrelevant_share():
    rows = [mi(i, "relevant") for i in range(30)] + [mi(100 + i, "irrelevant") for i in range(30)]
    out = mix(rows, 0.25, seed=0)
    assert sum(m.relevance == "relevant" for m in out) == 30
    assert sum(m.relevance != "relevant" for m in out) == 10
    assert [m.sample_id for m in out] == [m.sample_id for m in mix(rows, 0.25, seed=0)]
    assert len(mix(rows, 0.9, seed=0)) == 60  # not enough irrelevant rows: all of them
    assert mix(rows, None, seed=0) == rows
    assert all(m.relevance == "relevant" for m in mix(rows, 0.0, seed=0))


def test_tiny_config():
    assert sum(mrope_section(32)) == 16 and sum(mrope_section(128)) == 64
    with pytest.raises(ValueError):
        TinyConfig(hidden_size=100, num_heads=3)
