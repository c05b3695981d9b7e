"""What a relabel round can win in benchmarks/active_learning.py, measured beside the arms.

- `test_task`: a held-out TEST task of `--test-videos` other videos (its own task seed),
  built once per experiment and shared by every seed. The val split (40 videos, about 100
  relevant rows) is what the loop's trust reads; one model's mIoU on it moves by several
  points with the held-out rows alone, so every model is also scored, greedy, on the test
  task, and the paired audit - random difference is reported on both.
- `ceilings`: the same noisy training set with planted rows put back to their clean labels
  by hand (no Label Studio), trained and scored like an arm: all of them, the relevance
  errors only (false_positive, present_absent) and the window errors only (moved, swapped,
  boundary). Noisy round 0 against "all planted fixed" is the whole stake of a seed; the
  two halves say which errors carry it.
- `separability`: how well the round-0 out-of-fold model tells each planted kind from the
  correct rows (rank AUC, 0.5 = chance): 1 - IoU of its top window with the label for the
  window kinds, P(refusal) for false_positive, 1 - P(refusal) for present_absent.

- `add_repeats` (`--repeats R`, `--arm-repeats A`): every model above trained R - 1 more
  times (the relabel rounds' arms: A - 1) with other training seeds on exactly its training
  labels (the samples version it trained on) and scored on the test task; the tables
  average each model over its runs. Runs on the same labels spread by up to about 2 points
  of test mIoU (sd), about what a relabel round wins, so one run per arm can hardly tell
  the arms apart.

Everything is kept in the seed's SEED.json under "stake" and in its rounds under "test"; a
seed finished before without them (or with other --test-videos) gets them added from its
saved checkpoints and labels, its arms are not retrained.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import re
import shutil
import statistics
from dataclasses import dataclass
from pathlib import Path

from tvgcurate.workspace import Workspace, file_lock

TEST_TASK_SEED = 3000  # --test-videos: a task seed no experiment seed (nor the base) uses
RELEVANCE_KINDS = ("false_positive", "present_absent")
WINDOW_KINDS = ("moved", "swapped", "boundary")
# the test tables' metrics: the paired ones and greedy refusal accuracy on the absent queries
TEST_METRICS = ("R1@0.5", "mIoU", "refusal_auc", "refusal_acc@frr0.1", "refusal_acc")
CEILINGS = {"all planted fixed": None, "relevance errors fixed": RELEVANCE_KINDS,
            "window errors fixed": WINDOW_KINDS}  # fmt: skip


def stake_settings(args) -> dict:
    """What decides a seed's stake, beside the seed's own settings."""
    return {"test_videos": str(getattr(args, "test_videos", None))}


def test_task(args, out: Path) -> Path | None:
    """The shared test workspace (built once; reused while its settings hold), or None."""
    from benchmarks import active_learning as al

    if not getattr(args, "test_videos", 0):
        return None
    root = out / "test-task"
    stamp = root / "TEST.json"
    want = {"quick": str(args.quick), "test_videos": args.test_videos, "size": args.size,
            "seed": TEST_TASK_SEED}  # fmt: skip
    if stamp.is_file() and json.loads(stamp.read_text()) == want:
        return root / "ws"
    shutil.rmtree(root, ignore_errors=True)
    # the headline task renders its training videos too: one is enough here
    task = argparse.Namespace(**{**vars(args), "val_videos": args.test_videos,
                                 "train_videos": args.train_videos if args.quick else 1})  # fmt: skip
    ws = (al.demo_task if args.quick else al.headline_task)(root, task, TEST_TASK_SEED)
    stamp.write_text(json.dumps(want))
    return ws.root


def on_test(args, checkpoint: Path, seed: int, run_id: str) -> dict:
    """Greedy metrics of one trained run on the test task (lanes take turns on it)."""
    from benchmarks import active_learning as al

    with file_lock(Path(args.out) / "test-task.lock"):
        return al.held_out(Workspace(args.test_ws), args, checkpoint, seed, f"seed{seed}-{run_id}")


def add_test(args, res: dict, root: Path, clock, save) -> None:
    """Every arm's model of every round (their saved runs under the seed's directory), scored
    on the test task, into res["round0"]["test"] and res[f"round{n}"]["test"][arm]."""
    from benchmarks.active_learning import ARMS

    if "test" not in res["round0"]:
        res["round0"]["test"] = clock("r0 test", on_test, args, root / "r0-full", res["seed"], "r0")
        save()
    n = 1
    while f"round{n}" in res:
        rnd = res[f"round{n}"].setdefault("test", {})
        for arm in ARMS:
            if arm not in rnd:
                rnd[arm] = clock(f"r{n} test {arm}", on_test, args, root / f"r{n}-{arm}",
                                 res["seed"], f"r{n}-{arm}")  # fmt: skip
                save()
        n += 1


def fixed_rows(ws: Workspace, start_version: int, planted: list[dict], kinds) -> list[dict]:
    """The noisy start's rows with the planted rows of `kinds` (None: all) put back to the
    clean rows (samples version start_version - 1, written before the noise)."""
    clean = {r["sample_id"]: r for r in ws.read("samples", start_version - 1).to_pylist()}
    fix = {p["sample_id"] for p in planted if kinds is None or p["kind"] in kinds}
    return [clean[r["sample_id"]] if r["sample_id"] in fix else r
            for r in ws.read("samples", start_version).to_pylist()]  # fmt: skip


def fresh_copy(root: Path, name: str) -> Path:
    """A scratch copy of the seed's workspace: each run there writes its labels as a new
    samples version and trains on it (training reads only the samples)."""
    work = root / name
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(root / "ws", work)
    return work


def train_on(args, work: Path, table, out: Path, tseed: int, clock, phase: str, note: str):
    """Write `table` as the copy's current samples, train like an arm: the run."""
    from benchmarks import active_learning as al

    Workspace(work).write("samples", table, command="benchmarks/active_learning_stake.py",
                          note=note, validate=False)  # fmt: skip
    return clock(f"{phase} train", al.train_full, Workspace(work), args, out, tseed)


