"""A FiftyOne video dataset on disk: windows, predictions and audit findings as
TemporalDetections, the priority and each check's score as sample fields, and a saved view.

OUT is a directory in FiftyOne's `fiftyone.types.FiftyOneDataset` layout (the JSON form its
`FiftyOneDatasetImporter` reads when `metadata.json` has no `version`)::

    OUT/metadata.json          {"name", "media_type": "video", "info": {...}}
    OUT/samples.json           {"samples": [sample dict, ...]}  one per tvgcurate sample
    OUT/frames/<n>.json        {"frames": {}}  (no frame-level labels)
    OUT/load_fiftyone.py       imports OUT and saves the view `audit-top-N`

Each sample: `filepath` (absolute video path), `tags` ([split]), `metadata` (VideoMetadata:
frame_rate, total_frame_count, duration, frame_width, frame_height), `sample_id`, `query`,
`split`, `source`, `relevance`, and:

- `ground_truth`: TemporalDetections of the annotated windows (label = relevance);
- `predictions`: TemporalDetections of one scoring run's windows (label `prediction`,
  confidence = the window's score; `run_id` option, default the table's last run);
- `audit`: TemporalDetections, one per flagged check (label = check name, confidence =
  1 - score, `detail`), over the annotated windows (the whole video for a row without one);
- `priority` (0..1, higher = look first) and `rank` (1 = first) from the audit's ranking, and
  `check_<name>` = each check's score (0..1, lower = worse), from one audit run (`audit_id`
  option, default the last).

Support is FiftyOne's `[first, last]` 1-based frame numbers, computed as its
`TemporalDetection.from_timestamps` does: `1 + round(t / duration * (total_frames - 1))`.
Load it with `python OUT/load_fiftyone.py` (needs `pip install fiftyone` and its database).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate.errors import TvgError
from tvgcurate.exporters.base import (
    ExportContext,
    Exporter,
    register,
    with_videos,
)
from tvgcurate.keyvalue import setting
from tvgcurate.workspace import Workspace

LOADER = "load_fiftyone.py"

LOADER_TEXT = '''"""Import this tvgcurate export into FiftyOne and save the audit's top-N view."""

import json
import sys
from pathlib import Path

import fiftyone as fo
from fiftyone import ViewField as F

HERE = Path(__file__).resolve().parent
info = json.loads((HERE / "metadata.json").read_text())["info"]["tvgcurate"]
name = sys.argv[1] if len(sys.argv) > 1 else info["dataset_name"]
if fo.dataset_exists(name):
    fo.delete_dataset(name)
dataset = fo.Dataset.from_dir(str(HERE), fo.types.FiftyOneDataset, name=name)
dataset.persistent = True
view = info["saved_view"]
if view["top"]:
    dataset.save_view(view["name"], dataset.match(F("rank") <= view["top"]).sort_by("rank"))
