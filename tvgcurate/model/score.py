"""`tvgcurate score`: run a checkpoint over a split and write a `predictions` version.

Greedy decoding gives one window per sample (score 1.0). With K > 1 samples per query the
K answers are pooled: each distinct window is ranked by its mean IoU with the K answers
(consensus), `refused` is the majority vote, and the disagreement is kept for the audit:

* ``iou_spread`` = 1 - mean pairwise agreement of the K answers, where two windows agree by
  their IoU, two refusals agree fully and a refusal or an unparseable answer agrees with
  nothing else (0: all K agree; 1: no two agree); null for K = 1;
* ``refusal_rate`` = share of the K answers that refuse.

Rows of other run_ids already in the table are kept; rows of this run_id are replaced.
Samples whose inputs cannot be built get a row with their `error` and no windows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from tvgcurate.model.eta import parse_answer
from tvgcurate.model.rewards import _iou


@dataclass
class ScoreConfig:
    """One `tvgcurate score` run."""

    workspace: Path = field(metadata={"help": "Workspace directory."})
    checkpoint: Path = field(metadata={"help": "Run directory or model directory."})
    split: str | None = field(default="val", metadata={"help": "Split to score (None: all)."})
    num_samples: int = field(default=1, metadata={"help": "1: greedy; K > 1: K sampled answers."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature (K > 1)."})
    batch_size: int = field(default=8, metadata={"help": "Samples per generate call."})
    max_new_tokens: int = field(default=32, metadata={"help": "Generated tokens at most."})
    run_id: str | None = field(
        default=None, metadata={"help": "Run id (default: from the checkpoint)."}
    )
    limit: int | None = field(default=None, metadata={"help": "Score only the first N samples."})
    seed: int = field(default=0, metadata={"help": "Sampling seed."})
    torch_threads: int | None = field(
        default=None, metadata={"help": "torch intra-op threads (None: torch's default)."}
    )
    write: bool = field(default=True, metadata={"help": "Write the predictions version."})

    def __post_init__(self):
        self.workspace, self.checkpoint = Path(self.workspace), Path(self.checkpoint)
        if self.num_samples < 1:
            raise ValueError("num_samples must be >= 1")
        if self.batch_size < 1:
            raise ValueError("batch_size must be >= 1")


@dataclass
class ScoreResult:
    run_id: str
    rows: list[dict]
    metrics: dict
    seconds: float
    version: int | None = None


def pool_answers(texts: list[str], duration: float | None = None) -> dict:
    """Pool K answer texts into ranked windows, a refusal vote and the IoU spread.

    >>> r = pool_answers(["<answer>1 to 3</answer>", "<answer>1 to 3</answer>", "<answer>none</answer>"])
    >>> r["windows"], r["refused"], round(r["iou_spread"], 3), r["refusal_rate"]
    ([{'start': 1.0, 'end': 3.0, 'score': 0.667}], False, 0.667, 0.333)
    >>> pool_answers(["garbage", "garbage"])["iou_spread"]
    1.0
    """
    parsed = [parse_answer(t) for t in texts]
    wins: list = []  # (start, end) | "refused" | None (no valid answer)
    for a in parsed:
        if a is not None and a.refused:
            wins.append("refused")
        elif a is not None and a.start <= a.end:
            s, e = max(0.0, a.start), a.end
            if duration:
                s, e = min(s, duration), min(e, duration)
            wins.append((s, e))
        else:
            wins.append(None)
    k = len(texts)
    n_ref = wins.count("refused")
    answered = [w for w in wins if isinstance(w, tuple)]
    ranked = []
    for w in dict.fromkeys(answered):  # distinct, first-seen order
        score = sum(_iou(w, o) for o in answered) / k
        ranked.append({"start": w[0], "end": w[1], "score": round(score, 3)})
    ranked.sort(key=lambda r: -r["score"])
    spread = None
    if k > 1:
        pairs = list(combinations(wins, 2))
        spread = 1.0 - sum(_agreement(a, b) for a, b in pairs) / len(pairs)
    return {
        "windows": ranked,
        "refused": n_ref > k / 2,
        "iou_spread": spread,
        "refusal_rate": round(n_ref / k, 3),
    }


def _agreement(a, b) -> float:
    """IoU of two pooled answers; two refusals agree fully, anything invalid agrees with nothing."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return _iou(a, b)
    return 1.0 if a == b == "refused" else 0.0


