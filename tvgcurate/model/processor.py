"""Tokenizer and processor without a hub and without torchvision.

Two small, tested pieces (docs/dev/stack.md explains why they exist):

* `build_tokenizer()` - a byte-level `Qwen2Tokenizer` built from a vocabulary dict: the 256
  byte tokens (no merges), the Qwen special tokens, a few ETA tags as single tokens, and a
  small chat template that understands TRL's vision message format.
* `ImageOnlyQwen2VLProcessor` - `Qwen2VLProcessor` minus the video processor. transformers'
  own processor insists on a video processor, which needs torchvision; SAA frames go in as
  separate images, so the image path (`Qwen2VLImageProcessorPil`) is all we need.

`load_processor(path)` loads a real checkpoint's processor with transformers' classes
(`AutoProcessor`, local files only) and falls back to the image-only processor when the
video processor cannot be built here (no torchvision).
"""

from __future__ import annotations

from pathlib import Path

SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
# ETA tags as single tokens: shorter sequences for a byte-level model. They decode as text.
ETA_TOKENS = ("<t>", "</t>", "<answer>", "</answer>")

PIXELS_PER_TOKEN = 28 * 28

CHAT_TEMPLATE = (
    "{%- macro body(message) -%}"
    "{%- if message['content'] is string -%}{{ message['content'] }}"
    "{%- else -%}{%- for part in message['content'] -%}"
    "{%- if part['type'] == 'image' -%}{{ '<|vision_start|><|image_pad|><|vision_end|>' }}"
    "{%- elif part['type'] == 'text' -%}{{ part['text'] }}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}{{ '<|im_end|>\\n' }}"
    "{%- endmacro -%}"
    "{%- for message in messages -%}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    # generation markers: TRL's assistant_only_loss trains on the assistant turns (and their end)
    "{%- if message['role'] == 'assistant' -%}"
    "{%- generation -%}{{ body(message) }}{%- endgeneration -%}"
    "{%- else -%}{{ body(message) }}{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
)


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map (what ByteLevel pre-tokenizers use)."""
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs), strict=True))


def byte_vocab() -> dict[str, int]:
    """256 byte tokens, then the special tokens, then the ETA tags."""
    chars = bytes_to_unicode()
    vocab = {chars[b]: b for b in range(256)}
    for tok in SPECIAL_TOKENS + ETA_TOKENS:
        vocab[tok] = len(vocab)
    return vocab


def build_tokenizer(padding_side: str = "left"):
    """A byte-level Qwen2 tokenizer that needs no files (left padding: GRPO needs it)."""
    from tokenizers import AddedToken
    from transformers import Qwen2Tokenizer

    tok = Qwen2Tokenizer(
        vocab=byte_vocab(),
        merges=[],
        unk_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        extra_special_tokens={},
        chat_template=CHAT_TEMPLATE,
    )
    tok.add_special_tokens(
        {"additional_special_tokens": [t for t in SPECIAL_TOKENS if t not in ("<|endoftext|>",)]}
    )
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in ETA_TOKENS])
    tok.padding_side = padding_side
    return tok


def image_processor(min_tokens: int = 1, max_tokens: int = 768):
    """The PIL image processor, batched over frames of one size (`image_batch`); pixel limits
    in 28x28 tokens so SAA's sizes pass unchanged."""
    from tvgcurate.model.image_batch import frames_image_processor_class

    return frames_image_processor_class()(
        min_pixels=min_tokens * PIXELS_PER_TOKEN, max_pixels=max_tokens * PIXELS_PER_TOKEN
    )


