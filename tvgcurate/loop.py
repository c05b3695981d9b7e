"""The active-learning loop: train → score → audit → relabel push → annotate → pull, one
round at a time (docs/dev/architecture.md §1).

Each step calls the library function its command calls (`train`, `score`, `audit`, `relabel
push`, `relabel pull`) and returns what it made (versions, run ids, counts). The loop's
state is the manifest's ``loop`` section, updated atomically after every step::

    "loop": {"rounds": [{"round": 1, "project": "...", "run_dir": "...",
                         "steps": {"train": {"done": true, ...}, "score": {...}, ...},
                         "done": true}, ...]}

A step is marked done only when it finished, so a crash (or a Ctrl-C, or an annotation
wait that timed out) resumes at the step it was in when `tvgcurate loop` runs again; every
step is safe to repeat (push and pull are idempotent, score replaces its run's rows, train
rewrites its run directory). `tvgcurate log` prints the lineage of every round.

Annotation: either a person works in Label Studio and the loop polls until every pushed
task has an annotation (`wait_timeout_s`), or `annotator` names a Python file with
``annotate(task: dict) -> list[dict] | None`` (a Label Studio result list, e.g. built with
`moment_result`), called once per pushed task and submitted through the SDK: a simulation.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tvgcurate.errors import TvgError
from tvgcurate.keyvalue import require_positive, setting
from tvgcurate.registry import Registry
from tvgcurate.schemas.constants import DEFAULT_ENCODER

SECTION = "loop"


@dataclass
class LoopConfig:
    """What `tvgcurate loop` does."""

    workspace: Path = setting(help="Workspace directory.")
    rounds: int = setting(1, "Rounds to run (in all, done ones count).")
    budget: int = setting(20, "Samples relabelled per round (top-K).")
    budget_seconds: float | None = setting(
        None,
        "Relabel budget in seconds of video a person watches: the audit's "
        "top rows until their durations sum to this (instead of --budget rows).",
    )
    folds: int = setting(
        1,
        "Out of fold: K models, each trained on the training split minus one "
        "fold (by video), each scoring its fold (1: the model scores its own rows).",
    )
    labelstudio: str | None = setting(None, "Label Studio URL (key from LABEL_STUDIO_API_KEY).")
    api_key: str | None = field(default=None, repr=False, metadata={"help": "From the env only."})
    annotator: Path | None = setting(
        None, "Python file with annotate(task) -> result list (simulated people)."
    )
    project: str = setting("tvgcurate-loop", "Label Studio project prefix (+ ' round N').")
    media_root: Path | None = setting(None, "Videos directory (default: the one ingest recorded).")
    recipe: Path | None = setting(None, "Training recipe (YAML).")
    model: str = setting("tiny", "'tiny' or a local checkpoint.")
    stage: str = setting("sft", "Training stage(s): sft | grpo | both.")
    train_steps: int | None = setting(None, "Optimizer steps per stage (default: the recipe's).")
    sets: list[str] = setting(factory=list, help="Recipe overrides KEY=VALUE for every round.")
    train_split: str = setting("train", "Split to train on; the others earn the trust.")
    num_samples: int = setting(4, "Answers per sample when scoring (the uncertainty).")
    checks: list[str] | None = setting(None, "Audit checks or families (default: all).")
    encoder: str = setting(DEFAULT_ENCODER, "Sentence encoder of the audit.")
    min_iou: float = setting(0.5, "Consensus: mean pairwise IoU annotators must reach.")
    wait_timeout_s: float = setting(24 * 3600.0, "How long to wait for annotations per round.")
    poll_s: float = setting(30.0, "Seconds between annotation polls.")
    runs: Path | None = setting(None, "Run directories (default: WS/work/loop/).")
    seed: int = setting(0, "Seed of training and scoring.")
    offline: Path | None = setting(
        None, "No server: write the round's tasks here and stop after the push."
    )

    def __post_init__(self):
        self.workspace = Path(self.workspace)
        require_positive(
            self, "rounds", "budget", "num_samples", "folds (2 or more: out-of-fold scores)"
        )
        if self.budget_seconds is not None and self.budget_seconds <= 0:
            raise TvgError("--budget-seconds must be > 0")
        if self.offline is not None and self.rounds > 1:
            raise TvgError("--offline runs one round (nothing comes back to pull)")
        if self.offline is None:
            if not self.labelstudio:
                raise TvgError("--labelstudio URL is required (the Label Studio server)")
            if not self.api_key:
                raise TvgError("no API key: set LABEL_STUDIO_API_KEY")
        if self.annotator is not None and not Path(self.annotator).is_file():
            raise TvgError(f"--annotator {self.annotator}: no such file")


@dataclass
class Round:
    """One round: its number, the loop's config, its record in the manifest (plain JSON;
    ``run_dir``, ``run_id`` and ``project`` there override the defaults) and, in memory, the
    full result object of each step run by this process (`results`)."""

    number: int
    cfg: LoopConfig
    record: dict
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def run_dir(self) -> Path:
        if self.record.get("run_dir"):
            return Path(self.record["run_dir"])
        base = Path(self.cfg.runs) if self.cfg.runs else self.cfg.workspace / "work" / "loop"
        return base / f"round-{self.number}"

    @property
    def project(self) -> str:
        return self.record.get("project") or f"{self.cfg.project} round {self.number}"

    @property
    def run_id(self) -> str:
        return self.record.get("run_id") or f"loop-r{self.number}"

    def step(self, name: str) -> dict:
        return self.record["steps"].get(name) or {}


Step = Callable[[Round], dict]
STEPS: Registry[Step] = Registry("loop step")


def _version(ws, table: str) -> int | None:
    tv = ws.current(table)
    return tv.version if tv else None


@STEPS.register("train")
def _train(r: Round) -> dict:
    from tvgcurate.model.config import build_config
    from tvgcurate.model.train import train
    from tvgcurate.workspace import Workspace

    cfg = r.cfg
    sets = list(cfg.sets) + ["report_to=[]"]
    if cfg.train_steps is not None:
        for stage in ("sft", "grpo"):
            sets.append(f"{stage}.max_steps={cfg.train_steps}")
    samples = _version(Workspace(cfg.workspace), "samples")

    def one(output: Path, fold: str | None) -> dict:
        # every round and every fold starts from --model (the pretrained base), as the
        # in-sample round does: a fold model never saw its fold's rows, in no round
        tcfg = build_config(
            cfg.recipe or _default_recipe(), sets, workspace=cfg.workspace, output=output,
            model=cfg.model, stage=cfg.stage, seed=cfg.seed, train_split=cfg.train_split,
        )  # fmt: skip
        res = r.results["train"] = train(tcfg, fold=fold, fold_seed=cfg.seed)  # the last
        return {"final": str(res.final), "stages": {
            k: {"steps": v["steps"], "train_loss": v["train_loss"], "rows": v.get("rows")}
            for k, v in res.stages.items()}}  # fmt: skip

    out = {"samples_version": samples, "run_dir": str(r.run_dir)}
    if cfg.folds == 1:
        return {**out, **one(r.run_dir, None)}
    out["folds"] = [one(fold_dir(r, i), f"{i}/{cfg.folds}") for i in range(cfg.folds)]
    return out


def fold_dir(r: Round, i: int) -> Path:
    """The run directory of fold i's model in round r."""
    return r.run_dir / f"fold-{i}"


