"""`tiny.word_tokens` and `tiny.prompt_words`: train adds the training queries' frequent words
and the project's own prompt words as whole-word tokens."""

import json

import pytest
from typer.testing import CliRunner

from tvgcurate.cli import app


def test_prompt_words_are_the_text_around_the_query_and_shorten_a_pretraining_row():
    from pathlib import Path

    from tvgcurate.model.config import build_config
    from tvgcurate.model.pretrain import PRESENCE_PROMPT
    from tvgcurate.model.tiny import TinyConfig, build_tiny
    from tvgcurate.model.train import prompt_words

    cfg = build_config(Path("recipes/tiny-cpu.yaml"), [], workspace=Path("ws"), output=Path("o"))
    assert cfg.tiny.prompt_words is True  # the CPU recipe uses them
    words = prompt_words(cfg)
    for w in ("user", "assistant", "Is", "this", "shown", "Answer", "yes", "or", "no", "none"):
        assert w in words
    assert "query" not in words  # the template's placeholder is not a word of the prompt
    row = "<|im_start|>user\n" + PRESENCE_PROMPT.format(query="the red circle") + "<|im_end|>\n"
    row += "<|im_start|>assistant\nno<|im_end|>\n<answer>none</answer>"
    _, plain = build_tiny(TinyConfig(hidden_size=32, num_heads=2, num_kv_heads=1))
    _, worded = build_tiny(TinyConfig(hidden_size=32, num_heads=2, num_kv_heads=1, words=words))
    n_plain = len(plain.tokenizer.encode(row, add_special_tokens=False))
    ids = worded.tokenizer.encode(row, add_special_tokens=False)
    assert len(ids) < 0.6 * n_plain
    assert worded.tokenizer.decode(ids) == row  # still lossless
    for w in ("assistant", "shown", "none"):
        assert worded.tokenizer.convert_tokens_to_ids(w) in ids


@pytest.mark.slow
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
