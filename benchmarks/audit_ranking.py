"""Precision@k of the audit's combined priority against planted errors, vs random.

    # a planted demo, ingested, with keyframes and (optionally) a scored run:
    tvgcurate demo-data --out demo --num-videos 12 --plant-errors
    tvgcurate ingest demo/qvhighlights/*.jsonl demo/charades/*.txt demo/activitynet/*.json \\
        --workspace ws --videos demo/videos
    tvgcurate keyframes --workspace ws
    tvgcurate train -w ws --model tiny --stage sft --recipe recipes/tiny-cpu.yaml --max-steps 30 -o run
    tvgcurate score -w ws --checkpoint run --split all --num-samples 4
    .venv/bin/python -m benchmarks.audit_ranking --workspace ws --demo demo [--run RUN_ID]

Prints, for k = 5% of the annotated samples (and 10%, 20%, and k = planted), the share of
planted errors in the top k of the audit's priority (evidence = sum of ln((1-f)/f) over a
sample's flags, f measured per check) for: the annotation checks alone; with the scored run
(if given); and with an "oracle" predictions table that answers every query with its true
interval (`tvgcurate.demo.evaluate.oracle_predictions`). Random = the planted share of the
set. Precision@k is `curation.audit.ranking.precision_curve`. Audits are not written.
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path, required=True)
    ap.add_argument("--demo", type=Path, required=True, help="demo-data directory (ground truth)")
    ap.add_argument("--run", default=None, help="predictions run_id of a scored checkpoint")
    ap.add_argument("--encoder", default="hashing")
    args = ap.parse_args()

    import pyarrow as pa

    from tvgcurate.curation.audit import AuditConfig, run_audit
    from tvgcurate.curation.audit.ranking import precision_curve
    from tvgcurate.demo.data import load_ground_truth
    from tvgcurate.demo.evaluate import oracle_predictions
    from tvgcurate.workspace import Workspace

    gt = load_ground_truth(args.demo)
    planted = {p["sample_id"] for p in gt["planted"]}
    tmp = Path(tempfile.mkdtemp()) / "ws"
    shutil.copytree(args.workspace, tmp)  # the oracle table is written to a copy only
    ws = Workspace(tmp)
    samples = ws.read("samples", columns=["sample_id", "origin"]).to_pylist()
    source = {r["sample_id"] for r in samples if not (r["origin"] or "").startswith("synthetic")}
    n = len(source)
    base = len(planted & source) / n
    print(f"{n} annotated samples, {len(planted & source)} planted ({base:.1%} = random)")
    fracs = (0.05, 0.1, 0.2)
    ks = [math.ceil(f * n) for f in fracs] + [max(1, len(planted & source))]
    print("| ranking | agreement | " + " | ".join(f"P@{f:.0%} (k={k})" for f, k in zip(fracs, ks)) + f" | P@planted (k={ks[-1]}) | lift @5% |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    variants = [("annotation checks only", None)]
    if args.run:
        variants.append((f"+ scored run `{args.run}`", args.run))
    old = ws.read("predictions")
    oracle = oracle_predictions(gt)
    table = pa.concat_tables([old.select(oracle.column_names).cast(oracle.schema), oracle]) if old.num_rows else oracle  # fmt: skip
    ws.write("predictions", table)
    variants.append(("+ oracle predictions (stand-in)", "oracle"))
    for label, run in variants:
        res = run_audit(
            AuditConfig(
                workspace=tmp, predictions=run, encoder=args.encoder, write=False, progress=False
            )
        )
        ranked = [s for s in res.ranked() if s in source]
        ps = precision_curve(ranked, planted, ks)
        trust = "-" if res.trust is None else f"{res.trust:.2f}"
        print(
            f"| {label} | {trust} | "
            + " | ".join(f"{p:.0%}" for p in ps)
            + f" | {ps[0] / base:.1f}x |"
        )
        print("  " + " / ".join(res.weighing()))
    shutil.rmtree(tmp.parent)


if __name__ == "__main__":
    main()
