import json

import pandas as pd
import pyarrow as pa
import pytest

from tvgcurate.errors import WorkspaceError
from tvgcurate.workspace import Workspace


def _audits(n):
    return pa.table(
        {"audit_id": [f"a{i}" for i in range(n)], "sample_id": ["s"] * n, "check": ["c"] * n}
    )


def test_versions_lineage_and_old_reads(tmp_path):
    ws = Workspace(tmp_path / "ws", create=True)
    v1 = ws.write("audits", _audits(1), command="first")
    v2 = ws.write("audits", _audits(3), command="second")
    assert (v1.version, v2.version, v2.parent) == (1, 2, 1)
    assert ws.read("audits").num_rows == 3
    assert ws.read("audits", 1).num_rows == 1
    assert [v.command for v in ws.log("audits")] == ["first", "second"]
    assert ws.current("audits").sha256 == v2.sha256
    # loads without tvgcurate
    assert len(pd.read_parquet(ws.path_of("audits"))) == 3


def test_checkout_moves_pointer_without_rewriting(tmp_path):
    ws = Workspace(tmp_path, create=True)
    ws.write("audits", _audits(1))
    ws.write("audits", _audits(2))
    before = (tmp_path / "tables/audits/v0002.parquet").read_bytes()
    ws.checkout("audits", 1)
    assert ws.read("audits").num_rows == 1
    v3 = ws.write("audits", _audits(5))
    assert (v3.version, v3.parent) == (3, 1)
    assert (tmp_path / "tables/audits/v0002.parquet").read_bytes() == before
    with pytest.raises(WorkspaceError, match="no version 9"):
        ws.checkout("audits", 9)


def test_failed_transaction_commits_nothing(tmp_path):
    ws = Workspace(tmp_path, create=True)
    ws.write("audits", _audits(1))
    manifest = (tmp_path / "manifest.json").read_bytes()
    with pytest.raises(RuntimeError), ws.transaction() as tx:
        tx.write("audits", _audits(2))
        tx.write("samples", pa.table({"x": [1]}), validate=False)
        raise RuntimeError("crash before commit")
    assert (tmp_path / "manifest.json").read_bytes() == manifest
    assert ws.read("audits").num_rows == 1
    assert not list((tmp_path / "tables").rglob(".incoming-*"))


def test_orphan_version_file_is_never_overwritten(tmp_path):
    ws = Workspace(tmp_path, create=True)
    ws.write("audits", _audits(1))
    orphan = tmp_path / "tables/audits/v0002.parquet"
    orphan.write_bytes(b"left by a crash")
    tv = ws.write("audits", _audits(2))
    assert tv.version == 3 and orphan.read_bytes() == b"left by a crash"


def test_schema_violation_is_a_clear_error(tmp_path):
    ws = Workspace(tmp_path, create=True)
    with pytest.raises(WorkspaceError, match="required column 'check'"):
        ws.write("audits", pa.table({"audit_id": ["a"], "sample_id": ["s"]}))


def test_not_a_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match="not a tvgcurate workspace"):
        Workspace(tmp_path / "nothing")


def test_manifest_is_json_with_lineage(tmp_path):
    ws = Workspace(tmp_path, create=True)
    ws.write("audits", _audits(2), command="tvgcurate audit")
    m = json.loads((tmp_path / "manifest.json").read_text())
    entry = m["tables"]["audits"]
    assert entry["current"] == 1
    assert entry["versions"][0]["rows"] == 2
    assert entry["versions"][0]["command"] == "tvgcurate audit"