def summarize(rows: list[dict], gts: dict[str, list]) -> dict:
    """`tvgcurate.metrics.evaluate` over scored rows (rows with an error are left out).

    `evaluate` counts an answer without a window as a refusal; `extra.answers` adds the
    refusal metrics over explicit refusals only, and the share of unparseable answers.
    """
    import numpy as np

    from tvgcurate.metrics import evaluate, refusal_metrics

    ok = [r for r in rows if not r.get("error")]
    pred = [
        np.array([[w["start"], w["end"], w["score"]] for w in r["windows"]]).reshape(-1, 3)
        for r in ok
    ]
    gt = [np.array(gts[r["sample_id"]], dtype=float).reshape(-1, 2) for r in ok]
    refused = np.array([bool(r["refused"]) for r in ok], dtype=bool)
    m = evaluate(pred, gt, refused)
    irrelevant = np.array([len(g) == 0 for g in gt], dtype=bool)
    invalid = np.array([not r["refused"] and not r["windows"] for r in ok], dtype=bool)
    m["extra"]["answers"] = {
        "explicit_refusal": refusal_metrics(refused, irrelevant),
        "invalid_rate": round(100 * float(invalid.mean()), 2) if len(ok) else None,
    }
    return m


def headline(m: dict) -> dict:
    """The numbers `score` prints: R1@0.3/0.5/0.7, mIoU, mAP and refusal rates (explicit
    refusals; `invalid_rate` = answers that are neither a window nor a refusal)."""
    ex, r1 = m["extra"], m["full"]["MR-R1"]
    ref = ex["answers"]["explicit_refusal"]
    return {
        "queries": ex["num_queries"],
        "relevant": ex["num_relevant"],
        "irrelevant": ex["num_irrelevant"],
        "R1@0.3": ex.get("R1@0.3"),
        "R1@0.5": r1.get("0.5"),
        "R1@0.7": r1.get("0.7"),
        "mIoU": ex.get("mIoU"),
        "mAP": m["brief"].get("MR-full-mAP"),
        "refusal_acc_irrelevant": ref.get("recall"),
        "false_refusal_rate": ref.get("false_refusal_rate"),
        "invalid_rate": ex["answers"]["invalid_rate"],
    }


def generate(
    model, processor, inputs, k: int, batch_size: int, max_new_tokens: int, temperature: float
) -> list[list[str]]:
    """K completions per ModelInput (greedy when k == 1), left-padded batches."""
    import torch

    processor.tokenizer.padding_side = "left"
    out: list[list[str]] = []
    model.eval()
    for i in range(0, len(inputs), batch_size):
        chunk = inputs[i : i + batch_size]
        texts = [
            processor.apply_chat_template(m.prompt, tokenize=False, add_generation_prompt=True)
            for m in chunk
        ]
        images = [img for m in chunk for img in m.images] or None
        enc = processor(text=texts, images=images, padding=True, return_tensors="pt")
        enc = enc.to(model.device)
        gen_kwargs = dict(max_new_tokens=max_new_tokens)
        if k > 1:
            gen_kwargs.update(do_sample=True, temperature=temperature, num_return_sequences=k)
        else:
            gen_kwargs.update(do_sample=False)
        with torch.no_grad():
            ids = model.generate(**enc, **gen_kwargs)
        new = ids[:, enc["input_ids"].shape[1] :]
        dec = processor.batch_decode(new, skip_special_tokens=True)
        for j in range(len(chunk)):
            out.append(dec[j * k : (j + 1) * k])
    return out


