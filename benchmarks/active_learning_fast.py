"""Active learning over disagreements, in minutes: the binding harness with noisy labels.

The fast twin of `benchmarks/active_learning.py` (which runs the real train -> score ->
audit -> Label Studio loop on a workspace). Here everything stays in memory and the
annotator is simulated, so one run of the whole experiment fits in about 40 minutes of a
loaded 2-core CPU:

1. a fixed pool of training videos (binding.py's task, 2-3 shapes per video); a share of its
   rows gets labels that no rule check can see: a window moved by 30-60% of its length
   inside the video (`shift`), another shape's window of the same video (`swap`), and an
   absent shape's query labelled with a window (`false_positive`). Held-out rows stay clean;
2. `tiny` gets the pretraining stand-in once (fresh videos, not the pool), saved;
3. round 0: SFT from that checkpoint on the noisy pool; the model scores every pool row:
   disagreement = P(refusal) on a row labelled "none" inverted, and on a labelled window
   p + (1 - p)(1 - IoU(model window, label)) with p = P(refusal);
4. precision@k of the planted rows at k = the planted count and 5%, for the model's
   ranking, the rule checks (start after end, past the duration, zero length: none of the
   planted rows breaks them) and random;
5. the top-k rows are relabelled from the truth (the simulated annotator); the control
   relabels k random rows; round 1 retrains both from the same pretrained checkpoint for
   the same steps; held-out metrics for round 0, round 1 (audit) and round 1 (random).

    .venv/bin/python benchmarks/active_learning_fast.py --out /tmp/al_fast --seed 0
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import binding as B  # noqa: E402

KINDS = ("shift", "swap", "false_positive")


def plant(pool: list[dict], share: float, rng: random.Random) -> list[dict]:
    """Corrupt `share` of the pool's rows in place (labels only); returns what was planted."""
    rows = [(vi, qi) for vi, v in enumerate(pool) for qi in range(len(v["qa"]))]
    rng.shuffle(rows)
    want = round(share * len(rows))
    planted = []
    for vi, qi in rows:
        if len(planted) >= want:
            break
        v = pool[vi]
        q, w = v["qa"][qi]
        kind = KINDS[len(planted) % 3]
        new = None
        if kind == "false_positive" and w is None:
            length = rng.randint(1, max(1, v["n"] // 2))
            s = rng.randint(0, v["n"] - length)
            new = (s, s + length)
        elif kind == "swap" and w is not None:
            others = [x for _, x in v["qa"] if x is not None and x != w]
            new = rng.choice(others) if others else None
        elif kind == "shift" and w is not None:
            length = w[1] - w[0]
            d = max(1, round(rng.uniform(0.3, 0.6) * length))
            options = [s for s in (w[0] - d, w[0] + d) if s >= 0 and s + length <= v["n"]]
            if options:
                s = rng.choice(options)
                new = (s, s + length)
        if new is None:
            continue
        v["qa"][qi] = (q, new)
        planted.append({"video": vi, "row": qi, "kind": kind, "truth": w, "label": new})
    return planted


def pool_rows(pool: list[dict]) -> list[dict]:
    out = []
    for vi, v in enumerate(pool):
        for qi, (q, w) in enumerate(v["qa"]):
            out.append({**v, "video": vi, "row": qi, "query": q, "gt": w})
    return out


def disagreement(rec: dict, label) -> float:
    p = rec["p_refuse"]
    if label is None:
        return 1.0 - p
    return p + (1.0 - p) * (1.0 - B.iou(rec["window"], label))


def rule_flags(row: dict) -> bool:
    """The window rules the audit runs (start after end, past the duration, zero length)."""
    w = row["gt"]
    return w is not None and (w[0] >= w[1] or w[1] > row["n"] or w[0] < 0)


def precision_at(ranked: list[tuple], planted: set, k: int) -> float:
    return sum(key in planted for key in ranked[:k]) / max(1, k)


def main(argv=None) -> dict:
    import torch

    from tvgcurate.model.eta import TimestampFormat
    from tvgcurate.model.tiny import TinyConfig, build_tiny

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--pool", type=int, default=1000, help="training videos")
    p.add_argument("--noise", type=float, default=0.15, help="share of rows corrupted")
    p.add_argument("--pretrain-steps", type=int, default=1200)
    p.add_argument("--steps", type=int, default=2000, help="SFT steps per round")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--heldout", type=int, default=300)
    p.add_argument("--phase", choices=["all", "round0", "round1"], default="all")
    p.add_argument("--arm", choices=["audit", "random", "both"], default="both")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--folds",
        type=int,
        default=1,
        help="round 0 scores out of fold: F models, each trained on the pool minus 1/F of "
        "its videos, score the rows they did not see (cleanlab's habit; 1: in sample)",
    )
    p.add_argument("--no-query-first", action="store_true", help="frames before the query only")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)

    # the harness's arguments (binding.py's defaults, as in its headline runs)
    targs = B.argparse.Namespace(
        lr=5e-4,
        batch=8,
        turns=3,
        caption_batch=32,
        pretrain_kind="presence",
        pretrain_max_frames=4,
        curriculum=False,
        mix_presence=False,
        irrelevant_share=None,  # each pool video's own Q/A list
        presence=False,
        eval_every=0,
        probe_every=10**9,
        seed=args.seed,
        heldout=args.heldout,
        pretrain_steps=args.pretrain_steps,
        steps=args.steps,
    )
    task = B.Task()
    fmt = TimestampFormat.for_max_duration(task.max_frames)

    def fresh():
        torch.manual_seed(args.seed)
        model, proc = build_tiny(
            TinyConfig(seed=args.seed, initializer_range=0.088, intermediate_size=256)
        )
        B.add_word_tokens(proc, model)
        return model, proc

    log_f = (args.out / "curve.jsonl").open("a")

    def log(rec):
        log_f.write(json.dumps(rec) + "\n")
        log_f.flush()
        print(json.dumps(rec), flush=True)

    ckpt = args.out / "pretrained.pt"
    model, proc = fresh()
    enc = B.Encoder(proc, fmt, not args.no_query_first)
    if not ckpt.exists():  # the first slice of the one schedule; SFT continues it (as run G)
        state: dict = {}
        rec = B.train(model, enc, targs, task, log, stop=args.pretrain_steps, state=state)
        log({"phase": "pretrain", **rec})
        torch.save({"model": model.state_dict(), "opt": state["opt"]}, ckpt)

    rng = random.Random(1000 + args.seed)
    pool = [B.make_video(rng, task) for _ in range(args.pool)]
    truth = [list(v["qa"]) for v in pool]
    planted = plant(pool, args.noise, random.Random(2000 + args.seed))
    planted_keys = {(x["video"], x["row"]) for x in planted}
    noisy = [list(v["qa"]) for v in pool]

    def sft(labels, tag, videos=None):
        """SFT from the pretrained checkpoint on the pool (or its `videos`) with `labels`."""
        model, proc = fresh()
        saved = torch.load(ckpt)
        model.load_state_dict(saved["model"])
        enc = B.Encoder(proc, fmt, not args.no_query_first)
        for v, qa in zip(pool, labels):
            v["qa"] = list(qa)
        t0 = time.time()
        B.train(
            model,
            enc,
            targs,
            task,
            lambda r: log({"phase": tag, **r}),
            pool=pool if videos is None else [pool[i] for i in videos],
            start_step=args.pretrain_steps,
            state={"opt": saved["opt"]},
        )
        held = B.evaluate(model, enc, targs, task)
        return model, enc, held, round(time.time() - t0, 1)

    result_path = args.out / "RESULTS.json"
    result = json.loads(result_path.read_text()) if result_path.exists() else {}
    result.update(
        {
            "args": {k: str(v) for k, v in vars(args).items()},
            "planted": len(planted),
            "rows": sum(len(q) for q in noisy),
            "planted_kinds": {k: sum(x["kind"] == k for x in planted) for k in KINDS},
        }
    )

    if args.phase in ("all", "round0"):
        rows = pool_rows(pool)
        if args.folds == 1:  # the model scores the rows it was trained on
            model, enc, held, secs = sft(noisy, "round0")
            recs = B.predict(model, enc, rows)
        else:  # out of fold: each video's rows are scored by a model that never saw them
            recs, folds = [None] * len(rows), []
            for f in range(args.folds):
                train_on = [vi for vi in range(len(pool)) if vi % args.folds != f]
                model, enc, held_f, secs = sft(noisy, f"round0_fold{f}", videos=train_on)
                mine = [i for i, r in enumerate(rows) if r["video"] % args.folds == f]
                for i, rec in zip(mine, B.predict(model, enc, [rows[i] for i in mine])):
                    recs[i] = rec
                folds.append({"heldout": held_f, "seconds": secs})
                # the fold models saw half the pool: their held-out is not round 0's
            held, secs = folds[0]["heldout"], sum(f["seconds"] for f in folds)
            result["round0_folds"] = folds
        scored = [
            {
                "key": (r["video"], r["row"]),
                "score": disagreement(rec, r["gt"]),
                "rule": rule_flags(r),
            }
            for r, rec in zip(rows, recs)
        ]
        by_model = [s["key"] for s in sorted(scored, key=lambda s: -s["score"])]
        shuffled = [s["key"] for s in scored]
        random.Random(3000 + args.seed).shuffle(shuffled)
        flagged = {s["key"] for s in scored if s["rule"]}
        by_rule = sorted(shuffled, key=lambda key: key not in flagged)  # ties stay random
        k = len(planted)
        k5 = round(0.05 * len(rows))
        curve = {
            name: [precision_at(r, planted_keys, kk) for kk in range(10, len(rows) // 3, 10)]
            for name, r in (("model", by_model), ("rules", by_rule), ("random", shuffled))
        }
        result["round0"] = {"heldout": held, "seconds": secs}
        result["find"] = {
            "base_rate": k / len(rows),
            "k": k,
            "k5": k5,
            "rule_flags": sum(s["rule"] for s in scored),
            **{
                f"{name}@k": precision_at(r, planted_keys, k)
                for name, r in (("model", by_model), ("rules", by_rule), ("random", shuffled))
            },
            **{
                f"{name}@5%": precision_at(r, planted_keys, k5)
                for name, r in (("model", by_model), ("rules", by_rule), ("random", shuffled))
            },
            "by_kind@k": {
                kind: sum(
                    (x["video"], x["row"]) in set(by_model[:k])
                    for x in planted
                    if x["kind"] == kind
                )
                for kind in KINDS
            },
            "curve_k": list(range(10, len(rows) // 3, 10)),
            "curve": curve,
        }
        (args.out / "ranking.json").write_text(
            json.dumps({"model": by_model[:k], "random": shuffled[:k]})
        )
        result_path.write_text(json.dumps(result, indent=1))
        print(json.dumps(result["find"], indent=1)[:1500])

    if args.phase in ("all", "round1"):
        ranking = json.loads((args.out / "ranking.json").read_text())
        arms = ["audit", "random"] if args.arm == "both" else [args.arm]
        for arm in arms:
            chosen = {tuple(x) for x in ranking["model" if arm == "audit" else "random"]}
            labels = [list(q) for q in noisy]
            for vi, qi in chosen:
                labels[vi][qi] = truth[vi][qi]  # the simulated annotator answers from the truth
            left = len(planted_keys - chosen)
            _, _, held, secs = sft(labels, f"round1_{arm}")
            result = json.loads(result_path.read_text())
            result[f"round1_{arm}"] = {
                "heldout": held,
                "seconds": secs,
                "planted_left": left,
                "relabelled": len(chosen),
            }
            result_path.write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
