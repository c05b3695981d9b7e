"""Decoding sampled frames at low resolution. Decoders are plug-ins in a registry.

`pyav` (default): one sequential pass with slice threads, skipping the decode of
non-reference frames, converting only the frames nearest each sample time, scaled down by
swscale's area filter (never converted at full resolution) through one reformatter per
pass (``frame.to_ndarray(width=...)`` builds a new swscale context for every frame: about
2 ms against 0.15 ms per 640x360 frame). If skipping leaves gaps wider than half a sample
step (unusual GOPs), it decodes again without skipping.

`decord`: ``VideoReader(width=, height=)`` and ``get_batch`` on the sampled indices.

`auto`: `pyav`, and `decord` when PyAV fails on the file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tvgcurate.registry import Registry


class DecodeError(RuntimeError):
    """The video cannot be decoded (message says why)."""


@dataclass
class Sampled:
    """Frames sampled from one video, small, BGR uint8 (n, h, w, 3)."""

    frames: np.ndarray
    frame_index: np.ndarray  # source frame numbers
    timestamp_s: np.ndarray
    src_width: int
    src_height: int
    fps: float
    decoder: str
    skip_nonref: bool = False
    notes: list[str] = field(default_factory=list)


DECODERS: Registry[type[Decoder]] = Registry("decoder")


def get_decoder(name: str) -> Decoder:
    """A decoder instance by name (an unknown name lists the choices)."""
    return DECODERS.get(name)()


def score_size(width: int, height: int, score_width: int) -> tuple[int, int]:
    """(w, h) for scoring: about `score_width` wide, never wider than the source.

    The width is a multiple of 32 (decord's scaler needs it; one rule for both decoders
    keeps their scores comparable) and the height even.
    """
    width, height = max(int(width), 2), max(int(height), 2)
    w = min(score_width, width)
    w = max(32, w - w % 32) if width >= 32 else width - width % 2
    h = max(2, round(height * w / width))
    return w, h - h % 2


def sample_targets(duration_s: float, sample_fps: float) -> np.ndarray:
    n = max(1, int(np.floor(duration_s * sample_fps + 1e-6)))
    return np.arange(n) / sample_fps


class Decoder:
    name = "base"

    def sample(self, path: Path, sample_fps: float, score_width: int) -> Sampled:
        raise NotImplementedError

    def frames_at(
        self, path: Path, sampled: Sampled, sizes: Sequence[tuple[int, int]]
    ) -> list[np.ndarray | None]:
        """The sampled frames again, BGR at per-frame (height, width); None where 0x0."""
        raise NotImplementedError


def _resize(img: np.ndarray, h: int, w: int) -> np.ndarray:
    import cv2

    interp = cv2.INTER_AREA if h * w <= img.shape[0] * img.shape[1] else cv2.INTER_CUBIC
    return cv2.resize(img, (w, h), interpolation=interp)


class _Scaler:
    """BGR uint8 at (h, w) by swscale's area filter, reusing one swscale context."""

    def __init__(self):
        from av.video.reformatter import VideoReformatter

        self._r = VideoReformatter()

    def __call__(self, frame, width: int, height: int) -> np.ndarray:
        out = self._r.reformat(frame, width, height, "bgr24", interpolation="AREA")
        return out.to_ndarray()


