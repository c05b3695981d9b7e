"""tvgcurate.model.vision_attention: the vision tower's attention as one batched call."""

import json

import pytest
import torch

from tvgcurate.model.loading import load_model, save_model
from tvgcurate.model.tiny import TinyConfig, build_tiny
from tvgcurate.model.vision_attention import NAME


def tower_out(model, pixels, grid):
    pixels = pixels.clone().requires_grad_(True)
    out = model.model.visual(pixels, grid_thw=grid)
    out = out.pooler_output if hasattr(out, "pooler_output") else out
    (out**2).sum().backward()
    grads = {n: p.grad.clone() for n, p in model.model.visual.named_parameters()}
    model.zero_grad()
    return out.detach(), pixels.grad, grads


@pytest.mark.parametrize(
    "grid",
    [[[1, 4, 4]] * 5, [[1, 4, 4], [1, 4, 8], [1, 8, 4], [1, 4, 4]]],
    ids=["frames of one size", "images of different sizes"],
)
def test_same_outputs_and_gradients_as_transformers_per_image_attention(grid):
    batched, _ = build_tiny(TinyConfig())
    assert batched.config.vision_config._attn_implementation == NAME
    per_image, _ = build_tiny(TinyConfig())
    per_image.config.vision_config._attn_implementation = "sdpa"  # transformers' loop
    grid = torch.tensor(grid)
    dim = 3 * 2 * 14 * 14
    pixels = torch.randn(
        int(grid.prod(dim=1).sum()), dim, generator=torch.Generator().manual_seed(0)
    )
    a, b = tower_out(batched, pixels, grid), tower_out(per_image, pixels, grid)
    torch.testing.assert_close(a[0], b[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(a[1], b[1], atol=1e-5, rtol=1e-4)
    for name in a[2]:
        torch.testing.assert_close(a[2][name], b[2][name], atol=1e-5, rtol=1e-4)


def test_a_saved_tiny_model_gets_it_back_and_its_config_does_not_name_it(tmp_path):
    model, proc = build_tiny(TinyConfig())
    save_model(model, proc, tmp_path)
    assert NAME not in (tmp_path / "config.json").read_text()  # loads without this module
    assert json.loads((tmp_path / "config.json").read_text())["tvgcurate_tiny"]
    loaded, _ = load_model(tmp_path)
    assert loaded.config.vision_config._attn_implementation == NAME
