"""`tvgcurate train`: SFT then PIR-GRPO of Tempo-R0 (tiny or a local Qwen2-VL checkpoint)."""

from __future__ import annotations

from pathlib import Path

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import ConfigOptions, WorkspaceOpt
from tvgcurate.model.config import GRPOStageConfig, SFTStageConfig, TrainConfig

_RECIPE = "a recipe key: --recipe or --set"
TRAIN = ConfigOptions(
    "train",
    TrainConfig,
    skip={
        "attn_implementation": _RECIPE,
        "torch_dtype": _RECIPE,
        "torch_threads": _RECIPE,
        "report_to": _RECIPE,
        "inputs": _RECIPE,
        "tiny": _RECIPE,
        "pretrain": _RECIPE,
        "sft": _RECIPE,
        "grpo": _RECIPE,
    },
)
# the stage shortcuts: help from the stage configs, typed values set on every stage run (or
# on GRPO) on top of the recipe and --set; None keeps the recipe's (config.flag_overrides)
STAGE = ConfigOptions("train", SFTStageConfig, register=False)
GRPO = ConfigOptions("train", GRPOStageConfig, register=False)
_EACH = dict(suffix=" Applies to each stage run; overrides the recipe.")
_GRPO = dict(prefix="GRPO: ")


@app.command(
    epilog=(
        "Example: tvgcurate train --workspace ws --model tiny --stage both "
        "--recipe recipes/tiny-cpu.yaml --max-steps 50 --output runs/tiny"
    ),
)
def train(
    workspace: WorkspaceOpt,
    output: Path = TRAIN.option("output", "--output", "-o", default=...),
    model: str = TRAIN.option("model"),
    stage: str = TRAIN.option("stage"),
    recipe: Path | None = typer.Option(None, help="YAML recipe with defaults (see recipes/)."),
    max_steps: int | None = STAGE.override("max_steps", **_EACH),
    learning_rate: float | None = STAGE.override("learning_rate", **_EACH),
    num_generations: int | None = GRPO.override("num_generations", **_GRPO),
    loss_type: str | None = GRPO.override("loss_type", **_GRPO),
    beta: float | None = GRPO.override("beta", **_GRPO),
    irrelevant_share: float | None = STAGE.override("irrelevant_share", **_EACH),
    train_split: str | None = TRAIN.option("train_split", default=None),
    seed: int | None = TRAIN.option("seed", default=None),
    resume: bool = TRAIN.option("resume"),
    fold: str | None = typer.Option(
        None,
        help="i/K: train on the training split minus fold i of K (by video), to score that "
        "fold out of fold with `tvgcurate score --fold i/K`.",
    ),
    fold_seed: int = typer.Option(0, help="Seed of the fold assignment (give score the same)."),
    launch_config: Path | None = typer.Option(
        None,
        help="Print the `accelerate launch` command for this accelerate config "
        "(configs/accelerate/*.yaml) instead of training here.",
    ),
    num_processes: int | None = typer.Option(
        None, help="GPUs in all for --launch-config (default: the config's)."
    ),
    set_: list[str] | None = typer.Option(
        None,
        "--set",
        help="Override any config key, by its dotted path: --set sft.learning_rate=1e-4 "
        "--set sft.peft.r=4 --set grpo.trl_args.epsilon=0.2",
    ),
) -> None:
    """Train Tempo-R0 on the workspace's samples: SFT on ETA answers (irrelevant rows refuse),
    then GRPO with format, IoU and refusal rewards. Checkpoints (safetensors), metrics.jsonl and
    TensorBoard logs go under --output; `tvgcurate score --checkpoint OUTPUT` uses the result."""
    from tvgcurate.cli.console import console
    from tvgcurate.model.config import build_config, flag_overrides
    from tvgcurate.model.train import train as run_train

    flags = dict(max_steps=max_steps, learning_rate=learning_rate,
                 irrelevant_share=irrelevant_share, num_generations=num_generations,
                 loss_type=loss_type, beta=beta)  # fmt: skip
    if launch_config is not None:
        from tvgcurate.model.launch import as_shell, launch_command, train_argv

        args = train_argv(
            dict(workspace=workspace, output=output, model=model, stage=stage),
            dict(recipe=recipe, **flags, train_split=train_split, seed=seed),
            ["resume"] if resume else [],
            set_,
        )
        typer.echo(as_shell(launch_command(launch_config, args, num_processes)))
        return

    cfg = build_config(
        recipe,
        set_,
        flag_overrides(stage, **flags),  # typed values, applied after --set
        workspace=workspace,
        output=output,
        model=model,
        stage=stage,
        train_split=train_split,
        seed=seed,
        resume=resume or None,
    )
    res = run_train(cfg, console=console, fold=fold, fold_seed=fold_seed)
    for name, s in res.stages.items():
        console.print(
            f"{name}: {s['steps']} steps in {s['seconds']:.0f}s on {s['rows']} rows "
            f"({s['irrelevant_rows']} irrelevant), train loss {s['train_loss']:.4g}"
        )
    if res.skipped:
        console.print(f"[yellow]{len(res.skipped)} sample(s) skipped (no inputs)[/]")
    console.print(f"final model: {res.final}")
