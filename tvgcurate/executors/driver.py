"""The generic shard driver every stage shares (`run_shards`), with its progress bar.

- items are split into shards; each shard is named by its position and a digest of its
  item keys, so a rerun with the same inputs finds the same names;
- a finished shard is written to ``<scratch>/shard-NNNNNN-<digest>.parquet`` and then a
  ``.done`` marker beside it; a rerun skips shards whose marker exists;
- per-item failures are rows (the stage's ``on_error``), never exceptions; a shard that
  fails as a whole (a crashed worker) becomes error rows for its items and is *not*
  marked, so the next run retries it;
- the result lists shard files in shard order, so the final table is deterministic
  whatever the executor and completion order.
"""

from __future__ import annotations

import hashlib
import json
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tvgcurate.executors.base import Executor, Stage, run_shard
from tvgcurate.workspace import atomic_write_bytes


@dataclass
class ShardReport:
    """What `run_shards` did; `files` are in shard order."""

    files: list[Path]
    skipped: int = 0
    computed: int = 0
    failed: list[str] = field(default_factory=list)


def shard_items(items: Sequence[dict], size: int) -> list[list[dict]]:
    size = max(1, int(size))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def shard_name(position: int, keys: Iterable[str]) -> str:
    digest = hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()[:12]
    return f"shard-{position:06d}-{digest}"


def run_key(*parts: object) -> str:
    """A short digest of everything that determines a stage's output (for the scratch dir)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


def _write_shard(path: Path, table: pa.Table, marker: bool) -> None:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    atomic_write_bytes(path, sink.getvalue().to_pybytes())
    done = path.with_suffix(".done")
    if marker:
        atomic_write_bytes(done, json.dumps({"rows": table.num_rows}).encode("utf-8"))
    else:
        done.unlink(missing_ok=True)


def run_shards(
    stage: Stage,
    shards: Sequence[Sequence[dict]],
    scratch: Path,
    executor: Executor,
    progress: bool = True,
    description: str | None = None,
    positions: Sequence[int] | None = None,
) -> ShardReport:
    """Run `stage` over `shards`, skipping shards already marked done in `scratch`.

    `positions[i]` names shard i (default: i), so a rank that runs a subset of the shards
    names them as a full run would. A stage with `item_size(item)` (e.g. the samples of one
    batch) has the bar count those units, and the bar shows units per second."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    scratch.mkdir(parents=True, exist_ok=True)
    pos = list(positions) if positions is not None else list(range(len(shards)))
    files = [
        scratch / f"{shard_name(pos[i], [stage.item_key(it) for it in s])}.parquet"
        for i, s in enumerate(shards)
    ]
    size = getattr(stage, "item_size", None) or (lambda item: 1)

    def units(shard) -> int:
        return sum(size(it) for it in shard)

    todo = [i for i, f in enumerate(files) if not (f.with_suffix(".done").exists() and f.exists())]
    report = ShardReport(files=files, skipped=len(shards) - len(todo))
    total_items = sum(units(s) for s in shards)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _rate_column(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True, emoji=False),
        disable=not progress,
        transient=False,
    ) as bar:
        task = bar.add_task(
            description or f"{stage.name} ({executor.name})",
            total=total_items,
            completed=total_items - sum(units(shards[i]) for i in todo),
        )
        calls = [(stage, list(shards[i])) for i in todo]
        for j, result in executor.imap_unordered(run_shard, calls):
            i = todo[j]
            ok = isinstance(result, pa.Table)
            if not ok:
                msg = "".join(traceback.format_exception_only(type(result), result)).strip()
                msg = f"shard failed: {msg.splitlines()[-1] if msg else type(result).__name__}"
                report.failed.append(f"{files[i].stem}: {msg}")
                result = pa.concat_tables([stage.on_error(it, msg) for it in shards[i]])
            _write_shard(files[i], result, marker=ok)
            report.computed += 1
            bar.advance(task, units(shards[i]))
    return report


def _rate_column():
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Items (or `item_size` units) per second, over rich's recent window."""

        def render(self, task):
            return Text("" if task.speed is None else f"{task.speed:.1f}/s", style="cyan")

    return RateColumn()


def iter_shard_tables(files: Iterable[Path]) -> Iterator[pa.Table]:
    for f in files:
        yield pq.read_table(f)
