"""Qwen2-VL's PIL image processor with frames of one size processed as one array.

`Qwen2VLImageProcessorPil` rescales, normalises and cuts into patches one image at a time,
through a PIL round trip that resizes an image to the size it already has: for the 76
frames of a `tiny` training batch that loop is about 35 ms, a tenth of the step on CPU
(docs/learning.md, "Speed"). When every image of a call has one shape that needs no resize
(SAA frames are drawn at their token budget's size), the same operations run once on the
stacked array; anything else takes transformers' own loop. The pixel values are identical,
bit for bit (tests/model/test_image_batch.py). transformers' fast processor would batch too,
but it needs torchvision, which this stack cannot install (docs/dev/stack.md).
"""

from __future__ import annotations

import functools
from collections.abc import Collection

SAVED_AS = "Qwen2VLImageProcessorPil"  # saved checkpoints name transformers' class


def _class():
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )

    class FramesImageProcessor(Qwen2VLImageProcessorPil):
        """Qwen2VLImageProcessorPil, batched over images of one size (same pixel values)."""

        def to_dict(self):
            d = super().to_dict()
            d["image_processor_type"] = SAVED_AS  # loads with transformers alone
            return d

        def _preprocess(self, images, do_resize, size, resample, do_rescale, rescale_factor,
                        do_normalize, image_mean, image_std, patch_size, temporal_patch_size,
                        merge_size, return_tensors, **kwargs):  # fmt: skip
            import numpy as np
            from transformers.feature_extraction_utils import BatchFeature

            if not _fits_as_one_array(images, do_resize, size, patch_size * merge_size):
                return super()._preprocess(
                    images, do_resize, size, resample, do_rescale, rescale_factor, do_normalize,
                    image_mean, image_std, patch_size, temporal_patch_size, merge_size,
                    return_tensors, **kwargs,
                )  # fmt: skip
            x = np.stack(images)  # (N, C, H, W) uint8
            n, c, h, w = x.shape
            if do_rescale:  # transformers' rescale: float64 product, then float32
                x = (x.astype(np.float64) * rescale_factor).astype(np.float32)
            if do_normalize:  # transformers' normalize, per channel, in the image's float type
                if not np.issubdtype(x.dtype, np.floating):
                    x = x.astype(np.float32)
                mean = np.array(_per_channel(image_mean, c), dtype=x.dtype)[:, None, None]
                std = np.array(_per_channel(image_std, c), dtype=x.dtype)[:, None, None]
                x = (x - mean) / std
            x = np.asarray(x, dtype=np.float32)
            gh, gw, m, p = h // patch_size, w // patch_size, merge_size, patch_size
            patches = x.reshape(n, c, gh // m, m, p, gw // m, m, p)
            patches = patches.transpose(0, 2, 5, 3, 6, 1, 4, 7)  # (N, gh, gw, mh, mw, C, ph, pw)
            patches = np.broadcast_to(
                patches[:, :, :, :, :, :, None],
                (*patches.shape[:6], temporal_patch_size, *patches.shape[6:]),
            )
            pixel_values = patches.reshape(n * gh * gw, c * temporal_patch_size * p * p)
            grid = np.array([[1, gh, gw]] * n, dtype=np.int64)
            return BatchFeature(
                data={"pixel_values": pixel_values, "image_grid_thw": grid},
                tensor_type=return_tensors,
            )

    return FramesImageProcessor


def _fits_as_one_array(images, do_resize: bool, size, factor: int) -> bool:
    """Every image uint8 (C, H, W) of one shape, whole patches, and no resize to do."""
    import numpy as np
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import smart_resize

    if not images:
        return False
    shape = images[0].shape
    if any(im.shape != shape or im.dtype != np.uint8 or im.ndim != 3 for im in images):
        return False
    h, w = shape[-2:]
    if h % factor or w % factor:
        return False
    if not do_resize:
        return True
    target = smart_resize(
        h, w, factor=factor, min_pixels=size.shortest_edge, max_pixels=size.longest_edge
    )
    return tuple(target) == (h, w)


def _per_channel(value, channels: int) -> list:
    return list(value) if isinstance(value, Collection) else [value] * channels


@functools.cache
def frames_image_processor_class():
    """The class (built once: transformers is imported lazily)."""
    return _class()
