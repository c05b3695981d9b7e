"""verl / EasyR1 custom reward for a tvgcurate `verl` export (plain Python, no torch).

verl: `custom_reward_function.path=OUT/verl_reward.py custom_reward_function.name=compute_score`.
It calls `compute_score(data_source, solution_str, ground_truth, extra_info)` per response;
`ground_truth` is the row's `reward_model.ground_truth`: `{"windows": [[start, end], ...]
(seconds, empty for irrelevant and partial rows), "relevance": ..., "duration_s": ...}`.

The score is the format reward plus, on relevant rows, the IoU reward (`iou`, or Time-R1's
`iou_v2` with TVG_REWARD_IOU=iou_v2), or, on irrelevant/partial rows, the refusal reward:
the functions of `tvgcurate.model.rewards`, so verl trains on what `tvgcurate train` does.
Needs `tvgcurate` importable in the trainer's environment (`pip install tvgcurate`).
"""

from __future__ import annotations

import json
import os


def _ground_truth(ground_truth) -> dict:
    if isinstance(ground_truth, str):
        ground_truth = json.loads(ground_truth)
    return dict(ground_truth)


def compute_score(data_source, solution_str, ground_truth, extra_info=None) -> float:
    """format + (IoU on relevant rows | refusal on irrelevant/partial rows), in 0..2."""
    from tvgcurate.model.rewards import format_reward, iou_reward, iou_v2_reward, refusal_reward
    from tvgcurate.schemas.sample import has_windows

    gt = _ground_truth(ground_truth)
    windows = [[float(s), float(e)] for s, e in (gt.get("windows") or [])]
    cols = {
        "gt_windows": [windows],
        "relevance": [gt.get("relevance") or "relevant"],
        "duration_s": [float(gt.get("duration_s") or 0.0) or None],
    }
    completions = [solution_str]
    score = format_reward(completions)[0]
    if has_windows(cols["relevance"][0]) and windows:
        iou = iou_v2_reward if os.environ.get("TVG_REWARD_IOU") == "iou_v2" else iou_reward
        score += iou(completions, **cols)[0] or 0.0
    else:
        score += refusal_reward(completions, **cols)[0] or 0.0
    return float(score)
