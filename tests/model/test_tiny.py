"""The tiny Qwen2-VL: real class, offline, visual tokens on the text embeddings' scale."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tvgcurate.model.tiny import TinyConfig, build_tiny  # noqa: E402


def _visual_rms(model, seed: int) -> float:
    grid = torch.tensor([[1, 4, 4]])
    gen = torch.Generator().manual_seed(seed)
    pixels = torch.randn(16, 3 * 2 * 14 * 14, generator=gen)
    with torch.no_grad():
        tokens = model.model.visual(pixels, grid_thw=grid).pooler_output
    return float(tokens.pow(2).mean().sqrt())


def _text_rms(model) -> float:
    return float(model.model.language_model.embed_tokens.weight.detach().pow(2).mean().sqrt())


def test_visual_tokens_start_on_the_text_scale():
    model, _ = build_tiny(TinyConfig())
    ratio = _visual_rms(model, seed=1) / _text_rms(model)  # other pixels than the calibration
    assert 0.7 < ratio < 1.4


def test_without_matching_visual_tokens_are_larger():
    model, _ = build_tiny(TinyConfig(match_visual_scale=False))
    assert _visual_rms(model, seed=1) / _text_rms(model) > 2.0


def test_tiny_is_the_real_class_and_deterministic():
    from transformers import Qwen2VLForConditionalGeneration

    a, _ = build_tiny(TinyConfig(seed=3))
    b, _ = build_tiny(TinyConfig(seed=3))
    assert type(a) is Qwen2VLForConditionalGeneration
    for (na, pa_), (_, pb) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert torch.equal(pa_, pb), na
