"""The versioned workspace: Parquet tables with a manifest (DESIGN.md section 3).

Layout::

    WS/manifest.json                    current version of each table, and every version's lineage
    WS/tables/<name>/v<NNNN>.parquet    one immutable file per version
    WS/work/<stage>/...                 scratch: completion markers, caches (safe to delete)

A write goes to a temporary file, is fsynced and renamed into place; only then is the
manifest replaced the same way. A crash at any point leaves the previous version current.
Versions are never rewritten. Every table file is plain Parquet, so it loads with
``datasets.load_dataset("parquet", data_files=...)`` or ``pandas.read_parquet`` alone.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import hashlib
import json
import os
import shlex
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tvgcurate import schemas
from tvgcurate.errors import WorkspaceError

MANIFEST = "manifest.json"
FORMAT = "tvgcurate-workspace"


@dataclass(frozen=True)
class TableVersion:
    """One immutable version of one table."""

    table: str
    version: int
    file: str
    rows: int
    sha256: str
    command: str
    parent: int | None
    created: str
    note: str = ""


def current_command() -> str:
    """The command line of this process, as recorded in lineage."""
    argv = list(sys.argv)
    if argv:
        argv[0] = Path(argv[0]).name
    return shlex.join(argv)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file, fsync and rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Workspace:
    """A directory of versioned tables. Cheap to construct; reads the manifest on demand."""

    def __init__(self, root: str | os.PathLike[str], create: bool = False):
        self.root = Path(root)
        if not (self.root / MANIFEST).exists():
            if not create:
                raise WorkspaceError(
                    f"{self.root}: not a tvgcurate workspace (no {MANIFEST}); "
                    "run `tvgcurate ingest ... --workspace` to create one"
                )
            self.root.mkdir(parents=True, exist_ok=True)
            with self._lock():
                if not (self.root / MANIFEST).exists():
                    self._save_manifest(
                        {"format": FORMAT, "schema_version": schemas.SCHEMA_VERSION, "tables": {}}
                    )

    # -- manifest -------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def manifest(self) -> dict:
        path = self.root / MANIFEST
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise WorkspaceError(f"{path}: cannot read the workspace manifest: {exc}") from None

    def _save_manifest(self, manifest: dict) -> None:
        data = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
        atomic_write_bytes(self.root / MANIFEST, data)

    # -- queries --------------------------------------------------------------
    def tables(self) -> list[str]:
        return sorted(self.manifest()["tables"])

    def has(self, name: str) -> bool:
        return self.current(name) is not None

    def versions(self, name: str) -> list[TableVersion]:
        entry = self.manifest()["tables"].get(name)
        if not entry:
            return []
        return [TableVersion(**v) for v in entry["versions"]]

    def current(self, name: str) -> TableVersion | None:
        entry = self.manifest()["tables"].get(name)
        if not entry or entry.get("current") is None:
            return None
        return self.version(name, entry["current"])

    def version(self, name: str, version: int) -> TableVersion:
        for v in self.versions(name):
            if v.version == version:
                return v
        known = ", ".join(str(v.version) for v in self.versions(name)) or "none"
        raise WorkspaceError(
            f"{self.root}: table '{name}' has no version {version} (known: {known})"
        )

    def log(self, name: str | None = None) -> list[TableVersion]:
        names = [name] if name else self.tables()
        out = [v for n in names for v in self.versions(n)]
        return sorted(out, key=lambda v: (v.created, v.table, v.version))

    def path_of(self, name: str, version: int | None = None) -> Path:
        tv = self.current(name) if version is None else self.version(name, version)
        if tv is None:
            raise WorkspaceError(f"{self.root}: table '{name}' does not exist yet")
        return self.root / tv.file

    def read(
        self, name: str, version: int | None = None, columns: list[str] | None = None
    ) -> pa.Table:
        """Read a table version (the current one by default).

        A table that was never written reads as an empty table of its core schema.
        """
        if version is None and self.current(name) is None:
            table = schemas.empty(name) if name in schemas.TABLES else pa.table({})
            return table.select(columns) if columns else table
        return pq.read_table(self.path_of(name, version), columns=columns)

    def read_pandas(self, name: str, version: int | None = None, columns: list[str] | None = None):
        return self.read(name, version, columns).to_pandas()

    def scratch(self, *parts: str) -> Path:
        """A scratch directory for a stage (markers, caches); never part of a version."""
        path = self.root.joinpath("work", *parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- writes ---------------------------------------------------------------
    def _next_version(self, name: str) -> int:
        known = [v.version for v in self.versions(name)]
        on_disk = []
        tdir = self.root / "tables" / name
        if tdir.exists():
            for p in tdir.glob("v*.parquet"):
                with contextlib.suppress(ValueError):
                    on_disk.append(int(p.stem[1:]))
        return max(known + on_disk + [0]) + 1

    def _stage_path(self, name: str) -> Path:
        tdir = self.root / "tables" / name
        tdir.mkdir(parents=True, exist_ok=True)
        stamp = f"{_dt.datetime.now().timestamp():.6f}"
        return tdir / f".incoming-{os.getpid()}-{stamp}.parquet"

    @contextlib.contextmanager
    def writer(
        self, name: str, schema: pa.Schema, command: str | None = None, note: str = ""
    ) -> Iterator[pq.ParquetWriter]:
        """Stream record batches into a new version; it becomes current only on success."""
        with self.transaction(command) as tx:
            tmp = tx.stage_path(name, note)
            with pq.ParquetWriter(tmp, schema, compression="zstd") as w:
                yield w

    def write(
        self,
        name: str,
        table: pa.Table,
        command: str | None = None,
        note: str = "",
        validate: bool = True,
    ) -> TableVersion:
        """Write `table` as the next version of `name` and make it current."""
        with self.transaction(command) as tx:
            tx.write(name, table, note=note, validate=validate)
        tv = self.current(name)
        assert tv is not None
        return tv

    @contextlib.contextmanager
    def transaction(self, command: str | None = None) -> Iterator[Transaction]:
        """Stage several tables (and manifest metadata) and make them current in one commit.

        Nothing becomes visible unless the block finishes; staged files are removed otherwise.
        """
        tx = Transaction(self, command if command is not None else current_command())
        try:
            yield tx
            tx.commit()
        finally:
            tx.cleanup()

    def _commit(self, staged: list[tuple[str, Path, str]], command: str, meta: dict) -> None:
        prepared = []
        for name, tmp, note in staged:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            prepared.append(
                (name, tmp, note, pq.ParquetFile(tmp).metadata.num_rows, file_sha256(tmp))
            )
        with self._lock():
            manifest = self.manifest()
            now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")
            for name, tmp, note, rows, digest in prepared:
                entry = manifest["tables"].setdefault(name, {"current": None, "versions": []})
                version = self._next_version(name)
                final = self.root / "tables" / name / f"v{version:04d}.parquet"
                os.replace(tmp, final)
                fsync_dir(final.parent)
                tv = TableVersion(
                    table=name,
                    version=version,
                    file=str(final.relative_to(self.root)),
                    rows=rows,
                    sha256=digest,
                    command=command,
                    parent=entry["current"],
                    created=now,
                    note=note,
                )
                entry["versions"].append(asdict(tv))
                entry["current"] = version
            manifest.update(meta)
            self._save_manifest(manifest)

    def meta(self, key: str, default=None):
        """A workspace-level setting kept in the manifest (e.g. `media_root`)."""
        return self.manifest().get(key, default)

    def checkout(self, name: str, version: int) -> TableVersion:
        """Make an existing version current again; nothing is rewritten or deleted."""
        tv = self.version(name, version)
        with self._lock():
            manifest = self.manifest()
            manifest["tables"][name]["current"] = version
            manifest.setdefault("checkouts", []).append(
                {
                    "table": name,
                    "version": version,
                    "command": current_command(),
                    "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                }
            )
            self._save_manifest(manifest)
        return tv


class Transaction:
    """Tables staged for one atomic manifest update (see Workspace.transaction)."""

    def __init__(self, ws: Workspace, command: str):
        self.ws, self.command = ws, command
        self.staged: list[tuple[str, Path, str]] = []
        self.meta: dict = {}
        self._done = False

    def stage_path(self, name: str, note: str = "") -> Path:
        if any(n == name for n, _, _ in self.staged):
            raise WorkspaceError(f"table '{name}' is staged twice in one transaction")
        tmp = self.ws._stage_path(name)
        self.staged.append((name, tmp, note))
        return tmp

    def write(self, name: str, table: pa.Table, note: str = "", validate: bool = True) -> None:
        if validate:
            try:
                table = schemas.conform(name, table)
            except schemas.SchemaError as exc:
                raise WorkspaceError(str(exc)) from None
        pq.write_table(
            table, self.stage_path(name, note), compression="zstd", row_group_size=256_000
        )

    def set_meta(self, key: str, value) -> None:
        self.meta[key] = value

    def commit(self) -> None:
        if self.staged or self.meta:
            self.ws._commit(self.staged, self.command, self.meta)
        self._done = True

    def cleanup(self) -> None:
        for _, tmp, _ in self.staged:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
