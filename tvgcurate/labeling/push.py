"""``relabel push``: send the selected samples as tasks, idempotently.

The server is the source of truth for what was sent: a task is recognised by its
``sample_id`` and ``sample_hash`` (a content hash of what it shows). Running push again
sends nothing twice; a sample that changed since it was sent gets a new task and the old
one is marked in its meta (``superseded``). Tasks go in batches, and every batch is written
to ``WS/work/labeling/<project>/push.jsonl`` before and after it is sent, so an interrupted
push leaves a record and the next run resumes where the server says it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import setting
from tvgcurate.labeling import records
from tvgcurate.labeling.client import (
    DEFAULT_URL,
    LabelStudioClient,
    LabelStudioError,
    RetryPolicy,
    connect,
)
from tvgcurate.labeling.config import labeling_config
from tvgcurate.labeling.media import MediaSource
from tvgcurate.labeling.offline import SkippedSample, tasks_for, write_offline
from tvgcurate.labeling.select import select_ids
from tvgcurate.workspace import Workspace


@dataclass
class PushConfig:
    workspace: Path = setting(help="Workspace directory.")
    project: str = setting("", "Label Studio project title.")
    select: str = setting("needs_review", "Which samples (see select.py).")
    media: MediaSource | None = setting(None, "Where videos are served.")
    url: str = setting(DEFAULT_URL, "Label Studio URL.")
    api_key: str | None = field(default=None, repr=False, metadata={"help": "From the env only."})
    with_predictions: str | None = setting(
        None, "A predictions run_id sent as a second prediction."
    )
    out: Path | None = setting(None, "Offline: write files here instead.")
    batch_size: int = setting(100, "Tasks per import request.")
    retries: int = setting(5, "Connection attempts (with backoff).")

    def __post_init__(self) -> None:
        if self.out is None:
            if not self.project:
                raise TvgError("--project NAME is required (the Label Studio project title)")
            if not self.api_key:
                raise TvgError("no API key: set LABEL_STUDIO_API_KEY")
        if self.batch_size < 1:
            raise TvgError(f"--batch-size {self.batch_size}: must be at least 1")


@dataclass
class PushResult:
    project: str
    project_id: int | None
    selected: int
    sent: int = 0
    already_sent: int = 0
    superseded: int = 0
    skipped: list[SkippedSample] = field(default_factory=list)
    record: Path | None = None
    files: list[Path] = field(default_factory=list)


def resolve_media(ws: Workspace, media: MediaSource | None) -> MediaSource:
    """The media source given, or the media root that ingest recorded in the workspace."""
    if media is not None:
        return media
    root = ws.meta("media_root")
    if not root:
        raise TvgError(
            "say where the videos are: --media-root DIR (Label Studio local-files serving) "
            "or --video-url-prefix URL (the workspace records no media root: ingest ran "
            "without --videos)"
        )
    try:
        return MediaSource(media_root=Path(root))
    except ValueError as exc:
        raise TvgError(str(exc)) from None


def build_tasks(ws: Workspace, cfg: PushConfig) -> tuple[list[dict], list[SkippedSample], int]:
    """The tasks for the selection (in selection order), the skipped samples, the count."""
    samples = ws.read("samples")
    if samples.num_rows == 0:
        raise TvgError(f"{ws.root}: the samples table is empty; run `tvgcurate ingest` first")
    ids = select_ids(samples, cfg.select, ws)
    order = {sid: i for i, sid in enumerate(ids)}
    chosen = samples.filter(pc.is_in(samples.column("sample_id"), pa.array(ids, pa.string())))
    rows = sorted(chosen.to_pylist(), key=lambda r: order[r["sample_id"]])
    tv = ws.current("samples")
    predictions = None
    if cfg.with_predictions:
        predictions = ws.read("predictions")
        runs = set(predictions.column("run_id").to_pylist())
        if cfg.with_predictions not in runs:
            raise TvgError(
                f"--with-predictions {cfg.with_predictions}: no such run in the predictions table "
                f"(known: {', '.join(sorted(map(str, runs))) or 'none'})"
            )
    skipped: list[SkippedSample] = []
    assert cfg.media is not None
    tasks = tasks_for(
        rows,
        ws.read("videos"),
        video_url=cfg.media.url_fn(),
        samples_version=tv.version if tv else None,
        predictions=predictions,
        run_id=cfg.with_predictions,
        skipped=skipped,
    )
    return tasks, skipped, len(ids)


def ensure_project(client: LabelStudioClient, title: str) -> int:
    pid = client.find_project(title)
    if pid is None:
        pid = client.create_project(
            title, labeling_config(), description="tvgcurate relabel (temporal video grounding)"
        )
    return pid


def ensure_local_storage(client: LabelStudioClient, project_id: int, media: MediaSource) -> None:
    path = str(media.media_root)
    if any(s["path"] and s["path"].rstrip("/") == path for s in client.local_storages(project_id)):
        return
    try:
        client.create_local_storage(project_id, path, title="tvgcurate media root")
    except LabelStudioError as exc:
        raise LabelStudioError(
            f"{exc}; the server must run with LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true and "
            f"LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT={media.document_root} "
            "(`tvgcurate labelstudio serve --media-root DIR` does both)"
        ) from None


def push(cfg: PushConfig, client: LabelStudioClient | None = None) -> PushResult:
    """Send the selected samples to Label Studio (or write them to --out)."""
    ws = Workspace(cfg.workspace)
    cfg.media = resolve_media(ws, cfg.media)
    tasks, skipped, selected = build_tasks(ws, cfg)
    if cfg.out is not None:
        files = write_offline(cfg.out, tasks)
        return PushResult(cfg.project, None, selected, len(tasks), skipped=skipped, files=files)

    assert cfg.api_key is not None and cfg.media is not None
    client = client or connect(cfg.url, cfg.api_key, RetryPolicy(attempts=cfg.retries))
    project_id = ensure_project(client, cfg.project)
    if cfg.media.local:
        ensure_local_storage(client, project_id, cfg.media)
    record = records.project_dir(ws, cfg.project) / "push.jsonl"
    result = PushResult(cfg.project, project_id, selected, skipped=skipped, record=record)

    by_sample: dict[str, list[dict]] = {}
    for t in client.list_tasks(project_id):
        sid = t["data"].get("sample_id")
        if sid:
            by_sample.setdefault(sid, []).append(t)

    todo, to_supersede = [], []
    for task in tasks:
        sid, h = task["data"]["sample_id"], task["data"]["sample_hash"]
        existing = by_sample.get(sid, [])
        if any(t["data"].get("sample_hash") == h for t in existing):
            result.already_sent += 1
            continue
        todo.append(task)
        to_supersede += [(t, h) for t in existing if not t["meta"].get("superseded")]

    for i in range(0, len(todo), cfg.batch_size):
        batch = todo[i : i + cfg.batch_size]
        items = [
            {"sample_id": t["data"]["sample_id"], "sample_hash": t["data"]["sample_hash"]}
            for t in batch
        ]
        records.append_jsonl(
            record,
            {"event": "sending", "project_id": project_id, "tasks": items, "time": records.now()},
        )
        ids = client.import_tasks(project_id, batch)
        records.append_jsonl(
            record,
            {
                "event": "sent",
                "project_id": project_id,
                "tasks": items,
                "task_ids": ids,
                "time": records.now(),
            },
        )
        result.sent += len(batch)

    for old, new_hash in to_supersede:
        meta = dict(old["meta"])
        meta.update(
            {"superseded": True, "superseded_by_hash": new_hash, "superseded_at": records.now()}
        )
        client.update_task_meta(old["id"], meta)
        records.append_jsonl(
            record,
            {"event": "superseded", "task_id": old["id"], "sample_id": old["data"].get("sample_id"),
             "by_hash": new_hash, "time": records.now()},
        )  # fmt: skip
        result.superseded += 1
    return result
