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
        "--out metrics.json  |  tvgcurate eval --predictions sft-run1 --gt ws --split val  |  "
        "tvgcurate eval --compare a.json b.json"
    ),
)
def eval_(
    predictions: Annotated[
        str | None,
        typer.Option(
            "--predictions",
            "-p",
            help="Reference-format jsonl (qid, pred_relevant_windows), or a run id in the "
            "workspace's predictions table.",
        ),
    ] = None,
    gt: Annotated[
        Path | None,
        typer.Option(
            "--gt", help="QVHighlights-format jsonl (qid, relevant_windows), or a workspace."
        ),
    ] = None,
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
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the metrics JSON (with the card) instead.")
    ] = False,
    compare: Annotated[
        tuple[Path, Path] | None,
        typer.Option(
            "--compare",
            help="Compare two --out files: metric differences beside the card fields that "
            "differ, and whether the numbers are comparable.",
        ),
    ] = None,
) -> None:
    """Evaluate moment retrieval exactly as the QVHighlights reference, plus R1@0.3, mIoU,
    refusals and refusal-aware RA-IoU / relevance P/R/F1; the JSON carries the run's eval card."""
    if compare is not None:
        from tvgcurate.evaluation.compare import compare_files

        _show_comparison(compare_files(*compare), as_json)
        return
    if predictions is None or gt is None:
        raise typer.BadParameter("--predictions and --gt are required (or use --compare A B)")
    from tvgcurate.evaluation import EvalConfig, run_eval

    cfg = EvalConfig(
        predictions=predictions, gt=gt, workspace=workspace, split=split, out=out, strict=strict
    )
    result = run_eval(cfg)
    if as_json:
        import json

        typer.echo(json.dumps(result, indent=2))
        return
    _show(result, out)


def _show(result: dict, out: Path | None) -> None:
    from tvgcurate.cli.console import console, num, table, wrap

    def cell(v: object) -> str:
        return "-" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)

    extra = result["extra"]
    mr = table(
        "bucket",
        *(num(c) for c in ("queries", "mAP", "mAP@0.5", "mAP@0.75", "R1@0.3", "R1@0.5",
                           "R1@0.7", "mIoU")),
        title="moment retrieval (x100)",
    )  # fmt: skip
    for name in ("full", "short", "middle", "long"):
        b, x = result[name], extra["buckets"][name]
        mr.add_row(
            name,
            str(x["num_queries"]),
            *(cell(b["MR-mAP"][k]) for k in ("average", "0.5", "0.75")),
            cell(x["R1@0.3"]),
            *(cell(b["MR-R1"][k]) for k in ("0.5", "0.7")),
            cell(x["mIoU"]),
        )
    console.print(mr)
    ref = extra["refusal"]
    console.print(
        f"queries {extra['num_queries']} (relevant {extra['num_relevant']}, irrelevant "
        f"{extra['num_irrelevant']}); refusal precision {cell(ref['precision'])}, recall "
        f"{cell(ref['recall'])}, accuracy {cell(ref['accuracy'])}, false-refusal rate "
        f"{cell(ref['false_refusal_rate'])}"
    )
    ra = extra.get("refusal_aware")
    if ra:
        rt = table(
            "metric", num("value"), wrap("meaning"), title="refusal-aware, all queries (x100)"
        )
        for m in ("0.3", "0.5", "0.7"):
            rt.add_row(
                f"RA-IoU@{m}", cell(ra[f"RA-IoU@{m}"]), f"refused if irrelevant, IoU>={m} if not"
            )
        for k, meaning in (
            ("accuracy", "right answer-or-refuse decisions"),
            ("precision", "relevant among answered"),
            ("recall", "answered among relevant"),
            ("f1", "positive class = relevant"),
        ):
            rt.add_row(f"relevance {k}", cell(ra[f"relevance_{k}"]), meaning)
        console.print(rt)
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
    from tvgcurate.cli.console import num, table

    hl = table(
        "min score",
        num("HL-mAP"),
        num("HL-Hit1"),
        title=f"highlights (x100), {info['num_queries']} q",
    )
    for key, values in result.items():
        if key.startswith("HL-min-"):
            hl.add_row(
                key.removeprefix("HL-min-"), f"{values['HL-mAP']:.2f}", f"{values['HL-Hit1']:.2f}"
            )
    console.print(hl)


def _show_comparison(cmp, as_json: bool) -> None:
    """Metric differences, the card fields that differ, and the verdict."""
    from tvgcurate.cli.console import console, num, table

    if as_json:
        import json

        typer.echo(json.dumps(cmp.to_dict(), indent=2, default=str))
        return

    def cell(v: object) -> str:
        return "-" if v is None else f"{v:+.2f}" if isinstance(v, float) else str(v)

    diff = table(
        "metric", num("A"), num("B"), num("B - A"), title=f"B - A  (A = {cmp.a}, B = {cmp.b})"
    )
    for name, a, b, d in cmp.metrics:
        diff.add_row(name, *("-" if v is None else f"{v:g}" for v in (a, b)), cell(d))
    console.print(diff)
    if cmp.fields:
        ft = table("field", "A", "B", "effect", title="card fields that differ")
        for d in cmp.fields:
            effect = {"incomparable": "INCOMPARABLE", "caution": "caution"}.get(d.level, "")
            ft.add_row(d.name, _text(d.a), _text(d.b), effect)
        console.print(ft)
    for name in cmp.missing_card:
        console.print(f"{name} has no eval card: what made its numbers is unknown")
    verdict = cmp.verdict
    if verdict == "incomparable":
        console.print(
            "[bold red]INCOMPARABLE[/]: " + "; ".join(cmp.reasons("incomparable")), soft_wrap=True
        )
    elif verdict == "caution":
        why = cmp.reasons("caution") or ["a card is missing"]
        console.print("[yellow]comparable with caution[/]: " + "; ".join(why), soft_wrap=True)
    else:
        console.print("comparable: the cards agree on everything that determines the numbers")


def _text(v: object) -> str:
    return "-" if v is None else str(v)
