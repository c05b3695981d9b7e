"""The score side of the eval card: the model-dependent fields of one `score` run.

`tvgcurate.evaluation.card` holds the card itself (its fields, where it lives, the ground
truth and eval-side reading); this module gathers what only the model package knows (the
checkpoint and its weights' hash, the frames the inputs used, the ETA format, the prompt, the
decoding and the answer parser) and writes the card beside the predictions version.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from dataclasses import fields
from pathlib import Path

import numpy as np

from tvgcurate.evaluation.card import (
    CARDS_DIR,
    EvalCard,
    card_path,
    file_sha256,
    ground_truth_info,
    software_versions,
)
from tvgcurate.evaluation.loaders import GroundTruth
from tvgcurate.model import eta
from tvgcurate.model.eta import TimestampFormat, parse_answer
from tvgcurate.model.inputs import InputConfig
from tvgcurate.model.loading import ADAPTER_FILE, RUN_FILE, adapter_base, model_identity
from tvgcurate.schemas.sample import gt_windows
from tvgcurate.workspace import Workspace, atomic_write_bytes


def parser_version() -> str:
    """The answer parser's version: a hash of `parse_answer`'s code and patterns, so that any
    change to what counts as a parseable answer changes it."""
    text = inspect.getsource(eta.parse_answer) + "".join(
        p.pattern for p in (eta._ANSWER_RE, eta._WINDOW_RE, eta._REFUSAL_RE)
    )
    return "eta-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def parse_failure_rate(rows: list[dict]) -> float | None:
    """Share (x100, 2 decimals) of generated answer texts that are neither a window nor a
    refusal: every sampled text with K > 1, else the greedy text; rows with an error are left
    out. None without any text."""
    texts = []
    for r in rows:
        if r.get("error"):
            continue
        texts += list(r.get("samples_text") or [r.get("raw_text")])
    if not texts:
        return None
    bad = sum(parse_answer(t) is None for t in texts)
    return round(100 * bad / len(texts), 2)


def weights_sha256(model_dir: Path, cache_dir: Path | None = None) -> str | None:
    """sha256 over the model's ``*.safetensors`` files (name and content; an adapter's base
    model too), cached by file name, size and mtime in `cache_dir`. None without weights."""
    model_dir = Path(model_dir)
    ident = model_identity(model_dir)
    files = [Path(p) for p, _, _ in ident if str(p).endswith(".safetensors")]
    if not files:
        return None
    key = hashlib.sha256(json.dumps(ident, default=str).encode()).hexdigest()[:24]
    cached = cache_dir / f"weights-{key}.txt" if cache_dir is not None else None
    if cached is not None and cached.exists():
        return cached.read_text().strip()
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + file_sha256(f).encode())
    digest = h.hexdigest()
    if (model_dir / ADAPTER_FILE).exists():  # keep `adapter_base` resolvable (errors early)
        adapter_base(model_dir)
    if cached is not None:
        atomic_write_bytes(cached, digest.encode())
    return digest


def checkpoint_info(checkpoint: Path, model_dir: Path, cache_dir: Path | None = None) -> dict:
    """Model directory, the training run (run.json) and base model, and the weights' sha256."""
    checkpoint, model_dir = Path(checkpoint), Path(model_dir)
    run_dir = next((p for p in (checkpoint, *model_dir.parents) if (p / RUN_FILE).exists()), None)
    base = None
    if run_dir is not None:
        config = json.loads((run_dir / RUN_FILE).read_text()).get("config", {})
        base = config.get("model") if isinstance(config, dict) else None
    if (model_dir / ADAPTER_FILE).exists() and not (model_dir / "config.json").exists():
        base = str(adapter_base(model_dir))
    elif base is None and (model_dir / "config.json").exists():
        conf = json.loads((model_dir / "config.json").read_text())
        base = conf.get("_name_or_path") or conf.get("model_type")
    return {
        "path": str(checkpoint.resolve()),
        "model_dir": str(model_dir.resolve()),
        "training_run": str(run_dir.resolve()) if run_dir is not None else None,
        "base_model": base,
        "weights_sha256": weights_sha256(model_dir, cache_dir),
    }


_NOTE = re.compile(r"policy=(\S+) budget=(\S+) sample_fps=(\S+)")
POLICY_NAMES = {"adaptive": "SAA adaptive", "uniform": "uniform"}


