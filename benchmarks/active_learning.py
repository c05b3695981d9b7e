"""Active learning over disagreements, end to end (issue "The loop pays"): the model finds
label errors that no rule can see, and relabel rounds spent on the audit's top-k beat the
same budget spent at random.

Steps (each a function below; `main` runs them per seed):

1. `plant_noise`: corrupt `--noise` of the TRAINING rows of the learning benchmark's headline
   task (benchmarks/learning.py `build_task`) with the library's label noise
   (`tvgcurate.demo.plants`, `--kinds`: moved, swapped, false_positive, present_absent,
   boundary). What was planted goes to planted.json; held-out rows stay clean. A copy of
   the noisy workspace is the random arm (`control-ws`).
2. Round 0: a model trained on the FULL training split gives round 0's held-out figures and
   the in-sample audit; `tvgcurate loop --folds K` (K models, each scoring the fold it did
   not see) gives the out-of-fold audit that picks the audit arm's rows.
3. `find`: ranked-only arms, no retraining: precision@k of the planted rows at k = planted
   and k = 5% of the training rows, overall and per planted kind, with the ratio to the
   base rate, for the audit (out of fold), the audit in-sample, the model evidence alone
   (out of fold), the rule checks alone and random.
4. Rounds 1 and 2, each: the audit arm relabels its top-k training rows (out of fold; round
   2 re-audits the round-1 labels with K fresh fold models), the random arm k rows at
   random (rows relabelled earlier are not asked again), both through a real local Label
   Studio answered by a scripted annotator from the clean labels; both arms are retrained
   from the same start for the same steps; held-out R1@0.5, mIoU, refusal AUC and refusal
   accuracy at FRR 0.1; planted rows left; the paired audit - random difference per round
   with a 95% t-interval over the seeds.
5. Per arm and round `composition`: the training split's relevance counts, needs_review
   flags and origins, the rows and refusal targets SFT actually trained on (`mix`), and
   what the audit picked (current label, truth, planted kind, the checks that flagged it).
6. Plots: precision@k curves and round metrics, into --out (copy to results/active-learning/).

    .venv/bin/python -m benchmarks.active_learning --out /tmp/tvg_al            # the experiment
    .venv/bin/python -m benchmarks.active_learning --out /tmp/tvg_al --quick    # smoke (demo data)

`--quick` runs the whole pipeline on a tiny demo workspace (demo-data videos plus the
noise above) with a few training steps: it checks the plumbing, not the claim. The Label
Studio server is started here (tvgcurate.labeling.server) unless `--url` names a running
one (key in LABEL_STUDIO_API_KEY). RESULTS.json, precision.png and rounds.png go into --out;
every phase's wall time is printed beside its step budget and kept in RESULTS.json.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import random
import shutil
import statistics
import time
from collections import Counter
from pathlib import Path

from benchmarks import active_learning_stake as stake
from benchmarks.active_learning_stake import (
    CEILINGS,
    add_stake,
    ceiling_slug,
    stake_settings,
    test_task,
)
from tvgcurate.demo.plants import NOISE, plant_noise_rows
from tvgcurate.loop import take_seconds
from tvgcurate.workspace import Workspace, file_lock

REPO = Path(__file__).resolve().parents[1]
# the library's label-noise kinds (tvgcurate.demo.plants.NOISE): moved, swapped,
# false_positive, present_absent (a present query labelled absent), boundary (small errors)
KINDS = tuple(NOISE.names())
# sized so that 4 seeds x 2 rounds fit in about 90 minutes of a 2-core CPU (README of the run:
# docs/active-learning.md); every one is an option
DEFAULTS = {"train_videos": 160, "val_videos": 40, "size": 112, "steps": 400,
            "pretrain_steps": 2000, "pretrain_videos": 1000, "base_sft_steps": 2500,
            "num_samples": 4, "lanes": 2, "test_videos": 200, "repeats": 1}  # fmt: skip
PRETRAIN_TASK_SEED = 1000  # --pretrain-videos: a task seed no experiment seed uses
BASE_SEED = 0  # --pretrain-videos: the base's training seed, whatever the experiment's seeds

# -- the task ---------------------------------------------------------------------------


def learning_module():
    """benchmarks/learning.py (its `build_task` makes the headline task)."""
    from benchmarks import learning

    return learning


def headline_task(root: Path, args, seed: int) -> Workspace:
    """The learning benchmark's headline task (>= 2 shapes per video), built by its own
    `build_task` with the options it accepts."""
    build = learning_module().build_task
    want = dict(root=root, n_train=args.train_videos, n_val=args.val_videos, seed=seed,
                size=args.size)  # fmt: skip
    accepted = inspect.signature(build).parameters
    return build(**{k: v for k, v in want.items() if k in accepted})


def demo_task(root: Path, args, seed: int) -> Workspace:
    """--quick: a tiny demo-data workspace (2 shapes per video) with keyframes; videos under
    root/media/videos (a subdirectory, so Label Studio can serve them)."""
    from tvgcurate.curation.ingest import IngestConfig, ingest
    from tvgcurate.curation.keyframes.run import KeyframesConfig, run_keyframes
    from tvgcurate.demo.data import DemoConfig, generate

    demo = root / "media" / "demo"
    generate(DemoConfig(out=demo, num_videos=args.train_videos + args.val_videos, seed=seed,
                        plant_errors=False, width=96, height=64, fps=8, min_duration=6,
                        max_duration=8, min_shapes=2, max_shapes=2))  # fmt: skip
    files = sorted(p for p in demo.rglob("*") if p.suffix in (".jsonl", ".txt", ".json", ".csv"))
    files = [p for p in files if p.name != "ground_truth.json"]
    ingest(IngestConfig(sources=files, workspace=root / "ws", videos=demo / "videos"))
    # tiny's frame size: SAA's defaults upscale these 96x64 frames to up to 759 tokens each
    run_keyframes(KeyframesConfig(workspace=root / "ws", budget_tokens=64, min_tokens=4,
                                  max_tokens=16, progress=False))  # fmt: skip
    return Workspace(root / "ws")


def truth_of(ws: Workspace) -> dict[str, dict]:
    """The clean labels before any noise: sample_id -> {windows, relevance, video_id}."""
    return {s["sample_id"]: {"windows": [(w["start"], w["end"]) for w in s["windows"] or []],
                             "relevance": s["relevance"], "video_id": s["video_id"],
                             "duration_s": s["duration_s"], "split": s["split"]}
            for s in ws.read("samples").to_pylist()}  # fmt: skip


# -- 1. noise ---------------------------------------------------------------------------


def plant_noise(ws: Workspace, share: float, seed: int, train_split: str = "train",
                kinds: tuple[str, ...] = KINDS) -> list[dict]:  # fmt: skip
    """Corrupt `share` of the training rows with the library's label noise
    (`tvgcurate.demo.plants.plant_noise_rows`, the kinds in turn); write a samples version and
    return what was planted: [{sample_id, kind, before, after, ...}]."""
    import pyarrow as pa

    rows = ws.read("samples").to_pylist()
    planted = plant_noise_rows(rows, share, seed, kinds, split=train_split)
    ws.write(
        "samples",
        pa.Table.from_pylist(rows, schema=ws.read("samples").schema),
        command="benchmarks/active_learning.py plant_noise",
        note=f"{len(planted)} noisy training labels",
        validate=False,
    )  # fmt: skip  (the table's own stored schema, read back above)
    return planted


# -- training, scoring, auditing ---------------------------------------------------------------


def sft_sets(args) -> list[str]:
    """Recipe overrides of every SFT run: the ladder's irrelevant share, then --set."""
    return [f"sft.irrelevant_share={args.irrelevant_share}", *args.set]


