"""The versioned workspace: Parquet tables with a manifest (docs/dev/architecture.md §3).

Layout::

    WS/manifest.json                    current version of each table, and every version's lineage
    WS/tables/<name>/v<NNNN>.parquet    one immutable file per version
                                        (or a directory of part-NNNNN.parquet shards)
    WS/work/<stage>/...                 scratch: completion markers, caches (safe to delete)

A write goes to a temporary file, is fsynced and renamed into place; only then is the
manifest replaced the same way. A crash at any point leaves the previous version current.
Versions are never rewritten. Every table file is plain Parquet, so it loads with
``datasets.load_dataset("parquet", data_files=...)`` or ``pandas.read_parquet`` alone.

Concurrency is optimistic (as in Delta Lake and Iceberg). ``Workspace.read`` records the
version it returned in ``ws.read_set``; a write given ``reads=`` (a stage passes
``reads=ws.read_set``) is checked at commit, under the workspace lock: if any of those
tables has moved since, the commit raises ConflictError and writes nothing, unless the
written table has a ``rebase`` function (a replayable append or keyed update), which is
then applied to the new current version instead. Without ``reads=``, a write still checks
the tables it writes that this Workspace read (no lost updates). A version's ``parent``
is the version its writer read.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import functools
import hashlib
import json
import os
import shlex
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

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
    reads: dict = field(default_factory=dict)  # {table: version read} by the writer


Rebase = Callable[[pa.Table], pa.Table]
"""Replays a stage's change on the table's new current version (a pure append / keyed update)."""


class ConflictError(WorkspaceError):
    """A table this command read moved before its commit; nothing was written."""

    def __init__(self, root: Path, table: str, read: int | None, now: int | None, by: str):
        self.table, self.read_version, self.current_version, self.by = table, read, now, by
        was = f"v{read}" if read is not None else "absent"
        cur = f"v{now}" if now is not None else "absent"
        super().__init__(
            f"{root}: table '{table}' moved from {was} to {cur} (by `{by}`) while this command "
            "ran; nothing was written; rerun the command"
        )


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


def staged_stats(path: Path) -> tuple[int, str]:
    """(rows, sha256) of a staged version, fsynced first. A sharded version is a directory of
    Parquet shards: its rows are summed and its digest covers each shard's name and digest."""
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    rows, digests = 0, []
    for f in files:
        with open(f, "rb+") as fh:
            os.fsync(fh.fileno())
        rows += pq.ParquetFile(f).metadata.num_rows
        digests.append(f"{f.name} {file_sha256(f)}")
    if not path.is_dir():
        return rows, digests[0].split(" ", 1)[1]
    fsync_dir(path)
    return rows, hashlib.sha256("\n".join(digests).encode()).hexdigest()


