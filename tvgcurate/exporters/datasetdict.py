"""Writing a Hugging Face DatasetDict directory: `save_to_disk` files, Parquet shards and a
dataset card. `DatasetDictExporter` is the one implementation the `hf` and `trl` exporters
share: they build the DatasetDict, it checks the split names, writes the card and the files.

Layout of OUT (loads with `datasets.load_from_disk(OUT)`, with
`datasets.load_dataset("parquet", data_files={"train": "OUT/data/train-*.parquet"})` and,
through the card's `configs`, with `datasets.load_dataset(OUT)`; OUT can be uploaded to the
Hub as it is)::

    OUT/dataset_dict.json, OUT/<split>/...      save_to_disk (Arrow)
    OUT/data/<split>-00000-of-0000N.parquet     Parquet shards (with the HF features)
    OUT/README.md                               dataset card
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tvgcurate import __version__
from tvgcurate.errors import TvgError
from tvgcurate.exporters.base import ExportContext, Exporter
from tvgcurate.keyvalue import setting
from tvgcurate.workspace import current_command

# What is known of each source's annotation terms (the card repeats it; it is no legal advice).
SOURCE_LICENSES = {
    "qvhighlights": ("cc-by-nc-sa-4.0", "QVHighlights annotations: CC BY-NC-SA 4.0"),
    "charades-sta": ("other", "Charades-STA: the Charades licence (non-commercial research use)"),
    "activitynet": ("other", "ActivityNet Captions: the ActivityNet / ActivityNet Captions terms"),
    "qvh-lines": ("other", "Lighthouse-converted annotations: their datasets' own terms"),
}


def dataset_from_arrow(table: pa.Table, image_columns: tuple[str, ...] = ()):
    """A datasets.Dataset over `table`; `image_columns` (list<struct<bytes, path>>) become
    a list of Image features."""
    import datasets
    from datasets.table import InMemoryTable

    ds = datasets.Dataset(InMemoryTable(table))
    if image_columns:
        feats = ds.features.copy()
        for c in image_columns:
            feats[c] = datasets.List(datasets.Image())
        ds = ds.cast(feats)
    return ds


def license_for(sources: list[str], override: str | None) -> tuple[str, list[str]]:
    notes = [
        SOURCE_LICENSES.get(s, ("other", f"{s}: see the dataset's own terms"))[1] for s in sources
    ]
    if override:
        return override, notes
    ids = {SOURCE_LICENSES.get(s, ("other", ""))[0] for s in sources}
    return (ids.pop() if len(ids) == 1 else "other"), notes


def _counts_table(splits: dict[str, pa.Table]) -> str:
    counts: Counter = Counter()
    for split, t in splits.items():
        src = t.column("source").to_pylist() if "source" in t.column_names else ["?"] * t.num_rows
        rel = (
            t.column("relevance").to_pylist()
            if "relevance" in t.column_names
            else ["?"] * t.num_rows
        )
        for s, r in zip(src, rel, strict=True):
            counts[(split, s, r)] += 1
    lines = ["| split | source | relevance | rows |", "| --- | --- | --- | ---: |"]
    for (split, s, r), n in sorted(counts.items()):
        lines.append(f"| {split} | {s} | {r} | {n} |")
    total = sum(counts.values())
    lines.append(f"| **all** | | | **{total}** |")
    return "\n".join(lines)


def _features_table(features, descriptions: dict[str, str]) -> str:
    lines = ["| column | type | meaning |", "| --- | --- | --- |"]
    for name, feat in features.items():
        text = repr(feat).replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{name}` | `{text}` | {descriptions.get(name, '')} |")
    return "\n".join(lines)


def card(
    *,
    title: str,
    summary: str,
    dsd,
    splits: dict[str, pa.Table],
    ctx: ExportContext,
    license_id: str,
    license_notes: list[str],
    descriptions: dict[str, str],
    usage: str,
    extra: str = "",
) -> str:
    """README.md: YAML metadata (licence, configs, features) and the body."""
    import yaml

    first = next(iter(dsd.values()))
    meta = {
        "license": license_id,
        "pretty_name": title,
        "task_categories": ["video-text-to-text"],
        "tags": ["temporal-video-grounding", "video-moment-retrieval", "tvgcurate"],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": s, "path": f"data/{s}-*.parquet"} for s in dsd],
            }
        ],
        "dataset_info": {"features": first.features._to_yaml_list()},
    }
    if license_id == "other":
        meta["license_name"] = "per-source"
        meta["license_details"] = "; ".join(license_notes)
    ws = Path(ctx.workspace).resolve() if ctx.workspace else None
    sel = {k: v for k, v in ctx.selection.items() if v not in (None, False, [])}
    prov = [
        f"- workspace: `{ws}`",
        f"- samples version: v{ctx.samples_version}",
        f"- samples sha256: `{ctx.samples_sha256}`",
        f"- selection: {sel or 'all relevant samples'}",
        f"- options: {ctx.options or 'defaults'}",
        f"- exported by tvgcurate {__version__} on "
        f"{_dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds')}",
        f"- command: `{current_command()}`",
    ]
    body = [
        f"# {title}",
        "",
        summary,
        "",
        "## Counts",
        "",
        _counts_table(splits),
        "",
        "## Features",
        "",
        _features_table(first.features, descriptions),
        "",
        "## Loading",
        "",
        usage,
        "",
        "## Provenance",
        "",
        *prov,
        "",
        "## Licence",
        "",
        f"`{license_id}`. The annotations keep their datasets' terms:",
        "",
        *[f"- {n}" for n in license_notes],
        "",
        "The videos are not included; obtain them from each dataset's own distribution.",
        "",
    ]
    if extra:
        body += [extra, ""]
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    return f"---\n{head}---\n\n" + "\n".join(body)


@contextlib.contextmanager
def quiet():
    """No datasets progress bars while an exporter works (the CLI prints one summary)."""
    import datasets

    was_on = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if was_on:
            datasets.enable_progress_bars()


def save(dsd, out: Path, readme: str, max_shard_mb: float) -> list[Path]:
    """save_to_disk into `out`, Parquet shards into `out/data`, and the card; returns shards."""
    out = Path(out)
    dsd.save_to_disk(str(out))
    data = out / "data"
    data.mkdir(exist_ok=True)
    shards = []
    for split, ds in dsd.items():
        nbytes = ds.data.nbytes
        n = max(1, min(len(ds), math.ceil(nbytes / (max_shard_mb * 2**20)))) if len(ds) else 1
        for i in range(n):
            path = data / f"{split}-{i:05d}-of-{n:05d}.parquet"
            ds.shard(num_shards=n, index=i, contiguous=True).to_parquet(str(path))
            shards.append(path)
    (out / "README.md").write_text(readme, encoding="utf-8")
    return shards


def check_split_names(names) -> None:
    for s in names:
        if not s or not re.fullmatch(r"\w+(\.\w+)*", s):
            raise TvgError(
                f"split {s!r} is not a valid Hugging Face split name (letters, digits, _ and .)"
            )


@dataclass
class CardOptions:
    """The options every DatasetDict format has (the card's licence, the shard size)."""

    license: str | None = setting(None, "Card licence id (default: from the sources).")
    max_shard_mb: float = setting(500.0, "Parquet shard size target (MB).")

    def __post_init__(self):
        if not self.max_shard_mb > 0:
            raise ValueError("max_shard_mb must be > 0")


class DatasetDictExporter(Exporter):
    """A format written as a DatasetDict directory with a dataset card.

    Subclasses implement `build` (the rows) and call `save_dataset` once with the
    DatasetDict; `DESCRIPTIONS` documents their columns in the card.
    """

    is_dir = True
    Options = CardOptions
    DESCRIPTIONS: dict[str, str] = {}

    def write(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:
        with quiet():
            return self.build(samples, out, ctx)

    def build(self, samples: pa.Table, out: Path, ctx: ExportContext) -> int:  # pragma: no cover
        raise NotImplementedError

    def save_dataset(
        self,
        splits: dict,
        out: Path,
        ctx: ExportContext,
        opts: CardOptions,
        *,
        title: str,
        summary: str,
        usage: str,
        image_columns: tuple[str, ...] = (),
    ):
        """Write `splits` (split name -> pa.Table or list of row dicts) with their card into
        `out`; returns the DatasetDict."""
        import datasets

        check_split_names(splits)
        dsd = datasets.DatasetDict(
            {
                s: dataset_from_arrow(t, image_columns)
                if isinstance(t, pa.Table)
                else datasets.Dataset.from_list(t)
                for s, t in splits.items()
            }
        )
        tables = {s: _as_table(t) for s, t in splits.items()}
        sources = sorted({s for t in tables.values() for s in t.column("source").to_pylist()})
        license_id, notes = license_for(sources, opts.license)
        readme = card(
            title=f"{title}: {', '.join(sources)}",
            summary=summary,
            dsd=dsd,
            splits=tables,
            ctx=ctx,
            license_id=license_id,
            license_notes=notes,
            descriptions=self.DESCRIPTIONS,
            usage=usage,
        )
        save(dsd, out, readme, opts.max_shard_mb)
        return dsd


def _as_table(rows) -> pa.Table:
    """The source / relevance columns the card counts, from a table or a list of rows."""
    if isinstance(rows, pa.Table):
        return rows
    return pa.table(
        {"source": [r["source"] for r in rows], "relevance": [r["relevance"] for r in rows]}
    )
