"""Evaluate predictions against ground truth: loading, matching and report (`tvgcurate eval`).

Inputs, each from a file or a workspace:

- predictions: a reference-format jsonl (``qid``, ``pred_relevant_windows`` ``[[s, e, score],
  ...]`` ranked, first = top-1; optional ``refused``: bool) or a run id of a workspace's
  ``predictions`` table (``run_id``, ``sample_id``, ``windows``, ``refused``);
- ground truth: a QVHighlights-format jsonl (``qid``, ``relevant_windows``; an empty list
  marks an irrelevant query) or a workspace's ``samples`` table (optionally one split;
  irrelevant and partial rows count as having no window).

A prediction finds its GT query by key: the qid as text, or the workspace ``sample_id``; a
native qid also finds the workspace sample whose ``source_qid`` it is, and a sample id
``source:split:qid`` finds the qid in a jsonl. GT queries without a prediction count as
refusals (and misses); predictions without a GT query are left out and counted.
The numbers are :func:`tvgcurate.metrics.evaluate`'s.

Modules: `config` (EvalConfig), `loaders` (predictions and ground truth from files and
workspaces), `matching` (predictions to GT queries, and the metrics), `report` (the
`tvgcurate eval` entry point that writes the JSON).
"""

from tvgcurate.evaluation.config import EvalConfig, is_workspace
from tvgcurate.evaluation.loaders import (
    GroundTruth,
    Predictions,
    load_gt_jsonl,
    load_gt_workspace,
    load_inputs,
    load_predictions_jsonl,
    load_predictions_workspace,
)
from tvgcurate.evaluation.matching import evaluate_loaded
from tvgcurate.evaluation.report import run_eval

__all__ = [
    "EvalConfig",
    "GroundTruth",
    "Predictions",
    "evaluate_loaded",
    "is_workspace",
    "load_gt_jsonl",
    "load_gt_workspace",
    "load_inputs",
    "load_predictions_jsonl",
    "load_predictions_workspace",
    "run_eval",
]