@STEPS.register("score")
def _score(r: Round) -> dict:
    from tvgcurate.model.score import ScoreConfig, headline, score, summarize
    from tvgcurate.schemas.sample import gt_windows
    from tvgcurate.workspace import Workspace

    cfg = r.cfg
    common = dict(workspace=cfg.workspace, split=None, num_samples=cfg.num_samples,
                  run_id=r.run_id, seed=cfg.seed, progress=False)  # fmt: skip
    if cfg.folds == 1:
        res = score(ScoreConfig(checkpoint=r.run_dir, **common))
        metrics, version, rows = res.metrics, res.version, len(res.rows)
    else:  # each fold's model scores the fold it did not see; one run_id, fold per row
        rows_all: list[dict] = []
        for i in range(cfg.folds):
            res = score(ScoreConfig(checkpoint=fold_dir(r, i), fold=f"{i}/{cfg.folds}",
                                    fold_seed=cfg.seed, **common))  # fmt: skip
            rows_all += res.rows
        samples = Workspace(cfg.workspace).read("samples").to_pylist()
        gts = {s["sample_id"]: gt_windows(s) for s in samples}
        metrics, version, rows = summarize(rows_all, gts), res.version, len(rows_all)
    r.results["score"] = res
    h = headline(metrics)
    return {"run_id": r.run_id, "predictions_version": version, "rows": rows,
            "folds": cfg.folds if cfg.folds > 1 else None,
            "metrics": {k: h.get(k) for k in ("R1@0.5", "mIoU", "refusal_acc_irrelevant")}}  # fmt: skip


