"""tvgcurate.model.rope_index: Qwen2-VL's rope positions with plain integers."""

import random

import pytest
import torch

from tvgcurate.model.loading import load_model, save_model
from tvgcurate.model.rope_index import rope_index
from tvgcurate.model.tiny import TinyConfig, build_tiny


def transformers_rope_index(model, *args, **kwargs):
    return type(model.model).get_rope_index(model.model, *args, **kwargs)


def batch(rows, pad_left: bool):
    """rows: lists of ("text", n) / ("image", (t, h, w)) / ("video", (t, h, w)) runs ->
    (input_ids, mm_token_type_ids, image_grid_thw, video_grid_thw, attention_mask)."""
    merged = []
    images, videos = [], []
    for row in rows:
        types = []
        for kind, arg in row:
            if kind == "text":
                types += [0] * arg
            else:
                t, h, w = arg
                types += [1 if kind == "image" else 2] * (t * (h // 2) * (w // 2))
                (images if kind == "image" else videos).append(list(arg))
        merged.append(types)
    length = max(len(t) for t in merged)
    ids, tt, mask = [], [], []
    for types in merged:
        pad = length - len(types)
        body = [7] * len(types)
        if pad_left:
            ids.append([0] * pad + body), tt.append([0] * pad + types)
            mask.append([0] * pad + [1] * len(types))
        else:
            ids.append(body + [0] * pad), tt.append(types + [0] * pad)
            mask.append([1] * len(types) + [0] * pad)
    return (
        torch.tensor(ids),
        torch.tensor(tt),
        torch.tensor(images) if images else None,
        torch.tensor(videos) if videos else None,
        torch.tensor(mask),
    )


def random_rows(seed: int, n: int = 5):
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        row = [("text", rng.randint(1, 9))]
        for _ in range(rng.randint(0, 6)):
            kind = rng.choice(["image", "image", "video"])
            t = 1 if kind == "image" else rng.randint(1, 3)
            row.append((kind, (t, 2 * rng.randint(1, 4), 2 * rng.randint(1, 5))))
            row.append(("text", rng.randint(1, 6)))  # <|vision_end|> at least
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def model():
    return build_tiny(TinyConfig())[0]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("pad_left", [True, False], ids=["left padding", "right padding"])
def test_equals_transformers_on_text_images_videos_and_padding(model, seed, pad_left):
    ids, tt, img, vid, mask = batch(random_rows(seed), pad_left)
    for m in (mask, None) if not pad_left else (mask,):
        got = rope_index(model.model, ids, tt, img, vid, m)
        want = transformers_rope_index(model, ids, tt, img, vid, attention_mask=m)
        assert torch.equal(got[0], want[0]) and got[0].dtype == want[0].dtype
        assert torch.equal(got[1], want[1]) and got[1].shape == want[1].shape


def test_text_only_rows(model):
    ids, tt, img, vid, mask = batch([[("text", 5)], [("text", 2)]], pad_left=True)
    got = rope_index(model.model, ids, tt, img, vid, mask)
    want = transformers_rope_index(model, ids, tt, img, vid, attention_mask=mask)
    assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])


def test_a_grid_that_does_not_match_its_tokens_is_an_error(model):
    ids, tt, img, vid, mask = batch([[("text", 2), ("image", (1, 4, 4))]], pad_left=True)
    with pytest.raises(ValueError):
        rope_index(model.model, ids, tt, torch.tensor([[1, 8, 8]]), vid, mask)


def test_tiny_models_use_it_built_and_loaded(tmp_path, model):
    assert model.model.get_rope_index.__func__ is rope_index
    _, proc = build_tiny(TinyConfig())
    save_model(model, proc, tmp_path)
    loaded, _ = load_model(tmp_path)
    assert loaded.model.get_rope_index.__func__ is rope_index
