import pytest

from tvgcurate.model.rewards import (
    REWARDS,
    completion_text,
    format_reward,
    iou_reward,
    iou_v2_reward,
    make_refusal_reward,
    make_reward,
    refusal_reward,
)
from tvgcurate.registry import UnknownChoiceError

GT = [[4.0, 8.0]]


def iou(text, gt=GT, d=10.0, rel="relevant"):
    return iou_reward([text], gt_windows=[gt], duration_s=[d], relevance=[rel])[0]


def test_plain_iou():
    assert iou("<answer>0004.0 to 0008.0</answer>") == pytest.approx(1.0)
    assert iou("<answer>2 to 6</answer>") == pytest.approx(2 / 6)
    assert iou("<answer>0 to 2</answer>") == 0.0


def test_no_answer_scores_zero():
    assert iou("the circle is there") == 0.0
    assert iou("") == 0.0
    assert format_reward(["the circle is there"]) == [0.0]


def test_start_after_end_scores_zero():
    assert iou("<answer>8 to 4</answer>") == 0.0
    assert format_reward(["<answer>8 to 4</answer>"]) == [0.0]


def test_zero_length_union_scores_zero():
    assert iou("<answer>5 to 5</answer>", gt=[[5.0, 5.0]]) == 0.0
    assert (
        iou_v2_reward(["<answer>5 to 5</answer>"], gt_windows=[[[5.0, 5.0]]], duration_s=[10.0])[0]
        == 0.0
    )


def test_beyond_duration_is_clipped():
    # clipped to [6, 10]: IoU with [4, 8] = 2/6
    assert iou("<answer>6 to 30</answer>") == pytest.approx(2 / 6)
    assert iou("<answer>20 to 30</answer>") == 0.0  # clipped to [10, 10]: empty


def test_several_answers_last_counts():
    assert iou("<answer>4 to 8</answer> wait <answer>0 to 1</answer>") == 0.0
    assert iou("<answer>0 to 1</answer> wait <answer>4 to 8</answer>") == pytest.approx(1.0)


def test_best_of_several_gt_windows():
    assert iou("<answer>20 to 24</answer>", gt=[[4.0, 8.0], [20.0, 24.0]], d=30) == 1.0


def test_iou_v2_penalises_boundary_errors():
    plain = iou("<answer>2 to 6</answer>")
    v2 = iou_v2_reward(["<answer>2 to 6</answer>"], gt_windows=[GT], duration_s=[10.0])[0]
    assert v2 == pytest.approx(plain * (1 - 2 / 10) * (1 - 2 / 10))
    exact = iou_v2_reward(["<answer>4 to 8</answer>"], gt_windows=[GT], duration_s=[10.0])[0]
    assert exact == pytest.approx(1.0)


def test_iou_is_none_on_irrelevant_rows():
    assert iou("<answer>none</answer>", gt=[], rel="irrelevant") is None
    assert iou("<answer>1 to 2</answer>", gt=[], rel="partial") is None


def test_refusal_on_relevant_scores_zero_iou():
    assert iou("<answer>none</answer>") == 0.0


def test_refusal_reward():
    comps = [
        "<answer>none</answer>",
        "<answer>1 to 2</answer>",
        "junk",
        "<answer>none</answer>",
        "<answer>1 to 2</answer>",
    ]
    rel = ["irrelevant", "irrelevant", "partial", "relevant", "relevant"]
    assert refusal_reward(comps, relevance=rel) == [1.0, 0.0, 0.0, 0.0, None]
    scored = make_refusal_reward(answer_score=1.0)
    assert scored(comps, relevance=rel)[-1] == 1.0
    # unparseable text on a relevant row earns nothing, with or without an answer score
    assert scored(["the circle"], relevance=["relevant"]) == [0.0]
    assert refusal_reward(["the circle"], relevance=["relevant"]) == [None]


def test_conversational_completions():
    comp = [{"role": "assistant", "content": "<answer>4 to 8</answer>"}]
    assert completion_text(comp) == "<answer>4 to 8</answer>"
    parts = [{"role": "assistant", "content": [{"type": "text", "text": "<answer>none</answer>"}]}]
    assert refusal_reward([parts], relevance=["irrelevant"]) == [1.0]
    assert iou_reward([comp], gt_windows=[GT], duration_s=[10.0], relevance=["relevant"]) == [1.0]


@pytest.mark.parametrize("name", REWARDS.names())
def test_every_reward_conforms(name):
    """Each registered reward: one value per completion, floats in [0, 1] or None, named."""
    f = make_reward(name)
    assert f.__name__.endswith("_reward")
    comps = ["<answer>4 to 8</answer>", "<answer>none</answer>", "x", "<answer>9 to 1</answer>"]
    cols = dict(
        gt_windows=[GT, [], GT, GT],
        duration_s=[10.0] * 4,
        relevance=["relevant", "irrelevant", "relevant", "relevant"],
        prompts=[None] * 4,
        completion_ids=[[1]] * 4,
        trainer_state=None,
    )
    out = f(comps, **cols)
    assert isinstance(out, list) and len(out) == 4
    assert all(v is None or (isinstance(v, float) and 0.0 <= v <= 1.0) for v in out)
    assert any(v is not None for v in out)


def test_unknown_reward():
    with pytest.raises(UnknownChoiceError, match="choose from: format"):
        make_reward("nope")
