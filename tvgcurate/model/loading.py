"""Load and save models: `tiny` (built here) or a local Qwen2-VL / Qwen2.5-VL checkpoint.

A saved model directory holds the weights (safetensors), the processor files and
`tvgcurate_inputs.json` (the ETA width and prompt it was trained with), so `score` rebuilds
exactly the inputs the model learned on.
"""

from __future__ import annotations

import json
from pathlib import Path

from tvgcurate.errors import WorkspaceError

INPUTS_FILE = "tvgcurate_inputs.json"
RUN_FILE = "run.json"


def torch_dtype(name: str):
    import torch

    try:
        return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[
            name
        ]
    except KeyError:
        raise ValueError(
            f"torch_dtype must be float32, bfloat16 or float16, got {name!r}"
        ) from None


def resolve_attn(name: str | None) -> str | None:
    """'auto': flash_attention_2 when flash-attn is installed and a GPU is present, else sdpa."""
    if name != "auto":
        return name
    import importlib.util

    import torch

    if torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"


def load_model(source: str | Path, tiny_cfg=None, dtype: str = "float32", attn_implementation=None):
    """(model, processor) for 'tiny' or a local checkpoint directory (local files only)."""
    if str(source) == "tiny":
        from tvgcurate.model.tiny import build_tiny

        return build_tiny(tiny_cfg)
    from transformers import AutoModelForImageTextToText

    from tvgcurate.model.processor import load_processor

    path = Path(source)
    if not (path / "config.json").exists():
        raise WorkspaceError(f"{path}: no config.json; not a model checkpoint directory")
    kwargs = {"local_files_only": True, "dtype": torch_dtype(dtype)}
    attn = resolve_attn(attn_implementation)
    if attn:
        kwargs["attn_implementation"] = attn
    model = AutoModelForImageTextToText.from_pretrained(path, **kwargs)
    return model, load_processor(path)


def save_model(model, processor, path: str | Path, inputs_meta: dict | None = None) -> Path:
    """Save weights (safetensors), processor and input metadata to `path`."""
    from tvgcurate.model.processor import MARKER, save_processor

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    if type(processor).__name__ == "ImageOnlyQwen2VLProcessor":
        save_processor(processor, path)
    else:
        processor.save_pretrained(path)
        (path / MARKER).unlink(missing_ok=True)
    if inputs_meta is not None:
        (path / INPUTS_FILE).write_text(json.dumps(inputs_meta, indent=2) + "\n")
    return path


def resolve_checkpoint(path: str | Path) -> Path:
    """A model directory from a run directory (its last finished stage) or a model directory."""
    path = Path(path)
    if (path / "config.json").exists():
        return path
    run = path / RUN_FILE
    if run.exists():
        meta = json.loads(run.read_text())
        final = meta.get("final")
        if final and (path / final / "config.json").exists():
            return path / final
    for cand in (path / "grpo" / "final", path / "sft" / "final"):
        if (cand / "config.json").exists():
            return cand
    raise WorkspaceError(
        f"{path}: no model here (expected config.json, or a run directory from `tvgcurate train`)"
    )


def read_inputs_meta(path: Path) -> dict:
    f = Path(path) / INPUTS_FILE
    return json.loads(f.read_text()) if f.exists() else {}