def ceiling_slug(name: str) -> str:
    """A ceiling's short name (its first word): `--ceilings` and its run folders use it."""
    return name.split()[0]


def wanted_ceilings(args) -> list[str]:
    """The CEILINGS that `--ceilings` names (default: all)."""
    slugs = getattr(args, "ceilings", None)
    return [n for n in CEILINGS if slugs is None or ceiling_slug(n) in slugs]


def add_ceilings(args, res: dict, root: Path, planted: list[dict], clock, save) -> None:
    """Each of CEILINGS trained from the start like an arm and scored on val and the test
    task, into res["stake"]["ceilings"][name]: {"fixed", "held_out", "test"}."""
    from benchmarks import active_learning as al

    done = res.setdefault("stake", {}).setdefault("ceilings", {})
    todo = [name for name in wanted_ceilings(args) if name not in done]
    if not todo:
        return
    labels = model_labels(res, root, planted)
    work = fresh_copy(root, "ceiling-ws")
    for name in todo:
        kinds, slug = CEILINGS[name], ceiling_slug(name)
        run = train_on(args, work, labels[f"ceiling:{name}"](), root / f"ceiling-{slug}",
                       res["seed"], clock, f"ceiling {slug}", name)  # fmt: skip
        done[name] = {
            "fixed": sum(kinds is None or p["kind"] in kinds for p in planted),
            "held_out": al.held_out(Workspace(work), args, run.output, res["seed"], f"ceiling-{slug}"),
            "test": clock(f"ceiling {slug} test", on_test, args, run.output, res["seed"],
                          f"ceiling-{slug}"),
        }  # fmt: skip
        save()
    shutil.rmtree(work, ignore_errors=True)


