"""The exporter plug-in base, its registry, and the atomic write every exporter shares."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from tvgcurate.errors import TvgError

EXPORTERS: dict[str, type[Exporter]] = {}


def register(name: str):
    """Class decorator: make an Exporter available as `tvgcurate export --format NAME`."""

    def deco(cls: type[Exporter]) -> type[Exporter]:
        cls.name = name
        EXPORTERS[name] = cls
        return cls

    return deco


@dataclass
class ExportContext:
    """What an exporter may need besides the samples: the workspace and the user's options."""

    workspace: Path | None = None
    include_irrelevant: bool = field(
        default=False, metadata={"help": "Keep irrelevant/partial rows (empty windows)."}
    )
    options: dict = field(default_factory=dict)


class Exporter:
    """One output format. `write` gets the selected samples and a temporary path to fill.

    `is_dir` says whether the output is a directory (e.g. a saved HF dataset) or one file.
    """

    name: str = ""
    is_dir: bool = False
    # Whether rows without windows (irrelevant / partial) can be carried at all.
    carries_irrelevant: bool = True

    def write(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:  # pragma: no cover
        """Write `samples` to `out`; return the number of records written."""
        raise NotImplementedError


@contextlib.contextmanager
def atomic_output(out: Path, is_dir: bool, overwrite: bool) -> Iterator[Path]:
    """A temporary sibling of `out` to write into; renamed onto `out` only on success."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise TvgError(f"{out} exists; pass --overwrite to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    if is_dir:
        tmp.mkdir()
    try:
        yield tmp
        if not is_dir:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        else:
            os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink()
