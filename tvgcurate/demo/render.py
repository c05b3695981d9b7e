"""Draw and encode one synthetic video from a spec: scenes (cuts) and moving coloured shapes.

The reusable core of `demo-data`: `render_video(spec, path)` turns a `VideoSpec` (size, fps,
duration, scene cuts, shape intervals) into a real H.264 MP4 with PyAV. Nothing here knows
about datasets or annotation formats.

    >>> spec = VideoSpec("v0", 160, 120, 24, 10.0,
    ...                  scenes=[Scene(0.0, (60, 40, 90), "stripes", 1), Scene(5.0, (90, 120, 40), "checker", 2)],
    ...                  shapes=[ShapeTrack("circle", "red", 2.0, 7.0, 30, 20, 60, 140, 60)])
    >>> render_video(spec, "v0.mp4")  # doctest: +SKIP
"""

from __future__ import annotations

import bisect
import colorsys
import os
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (225, 30, 30),
    "green": (40, 205, 60),
    "blue": (40, 90, 240),
    "yellow": (245, 225, 40),
    "purple": (160, 60, 210),
    "orange": (250, 140, 20),
    "white": (245, 245, 245),
    "pink": (250, 120, 190),
}

TEXTURES = ("stripes", "vstripes", "diagonal", "checker", "radial", "noise")
DIRECTIONS = ("left to right", "right to left", "top to bottom", "bottom to top")


def _polygon_mask(xx: np.ndarray, yy: np.ndarray, pts: list[tuple[float, float]]) -> np.ndarray:
    """Even-odd point-in-polygon test over a grid (vectorised ray casting)."""
    inside = np.zeros(xx.shape, dtype=bool)
    n = len(pts)
    for i in range(n):
        x1, y1 = pts[i]
        x2, y2 = pts[(i + 1) % n]
        crosses = (y1 > yy) != (y2 > yy)
        with np.errstate(divide="ignore", invalid="ignore"):
            xint = (x2 - x1) * (yy - y1) / (y2 - y1) + x1
        inside ^= crosses & (xx < xint)
    return inside


def _regular(n: int, r_out: float, r_in: float | None = None, rot: float = -np.pi / 2):
    pts = []
    k = 2 * n if r_in is not None else n
    for i in range(k):
        r = r_out if (r_in is None or i % 2 == 0) else r_in
        a = rot + 2 * np.pi * i / k
        pts.append((r * np.cos(a), r * np.sin(a)))
    return pts


SHAPES = {
    "circle": lambda x, y: x * x + y * y <= 1.0,
    "square": lambda x, y: np.maximum(abs(x), abs(y)) <= 0.82,
    "diamond": lambda x, y: abs(x) + abs(y) <= 1.0,
    "triangle": lambda x, y: _polygon_mask(x, y, [(0.0, -1.0), (0.97, 0.8), (-0.97, 0.8)]),
    "star": lambda x, y: _polygon_mask(x, y, _regular(5, 1.0, 0.45)),
    "hexagon": lambda x, y: _polygon_mask(x, y, _regular(6, 1.0, rot=0.0)),
    "cross": lambda x, y: (
        ((abs(x) <= 0.32) & (abs(y) <= 0.97)) | ((abs(y) <= 0.32) & (abs(x) <= 0.97))
    ),
}


def shape_mask(shape: str, size: int) -> np.ndarray:
    """Boolean (size, size) mask of a shape centred in its box."""
    c = (np.arange(size) + 0.5) / size * 2 - 1
    yy, xx = np.meshgrid(c, c, indexing="ij")
    return SHAPES[shape](xx, yy)


@dataclass(frozen=True)
class Scene:
    """A background from `start` seconds until the next scene: base colour and texture."""

    start: float
    rgb: tuple[int, int, int]
    texture: str
    seed: int


@dataclass(frozen=True)
class ShapeTrack:
    """A shape on screen for start <= t < end, its centre moving linearly (x0,y0) -> (x1,y1)."""

    shape: str
    colour: str
    start: float
    end: float
    size: int
    x0: float
    y0: float
    x1: float
    y1: float

    def visible(self, t: float) -> bool:
        return self.start <= t < self.end

    def centre(self, t: float) -> tuple[float, float]:
        a = 0.0 if self.end <= self.start else (t - self.start) / (self.end - self.start)
        a = min(max(a, 0.0), 1.0)
        return self.x0 + a * (self.x1 - self.x0), self.y0 + a * (self.y1 - self.y0)

    @property
    def direction(self) -> str:
        """One of DIRECTIONS."""
        dx, dy = self.x1 - self.x0, self.y1 - self.y0
        right, left, down, up = DIRECTIONS
        if abs(dx) >= abs(dy):
            return right if dx > 0 else left
        return down if dy > 0 else up


