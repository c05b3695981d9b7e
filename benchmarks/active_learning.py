"""Active learning over disagreements, end to end (issue 14): the model finds label errors
that no rule can see, and one relabel round of the audit's top-k beats k rows at random.

Steps (each a function below; `main` runs them per seed):

1. `plant_noise`: corrupt `--noise` of the TRAINING rows of the learning benchmark's headline
   task (benchmarks/learning.py `build_task`) with errors no rule check sees: a window moved
   by 30-60% of its length inside the video (`moved`), the window of another shape of the
   same video (`swapped`), an absent shape's query labelled relevant with some window
   (`false_positive`). What was planted goes to planted.json; held-out rows stay clean.
2. Round 0: train on the noisy labels, score every split with `--num-samples K`, audit with
   the rule and the model checks (trust earned on the held-out split).
3. `precision_table`: precision@k of the planted rows for the priority, the model checks
   alone, the rule checks alone and random, at k = planted count and k = 5%.
4. Relabel: the audit's top-k pushed to a real local Label Studio, answered by a scripted
   annotator from the ground truth at each task's fps, pulled with consensus; the control
   workspace (a copy) gets k rows drawn at random, relabelled the same way.
5. Round 1: both workspaces retrained from the same start for the same steps; held-out
   mIoU and R1@0.5 of round 0, round 1 (audit) and round 1 (random); planted rows left.
6. Plots: precision@k curves and round metrics, into --out (copy to docs/images/).

    .venv/bin/python benchmarks/active_learning.py --out /tmp/tvg_al            # the experiment
    .venv/bin/python benchmarks/active_learning.py --out /tmp/tvg_al --quick    # smoke (demo data)

`--quick` runs the whole pipeline on a tiny demo workspace (demo-data videos, its own planted
errors plus the noise above) with a few training steps: it checks the plumbing, not the
claim. The Label Studio server is started here (tvgcurate.labeling.server) unless `--url`
names a running one (key in LABEL_STUDIO_API_KEY). RESULTS.json, precision.png and
rounds.png go into --out.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import math
import random
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tvgcurate.workspace import Workspace  # noqa: E402

KINDS = ("moved", "swapped", "false_positive")

# -- the task ---------------------------------------------------------------------------


def learning_module():
    """benchmarks/learning.py as a module (its `build_task` makes the headline task)."""
    spec = importlib.util.spec_from_file_location("learning_bench", REPO / "benchmarks/learning.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


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


def plant_noise(ws: Workspace, share: float, seed: int, train_split: str = "train") -> list[dict]:
    """Corrupt `share` of the training rows (kinds in turn); write a samples version and
    return what was planted: [{sample_id, kind, before, after}]."""
    import pyarrow as pa

    rng = random.Random(seed)
    rows = ws.read("samples").to_pylist()
    by_video: dict[str, list[dict]] = {}
    for r in rows:  # the clean labels (copies): a swap takes another shape's true window
        by_video.setdefault(r["video_id"], []).append(dict(r, windows=list(r["windows"] or [])))
    train = [r for r in rows if r["split"] == train_split]
    rng.shuffle(train)
    target = max(1, round(share * len(train)))
    planted = []
    for r in train:
        if len(planted) >= target:
            break
        before = [(w["start"], w["end"]) for w in r["windows"] or []]
        after, kind = None, None
        for j in range(len(KINDS)):  # kinds in turn; the first that fits this row
            kind = KINDS[(len(planted) + j) % len(KINDS)]
            after = _corrupt(kind, r, before, by_video[r["video_id"]], rng)
            if after is not None:
                break
        if after is None:
            continue
        r["windows"] = [{"start": float(a), "end": float(b)} for a, b in after]
        if kind == "false_positive":
            r["relevance"] = "relevant"
        planted.append({"sample_id": r["sample_id"], "kind": kind, "before": before,
                        "after": after})  # fmt: skip
    ws.write(
        "samples",
        pa.Table.from_pylist(rows, schema=ws.read("samples").schema),
        command="benchmarks/active_learning.py plant_noise",
        note=f"{len(planted)} noisy training labels",
        validate=False,
    )  # fmt: skip  (the table's own stored schema, read back above)
    return planted


def _corrupt(kind: str, r: dict, before, same_video: list[dict], rng) -> list | None:
    """The planted windows of one kind for row `r`, or None when the kind does not fit."""
    dur = float(r["duration_s"] or 0.0)
    if kind == "moved" and r["relevance"] == "relevant" and before and dur > 0:
        s, e = before[0]
        length = e - s
        shift = rng.uniform(0.3, 0.6) * length * rng.choice((-1, 1))
        ns = min(max(0.0, s + shift), max(0.0, dur - length))
        if abs(ns - s) < 0.3 * length - 1e-6:  # clamped at an edge: try the other way
            ns = min(max(0.0, s - shift), max(0.0, dur - length))
        return [(ns, ns + length)] if abs(ns - s) >= 0.3 * length - 1e-6 else None
    if kind == "swapped" and r["relevance"] == "relevant" and before:
        others = [[(w["start"], w["end"]) for w in o["windows"]] for o in same_video
                  if o["relevance"] == "relevant" and o["windows"]]  # fmt: skip
        others = [o for o in others if o != before]
        return rng.choice(others) if others else None
    if kind == "false_positive" and r["relevance"] == "irrelevant" and dur > 0:
        length = rng.uniform(0.15, 0.4) * dur
        s = rng.uniform(0.0, dur - length)
        return [(s, s + length)]
    return None


# -- 2-3. round 0 and what it finds -------------------------------------------------------


def loop_config(ws: Workspace, args, out: Path, seed: int, url: str | None, key: str | None):
    from tvgcurate.loop import LoopConfig

    return LoopConfig(
        workspace=ws.root, rounds=1, budget=1, labelstudio=url, api_key=key,
        offline=None if url else out / "offline", train_steps=args.steps,
        num_samples=args.num_samples, encoder="hashing", seed=seed, runs=out / "runs",
        sets=sft_sets(args), model=str(args.start),
    )  # fmt: skip


def sft_sets(args) -> list[str]:
    """Recipe overrides of every SFT run: the ladder's irrelevant share, then --set."""
    return [f"sft.irrelevant_share={args.irrelevant_share}", *args.set]


