"""`tvgcurate relabel`: re-annotation through Label Studio (send, bring back, stats)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.console import console
from tvgcurate.cli.options import VersionOpt, WorkspaceOpt
from tvgcurate.errors import TvgError

EPILOG = """Examples:

  export LABEL_STUDIO_API_KEY=...   # Label Studio: Account & Settings -> Personal Access Token

  tvgcurate relabel -w ws --to-labelstudio --project cqvh-r1 --select needs_review --media-root videos/

  tvgcurate relabel -w ws --from-labelstudio --project cqvh-r1

  tvgcurate relabel -w ws --stats

  tvgcurate relabel -w ws --select split=val --media-root videos/ --out ls-offline/
"""


@app.command("relabel", epilog=EPILOG)
def relabel(
    workspace: WorkspaceOpt,
    to_labelstudio: Annotated[
        bool, typer.Option("--to-labelstudio", help="Send the selected samples as tasks.")
    ] = False,
    from_labelstudio: Annotated[
        bool,
        typer.Option("--from-labelstudio", help="Pull every annotation, then run consensus."),
    ] = False,
    stats: Annotated[bool, typer.Option("--stats", help="Show what relabelling changed.")] = False,
    url: Annotated[
        str, typer.Option("--url", help="Label Studio URL (key from LABEL_STUDIO_API_KEY).")
    ] = "http://127.0.0.1:8080",
    project: Annotated[str, typer.Option("--project", help="Label Studio project title.")] = "",
    select: Annotated[
        str,
        typer.Option(
            "--select", help="needs_review | split=val | ids=FILE | audit:top=N | all (join with ,)"
        ),
    ] = "needs_review",
    media_root: Annotated[
        Path | None,
        typer.Option("--media-root", help="Videos dir (videos.path is relative to it)."),
    ] = None,
    document_root: Annotated[
        Path | None,
        typer.Option(
            "--document-root", help="Server's LOCAL_FILES_DOCUMENT_ROOT (default: parent)."
        ),
    ] = None,
    video_url_prefix: Annotated[
        str | None, typer.Option("--video-url-prefix", help="Videos already served at URL/path.")
    ] = None,
    with_predictions: Annotated[
        str | None, typer.Option("--with-predictions", help="Also send this predictions run.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Offline: write config XML + tasks JSON here.")
    ] = None,
    round_: Annotated[
        str | None, typer.Option("--round", help="Round name (default: the project title).")
    ] = None,
    min_iou: Annotated[float, typer.Option("--min-iou", help="Consensus IoU threshold.")] = 0.5,
    min_annotators: Annotated[
        int | None,
        typer.Option("--min-annotators", help="Annotators per sample (default: project overlap)."),
    ] = None,
    no_consensus: Annotated[
        bool, typer.Option("--no-consensus", help="Only pull; write no samples version.")
    ] = False,
    retries: Annotated[
        int, typer.Option("--retries", help="Connection attempts, with exponential backoff.")
    ] = 5,
    version: VersionOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
) -> None:
    """Send samples to Label Studio for re-annotation and bring every decision back (cQvH)."""
    modes = sum([to_labelstudio or out is not None, from_labelstudio, stats])
    if modes != 1:
        raise TvgError("choose one of --to-labelstudio (or --out DIR), --from-labelstudio, --stats")
    if stats:
        _stats(workspace, version, round_, as_json)
    elif from_labelstudio:
        _pull(workspace, url, project, round_, min_iou, min_annotators, no_consensus, as_json,
              retries)  # fmt: skip
    else:
        _push(workspace, url, project, select, media_root, document_root, video_url_prefix,
              with_predictions, out, as_json, retries)  # fmt: skip


def _media(media_root, document_root, prefix):
    from tvgcurate.labeling.media import MediaSource

    if media_root is None and prefix is None:
        return None
    try:
        return MediaSource(media_root=media_root, document_root=document_root, url_prefix=prefix)
    except ValueError as exc:
        raise TvgError(str(exc)) from None


def _push(
    workspace, url, project, select, media_root, document_root, prefix, run, out, as_json, retries
):
    from tvgcurate.labeling.client import api_key_from_env
    from tvgcurate.labeling.push import PushConfig, push

    key = None if out is not None else api_key_from_env()
    cfg = PushConfig(
        workspace=workspace, project=project, select=select,
        media=_media(media_root, document_root, prefix), url=url, api_key=key,
        with_predictions=run, out=out, retries=retries,
    )  # fmt: skip
    r = push(cfg)
    summary = {
        "project": r.project, "project_id": r.project_id, "selected": r.selected, "sent": r.sent,
        "already_sent": r.already_sent, "superseded": r.superseded, "skipped": len(r.skipped),
        "files": [str(f) for f in r.files], "record": str(r.record) if r.record else None,
    }  # fmt: skip
    if as_json:
        console.print_json(json.dumps(summary))
        return
    if out is not None:
        console.print(f"wrote {r.sent} tasks: " + ", ".join(map(str, r.files)))
        console.print("import: Label Studio -> Create Project -> Labeling Setup -> Code (paste the "
                      "XML), then Data Import (tasks.json)")  # fmt: skip
    else:
        console.print(
            f"project [bold]{r.project}[/] (id {r.project_id}): {r.selected} selected, "
            f"{r.sent} sent, {r.already_sent} already there, {r.superseded} superseded"
        )
    for s in r.skipped[:20]:
        console.print(f"  [yellow]skipped[/] {s.sample_id}: {s.error}")


def _pull(workspace, url, project, round_, min_iou, min_annotators, no_consensus, as_json, retries):
    from tvgcurate.labeling.client import api_key_from_env
    from tvgcurate.labeling.consensus import ConsensusConfig
    from tvgcurate.labeling.pull import PullConfig, bring_back

    pcfg = PullConfig(
        workspace=workspace,
        project=project,
        url=url,
        api_key=api_key_from_env(),
        round=round_,
        retries=retries,
    )
    ccfg = None
    if not no_consensus:
        ccfg = ConsensusConfig(
            workspace=workspace, project=project, round=pcfg.round,
            min_iou=min_iou, min_annotators=min_annotators,
        )  # fmt: skip
    pulled, decided = bring_back(pcfg, ccfg)
    summary = {
        "tasks": pulled.tasks, "new": pulled.new, "updated": pulled.updated,
        "unchanged": pulled.unchanged, "cancelled": pulled.cancelled, "errors": pulled.errors,
        "labels_version": pulled.labels_version,
    }  # fmt: skip
    if decided is not None:
        summary["consensus"] = {
            status: len(decided.by_status(status))
            for status in ("accepted", "disagree", "unclear", "too_few")
        }
        summary["samples_version"] = decided.samples_version
        summary["disagree"] = [
            {"sample_id": d.sample_id, "reason": d.reason} for d in decided.by_status("disagree")
        ]
    if as_json:
        console.print_json(json.dumps(summary))
        return
    console.print(
        f"pulled {pulled.tasks} tasks: {pulled.new} new and {pulled.updated} updated annotations, "
        f"{pulled.unchanged} unchanged, {pulled.cancelled} skipped/cancelled, {pulled.errors} unreadable"
    )
    if decided is not None:
        c = summary["consensus"]
        console.print(
            f"consensus (round {decided.round}): {c['accepted']} corrected, {c['disagree']} disagree, "
            f"{c['unclear']} unclear, {c['too_few']} waiting for annotators"
            + (
                f" -> samples v{decided.samples_version}"
                if decided.samples_version
                else " (no change)"
            )
        )
        for d in decided.decisions:
            if d.status in ("disagree", "unclear"):
                console.print(f"  [yellow]{d.status}[/] {d.sample_id}: {d.reason}")


def _stats(workspace, version, round_, as_json):
    from rich.table import Table

    from tvgcurate.labeling.stats import StatsConfig, relabel_stats

    s = relabel_stats(StatsConfig(workspace=workspace, version=version, round=round_))
    if as_json:
        console.print_json(json.dumps(s))
        return
    t = Table(title="relabel: what changed", show_header=True)
    t.add_column("measure")
    t.add_column("value", justify="right")
    b = s["boundary_shift"]
    for k, v in [
        ("samples", s["samples"]), ("relabelled", s["relabelled"]), ("changed", s["changed"]),
        ("windows changed", s["windows_changed"]), ("queries rewritten", s["queries_rewritten"]),
        ("boundary shift mean (s)", f"{b['mean_s']:.2f}"), ("boundary shift p50 (s)", f"{b['p50_s']:.2f}"),
        ("boundary shift p90 (s)", f"{b['p90_s']:.2f}"), ("boundary shift max (s)", f"{b['max_s']:.2f}"),
        ("still needs review", s["needs_review"]),
    ]:  # fmt: skip
        t.add_row(k, str(v))
    for k, v in s["relevance_changed"].items():
        t.add_row(f"relevance {k}", str(v))
    console.print(t)
