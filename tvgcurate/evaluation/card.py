"""The eval card: everything that determines a run's numbers, written with every `score`.

`tvgcurate score` writes one card per predictions version and run id
(`tvgcurate.model.card.write_score_card`, a JSON file in the workspace's ``cards/``, beside ``tables/``,
never overwritten; the model-side fields are gathered there, so this module needs no model); `tvgcurate eval` puts the run's card in its JSON (``"card"``), with the ground
truth it actually scored against (:func:`eval_card`); `tvgcurate eval --compare` reads two
such files (`tvgcurate.evaluation.compare`).

The card's groups (docs/metrics.md, "Eval card"):

* ``checkpoint``: model directory, training run and base model, sha256 of the weights;
* ``frames``: frame policy (SAA adaptive / uniform keyframes, or uniform inputs), candidate
  fps, token budget, frames and visual tokens per sample;
* ``timestamp_format``: the ETA width and an example stamp;
* ``prompt``: the template text and its sha256;
* ``decoding``: greedy, or temperature and K samples (plus backend, dtype, max tokens, seed);
* ``parser``: the answer parser's version (a hash of its code) and its parse-failure rate;
* ``versions``: tvgcurate, torch, transformers, TRL (and Python);
* ``ground_truth``: sources, splits, samples table version and sha256, a content hash of the
  scored queries (ids, windows, relevance) and original vs relabelled labels.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from tvgcurate.keyvalue import setting
from tvgcurate.workspace import Workspace

CARD_VERSION = 1
CARDS_DIR = "cards"
RELABEL_PREFIX = "relabel:"
LIBRARIES = ("tvgcurate", "torch", "transformers", "trl")


@dataclass
class EvalCard:
    """What determines a predictions run's numbers (see the module docstring)."""

    run_id: str | None = setting(None, "The predictions run id.")
    predictions: dict = setting(
        factory=dict, help="Where the predictions are: workspace table version, or file + sha256."
    )
    checkpoint: dict = setting(
        factory=dict, help="Model directory, training run, base model, weights sha256."
    )
    frames: dict = setting(
        factory=dict, help="Frame policy, fps, token budget, frames / tokens per sample."
    )
    timestamp_format: dict = setting(factory=dict, help="ETA timestamp width and an example stamp.")
    prompt: dict = setting(factory=dict, help="Prompt template text and its sha256.")
    decoding: dict = setting(
        factory=dict, help="greedy or sampled (temperature, K), backend, dtype, max tokens."
    )
    parser: dict = setting(
        factory=dict, help="Answer parser name, version (code hash) and parse-failure rate."
    )
    versions: dict = setting(factory=dict, help="tvgcurate, torch, transformers, trl, python.")
    ground_truth: dict = setting(
        factory=dict, help="The ground truth the numbers were computed against."
    )
    score_ground_truth: dict | None = setting(
        None, "The ground truth `score` itself used (eval cards only)."
    )
    card_version: int = setting(CARD_VERSION, "Layout version.")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> EvalCard:
        """A card from its dict; keys of a newer layout that this one lacks are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


# -- pieces ----------------------------------------------------------------------------------


def software_versions() -> dict[str, str | None]:
    """Installed versions of tvgcurate, torch, transformers and trl (None: not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    out["python"] = platform.python_version()
    return out


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def gt_sha256(windows: dict[str, np.ndarray]) -> str:
    """A content hash of ground truth as scored: every query key with its windows (rounded to
    1 ms; none = irrelevant), in key order."""
    h = hashlib.sha256()
    for key in sorted(windows):
        arr = np.round(np.asarray(windows[key], dtype=float).reshape(-1, 2), 3)
        h.update(json.dumps([key, arr.tolist()]).encode() + b"\n")
    return h.hexdigest()


# what only a workspace's ground truth tells (None for a file's)
_WORKSPACE_ONLY = ("sources", "splits", "samples_version", "samples_sha256", "labels", "relabelled")


def ground_truth_info(gt, ws: Workspace | None = None, split: str | None = None) -> dict:
    """The ground truth the numbers are computed against (`gt`: an evaluation GroundTruth).

    From a workspace: sources, splits, the samples version and its sha256, and how many of
    the queries carry relabelled labels (origin ``relabel:...``). From a file: the file's
    path and sha256 (splits and labels unknown).
    """
    keys = list(gt.windows)
    out = {
        "gt_sha256": gt_sha256(gt.windows),
        "num_queries": len(keys),
        "num_irrelevant": int(sum(len(gt.windows[k]) == 0 for k in keys)),
    }
    if ws is None:
        path = Path(gt.source)
        out.update(
            kind="file",
            file=str(path),
            file_sha256=file_sha256(path) if path.is_file() else None,
            **dict.fromkeys(_WORKSPACE_ONLY),  # a file does not say
        )
        return out
    tv = ws.current("samples")
    cols = [c for c in ("sample_id", "source", "split", "origin") if c in _names(ws)]
    rows = [r for r in ws.read("samples", columns=cols).to_pylist() if r["sample_id"] in gt.windows]
    relabelled = sum((r.get("origin") or "").startswith(RELABEL_PREFIX) for r in rows)
    out.update(
        kind="workspace",
        workspace=str(ws.root.resolve()),
        sources=sorted({r.get("source") for r in rows if r.get("source")}),
        splits=[split] if split else sorted({r.get("split") for r in rows if r.get("split")}),
        samples_version=tv.version if tv is not None else None,
        samples_sha256=tv.sha256 if tv is not None else None,
        labels="relabelled" if relabelled else "original",
        relabelled=relabelled,
    )
    return out


def _names(ws: Workspace) -> list[str]:
    import pyarrow.parquet as pq

    return pq.read_schema(ws.path_of("samples")).names if ws.has("samples") else []


# -- where cards live ------------------------------------------------------------------------


def _run_key(run_id: str) -> str:
    return hashlib.sha256(run_id.encode()).hexdigest()[:12]


def card_path(ws: Workspace, version: int, run_id: str) -> Path:
    """Where the card of predictions version `version`, run `run_id` lives."""
    # beside tables/, not in work/ (scratch that may be deleted): a card is part of its version
    cards = ws.root / CARDS_DIR
    cards.mkdir(exist_ok=True)
    return cards / f"predictions-v{version:04d}-{_run_key(run_id)}.json"


def read_score_card(ws: Workspace, run_id: str) -> EvalCard | None:
    """The card of the predictions version that last wrote `run_id`'s rows (None: no card)."""
    tv = ws.current("predictions")
    if tv is None:
        return None
    cards = ws.root / CARDS_DIR
    best = None
    for p in cards.glob(f"predictions-v*-{_run_key(run_id)}.json"):
        try:
            v = int(p.name.split("-")[1][1:])
        except ValueError:
            continue
        if v <= tv.version and (best is None or v > best[0]):
            best = (v, p)
    if best is None:
        return None
    return EvalCard.from_dict(json.loads(best[1].read_text()))


# -- eval side -------------------------------------------------------------------------------


def eval_card(cfg, gt) -> dict:
    """The card `tvgcurate eval` writes: the run's score card (a file of predictions has
    none: its model fields stay empty) with the ground truth this evaluation used."""
    from tvgcurate.evaluation.config import is_workspace

    pred_path = Path(cfg.predictions)
    card = None
    if pred_path.is_file():
        card = EvalCard(predictions={"file": str(pred_path), "sha256": file_sha256(pred_path)})
    else:
        ws_path = cfg.workspace or cfg.gt
        card = (
            read_score_card(Workspace(ws_path), cfg.predictions) if is_workspace(ws_path) else None
        )
        if card is None:
            card = EvalCard(run_id=cfg.predictions, predictions={"note": "no card recorded"})
    gt_ws = Workspace(cfg.gt) if is_workspace(cfg.gt) else None
    card.score_ground_truth = card.ground_truth or None
    card.ground_truth = ground_truth_info(gt, gt_ws, cfg.split)
    return card.to_dict()
