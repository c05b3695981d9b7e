"""The executor protocol: a `Stage` (what runs) and an `Executor` (where it runs).

A *stage* is a picklable object with four members (see `Stage`); it knows nothing about
how it is distributed and never imports multiprocessing or Ray. Executors are plug-ins of
the `EXECUTORS` registry (one module each in this package: local, process, ray).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import pyarrow as pa

from tvgcurate.registry import Registry


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


class Executor:
    """Runs fn(*args) for each args tuple; yields (position, result or exception) as done.

    A subclass sets `name` and registers itself with `@EXECUTORS.register()`."""

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


EXECUTORS: Registry[type[Executor]] = Registry("executor", package="tvgcurate.executors")


def get_executor(name: str, workers: int | None = None, address: str | None = None) -> Executor:
    """An executor instance by name (an unknown name lists the choices)."""
    return EXECUTORS.get(name)(workers=workers, address=address)
