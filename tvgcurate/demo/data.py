"""Synthetic demo data: real MP4s with known scene cuts and moving shapes, annotated in the
three native formats (QVHighlights jsonl, Charades-STA txt+csv, ActivityNet Captions json).

    >>> from tvgcurate.demo.data import DemoConfig, generate
    >>> res = generate(DemoConfig(out="demo", num_videos=6, plant_errors=True))  # doctest: +SKIP
    >>> res.ground_truth  # demo/ground_truth.json: cuts, shape intervals, sample ids, planted errors

Every video's content is known exactly (`VideoSpec`), so tests and benchmarks can check
keyframes, audits and models against it. Output is deterministic for a seed: video i only
depends on (seed, i) and the size/duration/shape settings.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import shutil
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pyarrow as pa

from tvgcurate.demo import plants
from tvgcurate.demo.datasets import ANET, CHARADES, DATASETS, QVH, SPLITS, style
from tvgcurate.demo.render import (
    COLOURS,
    SHAPES,
    TEXTURES,
    Scene,
    ShapeTrack,
    VideoSpec,
    background_colour,
    render_video,
)
from tvgcurate.errors import TvgError
from tvgcurate.exporters.activitynet import ActivityNetExporter
from tvgcurate.exporters.base import ExportContext, Exporter
from tvgcurate.exporters.charades_sta import CharadesExporter
from tvgcurate.exporters.qvhighlights import QVHighlightsExporter
from tvgcurate.keyvalue import setting
from tvgcurate.registry import Registry
from tvgcurate.schemas import SAMPLES

GRID = {QVH: 2.0, CHARADES: 0.5, ANET: 0.5}  # shape start/end grid (QVH: its 2-second clips)
DIRNAME = {QVH: "qvhighlights", CHARADES: "charades", ANET: "activitynet"}

TEMPLATES = (
    "{a} {c} {s} moves across the screen",
    "the {c} {s} appears",
    "{a} {c} {s} slides across the frame",
    "{a} {c} {s} moves from {d}",
    "we see {a} {c} {s} on screen",
    "{a} {c} {s} drifts through the picture",
    "the {c} {s} passes by",
    "{a} {c} {s} travels over the background",
)


def phrase(shape: str, colour: str, template: int = 0, direction: str = "left to right") -> str:
    """A lower-case query naming a shape and colour, e.g. 'a red circle moves across the screen'.

    Also the way to word queries for absent shapes (irrelevant queries) in tests and benchmarks.
    """
    art = "an" if colour[0] in "aeiou" else "a"
    return TEMPLATES[template % len(TEMPLATES)].format(a=art, c=colour, s=shape, d=direction)


@dataclass
class DemoConfig:
    """Options of `tvgcurate demo-data`."""

    out: Path = setting(help="Output directory (created; a previous demo there is replaced).")
    num_videos: int = setting(
        12, "Videos to make, shared round robin among QVH, Charades-STA, ActivityNet."
    )
    seed: int = setting(0, "Random seed: same seed, same specs and annotation bytes.")
    plant_errors: bool = setting(
        False, "Plant annotation errors (listed under 'planted' in ground_truth.json)."
    )
    error_rate: float = setting(
        0.2, "Share of samples to plant errors in (at least one of each kind is planted)."
    )
    width: int = setting(320, "Frame width (even).")
    height: int = setting(240, "Frame height (a multiple of 4).")
    fps: int = setting(24, "Frames per second.")
    min_duration: int = setting(20, "Shortest video, seconds.")
    max_duration: int = setting(60, "Longest video, seconds.")
    min_shapes: int = setting(1, "Fewest shapes per video (each gets queries).")
    max_shapes: int = setting(3, "Most shapes per video (1 = one shape per video).")
    min_shape_seconds: float = setting(3.0, "Shortest time a shape is on screen.")
    max_shape_seconds: float = setting(20.0, "Longest time a shape is on screen.")
    queries_per_shape: int = setting(3, "Differently worded queries per shape.")
    num_absent: int = setting(3, "Shape/colour combos per video listed as never appearing.")
    write_videos: bool = setting(True, "Render the MP4s (off: annotations and ground truth only).")
    crf: int = setting(23, "x264 quality (lower = better, bigger).")
    threads: int = setting(0, "x264 threads (0 = auto).")
    preset: str = setting(
        "ultrafast",
        "x264 preset. ultrafast: baseline-like, no B-frames (fast to render);"
        " veryfast or slower: High profile with B-frames, like real uploads.",
    )
    gop_seconds: float = setting(2.0, "Keyframe interval in seconds (YouTube: about 2-5).")

    def __post_init__(self):
        self.out = Path(self.out)
        if self.num_videos < 1:
            raise TvgError(f"num_videos must be >= 1, got {self.num_videos}")
        if self.width < 32 or self.width % 2:
            raise TvgError(f"width must be an even number >= 32, got {self.width}")
        if self.gop_seconds <= 0:
            raise TvgError(f"gop_seconds must be > 0, got {self.gop_seconds}")
        if self.height < 32 or self.height % 4:
            raise TvgError(
                f"height must be a multiple of 4 and >= 32, got {self.height} (try 240 or 360)"
            )
        if not 1 <= self.fps <= 120:
            raise TvgError(f"fps must be in 1..120, got {self.fps}")
        if self.min_duration < 6 or self.max_duration < self.min_duration:
            raise TvgError(
                f"need 6 <= min_duration <= max_duration, got {self.min_duration}..{self.max_duration}"
            )
        if (
            not 1
            <= self.min_shapes
            <= self.max_shapes
            <= len(SHAPES) * len(COLOURS) - self.num_absent
        ):
            raise TvgError(
                f"need 1 <= min_shapes <= max_shapes (<= 40), got {self.min_shapes}..{self.max_shapes}"
            )
        if not 0 < self.min_shape_seconds <= self.max_shape_seconds:
            raise TvgError("need 0 < min_shape_seconds <= max_shape_seconds")
        if self.min_shape_seconds + 2 > self.min_duration:
            raise TvgError(
                f"min_shape_seconds ({self.min_shape_seconds}) must leave 2 s in the shortest video "
                f"({self.min_duration} s): lower --min-shape-seconds or raise --min-duration"
            )
        if not 1 <= self.queries_per_shape <= len(TEMPLATES):
            raise TvgError(f"queries_per_shape must be in 1..{len(TEMPLATES)}")
        if not 0 <= self.error_rate <= 1:
            raise TvgError(f"error_rate must be in 0..1, got {self.error_rate}")
        if self.num_absent < 0:
            raise TvgError("num_absent must be >= 0")


@dataclass
class DemoVideo:
    """One generated video: its render spec, where it goes, and how it is annotated."""

    index: int
    dataset: str
    split: str
    spec: VideoSpec
    absent: list[tuple[str, str]]
    annotated_duration: float  # Charades csv length / ANet duration (differs if planted)
    qvh_span: tuple[float, float] | None = None

    @property
    def video_id(self) -> str:
        return self.spec.video_id

    @property
    def file(self) -> str:
        return f"videos/{self.video_id}.mp4"


@dataclass
class Annotation:
    """One sample as it will be written (one QVH line, Charades line or ANet sentence)."""

    dataset: str
    split: str
    video: int  # index into the videos list
    shape: int  # index into the video's spec.shapes
    text: str  # lower-case phrase before dataset styling
    query: str  # as written in the native file
    windows: list[list[float]]
    kind: str | None = None  # planted error kind
    detail: str = ""
    reserved: bool = False  # source of a planted copy: left untouched
    clip_ids: list[int] | None = None  # QVH override (clip_ids_mismatch)
    sample_id: str = ""
    qid: str = ""


@dataclass
class DemoResult:
    """What `generate` wrote."""

    out: Path
    ground_truth: Path
    videos: list[Path]
    annotation_files: dict[str, list[Path]]
    specs: list[VideoSpec]
    num_samples: int
    planted: list[dict]
    seconds: float


# --- specs -----------------------------------------------------------------------------


def _base36(n: int, width: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    s = ""
    for _ in range(width):
        n, r = divmod(n, 36)
        s = digits[r] + s
    return s


def _on_grid(rng: np.random.Generator, lo: float, hi: float, g: float) -> float:
    a, b = int(np.ceil(lo / g - 1e-9)), int(np.floor(hi / g + 1e-9))
    return float(g * rng.integers(a, max(a, b) + 1))


def _scenes(rng: np.random.Generator, duration: int) -> list[Scene]:
    longest = max(4, min(10, duration // 2))
    cuts, t = [], 0
    while True:
        t += int(rng.integers(3, longest + 1))
        if t > duration - 3:
            break
        cuts.append(float(t))
    hue, dark = rng.uniform(0, 360), bool(rng.integers(2))
    scenes, prev_tex = [], None
    for start in [0.0, *cuts]:
        tex = str(rng.choice([x for x in TEXTURES if x != prev_tex]))
        rgb = background_colour(hue, dark, rng)
        scenes.append(Scene(start, rgb, tex, int(rng.integers(2**31))))
        hue += rng.uniform(100, 260)
        dark, prev_tex = not dark, tex
    return scenes


def _track(rng, cfg: DemoConfig, shape: str, colour: str, start: float, end: float) -> ShapeTrack:
    w, h = cfg.width, cfg.height
    side = min(w, h)
    size = int(rng.integers(int(0.16 * side), int(0.26 * side) + 1))
    r = size / 2 + 1
    direction = int(rng.integers(4))
    if direction < 2:  # horizontal
        ya, yb = rng.uniform(r, h - r, 2)
        xa, xb = r + rng.uniform(0, 0.15) * w, w - r - rng.uniform(0, 0.15) * w
        if direction == 1:
            xa, xb = xb, xa
    else:
        xa, xb = rng.uniform(r, w - r, 2)
        ya, yb = r + rng.uniform(0, 0.15) * h, h - r - rng.uniform(0, 0.15) * h
        if direction == 3:
            ya, yb = yb, ya
    return ShapeTrack(
        shape, colour, start, end, size, *(round(float(v), 1) for v in (xa, ya, xb, yb))
    )


def video_spec(cfg: DemoConfig, index: int) -> DemoVideo:
    """The spec of video `index` (depends only on the seed, the index and size settings)."""
    rng = np.random.default_rng([cfg.seed, index])
    ds = DATASETS[index % 3]
    split = SPLITS[ds][(index // 3) % 2]
    duration = int(rng.integers(cfg.min_duration, cfg.max_duration + 1))
    if ds == QVH and duration % 2:  # QVH durations are whole 2-second clips
        duration += -1 if duration - 1 >= cfg.min_duration else 1
    scenes = _scenes(rng, duration)

    combos = list(itertools.product(SHAPES, COLOURS))
    order = rng.permutation(len(combos))
    n = int(rng.integers(cfg.min_shapes, cfg.max_shapes + 1))
    g = GRID[ds]
    longest = min(cfg.max_shape_seconds, duration - 1)
    shapes, taken = [], set()
    for k in range(n):
        shape, colour = combos[order[k]]
        for _ in range(20):  # avoid two shapes appearing/leaving on the same frame
            length = _on_grid(rng, cfg.min_shape_seconds, longest, g)
            start = _on_grid(rng, 0, duration - length, g)
            if start not in taken and start + length not in taken:
                break
        taken |= {start, start + length}
        shapes.append(_track(rng, cfg, shape, colour, start, start + length))
    absent = [combos[i] for i in order[n : n + cfg.num_absent]]

    span = None
    if ds == QVH:
        s0 = float(duration * rng.integers(0, 5))
        span = (s0, s0 + duration)
        vid = f"dm{index:04d}_{s0:.1f}_{s0 + duration:.1f}"
    elif ds == CHARADES:
        vid = "DM" + _base36(index, 3)
    else:
        vid = f"v_demo{index:07d}"
    spec = VideoSpec(vid, cfg.width, cfg.height, cfg.fps, float(duration), scenes, shapes)
    return DemoVideo(index, ds, split, spec, absent, float(duration), span)


def _annotations(cfg: DemoConfig, videos: list[DemoVideo]) -> list[Annotation]:
    anns = []
    for v in videos:
        rng = np.random.default_rng([cfg.seed, v.index, 1])
        for k, tr in enumerate(v.spec.shapes):
            for t in rng.permutation(len(TEMPLATES))[: cfg.queries_per_shape]:
                text = phrase(tr.shape, tr.colour, int(t), tr.direction)
                anns.append(
                    Annotation(
                        v.dataset,
                        v.split,
                        v.index,
                        k,
                        text,
                        style(v.dataset, text),
                        [[tr.start, tr.end]],
                    )
                )
    return anns


# --- native writers (a registry: one per dataset, each through its exporter) -------------

WRITERS: Registry = Registry("demo writer")


def _windows(windows: list[list[float]], digits: int) -> list[dict]:
    """Annotation windows as the samples table holds them (kept as stored: start > end too)."""
    return [{"start": round(float(s), digits), "end": round(float(e), digits)} for s, e in windows]


def _export(exporter: Exporter, rows: list[dict], path: Path, **options) -> Path:
    """Write samples-table `rows` to `path` in the exporter's native format."""
    table = pa.Table.from_pylist(rows, schema=SAMPLES)
    exporter.write(table, path, ExportContext(out=path, options=options))
    return path