def loop_config(ws: Workspace, args, out: Path, seed: int, url: str, key: str, rounds: int = 1):
    """`tvgcurate loop --folds K` up to the audit (the relabel is the benchmark's own)."""
    from tvgcurate.loop import LoopConfig

    return LoopConfig(
        workspace=ws.root, rounds=rounds, budget=1, labelstudio=url, api_key=key,
        train_steps=args.steps, num_samples=args.num_samples, encoder="hashing", seed=seed,
        runs=out / "runs", sets=[f"sft.save_steps={args.steps}", *sft_sets(args)],
        model=str(args.start), folds=args.folds,
    )  # fmt: skip


def pretrained(ws: Workspace, args, root: Path, seed: int) -> Path:
    """The start of every training run, made once per experiment (later seeds reuse it, as
    they would a released checkpoint): --pretrained; or tiny's pretraining stand-in,
    `--pretrain-steps` yes/no steps, on the first seed's videos or (--pretrain-videos N) on N
    videos of another task seed; then, with --base-sft-steps, grounding SFT on those other
    videos' clean labels (a released grounding model that has never seen the experiment's
    videos, the place a Tempo-R0 user starts from)."""
    if args.pretrained:
        return Path(args.pretrained)
    from tvgcurate.model.config import build_config
    from tvgcurate.model.train import train

    steps = args.pretrain_steps
    if getattr(args, "pretrain_videos", 0):  # other videos than the experiment's (a release)
        task = argparse.Namespace(**{**vars(args), "train_videos": args.pretrain_videos,
                                     "val_videos": 1})  # fmt: skip
        ws = headline_task(root / "pretrain-task", task, PRETRAIN_TASK_SEED)
    sets = ["report_to=[]", f"pretrain.max_steps={steps}", f"pretrain.save_steps={steps}"]
    cfg = build_config(REPO / "recipes" / "tiny-cpu.yaml", sets, workspace=ws.root,
                       output=root / "pretrain", model="tiny", stage="pretrain", seed=seed)  # fmt: skip
    args.pretrained = train(cfg).final
    if getattr(args, "base_sft_steps", 0):
        if not getattr(args, "pretrain_videos", 0):
            raise SystemExit("--base-sft-steps needs --pretrain-videos (the base never sees "
                             "the experiment's videos)")  # fmt: skip
        base = argparse.Namespace(**{**vars(args), "steps": args.base_sft_steps,
                                     "irrelevant_share": args.base_irrelevant_share,
                                     "start": args.pretrained})  # fmt: skip
        args.pretrained = train_full(ws, base, root / "base-sft", seed).final
    return Path(args.pretrained)


def train_full(ws: Workspace, args, out: Path, seed: int):
    """SFT from the start on the whole training split for --steps (every arm, every round)."""
    from tvgcurate.model.config import build_config
    from tvgcurate.model.train import train

    sets = ["report_to=[]", f"sft.max_steps={args.steps}", f"sft.save_steps={args.steps}",
            *sft_sets(args)]  # fmt: skip
    cfg = build_config(REPO / "recipes" / "tiny-cpu.yaml", sets, workspace=ws.root, output=out,
                       model=str(args.start), stage="sft", seed=seed)  # fmt: skip
    return train(cfg)


def held_out(ws: Workspace, args, checkpoint: Path, seed: int, run_id: str) -> dict:
    """Greedy held-out metrics of a trained run (the same for every round and arm)."""
    from tvgcurate.model.score import ScoreConfig, headline, score

    m = score(ScoreConfig(workspace=ws.root, checkpoint=checkpoint, split=args.val_split,
                          run_id=run_id, seed=seed, progress=False)).metrics  # fmt: skip
    h = headline(m)
    return {"mIoU": h["mIoU"], "R1@0.5": h["R1@0.5"], "refusal_auc": h.get("refusal_auc"),
            "refusal_acc@frr0.1": h.get("refusal_acc@frr0.1"),
            "refusal_acc": h["refusal_acc_irrelevant"],
            "false_refusal_rate": h.get("false_refusal_rate")}  # fmt: skip


def audit_in_sample(ws: Workspace, args, checkpoint: Path, seed: int, run_id: str):
    """Score every row with the model that trained on them (K samples), audit: the audits."""
    from tvgcurate.curation.audit import AuditConfig, run_audit
    from tvgcurate.model.score import ScoreConfig, score

    score(ScoreConfig(workspace=ws.root, checkpoint=checkpoint, split=None, run_id=run_id,
                      num_samples=args.num_samples, seed=seed, progress=False))  # fmt: skip
    res = run_audit(AuditConfig(workspace=ws.root, predictions=run_id, encoder="hashing",
                                progress=False))  # fmt: skip
    return ws.read("audits", res.version)


def audit_out_of_fold(ws: Workspace, args, root: Path, seed: int, number: int, url: str,
                      key: str):  # fmt: skip
    """Round `number` of `tvgcurate loop --folds K` up to the audit (K fold models trained on
    the current labels): its audits table and its loop record."""
    from tvgcurate.loop import loop_state, run_loop

    cfg = loop_config(ws, args, root, seed, url, key, rounds=number)
    run_loop(cfg, steps=("train", "score", "audit"))
    rec = loop_state(ws.root)["rounds"][number - 1]
    return ws.read("audits", rec["steps"]["audit"]["audits_version"]), rec


def rankings_of(audits, only: list[str], seed: int) -> dict[str, list[str]]:
    """The priority, the model checks alone and the rule checks alone of one audits table,
    and a random order, each cut to the ids of `only` (the training rows) in their order."""
    from tvgcurate.curation.audit.ranking import PRIORITY, family_rankings

    keep = set(only)
    rows = audits.to_pylist()
    prio = sorted((r for r in rows if r["check"] == PRIORITY), key=lambda r: r["rank"])
    fams = family_rankings([r for r in rows if r["check"] != PRIORITY])
    rnd = sorted(only)
    random.Random(seed).shuffle(rnd)
    out = {"priority": [r["sample_id"] for r in prio], "model": fams.get("model", []),
           "rules": fams.get("rules", []), "random": rnd}  # fmt: skip
    return {k: [i for i in v if i in keep] for k, v in out.items()}


