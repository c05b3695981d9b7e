"""The `tiny` model: a small, randomly initialised Qwen2-VL of the real class, built offline.

Same class, same processor path and same chat format as a real Qwen2-VL checkpoint, so every
code path that trains or scores `tiny` on CPU is the one a 7B run takes on GPUs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from tvgcurate.keyvalue import setting


@dataclass
class TinyConfig:
    """Sizes of the tiny Qwen2-VL (defaults: about 0.9M parameters; 1.3M in docs/dev/stack.md)."""

    hidden_size: int = setting(128, "Text hidden size.")
    num_layers: int = setting(4, "Text decoder layers.")
    num_heads: int = setting(4, "Attention heads (head dim = hidden/heads).")
    num_kv_heads: int = setting(2, "Key/value heads (GQA).")
    intermediate_size: int = setting(256, "Text MLP width.")
    vision_depth: int = setting(2, "Vision transformer blocks.")
    vision_embed_dim: int = setting(64, "Vision embedding width.")
    vision_heads: int = setting(2, "Vision attention heads.")
    seed: int = setting(0, "Initialisation seed.")
    initializer_range: float | None = setting(
        None,
        "Std of the random weights (None: transformers' 0.02, tuned for wide "
        "models; 1/sqrt(hidden_size) suits a narrow one).",
    )
    words: list[str] = setting(
        factory=list,
        help="Whole-word tokens added to tiny's byte-level tokenizer (a real BPE "
        "vocabulary has one token for a common word; byte-level spells it out).",
    )
    word_tokens: int = setting(
        0,
        "Also add the N most frequent words of the training queries as whole-word "
        "tokens (`tvgcurate train`; docs/learning.md, run E: they help tiny bind words).",
    )
    prompt_words: bool = setting(
        False,
        "Also add the words of the text the project writes around the queries (chat "
        "roles, the prompt template, the pretraining questions, yes/no and the refusal) as "
        "whole-word tokens (`tvgcurate train`): spelt out byte by byte they were over a third "
        'of a pretraining row\'s tokens (docs/learning.md, "Speed").',
    )
    match_visual_scale: bool = setting(
        True,
        "Scale the vision merger's last layer so visual tokens start at the RMS of "
        "the text embeddings (random init otherwise makes them about 3x larger).",
    )

    def __post_init__(self):
        if self.hidden_size % self.num_heads:
            raise ValueError(
                f"hidden_size {self.hidden_size} must be divisible by num_heads {self.num_heads}"
            )
        if (self.hidden_size // self.num_heads) % 8:
            raise ValueError("head dim (hidden_size / num_heads) must be a multiple of 8 for mrope")
        if self.num_heads % self.num_kv_heads:
            raise ValueError("num_heads must be a multiple of num_kv_heads")


WORD = r"[A-Za-z]{2,}"  # a word of frequent_words and words_of: letters only, 2+ characters


def frequent_words(queries, n: int) -> list[str]:
    """The `n` most frequent words (letters only, 2+ characters) of `queries`; ties by name."""
    import re
    from collections import Counter

    counts = Counter(w for q in queries for w in re.findall(WORD, q or ""))
    return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def words_of(texts) -> list[str]:
    """The distinct words (letters only, 2+ characters) of `texts`, in order of appearance."""
    import re

    return list(dict.fromkeys(w for t in texts for w in re.findall(WORD, t or "")))


def mrope_section(head_dim: int) -> list[int]:
    """Split head_dim/2 rotary frequencies over (time, height, width) like Qwen2-VL (16/24/24)."""
    half = head_dim // 2
    t = half // 4
    h = (half - t) // 2
    return [t, h, half - t - h]


def tiny_model_config(tokenizer, cfg: TinyConfig | None = None):
    from transformers import Qwen2VLConfig

    cfg = cfg or TinyConfig()
    ids = tokenizer.convert_tokens_to_ids
    head_dim = cfg.hidden_size // cfg.num_heads
    text = dict(
        vocab_size=len(tokenizer),
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        num_key_value_heads=cfg.num_kv_heads,
        max_position_embeddings=8192,
        rope_parameters={
            "rope_type": "default",
            "rope_theta": 10000.0,
            "mrope_section": mrope_section(head_dim),
        },
        bos_token_id=ids("<|endoftext|>"),
        eos_token_id=ids("<|im_end|>"),
        pad_token_id=tokenizer.pad_token_id,
    )
    if cfg.initializer_range is not None:
        text["initializer_range"] = cfg.initializer_range
    vision = dict(
        depth=cfg.vision_depth,
        embed_dim=cfg.vision_embed_dim,
        hidden_size=cfg.hidden_size,
        num_heads=cfg.vision_heads,
        mlp_ratio=2,
        patch_size=14,
        spatial_merge_size=2,
        temporal_patch_size=2,
    )
    if cfg.initializer_range is not None:
        vision["initializer_range"] = cfg.initializer_range
    config = Qwen2VLConfig(
        text_config=text,
        vision_config=vision,
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
        tie_word_embeddings=False,
    )
    if cfg.initializer_range is not None:
        config.initializer_range = cfg.initializer_range
    return config


def match_visual_scale(model, patches: int = 64) -> float:
    """Rescale `visual.merger`'s output layer so that visual tokens of random pixels have the
    RMS of the text embedding table; returns the factor applied (deterministic per seed)."""
    import torch

    visual = model.model.visual
    vcfg = model.config.vision_config
    side = int(patches**0.5)
    grid = torch.tensor([[1, side, side]])
    dim = 3 * vcfg.temporal_patch_size * vcfg.patch_size**2
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        out = visual(torch.randn(side * side, dim, generator=gen), grid_thw=grid)
        tokens = out.pooler_output if hasattr(out, "pooler_output") else out
        img_rms = tokens.pow(2).mean().sqrt()
        text_rms = model.model.language_model.embed_tokens.weight.pow(2).mean().sqrt()
        factor = float(text_rms / img_rms)
        last = visual.merger.mlp[-1]
        last.weight.mul_(factor)
        if last.bias is not None:
            last.bias.mul_(factor)
    return factor


def build_tiny(cfg: TinyConfig | None = None):
    """Return (model, processor): a random Qwen2VLForConditionalGeneration and its processor."""
    import torch
    from transformers import GenerationConfig, Qwen2VLForConditionalGeneration

    from tvgcurate.model.processor import build_processor

    cfg = cfg or TinyConfig()
    processor = build_processor()
    tok = processor.tokenizer
    if cfg.words:
        from tokenizers import AddedToken

        tok.add_tokens([AddedToken(w, normalized=False, single_word=True) for w in cfg.words])
    torch.manual_seed(cfg.seed)
    model = Qwen2VLForConditionalGeneration(tiny_model_config(tok, cfg))
    if cfg.match_visual_scale:
        match_visual_scale(model)
    model.generation_config = GenerationConfig(
        eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tok.pad_token_id,
        do_sample=False,
    )
    model.config.tvgcurate_tiny = asdict(cfg)
    speed_up(model)
    return model, processor


def speed_up(model, vision_attention: bool = True) -> None:
    """tiny's CPU speed-ups, the same computation as transformers' (in place): the vision
    attention over all frames in one call (unless `vision_attention` is False, e.g. with
    flash-attn) and the integer rope positions."""
    from tvgcurate.model.rope_index import use_fast_rope_index
    from tvgcurate.model.vision_attention import use_equal_frames_attention

    if vision_attention:
        use_equal_frames_attention(model)  # tiny's frames are of one size
    use_fast_rope_index(model)
