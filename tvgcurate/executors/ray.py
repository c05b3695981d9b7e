"""The `ray` executor and the bootstrap of a private local Ray (ray imported lazily)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from tvgcurate.executors.base import EXECUTORS, Executor


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


@EXECUTORS.register()
class RayExecutor(Executor):
    """Ray tasks. Joins a running Ray (this process's, `address`, or RAY_ADDRESS);
    otherwise starts a local one with `workers` CPUs and stops it when done."""

    name = "ray"

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