def precision_table(rankings: dict[str, list[str]], planted: list[dict], n: int) -> dict:
    """Ranked-only arms: precision@k of the planted rows at k = planted and k = 5% of the
    `n` training rows, overall and per planted kind, each with its ratio to the base rate
    (the share of the training rows that are planted, of that kind)."""
    from tvgcurate.curation.audit.ranking import precision_curve

    ids = {p["sample_id"] for p in planted}
    by_kind = {k: {p["sample_id"] for p in planted if p["kind"] == k} for k in KINDS}
    by_kind = {k: v for k, v in by_kind.items() if v}
    ks = {"k=planted": max(1, len(ids)), "k=5%": max(1, math.ceil(0.05 * n))}

    def cell(ranked, positives):
        base = len(positives) / n if n else 0.0
        return {kn: {"precision": (p := precision_curve(ranked, positives, [k])[0]),
                     "x_base_rate": round(p / base, 2) if base else None}
                for kn, k in ks.items()}  # fmt: skip

    table = {name: cell(r, ids) for name, r in rankings.items()}
    kinds = {kind: {name: cell(r, pos) for name, r in rankings.items()}
             for kind, pos in by_kind.items()}  # fmt: skip
    curve_ks = list(range(1, min(n, 4 * max(1, len(ids))) + 1))
    curves = {name: precision_curve(r, ids, curve_ks) for name, r in rankings.items()}
    return {"n": n, "base_rate": len(ids) / n if n else 0.0,
            "base_rate_by_kind": {k: len(v) / n for k, v in by_kind.items()}, "k": ks,
            "precision": table, "by_kind": kinds,
            "curves": {"k": curve_ks, **curves}}  # fmt: skip


# -- relabel ------------------------------------------------------------------------------


def annotator_script(path: Path, truth: dict[str, dict]) -> Path:
    """A scripted annotator answering from the clean labels at each task's fps (frames). A
    task whose sample is not in the truth (an id made after `truth_of`) is an error, never
    a silent guess."""
    (path.parent / "truth.json").write_text(json.dumps(truth))
    path.write_text(
        "import json\nfrom pathlib import Path\nfrom tvgcurate.loop import moment_result\n"
        f"TRUTH = json.loads(Path({str(path.parent / 'truth.json')!r}).read_text())\n"
        "def annotate(task):\n"
        "    sid = task['data']['sample_id']\n"
        "    if sid not in TRUTH:\n"
        "        raise KeyError(f'annotator: {sid} has no clean label (made after truth_of?)')\n"
        "    t = TRUTH[sid]\n"
        "    if t['relevance'] == 'irrelevant' or not t['windows']:\n"
        "        return moment_result([], task['data']['fps'], 'irrelevant')\n"
        "    return moment_result(t['windows'], task['data']['fps'], t['relevance'])\n"
    )
    return path


def relabel(ws: Workspace, ids: list[str], project: str, url: str, key: str, script: Path,
            document_root: Path) -> dict:  # fmt: skip
    """Push `ids` to Label Studio, answer them with the script, pull with consensus: the
    samples version written and the consensus counts."""
    from tvgcurate.labeling.consensus import ConsensusConfig
    from tvgcurate.labeling.media import MediaSource
    from tvgcurate.labeling.pull import PullConfig, bring_back
    from tvgcurate.labeling.push import PushConfig, push
    from tvgcurate.loop import STEPS, LoopConfig, Round

    media = MediaSource(media_root=Path(ws.meta("media_root")), document_root=document_root)
    id_file = ws.root / "work" / f"{project}.ids"
    id_file.parent.mkdir(parents=True, exist_ok=True)
    id_file.write_text("\n".join(ids) + "\n")
    push(PushConfig(workspace=ws.root, project=project, select=f"ids={id_file}", url=url,
                    api_key=key, media=media))  # fmt: skip
    cfg = LoopConfig(workspace=ws.root, labelstudio=url, api_key=key, annotator=script,
                     poll_s=1, wait_timeout_s=120)  # fmt: skip
    STEPS.get("annotate")(Round(1, cfg, {"steps": {}, "project": project}))
    pcfg = PullConfig(workspace=ws.root, project=project, url=url, api_key=key)
    _, decided = bring_back(pcfg, ConsensusConfig(workspace=ws.root, project=project))
    return {"samples_version": decided.samples_version, "asked": len(ids),
            "accepted": len(decided.by_status("accepted")), "changed": len(decided.changed),
            "not_accepted": len(decided.decisions) - len(decided.by_status("accepted")),
            "stale": decided.stale}  # fmt: skip


# -- what each arm trains on ------------------------------------------------------------------


def windows_of(row: dict) -> list[tuple[float, float]]:
    return [(float(w["start"]), float(w["end"])) for w in row.get("windows") or []]


def wrong(row: dict, t: dict) -> bool:
    """Whether a row's label differs from the clean one (relevance, or windows by > 0.05 s)."""
    if (row.get("relevance") or "relevant") != (t["relevance"] or "relevant"):
        return True
    a, b = sorted(windows_of(row)), sorted(tuple(w) for w in t["windows"])
    return len(a) != len(b) or any(abs(x - y) > 0.05 for p, q in zip(a, b) for x, y in zip(p, q))


def composition(ws: Workspace, truth: dict[str, dict], trained=None) -> dict:
    """The training split as an arm trains on it: rows by relevance, needs_review flags,
    origins, labels still wrong; and, from the run (`trained`, a TrainResult), the rows and
    refusal targets `mix` put into SFT."""
    rows = [s for s in ws.read("samples").to_pylist() if s["split"] == "train"]
    origin = Counter((s.get("origin") or "source").split(":")[0] for s in rows)
    out = {"rows": len(rows),
           "relevance": dict(Counter(s["relevance"] or "relevant" for s in rows)),
           "needs_review": sum(bool(s.get("needs_review")) for s in rows),
           "origin": dict(origin),
           "wrong_labels": sum(wrong(s, truth[s["sample_id"]]) for s in rows
                               if s["sample_id"] in truth),
           "not_in_truth": sum(s["sample_id"] not in truth for s in rows)}  # fmt: skip
    if trained is not None:
        sft = (trained.stages or {}).get("sft") or {}
        out["sft"] = {"rows": sft.get("rows"), "refusal_targets": sft.get("irrelevant_rows"),
                      "steps": sft.get("steps"), "seconds": sft.get("seconds")}  # fmt: skip
    return out


