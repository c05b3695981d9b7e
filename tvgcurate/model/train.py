"""`tvgcurate train`: SFT, then PIR-GRPO, on a workspace's samples; one run directory.

RUN/run.json            config, ETA width, stages finished, `final` model directory
RUN/sft/                TRL checkpoints (safetensors), metrics.jsonl, tb/ ; final/ = model
RUN/grpo/               the same for GRPO (starts from sft/final when both stages run)
RUN/skipped.jsonl       samples left out: no keyframes (stage "inputs") or unreadable frames
                        met while streaming (stage "sft" / "grpo"); one JSON line each

The run: the inputs of the training split (`training_inputs`), the model, then each stage
of the plan (`config.STAGE_PLAN[cfg.stage]`) through the stage registry
(`tvgcurate.model.stages.STAGES`); each saves its final/ and the next starts from it.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

from tvgcurate.errors import WorkspaceError
from tvgcurate.model.config import STAGE_PLAN, TrainConfig, to_dict
from tvgcurate.model.loading import RUN_FILE, is_model_dir, load_model
from tvgcurate.model.stages import STAGES, StageRun
from tvgcurate.schemas.sample import expects_refusal


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


@dataclass
class RunFile:
    """RUN/run.json: the config, the ETA width, each finished stage and the final model,
    written by the main process after each change. On resume, the stages come from the
    file already there."""

    path: Path
    meta: dict

    @classmethod
    def open(cls, cfg: TrainConfig) -> RunFile:
        path = cfg.output / RUN_FILE
        meta = {"config": to_dict(cfg), "stages": {}, "final": None}
        if cfg.resume and path.exists():
            meta["stages"] = json.loads(path.read_text()).get("stages", {})
        return cls(path, meta)

    def done(self, stage: str) -> bool:
        return bool(self.meta["stages"].get(stage, {}).get("done"))

    def save(self) -> None:
        if _is_main_process():
            self.path.write_text(json.dumps(self.meta, indent=2, default=str) + "\n")


def prompt_words(cfg: TrainConfig) -> list[str]:
    """The words of the text the project writes around a query: the chat roles, the prompt
    template, the pretraining stand-in's questions, its yes/no answers and the refusal."""
    from tvgcurate.model.eta import REFUSAL_WORD
    from tvgcurate.model.pretrain import CAPTION_PROMPT, PRESENCE_PROMPT
    from tvgcurate.model.tiny import words_of

    texts = ["system user assistant", cfg.inputs.prompt_template.replace("{query}", " ")]
    texts += [PRESENCE_PROMPT.replace("{query}", " "), CAPTION_PROMPT, REFUSAL_WORD, "to"]
    return words_of(texts)


def with_query_words(cfg, ws):
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


def training_inputs(cfg: TrainConfig, ws, run: RunFile, fold=None, fold_seed=0, console=None):
    """The run's inputs (`.errors`, `.fmt`, `.source`) and its training rows: built, or
    planned when frames stream; out of fold `fold` ('i/K') when given. Samples without
    inputs go to skipped.jsonl (stage "inputs"); no row at all is a WorkspaceError."""
    from tvgcurate.model.data import SKIPPED_FILE, SkipLog
    from tvgcurate.model.inputs import build_inputs, plan_inputs

    t0 = time.perf_counter()
    if cfg.inputs.stream:  # frames are decoded by the data loader, row by row
        built = plan_inputs(ws, cfg.inputs, split=cfg.train_split)
        rows = built.plans
    else:
        built = build_inputs(ws, cfg.inputs, split=cfg.train_split)
        rows = built.inputs
    if fold is not None:  # out of fold: the rows of fold i are left for `score --fold i/K`
        from tvgcurate.folds import in_fold, parse_fold

        spec = parse_fold(fold)
        rows = [r for r in rows if not in_fold(r.video_id, spec, fold_seed)]
        run.meta["fold"] = {"fold": fold, "seed": fold_seed}
    skipped_path = cfg.output / SKIPPED_FILE
    if _is_main_process() and not cfg.resume:
        skipped_path.unlink(missing_ok=True)
    if _is_main_process() and built.errors:
        inputs_log = SkipLog(skipped_path, "inputs")
        for sid, err in built.errors.items():
            inputs_log.record(sid, err, warn=False)  # counted on the console
    if not rows:
        detail = "; ".join(f"{k}: {v}" for k, v in list(built.errors.items())[:3])
        raise WorkspaceError(
            f"{ws.root}: no trainable samples in split {cfg.train_split!r}"
            + (f" ({detail})" if detail else "")
        )
    if console is not None:
        console.print(
            f"{len(rows)} samples ({len(built.errors)} skipped), ETA width "
            f"{built.fmt.width}, inputs {'planned' if cfg.inputs.stream else 'built'} in "
            f"{time.perf_counter() - t0:.1f}s"
        )
    return built, rows


