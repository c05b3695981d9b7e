"""GPU check: a Qwen2-VL-7B-shaped model through tvgcurate's SFT, GRPO and scoring paths.

Not run yet: no GPU was lent while it was written. Nothing it would print is in the docs.

The model is randomly initialised from Qwen2-VL-7B's shape (no weights; 28 x 3,584 decoder,
MLP 18,944, 4 KV heads, vocab 152,064, 32-block 1,280-wide ViT), in bf16, with SDPA
attention. Its tokenizer is tiny's byte-level one (token ids fit the 152,064 vocabulary), so
texts are longer in tokens than with Qwen's BPE: the figures are upper bounds for the text
part. Inputs are SAA rows at the 7B recipe's budget: 56 frames x 64 visual tokens = 3,584
visual tokens per sample, each frame after its ETA stamp, streamed from a generated sharded
`frames` table (benchmarks/train_startup.py's generator; no video, so no PyAV).

Steps (each through the library code `tvgcurate train` / `score` use):
1. SFT: 20 steps, batch 1, bf16, gradient checkpointing (tvgcurate.model.sft.run_sft);
2. GRPO: 4 steps, 8 generations of up to 64 tokens, beta 0 (tvgcurate.model.grpo.run_grpo);
3. scoring: 64 samples, greedy, batches of 8 (`score --backend hf`: backends.hf.HFBackend).
It prints, per phase, peak GPU memory (allocated and reserved), seconds per step (median)
and tokens/s, beside docs/training.md's estimates, and writes them to --out as JSON.
Full fine-tuning on one card here keeps bf16 weights, gradients and bf16 AdamW states
(8 B/param, about 66 GB); docs/training.md's mixed-precision table (16 B/param) is for
sharded multi-GPU runs. Budget: under 8 minutes on an H200 (model init about 1 min).

Without CUDA it exits at once with status 2 and says so (tests/benchmarks/test_gpu_check.py).

The GPU machine lacks trl and datasets (and av, which this check does not need). Fetch the
wheels here, into a git-ignored folder carried with the run (about 10 MB)::

    pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \\
        --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d .bench/wheels \\
        trl==1.16.0 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 xxhash==4.1.0

(datasets 5.2 wants pyarrow >= 24 and huggingface-hub >= 1.31; if the machine's are older,
add their wheels.) The one command, run in the repository root on the GPU machine
(device tool: carry [".bench/wheels"], timeout 600)::

    pip install -q --no-deps .bench/wheels/*.whl && python -m benchmarks.gpu_check --out $OUT
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# docs/training.md estimates for the same shapes (one GPU, unsharded bf16 state)
ESTIMATES = {
    "params_b": 8.29,
    "sft_state_gb": 8.29 * 8,  # bf16 weights + grads + bf16 AdamW m, v
    "sft_activations_gb": 9.0,
    "grpo_activations_gb": 20.0,
    "grpo_kv_cache_gb": 2.8,
}
VISUAL_TOKENS = 3584
FRAMES, PX = 56, 224  # 56 frames x (224/28)^2 = 64 tokens


class NoCuda(SystemExit):
    pass


def require_cuda():
    import torch

    if not torch.cuda.is_available():
        print(
            "gpu_check: CUDA is not available (torch "
            f"{torch.__version__}, cuda {torch.version.cuda}); this check needs one GPU. "
            "Run it on the GPU machine: see the docstring of benchmarks/gpu_check.py.",
            file=sys.stderr,
        )
        raise NoCuda(2)
    missing = []
    for mod in ("trl", "datasets"):
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if missing:
        print(f"gpu_check: missing {missing}; install the wheels (docstring).", file=sys.stderr)
        raise NoCuda(2)


def qwen2vl_7b(processor):
    """Qwen2-VL-7B's shape, randomly initialised on the GPU in bf16."""
    import torch
    from transformers import Qwen2VLForConditionalGeneration

    from tvgcurate.model.tiny import TinyConfig, tiny_model_config

    shape = TinyConfig(
        hidden_size=3584,
        num_layers=28,
        num_heads=28,
        num_kv_heads=4,
        intermediate_size=18944,
        vision_depth=32,
        vision_embed_dim=1280,
        vision_heads=16,
        match_visual_scale=False,
    )
    cfg = tiny_model_config(processor.tokenizer, shape)
    cfg.text_config.vocab_size = 152064
    cfg.vision_config.mlp_ratio = 4
    cfg.vision_config.hidden_act = "quick_gelu"
    cfg.text_config.rope_parameters["rope_theta"] = 1_000_000.0
    with torch.device("cuda"):
        try:
            model = Qwen2VLForConditionalGeneration._from_config(
                cfg, attn_implementation="sdpa", dtype=torch.bfloat16
            )
        except TypeError:  # older keyword
            model = Qwen2VLForConditionalGeneration._from_config(
                cfg, attn_implementation="sdpa", torch_dtype=torch.bfloat16
            )
    model.config.use_cache = False
    return model


