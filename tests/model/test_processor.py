import pytest
from PIL import Image

from tvgcurate.model.processor import (
    ETA_TOKENS,
    SPECIAL_TOKENS,
    build_processor,
    build_tokenizer,
    load_processor,
    save_processor,
)


@pytest.fixture(scope="module")
def processor():
    return build_processor()


def test_tokenizer_round_trips_any_text():
    tok = build_tokenizer()
    text = "héllo <t>0012.5</t> <answer>none</answer> 日本 \n\t!"
    assert tok.decode(tok(text).input_ids) == text
    for t in SPECIAL_TOKENS + ETA_TOKENS:
        ids = tok(t, add_special_tokens=False).input_ids
        assert len(ids) == 1, t
    assert tok.padding_side == "left"
    assert tok.eos_token == "<|im_end|>"


def test_eta_tags_survive_decoding_without_specials():
    tok = build_tokenizer()
    ids = tok("<answer>none</answer><|im_end|>").input_ids
    assert tok.decode(ids, skip_special_tokens=True) == "<answer>none</answer>"


def test_chat_template_interleaves_images(processor):
    msgs = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "<t>1.0</t>"},
                {"type": "image"},
                {"type": "text", "text": "q"},
            ],
        }
    ]
    text = processor.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    assert text == (
        "<|im_start|>user\n<t>1.0</t><|vision_start|><|image_pad|><|vision_end|>q"
        "<|im_end|>\n<|im_start|>assistant\n"
    )


def test_no_video_processor_and_per_image_sizes(processor):
    assert not hasattr(processor, "video_processor")
    text = "<|vision_start|><|image_pad|><|vision_end|>" * 3
    imgs = [Image.new("RGB", (56, 56)), Image.new("RGB", (112, 56)), Image.new("RGB", (28, 84))]
    out = processor(text=[text], images=imgs, return_tensors="pt")
    grids = out["image_grid_thw"].tolist()
    # a 28x28 px area is one token after the 2x2 merge: sizes pass through unchanged
    assert [h * w // 4 for _, h, w in grids] == [4, 8, 3]
    n_img_tokens = int((out["input_ids"] == processor.image_token_id).sum())
    assert n_img_tokens == 15
    assert int((out["mm_token_type_ids"] == 1).sum()) == 15


def test_save_and_load(tmp_path, processor):
    save_processor(processor, tmp_path)
    again = load_processor(tmp_path)
    text = "<t>3.0</t> hello"
    assert again.tokenizer(text).input_ids == processor.tokenizer(text).input_ids
    assert again.chat_template == processor.chat_template
    assert again.image_processor.size == processor.image_processor.size
    assert not hasattr(again, "video_processor")


def _conversation_batch():
    """Two multi-turn rows with images, as TRL's assistant_only_loss collates them."""
    img = Image.new("RGB", (56, 56), (200, 30, 30))

    def turn(role, text, images=0):
        content = [{"type": "image"} for _ in range(images)] + [{"type": "text", "text": text}]
        return {"role": role, "content": content}

    rows = [
        [turn("user", "<t>0.0</t>the red circle", 2), turn("assistant", "<answer>0 to 1</answer>"),
         turn("user", "a blue star"), turn("assistant", "<answer>none</answer>")],
        [turn("user", "q", 1), turn("assistant", "yes")],
    ]  # fmt: skip
    return rows, [[img, img], [img]]


def test_assistant_masks_match_transformers_own(processor):
    """The vectorised mask (processor.assistant_masks) is transformers' loop, token for token."""
    from transformers.processing_utils import ProcessorMixin

    rows, images = _conversation_batch()
    kw = dict(tokenize=True, return_dict=True, return_assistant_tokens_mask=True, padding=True)
    ours = processor.apply_chat_template(rows, images=images, **kw)
    cls = type(processor)
    fast = cls.__dict__["_adjust_assistant_masks_indices"]
    try:
        cls._adjust_assistant_masks_indices = ProcessorMixin._adjust_assistant_masks_indices
        theirs = processor.apply_chat_template(rows, images=images, **kw)
    finally:
        cls._adjust_assistant_masks_indices = fast
    assert ours["assistant_masks"] == theirs["assistant_masks"]
    tok = processor.tokenizer
    first = [t for t, m in zip(ours["input_ids"][0], ours["assistant_masks"][0]) if m]
    # both answers and their ends are trained, nothing of the user turns or images
    want = "<answer>0 to 1</answer><|im_end|>\n<answer>none</answer><|im_end|>\n"
    assert tok.decode(first) == want
    assert sum(ours["assistant_masks"][1]) == len(tok.encode("yes<|im_end|>\n"))
