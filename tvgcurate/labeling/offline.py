"""Label Studio tasks from workspace rows, and the offline bundle (``--out DIR``).

``tasks_for`` is the one place that turns samples into importable task dicts; ``relabel
push`` sends them, ``relabel push --out`` writes them to a file, and ``export
--format labelstudio`` may reuse it. Each task carries the sample id, the video URL, the
query, the video's real fps and duration, and ``sample_hash`` (what push uses to recognise
a task it already sent). The current windows go as a prediction (``model_version`` =
``samples-v<N>``); a model run, when given, as a second prediction named after the run.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from tvgcurate.labeling import config as lc
from tvgcurate.labeling.frames import seconds_to_range
from tvgcurate.schemas.sample import stored_windows

CONFIG_FILE = "labeling-config.xml"
TASKS_FILE = "tasks.json"


class TaskError(ValueError):
    """A sample that cannot become a task (no video, no fps, ...); recorded, not fatal."""


@dataclass(frozen=True)
class SkippedSample:
    sample_id: str
    error: str


def _rows(table: pa.Table | Iterable[Mapping[str, Any]]) -> list[dict]:
    if isinstance(table, pa.Table):
        return table.to_pylist()
    return [dict(r) for r in table]


def sample_hash(sample: Mapping[str, Any]) -> str:
    """A short content hash of what a task shows; a changed sample gets a new task."""
    payload = {
        "sample_id": sample.get("sample_id"),
        "video_id": sample.get("video_id"),
        "query": sample.get("query"),
        "relevance": sample.get("relevance"),
        "windows": [[round(s, 6), round(e, 6)] for s, e in stored_windows(sample)],
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


def region(start_s: float, end_s: float, fps: float, rid: str, score: float | None = None) -> dict:
    """One timeline region, in the JSON shape the labeling UI produces."""
    a, b = seconds_to_range(start_s, end_s, fps)
    out: dict[str, Any] = {
        "id": rid,
        "type": "timelinelabels",
        "from_name": lc.MOMENT,
        "to_name": lc.VIDEO,
        "origin": "prediction",
        "value": {"ranges": [{"start": a, "end": b}], "timelinelabels": [lc.MOMENT_LABEL]},
    }
    if score is not None:
        out["score"] = float(score)
    return out


def verdict_result(code: str, rid: str) -> dict:
    return {
        "id": rid,
        "type": "choices",
        "from_name": lc.VERDICT,
        "to_name": lc.VIDEO,
        "origin": "prediction",
        "value": {"choices": [lc.VERDICT_CHOICE[code]]},
    }


def _current_prediction(sample: dict, fps: float, model_version: str) -> dict:
    result = [region(s, e, fps, f"cur{i}") for i, (s, e) in enumerate(stored_windows(sample))]
    relevance = sample.get("relevance")
    if relevance in lc.VERDICT_CHOICE:
        result.append(verdict_result(relevance, "curverdict"))
    return {"model_version": model_version, "score": 1.0, "result": result}


def _run_prediction(pred: dict, fps: float, run_id: str) -> dict:
    windows = [w for w in (pred.get("windows") or []) if w and w.get("start") is not None]
    if pred.get("refused") or not windows:
        return {
            "model_version": run_id,
            "score": 0.0,
            "result": [verdict_result("irrelevant", "runverdict")],
        }
    top = windows[0]
    score = top.get("score")
    result = [region(top["start"], top["end"], fps, "run0", score)]
    result.append(verdict_result("relevant", "runverdict"))
    return {
        "model_version": run_id,
        "score": float(score) if score is not None else 0.0,
        "result": result,
    }


def task_for(
    sample: Mapping[str, Any],
    video: Mapping[str, Any] | None,
    *,
    video_url: Callable[[Mapping[str, Any]], str],
    samples_version: int | None = None,
    prediction: Mapping[str, Any] | None = None,
    run_id: str | None = None,
) -> dict:
    """One importable task for `sample`; raises TaskError when it cannot be shown."""
    sample = dict(sample)
    sid = sample.get("sample_id")
    if video is None:
        raise TaskError(f"video '{sample.get('video_id')}' is not in the videos table")
    fps = video.get("fps")
    if fps is None or not math.isfinite(float(fps)) or float(fps) <= 0:
        raise TaskError(
            f"video '{video.get('video_id')}' has no usable fps ({fps!r}); "
            "the timeline cannot be placed (re-run ingest so that videos are probed)"
        )
    fps = float(fps)
    duration = sample.get("duration_s")
    if duration is None:
        duration = video.get("duration_s")
    data = {
        "sample_id": sid,
        "video": video_url(video),
        "query": sample.get("query") or "",
        "fps": fps,
        "duration_s": float(duration) if duration is not None else None,
        "sample_hash": sample_hash(sample),
        "video_id": sample.get("video_id"),
        "split": sample.get("split"),
        "origin": sample.get("origin"),
        "relevance": sample.get("relevance"),
    }
    version = f"samples-v{samples_version}" if samples_version is not None else "samples"
    predictions = [_current_prediction(sample, fps, version)]
    if prediction is not None and run_id:
        predictions.append(_run_prediction(dict(prediction), fps, run_id))
    return {"data": data, "predictions": predictions}


def tasks_for(
    samples: pa.Table | Iterable[Mapping[str, Any]],
    videos: pa.Table | Iterable[Mapping[str, Any]],
    *,
    video_url: Callable[[Mapping[str, Any]], str],
    samples_version: int | None = None,
    predictions: pa.Table | Iterable[Mapping[str, Any]] | None = None,
    run_id: str | None = None,
    skipped: list[SkippedSample] | None = None,
) -> list[dict]:
    """Importable Label Studio tasks, one per sample that can be shown.

    Samples that cannot be shown (no video row, no fps) are left out and, when `skipped`
    is a list, appended to it with the reason.
    """
    by_video = {v["video_id"]: v for v in _rows(videos)}
    by_pred: dict[str, dict] = {}
    if predictions is not None:
        for p in _rows(predictions):
            if run_id is None or p.get("run_id") == run_id:
                by_pred.setdefault(p["sample_id"], p)
    out = []
    for s in _rows(samples):
        try:
            out.append(
                task_for(
                    s,
                    by_video.get(s.get("video_id")),
                    video_url=video_url,
                    samples_version=samples_version,
                    prediction=by_pred.get(s["sample_id"]),
                    run_id=run_id,
                )
            )
        except TaskError as exc:
            if skipped is not None:
                skipped.append(SkippedSample(s["sample_id"], str(exc)))
    return out


def write_offline(out_dir: Path, tasks: list[dict], label_config: str | None = None) -> list[Path]:
    """Write the labeling config XML and an importable tasks JSON into `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg = out_dir / CONFIG_FILE
    cfg.write_text(label_config or lc.labeling_config(), encoding="utf-8")
    tj = out_dir / TASKS_FILE
    tj.write_text(json.dumps(tasks, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return [cfg, tj]