def separability(ws: Workspace, start_version: int, planted: list[dict], run_id: str) -> dict:
    """Rank AUC (percent) of the out-of-fold run `run_id` telling each planted kind from the
    correct training rows of the same label side; rows without a prediction are left out."""
    import numpy as np

    from tvgcurate.curation.audit.predictions import refusal_prob, top_iou
    from tvgcurate.metrics import refusal_auc
    from tvgcurate.schemas.sample import expects_refusal

    preds = {p["sample_id"]: p for p in ws.read("predictions").to_pylist()
             if p["run_id"] == run_id and not p.get("error")}  # fmt: skip
    kind_of = {p["sample_id"]: p["kind"] for p in planted}
    out: dict = {}
    rows = [r for r in ws.read("samples", start_version).to_pylist()
            if r["split"] == "train" and r["sample_id"] in preds]  # fmt: skip
    for kind in sorted({p["kind"] for p in planted}):
        absent = kind == "present_absent"  # the only kind whose noisy label expects a refusal
        side = [r for r in rows if expects_refusal(r) == absent
                and kind_of.get(r["sample_id"], kind) == kind]  # fmt: skip
        if kind in WINDOW_KINDS:
            label = [[(w["start"], w["end"]) for w in r["windows"] or []] for r in side]
            score = [1.0 - top_iou(preds[r["sample_id"]]["windows"] or [], lab)
                     for r, lab in zip(side, label, strict=True)]  # fmt: skip
        else:
            p = [refusal_prob(preds[r["sample_id"]]) for r in side]
            score = [1.0 - x for x in p] if absent else p
        pos = np.array([kind_of.get(r["sample_id"]) == kind for r in side])
        auc = refusal_auc(np.array(score, dtype=float), pos)
        out[kind] = {"auc": None if auc is None else round(100 * auc, 1),
                     "planted": int(pos.sum()), "correct": int((~pos).sum())}  # fmt: skip
    return out


def repeat_seeds(seed: int, repeats: int) -> list[int]:
    """The training seeds of a model's runs after its first (which used `seed`)."""
    return [seed + 1000 * j for j in range(1, max(1, repeats))]


@dataclass(frozen=True)
class Runs:
    """Runs per model: `models` for round 0 and the ceilings (`--repeats`), `arms` for the
    relabel rounds' arms, the models of the paired difference (`--arm-repeats`; None: the
    same)."""

    models: int = 1
    arms: int | None = None

    def of(self, key: str) -> int:
        """The runs of model `key` (r0, r{n}-{arm}, ceiling:{name})."""
        return self.arms if self.arms and re.fullmatch(r"r[1-9]\d*-.+", key) else self.models

    @property
    def most(self) -> int:
        return max(self.models, self.arms or 0)

    @classmethod
    def of_args(cls, args) -> Runs:
        """From the benchmark's arguments, or RESULTS.json's "args" (strings)."""
        given = args if isinstance(args, dict) else vars(args)
        arms = given.get("arm_repeats")
        return cls(int(given.get("repeats") or 1), None if arms in (None, "None") else int(arms))


def _runs(runs: int | Runs) -> Runs:
    return runs if isinstance(runs, Runs) else Runs(runs)


def model_labels(res: dict, root: Path, planted: list[dict]) -> dict:
    """Every model of a seed -> a function giving the samples table it trained on: round 0
    (the noisy start), each round's arms (the version their relabel wrote), the ceilings."""
    import pyarrow as pa

    from benchmarks.active_learning import ARMS

    ws, start = Workspace(root / "ws"), res["start_version"]
    arm_ws = {"audit": ws, "random": Workspace(root / "control-ws")}
    out = {"r0": lambda: ws.read("samples", start)}
    n = 1
    while f"round{n}" in res:
        for arm in ARMS:
            v = res[f"round{n}"]["relabel"][arm]["samples_version"]
            out[f"r{n}-{arm}"] = lambda w=arm_ws[arm], v=v: w.read("samples", v)
        n += 1
    for name, kinds in CEILINGS.items():
        out[f"ceiling:{name}"] = lambda kinds=kinds: pa.Table.from_pylist(
            fixed_rows(ws, start, planted, kinds), schema=ws.read("samples", start).schema)  # fmt: skip
    return out


