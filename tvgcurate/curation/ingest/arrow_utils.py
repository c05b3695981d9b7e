"""Arrow helpers shared by the readers: window conversion, line numbers, row filtering."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate.schemas import WINDOW, WINDOWS

PAIRS = pa.list_(pa.list_(pa.float64()))


def pairs_to_windows(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
    """list<list<double>> of [start, end] pairs -> list<struct<start, end>> (nulls kept).

    Callers have checked that every inner list has exactly two non-null numbers.
    """
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    out = []
    for arr in chunks:
        arr = arr.cast(PAIRS)
        vals = arr.flatten().flatten().to_numpy(zero_copy_only=False).reshape(-1, 2)
        struct = pa.StructArray.from_arrays(
            [pa.array(vals[:, 0], pa.float64()), pa.array(vals[:, 1], pa.float64())],
            fields=list(WINDOW),
        )
        offsets = arr.offsets.to_numpy() - arr.offsets[0].as_py()
        mask = arr.is_null() if arr.null_count else None
        out.append(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), struct, mask=mask))
    return pa.chunked_array(out, type=WINDOWS)


def bad_pair_rows(col: pa.ChunkedArray) -> np.ndarray:
    """Row indices whose window list holds an entry that is not exactly two numbers."""
    bad = []
    base = 0
    for arr in col.chunks:
        arr = arr.cast(PAIRS)
        inner = arr.flatten()
        vals = inner.flatten()
        lens_arr = pc.list_value_length(inner)
        bounds = pc.min_max(lens_arr).as_py()
        if not len(inner) or (
            bounds == {"min": 2, "max": 2} and lens_arr.null_count == 0 and vals.null_count == 0
        ):
            base += len(arr)
            continue  # every entry is a pair of numbers
        lens = lens_arr.to_numpy(zero_copy_only=False)
        inner_bad = (lens != 2) | np.isnan(lens.astype(float))
        if vals.null_count:
            # an inner list holding a null number is bad too
            parent = pc.list_parent_indices(inner).to_numpy()
            null_at = np.flatnonzero(vals.is_null().to_numpy(zero_copy_only=False))
            inner_bad[parent[null_at]] = True
        if inner_bad.any():
            outer_parent = pc.list_parent_indices(arr).to_numpy()
            bad.extend((base + np.unique(outer_parent[np.flatnonzero(inner_bad)])).tolist())
        base += len(arr)
    return np.array(sorted(set(bad)), dtype=np.int64)


class LineIndex:
    """Maps a record's row number to its 1-based line in the file (blank lines skipped)."""

    def __init__(self, path: Path):
        self.path = path
        self._map: np.ndarray | None = None

    def _build(self) -> np.ndarray:
        with open(self.path, "rb") as fh:
            data = fh.read()
        lines = data.split(b"\n")
        return np.array([i + 1 for i, ln in enumerate(lines) if ln.strip()], dtype=np.int64)

    def __call__(self, row: int) -> int:
        if self._map is None:
            self._map = self._build()
        return int(self._map[row]) if row < len(self._map) else row + 1


def drop_rows(table: pa.Table, rows: np.ndarray) -> pa.Table:
    if len(rows) == 0:
        return table
    keep = np.ones(table.num_rows, dtype=bool)
    keep[rows] = False
    return table.filter(pa.array(keep))
