"""Per-step training logs: a rich console line and a JSON-lines file per stage.

TensorBoard comes from transformers' own `report_to`; this callback adds the console view
of what matters for GRPO (each reward's mean, the group reward variance) and a plain
`metrics.jsonl` that benchmarks and plots read without TensorBoard.
"""

from __future__ import annotations

import json
from pathlib import Path

SHOWN = ("loss", "learning_rate", "reward", "group_reward_var", "reward_std", "kl")


def make_callback(path: Path, stage: str, console=None):
    from transformers import TrainerCallback

    class MetricsLog(TrainerCallback):
        def __init__(self):
            self.path = Path(path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.console = console

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not logs:
                return
            row = {"stage": stage, "step": state.global_step, **logs}
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, default=float) + "\n")
            if self.console is None:
                return
            parts = [f"[bold]{stage}[/] step {state.global_step}/{state.max_steps}"]
            for k in SHOWN:
                if isinstance(logs.get(k), (int, float)):
                    parts.append(f"{k} {logs[k]:.4g}")
            for k, v in logs.items():
                if k.startswith("rewards/") and k.endswith("/mean"):
                    parts.append(f"{k[8:-5]} {v:.3f}" if isinstance(v, float) else f"{k[8:-5]} -")
            self.console.print("  ".join(parts), highlight=False)

    return MetricsLog()


def time_limit_callback(max_seconds: float):
    """Stop training once `max_seconds` have passed since the first step began."""
    import time

    from transformers import TrainerCallback

    class TimeLimit(TrainerCallback):
        start: float | None = None

        def on_step_begin(self, args, state, control, **kwargs):
            if self.start is None:
                self.start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            if self.start is not None and time.perf_counter() - self.start > max_seconds:
                control.should_training_stop = True
                control.should_save = True

    return TimeLimit()


def read_log(path: Path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def trim_log(path: Path, step: int) -> None:
    """Keep the rows of steps <= `step` (the checkpoint a resumed run starts from), so the
    steps it redoes are not logged twice; a line torn by a kill is dropped too."""
    path = Path(path)
    if not path.exists():
        return
    keep = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and int(row.get("step", 0)) <= step:
            keep.append(line + "\n")
    from tvgcurate.workspace import atomic_write_bytes

    atomic_write_bytes(path, "".join(keep).encode("utf-8"))
