"""`tvgcurate train`: SFT, then PIR-GRPO, on a workspace's samples; one run directory.

RUN/run.json            config, ETA width, stages finished, `final` model directory
RUN/sft/                TRL checkpoints (safetensors), metrics.jsonl, tb/ ; final/ = model
RUN/grpo/               the same for GRPO (starts from sft/final when both stages run)
RUN/skipped.jsonl       samples left out: no keyframes (stage "inputs") or unreadable frames
                        met while streaming (stage "sft" / "grpo"); one JSON line each
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

from tvgcurate.errors import WorkspaceError
from tvgcurate.model.config import STAGE_PLAN, TrainConfig, to_dict
from tvgcurate.model.loading import INPUTS_FILE, RUN_FILE, is_model_dir, load_model


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


def prompt_words(cfg: TrainConfig) -> list[str]:
    """The words of the text the project writes around a query: the chat roles, the prompt
    template, the pretraining stand-in's questions, its yes/no answers and the refusal."""
    from tvgcurate.model.eta import REFUSAL_WORD
    from tvgcurate.model.pretrain import CAPTION_PROMPT, PRESENCE_PROMPT
    from tvgcurate.model.tiny import words_of

    texts = ["system user assistant", cfg.inputs.prompt_template.replace("{query}", " ")]
    texts += [PRESENCE_PROMPT.replace("{query}", " "), CAPTION_PROMPT, REFUSAL_WORD, "to"]
    return words_of(texts)


def _with_query_words(cfg, ws):
    """tiny's config plus whole-word tokens: the training queries' most frequent words
    (`tiny.word_tokens`) and the project's own prompt words (`tiny.prompt_words`)."""
    import dataclasses

    import pyarrow.compute as pc

    from tvgcurate.model.tiny import frequent_words

    words = prompt_words(cfg) if cfg.tiny.prompt_words else []
    if cfg.tiny.word_tokens:
        samples = ws.read("samples", columns=["query", "split"])
        if cfg.train_split is not None:
            samples = samples.filter(pc.equal(samples.column("split"), cfg.train_split))
        words += frequent_words(samples.column("query").to_pylist(), cfg.tiny.word_tokens)
    merged = list(dict.fromkeys([*cfg.tiny.words, *words]))
    return dataclasses.replace(cfg, tiny=dataclasses.replace(cfg.tiny, words=merged))


