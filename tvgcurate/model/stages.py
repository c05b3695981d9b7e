"""The training stages `tvgcurate train` runs, in a registry: `STAGES.get(name)(run)`.

A stage takes a `StageRun` (the run's config, its section of the config, the rows of the
stage's mix, the model to start from, its directory) and returns (trainer, TrainOutput);
`tvgcurate.model.train` saves the trainer's model as the stage's final/ and records the
stage in run.json. Which stages a `--stage` choice runs, in order, is
`tvgcurate.model.config.STAGE_PLAN` (the config imports no implementation);
tests/model/test_train_stages.py checks that every stage there is registered here.

    pretrain   the `tiny` model's stand-in for pretraining (tvgcurate.model.pretrain), as SFT
    sft        supervised fine-tuning on ETA answers (tvgcurate.model.sft)
    grpo       PIR-GRPO with the configured rewards (tvgcurate.model.grpo)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tvgcurate.registry import Registry

if TYPE_CHECKING:
    from tvgcurate.model.config import StageConfig, TrainConfig


@dataclass
class StageRun:
    """What a stage is given. `rows`: the stage's mix of the run's inputs (ModelInput, or
    SamplePlan when inputs stream); a stage that trains on other rows puts them here, since
    run.json counts these. `inputs`: the built or planned inputs (`.source`, `.fmt`)."""

    name: str
    cfg: TrainConfig
    stage: StageConfig
    rows: list
    model: Any
    processor: Any
    out: Path  # RUN/<name>
    inputs: Any
    ws: Any
    skipped_path: Path
    console: Any = None

    def dataset(self, kind: str, turns: int = 1):
        """The stage's rows as a training dataset of `kind` ("sft" or "grpo"): streamed
        (frames decoded by the data loader, unreadable ones logged) or built in memory."""
        from tvgcurate.model.data import SkipLog, grpo_rows, sft_rows, stream_dataset, to_dataset

        cfg = self.cfg
        if cfg.inputs.stream:
            log = SkipLog(self.skipped_path, self.name)
            return stream_dataset(
                self.rows, self.inputs.source, self.inputs.fmt, cfg.inputs, kind, log, turns,
                cfg.seed,
            )  # fmt: skip
        if kind == "sft":
            return to_dataset(sft_rows(self.rows, turns, cfg.seed))
        return to_dataset(grpo_rows(self.rows))

    def options(self) -> dict:
        """The keyword arguments every stage's trainer takes from the run."""
        cfg = self.cfg
        return dict(seed=cfg.seed, report_to=cfg.report_to, resume=cfg.resume, console=self.console)


Stage = Callable[[StageRun], tuple]
STAGES: Registry[Stage] = Registry("training stage")


@STAGES.register("pretrain")
def pretrain(run: StageRun) -> tuple:
    """tiny's stand-in for pretraining: yes/no (and caption) rows on short clips, as SFT."""
    from tvgcurate.model.data import to_dataset
    from tvgcurate.model.inputs import build_inputs
    from tvgcurate.model.pretrain import PretrainTask, pretrain_rows
    from tvgcurate.model.sft import run_sft

    if run.cfg.inputs.stream:  # clips need the decoded frames
        samples = [p.sample for p in run.rows]
        run.rows = build_inputs(run.ws, run.cfg.inputs, samples=samples, fmt=run.inputs.fmt).inputs
    rows = pretrain_rows(run.rows, PretrainTask(**run.stage.task_fields()), run.cfg.seed)
    data = to_dataset(rows)
    return run_sft(
        run.model, run.processor, data, run.stage, run.out, **run.options(), name=run.name
    )


@STAGES.register("sft")
def sft(run: StageRun) -> tuple:
    """Supervised fine-tuning on ETA answers; `turns` > 1: multi-turn rows."""
    from tvgcurate.model.sft import run_sft

    turns = run.stage.turns
    data = run.dataset("sft", turns)
    return run_sft(
        run.model, run.processor, data, run.stage, run.out, **run.options(), conversations=turns > 1
    )


@STAGES.register("grpo")
def grpo(run: StageRun) -> tuple:
    """PIR-GRPO on the stage's prompts."""
    from tvgcurate.model.grpo import run_grpo

    data = run.dataset("grpo")
    return run_grpo(run.model, run.processor, data, run.stage, run.out, **run.options())