class StepTimer:
    def __init__(self):
        self.times: list[float] = []
        self._t = None

    def callback(self):
        from transformers import TrainerCallback

        timer = self

        class C(TrainerCallback):
            def on_step_begin(self, args, state, control, **kw):
                timer._t = time.perf_counter()

            def on_step_end(self, args, state, control, **kw):
                import torch

                torch.cuda.synchronize()
                timer.times.append(time.perf_counter() - timer._t)

        return C()

    def median(self) -> float:
        rest = self.times[1:] or self.times
        return round(statistics.median(rest), 3) if rest else float("nan")


def gpu_mem() -> dict:
    import torch

    return {
        "peak_allocated_gb": round(torch.cuda.max_memory_allocated() / 1e9, 2),
        "peak_reserved_gb": round(torch.cuda.max_memory_reserved() / 1e9, 2),
    }


def hf_backend(model, processor, batch_size: int = 8):
    """`score --backend hf` over the model in memory (HFBackend loads from a directory;
    saving and reloading 16.6 GB would spend the time budget). Mirrors HFBackend.__init__."""
    from tvgcurate.model.backends.base import Backend, GenOptions, decision_tokens
    from tvgcurate.model.backends.hf import HFBackend
    from tvgcurate.model.eta import ANSWER_OPEN

    b = HFBackend.__new__(HFBackend)
    Backend.__init__(b, Path("."), GenOptions(batch_size=batch_size, dtype="bfloat16"))
    b.model, b.processor = model.eval(), processor
    tok = processor.tokenizer
    tok.padding_side = "left"
    b.refuse_id, b.digit_ids = decision_tokens(tok)
    b.open_ids = tok.encode(ANSWER_OPEN, add_special_tokens=False)
    return b