def pretrained(ws: Workspace, args, root: Path, seed: int) -> Path:
    """The start of every training run of a seed: --pretrained, or tiny's pretraining
    stand-in (`--pretrain-steps` yes/no steps on this workspace's videos), run once."""
    if args.pretrained:
        return Path(args.pretrained)
    from tvgcurate.model.config import build_config
    from tvgcurate.model.train import train

    steps = args.pretrain_steps
    sets = ["report_to=[]", f"pretrain.max_steps={steps}", f"pretrain.save_steps={steps}"]
    cfg = build_config(REPO / "recipes" / "tiny-cpu.yaml", sets, workspace=ws.root,
                       output=root / "pretrain", model="tiny", stage="pretrain", seed=seed)  # fmt: skip
    return train(cfg).final


def precision_table(audits, planted: set[str], n: int, seed: int) -> dict:
    """precision@k of the planted rows for each ranking at k = planted and k = 5%."""
    from tvgcurate.curation.audit.ranking import PRIORITY, family_rankings, precision_curve

    rows = audits.to_pylist()
    prio = sorted((r for r in rows if r["check"] == PRIORITY), key=lambda r: r["rank"])
    fams = family_rankings([r for r in rows if r["check"] != PRIORITY])
    ids = [r["sample_id"] for r in prio]
    rnd = ids[:]
    random.Random(seed).shuffle(rnd)
    rankings = {"priority": ids, "model checks": fams.get("model", []),
                "rule checks": fams.get("rules", []), "random": rnd}  # fmt: skip
    ks = {"k=planted": max(1, len(planted)), "k=5%": max(1, math.ceil(0.05 * n))}
    table = {name: {kn: precision_curve(r, planted, [k])[0] for kn, k in ks.items()}
             for name, r in rankings.items()}  # fmt: skip
    curve_ks = list(range(1, min(n, 4 * max(1, len(planted))) + 1))
    curves = {name: precision_curve(r, planted, curve_ks) for name, r in rankings.items()}
    return {"base_rate": len(planted) / n if n else 0.0, "k": ks, "precision": table,
            "curves": {"k": curve_ks, **curves}, "rankings": rankings}  # fmt: skip


# -- 4. relabel -------------------------------------------------------------------------


def annotator_script(path: Path, truth: dict[str, dict]) -> Path:
    """A scripted annotator answering from the clean labels at each task's fps (frames)."""
    (path.parent / "truth.json").write_text(json.dumps(truth))
    path.write_text(
        "import json\nfrom pathlib import Path\nfrom tvgcurate.loop import moment_result\n"
        f"TRUTH = json.loads(Path({str(path.parent / 'truth.json')!r}).read_text())\n"
        "def annotate(task):\n"
        "    t = TRUTH[task['data']['sample_id']]\n"
        "    if t['relevance'] == 'irrelevant' or not t['windows']:\n"
        "        return moment_result([], task['data']['fps'], 'irrelevant')\n"
        "    return moment_result(t['windows'], task['data']['fps'], t['relevance'])\n"
    )
    return path


