"""Held-out yes/no probe of a pretrained `tiny`: does it bind the query's words to the frames?

    .venv/bin/python -m benchmarks.presence_probe WS CHECKPOINT

Single-question presence rows (tvgcurate.model.pretrain, contrast on: each clip asked about
every query of its video) on the first 160 held-out (val) samples of WS; the score is
logit(yes) - logit(no) at the answer. Prints the rows, the yes rate (the base rate), the
ROC-AUC of the score and the accuracy of its sign. docs/learning.md, "The project path".
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("workspace", type=Path, help="the task's workspace (val samples, keyframes)")
    p.add_argument("checkpoint", type=Path, help="a pretrained model directory")
    args = p.parse_args(argv)

    import torch
    from sklearn.metrics import roc_auc_score

    from tvgcurate.model.inputs import InputConfig, build_inputs
    from tvgcurate.model.loading import load_model
    from tvgcurate.model.pretrain import PretrainTask, presence_rows
    from tvgcurate.workspace import Workspace

    torch.set_num_threads(1)
    ws = Workspace(args.workspace)
    ckpt = str(args.checkpoint)
    model, proc = load_model(ckpt)
    model.eval()
    samples = [s for s in ws.read("samples").to_pylist() if s["split"] == "val"][:160]
    b = build_inputs(
        ws,
        InputConfig(prompt_template="{query}", frames="keyframes", max_frames=16, query_first=True),
        samples=samples,
    )
    rng = random.Random(0)
    by = {}
    for m in b.inputs:
        by.setdefault(m.video_id, []).append(m)
    rows = []
    for m in b.inputs:
        rows += presence_rows(
            m, PretrainTask(rows_per_sample=2, contrast=True), rng, by[m.video_id]
        )
    tok = proc.tokenizer
    yes, no = (
        tok.encode("yes", add_special_tokens=False)[0],
        tok.encode("no", add_special_tokens=False)[0],
    )
    ps, ys = [], []
    with torch.no_grad():
        for r in rows:
            text = proc.apply_chat_template(r["prompt"], tokenize=False, add_generation_prompt=True)
            enc = proc(images=r["images"], text=[text], return_tensors="pt")
            logits = model(**enc).logits[0, -1]
            ps.append(float(logits[yes] - logits[no]))
            ys.append(r["completion"][0]["content"][0]["text"] == "yes")
    acc = sum((p > 0) == y for p, y in zip(ps, ys)) / len(ys)
    result = {
        "ckpt": ckpt,
        "rows": len(ys),
        "yes_rate": round(sum(ys) / len(ys), 3),
        "auc": round(roc_auc_score(ys, ps), 3),
        "acc": round(acc, 3),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
