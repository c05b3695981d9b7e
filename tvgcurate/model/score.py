"""`tvgcurate score`: run a checkpoint over a split and write a `predictions` version.

Greedy decoding gives one window per sample (score 1.0). With K > 1 samples per query the
K answers are pooled (`tvgcurate.model.pool`): windows ranked by consensus, `refused` by
majority vote, and their disagreement (``iou_spread``, ``refusal_rate``) kept for the audit.
The rows are `tvgcurate.schemas.predictions.PREDICTIONS_TABLE`; the metrics read each
sample's ground truth as `tvgcurate.schemas.sample.gt_windows` (a partial row is a refusal
target, as in `tvgcurate eval`).

Every row also has ``refusal_score``: the model's probability of the refusal against the
best answer at the decision point (the prompt plus ``<answer>``; see
`tvgcurate.model.backends.base`), and its windows are decoded with the refusal's first token
suppressed, so a sample whose greedy text refuses still has its best window (`refused` and
`raw_text` stay the greedy answer's).

At scale: samples are planned from the tables (no frame decoded), cut into shards of
``shard_size`` samples, and run through the executors (local, process, ray) with
completion markers in the workspace's scratch: a rerun after a crash skips finished shards,
and the predictions version is written once, at the end, from the shard files (each sample
exactly once). Under ``accelerate launch`` / torchrun (RANK, WORLD_SIZE) each rank runs the
shards i % world_size == rank; rank 0 waits for the others, then writes.

Rows of other run_ids already in the table are kept; rows of this run_id are replaced.
Samples whose inputs cannot be built get a row with their `error` and no windows.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from tvgcurate.keyvalue import require_positive, setting
from tvgcurate.model.card import write_score_card
from tvgcurate.model.pool import pool_answers
from tvgcurate.schemas.predictions import PREDICTIONS_TABLE
from tvgcurate.schemas.sample import gt_windows


@dataclass
class ScoreConfig:
    """One `tvgcurate score` run."""

    workspace: Path = setting(help="Workspace directory.")
    checkpoint: Path = setting(help="Run directory or model directory.")
    split: str | None = setting("val", "Split to score (None: all).")
    num_samples: int = setting(1, "1: greedy; K > 1: K sampled answers.")
    temperature: float = setting(1.0, "Sampling temperature (K > 1).")
    batch_size: int = setting(8, "Samples per generate call.")
    max_new_tokens: int = setting(32, "Generated tokens at most.")
    run_id: str | None = setting(None, "Run id (default: from the checkpoint).")
    limit: int | None = setting(None, "Score only the first N samples.")
    seed: int = setting(0, "Sampling seed.")
    torch_threads: int | None = setting(None, "torch intra-op threads (None: torch's default).")
    backend: str = setting("hf", "Generation backend.")
    executor: str = setting("local", "How shards run.")
    workers: int | None = setting(None, "Processes / Ray CPUs.")
    shard_size: int = setting(64, "Samples per shard (the resume unit).")
    ray_address: str | None = setting(None, "Ray cluster address.")
    progress: bool = setting(True, "Show a progress bar.")
    dtype: str = setting("float32", "Model dtype: float32 | bfloat16 | float16.")
    rank: int | None = setting(None, "This process's rank (default: RANK, else 0).")
    world_size: int | None = setting(None, "Number of ranks (default: WORLD_SIZE, else 1).")
    wait_s: float = setting(86400.0, "Rank 0: seconds to wait for the other ranks.")
    write: bool = setting(True, "Write the predictions version.")
    fold: str | None = setting(
        None,
        "i/K: score only fold i of K (by video, tvgcurate.folds); its rows "
        "get fold=i and replace only the run's rows of those samples.",
    )
    fold_seed: int = setting(0, "Seed of the fold assignment.")

    def __post_init__(self):
        from tvgcurate.errors import TvgError

        self.workspace, self.checkpoint = Path(self.workspace), Path(self.checkpoint)
        require_positive(self, "num_samples", "batch_size", "shard_size (e.g. 64)", "workers")
        from tvgcurate.executors import EXECUTORS
        from tvgcurate.model.backends import BACKENDS

        for flag, value, reg in (
            ("--backend", self.backend, BACKENDS),
            ("--executor", self.executor, EXECUTORS),
        ):
            if value not in reg:
                raise TvgError(f"{flag} {value}: unknown; choose one of {', '.join(reg.names())}")


@dataclass
class ScoreResult:
    run_id: str
    rows: list[dict]
    metrics: dict
    seconds: float
    version: int | None = None
    report: object | None = None  # the executors' ShardReport


def summarize(rows: list[dict], gts: dict[str, list]) -> dict:
    """`tvgcurate.metrics.evaluate` over scored rows (rows with an error are left out).

    `evaluate` counts an answer without a window as a refusal; `extra.answers` adds the
    refusal metrics over explicit refusals only, and the share of unparseable answers (of the
    greedy / sampled texts). With irrelevant rows and a `refusal_score` on every row,
    `extra.refusal_score` has its ROC-AUC and the refusal accuracy at false-refusal rates
    0.05 and 0.1 (tvgcurate.metrics.refusal_score_metrics).
    """
    import numpy as np

    from tvgcurate.metrics import evaluate, refusal_metrics, refusal_score_metrics

    ok = [r for r in rows if not r.get("error")]
    pred = [
        np.array([[w["start"], w["end"], w["score"]] for w in r["windows"]]).reshape(-1, 3)
        for r in ok
    ]
    gt = [np.array(gts[r["sample_id"]], dtype=float).reshape(-1, 2) for r in ok]
    refused = np.array([bool(r["refused"]) for r in ok], dtype=bool)
    m = evaluate(pred, gt, refused)
    irrelevant = np.array([len(g) == 0 for g in gt], dtype=bool)
    invalid = np.array([not r["refused"] and not _answer_windows(r) for r in ok], dtype=bool)
    m["extra"]["answers"] = {
        "explicit_refusal": refusal_metrics(refused, irrelevant),
        "invalid_rate": round(100 * float(invalid.mean()), 2) if len(ok) else None,
    }
    scores = [r.get("refusal_score") for r in ok]
    if irrelevant.any() and all(isinstance(x, int | float) and x == x for x in scores):
        m["extra"]["refusal_score"] = refusal_score_metrics(np.array(scores), irrelevant)
    return m


def _answer_windows(r: dict) -> list:
    """The windows the greedy / sampled texts themselves give (not the suppressed decode)."""
    texts = r.get("samples_text")
    if texts:
        return pool_answers(list(texts))["windows"]
    return r["windows"]


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
        **{
            k: v
            for k, v in ex.get("refusal_score", {}).items()
            if not k.startswith("refusal_threshold")
        },
    }


def _plan_items(ws, in_cfg, samples, fmt):
    """(items: one per sample, in order, a plan or an error; the InputPlan)."""
    from tvgcurate.model.inputs import plan_inputs

    plan = plan_inputs(ws, in_cfg, samples=samples, fmt=fmt)
    by_id = {p.sample_id: p for p in plan.plans}
    items = []
    for s in samples:
        sid = s["sample_id"]
        if sid in by_id:
            items.append({"sample_id": sid, "sample": s, "keyframes": by_id[sid].keyframes})
        else:
            items.append({"sample_id": sid, "error": plan.errors.get(sid, "not planned")})
    return items, plan


def _shards(items: list[dict], shard_size: int, batch_size: int) -> list[list[dict]]:
    """Shards of `shard_size` samples, each a list of batches ({"samples": [...]})."""
    from tvgcurate.executors import shard_items

    return [
        [{"samples": b} for b in shard_items(shard, batch_size)]
        for shard in shard_items(items, shard_size)
    ]


def _wait_for_ranks(scratch: Path, files: list[Path], owners: list[int], timeout_s: float):
    """Rank 0 waits until every shard is marked done, or its rank has said it finished."""
    deadline = time.monotonic() + timeout_s
    while True:
        done = {int(p.stem.split("-")[1]) for p in scratch.glob("rank-*.finished")}
        waiting = [
            f
            for f, r in zip(files, owners, strict=True)
            if not f.with_suffix(".done").exists() and r not in done
        ]
        if not waiting or time.monotonic() > deadline:
            return waiting
        time.sleep(2.0)


def score(cfg: ScoreConfig, console=None) -> ScoreResult:
    """Predict every sample of the split over resumable shards, then write one predictions
    version (rank 0 only, after every rank's shards) and compute the metrics."""
    from tvgcurate.workspace import Workspace

    t0 = time.perf_counter()
    ws = Workspace(cfg.workspace)
    stage, samples, items = _plan(ws, cfg)
    scratch, files, report, rank = _run(ws, cfg, stage, items)
    if rank != 0:
        return ScoreResult(stage.run_id, [], {}, time.perf_counter() - t0, None, report)
    ordered = _collect(files, samples, scratch)
    metrics = summarize(ordered, {s["sample_id"]: gt_windows(s) for s in samples})
    metrics["extra"]["errors"] = sum(1 for r in ordered if r.get("error"))
    metrics["extra"]["shards"] = {
        "computed": report.computed,
        "skipped": report.skipped,
        "failed": report.failed,
    }
    if cfg.fold is not None:
        ordered = [{**r, "fold": int(cfg.fold.split("/")[0])} for r in ordered]
    version = _write(ws, ordered, stage.run_id, cfg.fold is not None) if cfg.write else None
    write_score_card(ws, cfg, stage, items, ordered, samples, version)  # model/card.py
    return ScoreResult(stage.run_id, ordered, metrics, time.perf_counter() - t0, version, report)


def _select_samples(ws, cfg: ScoreConfig) -> list[dict]:
    """The samples of the split (the first `limit`); none is an error."""
    samples = ws.read("samples").to_pylist()
    if cfg.split is not None:
        samples = [s for s in samples if s.get("split") == cfg.split]
    if cfg.fold is not None:
        from tvgcurate.folds import in_fold, parse_fold

        fold = parse_fold(cfg.fold)
        samples = [s for s in samples if in_fold(s["video_id"], fold, cfg.fold_seed)]
    if cfg.limit is not None:
        samples = samples[: cfg.limit]
    if not samples:
        from tvgcurate.errors import WorkspaceError

        raise WorkspaceError(f"{ws.root}: no samples in split {cfg.split!r}")
    return samples


def _plan(ws, cfg: ScoreConfig):
    """(the ScoreStage the workers run, the samples, the items: one per sample, a plan or an
    error)."""
    import dataclasses

    from tvgcurate.executors import run_key
    from tvgcurate.model.backends.base import GenOptions
    from tvgcurate.model.eta import TimestampFormat
    from tvgcurate.model.inputs import InputConfig
    from tvgcurate.model.loading import model_identity, read_inputs_meta, resolve_checkpoint
    from tvgcurate.model.score_stage import ScoreStage

    model_dir = resolve_checkpoint(cfg.checkpoint)
    meta = read_inputs_meta(model_dir)
    width = meta.pop("timestamp_width", None)
    in_cfg = InputConfig(**{k: v for k, v in meta.items() if k in InputConfig.__dataclass_fields__})
    fmt = TimestampFormat(width) if width else None
    if cfg.torch_threads:
        import torch

        torch.set_num_threads(cfg.torch_threads)
    samples = _select_samples(ws, cfg)
    items, plan = _plan_items(ws, in_cfg, samples, fmt)
    videos = ws.read("videos", columns=["video_id", "path"]).to_pylist()
    src = plan.source
    gen = GenOptions(
        cfg.num_samples, cfg.temperature, cfg.max_new_tokens, cfg.batch_size, cfg.seed, cfg.dtype
    )
    stage = ScoreStage(
        model_dir=str(model_dir.resolve()),
        backend=cfg.backend,
        gen=gen,
        inputs=dataclasses.asdict(in_cfg),
        timestamp_width=plan.fmt.width,
        run_id=cfg.run_id or _default_run_id(cfg, model_dir),
        media_root=str(src.media_root) if src.media_root else None,
        video_paths={v["video_id"]: v["path"] for v in videos},
        frames_path=str(ws.path_of("frames")) if src.store is not None else None,
        torch_threads=cfg.torch_threads,
        model_stamp=run_key(model_identity(model_dir)),
    )
    return stage, samples, items


def _run(ws, cfg: ScoreConfig, stage, items: list[dict]):
    """Run this rank's shards; rank 0 then waits for the others. (scratch dir, every shard's
    file in order, the executors' ShardReport of this rank's shards, the rank)."""
    from tvgcurate import executors
    from tvgcurate.executors.driver import shard_name
    from tvgcurate.model.score_stage import dist_rank, rank_shards, stage_fields

    tables = [ws.current(t) for t in ("samples", "keyframes", "frames") if ws.has(t)]
    key = executors.run_key("score", stage_fields(stage), [t.sha256 for t in tables])
    scratch = ws.scratch("score", key)
    shards = _shards(items, cfg.shard_size, cfg.batch_size)
    rank, world = dist_rank(cfg.rank, cfg.world_size)
    mine = rank_shards(len(shards), rank, world)
    with executors.get_executor(cfg.executor, cfg.workers, cfg.ray_address) as ex:
        report = executors.run_shards(
            stage,
            [shards[i] for i in mine],
            scratch,
            ex,
            progress=cfg.progress,
            description=f"score ({cfg.backend}, {ex.name}"
            + (f", rank {rank}/{world})" if world > 1 else ")"),
            positions=mine,
        )
    files = [
        scratch / f"{shard_name(i, [stage.item_key(it) for it in s])}.parquet"
        for i, s in enumerate(shards)
    ]
    if world > 1:
        (scratch / f"rank-{rank}.finished").write_text(json.dumps({"failed": report.failed}))
        if rank == 0:
            missing = _wait_for_ranks(
                scratch, files, [i % world for i in range(len(files))], cfg.wait_s
            )
            if missing:
                from tvgcurate.errors import TvgError

                raise TvgError(f"{len(missing)} shard(s) of other ranks not finished; rerun score")
    return scratch, files, report, rank


def _collect(files: list[Path], samples: list[dict], scratch: Path) -> list[dict]:
    """The predictions rows from the shard files, in the samples' order (each exactly once)."""
    from tvgcurate import executors

    rows: dict[str, dict] = {}
    for f in files:
        for r in next(executors.iter_shard_tables([f])).to_pylist():
            if r["sample_id"] in rows:
                raise RuntimeError(f"sample {r['sample_id']} scored twice in {scratch}")
            rows[r["sample_id"]] = r
    return [rows[s["sample_id"]] for s in samples]


def _write(ws, ordered: list[dict], run_id: str, by_sample: bool = False) -> int:
    """Write the predictions version: other runs' rows kept, this run's replaced (with
    `by_sample`, a fold's: only this run's rows of these samples)."""
    import pyarrow as pa

    ours = pa.Table.from_pylist(ordered, schema=PREDICTIONS_TABLE)

    def merge(old: pa.Table) -> pa.Table:  # keyed by run_id: replayable on a newer version
        import pyarrow.compute as pc

        mine = pc.equal(old.column("run_id"), run_id)
        if by_sample:
            ids = pa.array([r["sample_id"] for r in ordered], pa.string())
            mine = pc.and_(mine, pc.is_in(old.column("sample_id"), value_set=ids))
        old = old.filter(pc.invert(mine))
        return pa.concat_tables([old, ours], promote_options="permissive") if old.num_rows else ours

    table = merge(ws.read("predictions")) if ws.has("predictions") else ours
    return ws.write(
        "predictions",
        table,
        note=f"score run_id={run_id}",
        reads=ws.inputs("samples", "predictions"),
        rebase=merge,
    ).version


def _default_run_id(cfg: ScoreConfig, model_dir: Path) -> str:
    ck = cfg.checkpoint.resolve()
    name = ck.name if ck == model_dir.resolve() else f"{ck.name}/{model_dir.relative_to(ck)}"
    return f"{name}:{cfg.split or 'all'}:k{cfg.num_samples}"
