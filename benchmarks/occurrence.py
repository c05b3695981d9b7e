"""Precision and recall of the multiple-occurrence audit check on demo data (docs/audit.md,
"Multiple occurrences").

    .venv/bin/python -m benchmarks.occurrence            # the table in docs/audit.md
    .venv/bin/python -m benchmarks.occurrence --json out.json

`demo-data --plant-errors` plants ``repeated_event``: the queried shape is on screen in two
separated intervals while the label has one (every query of that shape is planted). The
truth of each query is its video's content (`occurrences` in ground_truth.json), not its
label.

The answers are SYNTHETIC, not a model's: the untrained demo model's answers carry no
information about the video, so the check is measured on K answers drawn from the
ground truth with noise. Per answer: with `fail` it is unparseable, with `refuse` a refusal,
with `confuse` the interval of another shape of the same video, else one occurrence of the
queried shape (a repeated event: the second one with probability `second`), its start and
end each moved by N(0, (`jitter` x length)^2) seconds. These are the numbers of a check fed
a model whose answers look like this, not of any trained model.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from tvgcurate.curation.audit import build_checks
from tvgcurate.curation.audit.context import AuditContext
from tvgcurate.demo.data import DemoConfig, generate, load_ground_truth

SETTINGS = (  # (K, confuse, the check's min_answers)
    (4, 0.0, 2),
    (8, 0.0, 2),
    (8, 0.1, 2),
    (8, 0.1, 3),
    (8, 0.2, 2),
    (8, 0.2, 3),
    (16, 0.2, 2),
    (16, 0.2, 4),
)


def demo_queries(seed: int, num_videos: int, root: Path) -> tuple[list[dict], dict]:
    """The demo's queries (ground truth, no videos rendered) and its videos by id."""
    out = root / f"demo-{seed}"
    generate(DemoConfig(out=out, num_videos=num_videos, seed=seed, plant_errors=True,
                        write_videos=False))  # fmt: skip
    gt = load_ground_truth(out)
    return gt["queries"], {v["video_id"]: v for v in gt["videos"]}


def answers(q: dict, video: dict, k: int, rng, *, confuse: float, second: float = 0.4,
            jitter: float = 0.15, fail: float = 0.05, refuse: float = 0.05) -> list[str]:  # fmt: skip
    """K synthetic answer texts for query `q` (see the module docstring)."""
    occ = q["occurrences"]
    others = [
        [s["start"], s["end"]]
        for s in video["shapes"]
        if (s["shape"], s["colour"]) != (q["shape"]["shape"], q["shape"]["colour"])
    ]
    dur = float(video["duration"])
    texts = []
    for _ in range(k):
        u = rng.random()
        if u < fail:
            texts.append("the shape is there")
            continue
        if u < fail + refuse:
            texts.append("<answer>none</answer>")
            continue
        if others and rng.random() < confuse:
            s, e = others[int(rng.integers(len(others)))]
        elif len(occ) > 1 and rng.random() < second:
            s, e = occ[1]
        else:
            s, e = occ[0]
        sd = jitter * (e - s)
        s, e = sorted(np.clip([s + rng.normal(0, sd), e + rng.normal(0, sd)], 0, dur))
        texts.append(f"<answer>{s:.1f} to {max(e, s + 0.1):.1f}</answer>")
    return texts


def measure(
    queries: list[tuple[dict, dict]], k: int, confuse: float, min_answers: int, seed: int
) -> dict:
    """Run the check on synthetic answers; counts against the truth (two occurrences)."""
    rng = np.random.default_rng(seed)
    samples, preds = [], {}
    for q, video in queries:
        sid = q["sample_id"]
        samples.append({"sample_id": sid, "video_id": q["video_id"], "relevance": "relevant",
                        "windows": [{"start": s, "end": e} for s, e in q["windows"]],
                        "origin": "source"})  # fmt: skip
        preds[sid] = {"sample_id": sid, "samples_text": answers(q, video, k, rng, confuse=confuse)}
    ctx = AuditContext(samples, predictions=preds, run_id="synthetic")
    check = build_checks(  # min_samples 2: the grouping itself at every K (the default
        ["multiple_occurrence"],  # abstains below K = 6, the row K = 4 shows why)
        {
            "multiple_occurrence.min_answers": str(min_answers),
            "multiple_occurrence.min_samples": "2",
        },
    )
    rows = check[0].rows(ctx, "benchmark")
    flagged = {r["sample_id"] for r in rows if r["is_issue"]}
    truth = {q["sample_id"] for q, _ in queries if len(q["occurrences"]) > 1}
    tp = len(flagged & truth)
    return {
        "K": k,
        "confuse": confuse,
        "min_answers": min_answers,
        "queries": len(queries),
        "repeated": len(truth),
        "flagged": len(flagged),
        "caught": tp,
        "precision": round(tp / len(flagged), 3) if flagged else None,
        "recall": round(tp / len(truth), 3) if truth else None,
    }


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5, help="Demo data sets (seeds 0..N-1).")
    ap.add_argument("--num-videos", type=int, default=30, help="Videos per demo data set.")
    ap.add_argument("--json", type=Path, default=None, help="Also write the results here.")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        queries = []
        for seed in range(args.seeds):
            qs, videos = demo_queries(seed, args.num_videos, Path(tmp))
            # sample ids repeat across seeds: make them unique
            queries += [({**q, "sample_id": f"{seed}/{q['sample_id']}"}, videos[q["video_id"]])
                        for q in qs]  # fmt: skip
    results = [measure(queries, k, c, m, seed=k * 100 + int(c * 10)) for k, c, m in SETTINGS]
    print(f"{'K':>3} {'confuse':>7} {'min_answers':>11} {'queries':>7} {'repeated':>8} "
          f"{'flagged':>7} {'precision':>9} {'recall':>6}")  # fmt: skip
    for r in results:
        print(f"{r['K']:>3} {r['confuse']:>7} {r['min_answers']:>11} {r['queries']:>7} "
              f"{r['repeated']:>8} {r['flagged']:>7} {r['precision']!s:>9} {r['recall']!s:>6}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
