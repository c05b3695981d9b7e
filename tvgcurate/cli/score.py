"""`tvgcurate score`: predictions of a trained checkpoint, as a new `predictions` version."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import WorkspaceOpt


@app.command(
    epilog="Example: tvgcurate score --workspace ws --checkpoint runs/tiny --split val --num-samples 4",
)
def score(
    workspace: WorkspaceOpt,
    checkpoint: Annotated[
        Path, typer.Option(help="Run directory of `tvgcurate train`, or a model directory.")
    ],
    split: Annotated[
        str | None, typer.Option(help="Split to score ('all' for every sample).")
    ] = "val",
    num_samples: Annotated[
        int, typer.Option(help="1: greedy; K > 1: K sampled answers, IoU spread kept.")
    ] = 1,
    temperature: Annotated[float, typer.Option(help="Sampling temperature for K > 1.")] = 1.0,
    batch_size: Annotated[int, typer.Option(help="Samples per generate call.")] = 8,
    run_id: Annotated[str | None, typer.Option(help="Run id of the predictions rows.")] = None,
    limit: Annotated[int | None, typer.Option(help="Score only the first N samples.")] = None,
    threads: Annotated[
        int | None, typer.Option(help="torch threads (1 is fastest on a busy shared CPU).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the full metrics as JSON.")
    ] = False,
) -> None:
    """Generate answers for a split, write table `predictions` (ranked windows, `refused`, raw
    text; with K > 1 also `iou_spread` and `refusal_rate`, the audit's uncertainty) and print
    R1@0.3/0.5/0.7, mIoU, mAP and refusal rates."""
    import json

    from rich.table import Table

    from tvgcurate.cli.console import console
    from tvgcurate.model.score import ScoreConfig, headline
    from tvgcurate.model.score import score as run_score

    cfg = ScoreConfig(
        workspace=workspace,
        checkpoint=checkpoint,
        split=None if split == "all" else split,
        num_samples=num_samples,
        temperature=temperature,
        batch_size=batch_size,
        run_id=run_id,
        limit=limit,
        torch_threads=threads,
    )
    res = run_score(cfg)
    if as_json:
        console.print_json(json.dumps(res.metrics))
        return
    table = Table(title=f"run {res.run_id}: predictions v{res.version}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in headline(res.metrics).items():
        table.add_row(k, "-" if v is None else str(v))
    console.print(table)
    errors = res.metrics["extra"].get("errors", 0)
    if errors:
        console.print(f"[yellow]{errors} sample(s) could not be built (see column `error`)[/]")
