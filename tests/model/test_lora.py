"""LoRA on tiny end to end: train both stages with adapters (TRL's peft_config), then score."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app
from tvgcurate.model.config import ConfigError, build_config

LORA = {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]}
SMALL = [
    "tiny.hidden_size=64", "tiny.num_layers=2", "tiny.intermediate_size=128",
    "tiny.vision_embed_dim=32", "inputs.max_frames=2", "sft.per_device_train_batch_size=4",
    "grpo.num_generations=2", "grpo.per_device_train_batch_size=4",
    "grpo.max_completion_length=6", "report_to=[]",
]  # fmt: skip


def train(ws, out, *extra, flags=()):
    import yaml

    recipe = yaml.safe_load(Path("recipes/tiny-cpu.yaml").read_text())
    recipe["sft"]["peft"] = recipe["grpo"]["peft"] = LORA
    path = out.parent / f"{out.name}-lora.yaml"
    path.write_text(yaml.safe_dump(recipe))
    sets = [a for s in SMALL + list(extra) for a in ("--set", s)]
    res = CliRunner().invoke(
        app,
        ["train", "--workspace", str(ws.root), "--model", "tiny", "--stage", "both",
         "--recipe", str(path), "--max-steps", "2", "--output", str(out), *sets, *flags],
    )  # fmt: skip
    assert res.exit_code == 0, res.output + repr(res.exception)
    return res.output


@pytest.mark.slow
def test_lora_trains_saves_adapters_and_scores(grounding_ws, tmp_path):
    from tvgcurate.model.loading import ADAPTER_FILE, BASE_FILE, load_model

    run = tmp_path / "run"
    train(grounding_ws, run)
    for stage in ("sft", "grpo"):
        final = run / stage / "final"
        assert (final / ADAPTER_FILE).exists() and (final / "adapter_model.safetensors").exists()
        assert not (final / "model.safetensors").exists()
    assert json.loads((run / "sft/final" / BASE_FILE).read_text())["base"] == str(run / "base")
    assert json.loads((run / "grpo/final" / BASE_FILE).read_text())["base"] == str(
        run / "sft/merged"
    )
    model, _ = load_model(run / "grpo" / "final")
    assert type(model).__name__.startswith("Peft")
    res = CliRunner().invoke(
        app, ["score", "-w", str(grounding_ws.root), "--checkpoint", str(run), "--no-progress"]
    )
    assert res.exit_code == 0, res.output + repr(res.exception)
    assert "R1@0.5" in res.output

    # resume after both LoRA stages finished: nothing is trained or merged again
    saved = sorted(run.rglob("*.safetensors"))
    before = {p: p.stat().st_mtime_ns for p in saved}
    out = train(grounding_ws, run, flags=["--resume"])
    assert "stage sft: finished in an earlier run, reused" in out
    assert "stage grpo: finished in an earlier run, reused" in out
    assert {p: p.stat().st_mtime_ns for p in saved} == before
    assert sorted(run.rglob("*.safetensors")) == saved


@pytest.mark.slow
def test_merge_adapter_writes_a_full_model(grounding_ws, tmp_path):
    run = tmp_path / "m"
    train(grounding_ws, run, "grpo.merge_adapter=true", "grpo.max_steps=1")
    final = run / "grpo" / "final"
    assert (final / "model.safetensors").exists() and (
        final / "adapter" / "adapter_config.json"
    ).exists()


def test_bad_peft_section_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="peft"):
        build_config(None, ["sft.peft=4"], workspace=tmp_path)
    with pytest.raises(ConfigError, match="unknown key"):
        from tvgcurate.model.config import SFTStageConfig

        SFTStageConfig(peft={"rank": 4})


def test_7b_lora_recipe_builds_a_lora_config(tmp_path):
    from tvgcurate.model.lora import lora_config

    cfg = build_config("recipes/qwen2vl-7b-lora.yaml", model="tiny", workspace=tmp_path)
    for stage in (cfg.sft, cfg.grpo):
        lc = lora_config(stage.peft)
        assert lc.r == 64 and lc.lora_alpha == 128 and "down_proj" in lc.target_modules
    assert cfg.grpo.merge_adapter and not cfg.sft.merge_adapter


def test_vllm_recipe_passes_trl_options_to_grpo_config(tmp_path):
    from tvgcurate.model.grpo import grpo_args

    cfg = build_config("recipes/qwen2vl-7b-vllm.yaml", model="tiny", workspace=tmp_path)
    args = grpo_args(cfg.grpo, tmp_path / "g")
    assert args.use_vllm and args.vllm_mode == "colocate"
    assert args.vllm_gpu_memory_utilization == 0.3
