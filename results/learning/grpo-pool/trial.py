"""The GRPO pool trial of docs/learning.md (run 8): GRPO only, from run 7's SFT models.

Kept as run, for the record: it read run 7's outputs under /tmp/EX (the task and
seed{0,2}/sft/final of `benchmarks/learning.py --pretrained ... --sft-steps 3000`), trained
the ladder's GRPO (60 steps of 64 completions, refusal reward, irrelevant share 0.3) over a
fixed pool of POOL prompts (`grpo.max_rows`) and scored it on the same held-out videos.

    python results/learning/grpo-pool/trial.py SEED POOL OUT   # two at a time, one per core

Its outputs are the s{seed}_p{pool}.json / .txt beside it.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from rich.console import Console  # noqa: E402

from benchmarks import learning as L  # noqa: E402
from tvgcurate.workspace import Workspace  # noqa: E402

seed, pool, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
extra = sys.argv[4:]
root = Path(f"/tmp/EX/s{seed}_sft3000/multi")
ws = Workspace(root / "ws")
args = argparse.Namespace(
    grpo_steps=60, grpo_batch=64, grpo_pool=pool or None, refusal_extra=[], set=extra,
    threads=1, verbose=False, console=Console(),
)  # fmt: skip
samples, shapes = ws.read("samples").to_pylist(), L.shape_counts(root)
sft = root / f"seed{seed}" / "sft" / "final"
res, secs = L.train_run(ws, out, "grpo", str(sft), L.ladder_grpo_sets(args), args, seed)
m = L.scored(ws, out, "grpo", f"gx:{seed}", samples, shapes, args)
summ = L.grpo_summary(out)
run7 = json.loads(Path(f"/tmp/EX/s{seed}_sft3000/RESULTS.json").read_text())
before = run7["rungs"]["multi"]["seeds"][str(seed)]["lines"]
keys = ["R1@0.5", "mIoU", "refusal_auc", "refusal_acc@frr0.1"]
print("SEED", seed, "pool", pool, "extra", extra, "secs", round(secs))
for name, line in [
    ("run7 after SFT", before["after SFT"]["all"]),
    ("run7 after GRPO", before["after GRPO"]["all"]),
    ("new after GRPO", m["all"]),
]:
    print(f"  {name:18s}", {k: line.get(k) for k in keys})
print(
    "  by pass", json.dumps(summ["iou_reward_by_pass"]), json.dumps(summ["refusal_reward_by_pass"])
)
(out / "exp.json").write_text(json.dumps({"val": m, "grpo": summ, "secs": secs}, default=str))
