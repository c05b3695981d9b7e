"""Every shipped accelerate config and recipe parses; launch commands are built, not run."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app
from tvgcurate.model.config import ConfigError, build_config
from tvgcurate.model.launch import launch_command, read_accelerate_config

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted((REPO / "configs" / "accelerate").glob("*.yaml"))
RECIPES = sorted((REPO / "recipes").glob("*.yaml"))


def test_something_is_shipped():
    names = {p.name for p in CONFIGS}
    assert {"deepspeed_zero3.yaml", "fsdp.yaml"} <= names
    assert "qwen2vl-7b.yaml" in {p.name for p in RECIPES}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_accelerate_config_parses(path):
    cfg = read_accelerate_config(path)
    assert cfg.mixed_precision == "bf16"
    if "zero3" in path.name:
        assert cfg.distributed_type.value == "DEEPSPEED"
        assert cfg.deepspeed_config["zero_stage"] == 3
    if "fsdp" in path.name:
        assert cfg.distributed_type.value == "FSDP"
        assert "Qwen2VLDecoderLayer" in cfg.fsdp_config["fsdp_transformer_layer_cls_to_wrap"]


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_recipe_builds_a_config(path, tmp_path):
    cfg = build_config(path, model="tiny", workspace=tmp_path, output=tmp_path / "o")
    per_generation = cfg.grpo.per_device_train_batch_size * cfg.grpo.gradient_accumulation_steps
    assert per_generation % cfg.grpo.num_generations == 0
    from trl import GRPOConfig, SFTConfig

    from tvgcurate.model.grpo import grpo_args
    from tvgcurate.model.sft import sft_args

    # the very TRL configs training builds: an unknown or invalid key raises here
    sft = sft_args(cfg.sft, tmp_path / "sft")
    grpo = grpo_args(cfg.grpo, tmp_path / "grpo")
    assert isinstance(sft, SFTConfig) and isinstance(grpo, GRPOConfig)
    for key, value in cfg.sft.trl_args.items():
        assert getattr(sft, key) == value
    for key, value in cfg.grpo.trl_args.items():
        assert getattr(grpo, key) == value
    assert grpo.num_generations == cfg.grpo.num_generations


def test_an_unknown_trl_key_fails_the_recipe_check(tmp_path):
    from tvgcurate.model.sft import sft_args

    cfg = build_config(RECIPES[0], model="tiny", workspace=tmp_path, output=tmp_path / "o")
    cfg.sft.trl_args = {"not_an_sft_option": 1}
    with pytest.raises(TypeError, match="not_an_sft_option"):
        sft_args(cfg.sft, tmp_path / "sft")


def test_7b_recipe_is_the_paper_setting(tmp_path):
    cfg = build_config(REPO / "recipes/qwen2vl-7b.yaml", model="tiny", workspace=tmp_path)
    assert cfg.torch_dtype == "bfloat16" and cfg.attn_implementation == "auto"
    assert cfg.grpo.num_generations == 8
    assert cfg.sft.bf16 and cfg.grpo.bf16
    assert "refusal" in cfg.grpo.rewards


@pytest.mark.parametrize("path", [p for p in CONFIGS], ids=lambda p: p.name)
def test_launch_command(path):
    cmd = launch_command(
        path,
        ["--workspace", "ws", "--output", "o"],
        num_processes=16,
        num_machines=2,
        machine_rank=0,
        main_process_ip="10.0.0.1",
    )
    assert cmd[:4] == ["accelerate", "launch", "--config_file", str(path)]
    assert cmd[cmd.index("--num_processes") + 1] == "16"
    assert cmd[cmd.index("-m") + 1 :][:2] == ["tvgcurate", "train"]
    assert cmd[-4:] == ["--workspace", "ws", "--output", "o"]


def test_cli_prints_the_launch_command(tmp_path):
    res = CliRunner().invoke(
        app,
        [
            "train",
            "--workspace",
            str(tmp_path),
            "--output",
            "runs/7b",
            "--model",
            str(tmp_path),
            "--recipe",
            str(REPO / "recipes/qwen2vl-7b.yaml"),
            "--max-steps",
            "10",
            "--launch-config",
            str(REPO / "configs/accelerate/deepspeed_zero3.yaml"),
            "--set",
            "grpo.beta=0.0",
        ],
    )
    assert res.exit_code == 0, res.output
    line = res.output.strip()
    assert line.startswith("accelerate launch --config_file")
    assert "--num_processes 8 -m tvgcurate train" in line
    assert "--max-steps 10" in line and "--set grpo.beta=0.0" in line


def test_bad_accelerate_config(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("distributed_type: NOPE\n")
    with pytest.raises(Exception, match="bad.yaml"):
        read_accelerate_config(bad)


def test_recipe_errors(tmp_path):
    r = tmp_path / "r.yaml"
    r.write_text("grpo: {num_generation: 8}\n")
    with pytest.raises(ConfigError, match="num_generations"):
        build_config(r, model="tiny")
    r.write_text("grpo: {num_generations: 3, per_device_train_batch_size: 8}\n")
    with pytest.raises(ConfigError, match="multiple"):
        build_config(r, model="tiny")
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        build_config(None, ["sft.max_steps"], model="tiny")
    cfg = build_config(
        None,
        ["sft.max_steps=7", "grpo.trl_args.epsilon=0.3", "inputs.prompt_template={query}?"],
        model="tiny",
    )
    assert cfg.sft.max_steps == 7 and cfg.grpo.trl_args == {"epsilon": 0.3}
    assert cfg.inputs.prompt_template == "{query}?"
