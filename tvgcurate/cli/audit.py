"""`tvgcurate audit`: find what is wrong in the samples and rank what humans should see first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tvgcurate.cli.app import app
from tvgcurate.cli.options import WorkspaceOpt
from tvgcurate.schemas.constants import DEFAULT_ENCODER


@app.command(
    epilog=(
        "Example: tvgcurate audit --workspace ws --predictions latest --report audit-report/ "
        "&& tvgcurate relabel push -w ws --select audit:top=50 --out ls-offline/"
    ),
)
def audit(
    workspace: WorkspaceOpt,
    predictions: Annotated[
        str | None,
        typer.Option(help="Predictions run_id for the model checks ('latest': the last run)."),
    ] = None,
    checks: Annotated[
        list[str] | None,
        typer.Option(
            "--checks", help="Checks or families to run (comma-separated or repeated; default all)."
        ),
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write a static HTML report (index.html) to this directory.")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Threshold override CHECK.FIELD=VALUE, e.g. whole_video.max_share=0.95."
        ),
    ] = None,
    encoder: Annotated[
        str, typer.Option(help="Sentence encoder for near-duplicates ('hashing': no model).")
    ] = DEFAULT_ENCODER,
    top: Annotated[
        int, typer.Option(help="Top-ranked samples drawn as timelines in the report.")
    ] = 30,
    list_checks: Annotated[
        bool, typer.Option("--list", help="List the checks and their thresholds, then exit.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    progress: Annotated[bool, typer.Option(help="Show progress on stderr.")] = True,
) -> None:
    """Run the audit checks (window sanity, duration, clip grid, query text, duplicates,
    leakage, boundary precision, and model/label disagreement with --predictions), write an
    `audits` version with a combined priority per sample, print a summary per check, and
    optionally an HTML report."""
    from tvgcurate.cli.console import console

    if list_checks:
        _list(console)
        return
    from tvgcurate.curation.audit import AuditConfig, run_audit
    from tvgcurate.keyvalue import parse

    overrides = parse(set_, "--set", "CHECK.FIELD=VALUE (whole_video.max_share=0.95)", typed=False)
    res = run_audit(
        AuditConfig(
            workspace=workspace, predictions=predictions, checks=checks, overrides=overrides,
            report=report, encoder=encoder, top=top, progress=progress and not as_json,
        )
    )  # fmt: skip
    if as_json:
        _json(console, res)
    else:
        _print(console, res)


def _list(console) -> None:
    from rich.table import Table

    from tvgcurate.curation.audit import CHECKS
    from tvgcurate.curation.audit.base import check_names, threshold_help

    t = Table(title="audit checks")
    for c in ("check", "family", "needs", "weight", "thresholds (--set CHECK.FIELD=V)"):
        t.add_column(c)
    for name in check_names():
        cls = CHECKS[name]
        th = "; ".join(f"{k}={v!r}" for k, (v, _) in threshold_help(name).items())
        t.add_row(name, cls.family, ", ".join(cls.requires) or "-", f"{cls.weight:g}", th)
    console.print(t)


def _json(console, res) -> None:
    import json

    console.print_json(
        json.dumps(
            {
                "audit_id": res.audit_id, "audits_version": res.version, "samples": res.samples,
                "predictions": res.run_id, "model_trust": res.trust,
                "checks": [
                    {"check": s.check, "family": s.family, "measured": s.measured,
                     "flagged": s.flagged, "share": round(s.share, 6), "errors": s.errors,
                     "examples": s.examples}
                    for s in res.summaries
                ],
                "skipped": res.skipped, "top": res.ranked()[:20],
                "report": str(res.report) if res.report else None,
            }
        )
    )  # fmt: skip


def _print(console, res) -> None:
    from rich.table import Table
    from rich.text import Text

    t = Table(title=f"audit of {res.samples} samples ({res.audit_id})")
    t.add_column("check", no_wrap=True)
    t.add_column("family", no_wrap=True)
    t.add_column("measured", justify="right")
    t.add_column("flagged", justify="right")
    t.add_column("share", justify="right")
    t.add_column("examples", overflow="fold")
    for s in res.summaries:
        ex = Text("\n".join(s.examples))
        if s.errors:
            ex.append(f"\n({s.errors} not measured)", style="yellow")
        t.add_row(
            s.check, s.family, str(s.measured),
            Text(str(s.flagged), style="bold red" if s.flagged else "dim"), f"{s.share:.1%}", ex,
        )  # fmt: skip
    console.print(t)
    for name, why in res.skipped.items():
        console.print(Text(f"skipped {name}: {why}", style="dim"))
    from tvgcurate.curation.audit.issues import issue_sets

    found = issue_sets(res.table)
    model, annot = found.model, found.annotation
    line = f"{len(annot)} of {res.samples} samples have an annotation issue"
    if res.run_id:
        trust = "-" if res.trust is None else f"{res.trust:.2f}"
        line += f"; the model disagrees on {len(model)} (run {res.run_id}, trust {trust})"
    console.print(Text(line))
    console.print(Text("worst first: " + ", ".join(res.ranked()[:5])))
    if res.version is not None:
        console.print(
            Text(f"audits is now v{res.version}; next: tvgcurate relabel push --select audit:top=N")
        )
    if res.report is not None:
        console.print(Text(f"report: {res.report}"))
