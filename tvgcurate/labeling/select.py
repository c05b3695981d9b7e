"""``--select`` expressions: which samples go to annotators.

An expression is one or more terms joined by ``,`` (all must hold), in order of the first
ranked term::

    needs_review            samples flagged for review (e.g. `hard` PIR pairs)
    split=val               one split
    ids=FILE                sample ids listed in FILE (one per line, '#' comments)
    audit:top=N             the N samples the current audit ranks worst
    origin=synthetic:hard   one origin (prefix match when it ends with '*')
    all                     every sample

Terms are a registry (``@selector("name")``); ranking audits is ``rank_samples``, one
function that the audit stage may replace.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tvgcurate.curation.audit.ranking import ranked_ids
from tvgcurate.errors import TvgError
from tvgcurate.registry import Registry

# A selector gets the samples table, its argument and the workspace, and returns the
# sample ids it keeps, in its own order (ranked selectors put the worst first).
Selector = Callable[[pa.Table, str | None, object], list[str]]
SELECTORS: Registry[Selector] = Registry("--select term")


def selector(name: str) -> Callable[[Selector], Selector]:
    """Register a selector as the ``--select`` term `name`."""
    return SELECTORS.register(name)


def rank_samples(audits: pa.Table) -> list[str]:
    """Sample ids, worst first: the audit's ranking (`curation.audit.ranking.ranked_ids`)."""
    return ranked_ids(audits)


def _ids(table: pa.Table) -> list[str]:
    return table.column("sample_id").to_pylist()


@selector("all")
def _all(samples: pa.Table, arg: str | None, ws: object) -> list[str]:
    return _ids(samples)


@selector("needs_review")
def _needs_review(samples: pa.Table, arg: str | None, ws: object) -> list[str]:
    mask = pc.fill_null(samples.column("needs_review"), False)
    return _ids(samples.filter(mask))


@selector("split")
def _split(samples: pa.Table, arg: str | None, ws: object) -> list[str]:
    if not arg:
        raise TvgError("--select split=NAME needs a split name, e.g. split=val")
    return _ids(samples.filter(pc.equal(samples.column("split"), arg)))


@selector("origin")
def _origin(samples: pa.Table, arg: str | None, ws: object) -> list[str]:
    if not arg:
        raise TvgError("--select origin=VALUE needs a value, e.g. origin=synthetic:hard")
    col = samples.column("origin")
    mask = pc.starts_with(col, arg[:-1]) if arg.endswith("*") else pc.equal(col, arg)
    return _ids(samples.filter(pc.fill_null(mask, False)))


@selector("ids")
def _ids_file(samples: pa.Table, arg: str | None, ws: object) -> list[str]:
    if not arg:
        raise TvgError("--select ids=FILE needs a file with one sample id per line")
    path = Path(arg)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise TvgError(f"--select ids={arg}: cannot read the file: {exc.strerror}") from None
    wanted = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    known = set(_ids(samples))
    missing = [s for s in wanted if s not in known]
    if missing:
        raise TvgError(
            f"--select ids={arg}: {len(missing)} id(s) are not in the samples table, "
            f"e.g. {missing[0]!r}"
        )
    return list(dict.fromkeys(wanted))


@selector("audit:top")
def _audit_top(samples: pa.Table, arg: str | None, ws: object) -> list[str]:
    try:
        n = int(arg or "")
        if n <= 0:
            raise ValueError
    except ValueError:
        raise TvgError(f"--select audit:top=N needs a positive integer, got {arg!r}") from None
    audits = ws.read("audits")  # type: ignore[attr-defined]
    if audits.num_rows == 0:
        raise TvgError(
            "--select audit:top=N: the workspace has no audits yet; run `tvgcurate audit`"
        )
    known = set(_ids(samples))
    ranked = [s for s in rank_samples(audits) if s in known]
    return ranked[:n]


def parse(expr: str) -> list[tuple[str, str | None]]:
    """Split an expression into (selector, argument) terms; unknown names are an error."""
    terms = []
    for raw in (expr or "").split(","):
        term = raw.strip()
        if not term:
            continue
        name, _, arg = term.partition("=")
        name = name.strip()
        if name not in SELECTORS:
            known = ", ".join(sorted(SELECTORS))
            raise TvgError(f"--select: unknown term {name!r} (known: {known})")
        terms.append((name, arg.strip() if _ else None))
    if not terms:
        raise TvgError("--select is empty; e.g. --select needs_review or --select split=val")
    return terms


def select_ids(samples: pa.Table, expr: str, ws: object = None) -> list[str]:
    """The sample ids that `expr` selects, in the order of its first term."""
    result: list[str] | None = None
    for name, arg in parse(expr):
        ids = SELECTORS[name](samples, arg, ws)
        if result is None:
            result = ids
        else:
            keep = set(ids)
            result = [s for s in result if s in keep]
    return result or []
