"""Predictions and ground truth, each from a jsonl file or a workspace table, validated.

Malformed input raises InputError naming the file (or stored row), the line and the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate.errors import InputError, TvgError
from tvgcurate.evaluation.config import EvalConfig
from tvgcurate.schemas.sample import expects_refusal
from tvgcurate.workspace import Workspace

__all__ = [
    "GroundTruth",
    "Predictions",
    "load_gt_jsonl",
    "load_gt_workspace",
    "load_inputs",
    "load_predictions_jsonl",
    "load_predictions_workspace",
]


@dataclass
class Predictions:
    """Per query: windows ``(k, 3)`` in ranked order and whether the model refused."""

    windows: dict[str, np.ndarray]
    refused: dict[str, bool]
    source: str
    # windows the reference scores as they are: {"inverted", "zero_length", "out_of_range"}
    unusual: dict[str, int] = field(default_factory=dict)


@dataclass
class GroundTruth:
    """Per query: windows ``(m, 2)`` (empty = irrelevant), plus extra keys that find a query."""

    windows: dict[str, np.ndarray]
    aliases: dict[str, str | None]  # other key -> query key (None: ambiguous)
    source: str
    durations: dict[str, float] = field(default_factory=dict)  # where known (out-of-range count)


# -- jsonl ---------------------------------------------------------------------------------


def _key(value: object, path: Path, line: int, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InputError(path, line, name, f"expected an integer or a string, got {value!r}")
    return str(value)


def _windows(
    value: object, width: int, path: Path | str, line: int | None, name: str, strict: bool = True
) -> np.ndarray:
    """Validate a list of ``[start, end(, score)]`` numbers into a float array ``(k, width)``.

    Prediction windows without a score (``width == 3``, two numbers each) get score 0, so
    they keep their listed order.
    """
    what = "[start, end, score]" if width == 3 else "[start, end]"
    if not isinstance(value, list):
        raise InputError(path, line, name, f"expected a list of {what}, got {value!r}"[:200])
    if not value:
        return np.zeros((0, width))
    try:
        arr = np.array(value)
    except ValueError:
        arr = None
    if arr is None or arr.ndim != 2 or arr.dtype.kind not in "iuf":
        raise InputError(
            path, line, name, f"expected a list of {what} numbers, got {value!r}"[:200]
        )
    arr = arr.astype(float)
    if width == 3 and arr.shape[1] == 2:
        arr = np.concatenate([arr, np.zeros((len(arr), 1))], axis=1)
    if arr.shape[1] != width:
        raise InputError(path, line, name, f"each window must be {what}, got {value[0]!r}")
    _check_windows(arr, path, line, name, strict)
    return arr


def _check_windows(
    arr: np.ndarray, path: Path | str, line: int | None, name: str, strict: bool = True
) -> None:
    """Non-finite numbers are refused; so is an end before its start when `strict` (the
    reference scores such a window as it is: its IoU with any window is 0, or 0/0)."""
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(path, line, f"{name}[{i}]", f"not a finite number: {arr[i].tolist()}")
    back = (arr[:, 1] < arr[:, 0]) if strict else np.zeros(len(arr), dtype=bool)
    if back.any():
        i = int(np.argmax(back))
        raise InputError(
            path, line, f"{name}[{i}]", f"end {arr[i, 1]:g} is before start {arr[i, 0]:g}"
        )


def _records(path: Path):
    """(line number, dict) for each non-empty line of a jsonl file."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
    except OSError as exc:
        raise InputError(path, None, None, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, None, None, f"not UTF-8 text: {exc.reason}") from None
    for lineno, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            rec = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(path, lineno, None, f"not valid JSON: {exc.msg}") from None
        if not isinstance(rec, dict):
            raise InputError(path, lineno, None, "expected a JSON object")
        yield lineno, rec


def _keyed_records(path: Path):
    """(line number, qid as text, dict) for each record; a missing or repeated qid is an error."""
    seen: set[str] = set()
    for lineno, rec in _records(path):
        if "qid" not in rec:
            raise InputError(path, lineno, "qid", "missing")
        key = _key(rec["qid"], path, lineno, "qid")
        if key in seen:
            raise InputError(path, lineno, "qid", f"duplicate qid {key}")
        seen.add(key)
        yield lineno, key, rec


