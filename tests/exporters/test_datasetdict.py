"""The DatasetDict writer the `hf` and `trl` formats share: one options check, one shard size."""

from __future__ import annotations

import pytest

from tvgcurate.errors import TvgError
from tvgcurate.exporters import EXPORTERS, ExportConfig, export
from tvgcurate.exporters.datasetdict import CardOptions, DatasetDictExporter

DIR_FORMATS = [n for n, cls in EXPORTERS.items() if issubclass(cls, DatasetDictExporter)]
FAST = {"trl": {"frames": "uniform"}, "hf": {"frames": "none"}}


def test_hf_and_trl_share_the_writer():
    assert set(DIR_FORMATS) >= {"hf", "trl"}
    assert all(issubclass(EXPORTERS[n].Options, CardOptions) for n in DIR_FORMATS)


@pytest.mark.parametrize("fmt", DIR_FORMATS)
@pytest.mark.parametrize("bad", ["0", "-1"])
def test_every_dataset_format_checks_max_shard_mb(fmt, bad, tricky_ws, tmp_path):
    with pytest.raises(TvgError, match="max_shard_mb must be > 0"):
        ExportConfig(
            workspace=tricky_ws.root,
            format=fmt,
            out=tmp_path / "o",
            options={**FAST.get(fmt, {}), "max_shard_mb": bad},
        )


@pytest.mark.parametrize("fmt", DIR_FORMATS)
def test_every_dataset_format_shards_by_max_shard_mb(fmt, tricky_ws, tmp_path):
    out = tmp_path / fmt
    opts = {**FAST.get(fmt, {}), "max_shard_mb": "0.000001"}
    res = export(ExportConfig(workspace=tricky_ws.root, format=fmt, out=out, options=opts))
    shards = sorted((out / "data").glob("*.parquet"))
    assert len(shards) == res.written  # one row per shard at this tiny target
    assert (out / "README.md").read_text().startswith("---\nlicense:")
