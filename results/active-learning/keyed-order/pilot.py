"""Pilot of `sft.order=keyed` (common random numbers for the paired arms): seed 4's round-1
audit and random labels, each retrained at training seeds 4, 1004, 2004 with keyed order,
scored on the test task. Needs a finished `benchmarks/active_learning.py --out OUT` run with
seed 4. Two processes, one core each:

    .venv/bin/python results/active-learning/keyed-order/pilot.py OUT audit 0 &
    .venv/bin/python results/active-learning/keyed-order/pilot.py OUT random 1
"""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from benchmarks import active_learning_stake as st  # noqa: E402

out_dir, arm, core = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
os.sched_setaffinity(0, {core})
given = json.loads((out_dir / "RESULTS.json").read_text())["args"]
args = argparse.Namespace(out=out_dir, steps=400, irrelevant_share=0.3, set=[], order="keyed",
                          start=Path(given["start"]), val_split="val",
                          test_ws=Path(given["test_ws"]))  # fmt: skip
root = out_dir / "seed4"
res = json.loads((root / "SEED.json").read_text())["result"]
labels = st.model_labels(res, root, json.loads((root / "planted.json").read_text()))
work = root / f"pilot-{arm}-ws"
shutil.rmtree(work, ignore_errors=True)
shutil.copytree(root / "ws", work)
found = {}
for t in (4, 1004, 2004):
    run = st.train_on(args, work, labels[f"r1-{arm}"](), out_dir / f"pilot-keyed-{arm}-t{t}", t,
                      lambda _name, f, *x: f(*x), "pilot", "pilot")  # fmt: skip
    found[t] = st.on_test(args, run.output, 4, f"pilot-keyed-r1-{arm}-t{t}")
    print(arm, t, found[t]["mIoU"], flush=True)
(out_dir / f"pilot-keyed-{arm}.json").write_text(json.dumps(found, indent=1))
