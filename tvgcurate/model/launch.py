"""The multi-GPU launch command for `tvgcurate train` (built, printed, never run here).

    accelerate launch --config_file configs/accelerate/deepspeed_zero3.yaml \\
        --num_processes 8 -m tvgcurate train --workspace WS --model /models/Qwen2-VL-7B-Instruct \\
        --recipe recipes/qwen2vl-7b.yaml --output runs/7b

Each process runs the same `tvgcurate train`; accelerate (DeepSpeed ZeRO-3 or FSDP, from the
config file) shards the model and the Trainer splits batches.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tvgcurate.errors import TvgError


def read_accelerate_config(path: str | Path):
    """Parse an accelerate config file with accelerate's own loader (validates its keys)."""
    from accelerate.commands.config.config_args import load_config_from_file

    path = Path(path)
    if not path.is_file():
        raise TvgError(f"{path}: accelerate config not found (see configs/accelerate/)")
    try:
        return load_config_from_file(str(path))
    except Exception as exc:  # noqa: BLE001 - accelerate raises several kinds
        raise TvgError(f"{path}: not a valid accelerate config: {exc}") from None


def launch_command(
    accelerate_config: str | Path,
    train_args: Sequence[str],
    num_processes: int | None = None,
    num_machines: int | None = None,
    machine_rank: int | None = None,
    main_process_ip: str | None = None,
    main_process_port: int | None = None,
) -> list[str]:
    """argv of `accelerate launch ... -m tvgcurate train <train_args>`."""
    cfg = read_accelerate_config(accelerate_config)
    cmd = ["accelerate", "launch", "--config_file", str(accelerate_config)]
    n = num_processes if num_processes is not None else cfg.num_processes
    cmd += ["--num_processes", str(n)]
    for flag, value in (
        ("--num_machines", num_machines),
        ("--machine_rank", machine_rank),
        ("--main_process_ip", main_process_ip),
        ("--main_process_port", main_process_port),
    ):
        if value is not None:
            cmd += [flag, str(value)]
    return [*cmd, "-m", "tvgcurate", "train", *train_args]


def as_shell(cmd: Sequence[str]) -> str:
    return shlex.join(cmd)


def train_argv(
    required: dict[str, Any], optional: dict[str, Any], flags: Sequence[str] = (), sets=()
) -> list[str]:
    """The `tvgcurate train` arguments each launched process gets: `required` and the given
    (non-None) `optional` values as `--name value` (underscores become dashes), the true
    boolean `flags`, and the `--set` items.

    >>> train_argv({"workspace": "ws"}, {"seed": 1, "beta": None}, ["resume"], ["a=1"])
    ['--workspace', 'ws', '--seed', '1', '--resume', '--set', 'a=1']
    """
    out: list[str] = []
    for name, value in [*required.items(), *optional.items()]:
        if value is not None:
            out += [f"--{name.replace('_', '-')}", str(value)]
    out += [f"--{name.replace('_', '-')}" for name in flags]
    for item in sets or []:
        out += ["--set", item]
    return out
