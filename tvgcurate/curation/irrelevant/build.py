"""build-irrelevant: append synthetic irrelevant/partial rows to the samples table.

For every requested split and strategy, independently:

- parents: the split's relevant rows (any origin), in a seeded order;
- donors: the split's distinct relevant queries (whitespace-normalised), so nothing leaks
  across splits; a donor's id is the smallest sample_id carrying that text;
- a video's true queries: its relevant queries in every split;
- N = round_half_up(ratio x parents) rows, exactly, or a TvgError naming the shortfall.

The new table (old rows, minus replaced ones, then the new rows) is written as one new
version of `samples`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from tvgcurate.curation.embeddings import embed_texts
from tvgcurate.curation.irrelevant.assign import assign
from tvgcurate.curation.irrelevant.config import IrrelevantConfig, target_count
from tvgcurate.curation.irrelevant.registry import STRATEGIES
from tvgcurate.curation.irrelevant.similarity import Groups, PairFinder, key64, mix
from tvgcurate.curation.irrelevant.strategy import Strategy
from tvgcurate.curation.irrelevant.text import ProperNouns, normalise
from tvgcurate.errors import TvgError, WorkspaceError
from tvgcurate.schemas import conform
from tvgcurate.schemas.sample import has_windows
from tvgcurate.workspace import Workspace

_COLUMNS = ("sample_id", "video_id", "query", "relevance", "split", "source", "duration_s")
_COLUMNS += ("origin", "donor_sample_id")


@dataclass
class StrategyReport:
    split: str
    strategy: str
    relevant: int
    added: int
    similarity: dict[str, float] = field(default_factory=dict)  # min, p5, p25, p50, p75, p95, max


@dataclass
class BuildResult:
    version: int | None
    added: int
    total: int
    reports: list[StrategyReport]


@dataclass
class _Split:
    """One split's parents, donors and video groups, as positions and embedding rows."""

    name: str
    parents: list[int]  # row indices of the samples table
    parent_group: np.ndarray
    videos: list[str]
    groups: Groups
    donor_texts: list[str]
    donor_ids: list[str]
    donor_rows: np.ndarray
    donor_index: dict[str, int]


def build_irrelevant(cfg: IrrelevantConfig, encoder=None) -> BuildResult:
    """Run the configured strategies and write the samples table's new version."""
    ws = Workspace(cfg.workspace)
    if ws.current("samples") is None:
        raise WorkspaceError(f"{ws.root}: no samples table yet; run `tvgcurate ingest` first")
    table = conform("samples", ws.read("samples"))
    cols = table.select(list(_COLUMNS)).to_pydict()
    keep = _keep_mask(cols, cfg)
    kept = table.filter(pa.array(keep))
    cols = {k: [v for v, m in zip(vs, keep, strict=True) if m] for k, vs in cols.items()}
    norm = [normalise(q) for q in cols["query"]]
    relevant = [has_windows(r) for r in cols["relevance"]]

    splits = [_prepare(name, cols, norm, relevant) for name in cfg.splits]
    truth_texts = sorted(
        {t for sp in splits for t in sp.donor_texts} | _truth_texts(splits, cols, norm, relevant)
    )
    text_row = {t: i for i, t in enumerate(truth_texts)}
    # a registry name lets process / Ray workers build the encoder once each
    enc = encoder if encoder is not None else cfg.encoder
    emb = embed_texts(ws, truth_texts, encoder=enc, progress=cfg.progress, run=cfg.embedding)
    proper = ProperNouns.from_corpus(t for t, r in zip(norm, relevant, strict=True) if r)

    new_rows: list[dict] = []
    reports: list[StrategyReport] = []
    taken = {(v, normalise(q)) for v, q in zip(cols["video_id"], cols["query"], strict=True)}
    for sp in splits:
        _attach_rows(sp, cols, norm, relevant, text_row)
        used_irrelevant = _used_irrelevant(sp, cols, norm)
        for name in cfg.strategies:
            strat = STRATEGIES.get(name)(cfg)
            used = (
                used_irrelevant
                if strat.relevance == "irrelevant"
                else _used_partial(sp, cols, strat)
            )
            rows = _run(strat, sp, emb, cols, norm, used, proper, cfg, taken)
            new_rows.extend(rows)
            sims = np.array([r["similarity"] for r in rows])
            reports.append(StrategyReport(sp.name, name, len(sp.parents), len(rows), _stats(sims)))

    _check_unique(cols, new_rows)
    out = pa.concat_tables([kept, _rows_table(new_rows, kept.schema)])
    summary = ", ".join(f"{r.split}/{r.strategy} +{r.added}" for r in reports)
    tv = ws.write(
        "samples",
        out,
        note=f"build-irrelevant seed={cfg.seed}: {summary}",
        reads=ws.inputs("samples"),
        rebase=lambda current: _replay(current, new_rows, cfg),
    )
    return BuildResult(tv.version, len(new_rows), tv.rows, reports)


