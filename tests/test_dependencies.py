"""Every environment the project builds installs pinned versions only (docs/dev/dependencies.md).

A registry release must never change what a fresh machine gets: sentry-sdk 3.0.0 broke Label
Studio 1.23.2 for every new install that let pip choose. These tests read the install scripts,
the test helpers and the lock files, and compare the environments that exist with their locks.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCKS = [
    ROOT / "constraints.txt",
    ROOT / "requirements" / "labelstudio.lock",
    ROOT / "requirements" / "pip.txt",
    ROOT / "requirements" / "screenshots.txt",
]
# The one deliberate resolve: scripts/lock-labelstudio.sh makes the lock from this file.
LOCK_INPUT = "requirements/labelstudio.in"
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?==[A-Za-z0-9.+!-]+$")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            out[norm(name)] = version
    return out


def unpinned_reason(words: list[str], where: str) -> str | None:
    """Why an install command (its words after `install`) may take an unpinned version, or
    None when every package it installs is pinned."""
    if "--upgrade" in words and "pip" in words:
        return "upgrades pip to whatever is newest (install -r requirements/pip.txt)"
    no_deps = "--no-deps" in words
    constrained = False
    packages: list[str] = []
    it = iter(words)
    for w in it:
        if w in ("-r", "--requirement", "-c", "--constraint"):
            target = next(it, "")
            if LOCK_INPUT in target:
                if not where.startswith("scripts/lock-labelstudio.sh:"):
                    return f"resolves {LOCK_INPUT} outside scripts/lock-labelstudio.sh"
                constrained = True
                continue
            if not (target.endswith((".lock", ".txt")) or target in ("$LOCK", '"$LOCK"')):
                return f"-r/-c {target}: not a lock file"
            constrained = True
        elif w in ("-e", "--editable", "--target", "-d", "--dest"):
            next(it, "")
        elif w.startswith("-"):
            continue
        else:
            packages.append(w.strip("\"'"))
    for p in packages:
        if "$" in p or p.endswith(".whl") or "*" in p:
            if not no_deps and not p.startswith("$"):
                return f"{p}: wheel files need --no-deps"
            continue
        if not PIN.match(p):
            return f"{p!r} is not pinned with =="
    # Pinned at the top, but its dependencies would be chosen by pip.
    if packages and not (no_deps or constrained):
        return "pinned packages without --no-deps or a constraints file pull unpinned deps"
    return None


def pip_commands() -> list[tuple[str, list[str]]]:
    """(file:line, words after `install`) for each install command of pip in scripts, CI, tests
    and benchmarks (shell lines and docstring usage lines alike)."""
    files = [ROOT / ".ci" / "run"]
    for pattern in ("scripts/*", "tests/**/*.py", "benchmarks/**/*.py", "benchmarks/*.sh"):
        files += sorted(ROOT.glob(pattern))
    found = []
    for f in files:
        if not f.is_file() or f.name == Path(__file__).name:
            continue
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            m = re.search(r"pip\"?\)?\s+(?:-m\s+pip\s+)?install\s+(.*)$", line)
            code = line.split("#", 1)[0] if f.suffix in (".sh", "") else line
            if m and "install" in code:
                # The command ends at a shell operator or at the end of inline code in prose.
                cmd = re.split(r"`|&&|\|\||;|\s\|\s|\)", m.group(1))[0]
                try:
                    words = shlex.split(cmd.rstrip("\\").strip(), posix=True)
                except ValueError:
                    words = cmd.split()
                found.append((f"{f.relative_to(ROOT)}:{i}", words))
    return found


def test_the_scan_sees_every_install_script():
    where = {w.split(":")[0] for w, _ in pip_commands()}
    assert {"scripts/setup.sh", "scripts/setup-labelstudio.sh"} <= where


def test_no_install_takes_an_unpinned_version():
    bad = []
    for where, words in pip_commands():
        reason = unpinned_reason(words, where)
        if reason:
            bad.append(f"{where}: {reason}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    "command, bad",
    [
        ("install -q label-studio==1.23.2", True),  # its dependencies float
        ("install -q --upgrade pip", True),
        ("install -q sentry-sdk", True),
        ("install -q --no-deps -r requirements/labelstudio.lock", False),
        ("install -q -c constraints.txt -e .[all]", False),
        ('install -q "torch==2.13.0"', True),  # torch's own dependencies float
        ('install -q -c constraints.txt "torch==2.13.0"', False),
        ("install -q --no-deps trl==1.16.0 datasets==5.2.0", False),
        ("install -q --no-deps playwright", True),
        ("install -q -r requirements/labelstudio.in", True),  # only the lock script may
    ],
)
def test_the_rule_itself(command, bad):
    words = shlex.split(command)[1:]
    assert (unpinned_reason(words, "scripts/setup.sh") is not None) is bad


@pytest.mark.parametrize("lock", LOCKS, ids=lambda p: p.name)
def test_every_lock_line_is_a_pin(lock):
    lines = [
        line.split("#", 1)[0].strip()
        for line in lock.read_text(encoding="utf-8").splitlines()
        if line.split("#", 1)[0].strip()
    ]
    assert lines
    assert [line for line in lines if not PIN.match(line)] == []


def test_the_label_studio_lock_caps_sentry_below_3():
    lock = pins(ROOT / "requirements" / "labelstudio.lock")
    assert lock["label-studio"] == "1.23.2"
    assert int(lock["sentry-sdk"].split(".")[0]) < 3


def test_third_party_loader_packages_are_pinned():
    for f in sorted((ROOT / "tests" / "exporters").glob("test_*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "PACKAGES" for t in node.targets
            ):
                values = ast.literal_eval(node.value)
                assert all(PIN.match(v) for v in values), f"{f.name}: {values}"


def test_build_backend_is_pinned():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    requires = re.search(r"^requires = \[(.*)\]$", text, re.M).group(1)
    assert all(PIN.match(r.strip().strip('"')) for r in requires.split(","))


def installed(python: str | Path) -> dict[str, str]:
    """{normalised name: version} of what `python`'s environment holds, read in a fresh
    isolated interpreter (what a test process put on sys.path does not count)."""
    code = (
        "import json;from importlib.metadata import distributions as d;"
        "print(json.dumps({x.metadata['Name']: x.version for x in d()}))"
    )
    out = subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True)
    return {norm(k): v for k, v in json.loads(out.stdout).items()}


def test_this_environment_holds_only_locked_versions():
    """The running .venv: every distribution is pinned by constraints.txt (torch and pip by
    their own pins), at exactly that version. A dependency added to pyproject.toml without a
    pin fails here."""
    locked = pins(ROOT / "constraints.txt")
    locked.update(pins(ROOT / "requirements" / "pip.txt"))
    locked["torch"] = "2.13.0"
    have = installed(sys.executable)
    have.pop("tvgcurate", None)
    # A local version label (torch's "+cpu") is the same release.
    off = {n: (v, locked.get(n)) for n, v in have.items() if locked.get(n) != v.split("+")[0]}
    assert not off, f"installed but not at the locked version (have, lock): {off}"


def test_the_label_studio_environment_matches_its_lock():
    venv = ROOT / ".venv-labelstudio"
    if not (venv / "bin" / "python").is_file():
        pytest.skip("no .venv-labelstudio (scripts/setup-labelstudio.sh makes it)")
    have = installed(venv / "bin" / "python")
    have.pop("pip", None)
    assert have == pins(ROOT / "requirements" / "labelstudio.lock")
    stamp = (venv / ".tvgcurate-lock.sha256").read_text().strip()
    lock_bytes = (ROOT / "requirements" / "labelstudio.lock").read_bytes()
    assert stamp == hashlib.sha256(lock_bytes).hexdigest()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
