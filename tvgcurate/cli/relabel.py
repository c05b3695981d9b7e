"""`tvgcurate relabel push | pull | stats`: re-annotation through Label Studio.

The one-command form of earlier releases (`relabel --to-labelstudio | --from-labelstudio |
--stats`) still works through hidden options of the group, with a deprecation note; it goes
away in the next release.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import Group, app
from tvgcurate.cli.console import console, err_console, safe
from tvgcurate.cli.options import ConfigOptions, JsonOpt, MediaRootOpt, VersionOpt, WorkspaceOpt
from tvgcurate.errors import TvgError
from tvgcurate.labeling.consensus import ConsensusConfig
from tvgcurate.labeling.pull import PullConfig
from tvgcurate.labeling.push import PushConfig
from tvgcurate.labeling.stats import StatsConfig

PUSH = ConfigOptions(
    "relabel push",
    PushConfig,
    skip={
        "media": "built from --media-root, --document-root and --video-url-prefix",
        "api_key": "read from LABEL_STUDIO_API_KEY only (never a flag)",
    },
)
PULL = ConfigOptions(
    "relabel pull", PullConfig, skip={"api_key": "read from LABEL_STUDIO_API_KEY only"}
)
CONSENSUS = ConfigOptions(
    "relabel pull",
    ConsensusConfig,
    skip={
        "workspace": "the pull's --workspace",
        "project": "the pull's --project",
        "round": "the pull's --round",
    },
)
STATS = ConfigOptions("relabel stats", StatsConfig)

URL_HELP = "Label Studio URL (key from LABEL_STUDIO_API_KEY)."
DEPRECATED = (
    "note: `relabel {old}` is deprecated and goes away in the next release; "
    "use `tvgcurate relabel {new}`"
)

relabel_app = typer.Typer(
    cls=Group,
    help="Send samples to Label Studio for re-annotation and bring every decision back (cQvH).",
    invoke_without_command=True,
)
app.add_typer(relabel_app, name="relabel")


@relabel_app.command(
    "push",
    epilog=(
        "Examples:\n\n"
        "  export LABEL_STUDIO_API_KEY=...   # Account & Settings -> Personal Access Token\n\n"
        "  tvgcurate relabel push -w ws --project cqvh-r1 --select needs_review "
        "--media-root videos/\n\n"
        "  tvgcurate relabel push -w ws --select split=val --media-root videos/ --out ls-offline/"
    ),
)
def push(
    workspace: WorkspaceOpt,
    url: str = PUSH.option("url", "--url", help=URL_HELP),
    project: str = PUSH.option("project", "--project"),
    select: str = PUSH.option(
        "select",
        "--select",
        help="needs_review | split=val | ids=FILE | audit:top=N | all (join with ,)",
    ),
    media_root: MediaRootOpt = None,
    document_root: Annotated[
        Path | None,
        typer.Option(
            "--document-root", help="Server's LOCAL_FILES_DOCUMENT_ROOT (default: parent)."
        ),
    ] = None,
    video_url_prefix: Annotated[
        str | None, typer.Option("--video-url-prefix", help="Videos already served at URL/path.")
    ] = None,
    with_predictions: str | None = PUSH.option("with_predictions", "--with-predictions"),
    out: Path | None = PUSH.option(
        "out", "--out", help="Offline: write config XML + tasks JSON here (no server)."
    ),
    batch_size: int = PUSH.option("batch_size", "--batch-size"),
    retries: int = PUSH.option("retries", "--retries"),
    as_json: JsonOpt = False,
) -> None:
    """Send the selected samples to a Label Studio project as tasks (or write offline files)."""
    from tvgcurate.labeling.client import api_key_from_env
    from tvgcurate.labeling.push import push as run_push

    media = _media(media_root, document_root, video_url_prefix)
    key = None if out is not None else api_key_from_env()
    r = run_push(PUSH.build(locals(), media=media, api_key=key))
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
            f"project [bold]{safe(r.project)}[/] (id {r.project_id}): {r.selected} selected, "
            f"{r.sent} sent, {r.already_sent} already there, {r.superseded} superseded"
        )
    for s in r.skipped[:20]:
        console.print(f"  [yellow]skipped[/] {safe(s.sample_id)}: {safe(s.error)}")


@relabel_app.command(
    "pull", epilog="Example:\n\n  tvgcurate relabel pull -w ws --project cqvh-r1 --min-iou 0.5"
)
def pull(
    workspace: WorkspaceOpt,
    url: str = PULL.option("url", "--url", help=URL_HELP),
    project: str = PULL.option("project", "--project"),
    round: str | None = PULL.option(
        "round", "--round", help="Round name (default: the project title)."
    ),
    min_iou: float = CONSENSUS.option("min_iou", "--min-iou"),
    min_annotators: int | None = CONSENSUS.option("min_annotators", "--min-annotators"),
    no_consensus: Annotated[
        bool, typer.Option("--no-consensus", help="Only pull; write no samples version.")
    ] = False,
    retries: int = PULL.option("retries", "--retries"),
    as_json: JsonOpt = False,
) -> None:
    """Pull every annotation of a project into `labels`, then decide by consensus (a new
    samples version with the corrections)."""
    from tvgcurate.labeling.client import api_key_from_env
    from tvgcurate.labeling.pull import bring_back

    pcfg = PULL.build(locals(), api_key=api_key_from_env())
    ccfg = None
    if not no_consensus:
        ccfg = CONSENSUS.build(locals(), project=project, round=pcfg.round)
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
                console.print(f"  [yellow]{d.status}[/] {safe(d.sample_id)}: {safe(d.reason)}")


@relabel_app.command("stats", epilog="Example:\n\n  tvgcurate relabel stats -w ws --json")
def stats(
    workspace: WorkspaceOpt,
    version: VersionOpt = None,
    round: str | None = STATS.option("round", "--round"),
    as_json: JsonOpt = False,
) -> None:
    """Show what relabelling changed: windows, queries, boundary shifts, relevance."""
    from tvgcurate.cli.console import num, table
    from tvgcurate.labeling.stats import relabel_stats

    s = relabel_stats(STATS.build(locals()))
    if as_json:
        console.print_json(json.dumps(s))
        return
    t = table("measure", num("value"), title="relabel: what changed")
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


def _media(media_root, document_root, prefix):
    from tvgcurate.labeling.media import MediaSource

    if media_root is None and prefix is None:
        return None
    try:
        return MediaSource(media_root=media_root, document_root=document_root, url_prefix=prefix)
    except ValueError as exc:
        raise TvgError(str(exc)) from None


def _hidden(*decls: str, default=None, help: str = ""):
    return typer.Option(default, *decls, hidden=True, help=help)


@relabel_app.callback()
def legacy(
    ctx: typer.Context,
    workspace: Path | None = _hidden("--workspace", "-w"),
    to_labelstudio: bool = _hidden("--to-labelstudio", default=False),
    from_labelstudio: bool = _hidden("--from-labelstudio", default=False),
    stats_: bool = _hidden("--stats", default=False),
    url: str = _hidden("--url", default=PUSH.default("url")),
    project: str = _hidden("--project", default=PUSH.default("project")),
    select: str = _hidden("--select", default=PUSH.default("select")),
    media_root: Path | None = _hidden("--media-root"),
    document_root: Path | None = _hidden("--document-root"),
    video_url_prefix: str | None = _hidden("--video-url-prefix"),
    with_predictions: str | None = _hidden("--with-predictions"),
    out: Path | None = _hidden("--out"),
    round_: str | None = _hidden("--round"),
    min_iou: float = _hidden("--min-iou", default=CONSENSUS.default("min_iou")),
    min_annotators: int | None = _hidden("--min-annotators"),
    no_consensus: bool = _hidden("--no-consensus", default=False),
    retries: int = _hidden("--retries", default=PUSH.default("retries")),
    version: int | None = _hidden("--version"),
    as_json: bool = _hidden("--json", default=False),
) -> None:
    """Send samples to Label Studio for re-annotation and bring every decision back (cQvH):
    `push`, then `pull`, then `stats`."""
    if ctx.invoked_subcommand is not None:
        return
    modes = sum([to_labelstudio or out is not None, from_labelstudio, stats_])
    if modes == 0:
        console.print(ctx.get_help())
        raise typer.Exit(0)
    if modes != 1:
        raise TvgError("choose one of: relabel push, relabel pull, relabel stats")
    if workspace is None:
        raise TvgError("--workspace is required")
    if stats_:
        err_console.print(DEPRECATED.format(old="--stats", new="stats"))
        stats(workspace=workspace, version=version, round=round_, as_json=as_json)
    elif from_labelstudio:
        err_console.print(DEPRECATED.format(old="--from-labelstudio", new="pull"))
        pull(workspace=workspace, url=url, project=project, round=round_, min_iou=min_iou,
             min_annotators=min_annotators, no_consensus=no_consensus, retries=retries,
             as_json=as_json)  # fmt: skip
    else:
        err_console.print(DEPRECATED.format(old="--to-labelstudio", new="push"))
        push(workspace=workspace, url=url, project=project, select=select,
             media_root=media_root, document_root=document_root,
             video_url_prefix=video_url_prefix, with_predictions=with_predictions, out=out,
             batch_size=PUSH.default("batch_size"), retries=retries, as_json=as_json)  # fmt: skip