def train(cfg: TrainConfig, console=None) -> TrainResult:
    """Run the configured stage(s) and return where the final model is."""
    import torch

    from tvgcurate.model.data import (
        SKIPPED_FILE,
        SkipLog,
        grpo_rows,
        mix,
        read_skipped,
        sft_rows,
        stream_dataset,
        to_dataset,
    )
    from tvgcurate.model.inputs import build_inputs, plan_inputs
    from tvgcurate.workspace import Workspace

    ws = Workspace(cfg.workspace)
    if cfg.model == "tiny" and (cfg.tiny.word_tokens or cfg.tiny.prompt_words):  # same on resume
        cfg = _with_query_words(cfg, ws)
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
    skipped_path = out / SKIPPED_FILE
    if cfg.inputs.stream:  # frames are decoded by the data loader, row by row
        built = plan_inputs(ws, cfg.inputs, split=cfg.train_split)
        rows_all = built.plans
    else:
        built = build_inputs(ws, cfg.inputs, split=cfg.train_split)
        rows_all = built.inputs
    if _is_main_process() and not cfg.resume:
        skipped_path.unlink(missing_ok=True)
    if _is_main_process() and built.errors:
        inputs_log = SkipLog(skipped_path, "inputs")
        for sid, err in built.errors.items():
            inputs_log.record(sid, err, warn=False)  # counted on the console
    if not rows_all:
        detail = "; ".join(f"{k}: {v}" for k, v in list(built.errors.items())[:3])
        raise WorkspaceError(
            f"{ws.root}: no trainable samples in split {cfg.train_split!r}"
            + (f" ({detail})" if detail else "")
        )
    if console is not None:
        console.print(
            f"{len(rows_all)} samples ({len(built.errors)} skipped), ETA width "
            f"{built.fmt.width}, inputs {'planned' if cfg.inputs.stream else 'built'} in "
            f"{time.perf_counter() - t0:.1f}s"
        )
    meta = _inputs_meta(cfg, built.fmt.width)
    run_meta["timestamp_width"] = built.fmt.width
    save_run()

    model, processor = load_model(cfg.model, cfg.tiny, cfg.torch_dtype, cfg.attn_implementation)
    from tvgcurate.model.lora import after_stage, run_base

    base = run_base(cfg, model, processor, out, meta)  # LoRA: the first adapter's base model
    stages = list(STAGE_PLAN[cfg.stage])
    final = None

    def dataset(rows_in, kind: str, stage: str, turns: int = 1):
        if cfg.inputs.stream:
            log = SkipLog(skipped_path, stage)
            return stream_dataset(
                rows_in, built.source, built.fmt, cfg.inputs, kind, log, turns, cfg.seed
            )
        if kind == "sft":
            return to_dataset(sft_rows(rows_in, turns, cfg.seed))
        return to_dataset(grpo_rows(rows_in))

    for name in stages:
        stage_cfg = getattr(cfg, name)
        sdir = out / name
        done = run_meta["stages"].get(name, {}).get("done")
        if cfg.resume and done and is_model_dir(sdir / "final"):  # a full model or an adapter
            final = sdir / "final"
            has_next = name != stages[-1]
            nxt, base = after_stage(final, stage_cfg, base, has_next, cfg.torch_dtype, reuse=True)
            if has_next:
                model, processor = load_model(nxt, None, cfg.torch_dtype, cfg.attn_implementation)
            if console is not None:
                console.print(f"stage {name}: finished in an earlier run, reused ({final})")
            continue
        rows_in = mix(rows_all, stage_cfg.irrelevant_share, cfg.seed, stage_cfg.max_rows)
        t = time.perf_counter()
        common = dict(seed=cfg.seed, report_to=cfg.report_to, resume=cfg.resume, console=console)
        if name == "pretrain":  # tiny's stand-in for pretraining (tvgcurate.model.pretrain)
            from tvgcurate.model.pretrain import pretrain_rows
            from tvgcurate.model.sft import run_sft

            if cfg.inputs.stream:  # tiny's stand-in: clips need the decoded frames
                samples = [p.sample for p in rows_in]
                rows_in = build_inputs(ws, cfg.inputs, samples=samples, fmt=built.fmt).inputs
            rows = pretrain_rows(rows_in, stage_cfg.task(), cfg.seed)
            data = to_dataset(rows)
            trainer, res = run_sft(model, processor, data, stage_cfg, sdir, **common, name=name)
        elif name == "sft":
            from tvgcurate.model.sft import run_sft

            turns = stage_cfg.turns
            data = dataset(rows_in, "sft", name, turns)
            trainer, res = run_sft(
                model, processor, data, stage_cfg, sdir, **common, conversations=turns > 1
            )
        else:
            from tvgcurate.model.grpo import run_grpo

            trainer, res = run_grpo(
                model, processor, dataset(rows_in, "grpo", name), stage_cfg, sdir, **common
            )
        final = finish_stage(trainer, processor, sdir / "final", meta)
        nxt, base = after_stage(final, stage_cfg, base, name != stages[-1], cfg.torch_dtype)
        if name != stages[-1]:
            # the next stage starts from the saved model (its path is also GRPO's reference)
            del trainer
            model, processor = load_model(nxt, None, cfg.torch_dtype, cfg.attn_implementation)
        n_irr = sum(m.relevance != "relevant" for m in rows_in)
        run_meta["stages"][name] = {
            "done": True,
            "steps": res.global_step,
            "seconds": round(time.perf_counter() - t, 2),
            "train_loss": res.training_loss,
            "rows": len(rows_in),
            "irrelevant_rows": n_irr,
            "skipped": len(read_skipped(skipped_path, name)),
        }
        run_meta["final"] = str(final.relative_to(out))
        save_run()
    skipped = {**built.errors, **read_skipped(skipped_path)}
    if console is not None and len(skipped) > len(built.errors):
        console.print(
            f"[yellow]{len(skipped) - len(built.errors)} sample(s) with unreadable frames "
            f"were skipped while training; listed in {skipped_path}[/yellow]"
        )
    return TrainResult(out, final, run_meta["stages"], skipped)