@STEPS.register("audit")
def _audit(r: Round) -> dict:
    from tvgcurate.curation.audit import AuditConfig, RankingConfig, run_audit

    res = run_audit(
        AuditConfig(
            workspace=r.cfg.workspace, predictions=r.run_id, checks=r.cfg.checks,
            encoder=r.cfg.encoder, progress=False,
            ranking=RankingConfig(train_split=r.cfg.train_split),
        )
    )  # fmt: skip
    r.results["audit"] = res
    trust = res.trust.as_dict() if hasattr(res.trust, "as_dict") else res.trust
    return {"audit_id": res.audit_id, "audits_version": res.version, "trust": trust,
            "top": res.ranked()[: r.cfg.budget]}  # fmt: skip


@STEPS.register("push")
def _push(r: Round) -> dict:
    from tvgcurate.labeling.media import MediaSource
    from tvgcurate.labeling.push import PushConfig, push
    from tvgcurate.labeling.select import select_ids
    from tvgcurate.workspace import Workspace

    cfg = r.cfg
    media = MediaSource(media_root=cfg.media_root) if cfg.media_root else None
    samples = Workspace(cfg.workspace).read("samples")
    if cfg.budget_seconds is None:
        ids = select_ids(samples, f"audit:top={cfg.budget}", Workspace(cfg.workspace))
    else:  # the audit's ranking, cut where the videos to watch reach the budget
        ranked = select_ids(samples, f"audit:top={samples.num_rows}", Workspace(cfg.workspace))
        ids = take_seconds(ranked, seconds_to_watch(samples), cfg.budget_seconds)
    id_file = r.run_dir / "relabel.ids"
    id_file.parent.mkdir(parents=True, exist_ok=True)
    id_file.write_text("".join(f"{i}\n" for i in ids))
    res = push(
        PushConfig(
            workspace=cfg.workspace, project=r.project, select=f"ids={id_file}",
            media=media, url=cfg.labelstudio or "", api_key=cfg.api_key,
            with_predictions=r.run_id, out=cfg.offline,
        )
    )  # fmt: skip
    r.results["push"] = res
    watch = seconds_to_watch(samples)
    return {"project": r.project, "project_id": res.project_id, "selected": res.selected,
            "sent": res.sent, "already_sent": res.already_sent,
            "seconds": round(sum(watch.get(i, 0.0) for i in ids), 2),
            "files": [str(f) for f in res.files]}  # fmt: skip


def seconds_to_watch(samples) -> dict[str, float]:
    """sample_id -> the seconds of video a person watches to relabel it (its duration)."""
    rows = samples.select(["sample_id", "duration_s"]).to_pylist()
    return {r["sample_id"]: float(r["duration_s"] or 0.0) for r in rows}


def take_seconds(ranked: list[str], seconds: dict[str, float], budget_s: float) -> list[str]:
    """The longest prefix of `ranked` whose durations sum to at most `budget_s` (at least
    the first row, so a budget shorter than one video still relabels something).

    >>> take_seconds(["a", "b", "c"], {"a": 10, "b": 30, "c": 5}, 39)
    ['a']
    >>> take_seconds(["a", "b", "c"], {"a": 10, "b": 30, "c": 5}, 45)
    ['a', 'b', 'c']
    """
    out, total = [], 0.0
    for sid in ranked:
        d = seconds.get(sid, 0.0)
        if out and total + d > budget_s + 1e-9:
            break
        out.append(sid)
        total += d
    return out


