"""The backend protocol, the `BACKENDS` registry and the refusal score's arithmetic.

The refusal score (docs/dev/architecture.md §4) is read at the *decision point*: the prompt plus the
answer's opening tag, where the model either starts the refusal word or the first digit of
a window. Over the next-token distribution restricted to those choices,

    refusal_score = p(refusal's first token) / (p(refusal's first token) + sum_d p(digit d))

so 1 means "certainly refuses" and 0 "certainly answers with a window"; the threshold that
turns it into a decision lives in `tvgcurate.metrics` (refusal_threshold_at_frr), apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tvgcurate.model.eta import REFUSAL_WORD
from tvgcurate.registry import Registry


@dataclass(frozen=True)
class GenOptions:
    """How a backend decodes (the generation part of ScoreConfig)."""

    num_samples: int = 1
    temperature: float = 1.0
    max_new_tokens: int = 32
    batch_size: int = 8
    seed: int = 0
    dtype: str = "float32"


@dataclass
class Generation:
    """What a backend returns for one sample."""

    texts: list[str]  # K answer texts (greedy: one)
    refusal_score: float | None  # P(refusal) against the best answer at the decision point
    window_text: str | None  # "<answer>..." decoded with the refusal's first token suppressed


class Backend:
    """Generates answers for batches of ModelInputs. A subclass sets `name`, registers itself
    with `@BACKENDS.register()` and implements `generate`."""

    name = "base"

    def __init__(self, model_dir: Path, opts: GenOptions):
        self.model_dir, self.opts = Path(model_dir), opts

    def generate(self, inputs: Sequence) -> list[Generation]:
        raise NotImplementedError


BACKENDS: Registry[type[Backend]] = Registry("score backend", package="tvgcurate.model.backends")


def get_backend(name: str, model_dir: Path, opts: GenOptions) -> Backend:
    """A backend instance by name (an unknown name lists the choices)."""
    return BACKENDS.get(name)(model_dir, opts)


def decision_tokens(tokenizer) -> tuple[int, list[int]]:
    """(first token id of the refusal word, the ids of the digits 0-9) for `tokenizer`.

    The refusal word and each digit are encoded on their own; a tokenizer that merges them
    with the tag before them would need its own decision point (Qwen2's does not: digits are
    always single tokens)."""
    refuse = tokenizer.encode(REFUSAL_WORD, add_special_tokens=False)[0]
    digits = [tokenizer.encode(str(d), add_special_tokens=False)[0] for d in range(10)]
    return refuse, sorted(set(digits) - {refuse})


def refusal_probability(logprobs: dict[int, float], refuse_id: int, digit_ids: Sequence[int]):
    """The refusal score from next-token log-probabilities (or logits) by token id.

    Ids that are absent (a top-k list that left them out) count as probability 0; None when
    neither the refusal nor any digit is present.

    >>> round(refusal_probability({1: math.log(0.3), 2: math.log(0.1), 3: math.log(0.1)}, 1, [2, 3]), 3)
    0.6
    """
    vals = [logprobs.get(refuse_id)] + [logprobs.get(d) for d in digit_ids]
    present = [v for v in vals if v is not None and math.isfinite(v)]
    if not present:
        return None
    top = max(present)
    mass = [math.exp(v - top) if v is not None and math.isfinite(v) else 0.0 for v in vals]
    return mass[0] / sum(mass)
