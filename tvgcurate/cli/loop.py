"""`tvgcurate loop`: the active-learning loop, round after round (tvgcurate.loop)."""

from __future__ import annotations

from pathlib import Path

from tvgcurate.cli.app import app
from tvgcurate.cli.options import ConfigOptions, WorkspaceOpt
from tvgcurate.curation.embeddings import ENCODERS
from tvgcurate.loop import LoopConfig

LOOP = ConfigOptions(
    "loop",
    LoopConfig,
    skip={"api_key": "read from LABEL_STUDIO_API_KEY only (never a flag)"},
)


@app.command(
    epilog=(
        "Examples:\n\n"
        "  export LABEL_STUDIO_API_KEY=...\n\n"
        "  tvgcurate loop -w ws --rounds 2 --budget 50 --labelstudio http://localhost:8080\n\n"
        "  tvgcurate loop -w ws --rounds 2 --budget 50 --labelstudio http://localhost:8080 "
        "--annotator scripts/annotate_from_truth.py   # simulation\n\n"
        "  tvgcurate loop -w ws --folds 4 --budget-seconds 600 --labelstudio "
        "http://localhost:8080   # out-of-fold scores, 10 minutes of video to watch a round"
    ),
)
def loop(
    workspace: WorkspaceOpt,
    rounds: int = LOOP.option("rounds"),
    budget: int = LOOP.option("budget"),
    budget_seconds: float | None = LOOP.option("budget_seconds"),
    folds: int = LOOP.option("folds"),
    labelstudio: str | None = LOOP.option("labelstudio"),
    annotator: Path | None = LOOP.option("annotator"),
    project: str = LOOP.option("project"),
    media_root: Path | None = LOOP.option("media_root"),
    recipe: Path | None = LOOP.option("recipe"),
    model: str = LOOP.option("model"),
    stage: str = LOOP.option("stage"),
    train_steps: int | None = LOOP.option("train_steps"),
    sets: list[str] = LOOP.option("sets", "--set"),
    train_split: str = LOOP.option("train_split"),
    num_samples: int = LOOP.option("num_samples"),
    checks: list[str] | None = LOOP.option("checks"),
    encoder: str = LOOP.option("encoder", choices=ENCODERS),
    min_iou: float = LOOP.option("min_iou"),
    wait_timeout_s: float = LOOP.option("wait_timeout_s", "--wait-timeout"),
    poll_s: float = LOOP.option("poll_s", "--poll"),
    runs: Path | None = LOOP.option("runs"),
    seed: int = LOOP.option("seed"),
    offline: Path | None = LOOP.option("offline"),
) -> None:
    """Run active-learning rounds: train, score (K answers), audit (rule and model checks,
    trust earned on held-out rows), push the top --budget to Label Studio, wait for the
    annotations (or answer them with --annotator), pull with consensus (a new samples
    version), and again. Each round's versions go to the manifest (`tvgcurate log`); a rerun
    resumes at the step that was interrupted."""
    import os

    from tvgcurate.cli.console import console
    from tvgcurate.loop import lineage, run_loop

    key = None if offline is not None else os.environ.get("LABEL_STUDIO_API_KEY")
    cfg = LOOP.build(locals(), api_key=key)

    def show(number: int, step: str, rec: dict) -> None:
        keys = ("samples_version", "predictions_version", "audits_version", "sent",
                "seconds", "labels_version", "changed", "seconds_per_change", "trust")  # fmt: skip
        bits = [f"{k}={rec[k]}" for k in keys if rec.get(k) is not None]
        console.print(f"round {number} {step}: done in {rec['seconds']:.0f} s " + " ".join(bits))

    res = run_loop(cfg, on_step=show)
    for line in lineage(res.rounds):
        console.print(
            f"round {line['round']} ({line['state']}): trained on samples "
            f"v{line['trained_on']} -> predictions v{line['predictions']} -> audits "
            f"v{line['audits']} -> {line['pushed']} pushed -> samples v{line['samples']}"
        )