def load_predictions_jsonl(path: Path, strict: bool = True) -> Predictions:
    """A reference-format prediction file (moment_detr's ``pred_relevant_windows``)."""
    path = Path(path)
    windows: dict[str, np.ndarray] = {}
    refused: dict[str, bool] = {}
    for lineno, key, rec in _keyed_records(path):
        if "pred_relevant_windows" not in rec:
            raise InputError(path, lineno, "pred_relevant_windows", "missing")
        windows[key] = _windows(
            rec["pred_relevant_windows"], 3, path, lineno, "pred_relevant_windows", strict
        )
        flag = rec.get("refused", False)
        if not isinstance(flag, bool):
            raise InputError(path, lineno, "refused", f"expected true or false, got {flag!r}")
        refused[key] = flag
    return Predictions(windows, refused, str(path))


def load_gt_jsonl(path: Path) -> GroundTruth:
    """A QVHighlights-format annotation file (``qid``, ``relevant_windows``)."""
    path = Path(path)
    windows: dict[str, np.ndarray] = {}
    durations: dict[str, float] = {}
    for lineno, key, rec in _keyed_records(path):
        if "relevant_windows" not in rec:
            raise InputError(
                path,
                lineno,
                "relevant_windows",
                "missing (a test split without annotations cannot be evaluated; "
                "use [] for an irrelevant query)",
            )
        windows[key] = _windows(rec["relevant_windows"], 2, path, lineno, "relevant_windows")
        d = rec.get("duration")
        if isinstance(d, (int, float)) and not isinstance(d, bool) and np.isfinite(d):
            durations[key] = float(d)
    return GroundTruth(windows, {}, str(path), durations)


# -- workspace -----------------------------------------------------------------------------


def _window_lists(column: pa.ChunkedArray, fields: tuple[str, ...]) -> list[np.ndarray]:
    """Split a list<struct> column into one ``(k, len(fields))`` array per row."""
    col = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    col = pc.fill_null(col, pa.scalar([], type=col.type))
    flat = col.flatten()
    values = (
        np.stack(
            [flat.field(f).to_numpy(zero_copy_only=False).astype(float) for f in fields], axis=1
        )
        if len(flat)
        else np.zeros((0, len(fields)))
    )
    offsets = col.offsets.to_numpy()
    offsets = offsets - offsets[0]
    return np.split(values, offsets[1:-1]) if len(col) else []


def _numbered(table: pa.Table) -> pa.Table:
    """``table`` with its row numbers, so that messages name the stored row after filtering."""
    return table.append_column("__row", pa.array(np.arange(table.num_rows)))


def _row(table: pa.Table, i: int, ids: list[str]) -> str:
    return f"row {table.column('__row')[i].as_py()}, {ids[i]}"


def _check_rows(
    arrays: list[np.ndarray], where: str, name: str, table: pa.Table, ids, strict: bool = True
) -> None:
    for i, arr in enumerate(arrays):
        if len(arr) and (not np.isfinite(arr).all() or (arr[:, 1] < arr[:, 0]).any()):
            _check_windows(arr, f"{where} ({_row(table, i, ids)})", None, name, strict)


def load_gt_workspace(ws: Workspace, split: str | None = None, strict: bool = False) -> GroundTruth:
    """The ``samples`` table (one split, if given) as ground truth keyed by ``sample_id``;
    irrelevant and partial rows (`tvgcurate.schemas.sample.expects_refusal`) have no window.

    A window whose end is before its start is a label error the audit flags; it is scored as
    `score` scores it (the same rows, the same numbers) unless `strict` refuses it."""
    table = _numbered(ws.read("samples"))
    where = str(ws.path_of("samples")) if ws.has("samples") else f"{ws.root} samples"
    if table.num_rows == 0:
        raise InputError(where, None, None, "the samples table is empty; run `tvgcurate ingest`")
    for name in ("sample_id", "windows"):
        if name not in table.column_names:
            raise InputError(where, None, name, "missing column")
    if split is not None:
        if "split" not in table.column_names:
            raise InputError(where, None, "split", "missing column (needed by --split)")
        splits = sorted({s for s in table.column("split").to_pylist() if s is not None})
        table = table.filter(pc.equal(table.column("split"), split))
        if table.num_rows == 0:
            raise TvgError(f"{where}: no samples in split '{split}' (splits: {', '.join(splits)})")
    ids = table.column("sample_id").to_pylist()
    arrays = _window_lists(table.column("windows"), ("start", "end"))
    _check_rows(arrays, where, "windows", table, ids, strict)
    if "relevance" in table.column_names:  # a refusal target has no ground-truth window
        for i, rel in enumerate(table.column("relevance").to_pylist()):
            if expects_refusal(rel):
                arrays[i] = arrays[i][:0]
    windows: dict[str, np.ndarray] = {}
    for i, sid in enumerate(ids):
        if sid in windows:
            raise InputError(f"{where} ({_row(table, i, ids)})", None, "sample_id", "duplicate")
        windows[sid] = arrays[i]
    aliases: dict[str, str | None] = {}
    if "source_qid" in table.column_names:
        for sid, qid in zip(ids, table.column("source_qid").to_pylist()):
            if qid is not None and qid not in windows:
                aliases[qid] = None if qid in aliases else sid
    durations = {}
    if "duration_s" in table.column_names:
        for sid, d in zip(ids, table.column("duration_s").to_pylist(), strict=True):
            if d is not None and np.isfinite(d):
                durations[sid] = float(d)
    return GroundTruth(windows, aliases, where, durations)


