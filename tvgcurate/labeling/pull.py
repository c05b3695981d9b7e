"""``relabel pull``: every human annotation back into the ``labels`` table.

One row per annotation revision: task, annotation and annotator ids, round, verdict,
windows in seconds (frames -> seconds with the task's own fps), rewritten query, lead
time, created/updated times, and the ``sample_hash`` of what the task showed. Pulls are
incremental: an annotation already stored with the same ``updated_at`` is not added again;
an edited annotation adds a new row (consensus uses the latest). Skipped and cancelled
annotations change nothing. An annotation that cannot be read is stored with ``error`` set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from tvgcurate import schemas
from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import setting
from tvgcurate.labeling import config as lc
from tvgcurate.labeling import records
from tvgcurate.labeling.client import DEFAULT_URL, LabelStudioClient, RetryPolicy, connect
from tvgcurate.labeling.consensus import ConsensusConfig, apply_consensus
from tvgcurate.labeling.frames import range_to_seconds
from tvgcurate.schemas.labels import LABELS_TABLE
from tvgcurate.workspace import Workspace

LABELS_SCHEMA = LABELS_TABLE  # the stored labels table (tvgcurate.schemas.labels)


@dataclass
class PullConfig:
    workspace: Path = setting(help="Workspace directory.")
    project: str = setting("", "Label Studio project title.")
    url: str = setting(DEFAULT_URL, "Label Studio URL.")
    api_key: str | None = field(default=None, repr=False, metadata={"help": "From the env only."})
    round: str | None = setting(None, "Round name stored on labels (default: the project).")
    retries: int = setting(5, "Connection attempts (with backoff).")

    def __post_init__(self) -> None:
        if not self.project:
            raise TvgError("--project NAME is required (the Label Studio project title)")
        if not self.api_key:
            raise TvgError("no API key: set LABEL_STUDIO_API_KEY")
        self.round = self.round or records.slug(self.project)


@dataclass
class PullResult:
    project_id: int
    tasks: int
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    cancelled: int = 0
    errors: int = 0
    labels_version: int | None = None
    overlap: int = 1  # the project's "annotations per task"


@dataclass
class ParsedAnnotation:
    verdict: str | None
    windows: list[dict]
    rewritten_query: str | None
    error: str | None = None


def _number(x: object) -> float | None:
    """A finite frame number, or None (export JSON is not trusted: strings, NaN, bools)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(x) else None


def parse_result(result: object, fps: float) -> ParsedAnnotation:
    """Read one annotation's result list (the labeling UI's JSON) into seconds. Anything
    malformed is kept as the annotation's `error`, never raised."""
    verdict, rewrite, windows, problems = None, None, [], []
    if result is not None and not isinstance(result, list):
        result, problems = [], [f"result is {type(result).__name__}, not a list"]
    for item in result or []:
        if not isinstance(item, dict):
            problems.append(f"a result item that is {type(item).__name__}, not an object")
            continue
        kind, name, value = item.get("type"), item.get("from_name"), item.get("value") or {}
        if not isinstance(value, dict):
            problems.append(f"{name!r}: value is {type(value).__name__}, not an object")
            continue
        if kind == "timelinelabels" and name == lc.MOMENT:
            ranges = value.get("ranges") or []
            for r in ranges if isinstance(ranges, list) else [None]:
                start, end = (
                    (_number(r.get(k)) for k in ("start", "end"))
                    if isinstance(r, dict)
                    else (None, None)
                )
                if start is None or end is None:
                    problems.append("a timeline range without a numeric start and end")
                    continue
                s, e = range_to_seconds(start, end, fps)
                windows.append({"start": s, "end": e})
        elif kind == "choices" and name == lc.VERDICT:
            choices = value.get("choices") or []
            if choices and isinstance(choices, list):
                verdict = lc.VERDICTS.get(choices[0]) if isinstance(choices[0], str) else None
                if verdict is None:
                    problems.append(f"unknown verdict {choices[0]!r}")
            elif choices:
                problems.append(f"verdict choices are {type(choices).__name__}, not a list")
        elif kind == "textarea" and name == lc.REWRITE:
            texts = value.get("text") or []
            texts = texts if isinstance(texts, list) else [texts]
            text = " ".join(t.strip() for t in texts if isinstance(t, str) and t.strip())
            rewrite = text or None
    windows.sort(key=lambda w: (w["start"], w["end"]))
    if verdict is None and not problems:
        problems.append("no verdict chosen")
    return ParsedAnnotation(verdict, windows, rewrite, "; ".join(problems) or None)


def _annotator(ann: dict, users: dict[int, str]) -> tuple[int | None, str]:
    by = ann.get("completed_by")
    if isinstance(by, dict):
        uid = by.get("id")
        return uid, by.get("email") or users.get(uid, f"user:{uid}")
    return by, users.get(by, f"user:{by}")