def relabel(ws: Workspace, ids: list[str], project: str, url: str, key: str, script: Path,
            document_root: Path):  # fmt: skip
    """Push `ids` to Label Studio, answer them with the script, pull with consensus."""
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
    return decided.samples_version


# -- 5. rounds ----------------------------------------------------------------------------


def train_and_score(ws: Workspace, args, out: Path, seed: int, run_id: str) -> dict:
    """Train from the same start for the same steps, score held-out rows greedily."""
    from tvgcurate.model.config import build_config
    from tvgcurate.model.train import train

    recipe = REPO / "recipes" / "tiny-cpu.yaml"
    sets = ["report_to=[]", f"sft.max_steps={args.steps}", f"sft.save_steps={args.steps}",
            *sft_sets(args)]  # fmt: skip
    cfg = build_config(recipe, sets, workspace=ws.root, output=out, model=str(args.start),
                       stage="sft", seed=seed)  # fmt: skip
    res = train(cfg)
    return held_out(ws, args, res.output, seed, run_id)


def held_out(ws: Workspace, args, checkpoint: Path, seed: int, run_id: str) -> dict:
    """Greedy held-out metrics of a trained run (the same for every round)."""
    from tvgcurate.model.score import ScoreConfig, headline, score

    m = score(ScoreConfig(workspace=ws.root, checkpoint=checkpoint, split=args.val_split,
                          run_id=run_id, seed=seed)).metrics  # fmt: skip
    h = headline(m)
    return {"mIoU": h["mIoU"], "R1@0.5": h["R1@0.5"], "refusal_acc": h["refusal_acc_irrelevant"]}


def remaining(ws: Workspace, planted: list[dict]) -> int:
    """Planted rows whose label is still the planted one."""
    now = {s["sample_id"]: s for s in ws.read("samples").to_pylist()}
    left = 0
    for p in planted:
        s = now.get(p["sample_id"])
        wins = [(w["start"], w["end"]) for w in (s or {}).get("windows") or []]
        left += bool(s) and [tuple(w) for w in p["after"]] == wins
    return left


# -- the experiment -------------------------------------------------------------------------


def one_seed(args, seed: int, url: str, key: str) -> dict:
    from tvgcurate.loop import loop_state, run_loop

    root = Path(args.out) / f"seed{seed}"
    shutil.rmtree(root, ignore_errors=True)
    ws = (demo_task if args.quick else headline_task)(root, args, seed)
    truth = truth_of(ws)
    planted = plant_noise(ws, args.noise, seed)
    (root / "planted.json").write_text(json.dumps(planted, indent=1))
    start = ws.current("samples").version
    control_root = root / "control-ws"
    shutil.copytree(ws.root, control_root)  # the sibling workspace, same start

    t = time.perf_counter()
    args.start = pretrained(ws, args, root, seed)
    cfg = loop_config(ws, args, root, seed, None, None)
    run_loop(cfg, steps=("train", "score", "audit"))
    rec = loop_state(ws.root)["rounds"][0]
    audits = ws.read("audits", rec["steps"]["audit"]["audits_version"])
    n = len([s for s in truth.values() if s["split"] == "train"])
    found = precision_table(audits, {p["sample_id"] for p in planted}, n, seed)
    k = found["k"]["k=planted"]
    round0 = {"metrics": held_out(ws, args, Path(rec["steps"]["train"]["run_dir"]), seed,
                                  "r0-greedy"),
              "sampled_metrics": rec["steps"]["score"]["metrics"],
              "trust": rec["steps"]["audit"]["trust"],
              "seconds": round(time.perf_counter() - t, 1)}  # fmt: skip

    script = annotator_script(root / "annotate.py", truth)
    train_ids = [
        i for i in found["rankings"]["priority"] if truth.get(i, {}).get("split") == "train"
    ]
    top = train_ids[:k]
    rnd = train_ids[:]
    random.Random(seed + 1).shuffle(rnd)
    doc = Path(args.document_root or args.out).resolve()
    v_audit = relabel(ws, top, f"al seed{seed} audit", url, key, script, doc)
    control = Workspace(control_root)
    v_random = relabel(control, rnd[:k], f"al seed{seed} random", url, key, script, doc)

    res = {"seed": seed, "planted": len(planted), "k": k, "start_version": start,
           "find": {kk: v for kk, v in found.items() if kk != "rankings"}, "round0": round0,
           "relabelled_versions": {"audit": v_audit, "random": v_random}}  # fmt: skip
    res["round1"] = {
        "audit": train_and_score(ws, args, root / "r1-audit", seed, "r1-audit"),
        "random": train_and_score(control, args, root / "r1-random", seed, "r1-random"),
    }
    res["remaining_planted"] = {"audit": remaining(ws, planted),
                                "random": remaining(control, planted)}  # fmt: skip
    return res