def _replay(current: pa.Table, new_rows: list[dict], cfg: IrrelevantConfig) -> pa.Table:
    """This run's rows appended to a samples version another command wrote meanwhile.

    Rows whose parent is gone, or whose id or (video, query) pair is now taken, are
    dropped; a same-strategy run that got there first is refused as on a fresh run.
    """
    current = conform("samples", current)
    cols = current.select(list(_COLUMNS)).to_pydict()
    keep = _keep_mask(cols, cfg)
    kept = current.filter(pa.array(keep))
    ids = {sid for sid, m in zip(cols["sample_id"], keep, strict=True) if m}
    pairs = {
        (v, normalise(q))
        for v, q, m in zip(cols["video_id"], cols["query"], keep, strict=True)
        if m
    }
    rows = []
    for r in new_rows:
        key = (r["video_id"], normalise(r["query"]))
        if r["parent_sample_id"] in ids and r["sample_id"] not in ids and key not in pairs:
            rows.append(r)
            ids.add(r["sample_id"])
            pairs.add(key)
    return pa.concat_tables([kept, _rows_table(rows, kept.schema)], promote_options="default")


def _keep_mask(cols: dict, cfg: IrrelevantConfig) -> list[bool]:
    """Rows to keep; refuses (or, with replace, drops) earlier rows of the same split+strategy."""
    targets = {(s, f"synthetic:{name}") for s in cfg.splits for name in cfg.strategies}
    hits = Counter(
        (s, o) for s, o in zip(cols["split"], cols["origin"], strict=True) if (s, o) in targets
    )
    if hits and not cfg.replace:
        what = ", ".join(f"{n} {o} rows in split {s!r}" for (s, o), n in sorted(hits.items()))
        raise TvgError(f"the samples table already has {what}; pass --replace to regenerate them")
    return [(s, o) not in targets for s, o in zip(cols["split"], cols["origin"], strict=True)]


def _prepare(name: str, cols: dict, norm: list[str], relevant: list[bool]) -> _Split:
    parents = [
        i for i, (s, r) in enumerate(zip(cols["split"], relevant, strict=True)) if r and s == name
    ]
    if not parents:
        known = sorted({s for s, r in zip(cols["split"], relevant, strict=True) if r and s})
        raise TvgError(
            f"split {name!r} has no relevant samples; splits with relevant samples: "
            f"{', '.join(known) or 'none'} (choose with --split)"
        )
    parents.sort(key=lambda i: cols["sample_id"][i])
    videos = sorted({cols["video_id"][i] for i in parents})
    vindex = {v: g for g, v in enumerate(videos)}
    donor_ids: dict[str, str] = {}
    for i in parents:  # parents are in sample_id order: the first id per text is the smallest
        donor_ids.setdefault(norm[i], cols["sample_id"][i])
    donor_texts = sorted(donor_ids)
    return _Split(
        name=name,
        parents=parents,
        parent_group=np.array([vindex[cols["video_id"][i]] for i in parents], dtype=np.int64),
        videos=videos,
        groups=Groups(np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint64)),
        donor_texts=donor_texts,
        donor_ids=[donor_ids[t] for t in donor_texts],
        donor_rows=np.zeros(0, np.int64),
        donor_index={t: d for d, t in enumerate(donor_texts)},
    )


def _video_truth(splits: list[_Split], cols, norm, relevant) -> dict[str, set[str]]:
    wanted = {v for sp in splits for v in sp.videos}
    truth: dict[str, set[str]] = {v: set() for v in wanted}
    for v, t, r in zip(cols["video_id"], norm, relevant, strict=True):
        if r and v in truth:
            truth[v].add(t)
    return truth


def _truth_texts(splits, cols, norm, relevant) -> set[str]:
    return {t for ts in _video_truth(splits, cols, norm, relevant).values() for t in ts}


def _attach_rows(sp: _Split, cols, norm, relevant, text_row: dict[str, int]) -> None:
    truth = _video_truth([sp], cols, norm, relevant)
    sp.groups = Groups.from_lists(
        [sorted(text_row[t] for t in truth[v]) for v in sp.videos],
        [key64(v) for v in sp.videos],
    )
    sp.donor_rows = np.array([text_row[t] for t in sp.donor_texts], dtype=np.int64)


