"""Query embedding through the executors: texts/s of `embed_texts` with the `local`
executor and with `process` (2 workers by default), on N distinct synthetic queries and the
MiniLM encoder, medians over repeats, and the ratio process / local.

    .venv/bin/python -m benchmarks.embeddings                 # 20,000 texts, 3 repeats
    .venv/bin/python -m benchmarks.embeddings --texts 200 --repeats 1   # smoke

Every run starts from an empty workspace (nothing cached) and is timed end to end, as a
user's command sees it: `local` loads the model in this process (a fresh MiniLMEncoder
each run), `process` starts its workers and each loads its own copy. Torch threads:
`local` uses torch's default (all cores unless OMP_NUM_THREADS says otherwise), each
process worker cpu_count / workers. The vectors of both paths are compared (max abs diff).
Figures: docs/scaling.md, "Embeddings".
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

_VOCAB = (
    "person man woman child dog cat opens closes picks holds puts throws door window "
    "laptop phone book cup glass table chair bed sofa kitchen bathroom food water coffee "
    "walks runs sits stands laughs talks cooks eats drinks washes towel shoes camera car "
    "street park beach ball guitar plays sings then again slowly quickly the a on in at"
)
WORDS = _VOCAB.split()


def make_texts(n: int, seed: int = 0) -> list[str]:
    """n distinct queries of 5 to 15 words (a number makes each one unique)."""
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(5, 15))) + f" ({i})." for i in range(n)]


def run_once(texts, executor: str, workers: int, shard_size: int):
    from tvgcurate.curation.embeddings import EmbeddingRunConfig, MiniLMEncoder, embed
    from tvgcurate.workspace import Workspace

    tmp = Path(tempfile.mkdtemp(prefix="tvg-embed-bench-"))
    try:
        ws = Workspace(tmp / "ws", create=True)
        run = EmbeddingRunConfig(executor=executor, workers=workers, shard_size=shard_size)
        # local: a fresh encoder, so its model load is timed as the workers' loads are
        encoder = MiniLMEncoder() if executor == "local" else "all-MiniLM-L6-v2"
        t = time.perf_counter()
        res = embed(ws, texts, encoder, progress=False, run=run)
        seconds = time.perf_counter() - t
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res, seconds


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=20_000, help="distinct queries (default 20000)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="process workers")
    ap.add_argument("--shard-size", type=int, default=1024, help="texts per shard")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    a = ap.parse_args(argv)

    import numpy as np
    import torch

    texts = make_texts(a.texts)
    modes = {"local": ("local", 1), f"process x{a.workers}": ("process", a.workers)}
    rates: dict[str, list[float]] = {m: [] for m in modes}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(a.repeats):
        for mode, (executor, workers) in modes.items():
            res, seconds = run_once(texts, executor, workers, a.shard_size)
            rates[mode].append(len(texts) / seconds)
            vectors[mode] = res.vectors
    local, proc = (statistics.median(v) for v in rates.values())
    diff = float(np.abs(vectors["local"] - vectors[f"process x{a.workers}"]).max())
    print(f"{len(texts)} texts, all-MiniLM-L6-v2, shard size {a.shard_size}, "
          f"local torch threads {torch.get_num_threads()}")  # fmt: skip
    for mode, v in rates.items():
        runs = ", ".join(f"{r:.1f}" for r in v)
        print(f"{mode:12s} {statistics.median(v):8.1f} texts/s (median of {len(v)}: {runs})")
    print(f"process x{a.workers} / local: {proc / local:.2f}x; max abs diff of vectors {diff:.1e}")
    out = {
        "texts": len(texts), "shard_size": a.shard_size, "workers": a.workers,
        "repeats": a.repeats, "texts_per_s": rates,
        "median": {m: statistics.median(v) for m, v in rates.items()},
        "ratio": proc / local, "max_abs_diff": diff,
    }  # fmt: skip
    if a.json:
        a.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
