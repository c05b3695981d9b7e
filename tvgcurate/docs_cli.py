"""Generate docs/cli.md from the Typer app: `python -m tvgcurate.docs_cli` (or `--check`).

The page is built from the click commands themselves (usage, help, every option with its
type, default and help, the epilog), so it is deterministic and never drifts: a test
regenerates it and fails when the committed page is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
HEADER = """# Command-line reference

Generated from the Typer app by `python -m tvgcurate.docs_cli`; do not edit by hand
(`tests/test_docs_cli.py` fails when this page is stale). Every command also has `--help`.
"""


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _is_option(p) -> bool:
    return p.param_type_name == "option"


def _default(p) -> str:
    if _is_option(p) and p.is_flag and p.secondary_opts:
        on = p.opts[0] if p.default else p.secondary_opts[0]
        return f"`{on}`"
    d = p.default
    if d is None or d == () or d == [] or callable(d):
        return ""
    return f"`{d}`"


def _type(p) -> str:
    if _is_option(p) and p.is_flag:
        return "flag"
    ann = getattr(getattr(p, "type_descriptor", None), "annotation", None)
    if ann is None:
        ann = getattr(p, "type", "")
    text = str(ann) if getattr(ann, "__args__", None) else getattr(ann, "__name__", str(ann))
    text = text.replace("typing.", "").replace("pathlib.", "").replace(" | None", "")
    text = {"str": "text", "Path": "path", "float": "number", "int": "integer"}.get(text, text)
    if text.startswith("list["):
        inner = text[5:-1]
        text = {"str": "text", "Path": "path"}.get(inner, inner) + " (repeatable)"
    return text


def _command(path: list[str], cmd, out: list[str]) -> None:
    # Typer vendors click (typer._click): work with the objects' own classes, not click's.
    ctx = cmd.context_class(cmd, info_name=" ".join(path))
    level = "#" * min(len(path) + 1, 4)
    out += [f"{level} `{' '.join(path)}`", ""]
    if cmd.help:
        out += [" ".join(line.strip() for line in cmd.help.strip().splitlines()), ""]
    out += [
        "```",
        " ".join(cmd.collect_usage_pieces(ctx)).join([f"{' '.join(path)} ", ""]),
        "```",
        "",
    ]
    if hasattr(cmd, "commands"):
        for name in sorted(cmd.commands):
            _command(path + [name], cmd.commands[name], out)
        return
    args = [p for p in cmd.params if p.param_type_name == "argument"]
    opts = [p for p in cmd.params if _is_option(p) and not getattr(p, "hidden", False)]
    if args or opts:
        out += ["| option | type | default | help |", "| --- | --- | --- | --- |"]
        for p in args:
            req = " (required)" if p.required else ""
            out.append(f"| `{(p.metavar or p.name).upper()}` | {_type(p)} | | argument{req} |")
        for p in opts:
            names = ", ".join(f"`{o}`" for o in p.opts + p.secondary_opts)
            req = " **required**" if p.required else ""
            out.append(f"| {names} | {_type(p)} | {_default(p)} | {_cell(p.help or '')}{req} |")
        out.append("")
    if cmd.epilog:
        out += ["```text", cmd.epilog.strip().replace("\n\n", "\n"), "```", ""]


def render() -> str:
    import typer

    from tvgcurate.cli import app

    root = typer.main.get_command(app)
    out = [HEADER]
    names = sorted(root.commands)
    out += ["| command | what it does |", "| --- | --- |"]
    for name in names:
        first = (root.commands[name].help or "").strip().split("\n")[0]
        out.append(f"| [`tvgcurate {name}`](#tvgcurate-{name}) | {_cell(first)} |")
    out.append("")
    for name in names:
        _command(["tvgcurate", name], root.commands[name], out)
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is stale: run `python -m tvgcurate.docs_cli`", file=sys.stderr)
            return 1
        print(f"{DOC} is up to date")
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
