"""The benchmark runs end to end in quick mode, so it cannot rot unnoticed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.__main__ import PARTS
from tests.scripting import ROOT

pytestmark = pytest.mark.slow


def test_every_benchmark_part_runs_in_quick_mode():
    out = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert out.returncode == 0, out.stderr[-4000:]
    for part in PARTS:
        assert f"bench: {part} done" in out.stderr
    assert "section" in out.stdout and "measured" in out.stdout
    assert " rows, " in out.stdout.splitlines()[-1]
