"""Exporters: one module per output format, found through the registry in `base`.

`export(cfg)` selects samples from the workspace and hands them to the chosen exporter,
writing to a temporary path that is renamed into place only when the export finished.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.compute as pc

from tvgcurate.errors import TvgError
from tvgcurate.exporters.base import EXPORTERS, ExportContext, Exporter, atomic_output, register
from tvgcurate.workspace import Workspace

_NOT_FORMATS = {"base", "numbers"}


def load_exporters() -> dict[str, type[Exporter]]:
    """Import every exporter module in this package (each registers itself)."""
    for info in pkgutil.iter_modules(__path__):
        if info.name not in _NOT_FORMATS and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return EXPORTERS


@dataclass
class ExportConfig:
    """What `tvgcurate export` does."""

    workspace: Path = field(metadata={"help": "Workspace to read."})
    format: str = field(metadata={"help": "Output format (see `tvgcurate export --help`)."})
    out: Path = field(metadata={"help": "Output file or directory."})
    split: str | None = field(default=None, metadata={"help": "Only this split."})
    source: str | None = field(
        default=None, metadata={"help": "Only this dataset (source column)."}
    )
    version: int | None = field(
        default=None, metadata={"help": "samples version (default: current)."}
    )
    relevance: list[str] | None = field(
        default=None, metadata={"help": "Keep only these relevance values."}
    )
    include_irrelevant: bool = field(
        default=False, metadata={"help": "Keep irrelevant/partial rows."}
    )
    overwrite: bool = field(default=False, metadata={"help": "Replace an existing output."})
    options: dict = field(default_factory=dict, metadata={"help": "Format-specific options."})

    def __post_init__(self):
        known = load_exporters()
        if self.format not in known:
            raise TvgError(
                f"unknown export format {self.format!r}; choose one of: {', '.join(sorted(known))}"
            )


def export(cfg: ExportConfig) -> int:
    """Export the selected samples; returns the number of records written."""
    ws = Workspace(cfg.workspace)
    samples = ws.read("samples", cfg.version)
    if cfg.split:
        samples = samples.filter(pc.equal(samples.column("split"), cfg.split))
    if cfg.source:
        samples = samples.filter(pc.equal(samples.column("source"), cfg.source))
    exporter = EXPORTERS[cfg.format]()
    if cfg.relevance:
        samples = samples.filter(
            pc.is_in(samples.column("relevance"), pc.cast(cfg.relevance, "string"))
        )
    elif not cfg.include_irrelevant:
        samples = samples.filter(pc.equal(samples.column("relevance"), "relevant"))
    ctx = ExportContext(
        workspace=cfg.workspace, include_irrelevant=cfg.include_irrelevant, options=cfg.options
    )
    with atomic_output(cfg.out, exporter.is_dir, cfg.overwrite) as tmp:
        return exporter.write(samples, tmp, ctx)


__all__ = [
    "EXPORTERS",
    "ExportConfig",
    "ExportContext",
    "Exporter",
    "export",
    "load_exporters",
    "register",
]
