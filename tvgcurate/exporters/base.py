"""The exporter plug-in base, its registry, format options, and the atomic write every
exporter shares (the main output and any sidecar files appear only when the export finished)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import setting
from tvgcurate.registry import Registry
from tvgcurate.workspace import Workspace

# Every module of this package is imported on the first read, so each format registers itself.
EXPORTERS: Registry[type[Exporter]] = Registry("export format", package="tvgcurate.exporters")


def register(name: str):
    """Class decorator: make an Exporter available as `tvgcurate export --format NAME`."""

    def deco(cls: type[Exporter]) -> type[Exporter]:
        cls.name = name
        return EXPORTERS.add(name, cls)

    return deco


@dataclass
class NoOptions:
    """A format without options."""


@dataclass
class ExportContext:
    """What an exporter may need besides the samples: the workspace and the user's options."""

    workspace: Path | None = None
    include_irrelevant: bool = setting(False, "Keep irrelevant/partial rows (empty windows).")
    options: dict = field(default_factory=dict)
    samples_version: int | None = None
    samples_sha256: str | None = None
    selection: dict = field(default_factory=dict)  # the filters that chose the rows
    overwrite: bool = False
    out: Path | None = None  # the final output path (the exporter writes to a temporary one)
    skipped: dict[str, str] = field(default_factory=dict)  # sample_id -> why it was left out
    notes: list[str] = field(default_factory=list)  # one-line remarks for the user
    _sidecars: list[tuple[Path, Path]] = field(default_factory=list, repr=False)

    def sidecar(self, name: str) -> Path:
        """A temporary path to write a file that goes beside the output as `name`.

        It is renamed into place together with the main output; an existing file refuses
        without --overwrite, like the output itself.
        """
        assert self.out is not None, "sidecars need ctx.out"
        final = Path(self.out).parent / name
        if final.exists() and not self.overwrite:
            raise TvgError(f"{final} exists; pass --overwrite to replace it")
        tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
        self._sidecars.append((tmp, final))
        return tmp

    @property
    def sidecar_files(self) -> list[Path]:
        return [final for _, final in self._sidecars]


class Exporter:
    """One output format. `write` gets the selected samples and a temporary path to fill.

    `is_dir` says whether the output is a directory (e.g. a saved HF dataset) or one file.
    `Options` is a dataclass of the format's own options (`--opt KEY=VALUE` on the CLI);
    `write` reads them through `self.options(ctx)`.
    """

    name: str = ""
    is_dir: bool = False
    # Whether rows without windows (irrelevant / partial) can be carried at all.
    carries_irrelevant: bool = True
    Options: type = NoOptions

    def options(self, ctx: ExportContext):
        return parse_options(self.Options, ctx.options, self.name)

    def write(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:  # pragma: no cover
        """Write `samples` to `out`; return the number of records written."""
        raise NotImplementedError


# -- options ------------------------------------------------------------------------------

# Options that several formats have: name -> (default, help), given once (`shared_option`).
SHARED_OPTIONS: dict[str, tuple[typing.Any, str]] = {
    "frames": ("keyframes", "keyframes (SAA; run `tvgcurate keyframes`) | uniform (ablation)."),
    "max_frames": (None, "At most this many frames per sample (evenly thinned)."),
    "timestamp_width": (None, "ETA digits before the point (default: longest video)."),
    "prompt_template": (None, "Text after the frames with {query} (default: the model's)."),
    "video_prefix": (None, "Write videos as PREFIX/<videos.path> (default: absolute paths)."),
}


def shared_option(name: str) -> typing.Any:
    """The Options field of the option `name` of SHARED_OPTIONS."""
    return setting(*SHARED_OPTIONS[name])


def _coerce(value, tp, key: str, fmt: str):
    """A --opt string (or an already typed value) as the field's type."""
    from tvgcurate.keyvalue import convert

    try:
        return convert(value, tp)
    except ValueError:
        plain = [a for a in typing.get_args(tp) if a is not type(None)] or [tp]
        name = getattr(plain[0], "__name__", str(plain[0]))
        raise TvgError(f"--opt {key}={value}: not a valid {name} (format {fmt})") from None


def parse_options(cls: type, raw: dict, fmt: str):
    """Build the format's Options dataclass from `raw` (strings from --opt, or values)."""
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        listing = ", ".join(sorted(known)) or "none"
        raise TvgError(
            f"--opt {unknown[0]}: format {fmt!r} has no such option (its options: {listing})"
        )
    kwargs = {k: _coerce(v, hints[k], k, fmt) for k, v in raw.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise TvgError(f"format {fmt!r}: {exc}") from None


def options_help(cls: type) -> list[tuple[str, str, str]]:
    """(name, default, help) of each option, for help text and docs."""
    out = []
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = f.default_factory()  # type: ignore[misc]
        else:
            default = "(required)"
        out.append(
            (
                f.name,
                repr(default) if isinstance(default, str) else str(default),
                f.metadata.get("help", ""),
            )
        )
    return out


# -- atomic output ------------------------------------------------------------------------


def video_path(video: dict, root: Path | None, prefix: str | None = None) -> str:
    """Where a trainer finds a video: `prefix` + its path, or its path under the media root."""
    if prefix is not None:
        return prefix.rstrip("/") + "/" + video["path"].lstrip("/")
    p = Path(video["path"])
    return str(p if p.is_absolute() or root is None else (root / p).resolve())


def present_columns(table: pa.Table, columns) -> pa.Table:
    """`table` with those of `columns` that it has, in that order."""
    return table.select([c for c in columns if c in table.column_names])


def video_rows(ws: Workspace) -> dict[str, dict]:
    """The workspace's `videos` rows by video id."""
    return {v["video_id"]: v for v in ws.read("videos").to_pylist()}


def with_videos(
    ws: Workspace, rows, ctx: ExportContext, prefix: str | None = None
) -> Iterator[tuple[dict, dict, str]]:
    """(sample, video, `video_path`) for each sample whose video has a path (under the
    workspace's media root, or `prefix`); the others go to ctx.skipped."""
    videos, root = video_rows(ws), ws.media_root()
    for s in rows:
        v = videos.get(s["video_id"])
        if v is None or not v.get("path"):
            ctx.skipped[s["sample_id"]] = f"video {s['video_id']!r} is not in the videos table"
            continue
        yield s, v, video_path(v, root, prefix)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _replace(tmp: Path, out: Path) -> None:
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
        os.replace(tmp, out)
        _remove(old)
    else:
        os.replace(tmp, out)


@contextlib.contextmanager
def atomic_output(
    out: Path, is_dir: bool, overwrite: bool, ctx: ExportContext | None = None
) -> Iterator[Path]:
    """A temporary sibling of `out` to write into; renamed onto `out` only on success.

    Sidecar files that the exporter asked `ctx` for are renamed after the main output.
    """
    out = Path(out)
    if out.exists() and not overwrite:
        raise TvgError(f"{out} exists; pass --overwrite to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    _remove(tmp)
    if is_dir:
        tmp.mkdir()
    try:
        yield tmp
        if not is_dir:
            _fsync_file(tmp)
        for side_tmp, _ in ctx._sidecars if ctx else ():
            _fsync_file(side_tmp)
        _replace(tmp, out)
        for side_tmp, final in ctx._sidecars if ctx else ():
            _replace(side_tmp, final)
    finally:
        _remove(tmp)
        for side_tmp, _ in ctx._sidecars if ctx else ():
            _remove(side_tmp)