@STEPS.register("annotate")
def _annotate(r: Round) -> dict:
    cfg = r.cfg
    client = _client(cfg)
    pid = client.find_project(r.project)
    if pid is None:
        raise TvgError(f"Label Studio has no project {r.project!r}; rerun to push again")
    submitted = 0
    if cfg.annotator is not None:
        annotate = load_annotator(cfg.annotator)
        for task in _open_tasks(client, pid):
            result = annotate(task)
            if result is None:
                continue
            client.call(
                "create annotation",
                lambda t=task, res=result: client.sdk.annotations.create(id=t["id"], result=res),
                idempotent=False,
            )
            submitted += 1
    deadline = time.monotonic() + cfg.wait_timeout_s
    while True:
        waiting = _open_tasks(client, pid)
        if not waiting:
            break
        if time.monotonic() >= deadline:
            raise TvgError(
                f"{len(waiting)} task(s) of {r.project!r} still have no annotation after "
                f"{cfg.wait_timeout_s:g} s; annotate them and rerun `tvgcurate loop` (it resumes)"
            )
        time.sleep(min(cfg.poll_s, max(0.0, deadline - time.monotonic())))
    return {"submitted": submitted}


@STEPS.register("pull")
def _pull(r: Round) -> dict:
    from tvgcurate.labeling.consensus import ConsensusConfig
    from tvgcurate.labeling.pull import PullConfig, bring_back
    from tvgcurate.workspace import Workspace

    cfg = r.cfg
    pcfg = PullConfig(workspace=cfg.workspace, project=r.project, url=cfg.labelstudio or "",
                      api_key=cfg.api_key)  # fmt: skip
    ccfg = ConsensusConfig(
        workspace=cfg.workspace, project=r.project, round=pcfg.round, min_iou=cfg.min_iou
    )
    pulled, decided = r.results["pull"] = bring_back(pcfg, ccfg)
    ws = Workspace(cfg.workspace)
    counts = {s: len(decided.by_status(s)) for s in ("accepted", "disagree", "unclear", "too_few")}
    changed = len(decided.changed)
    watched = r.step("push").get("seconds")
    return {"labels_version": pulled.labels_version or _version(ws, "labels"),
            "samples_version": decided.samples_version, "consensus": counts,
            "changed": changed, "seconds_per_change":
                round(watched / changed, 2) if watched and changed else None}  # fmt: skip


OFFLINE_STEPS = ("train", "score", "audit", "push")


def _default_recipe() -> Path | None:
    path = Path(__file__).resolve().parents[1] / "recipes" / "tiny-cpu.yaml"
    return path if path.is_file() else None


def _client(cfg: LoopConfig):
    from tvgcurate.labeling.client import connect

    assert cfg.labelstudio and cfg.api_key
    return connect(cfg.labelstudio, cfg.api_key)


def _open_tasks(client, project_id: int) -> list[dict]:
    """The project's live tasks (not superseded) that have no finished annotation yet."""
    out = []
    for t in client.export_tasks(project_id):
        if (t.get("meta") or {}).get("superseded"):
            continue
        if not any(not a.get("was_cancelled") for a in t.get("annotations") or []):
            out.append(t)
    return out


def load_annotator(path: Path) -> Callable[[dict], list[dict] | None]:
    """`annotate(task)` from a Python file (the simulated annotator)."""
    spec = importlib.util.spec_from_file_location("tvgcurate_loop_annotator", path)
    if spec is None or spec.loader is None:
        raise TvgError(f"--annotator {path}: cannot load it as a Python file")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    fn = getattr(mod, "annotate", None)
    if not callable(fn):
        raise TvgError(f"--annotator {path}: defines no function annotate(task)")
    return fn


def moment_result(windows: list[tuple[float, float]], fps: float, verdict: str = "relevant"):
    """A Label Studio result list as the labeling UI submits it: `windows` (seconds) marked
    on the timeline in frames at `fps`, and the verdict. For annotator scripts.

    >>> [i["type"] for i in moment_result([(1.0, 2.0)], 25.0)]
    ['timelinelabels', 'choices']
    """
    import secrets

    from tvgcurate.labeling import config as lc
    from tvgcurate.labeling.frames import seconds_to_range

    out: list[dict[str, Any]] = []
    for s, e in windows:
        a, b = seconds_to_range(float(s), float(e), float(fps))
        out.append({"id": secrets.token_hex(5), "type": "timelinelabels", "origin": "manual",
                    "to_name": lc.VIDEO, "from_name": lc.MOMENT,
                    "value": {"ranges": [{"start": a, "end": b}],
                              "timelinelabels": [lc.MOMENT_LABEL]}})  # fmt: skip
    out.append({"id": secrets.token_hex(5), "type": "choices", "origin": "manual",
                "to_name": lc.VIDEO, "from_name": lc.VERDICT,
                "value": {"choices": [lc.VERDICT_CHOICE[verdict]]}})  # fmt: skip
    return out


