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