def picked(ids: list[str], before: list[dict], truth: dict[str, dict], planted: list[dict],
           audits=None) -> dict:  # fmt: skip
    """What an arm asked annotators about: the rows' labels before the relabel, their clean
    labels, the planted kinds among them and (audit arm) the checks that flagged them."""
    now = {s["sample_id"]: s for s in before}
    kind = {p["sample_id"]: p["kind"] for p in planted}
    out = {"rows": len(ids),
           "label_before": dict(Counter(now[i]["relevance"] or "relevant" for i in ids)),
           "truth": dict(Counter(truth[i]["relevance"] or "relevant" for i in ids)),
           "planted": dict(Counter(kind[i] for i in ids if i in kind)),
           "wrong_before": sum(wrong(now[i], truth[i]) for i in ids),
           "irrelevant_label_and_truth": sum(
               (now[i]["relevance"] or "") != "relevant" and truth[i]["relevance"] != "relevant"
               for i in ids)}  # fmt: skip
    if audits is not None:
        want = set(ids)
        irr = {i for i in ids if (now[i]["relevance"] or "relevant") != "relevant"}
        flags = [r for r in audits.to_pylist() if r["sample_id"] in want and r["is_issue"]
                 and r["check"] != "priority"]  # fmt: skip
        out["checks"] = dict(Counter(r["check"] for r in flags).most_common())
        out["checks_on_irrelevant_labels"] = dict(
            Counter(r["check"] for r in flags if r["sample_id"] in irr).most_common()
        )
    return out


def remaining(ws: Workspace, planted: list[dict]) -> int:
    """Planted rows whose label is still the planted one."""
    now = {s["sample_id"]: s for s in ws.read("samples").to_pylist()}
    left = 0
    for p in planted:
        s = now.get(p["sample_id"])
        left += (
            bool(s)
            and [tuple(w) for w in p["after"]] == windows_of(s)
            and (p.get("relevance_after") is None or s["relevance"] == p["relevance_after"])
        )
    return left


# -- the experiment -------------------------------------------------------------------------

ARMS = ("audit", "random")
METRICS = ("R1@0.5", "mIoU", "refusal_auc", "refusal_acc@frr0.1")


class Clock:
    """Wall time of each phase (seconds), in the order run; printed with `prefix` (the seed,
    as lanes interleave)."""

    def __init__(self, prefix: str = ""):
        self.seconds: dict[str, float] = {}
        self.prefix = prefix

    def __call__(self, name: str, fn, *a, **kw):
        t = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            self.seconds[name] = round(time.perf_counter() - t, 1)
            print(f"{self.prefix}[{name}] {self.seconds[name]:.1f} s", flush=True)


def budget(ids: list[str], watch: dict[str, float], args, k: int) -> list[str]:
    """The first rows of `ids` that fit the budget: --budget-seconds of video, else k rows."""
    if args.budget_seconds:
        return take_seconds(ids, watch, args.budget_seconds)
    return ids[:k]


# what decides a seed's result: a finished seed (SEED.json) with the same settings is reused
SETTINGS = ("quick", "rounds", "folds", "budget_seconds", "kinds", "noise", "train_videos",
            "val_videos", "size", "steps", "pretrained", "pretrain_steps", "pretrain_videos",
            "base_sft_steps", "base_irrelevant_share", "irrelevant_share", "num_samples",
            "val_split", "set")  # fmt: skip


# what decides the base (PRETRAINED.json), beside its seed
PRETRAIN_SETTINGS = ("quick", "pretrain_steps", "pretrain_videos", "base_sft_steps",
                     "base_irrelevant_share", "train_videos", "val_videos", "size", "noise",
                     "kinds", "set")  # fmt: skip


def settings(args, keys: tuple[str, ...] = SETTINGS) -> dict:
    return {k: str(getattr(args, k, None)) for k in keys}


def one_seed(args, seed: int, url: str, key: str) -> dict:
    """One paired seed, whole; a seed finished before with the same settings is read back."""
    root = Path(args.out) / f"seed{seed}"
    done = root / "SEED.json"
    if done.is_file():
        prev = json.loads(done.read_text())
        if prev.get("settings") == settings(args):
            print(f"seed {seed}: finished before with these settings ({done}), reused", flush=True)
            return stake_of(args, prev, root, done)
    shutil.rmtree(root, ignore_errors=True)
    clock = Clock(f"seed {seed} ")
    ws = clock("task", demo_task if args.quick else headline_task, root, args, seed)
    truth = truth_of(ws)
    planted = plant_noise(ws, args.noise, seed, kinds=tuple(args.kinds))
    (root / "planted.json").write_text(json.dumps(planted, indent=1))
    shutil.copytree(ws.root, root / "control-ws")  # the random arm: same noisy start
    arms = {"audit": ws, "random": Workspace(root / "control-ws")}
    # args.start: the base, made once by `pretrain_base` before the lanes
    train_ids = sorted(i for i, s in truth.items() if s["split"] == "train")
    n = len(train_ids)
    watch = {i: float(truth[i]["duration_s"] or 0.0) for i in train_ids}
    script = annotator_script(root / "annotate.py", truth)
    doc = Path(args.document_root or args.out).resolve()
    k = max(1, len(planted))
    res: dict = {"seed": seed, "planted": len(planted), "train_rows": n,
                 "planted_by_kind": dict(Counter(p["kind"] for p in planted)),
                 "start_version": ws.current("samples").version, "start": str(args.start)}  # fmt: skip

    # round 0: the full training split (held-out figures, in-sample audit), then out of fold
    full = clock("r0 train full", train_full, ws, args, root / "r0-full", seed)
    r0 = clock("r0 held-out", held_out, ws, args, full.output, seed, "r0-heldout")
    ins = clock("r0 audit in-sample", audit_in_sample, ws, args, full.output, seed, "r0-insample")
    if args.folds > 1:
        oof, rec = clock("r0 audit out-of-fold", audit_out_of_fold, ws, args, root, seed, 1,
                          url, key)  # fmt: skip
        trust = rec["steps"]["audit"]["trust"]
    else:
        oof, trust = ins, None
    r_oof, r_ins = rankings_of(oof, train_ids, seed), rankings_of(ins, train_ids, seed)
    rankings = {"audit (out of fold)": r_oof["priority"], "audit in-sample": r_ins["priority"],
                "model evidence (out of fold)": r_oof["model"], "rules only": r_oof["rules"],
                "random": r_oof["random"]}  # fmt: skip
    res["find"] = precision_table(rankings, planted, n)
    res["find"]["audit_model_evidence"] = "out of fold" if args.folds > 1 else "in-sample"
    res["round0"] = {"metrics": r0, "trust_out_of_fold": trust,
                     "model": f"SFT on the full training split ({n} rows), {args.steps} steps",
                     "composition": composition(ws, truth, full)}  # fmt: skip

    asked: dict[str, set[str]] = {arm: set() for arm in ARMS}
    last: dict = {"audit": full}  # each arm's latest model
    order_random = train_ids[:]
    random.Random(seed + 1).shuffle(order_random)
    audits = oof
    for number in range(1, args.rounds + 1):
        rnd: dict = {}
        before = {arm: w.read("samples").to_pylist() for arm, w in arms.items()}
        if number > 1 and args.folds > 1:  # the audit arm's next picks: fresh fold models
            audits, _ = clock(f"r{number} audit out-of-fold", audit_out_of_fold, ws, args, root,
                              seed, number, url, key)  # fmt: skip
        elif number > 1:  # in sample: the audit arm's model of the last round judges
            audits = clock(f"r{number} audit in-sample", audit_in_sample, ws, args,
                           last["audit"].output, seed, f"r{number}-insample")  # fmt: skip
        order = {"audit": [i for i in rankings_of(audits, train_ids, seed)["priority"]
                           if i not in asked["audit"]],
                 "random": [i for i in order_random if i not in asked["random"]]}  # fmt: skip
        pick = {arm: budget(order[arm], watch, args, k) for arm in ARMS}
        rnd["picked"] = {arm: picked(pick[arm], before[arm], truth, planted,
                                     audits if arm == "audit" else None) for arm in ARMS}  # fmt: skip
        rnd["relabel"] = {}
        for arm in ARMS:
            with file_lock(Path(args.out) / "labelstudio.lock"):  # lanes share one server
                rnd["relabel"][arm] = clock(f"r{number} relabel {arm}", relabel, arms[arm],
                                            pick[arm], f"al seed{seed} r{number} {arm}", url, key,
                                            script, doc)  # fmt: skip
            asked[arm] |= set(pick[arm])
        rnd["held_out"], rnd["composition"] = {}, {}
        for arm in ARMS:
            last[arm] = clock(f"r{number} train {arm}", train_full, arms[arm], args,
                              root / f"r{number}-{arm}", seed)  # fmt: skip
            rnd["held_out"][arm] = clock(f"r{number} held-out {arm}", held_out, arms[arm], args,
                                         last[arm].output, seed, f"r{number}-{arm}")  # fmt: skip
            rnd["composition"][arm] = composition(arms[arm], truth, last[arm])
        rnd["remaining_planted"] = {arm: remaining(w, planted) for arm, w in arms.items()}
        rnd["remaining_by_kind"] = {
            arm: {kind: remaining(w, [p for p in planted if p["kind"] == kind])
                  for kind in res["planted_by_kind"]} for arm, w in arms.items()}  # fmt: skip
        rnd["cost"] = {}
        for arm in ARMS:
            secs = sum(watch[i] for i in asked[arm])
            fixed = len(planted) - rnd["remaining_planted"][arm]
            rnd["cost"][arm] = {"rows_asked": len(asked[arm]), "seconds_watched": round(secs, 1),
                                "fixed": fixed,
                                "seconds_per_fixed_error": round(secs / fixed, 2) if fixed else None}  # fmt: skip
        res[f"round{number}"] = rnd
    res["seconds"] = clock.seconds
    res["steps"] = {"sft": args.steps, "pretrain": None if args.pretrained_given else
                    args.pretrain_steps, "folds": args.folds,
                    "pretrain_videos": None if args.pretrained_given else args.pretrain_videos,
                    "base_sft": None if args.pretrained_given else args.base_sft_steps}  # fmt: skip
    done.write_text(json.dumps({"settings": settings(args), "result": res}, indent=1,
                               default=str))  # fmt: skip
    return stake_of(args, json.loads(done.read_text()), root, done)


