"""Qwen2-VL's vision attention over frames of one size, as one batched call.

Without flash-attn (CPU never has it) transformers runs the vision tower's attention once per
image: a batch of 8 rows of 10 frames is 80 small calls per layer, forward and backward. Frames
of one size (tiny's always are) make the block-diagonal attention a batch of equal blocks, so
one `scaled_dot_product_attention` call computes the same thing. transformers has no such
implementation, so it is registered here through its `AttentionInterface`; the name contains
"flash" because that is what makes the vision tower pass the images' boundaries (cu_seqlens).
It is set on the vision config only; the language model keeps its own attention.
"""

from __future__ import annotations

NAME = "flash_tvg_equal_frames"


def equal_frames_attention(
    module, query, key, value, attention_mask=None, scaling=None, dropout=0.0, **kwargs
):
    """(1, heads, S, d) queries over images of the lengths in `cu_seq_lens_q` ->
    ((1, S, heads, d), None), as transformers' attention functions return it."""
    import torch
    import torch.nn.functional as F

    cu = kwargs["cu_seq_lens_q"]
    lengths = cu[1:] - cu[:-1]
    _, heads, total, dim = query.shape
    if bool((lengths == lengths[0]).all()):
        n, size = lengths.numel(), int(lengths[0])
        q, k, v = (t.view(heads, n, size, dim).transpose(0, 1) for t in (query, key, value))
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, scale=scaling)
        return out.permute(0, 2, 1, 3).reshape(1, total, heads, dim), None
    outs = [  # images of different sizes: one call each, as transformers does
        F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, scale=scaling)
        for q, k, v in zip(*(torch.split(t, lengths.tolist(), dim=2) for t in (query, key, value)))
    ]
    return torch.cat(outs, dim=2).transpose(1, 2), None


def use_equal_frames_attention(model) -> None:
    """Run `model`'s vision tower with `equal_frames_attention` (a Qwen2-VL; in place)."""
    from transformers import AttentionInterface

    AttentionInterface.register(NAME, equal_frames_attention)
    model.config.vision_config._attn_implementation = NAME  # the tower's modules share it