def run_stage(run: StageRun, meta: dict) -> tuple[Path, dict]:
    """Train one stage through the registry and save its model to final/; returns final/
    and the stage's run.json record (its seconds left to the caller)."""
    from tvgcurate.model.data import read_skipped
    from tvgcurate.model.trainers import finish_stage

    trainer, res = STAGES.get(run.name)(run)
    final = finish_stage(trainer, run.processor, run.out / "final", meta)
    return final, {
        "done": True,
        "steps": res.global_step,
        "seconds": None,  # the caller's: until the next stage's model is loaded
        "train_loss": res.training_loss,
        "rows": len(run.rows),
        "irrelevant_rows": sum(expects_refusal(m.relevance) for m in run.rows),
        "skipped": len(read_skipped(run.skipped_path, run.name)),
    }


def train(
    cfg: TrainConfig, console=None, fold: str | None = None, fold_seed: int = 0
) -> TrainResult:
    """Run the configured stage(s) and return where the final model is. `fold` 'i/K': train
    on the training split minus fold i of K (by video, tvgcurate.folds)."""
    import torch

    from tvgcurate.model.data import SKIPPED_FILE, mix, read_skipped
    from tvgcurate.model.lora import after_stage, run_base
    from tvgcurate.workspace import Workspace

    ws = Workspace(cfg.workspace)
    if cfg.model == "tiny" and (cfg.tiny.word_tokens or cfg.tiny.prompt_words):  # same on resume
        cfg = with_query_words(cfg, ws)
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    torch.manual_seed(cfg.seed)
    out = cfg.output
    out.mkdir(parents=True, exist_ok=True)
    run = RunFile.open(cfg)
    skipped_path = out / SKIPPED_FILE
    built, rows_all = training_inputs(cfg, ws, run, fold, fold_seed, console)
    meta = _inputs_meta(cfg, built.fmt.width)
    run.meta["timestamp_width"] = built.fmt.width
    run.save()

    model, processor = load_model(cfg.model, cfg.tiny, cfg.torch_dtype, cfg.attn_implementation)
    base = run_base(cfg, model, processor, out, meta)  # LoRA: the first adapter's base model
    plan = STAGE_PLAN[cfg.stage]
    final = None
    for i, name in enumerate(plan):
        stage_cfg, has_next, sdir = getattr(cfg, name), i + 1 < len(plan), out / name
        # a stage finished by an earlier run: a full model or an adapter in final/
        reused = cfg.resume and run.done(name) and is_model_dir(sdir / "final")
        if reused:
            final = sdir / "final"
        else:
            rows = mix(rows_all, stage_cfg.irrelevant_share, cfg.seed, stage_cfg.max_rows)
            t = time.perf_counter()
            stage_run = StageRun(
                name, cfg, stage_cfg, rows, model, processor, sdir, built, ws, skipped_path, console
            )
            final, record = run_stage(stage_run, meta)
            del stage_run  # the trainer is gone; the next model replaces this one
        nxt, base = after_stage(final, stage_cfg, base, has_next, cfg.torch_dtype, reuse=reused)
        if has_next:  # the next stage starts from the saved model (also GRPO's reference)
            model, processor = load_model(nxt, None, cfg.torch_dtype, cfg.attn_implementation)
        if reused:
            if console is not None:
                console.print(f"stage {name}: finished in an earlier run, reused ({final})")
            continue
        record["seconds"] = round(time.perf_counter() - t, 2)
        run.meta["stages"][name] = record
        run.meta["final"] = str(final.relative_to(out))
        run.save()
    skipped = {**built.errors, **read_skipped(skipped_path)}
    if console is not None and len(skipped) > len(built.errors):
        console.print(
            f"[yellow]{len(skipped) - len(built.errors)} sample(s) with unreadable frames "
            f"were skipped while training; listed in {skipped_path}[/yellow]"
        )
    return TrainResult(out, final, run.meta["stages"], skipped)
