"""The `tvgcurate eval` entry point: load, match, and write the metrics JSON."""

from __future__ import annotations

import json
from pathlib import Path

from tvgcurate.evaluation.card import eval_card
from tvgcurate.evaluation.config import EvalConfig
from tvgcurate.evaluation.highlight import add_highlight_for
from tvgcurate.evaluation.loaders import load_inputs
from tvgcurate.evaluation.matching import evaluate_loaded
from tvgcurate.workspace import atomic_write_bytes


def run_eval(cfg: EvalConfig) -> dict:
    """Load, evaluate, and write ``cfg.out`` (JSON, the reference layout plus "extra" and the
    run's eval card, "card")."""
    preds, gt = load_inputs(cfg)
    result = evaluate_loaded(preds, gt, cfg.max_pred_windows)
    result["extra"]["unusual_windows"] = dict(preds.unusual)  # scored as the reference does
    add_highlight_for(result, cfg, gt)  # HL metrics, or why there are none
    result["card"] = eval_card(cfg, gt)  # what determines these numbers (card.py)
    if cfg.out is not None:
        atomic_write_bytes(Path(cfg.out), (json.dumps(result, indent=4) + "\n").encode("utf-8"))
    return result
