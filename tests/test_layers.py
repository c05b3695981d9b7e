"""Imports run downhill (docs/dev/architecture.md §2): cli → (exporters, demo, loop) →
model / labeling / curation / evaluation → workspace, executors → schemas, metrics,
registry, errors, keyvalue, folds; no import cycle among tvgcurate's modules, counting
imports inside functions; and no two sibling packages that import each other. Imports are
read with `ast`, so these tests never import the package (nothing heavy is loaded); only
`test_the_cli_loads_no_heavy_library` imports it, in a subprocess.

An import is an edge to the module it names: `from pkg import name` goes to `pkg.name` when
that is a submodule and to `pkg` (its `__init__`) otherwise; `import a.b` goes to `a.b`.
Imports under `if TYPE_CHECKING:` never run, so they do not count."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import deque
from functools import cache
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "tvgcurate"

# the first part of a module's name below `tvgcurate` -> its layer (higher imports lower)
LAYERS = {
    "cli": 5, "__main__": 5, "docs_cli": 5,
    "exporters": 4, "demo": 4, "loop": 4,
    "model": 3, "labeling": 3, "curation": 3, "evaluation": 3, "summary": 3,
    "workspace": 2, "executors": 2,
    "schemas": 1, "metrics": 1, "registry": 1, "errors": 1, "keyvalue": 1, "folds": 1,
    "__init__": 1,
}  # fmt: skip

# (importer's top package, imported top package) -> why it is allowed for now
ALLOWED: dict[tuple[str, str], str] = {}

# import cycles that another change is removing: a frozenset of the modules of one strongly
# connected component -> why it is tolerated for now (the test fails once it is gone, so the
# entry gets removed)
KNOWN_CYCLES: dict[frozenset[str], str] = {}


def _name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in sorted(PKG.rglob("*.py"))}
PACKAGES = {_name(p) for p in MODULES.values() if p.name == "__init__.py"}


def _resolve(mod: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _known(name: str) -> str | None:
    """The longest tvgcurate module that `name` (a module or a name inside one) refers to."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def edges(mod: str, module_level_only: bool = False) -> dict[str, tuple[int, bool]]:
    """tvgcurate modules that `mod` imports -> (line of the first such import, whether that
    import sits inside a function). `if TYPE_CHECKING:` blocks do not count."""
    path = MODULES[mod]
    return _edges(mod, path, path.read_text(encoding="utf-8"), module_level_only)


@cache
def _edges(mod: str, path: Path, text: str, module_level_only: bool):
    tree = ast.parse(text)
    out: dict[str, tuple[int, bool]] = {}

    def visit(nodes, in_function: bool):
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                visit(node.orelse, in_function)
                continue
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                src = _resolve(mod, path.name == "__init__.py", node)
                names = [f"{src}.{a.name}" for a in node.names]
            else:
                names = []
            for n in names:
                k = _known(n) if n.startswith("tvgcurate") else None
                if k and k != mod and (k not in out or (out[k][1] and not in_function)):
                    out[k] = (node.lineno, in_function)
            inner = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if inner and module_level_only:
                continue
            visit(ast.iter_child_nodes(node), in_function or inner)

    visit(tree.body, False)
    return out


def imports(mod: str, module_level_only: bool = False) -> set[str]:
    """tvgcurate modules that `mod` imports, at any level unless `module_level_only`."""
    return set(edges(mod, module_level_only))


