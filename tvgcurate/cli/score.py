"""`tvgcurate score`: predictions of a trained checkpoint, as a new `predictions` version."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import ConfigOptions, WorkspaceOpt
from tvgcurate.executors.base import EXECUTORS
from tvgcurate.model.backends.base import BACKENDS
from tvgcurate.model.score import ScoreConfig

SC = ConfigOptions(
    "score",
    ScoreConfig,
    skip={"torch_threads": "--threads", "write": "always written from the CLI"},
)


@app.command(
    epilog="Example: tvgcurate score --workspace ws --checkpoint runs/tiny --split val "
    "--executor process --workers 2 --shard-size 64",
)
def score(
    workspace: WorkspaceOpt,
    checkpoint: Path = SC.option(
        "checkpoint",
        help="Run directory of `tvgcurate train`, a model or a LoRA adapter directory.",
    ),
    split: str | None = SC.option("split", help="Split to score ('all' for every sample)."),
    num_samples: int = SC.option(
        "num_samples", help="1: greedy; K > 1: K sampled answers, IoU spread kept."
    ),
    temperature: float = SC.option("temperature"),
    batch_size: int = SC.option("batch_size"),
    max_new_tokens: int = SC.option("max_new_tokens"),
    run_id: str | None = SC.option("run_id"),
    limit: int | None = SC.option("limit"),
    seed: int = SC.option("seed"),
    backend: str = SC.option("backend", choices=BACKENDS),
    executor: str = SC.option("executor", choices=EXECUTORS),
    workers: int | None = SC.option("workers"),
    shard_size: int = SC.option("shard_size"),
    ray_address: str | None = SC.option("ray_address"),
    progress: bool = SC.option("progress"),
    dtype: str = SC.option("dtype"),
    rank: int | None = SC.option("rank"),
    world_size: int | None = SC.option("world_size"),
    wait_s: float = SC.option("wait_s"),
    fold: str | None = SC.option("fold"),
    fold_seed: int = SC.option("fold_seed"),
    threads: Annotated[
        int | None, typer.Option(help="torch threads (1 is fastest on a busy shared CPU).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the full metrics as JSON.")
    ] = False,
) -> None:
    """Generate answers for a split, write table `predictions` (ranked windows, `refused`, raw
    text, `refusal_score`; with K > 1 also `iou_spread` and `refusal_rate`, the audit's
    uncertainty) and print R1@0.3/0.5/0.7, mIoU, mAP and refusal rates (with irrelevant rows,
    also the refusal score's AUC and accuracy at false-refusal rates 5% and 10%). Runs over
    shards (finished shards are kept in the workspace's scratch, so an interrupted run
    resumes); under `accelerate launch` each rank takes every world_size-th shard."""
    import json

    from tvgcurate.cli.console import console, num, table
    from tvgcurate.model.score import headline
    from tvgcurate.model.score import score as run_score

    values = dict(locals())
    values["split"] = None if split == "all" else split
    cfg = SC.build(values, torch_threads=threads)
    res = run_score(cfg)
    if res.version is None and not res.metrics:
        console.print(f"rank {cfg.rank}: shards done; rank 0 writes the predictions")
        return
    if as_json:
        console.print_json(json.dumps(res.metrics))
        return
    out = table("metric", num("value"), title=f"run {res.run_id}: predictions v{res.version}")
    for k, v in headline(res.metrics).items():
        out.add_row(k, "-" if v is None else str(v))
    console.print(out)
    sh = res.metrics["extra"].get("shards", {})
    if sh:
        console.print(f"{sh['computed']} shard(s) computed, {sh['skipped']} reused")
    errors = res.metrics["extra"].get("errors", 0)
    if errors:
        console.print(f"[yellow]{errors} sample(s) could not be built (see column `error`)[/]")