def tokens_of(processor, rows) -> list[int]:
    out = []
    for r in rows:
        msgs = r["prompt"] + r.get("completion", [])
        text = processor.apply_chat_template(msgs, tokenize=False)
        enc = processor(text=[text], images=r["images"], return_tensors="pt")
        out.append(int(enc["input_ids"].shape[1]))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="Folder for gpu_check.json.")
    ap.add_argument("--sft-steps", type=int, default=20)
    ap.add_argument("--grpo-steps", type=int, default=4)
    ap.add_argument("--score-samples", type=int, default=64)
    args = ap.parse_args(argv)
    try:
        require_cuda()
    except NoCuda as exc:
        return int(exc.code)
    import torch

    import tvgcurate.model.sft as sft_mod
    import tvgcurate.model.trainers as trainers
    from benchmarks.train_startup import make_workspace
    from tvgcurate.model.config import GRPOStageConfig, SFTStageConfig
    from tvgcurate.model.data import SkipLog, stream_dataset
    from tvgcurate.model.grpo import run_grpo
    from tvgcurate.model.inputs import InputConfig, build_inputs, plan_inputs
    from tvgcurate.model.processor import build_processor
    from tvgcurate.workspace import Workspace

    t_all = time.perf_counter()
    dev = torch.cuda.get_device_name(0)
    report: dict = {"device": dev, "torch": torch.__version__, "estimates": ESTIMATES}
    tmp = Path(tempfile.mkdtemp(prefix="gpu_check-"))
    n = max(args.score_samples, 64)
    ws = Workspace(make_workspace(tmp / "bench", n, n // 4, FRAMES, PX))
    icfg = InputConfig()
    plan = plan_inputs(ws, icfg, split="train")
    assert sum(k["tokens"] for k in ws.read("keyframes").to_pylist()[:FRAMES]) == VISUAL_TOKENS
    processor = build_processor(max_tokens=768)
    t = time.perf_counter()
    model = qwen2vl_7b(processor)
    torch.cuda.synchronize()
    report["init_s"] = round(time.perf_counter() - t, 1)
    report["params_b"] = round(sum(p.numel() for p in model.parameters()) / 1e9, 3)
    print(f"{dev}: {report['params_b']} B params initialised in {report['init_s']} s", flush=True)

    timer = StepTimer()
    original = trainers.finish_setup

    def finish_setup(trainer, *a, **k):
        original(trainer, *a, **k)
        trainer.add_callback(timer.callback())

    trainers.finish_setup = finish_setup  # run_trainer looks it up at call time
    common = dict(
        bf16=True,
        gradient_checkpointing=True,
        save_steps=10**6,
        warmup_ratio=0.0,
        logging_steps=1,
    )
    # 1. SFT
    torch.cuda.reset_peak_memory_stats()
    ds = stream_dataset(plan.plans, plan.source, plan.fmt, icfg, "sft", SkipLog(tmp / "s", "sft"))
    toks = tokens_of(processor, [ds[i] for i in range(8)])
    stage = SFTStageConfig(
        learning_rate=1e-5, max_steps=args.sft_steps, per_device_train_batch_size=1, **common
    )
    t = time.perf_counter()
    trainer, _ = sft_mod.run_sft(model, processor, ds, stage, tmp / "sft", report_to=[])
    s = timer.median()
    report["sft"] = {
        **gpu_mem(),
        "s_per_step": s,
        "tokens_per_sample": round(statistics.mean(toks)),
        "tokens_per_s": round(statistics.mean(toks) / s),
        "wall_s": round(time.perf_counter() - t, 1),
    }
    print("sft", json.dumps(report["sft"]), flush=True)
    del trainer
    torch.cuda.empty_cache()

    # 2. GRPO (beta 0: no reference copy)
    timer.times.clear()
    torch.cuda.reset_peak_memory_stats()
    gstage = GRPOStageConfig(
        learning_rate=1e-6,
        max_steps=args.grpo_steps,
        num_generations=8,
        per_device_train_batch_size=8,
        max_completion_length=64,
        beta=0.0,
        **common,
    )
    ds = stream_dataset(plan.plans, plan.source, plan.fmt, icfg, "grpo", SkipLog(tmp / "s", "grpo"))
    t = time.perf_counter()
    trainer, _ = run_grpo(model, processor, ds, gstage, tmp / "grpo", report_to=[])
    s = timer.median()
    report["grpo"] = {
        **gpu_mem(),
        "s_per_step": s,
        "completion_tokens_per_s": round(8 * 64 / s),
        "wall_s": round(time.perf_counter() - t, 1),
    }
    print("grpo", json.dumps(report["grpo"]), flush=True)
    del trainer
    torch.cuda.empty_cache()

    # 3. scoring, greedy (the hf backend)
    torch.cuda.reset_peak_memory_stats()
    model.config.use_cache = True
    built = build_inputs(ws, icfg, samples=[p.sample for p in plan.plans[: args.score_samples]])
    t = time.perf_counter()
    answers = hf_backend(model, processor).generate(built.inputs)
    torch.cuda.synchronize()
    dt = time.perf_counter() - t
    report["score"] = {
        **gpu_mem(),
        "samples": len(answers),
        "samples_per_s": round(len(answers) / dt, 2),
        "wall_s": round(dt, 1),
    }
    print("score", json.dumps(report["score"]), flush=True)
    report["total_s"] = round(time.perf_counter() - t_all, 1)
    print(json.dumps(report, indent=1))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "gpu_check.json").write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