def _top(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_has_a_layer():
    missing = sorted({_top(m) for m in MODULES} - set(LAYERS))
    assert not missing, f"add these to LAYERS (and docs/dev/architecture.md): {missing}"


def test_no_import_goes_up_a_layer():
    bad = []
    for mod in MODULES:
        for dep in imports(mod):
            a, b = _top(mod), _top(dep)
            if LAYERS[b] > LAYERS[a] and (a, b) not in ALLOWED:
                bad.append(f"{mod} (layer {LAYERS[a]}) imports {dep} (layer {LAYERS[b]})")
    assert not bad, "imports that go up:\n" + "\n".join(sorted(bad))


def test_allow_list_is_still_needed():
    used = {(_top(m), _top(d)) for m in MODULES for d in imports(m)}
    stale = sorted(set(ALLOWED) - used)
    assert not stale, f"remove from ALLOWED: {stale}"


def _components(graph: dict[str, list[str]]) -> list[list[str]]:
    """The strongly connected components of `graph` with more than one module (Tarjan's,
    iterative so that a deep graph cannot hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(graph[w])))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def _shortest_cycle(graph: dict[str, list[str]], start: str, within: set[str]) -> list[str]:
    """The shortest path start -> ... -> start through modules of `within`."""
    prev: dict[str, str] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in graph[v]:
            if w not in within or w in prev:
                continue
            prev[w] = v
            if w == start:
                path = [start]
                while path[-1] != start or len(path) == 1:
                    path.append(prev[path[-1]])
                return path[::-1]
            queue.append(w)
    return [start]


def _graph() -> dict[str, list[str]]:
    return {m: sorted(imports(m)) for m in MODULES}


def _describe(graph: dict[str, list[str]], comp: list[str]) -> str:
    path = _shortest_cycle(graph, comp[0], set(comp))
    steps = []
    for a, b in zip(path, path[1:], strict=False):
        line, inner = edges(a)[b]
        where = "in a function" if inner else "module level"
        steps.append(f"    {a} -> {b}  ({MODULES[a].relative_to(PKG.parent)}:{line}, {where})")
    head = f"  {len(comp)} modules: {', '.join(comp)}\n  e.g.\n"
    return head + "\n".join(steps)


def cycles() -> list[list[str]]:
    """Every import cycle among tvgcurate's modules (one strongly connected component each),
    counting imports at any level."""
    return _components(_graph())


def test_no_import_cycle():
    graph = _graph()
    comps = [c for c in _components(graph) if frozenset(c) not in KNOWN_CYCLES]
    report = "\n".join(_describe(graph, c) for c in comps)
    assert not comps, f"{len(comps)} import cycles (at any level):\n{report}"


def test_known_cycles_are_still_there():
    found = {frozenset(c) for c in cycles()}
    stale = [sorted(k) for k in KNOWN_CYCLES if k not in found]
    assert not stale, f"remove (or update) in KNOWN_CYCLES: {stale}"


def _units(a: str, b: str) -> tuple[str, str] | None:
    """The two sibling units (packages or modules under one parent package) that an import
    a -> b crosses; None when one of the two modules contains the other."""
    pa, pb = a.split("."), b.split(".")
    n = 0
    while n < min(len(pa), len(pb)) and pa[n] == pb[n]:
        n += 1
    if n == len(pa) or n == len(pb):
        return None
    return ".".join(pa[: n + 1]), ".".join(pb[: n + 1])


def mutual_siblings() -> dict[tuple[str, str], tuple[tuple[str, str], tuple[str, str]]]:
    """Pairs of sibling packages that import each other -> one import each way."""
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for mod in MODULES:
        for dep in imports(mod):
            if (u := _units(mod, dep)) and (u[0] in PACKAGES or u[1] in PACKAGES):
                seen.setdefault(u, (mod, dep))
    return {(a, b): (seen[(a, b)], seen[(b, a)]) for (a, b) in seen if a < b and (b, a) in seen}


def test_no_two_sibling_packages_import_each_other():
    bad = [
        f"{a} <-> {b}: {x[0]} imports {x[1]}; {y[0]} imports {y[1]}"
        for (a, b), (x, y) in sorted(mutual_siblings().items())
    ]
    assert not bad, "sibling packages that import each other:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "src,expected",
    [
        ("from tvgcurate.workspace import Workspace", {"tvgcurate.workspace"}),
        ("def f():\n    from tvgcurate.cli.app import app", {"tvgcurate.cli.app"}),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import tvgcurate.cli", set()),
        ("from tvgcurate.cli import app", {"tvgcurate.cli.app"}),
        ("from tvgcurate.curation import nothing_here", {"tvgcurate.curation"}),
        ("import tvgcurate.curation.embeddings as e", {"tvgcurate.curation.embeddings"}),
        ("class C:\n    def f(self):\n        import tvgcurate.errors", {"tvgcurate.errors"}),
        (
            "if TYPE_CHECKING:\n    import tvgcurate.cli\nelse:\n    import tvgcurate.errors",
            {"tvgcurate.errors"},
        ),
    ],
)
def test_the_parser_sees_imports(src, expected, tmp_path, monkeypatch):
    f = tmp_path / "probe.py"
    f.write_text(src)
    monkeypatch.setitem(MODULES, "tvgcurate.probe", f)
    assert imports("tvgcurate.probe") == expected


def test_module_level_only_skips_functions(tmp_path, monkeypatch):
    f = tmp_path / "probe.py"
    f.write_text("import tvgcurate.errors\ndef f():\n    from tvgcurate.cli.app import app\n")
    monkeypatch.setitem(MODULES, "tvgcurate.probe", f)
    assert imports("tvgcurate.probe", module_level_only=True) == {"tvgcurate.errors"}
    assert edges("tvgcurate.probe")["tvgcurate.cli.app"] == (3, True)


def test_cycles_are_found_with_their_path():
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"], "e": ["e"]}
    assert _components(graph) == [["a", "b", "c"]]
    assert _shortest_cycle(graph, "b", {"a", "b", "c"}) == ["b", "c", "a", "b"]


def test_sibling_units():
    assert _units("tvgcurate.labeling.select", "tvgcurate.curation.embeddings") == (
        "tvgcurate.labeling",
        "tvgcurate.curation",
    )
    assert _units("tvgcurate.curation", "tvgcurate.curation.embeddings") is None
    assert _units("tvgcurate.curation.audit.run", "tvgcurate.curation.irrelevant") == (
        "tvgcurate.curation.audit",
        "tvgcurate.curation.irrelevant",
    )


# imported only inside the functions that need them, so `tvgcurate --help` stays fast
HEAVY = ("torch", "transformers", "trl", "peft", "ray", "label_studio_sdk", "scenedetect",
         "decord", "sentence_transformers", "vllm", "datasets", "cv2")  # fmt: skip


def test_the_cli_loads_no_heavy_library():
    code = (
        "import sys, tvgcurate.cli; "
        f"bad = [m for m in {HEAVY!r} if m in sys.modules]; "
        "assert not bad, f'importing tvgcurate.cli loads {bad}'"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
