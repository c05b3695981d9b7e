"""`tvgcurate eval`: R1, mAP, mIoU, refusal and highlight (HL) metrics of predictions against
ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import SplitOpt


@app.command(
    "eval",
    epilog=(
        "Examples: tvgcurate eval --predictions preds.jsonl --gt highlight_val_release.jsonl "
        "--out metrics.json  |  tvgcurate eval --predictions sft-run1 --gt ws --split val"
    ),
)
def eval_(
    predictions: Annotated[
        str,
        typer.Option(
            "--predictions",
            "-p",
            help="Reference-format jsonl (qid, pred_relevant_windows), or a run id in the "
            "workspace's predictions table.",
        ),
    ],
    gt: Annotated[
        Path,
        typer.Option(
            "--gt", help="QVHighlights-format jsonl (qid, relevant_windows), or a workspace."
        ),
    ],
    split: SplitOpt = None,
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", "-w", help="Workspace of the predictions run (default: --gt)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write metrics JSON (the reference evaluator's layout + extra)."
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Refuse a predicted window whose end is before its start (exit 2) instead of "
            "scoring it as the reference does.",
        ),
    ] = False,
) -> None:
    """Evaluate moment retrieval exactly as the QVHighlights reference, plus R1@0.3, mIoU, refusals."""
    from tvgcurate.evaluation import EvalConfig, run_eval

    cfg = EvalConfig(
        predictions=predictions, gt=gt, workspace=workspace, split=split, out=out, strict=strict
    )
    _show(run_eval(cfg), out)


def _show(result: dict, out: Path | None) -> None:
    from rich.table import Table

    from tvgcurate.cli.console import console

    def cell(v: object) -> str:
        return "-" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)

    extra = result["extra"]
    table = Table(title="moment retrieval (x100)")
    for col in (
        "bucket",
        "queries",
        "mAP",
        "mAP@0.5",
        "mAP@0.75",
        "R1@0.3",
        "R1@0.5",
        "R1@0.7",
        "mIoU",
    ):
        table.add_column(col, justify="left" if col == "bucket" else "right")
    for name in ("full", "short", "middle", "long"):
        b, x = result[name], extra["buckets"][name]
        table.add_row(
            name,
            str(x["num_queries"]),
            *(cell(b["MR-mAP"][k]) for k in ("average", "0.5", "0.75")),
            cell(x["R1@0.3"]),
            *(cell(b["MR-R1"][k]) for k in ("0.5", "0.7")),
            cell(x["mIoU"]),
        )
    console.print(table)
    ref = extra["refusal"]
    console.print(
        f"queries {extra['num_queries']} (relevant {extra['num_relevant']}, irrelevant "
        f"{extra['num_irrelevant']}); refusal precision {cell(ref['precision'])}, recall "
        f"{cell(ref['recall'])}, accuracy {cell(ref['accuracy'])}, false-refusal rate "
        f"{cell(ref['false_refusal_rate'])}"
    )
    if extra["missing_predictions"] or extra["unmatched_predictions"]:
        console.print(
            f"[yellow]{extra['missing_predictions']} GT queries had no prediction (scored as "
            f"refusals); {extra['unmatched_predictions']} predictions named no GT query[/]"
        )
    _show_highlight(result, console)
    odd = extra.get("unusual_windows") or {}
    if any(odd.values()):
        console.print(
            f"scored as the reference does: {odd.get('inverted', 0)} inverted (end < start), "
            f"{odd.get('zero_length', 0)} zero-length and {odd.get('out_of_range', 0)} "
            "out-of-range predicted window(s)",
            soft_wrap=True,
        )
    if out is not None:
        console.print(f"wrote {out}")


def _show_highlight(result: dict, console) -> None:
    """The HL-min-* numbers (x100), or why there are none."""
    info = result["extra"].get("highlight", {})
    if not info.get("available"):
        console.print(f"highlight detection: not computed ({info.get('reason', 'no saliency')})")
        return
    from rich.table import Table

    table = Table(title=f"highlights (x100), {info['num_queries']} q")
    for col in ("min score", "HL-mAP", "HL-Hit1"):
        table.add_column(col, justify="left" if col == "min score" else "right")
    for key, values in result.items():
        if key.startswith("HL-min-"):
            table.add_row(
                key.removeprefix("HL-min-"), f"{values['HL-mAP']:.2f}", f"{values['HL-Hit1']:.2f}"
            )
    console.print(table)