print(f"dataset {name!r}: {len(dataset)} samples; saved view {view['name']!r}")
print("open it with: fiftyone app launch " + name)
'''


@dataclass
class FiftyOneOptions:
    top: int = setting(50, "Saved view: the first N of the ranking.")
    run_id: str | None = setting(None, "Predictions run (default: the last in the table).")
    audit_id: str | None = setting(None, "Audit run (default: the last in the table).")
    name: str | None = setting(None, "Dataset name (default: OUT's name).")

    def __post_init__(self):
        if self.top < 0:
            raise ValueError("top must be >= 0")


def frame_number(t: float, duration: float, total_frames: int) -> int:
    """FiftyOne's (ETA's) frame number of timestamp `t`, clamped into [1, total_frames]."""
    if duration <= 0 or total_frames <= 1:
        return 1
    n = 1 + int(round(t / duration * (total_frames - 1)))
    return max(1, min(total_frames, n))


def support(start: float, end: float, duration: float, total_frames: int) -> list[int]:
    return [frame_number(start, duration, total_frames), frame_number(end, duration, total_frames)]


def _detections(items: list[dict]) -> dict:
    return {
        "_cls": "TemporalDetections",
        "detections": [{"_cls": "TemporalDetection", **d} for d in items],
    }


def field_name(check: str) -> str:
    return "check_" + re.sub(r"\W", "_", check)


def _last(table: pa.Table, column: str, chosen: str | None, what: str) -> pa.Table:
    if table.num_rows == 0:
        return table
    ids = table.column(column).to_pylist()
    pick = chosen or ids[-1]
    if pick not in ids:
        raise TvgError(f"{what} {pick!r} is not in the workspace (known: {sorted(set(ids))})")
    return table.filter(pc.equal(table.column(column), pick))


def _table(ws: Workspace, name: str) -> pa.Table | None:
    return ws.read(name) if ws.has(name) else None


@register("fiftyone")
class FiftyOneExporter(Exporter):
    """FiftyOne video dataset dir: TemporalDetections (windows, predictions, audit), scores, top-N view."""

    is_dir = True
    Options = FiftyOneOptions

    def write(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:
        opts = self.options(ctx)
        ws = Workspace(ctx.workspace)
        preds: dict[str, dict] = {}
        run_id = None
        if (t := _table(ws, "predictions")) is not None:
            t = _last(t, "run_id", opts.run_id, "run")
            preds = {p["sample_id"]: p for p in t.to_pylist()}
            run_id = t.column("run_id")[0].as_py() if t.num_rows else None
        audits: dict[str, list[dict]] = {}
        audit_id = None
        if (t := _table(ws, "audits")) is not None:
            t = _last(t, "audit_id", opts.audit_id, "audit")
            for a in t.to_pylist():
                audits.setdefault(a["sample_id"], []).append(a)
            audit_id = t.column("audit_id")[0].as_py() if t.num_rows else None
        (out / "frames").mkdir()
        docs = []
        for s, v, path in with_videos(ws, samples.to_pylist(), ctx):
            duration = float(v.get("duration_s") or s.get("duration_s") or 0.0)
            fps = float(v.get("fps") or 0.0)
            total = int(v.get("num_frames") or round(duration * fps) or 1)
            wins = sorted((w["start"], w["end"]) for w in (s["windows"] or []))
            gt = [
                {"label": s["relevance"], "support": support(a, b, duration, total)}
                for a, b in wins
            ]
            doc = {
                "filepath": path,
                "tags": [s["split"]],
                "metadata": {
                    "_cls": "VideoMetadata",
                    "frame_rate": fps or None,
                    "total_frame_count": total,
                    "duration": duration,
                    "frame_width": v.get("width"),
                    "frame_height": v.get("height"),
                    "encoding_str": v.get("codec"),
                },
                "frames": f"frames/{len(docs):06d}.json",
                "sample_id": s["sample_id"],
                "query": s["query"],
                "split": s["split"],
                "source": s["source"],
                "relevance": s["relevance"],
                "ground_truth": _detections(gt),
            }
            if s["sample_id"] in preds:
                pr = preds[s["sample_id"]]
                doc["predictions"] = _detections(
                    [
                        {
                            "label": "prediction",
                            "support": support(w["start"], w["end"], duration, total),
                            "confidence": w.get("score"),
                        }
                        for w in (pr["windows"] or [])
                    ]
                )
                doc["refused"] = bool(pr.get("refused"))
            findings = []
            spans = [list(w) for w in wins] or [[0.0, duration]]
            for a in audits.get(s["sample_id"], []):
                if a["check"] == "priority":
                    doc["priority"] = a.get("value")
                    if doc["priority"] is None and a["score"] is not None:
                        doc["priority"] = 1.0 - a["score"]
                    doc["rank"] = a.get("rank")
                    continue
                doc[field_name(a["check"])] = a["score"]
                if a["is_issue"]:
                    for x, y in spans:
                        findings.append(
                            {
                                "label": a["check"],
                                "support": support(x, y, duration, total),
                                "confidence": None if a["score"] is None else 1.0 - a["score"],
                                "detail": a.get("detail") or "",
                            }
                        )
            if audits:
                doc["audit"] = _detections(findings)
            (out / doc["frames"]).write_text('{"frames": {}}\n', encoding="utf-8")
            docs.append(doc)
        if not docs:
            raise TvgError("no sample has a video in the videos table; ingest with --videos DIR")
        name = opts.name or (Path(ctx.out).name if ctx.out else out.name)
        top = opts.top if any("rank" in d for d in docs) else 0
        if not top:
            ctx.notes.append(
                "no audit ranking in the workspace: no saved view (run `tvgcurate audit`)"
            )
        meta = {
            "name": name,
            "media_type": "video",
            "info": {
                "tvgcurate": {
                    "dataset_name": name,
                    "samples_version": ctx.samples_version,
                    "run_id": run_id,
                    "audit_id": audit_id,
                    "saved_view": {"name": f"audit-top-{top}", "top": top},
                }
            },
        }
        (out / "metadata.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        with open(out / "samples.json", "w", encoding="utf-8") as fh:
            json.dump({"samples": docs}, fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        (out / LOADER).write_text(LOADER_TEXT, encoding="utf-8")
        return len(docs)