def add_repeats(args, res: dict, root: Path, planted: list[dict], clock, save) -> None:
    """The further runs of every model (`Runs`: --repeats, --arm-repeats), into
    res["stake"]["repeats"][model][training seed] (test metrics); the run itself is deleted
    once scored. Repeat j of every model comes before repeat j + 1."""
    runs = Runs.of_args(args)
    todo = repeat_seeds(res["seed"], runs.most)
    if not todo:
        return
    reps = res["stake"].setdefault("repeats", {})
    labels = model_labels(res, root, planted)
    work = None
    for tseed in todo:
        for key, table in labels.items():
            done = str(tseed) in reps.get(key, {})
            if done or tseed not in repeat_seeds(res["seed"], runs.of(key)):
                continue
            work = work or fresh_copy(root, "repeat-ws")
            slug = key.replace(":", "-").replace(" ", "-")
            run = train_on(args, work, table(), root / f"repeat-{slug}", tseed, clock,
                           f"{key} t{tseed}", f"{key}, training seed {tseed}")  # fmt: skip
            reps.setdefault(key, {})[str(tseed)] = clock(
                f"{key} test t{tseed}", on_test, args, run.output, res["seed"],
                f"{slug}-t{tseed}")  # fmt: skip
            shutil.rmtree(root / f"repeat-{slug}", ignore_errors=True)
            save()
    if work:
        shutil.rmtree(work, ignore_errors=True)


def averaged(res: dict, repeats: int | Runs) -> dict:
    """A copy of a seed's result whose test figures are each model's mean over its first
    run and its repeats among its first `repeats` runs (the result itself when none)."""
    want = repeat_seeds(res["seed"], _runs(repeats).most)
    if not res.get("stake", {}).get("repeats") or not want or "test" not in res["round0"]:
        return res
    out, runs = copy.deepcopy(res), model_runs(res, repeats)

    def mean(key: str) -> dict:
        return {m: statistics.fmean(v) if (v := metric_of(runs[key], m)) else None
                for m in runs[key][0]} | {"runs": len(runs[key])}  # fmt: skip

    out["round0"]["test"] = mean("r0")
    n = 1
    while f"round{n}" in res:
        for arm in res[f"round{n}"]["test"]:
            out[f"round{n}"]["test"][arm] = mean(f"r{n}-{arm}")
        n += 1
    for name in res["stake"].get("ceilings", {}):
        out["stake"]["ceilings"][name]["test"] = mean(f"ceiling:{name}")
    return out


def model_runs(res: dict, repeats: int | Runs) -> dict[str, list[dict]]:
    """Each model of a seed (r0, r{n}-{arm}, ceiling:{name}) -> its runs' test metrics: the
    first run, then its repeats among its first `repeats` runs (models not scored: none)."""
    reps, runs = res.get("stake", {}).get("repeats", {}), _runs(repeats)

    def want(key: str) -> list[str]:
        return [str(s) for s in repeat_seeds(res["seed"], runs.of(key))]

    firsts = {"r0": res["round0"].get("test")}
    n = 1
    while f"round{n}" in res:
        firsts |= {f"r{n}-{a}": m for a, m in res[f"round{n}"].get("test", {}).items()}
        n += 1
    firsts |= {
        f"ceiling:{k}": c["test"] for k, c in res.get("stake", {}).get("ceilings", {}).items()
    }
    return {key: [first] + [reps.get(key, {})[s] for s in want(key) if s in reps.get(key, {})]
            for key, first in firsts.items() if first}  # fmt: skip


def metric_of(runs: list[dict], metric: str) -> list[float]:
    """`metric` of each run that has it."""
    return [r[metric] for r in runs if r.get(metric) is not None]


def run_spread(results: list[dict], repeats: int | Runs, metric: str = "mIoU") -> dict | None:
    """The sd of `metric` over each model's runs (first run and repeats), over every model of
    every seed: median, min, max and the number of models; None without repeats."""
    sds = [statistics.stdev(v) for res in results for runs in model_runs(res, repeats).values()
           if len(v := metric_of(runs, metric)) > 1]  # fmt: skip
    if not sds:
        return None
    return {"median": statistics.median(sds), "min": min(sds), "max": max(sds), "models": len(sds)}


def training_part(summary: dict, rn: str, metric: str = "mIoU") -> dict | None:
    """The part of round `rn`'s paired audit - random variance (test task) that the training
    runs alone explain: one run's variance on fixed labels, pooled over the round's two arms
    of every seed, divided by the runs each arm model's figure averages, for both arms. None
    when a model has fewer than two runs."""
    from benchmarks.active_learning import ARMS

    repeats = Runs.of_args(summary["args"])
    runs = [metric_of(model_runs(r, repeats)[f"r{rn[len('round'):]}-{arm}"], metric)
            for r in summary["seeds"] for arm in ARMS]  # fmt: skip
    if any(len(v) < 2 for v in runs):
        return None
    one = statistics.fmean(statistics.variance(v) for v in runs)  # pooled: equal run counts
    per = statistics.fmean(len(v) for v in runs)
    return {"one_run_sd": math.sqrt(one), "runs": per, "variance": len(ARMS) * one / per}


