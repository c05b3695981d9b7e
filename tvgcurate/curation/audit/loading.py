"""What an audit reads from a workspace: the samples, videos, keyframes and one predictions
run, as an `AuditContext`. Shared by `run` (the audit) and `report` (a report of an audit
already run), so that neither imports the other."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate.curation.audit.context import AuditContext
from tvgcurate.errors import TvgError


def pick_run(table: pa.Table, wanted: str) -> str:
    """The run_id `wanted` names in a predictions table ('latest': the last one)."""
    runs = list(dict.fromkeys(table.column("run_id").to_pylist()))
    if not runs:
        raise TvgError("--predictions: the workspace has no predictions; run `tvgcurate score`")
    if wanted == "latest":
        return runs[-1]
    if wanted not in runs:
        raise TvgError(f"--predictions {wanted}: no such run_id (known: {', '.join(runs)})")
    return wanted


def load_context(
    ws, predictions: str | None = None, encoder: str | None = None, progress: bool = False,
    embedding=None,
) -> tuple[AuditContext, str | None]:  # fmt: skip
    """The audit's context for workspace `ws` and the predictions run it reads (None: no
    model checks). A prediction row keeps every column of the table, `fold` included when the
    run was scored out of fold (`predictions.folds`)."""
    samples = ws.read("samples").to_pylist()
    if not samples:
        raise TvgError(f"{ws.root}: the samples table is empty; run `tvgcurate ingest` first")
    videos = {v["video_id"]: v for v in ws.read("videos").to_pylist()}
    kf = ws.read("keyframes") if ws.has("keyframes") else None
    preds, run_id = None, None
    if predictions:
        table = ws.read("predictions")
        run_id = pick_run(table, predictions)
        table = table.filter(pc.equal(table.column("run_id"), run_id))
        preds = {r["sample_id"]: r for r in table.to_pylist()}

    def embed(texts: list[str]):
        from tvgcurate.curation.embeddings import embed_texts
        from tvgcurate.schemas.constants import DEFAULT_ENCODER

        return embed_texts(ws, texts, encoder=encoder or DEFAULT_ENCODER, progress=progress,
                           run=embedding)  # fmt: skip

    return AuditContext(samples, videos, kf, preds, run_id, embed), run_id