def score(cfg: ScoreConfig, console=None) -> ScoreResult:
    """Predict every sample of the split, write a predictions version and compute metrics."""
    import pyarrow as pa
    import torch

    from tvgcurate import schemas
    from tvgcurate.model.eta import TimestampFormat
    from tvgcurate.model.inputs import InputConfig, build_inputs
    from tvgcurate.model.loading import load_model, read_inputs_meta, resolve_checkpoint
    from tvgcurate.workspace import Workspace

    t0 = time.perf_counter()
    ws = Workspace(cfg.workspace)
    model_dir = resolve_checkpoint(cfg.checkpoint)
    meta = read_inputs_meta(model_dir)
    width = meta.pop("timestamp_width", None)
    in_cfg = InputConfig(**{k: v for k, v in meta.items() if k in InputConfig.__dataclass_fields__})
    fmt = TimestampFormat(width) if width else None
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    model, processor = load_model(model_dir)
    torch.manual_seed(cfg.seed)

    samples = ws.read("samples").to_pylist()
    if cfg.split is not None:
        samples = [s for s in samples if s.get("split") == cfg.split]
    if cfg.limit is not None:
        samples = samples[: cfg.limit]
    if not samples:
        from tvgcurate.errors import WorkspaceError

        raise WorkspaceError(f"{ws.root}: no samples in split {cfg.split!r}")
    built = build_inputs(ws, in_cfg, samples=samples, fmt=fmt)
    texts = generate(
        model,
        processor,
        built.inputs,
        cfg.num_samples,
        cfg.batch_size,
        cfg.max_new_tokens,
        cfg.temperature,
    )
    run_id = cfg.run_id or _default_run_id(cfg, model_dir)
    by_id = {m.sample_id: (m, t) for m, t in zip(built.inputs, texts, strict=True)}
    rows = []
    for s in samples:
        sid = s["sample_id"]
        if sid in by_id:
            m, ts = by_id[sid]
            pooled = pool_answers(ts, m.duration_s or None)
            rows.append(
                {
                    "run_id": run_id,
                    "sample_id": sid,
                    "windows": pooled["windows"],
                    "refused": pooled["refused"],
                    "raw_text": ts[0],
                    "iou_spread": pooled["iou_spread"],
                    "refusal_rate": pooled["refusal_rate"],
                    "num_samples": cfg.num_samples,
                    "samples_text": ts,
                    "error": None,
                }
            )
        else:
            rows.append(
                {
                    "run_id": run_id,
                    "sample_id": sid,
                    "windows": [],
                    "refused": None,
                    "raw_text": None,
                    "iou_spread": None,
                    "refusal_rate": None,
                    "num_samples": cfg.num_samples,
                    "samples_text": [],
                    "error": built.errors.get(sid, "not built"),
                }
            )
    from tvgcurate.model.inputs import gt_windows

    gts = {s["sample_id"]: gt_windows(s) for s in samples}
    metrics = summarize(rows, gts)
    metrics["extra"]["errors"] = len(built.errors)
    version = None
    if cfg.write:
        schema = pa.schema(
            list(schemas.PREDICTIONS)
            + [
                pa.field("iou_spread", pa.float64()),
                pa.field("refusal_rate", pa.float64()),
                pa.field("num_samples", pa.int64()),
                pa.field("samples_text", pa.list_(pa.string())),
                pa.field("error", pa.string()),
            ]
        )
        table = pa.Table.from_pylist(rows, schema=schema)
        if ws.has("predictions"):
            old = ws.read("predictions")
            import pyarrow.compute as pc

            old = old.filter(pc.invert(pc.equal(old.column("run_id"), run_id)))
            if old.num_rows:
                table = pa.concat_tables([old, table], promote_options="permissive")
        version = ws.write("predictions", table, note=f"score run_id={run_id}").version
    return ScoreResult(run_id, rows, metrics, time.perf_counter() - t0, version)


def _default_run_id(cfg: ScoreConfig, model_dir: Path) -> str:
    ck = cfg.checkpoint.resolve()
    name = ck.name if ck == model_dir.resolve() else f"{ck.name}/{model_dir.relative_to(ck)}"
    return f"{name}:{cfg.split or 'all'}:k{cfg.num_samples}"
