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
    continues from the run directory's last complete checkpoint (its weights, optimizer,
    scheduler, RNG and step) and drops the log rows of the steps it will redo. Returns
    (trainer, TrainOutput)."""
    from tvgcurate.model.trainlog import trim_log

    log_path = out / "metrics.jsonl"
    ckpt = last_checkpoint(out) if resume else None
    if resume and trainer.is_world_process_zero():
        trim_log(log_path, checkpoint_step(ckpt) if ckpt else 0)
    finish_setup(trainer, log_path, name, console, stage.max_seconds)
    if ckpt is not None:
        _load_weights_on_resume(trainer)
    return trainer, trainer.train(resume_from_checkpoint=ckpt)


def last_checkpoint(out: Path) -> str | None:
    """The newest checkpoint whose save finished. Trainer writes `trainer_state.json` last,
    so a run killed while saving leaves a directory without it; that one is skipped."""
    import re

    if not out.is_dir():
        return None
    done = [
        (int(m.group(1)), p)
        for p in out.iterdir()
        if (m := re.fullmatch(r"checkpoint-(\d+)", p.name)) and (p / "trainer_state.json").is_file()
    ]
    return str(max(done)[1]) if done else None


def checkpoint_step(ckpt: str | Path) -> int:
    """The global step a checkpoint was saved at (from its trainer_state.json)."""
    import json

    return int(json.loads((Path(ckpt) / "trainer_state.json").read_text())["global_step"])


def _load_weights_on_resume(trainer) -> None:
    """Have `trainer.train(resume_from_checkpoint=...)` really load the checkpoint's weights.

    transformers 5 saves Qwen2-VL checkpoints in the original key format (`visual.*`,
    `model.layers.*`) but Trainer's resume loads them with a plain, non-strict
    `load_state_dict`, so no key matches and training silently continues from the freshly
    initialised weights (huggingface/transformers#43701). For a full (non-PEFT) model saved
    as safetensors, load through `from_pretrained` (which converts the keys) and copy the
    weights strictly; anything else (adapters, sharded, FSDP) keeps Trainer's own loader."""
    original = trainer._load_from_checkpoint

    def load(resume_from_checkpoint, model=None):
        target = trainer.model if model is None else model
        weights = Path(resume_from_checkpoint) / "model.safetensors"
        if model is not None or hasattr(target, "peft_config") or not weights.is_file():
            return original(resume_from_checkpoint, model)
        saved = type(target).from_pretrained(resume_from_checkpoint, dtype=target.dtype)
        target.load_state_dict(saved.state_dict(), strict=True)
        del saved

    trainer._load_from_checkpoint = load


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
    from tvgcurate.model.lora import peft_kwargs

    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=processor,
        **peft_kwargs(model, stage.peft),  # LoRA through TRL's peft_config
    )
    return run_trainer(trainer, out, name, stage, console, resume)
