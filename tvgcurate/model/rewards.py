"""Reward functions for PIR-GRPO: pure functions ``(completions, **columns) -> list[float | None]``.

TRL's GRPOTrainer calls each one with the generated completions and every extra dataset
column as a keyword argument. The columns these functions read:

* ``gt_windows``: list of ``[start, end]`` in seconds (`tvgcurate.schemas.sample.gt_windows`);
  empty for irrelevant and partial rows (never None: Arrow/datasets columns must not hold
  None for TRL, docs/dev/stack.md);
* ``relevance``: ``relevant`` | ``irrelevant`` | ``partial``; a row the model must refuse is
  `tvgcurate.schemas.sample.expects_refusal` (irrelevant and partial: a query that only
  partly happens is refused);
* ``duration_s``: the video's duration, used to clip predictions and by ``iou_v2``.

``None`` means "this reward does not apply to this row" (TRL ignores it in the weighted sum).
Plain Python: no torch import. Weights live in the GRPO config, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tvgcurate.metrics import interval_iou
from tvgcurate.model.eta import parse_answer
from tvgcurate.registry import Registry
from tvgcurate.schemas.sample import answer_window, expects_refusal

Reward = Callable[..., list]
# name -> factory(**params) -> reward function
REWARDS: Registry[Callable[..., Reward]] = Registry("reward")


def register(name: str, **meta):
    """Register a reward factory under `name` (factory(**params) -> reward function).

    `config={"param": "field"}` names the GRPO stage config fields a parameter comes from.
    """
    return REWARDS.register(name, **meta)


def reward_params(name: str, stage) -> dict:
    """The parameters of reward `name` taken from a GRPO stage config (see `register`)."""
    return {p: getattr(stage, f) for p, f in REWARDS.meta(name).get("config", {}).items()}


def make_reward(name: str, **params) -> Reward:
    """The reward `name`, built with `params`; an unknown name lists the known ones."""
    return REWARDS.get(name)(**params)


def completion_text(completion) -> str:
    """The text of one completion: a plain string or TRL's conversational message list."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        content = completion.get("content", "")
    elif completion:
        content = completion[-1].get("content", "")
    else:
        return ""
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if p.get("type") == "text")
    return content or ""


def window_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Temporal IoU of two (start, end) windows (tvgcurate.metrics' definition; empty union -> 0)."""
    return float(interval_iou(np.asarray(a[:2], dtype=float), np.asarray(b[:2], dtype=float)))


def _best(pred, gts) -> tuple[float, tuple[float, float]] | None:
    best = None
    for g in gts:
        g = (float(g[0]), float(g[1]))
        v = window_iou(pred, g)
        if best is None or v > best[0]:
            best = (v, g)
    return best


def _rows(completions, col):
    return col if col is not None else [None] * len(completions)


@register("format")
def make_format_reward() -> Reward:
    """1.0 when the completion holds a well-formed answer (a window with start <= end, or a refusal).

    >>> format_reward(["<answer>0001.0 to 0002.5</answer>", "<answer>5 to 2</answer>", "hi"])
    [1.0, 0.0, 0.0]
    """

    def format_reward(completions, **_) -> list[float]:
        out = []
        for c in completions:
            a = parse_answer(completion_text(c))
            ok = a is not None and (a.refused or 0.0 <= a.start <= a.end)
            out.append(1.0 if ok else 0.0)
        return out

    return format_reward


def _boundary_factor(value: float, pred, g, d: float | None) -> float:
    """Time-R1's iou_v2 shaping: scale by how close each boundary is (errors over D)."""
    if d is None:  # no duration: normalise by the span of the two windows
        d = max(pred[1], g[1]) - min(pred[0], g[0]) or 1.0
    return value * (max(0.0, 1 - abs(pred[0] - g[0]) / d) * max(0.0, 1 - abs(pred[1] - g[1]) / d))


def _iou_factory(shape: Callable[..., float] | None = None) -> Reward:
    """An IoU reward; `shape(value, pred, gt, duration)` reshapes the best match's IoU."""

    def reward(completions, gt_windows=None, duration_s=None, relevance=None, **_):
        n = len(completions)
        gt_windows = _rows(completions, gt_windows)
        duration_s = _rows(completions, duration_s)
        relevance = _rows(completions, relevance)
        out: list[float | None] = []
        for i in range(n):
            gts = gt_windows[i] or []
            if expects_refusal(relevance[i]) or not gts:
                out.append(None)
                continue
            d = duration_s[i]
            d = float(d) if d is not None and d > 0 else None
            pred = answer_window(parse_answer(completion_text(completions[i])), d)
            best = _best(pred, gts) if pred is not None else None
            if best is None:
                out.append(0.0)
                continue
            value, g = best
            if shape is not None:
                value = shape(value, pred, g, d)
            out.append(float(value))
        return out

    return reward


@register("iou")
def make_iou_reward() -> Reward:
    """Temporal IoU of the answered window with the best-matching ground-truth window.

    Predictions are clipped to [0, duration]; no answer, a refusal or start > end score 0;
    irrelevant rows (no ground truth) give None.

    >>> iou_reward(["<answer>2 to 6</answer>"], gt_windows=[[[4.0, 8.0]]], duration_s=[10.0])
    [0.3333333333333333]
    """
    f = _iou_factory()
    f.__name__ = "iou_reward"
    return f


@register("iou_v2")
def make_iou_v2_reward() -> Reward:
    """Time-R1's iou_v2 = IoU * (1 - |start error| / D) * (1 - |end error| / D).

    >>> iou_v2_reward(["<answer>2 to 6</answer>"], gt_windows=[[[4.0, 8.0]]], duration_s=[10.0])
    [0.21333333333333337]
    """
    f = _iou_factory(_boundary_factor)
    f.__name__ = "iou_v2_reward"
    return f


@register("refusal", config={"answer_score": "refusal_answer_score"})
def make_refusal_reward(answer_score: float | None = None) -> Reward:
    """PIR's refusal reward: on irrelevant/partial rows 1.0 for a refusal, else 0.0; on relevant
    rows a refusal scores 0.0 and an answered window `answer_score` (None: left to the IoU
    reward; with a score, unparseable text gets 0.0).

    >>> refusal_reward(["<answer>none</answer>", "<answer>1 to 2</answer>", "<answer>none</answer>"],
    ...                relevance=["irrelevant", "irrelevant", "relevant"])
    [1.0, 0.0, 0.0]
    """

    def refusal_reward(completions, relevance=None, **_) -> list[float | None]:
        relevance = _rows(completions, relevance)
        out: list[float | None] = []
        for c, rel in zip(completions, relevance, strict=True):
            a = parse_answer(completion_text(c))
            refused = a is not None and a.refused
            if expects_refusal(rel):
                out.append(1.0 if refused else 0.0)
            elif refused:
                out.append(0.0)
            elif answer_score is None:
                out.append(None)
            else:  # only a parsed window earns the answer score, not unparseable text
                out.append(answer_score if a is not None else 0.0)
        return out

    return refusal_reward


format_reward = make_format_reward()
iou_reward = make_iou_reward()
iou_v2_reward = make_iou_v2_reward()
refusal_reward = make_refusal_reward()


def build_rewards(names: Sequence[str]) -> list[Reward]:
    """Reward functions for a list of registered names (their order fixes TRL's weights)."""
    return [make_reward(n) for n in names]