def stake_of(args, prev: dict, root: Path, done: Path) -> dict:
    """A finished seed with its test scores, ceilings and separability
    (benchmarks/active_learning_stake.py), added from its saved runs when missing or made
    with other --test-videos; SEED.json is rewritten with them."""
    res = prev["result"]
    want = stake_settings(args)
    if not getattr(args, "test_videos", 0):
        return res
    if res.get("stake", {}).get("settings") not in (None, want):  # other test videos: redo
        res.pop("stake", None)
        for key in [k for k in res if k.startswith("round")]:
            res[key].pop("test", None)
    planted = json.loads((root / "planted.json").read_text())

    clock = Clock(f"seed {res['seed']} ")
    spent = dict(res.get("stake", {}).get("seconds", {}))  # phases of earlier invocations

    def save():  # with every phase's wall time so far (stake.seconds)
        res.setdefault("stake", {})["seconds"] = {**spent, **clock.seconds}
        done.write_text(json.dumps({**prev, "result": res}, indent=1, default=str))

    return add_stake(args, res, root, planted, clock, save)


def pretrain_base(args, out: Path) -> tuple[Path, float | None, bool]:
    """The start of every run, made once before the seeds (lanes share it, as they would a
    released checkpoint): --pretrained; or --pretrain-steps yes/no steps on --pretrain-videos
    videos of their own task seed; or on the first seed's noisy task (its videos, built here
    as the seed builds them). A finished pretraining with the same settings is reused. Returns
    the start, the seconds it took to make (None for --pretrained) and whether a run before
    made it."""
    if args.pretrained:
        return Path(args.pretrained), None, False
    root = out / "pretrain"
    stamp = root / "PRETRAINED.json"
    want = settings(args, PRETRAIN_SETTINGS)
    # the base of other videos is a release: its own seed; the first seed's videos: that seed
    seed = BASE_SEED if getattr(args, "pretrain_videos", 0) else args.seeds[0]
    want["seed"] = seed
    if stamp.is_file() and (prev := json.loads(stamp.read_text()))["settings"] == want:
        print(f"pretraining: finished before with these settings, reused ({prev['path']})")
        return Path(prev["path"]), prev.get("seconds"), True
    shutil.rmtree(root, ignore_errors=True)
    t = time.perf_counter()
    ws = None
    if not getattr(args, "pretrain_videos", 0):
        ws = (demo_task if args.quick else headline_task)(root / "task", args, args.seeds[0])
        plant_noise(ws, args.noise, args.seeds[0], kinds=tuple(args.kinds))
    path = pretrained(ws, args, root, seed)
    seconds = round(time.perf_counter() - t, 1)
    stamp.write_text(json.dumps({"settings": want, "path": str(path), "seconds": seconds}))
    return path, seconds, False


def lane(args, seeds: list[int], core: int | None, url: str, key: str) -> list[dict]:
    """One lane: its seeds in turn, pinned to one core (every training run uses one torch
    thread: recipes/tiny-cpu.yaml), so two lanes use a 2-core machine whole."""
    import os

    if core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})
    return [one_seed(args, s, url, key) for s in seeds]


