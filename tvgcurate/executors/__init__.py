"""Executors: run a stage over shards of items, locally, in a process pool or on Ray.

- `base`: the `Stage` protocol, the `Executor` base, the `EXECUTORS` registry;
- `local`, `process`, `ray`: one executor each (`ray` also starts a private local Ray);
- `driver`: `run_shards`, the resumable shard driver every stage shares.
"""

from tvgcurate.executors.base import (
    EXECUTORS,
    Executor,
    Stage,
    get_executor,
    run_shard,
)
from tvgcurate.executors.driver import (
    ShardReport,
    iter_shard_tables,
    run_key,
    run_shards,
    shard_items,
    shard_name,
)
from tvgcurate.executors.local import LocalExecutor
from tvgcurate.executors.process import ProcessExecutor
from tvgcurate.executors.ray import RayExecutor, ray_tmpdir, start_local_ray

__all__ = [
    "EXECUTORS",
    "Executor",
    "LocalExecutor",
    "ProcessExecutor",
    "RayExecutor",
    "ShardReport",
    "Stage",
    "get_executor",
    "iter_shard_tables",
    "ray_tmpdir",
    "run_key",
    "run_shard",
    "run_shards",
    "shard_items",
    "shard_name",
    "start_local_ray",
]
