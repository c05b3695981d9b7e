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


def test_frequent_words_counts_letters_only_with_ties_by_name():
    from tvgcurate.model.tiny import frequent_words

    queries = ["When is the red circle?", "the blue square", "the red star", "a 3 x"]
    assert frequent_words(queries, 3) == ["the", "red", "When"]
    assert frequent_words([], 5) == []


def test_whole_word_tokens_are_one_token_each_and_survive_a_save(tmp_path):
    from tvgcurate.model.loading import load_model, save_model

    model, proc = build_tiny(TinyConfig(words=["red", "circle"]))
    plain, plain_proc = build_tiny(TinyConfig())
    tok = proc.tokenizer
    assert model.get_input_embeddings().weight.shape[0] == len(plain_proc.tokenizer) + 2
    ids = tok.encode("the red circle", add_special_tokens=False)
    assert tok.convert_tokens_to_ids("red") in ids and tok.convert_tokens_to_ids("circle") in ids
    assert len(ids) < len(plain_proc.tokenizer.encode("the red circle", add_special_tokens=False))
    # a whole word only: "reddish" is not split into "red" + "dish"
    assert tok.convert_tokens_to_ids("red") not in tok.encode("reddish", add_special_tokens=False)
    save_model(model, proc, tmp_path / "m")
    _, again = load_model(tmp_path / "m")
    assert again.tokenizer.encode("the red circle", add_special_tokens=False) == ids
