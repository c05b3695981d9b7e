"""Install a trainer library into a throw-away directory and run its own loader on an export.

The library goes in with `pip install --no-deps --target` (never a second torch: the
interpreter stays .venv's, with its torch/transformers/datasets), cached under the temp dir
keyed by the pinned versions, so only the first run pays the install. A module the loader
imports but never uses on this path, and that would pull torch-bound wheels (torchaudio,
tensordict), is replaced by an empty stub. The loader runs in a subprocess (stubs stay out of
the test process) and prints JSON. Every failure to install or import skips with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

INSTALL_LIMIT_S = 300
ROOT = Path(tempfile.gettempdir()) / "tvgcurate-thirdparty"
CONSTRAINTS = Path(__file__).resolve().parents[2] / "constraints.txt"

STUB = """import importlib.machinery, sys, types

def stub(name):
    m = types.ModuleType(name)
    m.__spec__ = importlib.machinery.ModuleSpec(name, None)
    m.__path__ = []
    def __getattr__(attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return type(attr, (), {"__init__": lambda self, *a, **k: None})
    m.__getattr__ = __getattr__
    sys.modules[name] = m
"""


def install(packages: list[str]) -> Path:
    """The directory holding `packages` (pinned `name==version`), installed once; skips when
    pip cannot install them here (offline, no wheel, over INSTALL_LIMIT_S)."""
    key = hashlib.sha256("\n".join(sorted(packages)).encode()).hexdigest()[:12]
    target = ROOT / f"{packages[0].split('==')[0]}-{key}"
    if (target / ".complete").is_file():
        return target
    ROOT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=ROOT, prefix=".install-"))
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(tmp)]
    if CONSTRAINTS.is_file():
        cmd += ["-c", str(CONSTRAINTS)]
    start = time.monotonic()
    try:
        res = subprocess.run(
            cmd + packages, capture_output=True, text=True, timeout=INSTALL_LIMIT_S
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.skip(f"installing {packages[0]} took over {INSTALL_LIMIT_S} s")
    if res.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        tail = (res.stderr or res.stdout).strip().splitlines()[-1:]
        pytest.skip(f"cannot install {packages[0]} here: {' '.join(tail)}")
    (tmp / "tvgcurate_stub.py").write_text(STUB, encoding="utf-8")
    size = sum(f.stat().st_size for f in tmp.rglob("*") if f.is_file())
    (tmp / ".complete").write_text(
        json.dumps({"seconds": round(time.monotonic() - start, 1), "bytes": size}) + "\n"
    )
    if target.exists():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        os.replace(tmp, target)
    return target


def run_loader(target: Path, script: str, *args: str, env: dict | None = None, timeout=300):
    """Run `script` (Python source) with the library on the path; its last stdout line is
    JSON. An import failure of the library itself skips, with the missing name."""
    code = Path(tempfile.mkdtemp(prefix="tvg-loader-")) / "loader.py"
    code.write_text(script, encoding="utf-8")
    repo = Path(__file__).resolve().parents[2]
    full_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(target), str(repo)]),
        "TOKENIZERS_PARALLELISM": "false",
        **(env or {}),
    }
    res = subprocess.run(
        [sys.executable, str(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )
    if res.returncode != 0:
        err = res.stderr.strip().splitlines()
        if any("ModuleNotFoundError" in line or "ImportError" in line for line in err[-3:]):
            pytest.skip(f"the library does not import on CPU here: {err[-1]}")
        raise AssertionError(f"loader failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])