def assign_ids(anns: list[Annotation], videos: list[DemoVideo]) -> None:
    """Give every annotation the sample id ingest will give it (`{source}:{split}:{qid}`)."""
    qvh_qid = itertools.count(1)
    line = {}
    sentence = {}
    for a in anns:
        if a.dataset == QVH:
            a.qid = str(next(qvh_qid))
        elif a.dataset == CHARADES:
            a.qid = str(line.setdefault(a.split, itertools.count()).__next__())
        else:
            vid = videos[a.video].video_id
            a.qid = f"{vid}#{sentence.setdefault((a.split, vid), itertools.count()).__next__()}"
        a.sample_id = f"{a.dataset}:{a.split}:{a.qid}"


def _row(a: Annotation, v: DemoVideo, digits: int, **extra) -> dict:
    return {
        "sample_id": a.sample_id,
        "source": a.dataset,
        "split": a.split,
        "source_qid": a.qid,
        "video_id": v.video_id,
        "query": a.query,
        "windows": _windows(a.windows, digits),
        **extra,
    }


@WRITERS.register(QVH)
def _write_qvh(out: Path, videos: list[DemoVideo], anns: list[Annotation], seed: int) -> list[Path]:
    from tvgcurate.curation.audit.clip_grid import clip_ids

    paths = []
    for split in SPLITS[QVH]:
        rows = []
        for a in (a for a in anns if a.dataset == QVH and a.split == split):
            v = videos[a.video]
            clips = a.clip_ids  # a planted clip_ids_mismatch, else the windows' clips
            if clips is None:
                clips = sorted(clip_ids(a.windows, v.spec.duration))
            rng = np.random.default_rng([seed, int(a.qid), 2])
            sal = rng.integers(2, 5, size=(len(clips), 3)).tolist()
            rows.append(
                _row(a, v, 2, duration_s=v.spec.duration, relevant_clip_ids=clips, saliency=sal)
            )
        p = out / DIRNAME[QVH] / f"demo_{split}_release.jsonl"
        paths.append(_export(QVHighlightsExporter(), rows, p))
    return paths


