"""Audit the real QVHighlights train+val and Charades-STA files and print the docs tables.

    .venv/bin/python -m benchmarks.audit_realdata --workspace /tmp/ws-real

Ingests ../shared/data (when the workspace has no samples yet), runs `tvgcurate audit`'s
library function, and prints markdown: counts per check and source, 3 examples per check,
and the threshold sweeps behind docs/audit.md. Every number comes from the audit table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FILES = [
    DATA / "qvhighlights" / "highlight_train_release.jsonl",
    DATA / "qvhighlights" / "highlight_val_release.jsonl",
    DATA / "lighthouse" / "charades_train_release.jsonl",
    DATA / "lighthouse" / "charades_test_release.jsonl",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path, required=True)
    ap.add_argument("--encoder", default="all-MiniLM-L6-v2")
    args = ap.parse_args()

    from tvgcurate.curation.audit import AuditConfig, run_audit
    from tvgcurate.curation.ingest import IngestConfig, ingest
    from tvgcurate.workspace import Workspace

    ws = Workspace(args.workspace, create=True)
    if not ws.has("samples"):
        ingest(IngestConfig(sources=FILES, workspace=args.workspace))
    t0 = time.perf_counter()
    res = run_audit(AuditConfig(workspace=args.workspace, encoder=args.encoder, progress=False))
    secs = time.perf_counter() - t0
    a = res.table.to_pandas()
    a = a[a.check != "priority"]
    a["source"] = a.sample_id.str.split(":").str[0]
    s = ws.read("samples").to_pandas().set_index("sample_id")
    sources = ["qvhighlights", "charades-sta"]
    n_src = {src: int((s.source == src).sum()) for src in sources}
    print(f"audit of {res.samples} samples ({n_src}) in {secs:.0f} s (audits v{res.version})\n")

    print("| check | " + " | ".join(f"{x} flagged / measured" for x in sources) + " | all: share |")
    print("| --- | " + " | ".join("---:" for _ in sources) + " | ---: |")
    for summ in res.summaries:
        cells = []
        for src in sources:
            sub = a[(a.check == summ.check) & (a.source == src)]
            cells.append(f"{int(sub.is_issue.sum())} / {len(sub)}")
        print(f"| {summ.check} | " + " | ".join(cells) + f" | {summ.share:.2%} |")
    for name, why in res.skipped.items():
        print(f"| {name} | skipped: {why} | | |")

    print("\n## examples (3 per check, worst score first)\n")
    for summ in res.summaries:
        sub = a[(a.check == summ.check) & a.is_issue].sort_values(["score", "sample_id"])
        note = ""
        if sub.empty:  # nothing flagged: show the samples closest to being flagged
            sub = a[(a.check == summ.check) & (a.score < 1)].sort_values(["score", "sample_id"])
            note = " (none flagged; the lowest scores, not flagged)"
        if sub.empty:
            print(f"**{summ.check}**: no sample flagged and every score is 1.0\n")
            continue
        print(f"**{summ.check}**{note}\n")
        picks = []
        for src in sources:  # spread the examples over sources when both have some
            picks += list(sub[sub.source == src].head(2).itertuples())
        seen = {r.sample_id for r in picks[:3]}
        picks = picks[:3] + [r for r in sub.itertuples() if r.sample_id not in seen]
        for r in picks[:3]:
            row = s.loc[r.sample_id]
            wins = ", ".join(f"[{w['start']:g}, {w['end']:g}]" for w in row.windows)
            print(f"- `{r.sample_id}` (video `{row.video_id}`, duration {row.duration_s:g} s, "
                  f"windows {wins}): “{row.query.strip()}” — score {r.score:.2f}: {r.detail}")  # fmt: skip
        print()

    print("## threshold evidence\n")
    wv = a[a.check == "whole_video"]
    print("whole_video: share of samples whose windows cover >= t of the video")
    for src in sources:
        x = wv[wv.source == src].value
        print(f"- {src}: " + ", ".join(f"t={t}: {int((x >= t - 1e-9).sum())} ({(x >= t - 1e-9).mean():.2%})"
                                       for t in (0.8, 0.9, 0.95, 1.0)))  # fmt: skip
    vs = a[a.check == "vid_span_mismatch"]
    print("\nvid_span_mismatch: duration - vid span (s), counts")
    print(
        "- "
        + ", ".join(f"{k:g}: {v}" for k, v in vs.value.round(1).value_counts().sort_index().items())
    )
    nd = a[a.check == "near_duplicate_query"].copy()
    nd["iou"] = nd.data.map(lambda d: json.loads(d)["iou"] if isinstance(d, str) else np.nan)
    low = nd[nd.iou < 0.5]
    print("\nnear_duplicate_query: samples with a different-window partner at cosine >= t")
    for src in sources:
        x = low[low.source == src].value
        print(
            f"- {src}: "
            + ", ".join(f"t={t}: {int((x >= t).sum())}" for t in (0.8, 0.85, 0.9, 0.95))
        )
    pl = a[(a.check == "positional_leak")]
    print(f"\npositional_leak: strong cues {int((pl.value >= 1).sum())}, weak cues only "
          f"{int(((pl.value > 0) & (pl.value < 1)).sum())}")  # fmt: skip
    for r in pl[(pl.value > 0) & (pl.value < 1)].head(5).itertuples():
        print(f"  - weak `{r.sample_id}`: “{s.loc[r.sample_id].query.strip()}”")


if __name__ == "__main__":
    main()