@DECODERS.register()
class PyAVDecoder(Decoder):
    name = "pyav"

    def _open(self, path: Path, skip: bool):
        import av

        container = av.open(str(path))
        if not container.streams.video:
            container.close()
            raise DecodeError("no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"
        if skip:
            stream.codec_context.skip_frame = "NONREF"
        return container, stream

    def _walk(self, path: Path, sample_fps: float | None, skip: bool, visit: Callable) -> tuple:
        """Decode once; call visit(k, frame, ts, index) on the frame chosen for sample k.

        With ``sample_fps=None`` every decoded frame is visited.
        """
        container, stream = self._open(path, skip)
        try:
            tb = float(stream.time_base or 0) or None
            fps = float(stream.average_rate or stream.guessed_rate or 0) or 25.0
            start = stream.start_time if stream.start_time is not None else None
            step = 1.0 / sample_fps if sample_fps else 0.0
            k, lags, n = 0, [], 0
            last, last_ts, visited_ts = None, 0.0, None
            for i, frame in enumerate(container.decode(stream)):
                n += 1
                if frame.pts is not None and tb:
                    if start is None:
                        start = frame.pts
                    ts = (frame.pts - start) * tb
                else:
                    ts = i / fps
                if not step:
                    visit(i, frame, ts, int(round(ts * fps)))
                    continue
                last, last_ts = frame, ts
                if ts + 0.5 / fps < k * step:
                    continue
                visit(k, frame, ts, int(round(ts * fps)))
                lags.append(ts - k * step)
                visited_ts = ts
                k = int(np.floor(ts / step + 0.5 / (fps * step))) + 1
            # The last frame too, when it lies over half a step past the last sample, so
            # the tail of the video (and a cut in it) is seen.
            if last is not None and visited_ts is not None and last_ts - visited_ts > 0.5 * step:
                visit(k, last, last_ts, int(round(last_ts * fps)))
            width = stream.codec_context.width
            height = stream.codec_context.height
        finally:
            container.close()
        if n == 0:
            raise DecodeError("no decodable frames")
        return fps, width, height, max(lags) if lags else 0.0

    def sample(self, path: Path, sample_fps: float, score_width: int) -> Sampled:
        import av

        try:
            with av.open(str(path)) as c:
                if not c.streams.video:
                    raise DecodeError("no video stream")
                cc = c.streams.video[0].codec_context
                w, h = score_size(cc.width, cc.height, score_width)
        except av.FFmpegError as exc:
            raise DecodeError(f"pyav cannot open: {exc}") from None
        for skip in (True, False):
            frames, idx, ts = [], [], []
            small = _Scaler()

            def visit(k, frame, t, index, frames=frames, idx=idx, ts=ts, small=small):
                frames.append(small(frame, w, h))
                idx.append(index)
                ts.append(t)

            try:
                fps, sw, sh, lag = self._walk(path, sample_fps, skip, visit)
            except av.FFmpegError as exc:
                raise DecodeError(f"pyav decode failed: {exc}") from None
            except DecodeError:
                if skip:  # nothing decoded while skipping: try every frame
                    continue
                raise
            if frames and (not skip or lag <= 0.5 / sample_fps):
                break
        if not frames:
            raise DecodeError("no decodable frames")
        return Sampled(
            frames=np.stack(frames),
            frame_index=np.asarray(idx, dtype=np.int64),
            timestamp_s=np.asarray(ts, dtype=np.float64),
            src_width=sw,
            src_height=sh,
            fps=fps,
            decoder=self.name,
            skip_nonref=skip,
        )

    def frames_at(self, path, sampled, sizes):
        out: list[np.ndarray | None] = [None] * len(sizes)
        want = {int(i): j for j, i in enumerate(sampled.frame_index)}
        scale = _Scaler()

        def visit(k, frame, t, index):
            j = want.get(index)
            if j is not None and sizes[j][0] > 0:
                h, w = sizes[j]
                out[j] = scale(frame, w, h)

        self._walk(path, None, sampled.skip_nonref, visit)
        return out


@DECODERS.register()
class DecordDecoder(Decoder):
    name = "decord"

    def _reader(self, path: Path, width: int = -1, height: int = -1):
        import decord

        try:
            return decord.VideoReader(str(path), width=width, height=height, num_threads=0)
        except Exception as exc:  # decord raises DECORDError / RuntimeError
            raise DecodeError(f"decord cannot open: {str(exc).splitlines()[0][:200]}") from None

    def _indices(self, vr, sample_fps: float) -> tuple[np.ndarray, float]:
        n = len(vr)
        if n == 0:
            raise DecodeError("no decodable frames")
        fps = float(vr.get_avg_fps()) or 25.0
        targets = sample_targets(n / fps, sample_fps)
        idx = np.unique(np.minimum(np.round(targets * fps).astype(np.int64), n - 1))
        if (n - 1 - idx[-1]) / fps > 0.5 / sample_fps:  # the tail, as the pyav decoder does
            idx = np.append(idx, n - 1)
        return idx, fps

    def sample(self, path: Path, sample_fps: float, score_width: int) -> Sampled:
        probe = self._reader(path)
        sh, sw = probe[0].shape[:2] if len(probe) else (0, 0)
        w, h = score_size(sw, sh, score_width)
        vr = self._reader(path, w, h)
        idx, fps = self._indices(vr, sample_fps)
        try:
            rgb = vr.get_batch(list(idx)).asnumpy()
            ts = vr.get_frame_timestamp(list(idx))[:, 0]
        except Exception as exc:
            raise DecodeError(f"decord decode failed: {str(exc).splitlines()[0][:200]}") from None
        return Sampled(
            frames=np.ascontiguousarray(rgb[..., ::-1]),
            frame_index=idx,
            timestamp_s=np.asarray(ts, dtype=np.float64),
            src_width=sw,
            src_height=sh,
            fps=fps,
            decoder=self.name,
        )

    def frames_at(self, path, sampled, sizes):
        vr = self._reader(path)
        out: list[np.ndarray | None] = []
        for i, (h, w) in zip(sampled.frame_index, sizes, strict=True):
            out.append(None if h <= 0 else _resize(vr[int(i)].asnumpy()[..., ::-1], h, w))
        return out


@DECODERS.register()
class AutoDecoder(Decoder):
    """PyAV first; decord when PyAV cannot decode the file."""

    name = "auto"

    order = ("pyav", "decord")

    def sample(self, path: Path, sample_fps: float, score_width: int) -> Sampled:
        errors = []
        for name in self.order:
            try:
                s = get_decoder(name).sample(path, sample_fps, score_width)
                s.notes.extend(errors)
                return s
            except DecodeError as exc:
                errors.append(f"{name}: {exc}")
        raise DecodeError("; ".join(errors))

    def frames_at(self, path, sampled, sizes):
        return get_decoder(sampled.decoder).frames_at(path, sampled, sizes)