# -- state ------------------------------------------------------------------------------


def loop_state(workspace: Path) -> dict:
    """The manifest's loop section ({"rounds": [...]}; empty before the first round)."""
    from tvgcurate.workspace import Workspace

    return Workspace(workspace).meta(SECTION) or {"rounds": []}


def _save(workspace: Path, state: dict) -> None:
    from tvgcurate.workspace import Workspace

    with Workspace(workspace).transaction() as tx:
        tx.set_meta(SECTION, state)


@dataclass
class LoopResult:
    rounds: list[dict]
    ran: list[tuple[int, str]]  # (round, step) run by this call, in order


def open_round(cfg: LoopConfig, state: dict, number: int, **names: str) -> Round:
    """Round `number` of `state` (created when new; `names`: run_dir, run_id or project to
    record instead of the defaults)."""
    if number <= len(state["rounds"]):
        record = state["rounds"][number - 1]
    else:
        record = {"round": number, "steps": {}, "done": False,
                  "started": time.strftime("%Y-%m-%dT%H:%M:%S"), **names}  # fmt: skip
        state["rounds"].append(record)
    r = Round(number, cfg, record)
    record["project"], record["run_dir"], record["run_id"] = r.project, str(r.run_dir), r.run_id
    return r


def run_step(state: dict, r: Round, name: str) -> dict:
    """Run one step of round `r` unless it is done, recording it in the manifest (the step
    being run first, then what it made); returns its record."""
    if r.step(name).get("done"):
        return r.step(name)
    fn = STEPS.get(name)
    r.record["current"] = name
    _save(r.cfg.workspace, state)
    t = time.perf_counter()
    out = fn(r)
    r.record["steps"][name] = {"done": True, "seconds": round(time.perf_counter() - t, 2), **out}
    r.record.pop("current", None)
    _save(r.cfg.workspace, state)
    return r.record["steps"][name]


def finish_round(state: dict, r: Round) -> None:
    r.record["done"] = True
    r.record["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    _save(r.cfg.workspace, state)


def run_loop(
    cfg: LoopConfig,
    steps: tuple[str, ...] | None = None,
    on_step: Callable[[int, str, dict], None] | None = None,
) -> LoopResult:
    """Run rounds until `cfg.rounds` are done, resuming an unfinished one at its step.

    `steps`: the step names of a round (default: every registered step; offline mode stops
    after the push). `on_step(round, step, record)` is called after each step it ran."""
    from tvgcurate.workspace import Workspace

    Workspace(cfg.workspace)  # a clear error when it is not a workspace
    names = list(steps or (OFFLINE_STEPS if cfg.offline else STEPS.names()))
    for n in names:
        STEPS.get(n)
    state = loop_state(cfg.workspace)
    ran: list[tuple[int, str]] = []
    for number in range(1, cfg.rounds + 1):
        if number <= len(state["rounds"]) and state["rounds"][number - 1].get("done"):
            continue
        r = open_round(cfg, state, number)
        for name in names:
            if r.step(name).get("done"):
                continue
            rec = run_step(state, r, name)
            ran.append((number, name))
            if on_step is not None:
                on_step(number, name, rec)
        finish_round(state, r)
    return LoopResult(state["rounds"][: cfg.rounds], ran)


def lineage(rounds: list[dict]) -> list[dict]:
    """One line per round for `tvgcurate log`: the versions each step read and wrote."""
    out = []
    for rec in rounds:
        st = rec.get("steps", {})
        trust = (st.get("audit") or {}).get("trust")
        out.append({
            "round": rec.get("round"),
            "state": "done" if rec.get("done") else f"at {rec.get('current') or 'start'}",
            "trained_on": (st.get("train") or {}).get("samples_version"),
            "run_dir": rec.get("run_dir"),
            "predictions": (st.get("score") or {}).get("predictions_version"),
            "run_id": (st.get("score") or {}).get("run_id"),
            "audits": (st.get("audit") or {}).get("audits_version"),
            "trust": trust.get("trust") if isinstance(trust, dict) else trust,
            "pushed": (st.get("push") or {}).get("sent"),
            "labels": (st.get("pull") or {}).get("labels_version"),
            "samples": (st.get("pull") or {}).get("samples_version"),
        })  # fmt: skip
    return out
