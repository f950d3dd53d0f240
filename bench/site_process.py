"""Run part of a benchmark as a fresh site process and read back its result.

Django is configured once per process and analytics wires itself up in it, so a
benchmark that needs a site runs its measuring half as ``python -m bench.<name>
--child`` against a new SQLite database; the child prints one JSON line last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def site_env(workdir: Path, endpoint: str, **extra: str) -> dict[str, str]:
    """The demo site's environment with ``bench.stats_settings`` and ``extra``."""
    from aa_otel_analytics.demo import run

    env = run.site_env(workdir, endpoint)
    env["DJANGO_SETTINGS_MODULE"] = "bench.stats_settings"
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), env.get("PYTHONPATH")])
    )
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    from aa_otel_analytics.demo import run

    run.manage(env, "migrate", "--verbosity", "0")


def run_child(
    module: str, env: dict[str, str], timeout_secs: float, *args: str
) -> dict:
    """Run ``python -m module --child args``; its last stdout line, as JSON."""
    out = subprocess.run(
        [sys.executable, "-m", module, "--child", *args],
        env=env,
        cwd=env["AA_DEMO_DIR"],
        capture_output=True,
        text=True,
        timeout=timeout_secs,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{module} child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def emit(result: dict) -> None:
    """The child's last line."""
    print(json.dumps(result), flush=True)
