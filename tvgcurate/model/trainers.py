"""The trainer plumbing that every training stage shares (SFT, GRPO, the pretraining
stand-in): the TrainingArguments common to SFTConfig and GRPOConfig, building a TRL trainer
with LoRA, our logging callbacks and time limit, resuming from the last complete checkpoint,
and saving a stage's final model.

A stage module (`sft`, `grpo`) adds only its own TRL config and trainer class.
"""

from __future__ import annotations

import json
from pathlib import Path

from tvgcurate.model.config import StageConfig
from tvgcurate.model.loading import INPUTS_FILE


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


def make_trainer(trainer_cls, model, processor, dataset, stage: StageConfig, args, **kw):
    """A TRL trainer of `trainer_cls` on `dataset`, with LoRA through TRL's peft_config when
    the stage has a `peft` section; `kw`: the trainer's own arguments (e.g. reward_funcs)."""
    from tvgcurate.model.lora import peft_kwargs

    return trainer_cls(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=processor,
        **kw,
        **peft_kwargs(model, stage.peft),
    )


def finish_setup(trainer, log_path: Path, stage: str, console, max_seconds=None) -> None:
    """Our callbacks in place of transformers' printer and progress bar: metrics.jsonl (and
    the console), and the stage's time limit."""
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


def finish_stage(trainer, processor, path: Path, meta: dict) -> Path:
    """Save the stage's model through the trainer (gathers ZeRO-3 / FSDP shards), then the
    processor files and input metadata from the main process."""
    from tvgcurate.model.processor import save_processor

    trainer.save_model(str(path))
    if trainer.is_world_process_zero():
        if type(processor).__name__ == "ImageOnlyQwen2VLProcessor":
            save_processor(processor, path)
        (path / INPUTS_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    trainer.accelerator.wait_for_everyone()
    return path
