"""`tiny.word_tokens`: train adds the training queries' frequent words as whole-word tokens."""

import json

import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app

pytestmark = pytest.mark.slow


def test_train_adds_the_queries_words_and_the_checkpoint_keeps_them(grounding_ws, tmp_path):
    from tvgcurate.model.loading import load_model
    from tvgcurate.model.tiny import frequent_words

    out = tmp_path / "run"
    small = ["tiny.hidden_size=64", "tiny.num_layers=2", "tiny.intermediate_size=128"]
    small += ["tiny.vision_embed_dim=32", "inputs.max_frames=4", "report_to=[]"]
    small += ["sft.per_device_train_batch_size=4", "tiny.word_tokens=6"]
    args = ["train", "-w", str(grounding_ws.root), "--stage", "sft", "--max-steps", "1"]
    args += ["--recipe", "recipes/tiny-cpu.yaml", "-o", str(out)]
    for s in small:
        args += ["--set", s]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output + repr(res.exception)
    samples = grounding_ws.read("samples").to_pylist()
    want = frequent_words([r["query"] for r in samples if r["split"] == "train"], 6)
    assert len(want) == 6
    saved = json.loads((out / "run.json").read_text())["config"]["tiny"]["words"]
    assert saved[-6:] == want
    model, proc = load_model(out / "sft" / "final")
    tok = proc.tokenizer
    for w in want:
        assert tok.encode(w, add_special_tokens=False) == [tok.convert_tokens_to_ids(w)]
    assert model.get_input_embeddings().weight.shape[0] >= len(tok)