def _processor_class():
    from transformers import Qwen2VLProcessor
    from transformers.processing_utils import ProcessorMixin

    class ImageOnlyQwen2VLProcessor(Qwen2VLProcessor):
        """Qwen2VLProcessor whose sub-processors are an image processor and a tokenizer only."""

        def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
            self.image_token = getattr(tokenizer, "image_token", None) or "<|image_pad|>"
            self.video_token = getattr(tokenizer, "video_token", None) or "<|video_pad|>"
            self.image_token_id = tokenizer.convert_tokens_to_ids(self.image_token)
            self.video_token_id = tokenizer.convert_tokens_to_ids(self.video_token)
            ProcessorMixin.__init__(self, image_processor, tokenizer, chat_template=chat_template)

        def _adjust_assistant_masks_indices(self, processed_dict, generation_indices):
            return assistant_masks(processed_dict, generation_indices)

    return ImageOnlyQwen2VLProcessor


def assistant_masks(processed: dict, generation_indices: list[list]) -> dict:
    """transformers' `ProcessorMixin._adjust_assistant_masks_indices` (the assistant-token mask
    of `apply_chat_template(return_assistant_tokens_mask=True)`, which TRL's
    assistant_only_loss reads), vectorised with numpy: the same masks, but transformers loops
    over every token of every span in Python (about 90 ms of each 8-row multi-turn batch of
    `tiny`, more than a sixth of a training step; docs/learning.md, "Speed")."""
    import bisect

    import numpy as np

    offsets = processed.pop("offset_mapping")
    input_ids = processed["input_ids"]
    shifts = processed.pop("text_replacement_offsets", None) or [[] for _ in input_ids]
    masks = []
    for i in range(len(input_ids)):
        spans = np.asarray(offsets[i]).reshape(-1, 2)
        tok_start, tok_end = spans[:, 0], spans[:, 1]
        mask = np.zeros(len(input_ids[i]), dtype=bool)
        ends = [r["span"][1] for r in shifts[i]]
        gained = [0] + [r["new_span"][1] - r["span"][1] for r in shifts[i]]
        for span in generation_indices[i]:
            # shift the span past the placeholders expanded before it (image tokens)
            start, end = (c + gained[bisect.bisect_right(ends, c)] for c in span)
            mask |= (tok_start < end) & (tok_end > start)  # every token overlapping the span
        masks.append(mask.astype(int).tolist())
    processed["assistant_masks"] = masks
    return processed


def build_processor(tokenizer=None, max_tokens: int = 768):
    """The tiny model's processor: project tokenizer + PIL image processor, no video processor."""
    tokenizer = tokenizer if tokenizer is not None else build_tokenizer()
    cls = _processor_class()
    return cls(
        image_processor=image_processor(max_tokens=max_tokens),
        tokenizer=tokenizer,
        chat_template=tokenizer.chat_template,
    )


def load_processor(path: str | Path, padding_side: str = "left"):
    """Load a checkpoint's processor from local files.

    A directory written by this project (`tvgcurate_processor.json` marker) is rebuilt as the
    image-only processor. Anything else goes through `AutoProcessor`; when its video
    processor cannot be built (ImportError: no torchvision) the tokenizer and image processor
    are loaded on their own and joined into the image-only processor.
    """
    from transformers import AutoProcessor, AutoTokenizer

    path = Path(path)
    if (path / MARKER).exists():
        tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
        proc = build_processor(tok)
        proc.image_processor = image_processor_from(path)
    else:
        try:
            proc = AutoProcessor.from_pretrained(path, local_files_only=True)
        except (ImportError, TypeError, ValueError):
            tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
            cls = _processor_class()
            proc = cls(
                image_processor=image_processor_from(path),
                tokenizer=tok,
                chat_template=getattr(tok, "chat_template", None),
            )
    proc.tokenizer.padding_side = padding_side
    return proc


def image_processor_from(path: Path):
    from tvgcurate.model.image_batch import frames_image_processor_class

    return frames_image_processor_class().from_pretrained(path, local_files_only=True)


MARKER = "tvgcurate_processor.json"


def save_processor(processor, path: str | Path) -> None:
    """Save tokenizer, image processor and a marker that `load_processor` recognises."""
    import json

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    processor.tokenizer.save_pretrained(path)
    processor.image_processor.save_pretrained(path)
    (path / MARKER).write_text(json.dumps({"kind": "image-only-qwen2-vl"}) + "\n")