def noise_share(summary: dict, metric: str = "mIoU") -> list[str]:
    """How much of each round's paired audit - random variance over seeds (test task) the
    training runs explain (`training_part`), as a table."""
    rows = []
    for rn, ms in summary.get("paired_on_test", {}).items():
        d = ms.get(metric, {}).get("diffs", [])
        part = training_part(summary, rn, metric)
        if len(d) < 2 or part is None:
            continue
        train, total = part["variance"], statistics.variance(d)
        share = f"{100 * train / total:.0f}%" if total else "-"  # equal differences: none
        rows.append(f"| {rn} | {part['one_run_sd']:.2f} | {part['runs']:g} | {train:.2f} | "
                    f"{total:.2f} | {share} |")  # fmt: skip
    if not rows:
        return []
    return ["", f"| paired {metric} difference, test task | one run's sd on fixed labels "
            "(pooled) | runs per model | training runs' part of its variance | its variance "
            "over seeds | share |", "| --- | ---: | ---: | ---: | ---: | ---: |", *rows]  # fmt: skip


def add_stake(args, res: dict, root: Path, planted: list[dict], clock, save) -> dict:
    """Test scores, ceilings and separability of one seed (whatever is missing; `save()`
    after each, so a crash redoes none of them)."""
    if not getattr(args, "test_videos", 0):
        return res
    add_test(args, res, root, clock, save)
    add_ceilings(args, res, root, planted, clock, save)
    add_repeats(args, res, root, planted, clock, save)
    stake = res["stake"]
    if "separability" not in stake and args.folds > 1:
        stake["separability"] = separability(Workspace(root / "ws"), res["start_version"],
                                             planted, "loop-r1")  # fmt: skip
    stake["settings"] = stake_settings(args)
    save()
    return res


def narrowing(summary: dict, metric: str = "mIoU") -> list[str]:
    """How the paired audit - random interval of `metric` on the test task narrows as seeds
    come in (the first n, in run order), and how many seeds would put it above 0 if the
    differences kept their mean and sd so far."""
    import statistics

    from benchmarks.active_learning import seeds_needed, t_interval

    rows = []
    for rn, ms in summary.get("paired_on_test", {}).items():
        d = ms.get(metric, {}).get("diffs", [])
        if len(d) < 2:
            continue
        cells = []
        for n in range(2, len(d) + 1):
            mean, (lo, hi) = t_interval(d[:n])
            cells.append(f"{n}: {mean:+.2f} [{lo:.2f}, {hi:.2f}]")
        need = seeds_needed(statistics.mean(d), statistics.stdev(d))
        rows.append(f"| {rn} audit − random {metric} | {'; '.join(cells)} | "
                    f"{'-' if need is None else need} |")  # fmt: skip
    if not rows:
        return []
    return ["", "| as seeds come in (test task) | first n seeds: mean [95% interval] | seeds an "
            "interval above 0 would take at this mean and sd |", "| --- | --- | ---: |", *rows]  # fmt: skip


