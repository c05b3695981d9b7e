"""Stage 1: supervised fine-tuning on ETA answers with TRL's SFTTrainer.

Targets are the ETA answer of the first ground-truth window; irrelevant and partial rows
are trained to refuse. Only completion tokens carry loss. Checkpoints are safetensors and a
rerun with `resume` continues from the last one.
"""

from __future__ import annotations

from pathlib import Path

from tvgcurate.model.config import StageConfig


def common_args(
    stage: StageConfig, out: Path, seed: int, report_to: list[str], resume: bool
) -> dict:
    """TrainingArguments shared by SFTConfig and GRPOConfig (a key in `trl_args` wins, e.g.
    `dataloader_num_workers` to decode streamed frames in worker processes)."""
    args = dict(
        output_dir=str(out),
        learning_rate=stage.learning_rate,
        max_steps=stage.max_steps,
        num_train_epochs=stage.num_train_epochs,
        per_device_train_batch_size=stage.per_device_train_batch_size,
        gradient_accumulation_steps=stage.gradient_accumulation_steps,
        warmup_steps=max(0, round(stage.warmup_ratio * max(stage.max_steps, 0))),
        lr_scheduler_type=stage.lr_scheduler_type,
        weight_decay=stage.weight_decay,
        max_grad_norm=stage.max_grad_norm,
        bf16=stage.bf16,
        activation_checkpointing=stage.gradient_checkpointing,
        logging_steps=stage.logging_steps,
        save_steps=stage.save_steps,
        save_total_limit=stage.save_total_limit,
        save_strategy="steps",
        seed=seed,
        report_to=report_to,
        disable_tqdm=True,
        remove_unused_columns=False,
        dataloader_num_workers=0,
        use_cpu=_no_gpu(),
    )
    return {k: v for k, v in args.items() if k not in stage.trl_args}


def _no_gpu() -> bool:
    import torch

    return not torch.cuda.is_available()


def finish_setup(trainer, log_path: Path, stage: str, console, max_seconds=None) -> None:
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    from tvgcurate.model.trainlog import make_callback, time_limit_callback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(make_callback(log_path, stage, console))
    if max_seconds:
        trainer.add_callback(time_limit_callback(max_seconds))


def run_trainer(trainer, out: Path, name: str, stage, console, resume: bool):
    """Our logging (and the stage's time limit) on a TRL trainer, then train it; resuming
    continues from the run directory's last checkpoint. Returns (trainer, TrainOutput)."""
    finish_setup(trainer, out / "metrics.jsonl", name, console, stage.max_seconds)
    ckpt = last_checkpoint(out) if resume else None
    return trainer, trainer.train(resume_from_checkpoint=ckpt)


def last_checkpoint(out: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(out)) if out.is_dir() else None


def sft_args(stage: StageConfig, out: Path, *, seed=0, report_to=(), resume=False):
    """The trl.SFTConfig of a stage (an option TRL does not know fails here)."""
    from trl import SFTConfig

    return SFTConfig(
        **common_args(stage, out, seed, list(report_to), resume),
        completion_only_loss=True,
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
):
    """Train `model` on prompt-completion rows; returns (trainer, TrainOutput)."""
    from trl import SFTTrainer

    args = sft_args(stage, out, seed=seed, report_to=report_to, resume=resume)
    from tvgcurate.model.lora import peft_kwargs

    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=processor,
        **peft_kwargs(model, stage.peft),  # LoRA through TRL's peft_config
    )
    return run_trainer(trainer, out, "sft", stage, console, resume)
