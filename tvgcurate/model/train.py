"""`tvgcurate train`: SFT, then PIR-GRPO, on a workspace's samples; one run directory.

RUN/run.json            config, ETA width, stages finished, `final` model directory
RUN/sft/                TRL checkpoints (safetensors), metrics.jsonl, tb/ ; final/ = model
RUN/grpo/               the same for GRPO (starts from sft/final when both stages run)
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

from tvgcurate.errors import WorkspaceError
from tvgcurate.model.config import STAGE_PLAN, TrainConfig, to_dict
from tvgcurate.model.loading import INPUTS_FILE, RUN_FILE, load_model


@dataclass
class TrainResult:
    output: Path
    final: Path
    stages: dict  # stage -> {"steps", "seconds", "train_loss", "rows"}
    skipped: dict  # sample_id -> error


def _inputs_meta(cfg: TrainConfig, width: int) -> dict:
    meta = dataclasses.asdict(cfg.inputs)
    meta["timestamp_width"] = width
    return meta


def _is_main_process() -> bool:
    from accelerate import PartialState

    return PartialState().is_main_process


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


def train(cfg: TrainConfig, console=None) -> TrainResult:
    """Run the configured stage(s) and return where the final model is."""
    import torch

    from tvgcurate.model.data import grpo_rows, mix, sft_rows, to_dataset
    from tvgcurate.model.inputs import build_inputs
    from tvgcurate.workspace import Workspace

    ws = Workspace(cfg.workspace)
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    torch.manual_seed(cfg.seed)
    out = cfg.output
    out.mkdir(parents=True, exist_ok=True)
    run_meta = {"config": to_dict(cfg), "stages": {}, "final": None}
    run_file = out / RUN_FILE
    if cfg.resume and run_file.exists():
        run_meta["stages"] = json.loads(run_file.read_text()).get("stages", {})

    def save_run():
        if not _is_main_process():
            return
        run_file.write_text(json.dumps(run_meta, indent=2, default=str) + "\n")

    t0 = time.perf_counter()
    built = build_inputs(ws, cfg.inputs, split=cfg.train_split)
    if not built.inputs:
        detail = "; ".join(f"{k}: {v}" for k, v in list(built.errors.items())[:3])
        raise WorkspaceError(
            f"{ws.root}: no trainable samples in split {cfg.train_split!r}"
            + (f" ({detail})" if detail else "")
        )
    if console is not None:
        console.print(
            f"{len(built.inputs)} samples ({len(built.errors)} skipped), ETA width "
            f"{built.fmt.width}, inputs built in {time.perf_counter() - t0:.1f}s"
        )
    meta = _inputs_meta(cfg, built.fmt.width)
    run_meta["timestamp_width"] = built.fmt.width
    save_run()

    model, processor = load_model(cfg.model, cfg.tiny, cfg.torch_dtype, cfg.attn_implementation)
    stages = list(STAGE_PLAN[cfg.stage])
    final = None
    for name in stages:
        stage_cfg = getattr(cfg, name)
        sdir = out / name
        done = run_meta["stages"].get(name, {}).get("done")
        if cfg.resume and done and (sdir / "final" / "config.json").exists():
            final = sdir / "final"
            model, processor = load_model(final, None, cfg.torch_dtype, cfg.attn_implementation)
            continue
        rows_in = mix(built.inputs, stage_cfg.irrelevant_share, cfg.seed)
        t = time.perf_counter()
        common = dict(seed=cfg.seed, report_to=cfg.report_to, resume=cfg.resume, console=console)
        if name == "pretrain":  # tiny's stand-in for pretraining (tvgcurate.model.pretrain)
            from tvgcurate.model.pretrain import pretrain_rows
            from tvgcurate.model.sft import run_sft

            rows = pretrain_rows(rows_in, stage_cfg.task(), cfg.seed)
            trainer, res = run_sft(model, processor, to_dataset(rows), stage_cfg, sdir, **common)
        elif name == "sft":
            from tvgcurate.model.sft import run_sft

            trainer, res = run_sft(
                model, processor, to_dataset(sft_rows(rows_in)), stage_cfg, sdir, **common
            )
        else:
            from tvgcurate.model.grpo import run_grpo

            trainer, res = run_grpo(
                model, processor, to_dataset(grpo_rows(rows_in)), stage_cfg, sdir, **common
            )
        final = finish_stage(trainer, processor, sdir / "final", meta)
        if name != stages[-1]:
            # the next stage starts from the saved model (its path is also GRPO's reference)
            del trainer
            model, processor = load_model(final, None, cfg.torch_dtype, cfg.attn_implementation)
        n_irr = sum(m.relevance != "relevant" for m in rows_in)
        run_meta["stages"][name] = {
            "done": True,
            "steps": res.global_step,
            "seconds": round(time.perf_counter() - t, 2),
            "train_loss": res.training_loss,
            "rows": len(rows_in),
            "irrelevant_rows": n_irr,
        }
        run_meta["final"] = str(final.relative_to(out))
        save_run()
    return TrainResult(out, final, run_meta["stages"], built.errors)
