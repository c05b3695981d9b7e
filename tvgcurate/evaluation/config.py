"""What `tvgcurate eval` evaluates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tvgcurate import metrics
from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import setting
from tvgcurate.workspace import MANIFEST


@dataclass
class EvalConfig:
    """What `tvgcurate eval` evaluates."""

    predictions: str = setting(
        help="A reference-format jsonl, or a run id of the workspace's predictions."
    )
    gt: Path = setting(help="A QVHighlights-format jsonl, or a workspace directory.")
    workspace: Path | None = setting(
        None, "Workspace holding the predictions run (default: --gt if a workspace)."
    )
    split: str | None = setting(None, "Only GT samples of this split (workspace GT only).")
    out: Path | None = setting(None, "Write the metrics JSON here.")
    max_pred_windows: int = setting(
        metrics.MAX_PRED_WINDOWS,
        "Predicted windows per query used for mAP (the reference uses 10).",
    )
    strict: bool = setting(
        False,
        "Refuse windows whose end is before their start (predicted, or in a workspace's "
        "labels; exit 2) instead of scoring them as the reference does.",
    )

    def __post_init__(self) -> None:
        self.gt = Path(self.gt)
        if self.max_pred_windows < 1:
            raise TvgError(f"max_pred_windows must be >= 1 (got {self.max_pred_windows})")
        if self.split is not None and not is_workspace(self.gt):
            raise TvgError(
                f"--split applies to a workspace GT; {self.gt} is a file "
                "(filter the jsonl, or pass the workspace as --gt)"
            )


def is_workspace(path: Path) -> bool:
    return Path(path).is_dir() and (Path(path) / MANIFEST).exists()
