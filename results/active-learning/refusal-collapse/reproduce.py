"""The refusal collapse of the 2026-12-02 run, rerun with that run's own code (commit 552765c).

That run (docs/active-learning.md, "The refusal collapse of an earlier run") trained one model
per arm and saw greedy refusal accuracy 0.0 (audit) against 90.5 (random) on seed 1. This
script remakes that run's seed 1 (1,000 training videos, 677 planted rows) and trains each set
of labels (the noisy ones, each arm's, parts of the audit arm's) with several training seeds,
each scored on the same held-out split, greedily, as that run did.

It calls the functions of commit 552765c's benchmarks (`benchmarks/active_learning.py`,
`benchmarks/learning.py`) from a git worktree of that commit, so the code is the one that ran:
1. the stand-in that run started from: the learning ladder's headline task (3,000 training
   videos, task seed 0) and 2,000 pretraining steps, training seed 0 (`learning.train_run`,
   `--threads` torch threads: 1, the ladder's default, gives that run's stand-in; its
   round 0 comes out to the last digit);
2. that run's seed-1 task and noise (`headline_task`, `plant_noise`);
3. `train_and_score` (2,000 SFT steps, irrelevant share 0.3, greedy held-out metrics) with
   the `--noise-seeds` in two lanes (1 torch thread each, the recipe's). Training seed 1 is
   that run's own: its round 0 trained these labels with seed 1;
4. the two arms as that run's `one_seed` made them, with training seed 1's model as round 0:
   score every split with K = 4, audit (hashing encoder), relabel the priority's top k
   (k = planted) and k random training rows (`random.Random(2)`) through a real local Label
   Studio with that run's scripted annotator, then train each arm with the `--arm-seeds`
   (one lane per arm);
5. with `--half-seeds`: the audit arm's relabel kept only on its false positives (`fp`) or only
   on its moved and swapped windows (`win`), the rest put back to the noisy labels, each
   trained like an arm.

    git worktree add /tmp/old552 552765c
    # that run's stand-in (1 thread): round 0 and two more training seeds on its labels,
    # both arms, the audit arm's two halves
    PYTHONPATH=/tmp/old552 .venv/bin/python results/active-learning/refusal-collapse/reproduce.py \
        --old /tmp/old552 --out OUT1 --threads 1 --noise-seeds 1 2 3 --arm-seeds 1 2 --half-seeds 1
    # a stand-in made the same way on 2 threads: four training seeds, then the two arms
    PYTHONPATH=/tmp/old552 .venv/bin/python results/active-learning/refusal-collapse/reproduce.py \
        --old /tmp/old552 --out OUT2 --threads 2 --noise-seeds 1 2 3 4 --arm-seeds 1 2 3

Each takes about 70 minutes on 2 cores. Finished steps are kept (a rerun skips the stand-in, the task,
the picks and the trainings already recorded). Output: OUT/results.jsonl (one line per
training seed on the noisy labels), OUT/arms.jsonl (one line per arm and training seed),
OUT/halves.jsonl, OUT/arms/picked.json (the two arms' rows); copied here into threads1/
and threads2/ (with `refusal_auc`, which that code did not report).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

STAND_IN = Path("H0") / "multi" / "seed0" / "pretrain" / "final"  # under OUT


def refusal_auc(ws, run_id: str) -> float:
    """ROC AUC (x100) of the run's refusal score for held-out rows labelled irrelevant (that
    code reports only greedy refusal accuracy)."""
    from sklearn.metrics import roc_auc_score

    preds = [r for r in ws.read("predictions").to_pylist() if r["run_id"] == run_id]
    rel = {r["sample_id"]: r["relevance"] for r in ws.read("samples").to_pylist()}
    y = [rel[r["sample_id"]] != "relevant" for r in preds]
    return round(100 * roc_auc_score(y, [r["refusal_score"] for r in preds]), 2)


def trained(ws, al, args, run_dir: Path, seed: int, run_id: str) -> dict:
    """`train_and_score` (that code's) plus the refusal AUC and the wall time."""
    shutil.rmtree(run_dir, ignore_errors=True)
    t = time.perf_counter()
    m = al.train_and_score(ws, args, run_dir, seed, run_id)
    return {**m, "refusal_auc": refusal_auc(ws, run_id), "train_seed": seed,
            "seconds": round(time.perf_counter() - t)}  # fmt: skip


def old_modules(old: Path):
    sys.path.insert(0, str(old))
    sys.path.insert(0, str(old / "benchmarks"))
    import tvgcurate

    if Path(tvgcurate.__file__).resolve().parents[1] != old.resolve():
        sys.exit(f"tvgcurate comes from {tvgcurate.__file__}: run with PYTHONPATH={old}")
    import active_learning as al  # commit 552765c's

    return al, al.learning_module()


def stand_in(out: Path, learning, threads: int) -> Path:
    final = out / STAND_IN
    if final.is_dir():
        return final
    ws = learning.build_task(out / "H0" / "multi", 3000, 100, 0, 112, "multi")
    args = argparse.Namespace(set=[], threads=threads, console=None, verbose=False)
    res, secs = learning.train_run(ws, out / "H0" / "multi" / "seed0", "pretrain", "tiny",
                                   learning.steps_sets("pretrain", 2000), args, 0)  # fmt: skip
    print(f"[stand-in] {secs:.0f} s: {res.final}", flush=True)
    return final


def task(out: Path, al) -> None:
    root = out / "seed1"
    if (root / "planted.json").exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    args = argparse.Namespace(train_videos=1000, val_videos=100, size=112)
    ws = al.headline_task(root, args, 1)
    planted = al.plant_noise(ws, 0.15, 1)
    (root / "planted.json").write_text(json.dumps(planted))
    print(f"[task] {len(planted)} planted rows", flush=True)


def train_each(out: Path, al, ws, runs: Path, seeds: list[int], run: str, log: str,
               tag: dict) -> None:  # fmt: skip
    """Train `ws`'s labels once per training seed from the stand-in, scored greedily, as run
    `run` (a template for the seed) under `runs`; each result is one line of OUT/`log` (with
    `tag`), and seeds already there are skipped."""
    path = out / log
    done = [json.loads(line) for line in (path.read_text().splitlines() if path.exists() else [])]
    have = {r["train_seed"] for r in done if all(r.get(k) == v for k, v in tag.items())}
    start = out / STAND_IN
    args = argparse.Namespace(steps=2000, irrelevant_share=0.3, set=[], start=start,
                              val_split="val")  # fmt: skip
    for s in seeds:
        if s in have:
            continue
        name = run.format(s)
        m = {**tag, **trained(ws, al, args, runs / name, s, name)}
        print(f"[{log} training seed {s}] {m}", flush=True)
        with open(path, "a") as f:
            f.write(json.dumps(m) + "\n")


def lane(out: Path, al, name: str, seeds: list[int]) -> None:
    """The noisy labels, on a copy of the task (lanes write predictions)."""
    from tvgcurate.workspace import Workspace

    root = out / f"lane-{name}"
    if not (root / "ws").exists():
        shutil.copytree(out / "seed1", root, symlinks=True)
    train_each(out, al, Workspace(root / "ws"), root, seeds, "sft-t{}", "results.jsonl", {})


def truth(ws, planted: list[dict]) -> dict[str, dict]:
    """The clean labels (that run's `truth_of` before planting): planted rows put back."""
    by_id = {p["sample_id"]: p for p in planted}
    out = {}
    for s in ws.read("samples").to_pylist():
        t = {"windows": [(w["start"], w["end"]) for w in s["windows"] or []],
             "relevance": s["relevance"], "video_id": s["video_id"],
             "duration_s": s["duration_s"], "split": s["split"]}  # fmt: skip
        p = by_id.get(s["sample_id"])
        if p is not None:
            t["windows"] = [tuple(w) for w in p["before"]]
            t["relevance"] = "irrelevant" if p["kind"] == "false_positive" else t["relevance"]
        out[s["sample_id"]] = t
    return out


def picks(out: Path, al) -> None:
    """Round 0's audit and both arms' relabel, as that run's `one_seed` did them."""
    import random

    from tvgcurate.curation.audit import AuditConfig, RankingConfig, run_audit
    from tvgcurate.model.score import ScoreConfig, score
    from tvgcurate.workspace import Workspace

    root = out / "arms"
    if (root / "relabelled.json").exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(out / "seed1", root, symlinks=True)
    shutil.copytree(root / "ws", root / "control-ws")  # the random arm's, before round 0
    ws = Workspace(root / "ws")
    planted = json.loads((root / "planted.json").read_text())
    clean = truth(ws, planted)
    round0 = next(out.glob("lane-*/sft-t1"))  # training seed 1: that run's round 0
    score(ScoreConfig(workspace=ws.root, checkpoint=round0, split=None, num_samples=4,
                      run_id="r0", seed=1))  # fmt: skip
    res = run_audit(AuditConfig(workspace=ws.root, predictions="r0", checks=None,
                                encoder="hashing", progress=False,
                                ranking=RankingConfig(train_split="train")))  # fmt: skip
    n = sum(t["split"] == "train" for t in clean.values())
    found = al.precision_table(ws.read("audits", res.version),
                               {p["sample_id"] for p in planted}, n, 1)  # fmt: skip
    k = found["k"]["k=planted"]
    ids = [i for i in found["rankings"]["priority"] if clean[i]["split"] == "train"]
    rnd = ids[:]
    random.Random(2).shuffle(rnd)
    (root / "picked.json").write_text(json.dumps({"audit": ids[:k], "random": rnd[:k],
                                                  "precision": found["precision"]}))  # fmt: skip
    os.environ.setdefault("TVGCURATE_LABEL_STUDIO",
                          str(Path(__file__).resolve().parents[3] / ".venv-labelstudio" / "bin"
                              / "label-studio"))  # fmt: skip
    server = al.start_server(out)
    try:
        script = al.annotator_script(root / "annotate.py", clean)
        key = server.credentials.token
        al.relabel(ws, ids[:k], "al seed1 audit", server.url, key, script, out.resolve())
        al.relabel(Workspace(root / "control-ws"), rnd[:k], "al seed1 random", server.url, key,
                   script, out.resolve())  # fmt: skip
    finally:
        server.stop()
    left = {"audit": al.remaining(ws, planted),
            "random": al.remaining(Workspace(root / "control-ws"), planted)}  # fmt: skip
    (root / "relabelled.json").write_text(json.dumps({"planted_left": left}))
    print(f"[arms] relabelled; planted rows left {left}", flush=True)


def arm(out: Path, al, name: str, seeds: list[int]) -> None:
    """One arm's labels (the audit arm's workspace, or the random arm's control copy)."""
    from tvgcurate.workspace import Workspace

    root = out / "arms"
    ws = Workspace(root / ("ws" if name == "audit" else "control-ws"))
    train_each(out, al, ws, root, seeds, f"r1-{name}-t{{}}", "arms.jsonl", {"arm": name})


HALVES = {"fp": {"false_positive"}, "win": {"moved", "swapped"}}


def half(out: Path, al, name: str, seeds: list[int]) -> None:
    """The audit arm with its relabel kept only on the planted rows of one part (`fp`: the
    false positives, `win`: the moved and swapped windows); every other relabelled row is
    put back to its noisy label. Trained like an arm."""
    import pyarrow as pa

    from tvgcurate.workspace import Workspace

    root = out / f"half-{name}"
    if not (root / "ws").exists():
        kinds = {
            p["sample_id"]: p["kind"]
            for p in json.loads((out / "seed1" / "planted.json").read_text())
        }
        noisy = {
            r["sample_id"]: r for r in Workspace(out / "seed1" / "ws").read("samples").to_pylist()
        }
        shutil.copytree(out / "arms" / "ws", root / "ws", symlinks=True)
        ws = Workspace(root / "ws")
        table = ws.read("samples")
        rows = table.to_pylist()
        for i, r in enumerate(rows):
            if (r.get("origin") or "").startswith("relabel") and kinds.get(
                r["sample_id"]
            ) not in HALVES[name]:
                n = noisy[r["sample_id"]]
                rows[i] = {**r, "windows": n["windows"], "relevance": n["relevance"]}
        ws.write("samples", pa.Table.from_pylist(rows, schema=table.schema), note=f"half {name}",
                 validate=False)  # fmt: skip
    train_each(out, al, Workspace(root / "ws"), root, seeds, f"half-{name}-t{{}}", "halves.jsonl",
               {"half": name})  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--old", type=Path, required=True, help="A worktree of commit 552765c.")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--lane", default=None, help=argparse.SUPPRESS)
    p.add_argument("--seeds", type=int, nargs="*", default=[], help=argparse.SUPPRESS)
    p.add_argument("--arm", default=None, help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=1, help="The stand-in's torch threads.")
    p.add_argument(
        "--noise-seeds",
        type=int,
        nargs="+",
        default=[1, 2, 3, 4],
        help="Training seeds on the noisy labels (1: that run's round 0).",
    )
    p.add_argument(
        "--arm-seeds",
        type=int,
        nargs="+",
        default=[1, 2],
        help="Training seeds of each arm (1: that run's).",
    )
    p.add_argument("--half-seeds", type=int, nargs="*", default=[],
                   help="Training seeds of the audit arm's halves (fp, win); none: skip them.")  # fmt: skip
    a = p.parse_args()
    al, learning = old_modules(a.old)
    a.out.mkdir(parents=True, exist_ok=True)
    if a.lane:
        return lane(a.out, al, a.lane, a.seeds)
    if a.arm in HALVES:
        return half(a.out, al, a.arm, a.seeds)
    if a.arm:
        return arm(a.out, al, a.arm, a.seeds)
    if 1 not in a.noise_seeds:
        sys.exit("--noise-seeds must hold 1: its model is round 0")
    stand_in(a.out, learning, a.threads)
    task(a.out, al)
    env = {**os.environ, "PYTHONPATH": str(a.old)}
    cmd = [sys.executable, __file__, "--old", str(a.old), "--out", str(a.out)]

    def two(flag: str, jobs) -> None:
        procs = [subprocess.Popen([*cmd, flag, n, "--seeds", *map(str, s)], env=env)
                 for n, s in jobs]  # fmt: skip
        if any([pr.wait() for pr in procs]):  # wait for every lane, then judge
            sys.exit(f"a {flag[2:]} failed")

    two("--lane", (("a", a.noise_seeds[0::2]), ("b", a.noise_seeds[1::2])))
    picks(a.out, al)
    two("--arm", (("audit", a.arm_seeds), ("random", a.arm_seeds)))
    if a.half_seeds:
        two("--arm", (("fp", a.half_seeds), ("win", a.half_seeds)))
    for name in ["results.jsonl", "arms.jsonl"] + ["halves.jsonl"] * bool(a.half_seeds):
        print(name)
        for line in (a.out / name).read_text().splitlines():
            print(" ", line)


if __name__ == "__main__":
    main()