def _used_irrelevant(sp: _Split, cols, norm) -> dict[int, set[int]]:
    """Donor texts already paired with each video as irrelevant rows (never repeat one)."""
    vindex = {v: g for g, v in enumerate(sp.videos)}
    used: dict[int, set[int]] = {}
    for v, t, rel in zip(cols["video_id"], norm, cols["relevance"], strict=True):
        g, d = vindex.get(v), sp.donor_index.get(t)
        if g is not None and d is not None and rel == "irrelevant":
            used.setdefault(g, set()).add(d)
    return used


def _used_partial(sp: _Split, cols, strat: Strategy) -> dict[int, set[int]]:
    vindex = {v: g for g, v in enumerate(sp.videos)}
    donor_pos = {sid: d for d, sid in enumerate(sp.donor_ids)}
    used: dict[int, set[int]] = {}
    for v, o, donor in zip(cols["video_id"], cols["origin"], cols["donor_sample_id"], strict=True):
        g, d = vindex.get(v), donor_pos.get(donor)
        if o == strat.origin and g is not None and d is not None:
            used.setdefault(g, set()).add(d)
    return used


def _strategy_seed(seed: int, split: str, name: str) -> int:
    return int(mix(seed, np.uint64(key64(split)), np.uint64(key64(name))))


def _run(strat: Strategy, sp: _Split, emb, cols, norm, used, proper, cfg, taken) -> list[dict]:
    """The strategy's rows; a composed query already in `taken` ((video, normalised query)
    pairs, updated here) is skipped and its slot goes to another candidate."""
    seed = _strategy_seed(cfg.seed, sp.name, strat.name)
    n = target_count(cfg.ratio, len(sp.parents))
    finder = PairFinder(
        emb, sp.groups, sp.donor_rows, np.array([key64(t) for t in sp.donor_texts], np.uint64), seed
    )
    parent_keys = np.array([key64(cols["sample_id"][i]) for i in sp.parents], dtype=np.uint64)
    order = np.argsort(mix(seed, parent_keys, 2), kind="stable")
    queries: dict[tuple[int, int], str] = {}

    def fresh(p: int, donor: int) -> bool:
        i = sp.parents[p]
        q = strat.query(norm[i], sp.donor_texts[donor], proper)
        key = (cols["video_id"][i], normalise(q))
        if key in taken:
            return False
        taken.add(key)
        queries[(p, donor)] = q
        return True

    pairs = assign(finder, sp.parent_group, order, n, used, strat.accept, fresh)
    if len(pairs) < n:
        raise TvgError(
            f"{strat.name}: found only {len(pairs)} of the {n} pairs needed for split "
            f"{sp.name!r} ({len(sp.parents)} relevant rows x --ratio {cfg.ratio:g}); every one of "
            f"its {len(sp.donor_texts)} donor queries was tried against the videos' queries "
            f"({strat.criterion()}). To get more, {strat.relax_hint()}."
        )
    rows = []
    for pair in pairs:
        i = sp.parents[pair.parent]
        rows.append(
            {
                "sample_id": f"{cols['sample_id'][i]}~{strat.name}~{pair.occurrence}",
                "video_id": cols["video_id"][i],
                "query": queries[(pair.parent, pair.donor)],
                "windows": [],
                "relevance": strat.relevance,
                "split": sp.name,
                "source": cols["source"][i],
                "duration_s": cols["duration_s"][i],
                "origin": strat.origin,
                "parent_sample_id": cols["sample_id"][i],
                "needs_review": strat.needs_review,
                "donor_sample_id": sp.donor_ids[pair.donor],
                "similarity": round(pair.similarity, 6),
            }
        )
    return rows


def _check_unique(cols: dict, rows: list[dict]) -> None:
    """Synthetic rows may repeat neither a sample_id nor a (video, query) pair."""
    ids = set(cols["sample_id"])
    pairs = {(v, normalise(q)) for v, q in zip(cols["video_id"], cols["query"], strict=True)}
    for r in rows:
        key = (r["video_id"], normalise(r["query"]))
        if r["sample_id"] in ids or key in pairs:
            raise TvgError(
                f"internal: synthetic row {r['sample_id']} repeats an existing sample id or "
                f"(video, query) pair {key!r}; report this with the command line"
            )
        ids.add(r["sample_id"])
        pairs.add(key)


def _rows_table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_arrays(
        [pa.array([r.get(f.name) for r in rows], type=f.type) for f in schema], schema=schema
    )


def _stats(sims: np.ndarray) -> dict[str, float]:
    if not sims.size:
        return {}
    qs = np.percentile(sims, [0, 5, 25, 50, 75, 95, 100])
    names = ("min", "p5", "p25", "p50", "p75", "p95", "max")
    return {k: round(float(v), 4) for k, v in zip(names, qs, strict=True)}
