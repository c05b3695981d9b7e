"""Imports run downhill (DESIGN.md §2): cli → (exporters, demo, loop) → model / labeling /
curation / evaluation → workspace → schemas, metrics, registry, errors, keyvalue; and no
module-level import cycle among tvgcurate's modules. Imports are read with `ast`, so the
test never imports the package (nothing heavy is loaded)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "tvgcurate"

# the first part of a module's name below `tvgcurate` -> its layer (higher imports lower)
LAYERS = {
    "cli": 5, "__main__": 5, "docs_cli": 5,
    "exporters": 4, "demo": 4, "loop": 4,
    "model": 3, "labeling": 3, "curation": 3, "evaluation": 3, "summary": 3,
    "workspace": 2,
    "schemas": 1, "metrics": 1, "registry": 1, "errors": 1, "keyvalue": 1, "__init__": 1,
}  # fmt: skip

# (importer's top package, imported top package) -> why it is allowed for now
ALLOWED: dict[tuple[str, str], str] = {}


def _name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in sorted(PKG.rglob("*.py"))}


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


def imports(mod: str, module_level_only: bool) -> set[str]:
    """tvgcurate modules that `mod` imports (`if TYPE_CHECKING:` blocks do not count)."""
    path = MODULES[mod]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                src = _resolve(mod, path.name == "__init__.py", node)
                names = [f"{src}.{a.name}" for a in node.names]
            else:
                names = []
            for n in names:
                if n.startswith("tvgcurate") and (k := _known(n)) and k != mod:
                    out.add(k)
            inner = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if inner and module_level_only:
                continue
            visit(ast.iter_child_nodes(node))

    visit(tree.body)
    return out


def _top(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_has_a_layer():
    missing = sorted({_top(m) for m in MODULES} - set(LAYERS))
    assert not missing, f"add these to LAYERS (and DESIGN.md §2): {missing}"


def test_no_import_goes_up_a_layer():
    bad = []
    for mod in MODULES:
        for dep in imports(mod, module_level_only=False):
            a, b = _top(mod), _top(dep)
            if LAYERS[b] > LAYERS[a] and (a, b) not in ALLOWED:
                bad.append(f"{mod} (layer {LAYERS[a]}) imports {dep} (layer {LAYERS[b]})")
    assert not bad, "imports that go up:\n" + "\n".join(sorted(bad))


def test_allow_list_is_still_needed():
    used = {(_top(m), _top(d)) for m in MODULES for d in imports(m, module_level_only=False)}
    stale = sorted(set(ALLOWED) - used)
    assert not stale, f"remove from ALLOWED: {stale}"


def _cycles() -> list[list[str]]:
    graph = {m: sorted(imports(m, module_level_only=True)) for m in MODULES}
    index, low, stack, on, out = {}, {}, [], set(), []

    def strong(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
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

    for m in graph:
        if m not in index:
            strong(m)
    return out


def test_no_module_level_import_cycle():
    cycles = _cycles()
    assert not cycles, "import cycles (module level):\n" + "\n".join(map(" <-> ".join, cycles))


@pytest.mark.parametrize(
    "src,expected",
    [
        ("from tvgcurate.workspace import Workspace", {"tvgcurate.workspace"}),
        ("def f():\n    from tvgcurate.cli.app import app", {"tvgcurate.cli.app"}),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import tvgcurate.cli", set()),
    ],
)
def test_the_parser_sees_imports(src, expected, tmp_path, monkeypatch):
    f = tmp_path / "probe.py"
    f.write_text(src)
    monkeypatch.setitem(MODULES, "tvgcurate.probe", f)
    assert imports("tvgcurate.probe", module_level_only=False) == expected
    assert "tvgcurate.cli.app" not in imports("tvgcurate.probe", module_level_only=True)
