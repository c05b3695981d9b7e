"""`tvgcurate train`: SFT then PIR-GRPO of Tempo-R0 (tiny or a local Qwen2-VL checkpoint)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import WorkspaceOpt


@app.command(
    epilog=(
        "Example: tvgcurate train --workspace ws --model tiny --stage both "
        "--recipe recipes/tiny-cpu.yaml --max-steps 50 --output runs/tiny"
    ),
)
def train(
    workspace: WorkspaceOpt,
    output: Annotated[Path, typer.Option("--output", "-o", help="Run directory.")],
    model: Annotated[
        str, typer.Option(help="'tiny' (random small Qwen2-VL) or a local checkpoint directory.")
    ] = "tiny",
    stage: Annotated[
        str, typer.Option(help="pretrain | sft | grpo | both (sft, grpo) | all (pretrain first).")
    ] = "both",
    recipe: Annotated[
        Path | None, typer.Option(help="YAML recipe with defaults (see recipes/).")
    ] = None,
    max_steps: Annotated[
        int | None, typer.Option(help="Optimizer steps of each stage run (overrides the recipe).")
    ] = None,
    learning_rate: Annotated[
        float | None, typer.Option(help="Learning rate of each stage run.")
    ] = None,
    num_generations: Annotated[int | None, typer.Option(help="GRPO group size.")] = None,
    loss_type: Annotated[
        str | None, typer.Option(help="GRPO loss type (TRL's: grpo, dapo, dr_grpo, bnpo, ...).")
    ] = None,
    beta: Annotated[float | None, typer.Option(help="GRPO KL coefficient.")] = None,
    irrelevant_share: Annotated[
        float | None, typer.Option(help="Share of irrelevant rows in each stage's data.")
    ] = None,
    train_split: Annotated[str | None, typer.Option(help="Split to train on.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed.")] = None,
    resume: Annotated[
        bool, typer.Option(help="Resume from the run directory's last checkpoints.")
    ] = False,
    launch_config: Annotated[
        Path | None,
        typer.Option(
            help="Print the `accelerate launch` command for this accelerate config "
            "(configs/accelerate/*.yaml) instead of training here."
        ),
    ] = None,
    num_processes: Annotated[
        int | None, typer.Option(help="GPUs in all for --launch-config (default: the config's).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override any recipe key: --set sft.learning_rate=1e-4 --set grpo.trl_args.epsilon=0.2",
        ),
    ] = None,
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
        flag_overrides(stage, set_, **flags),
        workspace=workspace,
        output=output,
        model=model,
        stage=stage,
        train_split=train_split,
        seed=seed,
        resume=resume or None,
    )
    res = run_train(cfg, console=console)
    for name, s in res.stages.items():
        console.print(
            f"{name}: {s['steps']} steps in {s['seconds']:.0f}s on {s['rows']} rows "
            f"({s['irrelevant_rows']} irrelevant), train loss {s['train_loss']:.4g}"
        )
    if res.skipped:
        console.print(f"[yellow]{len(res.skipped)} sample(s) skipped (no inputs)[/]")
    console.print(f"final model: {res.final}")
