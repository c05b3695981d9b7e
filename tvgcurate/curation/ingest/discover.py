"""A directory as an ingest source: the annotation files in it that a reader knows.

Every file under the directory (recursively, hidden ones left out, in name order) is
offered to the readers' sniffers (the ``sniff`` metadata of the READERS registry, by
priority); a file none accepts, or whose split cannot be told from its name, is skipped
with the reason, and `tvgcurate ingest` lists the skipped files.
"""

from __future__ import annotations

from pathlib import Path

from tvgcurate.curation.ingest.base import READERS, infer_split, sniff_format

HEAD_BYTES = 65536


def _head(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(HEAD_BYTES).removeprefix(b"\xef\xbb\xbf")


def scan_directory(
    root: Path, fmt: str = "auto", split: str | None = None
) -> tuple[list[Path], dict[str, str]]:
    """(annotation files found, {skipped file: why}) under `root`."""
    found: list[Path] = []
    skipped: dict[str, str] = {}
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        try:
            head = _head(path)
        except OSError as exc:
            skipped[str(path)] = f"cannot read: {exc.strerror or exc}"
            continue
        suffixes = READERS.meta(fmt).get("suffixes") if fmt != "auto" else None
        if suffixes:  # a format that is never sniffed (custom): taken by suffix
            known = fmt if path.suffix.lower() in suffixes else None
        else:
            known = sniff_format(path, head)
        if known is None:
            skipped[str(path)] = "not an annotation layout tvgcurate knows"
            continue
        if fmt != "auto" and known != fmt:
            skipped[str(path)] = f"looks like {known}, not --format {fmt}"
            continue
        meta = READERS.meta(known)
        if not (
            split or infer_split(path) or meta.get("default_split") or meta.get("durations_only")
        ):
            skipped[str(path)] = "cannot tell the split from the file name (pass --split)"
            continue
        found.append(path)
    return found, skipped
