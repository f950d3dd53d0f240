"""Run a short Python script as a fresh site process and read back its result.

Threads, providers and instrumentation are per process, so the cleanest way to test
start-up is to start up. The script gets ``warnings`` (every WARNING logged) and
must leave a JSON-able ``result`` dict.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRELUDE = """
import json, logging, threading
logging.basicConfig(level=logging.WARNING)
warnings = []
class Keep(logging.Handler):
    def emit(self, record):
        warnings.append(record.getMessage())
logging.getLogger().addHandler(Keep(level=logging.WARNING))
result = {}
"""


def run_script(receiver, tmp_path, body: str, **env_extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.process_settings",
        AA_DEMO_DB=str(tmp_path / "db.sqlite3"),
        ANALYTICS_ENDPOINT=receiver.url,
        OTEL_BSP_SCHEDULE_DELAY="50",
        PYTHONPATH=str(ROOT),
    )
    env.update(env_extra)
    script = PRELUDE + body + "\nresult['warnings'] = warnings\n"
    script += "print(json.dumps(result))\n"
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])