@dataclass
class VideoSpec:
    """Everything needed to render one video; `cuts` are the scene starts after the first."""

    video_id: str
    width: int
    height: int
    fps: int | Fraction  # a Fraction for NTSC rates such as 30000/1001
    duration: float
    scenes: list[Scene] = field(default_factory=list)
    shapes: list[ShapeTrack] = field(default_factory=list)

    @property
    def num_frames(self) -> int:
        return int(round(self.duration * self.fps))

    @property
    def cuts(self) -> list[float]:
        return [s.start for s in self.scenes[1:]]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> VideoSpec:
        keys = {"video_id", "width", "height", "fps", "duration"}
        return cls(
            **{k: d[k] for k in keys},
            scenes=[
                Scene(s["start"], tuple(s["rgb"]), s["texture"], s["seed"]) for s in d["scenes"]
            ],
            shapes=[ShapeTrack(**s) for s in d["shapes"]],
        )


def background(scene: Scene, width: int, height: int) -> np.ndarray:
    """(H, W, 3) uint8 background: base colour x a gradient x a texture (static per scene)."""
    rng = np.random.default_rng(scene.seed)
    y = np.linspace(-1, 1, height)[:, None]
    x = np.linspace(-1, 1, width)[None, :]
    angle = rng.uniform(0, 2 * np.pi)
    grad = 1.0 + 0.18 * (np.cos(angle) * x + np.sin(angle) * y)
    period = rng.uniform(0.15, 0.35)
    t = scene.texture
    if t == "stripes":
        pat = np.sign(np.sin(np.pi * y / period)) + 0 * x
    elif t == "vstripes":
        pat = np.sign(np.sin(np.pi * x / period)) + 0 * y
    elif t == "diagonal":
        pat = np.sin(np.pi * (x + y) / period)
    elif t == "checker":
        pat = np.sign(np.sin(np.pi * x / period) * np.sin(np.pi * y / period))
    elif t == "radial":
        pat = np.cos(np.pi * np.sqrt(x * x + y * y) / period)
    else:  # noise: smooth blobs from a coarse random grid, upsampled
        coarse = rng.uniform(-1, 1, (8, 8))
        iy = np.minimum((np.linspace(0, 7.999, height)).astype(int), 7)
        ix = np.minimum((np.linspace(0, 7.999, width)).astype(int), 7)
        pat = coarse[iy][:, ix]
    factor = grad * (1.0 + 0.14 * pat)
    img = np.asarray(scene.rgb, dtype=np.float32)[None, None, :] * factor[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


def background_colour(hue: float, dark: bool, rng: np.random.Generator) -> tuple[int, int, int]:
    """A muted background colour (shapes stay vivid against it); `dark` alternates per scene."""
    v = rng.uniform(0.22, 0.32) if dark else rng.uniform(0.5, 0.6)
    s = rng.uniform(0.45, 0.65)
    r, g, b = colorsys.hsv_to_rgb((hue % 360) / 360.0, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def _sprites(spec: VideoSpec) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for sh in spec.shapes:
        mask = shape_mask(sh.shape, sh.size)
        out.append((mask, np.asarray(COLOURS[sh.colour], dtype=np.uint8)))
    return out


def draw_frame(
    spec: VideoSpec, t: float, backgrounds: list[np.ndarray] | None = None, sprites=None
) -> np.ndarray:
    """The RGB frame at time t (seconds)."""
    backgrounds = backgrounds or [background(s, spec.width, spec.height) for s in spec.scenes]
    sprites = sprites or _sprites(spec)
    starts = [s.start for s in spec.scenes]
    frame = backgrounds[max(bisect.bisect_right(starts, t) - 1, 0)].copy()
    for sh, (mask, rgb) in zip(spec.shapes, sprites, strict=True):
        if not sh.visible(t):
            continue
        cx, cy = sh.centre(t)
        x0, y0 = int(round(cx - sh.size / 2)), int(round(cy - sh.size / 2))
        # clip the sprite to the frame
        sx0, sy0 = max(0, -x0), max(0, -y0)
        sx1 = min(sh.size, spec.width - x0)
        sy1 = min(sh.size, spec.height - y0)
        if sx1 <= sx0 or sy1 <= sy0:
            continue
        region = frame[y0 + sy0 : y0 + sy1, x0 + sx0 : x0 + sx1]
        region[mask[sy0:sy1, sx0:sx1]] = rgb
    return frame


def _to_yuv_planes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RGB (H, W, 3) -> yuv420p planes Y (H, W), U and V (H/2, W/2), converted by swscale."""
    import av

    yuv = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(
        format="yuv420p"
    )
    h, w = rgb.shape[:2]
    flat = yuv.to_ndarray()
    y = flat[:h].copy()
    rest = flat[h:].reshape(-1)
    n = (h // 2) * (w // 2)
    return (
        y,
        rest[:n].reshape(h // 2, w // 2).copy(),
        rest[n : 2 * n].reshape(h // 2, w // 2).copy(),
    )


def _paste(plane: np.ndarray, mask: np.ndarray, value: int, x0: int, y0: int) -> None:
    h, w = plane.shape
    mh, mw = mask.shape
    sx0, sy0 = max(0, -x0), max(0, -y0)
    sx1, sy1 = min(mw, w - x0), min(mh, h - y0)
    if sx1 > sx0 and sy1 > sy0:
        plane[y0 + sy0 : y0 + sy1, x0 + sx0 : x0 + sx1][mask[sy0:sy1, sx0:sx1]] = value


class _YuvSprite:
    """A shape's luma mask and its chroma masks for the 4 pixel parities, plus its YUV colour."""

    def __init__(self, track: ShapeTrack):
        self.mask = shape_mask(track.shape, track.size)
        solid = np.broadcast_to(np.asarray(COLOURS[track.colour], np.uint8), (2, 2, 3))
        y, u, v = _to_yuv_planes(solid)
        self.yuv = int(y[0, 0]), int(u[0, 0]), int(v[0, 0])
        self.chroma = {}
        s = track.size
        for py in (0, 1):
            for px in (0, 1):
                hh, ww = (s + py + 1) // 2 * 2, (s + px + 1) // 2 * 2
                pad = np.zeros((hh, ww), dtype=np.float32)
                pad[py : py + s, px : px + s] = self.mask
                self.chroma[py, px] = pad.reshape(hh // 2, 2, ww // 2, 2).mean((1, 3)) >= 0.5


def render_video(
    spec: VideoSpec,
    path: str | os.PathLike,
    *,
    crf: int = 23,
    preset: str = "ultrafast",
    gop: int | None = None,
    threads: int = 0,
    backgrounds: list[np.ndarray] | None = None,
) -> Path:
    """Render `spec` to an H.264 MP4 at `path` (written to a temp file, then renamed).

    Frames are drawn straight into yuv420p planes (backgrounds converted once per scene), so
    no per-frame colour conversion is needed. gop defaults to 2 s of frames; threads=0 lets
    x264 choose. `backgrounds`: one (H, W, 3) uint8 image per scene instead of `background`'s
    (as `draw_frame` takes them). Output is deterministic for a spec and thread count. Needs
    an even width and a height that is a multiple of 4.
    """
    import av

    w, h = spec.width, spec.height
    if w % 2 or h % 4:
        raise ValueError(f"width must be even and height a multiple of 4, got {w}x{h}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if backgrounds is None:
        backgrounds = [background(s, w, h) for s in spec.scenes]
    if len(backgrounds) != len(spec.scenes):
        raise ValueError(f"{len(backgrounds)} backgrounds for {len(spec.scenes)} scenes")
    bgs = [_to_yuv_planes(b) for b in backgrounds]
    sprites = [_YuvSprite(t) for t in spec.shapes]
    starts = [s.start for s in spec.scenes]
    buf = np.empty((h * 3 // 2, w), dtype=np.uint8)
    q = h // 4
    y_pl = buf[:h]
    u_pl = buf[h : h + q].reshape(h // 2, w // 2)
    v_pl = buf[h + q :].reshape(h // 2, w // 2)
    with av.open(str(tmp), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(spec.fps))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.codec_context.gop_size = gop or int(round(2 * spec.fps))
        stream.codec_context.thread_count = threads
        stream.options = {"preset": preset, "crf": str(crf)}
        for i in range(spec.num_frames):
            t = float(i / spec.fps)
            by, bu, bv = bgs[max(bisect.bisect_right(starts, t) - 1, 0)]
            y_pl[:] = by
            u_pl[:] = bu
            v_pl[:] = bv
            for track, sp in zip(spec.shapes, sprites, strict=True):
                if not track.visible(t):
                    continue
                cx, cy = track.centre(t)
                x0, y0 = int(round(cx - track.size / 2)), int(round(cy - track.size / 2))
                _paste(y_pl, sp.mask, sp.yuv[0], x0, y0)
                cm = sp.chroma[y0 % 2, x0 % 2]
                _paste(u_pl, cm, sp.yuv[1], x0 // 2, y0 // 2)
                _paste(v_pl, cm, sp.yuv[2], x0 // 2, y0 // 2)
            frame = av.VideoFrame.from_ndarray(buf, format="yuv420p")
            frame.pts = i
            frame.time_base = Fraction(1, spec.fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    os.replace(tmp, path)
    return path


def clip_spec(
    video_id: str,
    *,
    width: int = 64,
    height: int = 48,
    fps: int | Fraction = 10,
    duration: float = 2.0,
    cuts: tuple[float, ...] = (),
    shapes: tuple[tuple[str, str, float, float], ...] = (),
    seed: int = 0,
) -> VideoSpec:
    """A small spec for tests: scenes starting at 0 and at each cut (alternating dark and
    light backgrounds, varied textures), and (shape, colour, start, end) tracks moving left
    to right across the middle."""
    rng = np.random.default_rng(seed)
    starts = [0.0, *cuts]
    scenes = [
        Scene(
            start=float(t),
            rgb=background_colour(rng.uniform(0, 360), dark=i % 2 == 0, rng=rng),
            texture=TEXTURES[(seed + i) % len(TEXTURES)],
            seed=seed * 1000 + i,
        )
        for i, t in enumerate(starts)
    ]
    size = max(8, min(width, height) // 3)
    tracks = [
        ShapeTrack(
            shape,
            colour,
            float(a),
            float(b),
            size,
            size / 2,
            height / 2,
            width - size / 2,
            height / 2,
        )
        for shape, colour, a, b in shapes
    ]
    return VideoSpec(video_id, width, height, fps, float(duration), scenes, tracks)
