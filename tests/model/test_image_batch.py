"""tvgcurate.model.image_batch: frames of one size as one array, the same pixel values."""

import json

import numpy as np
import pytest
from PIL import Image
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

from tvgcurate.model.processor import PIXELS_PER_TOKEN, image_processor, load_processor
from tvgcurate.model.tiny import TinyConfig, build_tiny


def frames(sizes, seed=0):
    rng = np.random.default_rng(seed)
    return [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for h, w in sizes]


def both(images, **kw):
    limits = dict(min_pixels=PIXELS_PER_TOKEN, max_pixels=768 * PIXELS_PER_TOKEN)
    ours = image_processor()(images=images, return_tensors="np", **kw)
    theirs = Qwen2VLImageProcessorPil(**limits)(images=images, return_tensors="np", **kw)
    return ours, theirs


@pytest.mark.parametrize(
    "sizes",
    [
        [(56, 56)] * 12,  # tiny's frames: one size, no resize (the batched path)
        [(56, 84)] * 3,
        [(28, 28)],
        [(56, 56), (84, 56), (56, 56)],  # sizes differ: transformers' loop
        [(50, 61)] * 4,  # needs a resize: transformers' loop
    ],
    ids=["one size", "wide", "one image", "mixed sizes", "resized"],
)
def test_same_pixel_values_and_grids_as_transformers(sizes):
    ours, theirs = both(frames(sizes))
    assert ours["pixel_values"].dtype == theirs["pixel_values"].dtype == np.float32
    assert np.array_equal(ours["pixel_values"], theirs["pixel_values"])  # bit for bit
    assert np.array_equal(ours["image_grid_thw"], theirs["image_grid_thw"])


def test_without_rescale_or_normalize_too():
    images = frames([(56, 56)] * 3)
    for kw in ({"do_rescale": False}, {"do_normalize": False}, {"image_mean": 0.5}):
        ours, theirs = both(images, **kw)
        assert np.array_equal(ours["pixel_values"], theirs["pixel_values"]), kw


def test_a_saved_processor_names_transformers_class_and_loads_back_batched(tmp_path):
    from tvgcurate.model.loading import save_model

    model, proc = build_tiny(TinyConfig())
    save_model(model, proc, tmp_path)
    saved = json.loads((tmp_path / "preprocessor_config.json").read_text())
    assert saved["image_processor_type"] == "Qwen2VLImageProcessorPil"
    plain = Qwen2VLImageProcessorPil.from_pretrained(tmp_path)
    assert dict(plain.size) == dict(proc.image_processor.size)
    loaded = load_processor(tmp_path).image_processor
    assert (
        type(loaded) is type(proc.image_processor)
        and type(loaded).__name__ == "FramesImageProcessor"
    )
