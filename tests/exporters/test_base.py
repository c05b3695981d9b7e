"""Every registered exporter: refusal of an existing output, atomic writes, option checks."""

import pytest

from tvgcurate.errors import TvgError
from tvgcurate.exporters import EXPORTERS, ExportConfig, export, format_help, load_exporters
from tvgcurate.exporters.base import parse_options

FORMATS = sorted(load_exporters())
FAST = {"trl": {"frames": "uniform"}}  # every format runs here; trl decodes the tiny videos


def test_all_issue_formats_are_registered():
    assert set(FORMATS) >= {
        "qvhighlights",
        "charades-sta",
        "activitynet",
        "hf",
        "trl",
        "sharegpt",
        "labelstudio",
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_refuses_existing_output_then_overwrites_atomically(fmt, tricky_ws, tmp_path):
    out = tmp_path / ("out" if EXPORTERS[fmt].is_dir else "out.txt")
    if EXPORTERS[fmt].is_dir:
        out.mkdir()
        (out / "keep").write_text("keep me")
    else:
        out.write_text("keep me")
    cfg = dict(workspace=tricky_ws.root, format=fmt, out=out, options=dict(FAST.get(fmt, {})))
    with pytest.raises(TvgError, match="exists; pass --overwrite"):
        export(ExportConfig(**cfg))
    assert (out / "keep" if out.is_dir() else out).read_text() == "keep me"
    res = export(ExportConfig(**cfg, overwrite=True))
    assert res.written > 0 and out.exists()
    assert not (out / "keep").exists() if EXPORTERS[fmt].is_dir else out.read_text() != "keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_failing_export_leaves_no_output(fmt, tricky_ws, tmp_path, monkeypatch):
    cls = EXPORTERS[fmt]
    real = cls.write

    def boom(self, samples, out, ctx):
        real(self, samples, out, ctx)
        raise RuntimeError("interrupted")

    monkeypatch.setattr(cls, "write", boom)
    out = tmp_path / "o"
    with pytest.raises(RuntimeError, match="interrupted"):
        export(
            ExportConfig(
                workspace=tricky_ws.root, format=fmt, out=out, options=dict(FAST.get(fmt, {}))
            )
        )
    assert list(tmp_path.iterdir()) == []  # no output, no sidecar, no temporary


def test_options_are_checked_and_typed():
    from tvgcurate.exporters.hf import HFOptions

    assert parse_options(HFOptions, {"max_shard_mb": "12.5"}, "hf").max_shard_mb == 12.5
    with pytest.raises(TvgError, match="format 'hf' has no such option.*max_shard_mb"):
        parse_options(HFOptions, {"shards": "2"}, "hf")
    with pytest.raises(TvgError, match="not a valid float"):
        parse_options(HFOptions, {"max_shard_mb": "big"}, "hf")
    with pytest.raises(TvgError, match="frames must be auto, none or require"):
        parse_options(HFOptions, {"frames": "maybe"}, "hf")


def test_empty_selection_is_a_clear_error(tricky_ws, tmp_path):
    with pytest.raises(TvgError, match="nothing to export"):
        export(
            ExportConfig(workspace=tricky_ws.root, format="hf", out=tmp_path / "o", split="nope")
        )


def test_format_help_lists_every_format_and_option():
    text = format_help()
    for fmt in FORMATS:
        assert f"\n{fmt}: " in "\n" + text
    assert "newlines (default 'error')" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_exporter_accounts_for_every_selected_row(fmt, tricky_ws, tmp_path):
    """Conformance over the registry: each selected sample is written or skipped with a reason."""
    out = tmp_path / ("out" if EXPORTERS[fmt].is_dir else "out.txt")
    cfg = ExportConfig(
        workspace=tricky_ws.root, format=fmt, out=out, options=dict(FAST.get(fmt, {}))
    )
    res = export(cfg)
    relevant = [r for r in tricky_ws.read("samples").to_pylist() if r["relevance"] == "relevant"]
    assert res.written >= 1 and out.exists()
    # a record is a sample, a window (charades-sta lines) or a video (activitynet entries)
    n_windows = sum(len(r["windows"]) for r in relevant)
    n_videos = len({r["video_id"] for r in relevant})
    assert n_videos <= res.written + len(res.skipped) <= n_windows
    assert set(res.skipped) <= {r["sample_id"] for r in relevant}