class ShardedWriter:
    """Writes one table version as `part-NNNNN.parquet` shards; `new_shard()` starts the next.

    Each `write_table` call becomes at least one row group, so a reader can fetch one group
    (e.g. one video's frames) without reading its shard whole.
    """

    def __init__(self, directory: Path, schema: pa.Schema):
        self.directory, self.schema = directory, schema
        self.shards = 0
        self._w: pq.ParquetWriter | None = None

    def write_table(self, table: pa.Table) -> None:
        if self._w is None:
            path = self.directory / f"part-{self.shards:05d}.parquet"
            self._w = pq.ParquetWriter(path, self.schema, compression="zstd")
            self.shards += 1
        self._w.write_table(table)

    def new_shard(self) -> None:
        if self._w is not None:
            self._w.close()
            self._w = None

    def close(self) -> None:
        if self.shards == 0:  # an empty version still reads as a table of its schema
            self.write_table(self.schema.empty_table())
        self.new_shard()


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on `path` (created if absent), held for the block; other
    processes taking the same lock wait."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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
        self.read_set: dict[str, int | None] = {}  # table -> version last read (None: absent)
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
        with file_lock(self.root / ".lock"):
            yield

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
        return _current_in(self.manifest(), name)

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

        A table that was never written reads as an empty table of its core schema. The
        version returned is recorded in ``self.read_set`` (see ``write(reads=...)``).
        """
        tv = self.current(name) if version is None else self.version(name, version)
        self.read_set[name] = tv.version if tv is not None else None
        if tv is None:
            table = schemas.empty(name) if name in schemas.TABLES else pa.table({})
            return table.select(columns) if columns else table
        return pq.read_table(self.root / tv.file, columns=columns)

    def inputs(self, *names: str) -> dict[str, int | None]:
        """The versions this Workspace read of `names` (for ``write(reads=...)``); a table not
        read yet is pinned at its current version now."""
        out = {}
        for n in names:
            if n not in self.read_set:
                tv = self.current(n)
                self.read_set[n] = tv.version if tv else None
            out[n] = self.read_set[n]
        return out

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
        self,
        name: str,
        schema: pa.Schema,
        command: str | None = None,
        note: str = "",
        reads: Mapping[str, int | None] | None = None,
        sharded: bool = False,
    ) -> Iterator[Any]:
        """Stream record batches into a new version; it becomes current only on success.

        The writer is a `pq.ParquetWriter`, or with `sharded` (`sharded_writer`) a
        `ShardedWriter`: the version is then a directory `v<NNNN>.parquet/` of shards, each
        read on its own; `read`, pandas and pyarrow datasets read the directory as one table."""
        with self.transaction(command, reads=reads) as tx:
            if sharded:
                w = ShardedWriter(tx.stage_dir(name, note), schema)
            else:
                w = pq.ParquetWriter(tx.stage_path(name, note), schema, compression="zstd")
            try:
                yield w
            finally:
                w.close()

    sharded_writer = functools.partialmethod(writer, sharded=True)

    def write(
        self,
        name: str,
        table: pa.Table,
        command: str | None = None,
        note: str = "",
        validate: bool = True,
        reads: Mapping[str, int | None] | None = None,
        rebase: Rebase | None = None,
    ) -> TableVersion:
        """Write `table` as the next version of `name` and make it current.

        `reads` ({table: version}, usually ``ws.read_set``) are checked at commit; `rebase`
        replays the change on a newer current version of `name` instead of failing.
        """
        with self.transaction(command, reads=reads) as tx:
            tx.write(name, table, note=note, validate=validate, rebase=rebase)
        return tx.committed[name]

    @contextlib.contextmanager
    def transaction(
        self, command: str | None = None, reads: Mapping[str, int | None] | None = None
    ) -> Iterator[Transaction]:
        """Stage several tables (and manifest metadata) and make them current in one commit.

        Nothing becomes visible unless the block finishes; staged files are removed otherwise.
        """
        tx = Transaction(self, command if command is not None else current_command(), reads)
        try:
            yield tx
            tx.commit()
        finally:
            tx.cleanup()

    def _commit(self, tx: Transaction) -> None:
        prepared = []
        for name, tmp, note in tx.staged:
            prepared.append([name, tmp, note, *staged_stats(tmp)])
        written = {n for n, _, _ in tx.staged}
        # implicit check: a table written after this Workspace read it (lost update)
        reads = dict(tx.reads) if tx.reads is not None else {}
        reads.update({n: v for n, v in self.read_set.items() if n in written and n not in reads})
        with self._lock():
            manifest = self.manifest()
            rebased: dict[str, tuple[int | None, int | None]] = {}
            for name, read in sorted(reads.items()):
                cur = _current_in(manifest, name)
                now = cur.version if cur else None
                if now == read:
                    continue
                fn = tx.rebase.get(name)
                if fn is None:
                    raise ConflictError(self.root, name, read, now, _mover(manifest, name))
                rebased[name] = (read, now)
            for item in prepared:
                name = item[0]
                if name in rebased:
                    cur = _current_in(manifest, name)
                    base = pq.read_table(self.root / cur.file) if cur else schemas.empty(name)
                    tmp = self._stage_path(name)
                    tx.extra.append(tmp)
                    table = tx.rebase[name](base)
                    if tx.validate.get(name, True) and name in schemas.TABLES:
                        try:
                            table = schemas.conform(name, table)
                        except schemas.SchemaError as exc:
                            raise WorkspaceError(str(exc)) from None
                    pq.write_table(table, tmp, compression="zstd", row_group_size=256_000)
                    item[1], item[3], item[4] = tmp, *staged_stats(tmp)
                    was, now = rebased[name]
                    item[2] += f" (rebased from v{was} onto v{now})"
                    print(
                        f"note: {name} moved from v{was} to v{now} (by "
                        f"`{_mover(manifest, name)}`) while this command ran; its change was "
                        f"replayed on v{now}",
                        file=sys.stderr,
                    )
            now_s = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")
            for name, tmp, note, rows, digest in prepared:
                entry = manifest["tables"].setdefault(name, {"current": None, "versions": []})
                version = self._next_version(name)
                final = self.root / "tables" / name / f"v{version:04d}.parquet"
                parent = entry["current"] if name in rebased or name not in reads else reads[name]
                tv = TableVersion(
                    table=name,
                    version=version,
                    file=str(final.relative_to(self.root)),
                    rows=rows,
                    sha256=digest,
                    command=tx.command,
                    parent=parent,
                    created=now_s,
                    note=note,
                    reads={
                        n: (rebased[n][1] if n in rebased else v) for n, v in sorted(reads.items())
                    },
                )
                os.replace(tmp, final)
                fsync_dir(final.parent)
                entry["versions"].append(asdict(tv))
                entry["current"] = version
                tx.committed[name] = tv
            manifest.update(tx.meta)
            self._save_manifest(manifest)
        for name, tv in tx.committed.items():
            if name in self.read_set:  # this command's own write is now what it "read"
                self.read_set[name] = tv.version

    def meta(self, key: str, default=None):
        """A workspace-level setting kept in the manifest (e.g. `media_root`)."""
        return self.manifest().get(key, default)

    def media_root(self) -> Path | None:
        """The media root ingest recorded, a relative one resolved against the workspace."""
        root = self.meta("media_root")
        if not root:
            return None
        root = Path(root)
        return root if root.is_absolute() else self.root / root

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
                    "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds"),
                }
            )
            self._save_manifest(manifest)
        return tv


class Transaction:
    """Tables staged for one atomic manifest update (see Workspace.transaction)."""

    def __init__(self, ws: Workspace, command: str, reads: Mapping[str, int | None] | None = None):
        self.ws, self.command = ws, command
        self.reads = dict(reads) if reads is not None else None  # snapshot at start
        self.staged: list[tuple[str, Path, str]] = []
        self.rebase: dict[str, Rebase] = {}
        self.validate: dict[str, bool] = {}
        self.extra: list[Path] = []  # files staged by a rebase
        self.meta: dict = {}
        self.committed: dict[str, TableVersion] = {}
        self._done = False

    def read(self, name: str, version: int | None = None, columns: list[str] | None = None):
        """Read a table and add it to this transaction's checked inputs."""
        table = self.ws.read(name, version, columns)
        if self.reads is None:
            self.reads = {}
        self.reads[name] = self.ws.read_set[name]
        return table

    def stage_path(self, name: str, note: str = "") -> Path:
        if any(n == name for n, _, _ in self.staged):
            raise WorkspaceError(f"table '{name}' is staged twice in one transaction")
        tmp = self.ws._stage_path(name)
        self.staged.append((name, tmp, note))
        return tmp

    def write(
        self,
        name: str,
        table: pa.Table,
        note: str = "",
        validate: bool = True,
        rebase: Rebase | None = None,
    ) -> None:
        """Stage `table` as `name`'s next version; `rebase` replays it if `name` moves."""
        if rebase is not None:
            self.rebase[name] = rebase
        self.validate[name] = validate
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
            self.ws._commit(self)
        self._done = True

    def cleanup(self) -> None:
        for tmp in [t for _, t, _ in self.staged] + self.extra:
            if tmp.is_dir():  # a sharded version (stage_dir)
                shutil.rmtree(tmp, ignore_errors=True)
                continue
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def stage_dir(self, name: str, note: str = "") -> Path:
        """A staged version that is a directory of Parquet shards (see Workspace.sharded_writer)."""
        path = self.stage_path(name, note)
        path.mkdir()
        return path


def _current_in(manifest: dict, name: str) -> TableVersion | None:
    entry = manifest["tables"].get(name)
    if not entry or entry.get("current") is None:
        return None
    for v in entry["versions"]:
        if v["version"] == entry["current"]:
            return TableVersion(**v)
    return None


def _mover(manifest: dict, name: str) -> str:
    """The command that last moved `name`'s current version (a write or a checkout)."""
    cur = _current_in(manifest, name)
    outs = [c for c in manifest.get("checkouts", []) if c.get("table") == name]
    if outs and (cur is None or outs[-1].get("time", "") >= cur.created):
        return outs[-1].get("command", "checkout")
    return cur.command if cur else "unknown"
