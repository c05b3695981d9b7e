"""benchmarks/gpu_check.py: fails fast and clearly where CUDA is absent."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def load():
    from benchmarks import gpu_check

    return gpu_check


def test_without_cuda_it_exits_2_with_a_clear_message(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    t = time.perf_counter()
    assert load().main([]) == 2
    assert time.perf_counter() - t < 30
    err = capsys.readouterr().err
    assert "CUDA is not available" in err and "GPU machine" in err


def test_the_command_line_exits_2_too():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    p = subprocess.run(
        [sys.executable, "-m", "benchmarks.gpu_check"], cwd=REPO, capture_output=True, text=True
    )
    assert p.returncode == 2 and "CUDA is not available" in p.stderr


def test_the_docstring_names_the_command_and_the_wheels():
    doc = load().__doc__
    assert "python -m benchmarks.gpu_check" in doc
    for wheel in ("trl==", "datasets==", "pip download"):
        assert wheel in doc