def run_lanes(args, url: str, key: str) -> list[dict]:
    """The seeds over --lanes processes (seed i in lane i mod lanes), in seed order."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    n = max(1, min(args.lanes, len(args.seeds)))
    if n == 1:
        return lane(args, args.seeds, None, url, key)
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    groups = [args.seeds[i::n] for i in range(n)]
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(lane, args, g, cores[i % len(cores)] if len(cores) >= n else None,
                               url, key) for i, g in enumerate(groups)]  # fmt: skip
        by_seed = {r["seed"]: r for f in futures for r in f.result()}
    return [by_seed[s] for s in args.seeds]


def paired(results: list[dict], number: int, metric: str, where: str = "held_out") -> dict:
    """audit - random of a round's metric on `where` ("held_out": the val split; "test": the
    test task) per seed, its mean and a 95% interval (Student's t over the seeds; None with
    one seed)."""
    diffs = []
    for r in results:
        h = r.get(f"round{number}", {}).get(where, {})
        a, b = (h.get(arm, {}).get(metric) for arm in ARMS)
        if a is not None and b is not None:
            diffs.append(a - b)
    if not diffs:
        return {"diffs": [], "mean": None, "ci95": None}
    mean, ci = t_interval(diffs)
    return {"diffs": diffs, "mean": mean, "ci95": ci}


# Student's t, 97.5% quantile, by the number n of paired seeds (n - 1 degrees of freedom)
T975 = (None, None, 12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201,
        2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
        2.064, 2.060, 2.056, 2.052, 2.048, 2.045)  # fmt: skip


def t975(n: int) -> float:
    """The t quantile of a 95% interval over n paired seeds (beyond 30 seeds: 30's, which
    is a little wider than exact)."""
    return T975[min(n, len(T975) - 1)]


def t_interval(diffs: list[float]) -> tuple[float, list[float] | None]:
    """The mean of paired differences and its 95% t-interval over them (None below two)."""
    mean = statistics.mean(diffs)
    if len(diffs) < 2:
        return mean, None
    half = t975(len(diffs)) * statistics.stdev(diffs) / math.sqrt(len(diffs))
    return mean, [mean - half, mean + half]


def seeds_needed(mean: float, sd: float, most: int = 500) -> int | None:
    """The fewest paired seeds whose 95% t-interval would exclude 0 if the differences kept
    this mean and sd (None: a mean of 0, or more than `most`)."""
    if mean == 0:
        return None
    if sd == 0:
        return 2
    return next((n for n in range(2, most + 1) if t975(n) * sd / math.sqrt(n) < abs(mean)), None)


def plot(results: list[dict], out: Path, rounds: int) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.2), squeeze=False)
    for ax, r in zip(axes[0], results, strict=True):
        c = r["find"]["curves"]
        for name in r["find"]["precision"]:
            ax.plot(c["k"], c[name], label=name)
        ax.axhline(r["find"]["base_rate"], ls="--", color="grey", lw=1)
        ax.axvline(r["find"]["k"]["k=planted"], ls=":", color="grey", lw=1)
        ax.set(title=f"seed {r['seed']}: planted rows in the top k", xlabel="k",
               ylabel="precision@k", ylim=(0, 1.02))  # fmt: skip
        ax.legend(fontsize=7)
    paths.append(out / "precision.png")
    fig.savefig(paths[-1], dpi=90, bbox_inches="tight")
    plt.close(fig)
    # the test task when every seed has it (benchmarks/active_learning_stake.py), else val
    test = all("test" in r["round0"] for r in results)
    ceilings = list(results[0].get("stake", {}).get("ceilings", {})) if test else []
    fig, axes = plt.subplots(1, len(METRICS), figsize=(4.5 * len(METRICS), 3.2))
    xs = ["r0"] + [f"r{i} {arm}" for i in range(1, rounds + 1) for arm in ARMS] + ceilings
    for ax, metric in zip(axes, METRICS, strict=True):
        for r in results:
            ys = [r["round0"]["test" if test else "metrics"].get(metric)] + [
                r[f"round{i}"]["test" if test else "held_out"][arm].get(metric)
                for i in range(1, rounds + 1) for arm in ARMS] + [
                r["stake"]["ceilings"][c]["test"].get(metric) for c in ceilings]  # fmt: skip
            ax.plot(xs, [float("nan") if y is None else y for y in ys], marker="o",
                    label=f"seed {r['seed']}")  # fmt: skip
        ax.set(title=f"{'test task' if test else 'held-out'} {metric}")
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.legend(fontsize=7)
    paths.append(out / "rounds.png")
    fig.savefig(paths[-1], dpi=90, bbox_inches="tight")
    plt.close(fig)
    return paths


def start_server(root: Path):
    """A local Label Studio (.venv-labelstudio) whose document root is `root` (the seed
    directories and their videos lie under it)."""
    import socket

    from tvgcurate.labeling.server import ServerConfig, start

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (root / "media").mkdir(parents=True, exist_ok=True)
    return start(ServerConfig(data_dir=root / "labelstudio", port=port, media_root=root / "media",
                              document_root=root))  # fmt: skip


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("/tmp/tvg_active_learning"))
    p.add_argument("--quick", action="store_true", help="Tiny demo workspace: a smoke test.")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3],
                   help="Paired seeds (each: one noisy set, audit top-k vs random k).")  # fmt: skip
    p.add_argument("--rounds", type=int, default=2, help="Relabel rounds after round 0.")
    p.add_argument("--folds", type=int, default=2,
                   help="The audit arm picks out of fold with K models (`loop --folds`; 1: the "
                        "full-split model judges its own rows).")  # fmt: skip
    p.add_argument("--budget-seconds", type=float, default=None,
                   help="Relabel budget per round in seconds of video to watch (default: "
                        "k = planted rows per round).")  # fmt: skip
    p.add_argument("--kinds", nargs="+", default=list(KINDS), choices=list(KINDS),
                   help="Label-noise kinds planted, in turn (tvgcurate.demo.plants.NOISE).")  # fmt: skip
    p.add_argument("--noise", type=float, default=0.15, help="Share of training rows planted.")
    p.add_argument("--train-videos", type=int, default=DEFAULTS["train_videos"])
    p.add_argument("--val-videos", type=int, default=DEFAULTS["val_videos"])
    p.add_argument("--size", type=int, default=DEFAULTS["size"], help="Rendered frame size.")
    p.add_argument("--steps", type=int, default=DEFAULTS["steps"],
                   help="SFT steps of every training run (round 0, folds, both arms).")  # fmt: skip
    p.add_argument("--pretrained", type=Path, default=None,
                   help="Pretrained stand-in to start every run from (e.g. benchmarks/learning.py's "
                        "RUNG/seedN/pretrain/final); default: pretrain here, once.")  # fmt: skip
    p.add_argument("--pretrain-steps", type=int, default=DEFAULTS["pretrain_steps"],
                   help="When not --pretrained: pretraining steps, once for all seeds.")  # fmt: skip
    p.add_argument("--pretrain-videos", type=int, default=DEFAULTS["pretrain_videos"],
                   help="When not --pretrained: pretrain on this many videos of another task "
                        "seed (0: on the first seed's own videos).")  # fmt: skip
    p.add_argument("--base-sft-steps", type=int, default=DEFAULTS["base_sft_steps"],
                   help="With --pretrain-videos: grounding SFT steps on those videos' clean "
                        "labels after pretraining (a released grounding model; 0: none).")  # fmt: skip
    p.add_argument("--base-irrelevant-share", type=float, default=0.44,
                   help="The base SFT's irrelevant share (the learning ladder's headline).")  # fmt: skip
    p.add_argument("--lanes", type=int, default=DEFAULTS["lanes"],
                   help="Seeds run side by side, one core each (seed i in lane i mod lanes).")  # fmt: skip
    p.add_argument("--irrelevant-share", type=float, default=0.3, help="SFT's (the ladder's).")
    p.add_argument("--num-samples", type=int, default=DEFAULTS["num_samples"],
                   help="K answers per row when scoring for the audit.")  # fmt: skip
    p.add_argument("--val-split", default="val")
    p.add_argument("--repeats", type=int, default=DEFAULTS["repeats"],
                   help="Runs per model on the test task, each with its own training seed on "
                        "the same labels; the test tables average them (1: one run).")  # fmt: skip
    p.add_argument("--arm-repeats", type=int, default=None,
                   help="Runs per model of the relabel rounds' arms (the paired difference's "
                        "models); round 0 and the ceilings keep --repeats (default: --repeats).")  # fmt: skip
    p.add_argument("--ceilings", nargs="*", default=None,
                   choices=[ceiling_slug(n) for n in CEILINGS],
                   help="With --test-videos: the ceilings to train, by first word (default: "
                        "all; `--ceilings` alone: none, as a confirmation of the paired "
                        "difference needs).")  # fmt: skip
    p.add_argument("--test-videos", type=int, default=DEFAULTS["test_videos"],
                   help="A held-out test task of this many other videos, built once, on which "
                        "every model is also scored (0: none; benchmarks/active_learning_stake.py).")  # fmt: skip
    p.add_argument("--url", default=None, help="A running Label Studio (default: start one).")
    p.add_argument("--document-root", type=Path, default=None,
                   help="--url's LOCAL_FILES_DOCUMENT_ROOT (default: --out; it must hold --out).")  # fmt: skip
    p.add_argument("--set", action="append", default=[], help="Recipe override KEY=VALUE.")
    args = p.parse_args(argv)
    if args.quick:
        args.train_videos, args.val_videos, args.steps, args.num_samples = 6, 2, 2, 2
        args.test_videos = min(args.test_videos, 2)
        args.repeats = min(args.repeats, 2)
        args.arm_repeats = args.arm_repeats and min(args.arm_repeats, 3)
        args.pretrain_steps, args.size, args.pretrain_videos, args.base_sft_steps = 2, 56, 0, 0
        args.seeds = args.seeds[:1] if args.seeds == [0, 1, 2, 3] else args.seeds
        args.noise = max(args.noise, 0.3)
    if args.rounds < 1 or args.folds < 1:
        p.error("--rounds and --folds must be >= 1")
    args.pretrained_given = args.pretrained is not None
    return args


def main(argv=None) -> dict:
    import os

    args = parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    server = None
    if args.url:
        url, key = args.url, os.environ["LABEL_STUDIO_API_KEY"]
    else:
        server = start_server(out)
        url, key = server.url, server.credentials.token
    try:
        t = time.perf_counter()
        args.pretrained, made, reused = pretrain_base(args, out)
        args.start = args.pretrained
        args.test_ws = test_task(args, out)
        pretrain_seconds = round(time.perf_counter() - t, 1)
        print(f"[pretrain] {pretrain_seconds:.1f} s ({args.pretrain_steps} steps)", flush=True)
        results = run_lanes(args, url, key)
        summary = summarize(args, results, time.perf_counter() - t0)
        # the base's cost is what making it took, here or in the run that made it
        summary["pretrain_seconds"] = made if made is not None else pretrain_seconds
        summary["pretrain_reused"] = reused
        (out / "RESULTS.json").write_text(json.dumps(summary, indent=1, default=str))
    finally:
        if server is not None:
            server.stop()
    plot([stake.averaged(r, stake.Runs.of_args(args)) for r in results], out, args.rounds)
    report(summary)
    return summary


def summarize(args, results: list[dict], wall: float) -> dict:
    views = [stake.averaged(r, stake.Runs.of_args(args)) for r in results]  # test: run means
    return {"args": {k: str(v) for k, v in vars(args).items()}, "seeds": results,
            "wall_seconds": round(wall, 1),
            "paired_audit_minus_random": {f"round{i}": {m: paired(results, i, m) for m in METRICS}
                                          for i in range(1, args.rounds + 1)},
            "paired_on_test": {f"round{i}": {m: paired(views, i, m, "test")
                                             for m in stake.TEST_METRICS}
                               for i in range(1, args.rounds + 1)}}  # fmt: skip


def _f(x) -> str:
    return "-" if x is None else f"{x:.2f}" if isinstance(x, float) else str(x)


def report(summary: dict) -> None:
    for r in summary["seeds"]:
        f = r["find"]
        print(f"seed {r['seed']}: {r['planted']} planted of {r['train_rows']} training rows "
              f"(base rate {f['base_rate']:.3f}) {r['planted_by_kind']}")  # fmt: skip
        for name, v in f["precision"].items():
            print(
                f"  {name:<29} "
                + "  ".join(
                    f"{kn} {c['precision']:.2f} ({_f(c['x_base_rate'])}x)" for kn, c in v.items()
                )
            )
        for kind, tab in f["by_kind"].items():
            print(
                f"  {kind:<16} k=planted: "
                + "  ".join(
                    f"{name.split(' (')[0]} {v['k=planted']['precision']:.2f}"
                    f" ({_f(v['k=planted']['x_base_rate'])}x)"
                    for name, v in tab.items()
                )
            )
        print(f"  round 0 ({r['round0']['model']}): {r['round0']['metrics']}")
        print(f"          trains on {r['round0']['composition']}")
        i = 1
        while f"round{i}" in r:
            rr = r[f"round{i}"]
            for arm in ARMS:
                print(f"  round {i} {arm:<6}: {rr['held_out'][arm]}")
                print(f"     picked {rr['picked'][arm]}")
                print(f"     trains on {rr['composition'][arm]}")
            print(f"     planted left {rr['remaining_planted']}  cost {rr['cost']}")
            i += 1
        steps = r["steps"]
        print(f"  wall time (s) at {steps['sft']} SFT steps per run, folds {steps['folds']}, "
              f"pretrain steps {steps['pretrain']}: {r['seconds']}")  # fmt: skip
    for rn, ms in summary["paired_audit_minus_random"].items():
        for m, d in ms.items():
            print(f"{rn} audit - random {m}: mean {_f(d['mean'])} 95% interval {d['ci95']} "
                  f"({d['diffs']})")  # fmt: skip
    for line in stake.markdown(summary):
        print(line)
    print(f"wall time: {summary['wall_seconds']:.0f} s")


def _ms(values: list) -> str:
    """mean ± sd over seeds (sd only with two or more)."""
    v = [x for x in values if x is not None]
    if not v:
        return "-"
    mean = statistics.fmean(v)
    return f"{mean:.2f} ± {statistics.stdev(v):.2f}" if len(v) > 1 else f"{mean:.2f}"


def markdown(summary: dict) -> str:
    """The tables docs/active-learning.md shows, from a RESULTS.json (mean ± sd over seeds)."""
    seeds = summary["seeds"]
    st = seeds[0]["steps"]
    if st["pretrain"] is None:
        start = "a given start (--pretrained)"
    else:
        where = (f"{st['pretrain_videos']} other videos" if st.get("pretrain_videos")
                 else "the first seed's videos")  # fmt: skip
        start = f"{st['pretrain']} pretraining steps on {where}"
        if st.get("base_sft"):
            start += f", then {st['base_sft']} grounding SFT steps on their clean labels"
        made = (
            "made by an earlier run into the same --out, " if summary.get("pretrain_reused") else ""
        )
        start += f" ({made}{summary.get('pretrain_seconds', 0) / 60:.0f} min, once)"
    lines = [f"{len(seeds)} seeds ({', '.join(str(r['seed']) for r in seeds)}); "
             f"this invocation's wall time {summary['wall_seconds'] / 60:.0f} min (seeds "
             f"finished before are reused; per-seed compute below); every run: {st['sft']} SFT "
             f"steps from the base; folds {st['folds']}; base: {start}", "",
             "| ranking | precision@k, k = planted | x base rate | precision, top 5% | x base rate |",
             "| --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for name in seeds[0]["find"]["precision"]:
        cells = []
        for k in ("k=planted", "k=5%"):
            cells += [_ms([100 * r["find"]["precision"][name][k]["precision"] for r in seeds]),
                      _ms([r["find"]["precision"][name][k]["x_base_rate"] for r in seeds])]  # fmt: skip
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    base = _ms([100 * r["find"]["base_rate"] for r in seeds])
    lines += [f"| base rate | {base} | 1 | {base} | 1 |", "",
              "| kind (k = planted, x base rate) | " + " | ".join(seeds[0]["find"]["precision"]) + " |",
              "| --- |" + " ---: |" * len(seeds[0]["find"]["precision"])]  # fmt: skip
    for kind in seeds[0]["find"]["by_kind"]:
        row = [_ms([r["find"]["by_kind"][kind][name]["k=planted"]["x_base_rate"] for r in seeds])
               for name in seeds[0]["find"]["precision"]]  # fmt: skip
        lines.append(f"| {kind} | " + " | ".join(row) + " |")
    lines += ["", "| held-out, greedy | " + " | ".join(
        ["round 0"] + [f"round {i} {arm}" for i in range(1, 9) if f"round{i}" in seeds[0]
                       for arm in ARMS]) + " |"]  # fmt: skip
    n_rounds = sum(f"round{i}" in seeds[0] for i in range(1, 9))
    lines.append("| --- |" + " ---: |" * (1 + 2 * n_rounds))
    for m in ("mIoU", "R1@0.5", "refusal_auc", "refusal_acc@frr0.1"):
        row = [_ms([r["round0"]["metrics"][m] for r in seeds])]
        for i in range(1, n_rounds + 1):
            row += [_ms([r[f"round{i}"]["held_out"][arm][m] for r in seeds]) for arm in ARMS]
        lines.append(f"| {m} | " + " | ".join(row) + " |")
    row = [_ms([r["planted"] for r in seeds])]
    for i in range(1, n_rounds + 1):
        row += [_ms([r[f"round{i}"]["remaining_planted"][arm] for r in seeds]) for arm in ARMS]
    lines.append("| planted rows left | " + " | ".join(row) + " |")
    row = ["-"]
    for i in range(1, n_rounds + 1):
        row += [_ms([r[f"round{i}"]["cost"][arm]["seconds_per_fixed_error"] for r in seeds])
                for arm in ARMS]  # fmt: skip
    lines.append("| seconds watched per fixed error | " + " | ".join(row) + " |")
    lines += ["", "| audit − random (paired) | mean | 95% interval | per seed |",
              "| --- | ---: | --- | --- |"]  # fmt: skip
    for rn, ms in summary["paired_audit_minus_random"].items():
        for m, d in ms.items():
            ci = "-" if d["ci95"] is None else f"[{d['ci95'][0]:.2f}, {d['ci95'][1]:.2f}]"
            lines.append(f"| {rn} {m} | {_f(d['mean'])} | {ci} | "
                         f"{', '.join(f'{x:+.2f}' for x in d['diffs'])} |")  # fmt: skip
    lines += stake.markdown(summary)
    return "\n".join(lines)


def check_rates(out: Path, number: int = 1) -> dict:
    """Per check, how often it fired on the correct training rows and on each planted kind,
    in round `number`'s out-of-fold audit of every seed under `out` (summed over seeds), with
    its measured weight: which checks carry evidence and which only look rare."""
    from tvgcurate.loop import loop_state

    fired: dict[str, Counter] = {}
    measured: dict[str, Counter] = {}
    false_alarms: dict[str, list[float]] = {}
    seeds = []
    for root in sorted(Path(out).glob("seed*")):
        ws = Workspace(root / "ws")
        rounds = loop_state(ws.root).get("rounds", []) if (root / "ws").is_dir() else []
        audit = rounds[number - 1]["steps"].get("audit", {}) if len(rounds) >= number else {}
        if "audits_version" not in audit:
            continue  # a seed that did not get this far
        seeds.append(root.name)
        kind = {p["sample_id"]: p["kind"] for p in json.loads((root / "planted.json").read_text())}
        truth = json.loads((root / "truth.json").read_text())
        rates: dict[str, float] = {}
        for r in ws.read("audits", audit["audits_version"]).to_pylist():
            sid = r["sample_id"]
            if r["check"] == "priority":
                for c, d in json.loads(r["data"] or "{}").get("flags", {}).items():
                    rates[c] = d["false_alarm"]
                continue
            if truth.get(sid, {}).get("split") != "train" or r["score"] is None:
                continue
            k = kind.get(sid, "correct")
            measured.setdefault(r["check"], Counter())[k] += 1
            if r["is_issue"]:
                fired.setdefault(r["check"], Counter())[k] += 1
        for c, f in rates.items():
            false_alarms.setdefault(c, []).append(f)
    kinds = ["correct", *KINDS]
    which = f"round {number - 1}" if number > 1 else "round 0"
    lines = [
        f"{which}'s out-of-fold audit (loop round {number}), {', '.join(seeds)} "
        "(fired / measured, summed)",
        "",
        "| check | f (mean) | " + " | ".join(kinds) + " |",
        "| --- | ---: |" + " ---: |" * len(kinds),
    ]
    for c in sorted(fired):
        f = statistics.fmean(false_alarms[c]) if c in false_alarms else None
        cells = [f"{fired[c][k]}/{measured[c][k]}" if measured[c][k] else "-" for k in kinds]
        lines.append(f"| {c} | {_f(f)} | " + " | ".join(cells) + " |")
    return {"fired": {c: dict(v) for c, v in fired.items()},
            "measured": {c: dict(v) for c, v in measured.items()}, "seeds": seeds,
            "markdown": "\n".join(lines)}  # fmt: skip


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--markdown":  # tables from a finished run
        print(markdown(json.loads(Path(sys.argv[2]).read_text())))
    elif len(sys.argv) == 3 and sys.argv[1] == "--check-rates":  # from a run's directory
        print(check_rates(Path(sys.argv[2]))["markdown"])
    else:
        main()