def load_predictions_workspace(ws: Workspace, run_id: str, strict: bool = True) -> Predictions:
    """One run of the ``predictions`` table, keyed by ``sample_id``."""
    table = _numbered(ws.read("predictions"))
    where = str(ws.path_of("predictions")) if ws.has("predictions") else f"{ws.root} predictions"
    runs = table.column("run_id")
    table = table.filter(pc.equal(runs, run_id))
    if table.num_rows == 0:
        known = sorted({r for r in runs.to_pylist() if r is not None})
        raise TvgError(
            f"{run_id!r} is neither a prediction file nor a run in {where} "
            f"(runs: {', '.join(known) or 'none'})"
        )
    ids = table.column("sample_id").to_pylist()
    arrays = _window_lists(table.column("windows"), ("start", "end", "score"))
    for arr in arrays:  # a missing score keeps the listed order
        arr[np.isnan(arr[:, 2]), 2] = 0.0
    _check_rows(arrays, where, "windows", table, ids, strict)
    flags = (
        table.column("refused").to_pylist()
        if "refused" in table.column_names
        else [False] * len(ids)
    )
    windows: dict[str, np.ndarray] = {}
    refused: dict[str, bool] = {}
    for i, sid in enumerate(ids):
        if sid in windows:
            raise InputError(
                f"{where} ({_row(table, i, ids)})", None, "sample_id", f"duplicate in run {run_id}"
            )
        windows[sid] = arrays[i]
        refused[sid] = bool(flags[i])
    return Predictions(windows, refused, f"{where} run {run_id}")


# -- both ------------------------------------------------------------------------------------


def load_inputs(cfg: EvalConfig) -> tuple[Predictions, GroundTruth]:
    gt_ws = Workspace(cfg.gt) if cfg.gt.is_dir() else None
    gt = load_gt_workspace(gt_ws, cfg.split, cfg.strict) if gt_ws else load_gt_jsonl(cfg.gt)
    pred_path = Path(cfg.predictions)
    if pred_path.is_file():
        return _count_unusual(load_predictions_jsonl(pred_path, cfg.strict), gt), gt
    if pred_path.suffix in (".jsonl", ".json") or pred_path.is_dir():
        raise InputError(pred_path, None, None, "no such prediction file")
    ws = Workspace(cfg.workspace) if cfg.workspace else gt_ws
    if ws is None:
        raise TvgError(
            f"{cfg.predictions!r} is not a file; to read a run of a workspace's predictions, "
            "pass the workspace with --workspace (or as --gt)"
        )
    return _count_unusual(load_predictions_workspace(ws, cfg.predictions, cfg.strict), gt), gt


def _count_unusual(preds: Predictions, gt: GroundTruth) -> Predictions:
    """Count the predicted windows the reference scores as they are (nothing is changed)."""
    counts = {"inverted": 0, "zero_length": 0, "out_of_range": 0}
    for key, arr in preds.windows.items():
        if not len(arr):
            continue
        counts["inverted"] += int((arr[:, 1] < arr[:, 0]).sum())
        counts["zero_length"] += int((arr[:, 1] == arr[:, 0]).sum())
        out = (arr[:, :2] < 0).any(axis=1)
        qkey = key if key in gt.durations else gt.aliases.get(key)
        if qkey in gt.durations:
            out |= (arr[:, :2] > gt.durations[qkey]).any(axis=1)
        counts["out_of_range"] += int(out.sum())
    preds.unusual = counts
    return preds
