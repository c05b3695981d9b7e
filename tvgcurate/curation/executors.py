"""Executors: run a stage over shards of items, locally, in a process pool or on Ray.

A *stage* is a picklable object with four members (see `Stage`); it knows nothing about
how it is distributed and never imports multiprocessing or Ray. `run_shards` is the
generic driver every stage shares:

- items are split into shards; each shard is named by its position and a digest of its
  item keys, so a rerun with the same inputs finds the same names;
- a finished shard is written to ``<scratch>/shard-NNNNNN-<digest>.parquet`` and then a
  ``.done`` marker beside it; a rerun skips shards whose marker exists;
- per-item failures are rows (the stage's ``on_error``), never exceptions; a shard that
  fails as a whole (a crashed worker) becomes error rows for its items and is *not*
  marked, so the next run retries it;
- the result lists shard files in shard order, so the final table is deterministic
  whatever the executor and completion order.

Executors live in a registry (``EXECUTORS``): ``local``, ``process``, ``ray``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from tvgcurate.errors import TvgError
from tvgcurate.workspace import atomic_write_bytes


class Stage(Protocol):
    """What a stage gives the executors. Must be picklable (e.g. a dataclass)."""

    name: str

    def item_key(self, item: dict) -> str:
        """A stable id of one item (e.g. its video_id)."""

    def process(self, item: dict) -> pa.Table:
        """Rows for one item, in the stage's output schema."""

    def on_error(self, item: dict, message: str) -> pa.Table:
        """Rows that record why `item` failed (an `error` column), same schema."""


def run_shard(stage: Stage, items: Sequence[dict]) -> pa.Table:
    """Run `stage` over one shard; an item that raises becomes its error rows."""
    parts = []
    for item in items:
        try:
            parts.append(stage.process(item))
        except Exception as exc:  # per-item failure is data
            parts.append(stage.on_error(item, f"{type(exc).__name__}: {exc}"))
    if not parts:
        raise ValueError("empty shard")
    return pa.concat_tables(parts)


# -- executors -----------------------------------------------------------------------

EXECUTORS: dict[str, type[Executor]] = {}


def register_executor(name: str):
    def deco(cls):
        EXECUTORS[name] = cls
        cls.name = name
        return cls

    return deco


def get_executor(name: str, workers: int | None = None, address: str | None = None) -> Executor:
    try:
        cls = EXECUTORS[name]
    except KeyError:
        known = ", ".join(sorted(EXECUTORS))
        raise TvgError(f"unknown executor '{name}' (known: {known})") from None
    return cls(workers=workers, address=address)


class Executor:
    """Runs fn(*args) for each args tuple; yields (position, result or exception) as done."""

    name = "base"

    def __init__(self, workers: int | None = None, address: str | None = None):
        self.workers = workers or max(1, min(os.cpu_count() or 1, 8))
        self.address = address

    def imap_unordered(
        self, fn: Callable, calls: Sequence[tuple]
    ) -> Iterator[tuple[int, Any | BaseException]]:
        raise NotImplementedError

    def close(self) -> None:
        """Release resources (no-op by default)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@register_executor("local")
class LocalExecutor(Executor):
    """In this process, one call after another."""

    def imap_unordered(self, fn, calls):
        for i, args in enumerate(calls):
            try:
                yield i, fn(*args)
            except Exception as exc:
                yield i, exc


@register_executor("process")
class ProcessExecutor(Executor):
    """A pool of `workers` processes (concurrent.futures, spawn start method)."""

    def imap_unordered(self, fn, calls):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx) as pool:
            futures = {pool.submit(fn, *args): i for i, args in enumerate(calls)}
            for fut in as_completed(futures):
                try:
                    yield futures[fut], fut.result()
                except Exception as exc:  # BrokenProcessPool, pickling errors
                    yield futures[fut], exc


def ray_tmpdir() -> str:
    return os.environ.get("RAY_TMPDIR") or str(
        Path(tempfile.gettempdir()) / f"tvgcurate-ray-{os.getuid()}"
    )


def start_local_ray(num_cpus: int) -> None:
    """Start a private local Ray (no dashboard, no token auth, session files in RAY_TMPDIR)."""
    import ray

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    tmp = ray_tmpdir()
    os.environ["RAY_TMPDIR"] = tmp
    Path(tmp).mkdir(parents=True, exist_ok=True)
    ray.init(
        address="local",
        num_cpus=num_cpus,
        include_dashboard=False,
        _temp_dir=tmp,
        log_to_driver=False,
    )


@register_executor("ray")
class RayExecutor(Executor):
    """Ray tasks. Joins a running Ray (this process's, `address`, or RAY_ADDRESS);
    otherwise starts a local one with `workers` CPUs and stops it when done."""

    def __init__(self, workers: int | None = None, address: str | None = None):
        super().__init__(workers, address)
        self._owns = False

    def _connect(self) -> None:
        import ray

        if ray.is_initialized():
            return
        address = self.address or os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address)
        else:
            start_local_ray(self.workers)
        self._owns = True

    def imap_unordered(self, fn, calls):
        import ray

        self._connect()
        remote = ray.remote(num_cpus=1, max_retries=1)(fn)
        # Put shared arguments (the stage object) once instead of once per task.
        shared: dict[int, Any] = {}

        def ref_of(arg):
            if isinstance(arg, list | tuple | dict | str | int | float) or arg is None:
                return arg
            key = id(arg)
            if key not in shared:
                shared[key] = ray.put(arg)
            return shared[key]

        pending = {remote.remote(*[ref_of(a) for a in args]): i for i, args in enumerate(calls)}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                i = pending.pop(ref)
                try:
                    yield i, ray.get(ref)
                except Exception as exc:  # RayTaskError, WorkerCrashedError
                    yield i, exc

    def close(self) -> None:
        if self._owns:
            import ray

            ray.shutdown()
            self._owns = False


# -- the shard driver -------------------------------------------------------------------


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
) -> ShardReport:
    """Run `stage` over `shards`, skipping shards already marked done in `scratch`."""
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
    files = [
        scratch / f"{shard_name(i, [stage.item_key(it) for it in s])}.parquet"
        for i, s in enumerate(shards)
    ]
    todo = [i for i, f in enumerate(files) if not (f.with_suffix(".done").exists() and f.exists())]
    report = ShardReport(files=files, skipped=len(shards) - len(todo))
    total_items = sum(len(s) for s in shards)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not progress,
        transient=False,
    ) as bar:
        task = bar.add_task(
            description or f"{stage.name} ({executor.name})",
            total=total_items,
            completed=total_items - sum(len(shards[i]) for i in todo),
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
            bar.advance(task, len(shards[i]))
    return report


def iter_shard_tables(files: Iterable[Path]) -> Iterator[pa.Table]:
    for f in files:
        yield pq.read_table(f)
