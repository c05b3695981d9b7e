"""Training rows for TRL from ModelInputs, and the irrelevant-row share (PIR mixing)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from tvgcurate.model.inputs import ModelInput


def mix(
    inputs: Sequence[ModelInput], irrelevant_share: float | None, seed: int
) -> list[ModelInput]:
    """Keep every relevant row and enough irrelevant/partial rows for `irrelevant_share`.

    share s with R relevant rows asks for s/(1-s)*R irrelevant ones, drawn without
    replacement with `seed` (all of them when there are fewer). None keeps the input as is.
    """
    if irrelevant_share is None:
        return list(inputs)
    rel = [m for m in inputs if m.relevance == "relevant"]
    irr = [m for m in inputs if m.relevance != "relevant"]
    want = round(irrelevant_share / (1.0 - irrelevant_share) * len(rel)) if rel else len(irr)
    rng = random.Random(seed)
    chosen = rng.sample(irr, min(want, len(irr)))
    out = rel + chosen
    rng.shuffle(out)
    return out


def sft_rows(inputs: Sequence[ModelInput]) -> list[dict]:
    """Prompt-completion rows in TRL's conversational vision format."""
    return [
        {
            "prompt": m.prompt,
            "completion": [{"role": "assistant", "content": [{"type": "text", "text": m.target}]}],
            "images": m.images,
        }
        for m in inputs
    ]


def grpo_rows(inputs: Sequence[ModelInput]) -> list[dict]:
    """Prompt rows plus the columns the rewards read (no None: empty list for no windows)."""
    return [
        {
            "prompt": m.prompt,
            "images": m.images,
            "sample_id": m.sample_id,
            "gt_windows": [list(map(float, w)) for w in m.gt_windows],
            "relevance": m.relevance,
            "duration_s": float(m.duration_s or 0.0),
        }
        for m in inputs
    ]


def _png(image) -> dict:
    import io

    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)  # lossless and fast; default level is slow
    return {"bytes": buf.getvalue(), "path": None}


def to_dataset(rows: list[dict]):
    """A datasets.Dataset whose `images` column is a sequence of datasets.Image."""
    import datasets

    if not rows:
        raise ValueError("no training rows")
    rows = [{**r, "images": [_png(im) for im in r["images"]]} for r in rows]
    ds = datasets.Dataset.from_list(rows)
    return ds.cast_column("images", datasets.List(datasets.Image()))
