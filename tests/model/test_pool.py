"""Pooling K sampled answers (tvgcurate.model.pool)."""

import pytest

from tvgcurate.model.pool import pool_answers


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


def test_pool_drops_backward_answers_and_clips_to_the_duration():
    r = pool_answers(["<answer>5 to 2</answer>", "<answer>-1 to 12</answer>"], duration=10.0)
    assert r["windows"] == [{"start": 0.0, "end": 10.0, "score": 0.5}]
    assert r["refusal_rate"] == 0.0 and not r["refused"]