def label_rows(
    tasks: list[dict], project: str, round_: str, users: dict[int, str], known: set[tuple]
) -> tuple[list[dict], dict[str, int]]:
    """New label rows from exported tasks, skipping (annotation_id, updated_at) in `known`."""
    counts = {"new": 0, "updated": 0, "unchanged": 0, "cancelled": 0, "errors": 0}
    seen_ann = {a for (a, _u) in known}
    rows = []
    pulled_at = records.now()
    for task in tasks:
        data = task.get("data") or {}
        sid = data.get("sample_id")
        if not sid:
            continue
        superseded = bool((task.get("meta") or {}).get("superseded"))
        for ann in task.get("annotations") or []:
            if ann.get("was_cancelled"):
                counts["cancelled"] += 1
                continue
            aid, updated = int(ann["id"]), str(ann.get("updated_at") or ann.get("created_at"))
            if (aid, updated) in known:
                counts["unchanged"] += 1
                continue
            counts["updated" if aid in seen_ann else "new"] += 1
            try:
                parsed = parse_result(ann.get("result") or [], float(data["fps"]))
            except (KeyError, TypeError, ValueError) as exc:
                parsed = ParsedAnnotation(None, [], None, f"cannot read the annotation: {exc}")
            if parsed.error:
                counts["errors"] += 1
            uid, who = _annotator(ann, users)
            rows.append(
                {
                    "label_id": f"{records.slug(project)}:{aid}:{updated}",
                    "sample_id": sid,
                    "project": project,
                    "task_id": int(task["id"]),
                    "annotation_id": aid,
                    "annotator": who,
                    "round": round_,
                    "verdict": parsed.verdict,
                    "windows": parsed.windows,
                    "rewritten_query": parsed.rewritten_query,
                    "lead_time_s": ann.get("lead_time"),
                    "created_at": ann.get("created_at"),
                    "updated_at": updated,
                    "annotator_id": uid,
                    "sample_hash": data.get("sample_hash"),
                    "fps": float(data["fps"]) if data.get("fps") is not None else None,
                    "task_superseded": superseded,
                    "pulled_at": pulled_at,
                    "error": parsed.error,
                }
            )
    return rows, counts


def _append_labels(old: pa.Table, rows: list[dict]) -> pa.Table:
    """`old` plus the annotation revisions of `rows` it does not hold yet."""
    if old.num_rows:
        have = {
            (r["project"], r["annotation_id"], r["updated_at"])
            for r in old.select(["project", "annotation_id", "updated_at"]).to_pylist()
        }
        rows = [r for r in rows if (r["project"], r["annotation_id"], r["updated_at"]) not in have]
    new = pa.Table.from_pylist(rows, schema=LABELS_SCHEMA)
    if not old.num_rows:
        return new
    old = schemas.conform("labels", old)
    for f in LABELS_SCHEMA:
        if f.name not in old.column_names:
            old = old.append_column(f, pa.nulls(old.num_rows, f.type))
    return pa.concat_tables([old.select(LABELS_SCHEMA.names).cast(LABELS_SCHEMA), new])


def pull(cfg: PullConfig, client: LabelStudioClient | None = None) -> PullResult:
    """Add new and updated annotations of `cfg.project` to the labels table."""
    ws = Workspace(cfg.workspace)
    assert cfg.api_key is not None and cfg.round is not None
    client = client or connect(cfg.url, cfg.api_key, RetryPolicy(attempts=cfg.retries))
    project_id = client.find_project(cfg.project)
    if project_id is None:
        raise TvgError(f"Label Studio at {cfg.url} has no project named {cfg.project!r}")
    tasks = client.export_tasks(project_id)
    users = client.users()
    old = ws.read("labels")
    known: set[tuple[Any, Any]] = set()
    if old.num_rows:
        for r in old.select(["project", "annotation_id", "updated_at"]).to_pylist():
            if r["project"] == cfg.project:
                known.add((r["annotation_id"], r["updated_at"]))
    rows, counts = label_rows(tasks, cfg.project, cfg.round, users, known)
    result = PullResult(project_id, len(tasks), **counts, overlap=client.overlap(project_id))
    if rows:
        tv = ws.write(
            "labels",
            _append_labels(old, rows),
            note=f"pull {cfg.project}: +{len(rows)} annotation rows",
            reads=ws.inputs("labels"),
            rebase=lambda current: _append_labels(current, rows),  # another pull meanwhile
        )
        result.labels_version = tv.version
    records.append_jsonl(
        records.project_dir(ws, cfg.project) / "pull.jsonl",
        {"event": "pull", "project_id": project_id, "time": records.now(), **counts,
         "labels_version": result.labels_version},
    )  # fmt: skip
    return result


def bring_back(cfg: PullConfig, consensus: ConsensusConfig | None = None, client=None):
    """Pull, then (unless `consensus` is None) write the corrected samples version."""
    pulled = pull(cfg, client)
    if consensus is not None and consensus.min_annotators is None:
        consensus.min_annotators = max(1, pulled.overlap)
    decided = apply_consensus(consensus) if consensus is not None else None
    return pulled, decided
