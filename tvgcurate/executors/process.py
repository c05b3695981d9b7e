"""The `process` executor: a pool of worker processes (spawn start method)."""

from __future__ import annotations

from tvgcurate.executors.base import EXECUTORS, Executor


@EXECUTORS.register()
class ProcessExecutor(Executor):
    """A pool of `workers` processes (concurrent.futures, spawn start method)."""

    name = "process"

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