CHARADES_COLUMNS = [
    "id",
    "subject",
    "scene",
    "quality",
    "relevance",
    "verified",
    "script",
    "objects",
    "descriptions",
    "actions",
    "length",
]


def _charades_csv(path: Path, videos: list[DemoVideo], rows: list[Annotation]) -> Path:
    """A Charades_v1_<split>.csv, written by hand: the exporter's sidecar holds only id and
    length, the release file (imitated here) has every column, and planted durations."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CHARADES_COLUMNS)
    for vi in dict.fromkeys(a.video for a in rows):
        v = videos[vi]
        names = [f"{t.colour} {t.shape}" for t in v.spec.shapes]
        actions = ";".join(
            f"c{k:03d} {t.start:.2f} {t.end:.2f}" for k, t in enumerate(v.spec.shapes)
        )
        w.writerow(
            [
                v.video_id, "DEMO", "Synthetic", 7, 7, "Yes",
                "Coloured shapes move across changing backgrounds.",
                ";".join(t.shape for t in v.spec.shapes),
                ";".join(f"A {n} moves across the screen." for n in names),
                actions,
                f"{v.annotated_duration:.2f}",
            ]
        )  # fmt: skip
    path.write_text(buf.getvalue())
    return path


@WRITERS.register(CHARADES)
def _write_charades(out: Path, videos, anns, seed: int) -> list[Path]:
    paths = []
    for split in SPLITS[CHARADES]:
        anns_s = [a for a in anns if a.dataset == CHARADES and a.split == split]
        rows = [_row(a, videos[a.video], 1) for a in anns_s]
        txt = _export(
            CharadesExporter(), rows, out / DIRNAME[CHARADES] / f"charades_sta_{split}.txt",
            durations=False,
        )  # fmt: skip
        csv_name = "Charades_v1_train.csv" if split == "train" else "Charades_v1_test.csv"
        paths += [txt, _charades_csv(out / DIRNAME[CHARADES] / csv_name, videos, anns_s)]
    return paths


@WRITERS.register(ANET)
def _write_anet(out: Path, videos, anns, seed: int) -> list[Path]:
    paths = []
    for split in SPLITS[ANET]:
        rows = [
            _row(a, videos[a.video], 2, duration_s=videos[a.video].annotated_duration)
            for a in anns
            if a.dataset == ANET and a.split == split
        ]
        p = out / DIRNAME[ANET] / ("train.json" if split == "train" else "val_1.json")
        paths.append(_export(ActivityNetExporter(), rows, p))
    return paths


# --- ground truth ------------------------------------------------------------------------


def _ground_truth(cfg: DemoConfig, videos: list[DemoVideo], anns: list[Annotation]) -> dict:
    conf = {
        f.name: getattr(cfg, f.name)
        for f in fields(cfg)
        if f.name not in ("out", "threads", "write_videos")
    }
    vids = []
    for v in videos:
        vids.append(
            {
                "video_id": v.video_id,
                "file": v.file,
                "dataset": v.dataset,
                "split": v.split,
                "duration": v.spec.duration,
                "annotated_duration": v.annotated_duration,
                "fps": v.spec.fps,
                "width": v.spec.width,
                "height": v.spec.height,
                "num_frames": v.spec.num_frames,
                "cuts": v.spec.cuts,
                "shapes": [
                    {"shape": t.shape, "colour": t.colour, "start": t.start, "end": t.end}
                    for t in v.spec.shapes
                ],
                "absent": [{"shape": s, "colour": c} for s, c in v.absent],
                "spec": v.spec.to_dict(),
            }
        )
    queries = []
    for a in anns:
        v = videos[a.video]
        t = v.spec.shapes[a.shape]
        queries.append(
            {
                "sample_id": a.sample_id,
                "source": a.dataset,
                "split": a.split,
                "qid": a.qid,
                "video_id": v.video_id,
                "query": a.query,
                "windows": a.windows,
                "shape": {"shape": t.shape, "colour": t.colour, "start": t.start, "end": t.end},
                "occurrences": [  # every interval the queried shape is on screen
                    [o.start, o.end]
                    for o in v.spec.shapes
                    if (o.shape, o.colour) == (t.shape, t.colour)
                ],
                "planted": a.kind,
            }
        )
    planted = [
        {"sample_id": a.sample_id, "kind": a.kind, "detail": a.detail} for a in anns if a.kind
    ]
    return {"config": conf, "videos": vids, "queries": queries, "planted": planted}


def load_ground_truth(out: str | Path) -> dict:
    """ground_truth.json of a demo directory; `VideoSpec.from_dict(v["spec"])` re-renders a video."""
    return json.loads((Path(out) / "ground_truth.json").read_text())


# --- the whole run -----------------------------------------------------------------------

MARKER = ".tvgcurate-demo"
_OWNED = ("videos", *DIRNAME.values(), "ground_truth.json")


def _prepare_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise TvgError(
                f"{out} is not empty and holds no demo data: choose a new or empty --out"
            )
        for name in _OWNED:
            p = out / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by tvgcurate demo-data; safe to replace\n")
    for d in ("videos", *DIRNAME.values()):
        (out / d).mkdir(exist_ok=True)


def build(cfg: DemoConfig) -> tuple[list[DemoVideo], list[Annotation]]:
    """Specs and annotations (with planted errors, ids assigned), without writing anything."""
    videos = [video_spec(cfg, i) for i in range(cfg.num_videos)]
    anns = _annotations(cfg, videos)
    if cfg.plant_errors:
        plants.plant(videos, anns, cfg.error_rate, np.random.default_rng([cfg.seed, 7]))
    assign_ids(anns, videos)
    return videos, anns


def generate(cfg: DemoConfig) -> DemoResult:
    """Write videos, native annotation files and ground_truth.json under cfg.out."""
    t0 = time.perf_counter()
    videos, anns = build(cfg)
    out = cfg.out
    _prepare_out(out)
    files = {ds: WRITERS.get(ds)(out, videos, anns, cfg.seed) for ds in DATASETS}
    gt = _ground_truth(cfg, videos, anns)
    gt_path = out / "ground_truth.json"
    paths = [out / v.file for v in videos]
    if cfg.write_videos:
        for v, p in zip(videos, paths, strict=True):
            render_video(
                v.spec,
                p,
                crf=cfg.crf,
                preset=cfg.preset,
                gop=max(1, int(round(cfg.gop_seconds * cfg.fps))),
                threads=cfg.threads,
            )
    gt_path.write_text(json.dumps(gt, indent=1) + "\n")  # last: marks a complete demo dir
    return DemoResult(
        out=out,
        ground_truth=gt_path,
        videos=paths if cfg.write_videos else [],
        annotation_files=files,
        specs=[v.spec for v in videos],
        num_samples=len(anns),
        planted=gt["planted"],
        seconds=time.perf_counter() - t0,
    )


__all__ = [
    "DemoConfig",
    "DemoResult",
    "DemoVideo",
    "Annotation",
    "generate",
    "build",
    "video_spec",
    "phrase",
    "load_ground_truth",
    "render_video",
    "VideoSpec",
]
