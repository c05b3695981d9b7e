"""The `local` executor: in this process, one call after another."""

from __future__ import annotations

from tvgcurate.executors.base import EXECUTORS, Executor


@EXECUTORS.register()
class LocalExecutor(Executor):
    """In this process, one call after another."""

    name = "local"

    def imap_unordered(self, fn, calls):
        for i, args in enumerate(calls):
            try:
                yield i, fn(*args)
            except Exception as exc:
                yield i, exc
