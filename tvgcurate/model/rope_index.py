"""Qwen2-VL's 3D rope positions (`get_rope_index`) computed with plain integers.

transformers builds each row's positions from one small tensor per text run and per image
(`torch.arange`, `meshgrid`, `stack`, a 0-d tensor for every grid size): a batch of 8 rows of
16 framed stamps is some 300 runs and thousands of tiny tensor ops, about 6% of a `tiny`
training step on CPU (docs/learning.md, "Speed"). This is the same computation, run by run in
numpy, one tensor per batch; tests/model/test_rope_index.py checks it equals transformers'
on text, images, videos, padding and odd grids. It is set on Qwen2-VL models built or loaded
as `tiny` (Qwen2.5-VL's rope differs and keeps transformers' own).
"""

from __future__ import annotations

import itertools
import types


def rope_index(
    self,
    input_ids,
    mm_token_type_ids,
    image_grid_thw=None,
    video_grid_thw=None,
    attention_mask=None,
    **kwargs,
):
    """(position_ids (3, batch, seq), deltas (batch, 1)), as
    `Qwen2VLModel.get_rope_index` returns them."""
    import numpy as np
    import torch

    merge = self.config.vision_config.spatial_merge_size
    grids = {
        1: iter(image_grid_thw.tolist()) if image_grid_thw is not None else None,
        2: iter(video_grid_thw.tolist()) if video_grid_thw is not None else None,
    }
    batch, length = input_ids.shape
    types_np = mm_token_type_ids.cpu().numpy()
    keep = attention_mask.bool().cpu().numpy() if attention_mask is not None else None
    out = np.zeros((3, batch, length), dtype=np.int64)
    deltas = []
    for b in range(batch):
        row = types_np[b] if keep is None else types_np[b][keep[b]]
        parts, pos = [], 0
        for kind, run in itertools.groupby(row.tolist()):
            n = sum(1 for _ in run)
            if kind == 0:  # text: one position per token, the same on all three axes
                parts.append(np.broadcast_to(np.arange(pos, pos + n), (3, n)))
                pos += n
                continue
            t, h, w = next(grids[kind])
            lt, lh, lw = t, h // merge, w // merge
            tt, hh, ww = np.meshgrid(np.arange(lt), np.arange(lh), np.arange(lw), indexing="ij")
            parts.append(np.stack([tt, hh, ww]).reshape(3, -1) + pos)
            pos += max(h, w) // merge
        positions = np.concatenate(parts, axis=1) if parts else np.zeros((3, 0), np.int64)
        if keep is None:
            out[:, b] = positions
        else:
            out[:, b, keep[b]] = positions
        deltas.append(int(positions.max()) + 1 - len(row))
    position_ids = torch.from_numpy(out).to(device=input_ids.device, dtype=input_ids.dtype)
    return position_ids, torch.tensor(deltas, device=input_ids.device).unsqueeze(1)


def use_fast_rope_index(model) -> None:
    """Give a Qwen2-VL `model` (in place) the integer `rope_index` above."""
    inner = model.model if hasattr(model, "model") else model
    inner.get_rope_index = types.MethodType(rope_index, inner)
