"""Token budgets: split a total visual-token budget over a video's sampled frames.

A policy turns per-frame weights into integer token counts; `grid_size` turns a token
count into a (height, width) in pixels, both multiples of 28 (one token = 28x28 px),
keeping the source aspect ratio.

Invariants (property-tested):
- ``sum(tokens) <= budget`` always;
- every kept frame gets ``min_tokens <= allocated <= max_tokens``; the token count of its
  (height, width) grid is ``<= allocated`` (rounding to the grid only ever goes down);
- when ``frames * min_tokens > budget`` the policy keeps only ``budget // min_tokens``
  frames (the highest weights for `adaptive`, evenly spaced ones for `uniform`); the
  others get 0 tokens and a 0x0 size, meaning "not shown to the model".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tvgcurate.registry import Registry
from tvgcurate.schemas.constants import DEFAULT_BUDGET_TOKENS

PATCH = 28

POLICIES: Registry[type[BudgetPolicy]] = Registry("budget policy")


def get_policy(name: str) -> BudgetPolicy:
    """A budget policy instance by name (an unknown name lists the choices)."""
    return POLICIES.get(name)()


@dataclass(frozen=True)
class Budget:
    total: int = DEFAULT_BUDGET_TOKENS
    min_tokens: int = 16
    max_tokens: int = 768

    def __post_init__(self) -> None:
        if self.min_tokens < 1:
            raise ValueError("min_tokens must be >= 1")
        if self.max_tokens < self.min_tokens:
            raise ValueError(
                f"max_tokens ({self.max_tokens}) must be >= min_tokens ({self.min_tokens})"
            )
        if self.total < self.min_tokens:
            raise ValueError(
                f"budget ({self.total}) must be at least min_tokens ({self.min_tokens})"
            )


class BudgetPolicy:
    """Turns weights (>= 0, one per frame) into integer tokens with sum <= budget."""

    name = "base"

    def weights(self, weights: np.ndarray) -> np.ndarray:
        """The weights this policy allocates by (hook; identity by default)."""
        return weights

    def keep(self, weights: np.ndarray, k: int) -> np.ndarray:
        """Indices of the k frames to keep when not every frame can get min_tokens."""
        order = np.lexsort((np.arange(len(weights)), -weights))
        return np.sort(order[:k])

    def allocate(self, weights: np.ndarray, budget: Budget) -> np.ndarray:
        w = np.nan_to_num(np.asarray(weights, dtype=np.float64), nan=0.0, posinf=1.0)
        w = np.clip(self.weights(w), 0.0, None)
        n = len(w)
        tokens = np.zeros(n, dtype=np.int64)
        if n == 0:
            return tokens
        capacity = budget.total // budget.min_tokens
        kept = np.arange(n) if n <= capacity else self.keep(w, capacity)
        tokens[kept] = water_fill(w[kept], budget.total, budget.min_tokens, budget.max_tokens)
        return tokens


@POLICIES.register()
class AdaptivePolicy(BudgetPolicy):
    """Tokens in proportion to the weights (change scores plus boundary boosts).

    A small floor (1% of the largest weight) keeps still frames from being pinned at
    `min_tokens` while budget is left over.
    """

    name = "adaptive"

    def weights(self, weights: np.ndarray) -> np.ndarray:
        top = float(weights.max()) if len(weights) else 0.0
        return weights + 0.01 * top


@POLICIES.register()
class UniformPolicy(BudgetPolicy):
    """Equal tokens per frame (the ablation baseline); ignores the weights."""

    name = "uniform"

    def weights(self, weights: np.ndarray) -> np.ndarray:
        return np.ones_like(weights)

    def keep(self, weights: np.ndarray, k: int) -> np.ndarray:
        n = len(weights)
        return np.unique(np.floor((np.arange(k) + 0.5) * n / k).astype(np.int64))


def water_fill(weights: np.ndarray, total: int, lo: int, hi: int) -> np.ndarray:
    """Integer allocation t_i = clip(lambda * w_i, lo, hi) with sum(t) <= total.

    Needs ``len(weights) * lo <= total``. What the caps clip is poured into the other
    frames (lambda is raised until the budget or every cap is reached). Zero weights
    still get `lo`; all-zero weights fall back to equal shares.
    """
    n = len(weights)
    assert n * lo <= total, "caller keeps at most total // lo frames"
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    target = min(total, n * hi)
    top = float(weights.max())
    w = weights / top if top > 0 else np.ones(n)
    w = np.where(w < 1e-9, 0.0, w)  # denormal weights would overflow lambda
    pos = w > 0

    def filled(lam: float) -> np.ndarray:
        return np.clip(lam * w, lo, hi)

    if filled(0.0).sum() >= target:
        cont = filled(0.0)
    else:
        lam_hi = hi / w[pos].min()  # every positive weight at its cap
        if filled(lam_hi).sum() <= target:
            cont = filled(lam_hi)
        else:
            lam_lo = 0.0
            for _ in range(100):
                mid = 0.5 * (lam_lo + lam_hi)
                if filled(mid).sum() <= target:
                    lam_lo = mid
                else:
                    lam_hi = mid
            cont = filled(lam_lo)
    out = np.floor(cont).astype(np.int64)
    out = np.clip(out, lo, hi)
    # Hand out what flooring left, largest remainders first, never past a cap.
    spare = int(target - out.sum())
    if spare > 0:
        frac = cont - np.floor(cont)
        for i in np.lexsort((np.arange(n), -frac)):
            if spare <= 0:
                break
            if out[i] < hi:
                out[i] += 1
                spare -= 1
    while out.sum() > total:  # defensive; cannot happen when n * lo <= total
        out[int(np.argmax(out))] -= 1
    return out


def grid_size(tokens: int, width: int, height: int) -> tuple[int, int]:
    """(height, width) in px, multiples of 28, with (h/28)*(w/28) <= tokens, near the aspect.

    Scales the source by one factor (as Qwen2-VL's smart_resize does), floors each side to
    the grid, then takes the best +1 bump on either side that still fits. 0 tokens -> (0, 0).
    """
    if tokens <= 0:
        return 0, 0
    width, height = max(int(width or 1), 1), max(int(height or 1), 1)
    aspect = width / height
    gh = max(1, math.floor(math.sqrt(tokens / aspect)))
    gw = max(1, min(math.floor(math.sqrt(tokens * aspect)), tokens // gh))
    best = (gh * gw, -abs(math.log((gw / gh) / aspect)), gh, gw)
    for dh, dw in ((1, 0), (0, 1), (1, 1)):
        h2, w2 = gh + dh, gw + dw
        err = abs(math.log((w2 / h2) / aspect))
        if h2 * w2 <= tokens and err <= max(0.2, -best[1]):
            best = max(best, (h2 * w2, -err, h2, w2))
    _, _, gh, gw = best
    return gh * PATCH, gw * PATCH
