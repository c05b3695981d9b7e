"""Frames as images: from the `frames` cache table, or decoded from the video with PyAV at
the keyframe timestamps (one sequential pass per video), resized to each keyframe's size."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from tvgcurate.errors import WorkspaceError


def decode_frames(path: str | Path, keyframes: Sequence[dict]) -> list:
    """Decode the frames nearest each keyframe timestamp in one sequential PyAV pass, resized
    to each keyframe's width x height (PIL RGB). Raises on unreadable files."""
    import av

    wanted = sorted(range(len(keyframes)), key=lambda i: keyframes[i]["timestamp_s"])
    out: list = [None] * len(keyframes)
    if not wanted:
        return out
    j = 0
    prev = None  # (time, frame)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            t = float(frame.time) if frame.time is not None else 0.0
            while j < len(wanted) and t >= keyframes[wanted[j]]["timestamp_s"]:
                target = keyframes[wanted[j]]["timestamp_s"]
                use = frame
                if prev is not None and abs(prev[0] - target) < abs(t - target):
                    use = prev[1]
                out[wanted[j]] = _resize(use, keyframes[wanted[j]])
                j += 1
            if j >= len(wanted):
                break
            prev = (t, frame)
        while j < len(wanted) and prev is not None:  # timestamps past the last frame
            out[wanted[j]] = _resize(prev[1], keyframes[wanted[j]])
            j += 1
    if any(o is None for o in out):
        raise ValueError(f"{path}: no decodable frames")
    return out


def _resize(frame, kf: dict):
    w, h = int(kf.get("width") or 56), int(kf.get("height") or 56)
    return frame.reformat(width=w, height=h, format="rgb24", interpolation="AREA").to_image()


class FrameStore:
    """Random access to a `frames` table version by video, without reading it whole.

    The version is one Parquet file or a directory of shards (`keyframes --cache-frames`
    writes one row group per video). The index maps each video to its (shard, row group)
    from the row-group statistics (or, for groups holding several videos, from their
    `video_id` column only); `images(video_id)` then reads that video's groups, memory-mapped.
    Picklable: file handles are reopened in each data-loader worker.
    """

    def __init__(self, path: str | Path):
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        path = Path(path)
        self.files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
        self.index: dict[str, list[tuple[int, int]]] = {}
        self.column: str | None = None
        self._open: dict[int, object] = {}
        for fi, f in enumerate(self.files):
            pf = pq.ParquetFile(f, memory_map=True)
            if self.column is None:
                self.column = _binary_column(pf.schema_arrow.empty_table())
            ci = pf.schema_arrow.get_field_index("video_id")
            for rg in range(pf.metadata.num_row_groups):
                if pf.metadata.row_group(rg).num_rows == 0:
                    continue
                st = pf.metadata.row_group(rg).column(ci).statistics
                if st is not None and st.has_min_max and st.min == st.max:
                    vids = [st.min]
                else:
                    col = pf.read_row_group(rg, columns=["video_id"]).column(0)
                    vids = pc.unique(col).to_pylist()
                for v in vids:
                    self.index.setdefault(str(v), []).append((fi, rg))

    def __getstate__(self):
        return {**self.__dict__, "_open": {}}

    def __contains__(self, video_id: str) -> bool:
        return video_id in self.index

    def _file(self, fi: int):
        import pyarrow.parquet as pq

        if fi not in self._open:
            self._open[fi] = pq.ParquetFile(self.files[fi], memory_map=True)
        return self._open[fi]

    def images(self, video_id: str) -> dict[int, bytes]:
        """frame_index -> encoded image of one video's cached frames ({} if none)."""
        import pyarrow.compute as pc

        if self.column is None:
            return {}
        out: dict[int, bytes] = {}
        for fi, rg in self.index.get(video_id, ()):
            t = self._file(fi).read_row_group(rg, columns=["video_id", "frame_index", self.column])
            t = t.filter(pc.equal(t.column("video_id"), video_id))
            idx = t.column("frame_index").to_pylist()
            data = t.column(self.column).to_pylist()
            out.update({i: b for i, b in zip(idx, data, strict=True) if b})
        return out


class FrameSource:
    """Frames for keyframe rows: from the `frames` cache when present, else decoded from video.

    `cache` is a FrameStore (read per video, on demand) or, for small tables, a pyarrow
    table loaded whole.
    """

    def __init__(self, media_root: Path | None, video_paths: dict[str, str], cache=None):
        self.media_root = media_root
        self.video_paths = video_paths
        self.store = cache if isinstance(cache, FrameStore) else None
        self._cache: dict[tuple[str, int], bytes] = {}
        if cache is not None and self.store is None and cache.num_rows:
            col = _binary_column(cache)
            if col is not None:
                vids = cache.column("video_id").to_pylist()
                idx = cache.column("frame_index").to_pylist()
                data = cache.column(col).to_pylist()
                self._cache = {(v, i): b for v, i, b in zip(vids, idx, data, strict=True) if b}

    def path_of(self, video_id: str) -> Path:
        rel = self.video_paths.get(video_id)
        if rel is None:
            raise WorkspaceError(f"video '{video_id}' is not in the videos table")
        p = Path(rel)
        if not p.is_absolute() and self.media_root is not None:
            p = self.media_root / p
        return p

    def frames(self, video_id: str, keyframes: Sequence[dict]) -> list:
        """PIL images at each keyframe's size. Raises on unreadable frames or video."""
        from PIL import Image

        keys = [int(k["frame_index"]) for k in keyframes]
        if self.store is not None:
            cached = self.store.images(video_id) if video_id in self.store else {}
        else:
            cached = {k: self._cache[(video_id, k)] for k in keys if (video_id, k) in self._cache}
        if keys and all(k in cached for k in keys):
            out = []
            for k, kf in zip(keys, keyframes, strict=True):
                img = Image.open(io.BytesIO(cached[k])).convert("RGB")
                size = (int(kf.get("width") or img.width), int(kf.get("height") or img.height))
                out.append(img if img.size == size else img.resize(size, Image.BILINEAR))
            return out
        return decode_frames(self.path_of(video_id), keyframes)


def _binary_column(table) -> str | None:
    import pyarrow as pa

    for f in table.schema:
        if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type):
            return f.name
    return None