def plot(results: list[dict], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.2), squeeze=False)
    for ax, r in zip(axes[0], results, strict=True):
        c = r["find"]["curves"]
        for name in ("priority", "model checks", "rule checks", "random"):
            ax.plot(c["k"], c[name], label=name)
        ax.axhline(r["find"]["base_rate"], ls="--", color="grey", lw=1)
        ax.axvline(r["k"], ls=":", color="grey", lw=1)
        ax.set(title=f"seed {r['seed']}: planted rows in the top k", xlabel="k",
               ylabel="precision@k", ylim=(0, 1.02))  # fmt: skip
        ax.legend(fontsize=7)
    paths.append(out / "precision.png")
    fig.savefig(paths[-1], dpi=90, bbox_inches="tight")
    plt.close(fig)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, metric in zip(axes, ("mIoU", "R1@0.5"), strict=True):
        for r in results:
            ys = [r["round0"]["metrics"].get(metric), r["round1"]["audit"].get(metric),
                  r["round1"]["random"].get(metric)]  # fmt: skip
            ax.plot(["round 0", "round 1 audit", "round 1 random"],
                    [float("nan") if y is None else y for y in ys], marker="o",
                    label=f"seed {r['seed']}")  # fmt: skip
        ax.set(title=f"held-out {metric}")
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
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--noise", type=float, default=0.15, help="Share of training rows planted.")
    p.add_argument("--train-videos", type=int, default=1000)
    p.add_argument("--val-videos", type=int, default=100)
    p.add_argument("--size", type=int, default=112, help="Rendered frame size (the ladder's).")
    p.add_argument("--steps", type=int, default=2000, help="SFT steps of every training run.")
    p.add_argument(
        "--pretrained",
        type=Path,
        default=None,
        help="Pretrained stand-in to start every run from (e.g. benchmarks/learning.py's "
        "RUNG/seedN/pretrain/final); default: pretrain here, once per seed.",
    )
    p.add_argument("--pretrain-steps", type=int, default=2000, help="When not --pretrained.")
    p.add_argument("--irrelevant-share", type=float, default=0.3, help="SFT's (the ladder's).")
    p.add_argument("--num-samples", type=int, default=4, help="K answers when scoring.")
    p.add_argument("--val-split", default="val")
    p.add_argument("--url", default=None, help="A running Label Studio (default: start one).")
    p.add_argument(
        "--document-root",
        type=Path,
        default=None,
        help="--url's LOCAL_FILES_DOCUMENT_ROOT (default: --out; it must hold --out).",
    )
    p.add_argument("--set", action="append", default=[], help="Recipe override KEY=VALUE.")
    args = p.parse_args(argv)
    if args.quick:
        args.train_videos, args.val_videos, args.steps, args.num_samples = 4, 2, 2, 2
        args.pretrain_steps, args.size = 2, 56
        args.seeds = args.seeds[:1] if args.seeds == [0, 1] else args.seeds
        args.noise = max(args.noise, 0.3)
    return args


def main(argv=None) -> dict:
    import os

    args = parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    server = None
    if args.url:
        url, key = args.url, os.environ["LABEL_STUDIO_API_KEY"]
    else:
        server = start_server(out)
        url, key = server.url, server.credentials.token
    try:
        results = [one_seed(args, s, url, key) for s in args.seeds]
    finally:
        if server is not None:
            server.stop()
    summary = {"args": {k: str(v) for k, v in vars(args).items()}, "seeds": results}
    (out / "RESULTS.json").write_text(json.dumps(summary, indent=1, default=str))
    plot(results, out)
    for r in results:
        p = r["find"]["precision"]
        print(f"seed {r['seed']}: {r['planted']} planted, base rate {r['find']['base_rate']:.2f}")
        for name, v in p.items():
            print(f"  {name:<13} " + "  ".join(f"{k} {x:.2f}" for k, x in v.items()))
        print(f"  round 0 {r['round0']['metrics']}  trust {r['round0']['trust']}")
        print(f"  round 1 audit {r['round1']['audit']}  random {r['round1']['random']}")
        print(f"  planted rows left: {r['remaining_planted']}")
    return summary


if __name__ == "__main__":
    main()
