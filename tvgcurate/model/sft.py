"""Stage 1: supervised fine-tuning on ETA answers with TRL's SFTTrainer.

Targets are the ETA answer of the first ground-truth window; irrelevant and partial rows
are trained to refuse. Only completion tokens carry loss. Checkpoints are safetensors and a
rerun with `resume` continues from the last one. The plumbing shared with GRPO (arguments,
callbacks, resuming, saving) is `tvgcurate.model.trainers`.
"""

from __future__ import annotations

from pathlib import Path

from tvgcurate.model.config import StageConfig
from tvgcurate.model.trainers import common_args, make_trainer, run_trainer


def sft_args(
    stage: StageConfig, out: Path, *, seed=0, report_to=(), resume=False, conversations=False
):
    """The trl.SFTConfig of a stage (an option TRL does not know fails here). `conversations`:
    multi-turn "messages" rows, trained on every assistant turn (else on the completion)."""
    from trl import SFTConfig

    return SFTConfig(
        **common_args(stage, out, seed, list(report_to), resume),
        completion_only_loss=not conversations,
        assistant_only_loss=conversations,
        max_length=None,  # truncating would cut image tokens apart from their pixels
        **stage.trl_args,
    )


def run_sft(
    model,
    processor,
    dataset,
    stage: StageConfig,
    out: Path,
    *,
    seed=0,
    report_to=(),
    resume=False,
    console=None,
    name="sft",
    conversations: bool | None = None,
):
    """Train `model` on prompt-completion rows; returns (trainer, TrainOutput). `name` labels
    the stage in the logs (the pretraining stand-in runs through here too). `conversations`:
    the rows are multi-turn "messages" (None: read it from the dataset's columns, which a
    streamed dataset does not show)."""
    from trl import SFTTrainer

    if conversations is None:
        conversations = "messages" in (getattr(dataset, "column_names", None) or [])
    args = sft_args(
        stage, out, seed=seed, report_to=report_to, resume=resume, conversations=conversations
    )
    trainer = make_trainer(SFTTrainer, model, processor, dataset, stage, args)
    return run_trainer(trainer, out, name, stage, console, resume)
