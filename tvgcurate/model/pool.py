"""K sampled answers to one query pooled into ranked windows, a refusal vote and their spread.

Each distinct window is ranked by its mean IoU with the K answers (consensus), `refused` is
the majority vote, and the disagreement is kept for the audit:

* ``iou_spread`` = 1 - mean pairwise agreement of the K answers, where two windows agree by
  their IoU, two refusals agree fully and a refusal or an unparseable answer agrees with
  nothing else (0: all K agree; 1: no two agree); null for K = 1;
* ``refusal_rate`` = share of the K answers that refuse.

An answer's window is `tvgcurate.schemas.sample.answer_window` (clipped to [0, duration]).
"""

from __future__ import annotations

from itertools import combinations

from tvgcurate.model.eta import parse_answer
from tvgcurate.model.rewards import window_iou
from tvgcurate.schemas.sample import answer_window


def pool_answers(texts: list[str], duration: float | None = None) -> dict:
    """Pool K answer texts into ranked windows, a refusal vote and the IoU spread.

    >>> r = pool_answers(["<answer>1 to 3</answer>", "<answer>1 to 3</answer>", "<answer>none</answer>"])
    >>> r["windows"], r["refused"], round(r["iou_spread"], 3), r["refusal_rate"]
    ([{'start': 1.0, 'end': 3.0, 'score': 0.667}], False, 0.667, 0.333)
    >>> pool_answers(["garbage", "garbage"])["iou_spread"]
    1.0
    """
    wins: list = []  # (start, end) | "refused" | None (no valid answer)
    for a in (parse_answer(t) for t in texts):
        wins.append("refused" if a is not None and a.refused else answer_window(a, duration))
    k = len(texts)
    n_ref = wins.count("refused")
    answered = [w for w in wins if isinstance(w, tuple)]
    ranked = []
    for w in dict.fromkeys(answered):  # distinct, first-seen order
        score = sum(window_iou(w, o) for o in answered) / k
        ranked.append({"start": w[0], "end": w[1], "score": round(score, 3)})
    ranked.sort(key=lambda r: -r["score"])
    spread = None
    if k > 1:
        pairs = list(combinations(wins, 2))
        spread = 1.0 - sum(_agreement(a, b) for a, b in pairs) / len(pairs)
    return {
        "windows": ranked,
        "refused": n_ref > k / 2,
        "iou_spread": spread,
        "refusal_rate": round(n_ref / k, 3),
    }


def _agreement(a, b) -> float:
    """IoU of two pooled answers; two refusals agree fully, anything invalid agrees with nothing."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return window_iou(a, b)
    return 1.0 if a == b == "refused" else 0.0