def frame_info(ws: Workspace, inputs: dict, keyframes: list[list[dict]]) -> dict:
    """Frame policy, fps, token budget and frames / visual tokens per sample of a score run.

    `inputs`: the InputConfig fields; `keyframes`: the keyframe rows of each planned sample.
    With ``frames: keyframes`` policy, budget and fps are those the keyframes version
    recorded (`tvgcurate keyframes`); with ``frames: uniform`` they are the input config's.
    """
    out: dict = {"source": inputs.get("frames"), "max_frames": inputs.get("max_frames")}
    if inputs.get("frames") == "uniform":
        out.update(
            policy="uniform (inputs)",
            fps=inputs.get("uniform_fps"),
            token_budget=None,
            tokens_per_frame=inputs.get("uniform_tokens"),
        )
    else:
        tv = ws.current("keyframes")
        m = _NOTE.search(tv.note or "") if tv is not None else None
        out.update(
            policy=POLICY_NAMES.get(m.group(1), m.group(1)) if m else None,
            fps=float(m.group(3)) if m else None,
            token_budget=int(m.group(2)) if m and m.group(2).isdigit() else None,
            tokens_per_frame=None,
            keyframes_version=tv.version if tv is not None else None,
            keyframes_sha256=tv.sha256 if tv is not None else None,
        )
    counts = [len(k) for k in keyframes]
    tokens = [sum(int(r.get("tokens") or 0) for r in k) for k in keyframes]
    out["frames_per_sample"] = _spread(counts)
    out["tokens_per_sample"] = _spread(tokens)
    return out


def _spread(values: list[int]) -> dict | None:
    if not values:
        return None
    return {
        "mean": round(float(np.mean(values)), 2),
        "min": int(min(values)),
        "max": int(max(values)),
    }


def build_score_card(
    ws: Workspace, cfg, stage, items: list[dict], rows: list[dict], samples: list[dict]
) -> EvalCard:
    """The card of one `score` run. `cfg`: its ScoreConfig; `stage`: its ScoreStage (model
    directory, input config, ETA width, run id); `items`: the planned samples (keyframe rows
    each, or an error); `rows`: the predictions rows; `samples`: the samples scored."""
    inputs = {**{f.name: f.default for f in fields(InputConfig)}, **dict(stage.inputs)}
    template = inputs["prompt_template"]
    sampled = cfg.num_samples > 1
    # the scored rows' own labels, as score used them (a planted or bad window is data here,
    # never an error: the audit flags it)
    gt = GroundTruth(
        {s["sample_id"]: np.asarray(gt_windows(s), dtype=float).reshape(-1, 2) for s in samples},
        {},
        str(ws.path_of("samples")),
    )
    fmt = TimestampFormat(stage.timestamp_width)
    planned = [it["keyframes"] for it in items if "keyframes" in it]
    return EvalCard(
        run_id=stage.run_id,
        predictions={"table": "predictions", "workspace": str(ws.root.resolve())},
        checkpoint=checkpoint_info(cfg.checkpoint, Path(stage.model_dir), ws.scratch(CARDS_DIR)),
        frames=frame_info(ws, inputs, planned),
        timestamp_format={"width": fmt.width, "example": fmt.stamp(1.5)},
        prompt={
            "template": template,
            "sha256": hashlib.sha256(template.encode()).hexdigest(),
            "query_first": inputs.get("query_first"),
        },
        decoding={
            "mode": "sampled" if sampled else "greedy",
            "num_samples": cfg.num_samples,
            "temperature": cfg.temperature if sampled else None,
            "max_new_tokens": cfg.max_new_tokens,
            "seed": cfg.seed if sampled else None,
            "backend": cfg.backend,
            "dtype": cfg.dtype,
        },
        parser={
            "name": "tvgcurate.model.eta.parse_answer",
            "version": parser_version(),
            "parse_failure_rate": parse_failure_rate(rows),
        },
        versions=software_versions(),
        ground_truth=ground_truth_info(gt, ws, cfg.split),
    )


def write_score_card(
    ws: Workspace,
    cfg,
    stage,
    items: list[dict],
    rows: list[dict],
    samples: list[dict],
    version: int | None,
) -> Path | None:
    """Write the card of predictions version `version` (None: nothing was written, no card).
    An existing card is never overwritten (versions are never reused)."""
    if version is None:
        return None
    card = build_score_card(ws, cfg, stage, items, rows, samples)
    card.predictions["version"] = version
    path = card_path(ws, version, stage.run_id)
    if path.exists():
        return path
    atomic_write_bytes(path, (json.dumps(card.to_dict(), indent=2) + "\n").encode("utf-8"))
    return path
