import io
import json

import pyarrow.parquet as pq
import pytest
from PIL import Image

from tests.exporters.thirdparty import install, run_loader
from tvgcurate.exporters import ExportConfig, export
from tvgcurate.exporters.verl_reward import compute_score

PACKAGES = ["verl==0.9.1", "omegaconf==2.4.0", "antlr4-python3-runtime==4.9.3"]


@pytest.fixture(scope="module")
def verl_dir(tricky_ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("verl") / "rl"
    res = export(
        ExportConfig(workspace=tricky_ws.root, format="verl", out=out, include_irrelevant=True)
    )
    assert res.written == tricky_ws.read("samples").num_rows and not res.skipped
    return out


def test_parquet_has_verl_columns_and_ground_truth(verl_dir, tricky_ws):
    samples = {s["sample_id"]: s for s in tricky_ws.read("samples").to_pylist()}
    assert sorted(p.name for p in verl_dir.iterdir()) == [
        "train.parquet", "val.parquet", "verl_reward.py",
    ]  # fmt: skip
    for split in ("train", "val"):
        for row in pq.read_table(verl_dir / f"{split}.parquet").to_pylist():
            s = samples[row["extra_info"]["sample_id"]]
            assert row["data_source"] == "tvgcurate/qvhighlights"
            assert row["ability"] == "temporal-grounding"
            (turn,) = row["prompt"]
            assert turn["role"] == "user" and turn["content"] == row["problem"]
            assert turn["content"].count("<image>") == len(row["images"]) == 4
            assert all(Image.open(io.BytesIO(im["bytes"])).height == 56 for im in row["images"])
            gt = row["reward_model"]["ground_truth"]
            assert row["reward_model"]["style"] == "rule"
            assert json.loads(row["answer"]) == gt
            assert gt["relevance"] == s["relevance"] and gt["duration_s"] == s["duration_s"]
            if s["relevance"] == "relevant":
                assert gt["windows"] == sorted([w["start"], w["end"]] for w in s["windows"])
            else:
                assert gt["windows"] == []


def test_reward_file_scores_the_targets(verl_dir):
    rows = pq.read_table(verl_dir / "train.parquet").to_pylist()
    for row in rows:
        gt = row["reward_model"]["ground_truth"]
        perfect = compute_score(row["data_source"], row["extra_info"]["answer"], gt)
        assert perfect > 1.9  # format 1 + IoU ~1 (rounded answer) or refusal 1
        wrong = "<answer>none</answer>" if gt["windows"] else "<answer>0.0 to 1.0</answer>"
        assert compute_score(row["data_source"], wrong, json.dumps(gt)) == 1.0  # format only
        assert compute_score(row["data_source"], "no answer", gt) == 0.0
    # the copy beside the export is the module itself
    src = (verl_dir / "verl_reward.py").read_text()
    assert "def compute_score(data_source, solution_str, ground_truth, extra_info=None)" in src
    assert "import torch" not in src


LOADER = """
import json, sys
from tvgcurate_stub import stub
stub("tensordict"); stub("tensordict.tensorclass")  # verl.protocol's, unused by the dataset
from omegaconf import OmegaConf
from verl.utils.dataset.rl_dataset import RLHFDataset
from tvgcurate.model.tiny import build_tiny
_, processor = build_tiny()
cfg = OmegaConf.create({"cache_dir": sys.argv[2], "prompt_key": "prompt", "image_key": "images",
                        "filter_overlong_prompts": False})
ds = RLHFDataset(sys.argv[1].split(","), processor.tokenizer, cfg, processor=processor)
rows = []
for i in range(len(ds)):
    r = ds[i]
    (turn,) = r["raw_prompt"]
    rows.append({
        "parts": [p["text"] if p["type"] == "text" else p["type"] for p in turn["content"]],
        "sizes": [list(p["image"].size) for p in turn["content"] if p["type"] == "image"],
        "ground_truth": r["reward_model"]["ground_truth"],
        "sample_id": r["extra_info"]["sample_id"],
        "index": int(r["index"]),
    })
print(json.dumps(rows, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
"""


@pytest.mark.slow
def test_verl_rlhf_dataset_reads_the_export(verl_dir, tmp_path):
    """verl's RLHFDataset: parquet read, <image> split into image parts, ground truth intact.

    The overlong-prompt filter stays off: it needs qwen_vl_utils, which imports torchvision."""
    target = install(PACKAGES)
    files = ",".join(str(verl_dir / f"{s}.parquet") for s in ("train", "val"))
    rows = run_loader(target, LOADER, files, str(tmp_path / "cache"))
    mine = [
        r for s in ("train", "val") for r in pq.read_table(verl_dir / f"{s}.parquet").to_pylist()
    ]
    assert len(rows) == len(mine)
    for got, row in zip(rows, mine, strict=True):
        assert got["sample_id"] == row["extra_info"]["sample_id"]
        assert got["index"] == row["extra_info"]["index"]
        text = "".join("<image>" if p == "image" else p for p in got["parts"])
        assert text == row["prompt"][0]["content"]
        sizes = [list(Image.open(io.BytesIO(im["bytes"])).size) for im in row["images"]]
        assert got["sizes"] == sizes
        gt = {
            k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in got["ground_truth"].items()
        }
        assert gt["relevance"] == row["reward_model"]["ground_truth"]["relevance"]
        assert [list(w) for w in gt["windows"]] == row["reward_model"]["ground_truth"]["windows"]
