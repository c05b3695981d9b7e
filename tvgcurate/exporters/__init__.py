"""Exporters: one module per output format, found through the registry in `base`.

`export(cfg)` selects samples from the workspace and hands them to the chosen exporter,
writing to a temporary path that is renamed into place only when the export finished.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate.errors import TvgError
from tvgcurate.exporters.base import (
    EXPORTERS,
    ExportContext,
    Exporter,
    atomic_output,
    options_help,
    parse_options,
    register,
)
from tvgcurate.keyvalue import setting
from tvgcurate.registry import Registry
from tvgcurate.schemas.sample import RELEVANCE_VALUES, WITH_WINDOWS, expects_refusal
from tvgcurate.workspace import Workspace


def load_exporters() -> Registry[type[Exporter]]:
    """The exporter registry, with every exporter module of this package imported."""
    EXPORTERS.discover()
    return EXPORTERS


@dataclass
class ExportConfig:
    """What `tvgcurate export` does."""

    workspace: Path = setting(help="Workspace to read.")
    format: str = setting(help="Output format (see `tvgcurate export --help`).")
    out: Path = setting(help="Output file or directory.")
    split: str | None = setting(None, "Only this split.")
    source: str | None = setting(None, "Only this dataset (source column).")
    version: int | None = setting(None, "samples version (default: current).")
    relevance: list[str] | None = setting(None, "Keep only these relevance values.")
    include_irrelevant: bool = setting(False, "Keep irrelevant/partial rows.")
    overwrite: bool = setting(False, "Replace an existing output.")
    options: dict = setting(factory=dict, help="Format-specific options.")

    def __post_init__(self):
        exporter = EXPORTERS.get(self.format)  # an unknown name lists the formats
        parse_options(exporter.Options, self.options, self.format)  # fail before any work
        asks_irrelevant = self.include_irrelevant or any(
            expects_refusal(r) for r in (self.relevance or [])
        )
        if asks_irrelevant and not exporter.carries_irrelevant:
            raise TvgError(
                f"format {self.format!r} cannot carry irrelevant/partial rows (it has no empty "
                "window); drop --include-irrelevant/--relevance, or export as qvhighlights, hf, "
                "trl or sharegpt"
            )


@dataclass
class ExportResult:
    """What an export wrote."""

    written: int  # records (lines, json entries, dataset rows, tasks)
    out: Path
    files: list[Path] = field(default_factory=list)  # sidecar files written beside `out`
    skipped: dict[str, str] = field(default_factory=dict)  # sample_id -> reason
    samples_version: int | None = None
    notes: list[str] = field(default_factory=list)


def format_help() -> str:
    """Every registered format with its options (for `export --help` and docs/cli.md)."""
    lines = []
    for name, cls in sorted(EXPORTERS.items()):
        doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        lines.append(f"{name}: {doc}")
        for opt, default, help_ in options_help(cls.Options):
            lines.append(f"    {opt} (default {default}): {help_}")
    return "\n".join(lines)


def export(cfg: ExportConfig) -> ExportResult:
    """Export the selected samples; returns what was written."""
    ws = Workspace(cfg.workspace)
    samples = ws.read("samples", cfg.version)
    tv = ws.current("samples") if cfg.version is None else ws.version("samples", cfg.version)
    if cfg.split:
        samples = samples.filter(pc.equal(samples.column("split"), cfg.split))
    if cfg.source:
        samples = samples.filter(pc.equal(samples.column("source"), cfg.source))
    exporter = EXPORTERS[cfg.format]()
    if cfg.relevance:  # what was asked for, nothing else
        samples = samples.filter(
            pc.is_in(samples.column("relevance"), pc.cast(cfg.relevance, "string"))
        )
    left_out = ""
    if not cfg.relevance and not cfg.include_irrelevant:  # the rows with ground-truth windows
        samples, left_out = _drop_refusal_rows(samples, cfg.format, exporter)
    if samples.num_rows == 0:
        raise TvgError(
            f"nothing to export: no samples match (split={cfg.split}, source={cfg.source}, "
            f"relevance={cfg.relevance or ('any' if cfg.include_irrelevant else 'relevant')})"
            + (f"; {left_out}" if left_out else "")
        )
    ctx = ExportContext(
        workspace=cfg.workspace,
        include_irrelevant=cfg.include_irrelevant,
        options=cfg.options,
        samples_version=tv.version if tv else None,
        samples_sha256=tv.sha256 if tv else None,
        selection={
            "split": cfg.split,
            "source": cfg.source,
            "relevance": cfg.relevance,
            "include_irrelevant": cfg.include_irrelevant,
        },
        overwrite=cfg.overwrite,
        out=Path(cfg.out),
    )
    with atomic_output(cfg.out, exporter.is_dir, cfg.overwrite, ctx) as tmp:
        n = exporter.write(samples, tmp, ctx)
    return ExportResult(
        written=n,
        out=Path(cfg.out),
        files=ctx.sidecar_files,
        skipped=dict(ctx.skipped),
        samples_version=ctx.samples_version,
        notes=([left_out] if left_out else []) + list(ctx.notes),
    )


def _drop_refusal_rows(samples: pa.Table, fmt: str, exporter: Exporter) -> tuple[pa.Table, str]:
    """The rows with ground-truth windows (`has_windows`: relevant, or no relevance recorded),
    and a note of what was left out: the count per relevance value and the flag that keeps
    them ("" when nothing was)."""
    rel = samples.column("relevance")
    keep = pc.or_(pc.is_null(rel), pc.is_in(rel, pc.cast(WITH_WINDOWS, "string")))
    dropped = pc.filter(rel, pc.invert(keep))
    if len(dropped) == 0:
        return samples, ""
    counts = {str(v["values"]): v["counts"] for v in pc.value_counts(dropped).to_pylist()}
    order = [r for r in RELEVANCE_VALUES if r in counts] + sorted(
        set(counts) - set(RELEVANCE_VALUES)
    )
    kinds = ", ".join(f"{counts[r]} {r}" for r in order)
    if exporter.carries_irrelevant:
        how = "pass --include-irrelevant to keep them"
    else:
        how = (
            f"format {fmt!r} cannot carry them (it has no empty window); export as "
            "qvhighlights, hf, trl or sharegpt with --include-irrelevant to keep them"
        )
    note = f"left out {len(dropped)} row(s) the model must refuse ({kinds}); {how}"
    return samples.filter(keep), note


__all__ = [
    "EXPORTERS",
    "ExportConfig",
    "ExportContext",
    "ExportResult",
    "Exporter",
    "export",
    "format_help",
    "load_exporters",
    "register",
]