def markdown(summary: dict) -> list[str]:
    """The test task's tables (none when the seeds have no stake): every arm and ceiling,
    the paired audit - random difference on it, and the separability per planted kind."""
    from benchmarks.active_learning import ARMS, _f, _ms

    repeats = Runs.of_args(summary["args"])
    seeds = [averaged(r, repeats) for r in summary["seeds"] if "test" in r["round0"]]
    if not seeds or len(seeds) < len(summary["seeds"]):
        return []
    runs = {r["round0"]["test"].get("runs", 1) for r in seeds}
    arm_runs = {t.get("runs", 1) for r in seeds for i in range(1, 9) if f"round{i}" in r
                for t in r[f"round{i}"]["test"].values()}  # fmt: skip
    n_rounds = sum(f"round{i}" in seeds[0] for i in range(1, 9))
    names = list(seeds[0].get("stake", {}).get("ceilings", {}))
    cols = ["round 0"] + [f"round {i} {arm}" for i in range(1, n_rounds + 1) for arm in ARMS]
    test_videos = summary["args"].get("test_videos", "?")
    each = (
        f"each figure: one model's mean over {'/'.join(map(str, sorted(runs)))} training "
        "seeds on the same labels"
        if runs != {1}
        else "each figure: one training run"
    )
    if arm_runs != runs:
        each += (f" (the rounds' arms: {'/'.join(map(str, sorted(arm_runs)))}, "
                 "`--arm-repeats`)")  # fmt: skip
    lines = ["", f"Test task ({test_videos} other videos), greedy; {each}; mean ± sd over seeds:",
             "", f"| test task ({test_videos} other videos), greedy | " + " | ".join(cols + names)
             + " |", "| --- |" + " ---: |" * (len(cols) + len(names))]  # fmt: skip
    for m in TEST_METRICS:
        row = [_ms([r["round0"]["test"][m] for r in seeds])]
        for i in range(1, n_rounds + 1):
            row += [_ms([r[f"round{i}"]["test"][arm][m] for r in seeds]) for arm in ARMS]
        row += [_ms([r["stake"]["ceilings"][n]["test"][m] for r in seeds]) for n in names]
        lines.append(f"| {m} | " + " | ".join(row) + " |")
    if names:
        row = [_ms([r["planted"] for r in seeds])] + ["-"] * (len(cols) - 1)
        row += [_ms([r["stake"]["ceilings"][n]["fixed"] for r in seeds]) for n in names]
        lines.append("| planted rows fixed (ceilings) / planted (round 0) | " + " | ".join(row)
                     + " |")  # fmt: skip
    lines += ["", "| on the test task | mean | 95% interval | per seed |",
              "| --- | ---: | --- | --- |"]  # fmt: skip
    for rn, ms in summary.get("paired_on_test", {}).items():
        for m, d in ms.items():
            ci = "-" if d["ci95"] is None else f"[{d['ci95'][0]:.2f}, {d['ci95'][1]:.2f}]"
            lines.append(f"| {rn} audit − random {m} | {_f(d['mean'])} | {ci} | "
                         f"{', '.join(f'{x:+.2f}' for x in d['diffs'])} |")  # fmt: skip
    for n in names:  # what each ceiling wins over the noisy start, paired per seed
        d = [r["stake"]["ceilings"][n]["test"]["mIoU"] - r["round0"]["test"]["mIoU"]
             for r in seeds]  # fmt: skip
        lines.append(f"| {n} − round 0 mIoU | {_ms(d)} | - | {', '.join(f'{x:+.2f}' for x in d)} |")
    lines += narrowing(summary)
    arms = [sum(r.get("seconds", {}).values()) / 60 for r in summary["seeds"]]
    more = [sum(r.get("stake", {}).get("seconds", {}).values()) / 60 for r in summary["seeds"]]
    staked = (f", the stake {_ms(more)} min (`stake.seconds`: test scores, ceilings, repeats)"
              if all(more) else "")  # fmt: skip
    lines += ["", f"Compute per seed, one core: the arms {_ms(arms)} min (`seconds`){staked}."]
    spread = run_spread(summary["seeds"], repeats)
    if spread:
        lines += ["", f"Training-seed spread: test mIoU sd over each model's runs on the same "
                  f"labels, median {spread['median']:.2f}, range {spread['min']:.2f}-"
                  f"{spread['max']:.2f} ({spread['models']} models)."]  # fmt: skip
    lines += noise_share(summary)
    sep = [r["stake"].get("separability") for r in seeds if r.get("stake")]
    if sep and all(sep):
        lines += ["", "| planted kind | round-0 out-of-fold model tells it from correct rows "
                  "(rank AUC, %) | planted rows |", "| --- | ---: | ---: |"]  # fmt: skip
        for kind in sep[0]:
            lines.append(f"| {kind} | {_ms([s[kind]['auc'] for s in sep if kind in s])} | "
                         f"{_ms([s[kind]['planted'] for s in sep if kind in s])} |")  # fmt: skip
    return lines
