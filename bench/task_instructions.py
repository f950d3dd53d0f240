"""Task cost in instructions: what ``bench.task_cost`` times, counted by callgrind.

Task CPU time on a shared machine moves by a few percent from run to run, as much
as the ``ours / floor`` margin being measured. Instructions do not: valgrind's
callgrind counts them exactly, per thread, whatever the other tenants do. Each
setup's child runs the bench task through the tracer Celery's pool calls
(``build_tracer``, with the ``task_prerun`` / ``task_postrun`` receivers where
OpenTelemetry starts and ends its span) and counts only the measured loop:
callgrind zeroes its counters when the loop calls ``os.getloadavg()`` and dumps
them when it calls ``os.times()``, two functions nothing else in the loop calls.

Only the task's own thread is counted: the export threads (the batch span
processor and, for ``ours``, the GA sender) show in ``bench.task_cost``'s process
CPU row instead.

Needs ``valgrind``; ``python -m bench.task_instructions`` runs it alone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import Row, target_row
from bench.site_process import emit, run_child

SETUPS = ("floor", "ours")
TARGET_RATIO = 1.05
TASKS = 500
WARMUP = 100
_TIMEOUT_SECS = 600.0
_TOTALS = re.compile(r"^totals:\s+(\d+)", re.M)


def available() -> bool:
    return shutil.which("valgrind") is not None


# --- the child, under callgrind ---------------------------------------------------


def _request(index: int, setup: str) -> dict[str, Any]:
    """The request a prefork pool child hands the tracer, for one message."""
    from bench.task_worker import TASK_NAME

    task_id = str(uuid.UUID(int=index + 1))
    return {
        "id": task_id,
        "task": TASK_NAME,
        "root_id": task_id,
        "parent_id": None,
        "group": None,
        "correlation_id": task_id,
        "reply_to": None,
        "delivery_info": {
            "exchange": "",
            "routing_key": setup,
            "priority": 0,
            "redelivered": False,
        },
        "hostname": f"{setup}@bench",
        "is_eager": False,
        "args": (index, 1),
        "kwargs": {},
        "headers": None,
        "retries": 0,
        "eta": None,
        "expires": None,
    }


def child() -> None:
    """Run the task ``TASKS`` times between callgrind's zero and dump marks."""
    import django

    django.setup()
    from celery import current_app, signals
    from celery.app.trace import build_tracer

    from bench.task_worker import TASK_NAME

    setup = os.environ["AA_BENCH_SETUP"]
    app = current_app._get_current_object()
    signals.worker_process_init.send(sender=None)  # what a pool child receives
    task = app.tasks[TASK_NAME]
    tracer = build_tracer(TASK_NAME, task, app=app, hostname="bench", eager=False)
    count = int(os.environ.get("AA_BENCH_TASKS", TASKS))
    requests = [_request(i, setup) for i in range(WARMUP + count)]
    for i, request in enumerate(requests[:WARMUP]):
        tracer(request["id"], (i, 1), {}, request)
    measured = requests[WARMUP:]
    os.getloadavg()  # callgrind: zero the counters
    for i, request in enumerate(measured):
        tracer(request["id"], (i, 1), {}, request)
    os.times()  # callgrind: dump them
    emit({"setup": setup, "tasks": count})


# --- the parent -------------------------------------------------------------------


def _count(setup: str, env: dict[str, str], workdir: Path) -> int:
    """Instructions the task's thread ran in the measured loop."""
    out = workdir / f"callgrind-{setup}.out"
    command = [
        "valgrind", "--tool=callgrind", "--separate-threads=yes",
        "--zero-before=os_getloadavg", "--dump-before=os_times",
        f"--callgrind-out-file={out}",
        sys.executable, "-m", "bench.task_instructions", "--child",
    ]  # fmt: skip
    result = subprocess.run(
        command,
        env={**env, "AA_BENCH_SETUP": setup, "PYTHONHASHSEED": "0"},
        cwd=env["AA_DEMO_DIR"],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_SECS,
    )
    if result.returncode != 0:
        raise RuntimeError(f"callgrind child failed:\n{result.stderr[-3000:]}")
    # Zeroing and dumping act on the calling thread, the task's (thread 01); the
    # last dump (``<out>.<n>-01``) is the one at our ``os.times()``.
    dumps = sorted(
        workdir.glob(f"{out.name}.*-01"),
        key=lambda p: int(p.name.rsplit(".", 1)[1].split("-")[0]),
    )
    match = _TOTALS.search(dumps[-1].read_text()) if dumps else None
    if match is None:
        raise RuntimeError(f"no callgrind dump for {setup}: {result.stderr[-2000:]}")
    return int(match.group(1))


def measure(env: dict[str, str], workdir: Path) -> dict[str, int]:
    """Per setup, instructions per task run; the two children run side by side."""
    with ThreadPoolExecutor(len(SETUPS)) as pool:
        futures = {s: pool.submit(_count, s, env, workdir) for s in SETUPS}
    count = int(env.get("AA_BENCH_TASKS", TASKS))
    return {s: f.result() // count for s, f in futures.items()}


def rows_from(counts: dict[str, int]) -> list[Row]:
    section = "task cost"
    rows = [
        Row(
            section,
            f"{setup}: task thread instructions per task",
            f"{counts[setup]:,}",
            detail="callgrind, in process through Celery's tracer",
        )
        for setup in SETUPS
    ]
    rows.append(
        target_row(
            section,
            "ours / floor, task thread instructions",
            counts["ours"] / counts["floor"],
            "<=",
            TARGET_RATIO,
            detail="exact to about 1%; the timed ratio moves by 3-5%",
        )
    )
    return rows


def run(env: dict[str, str], quick: bool = False) -> list[Row]:
    """The instruction rows, from a site environment ``bench.task_cost`` prepared."""
    if quick:  # the harness runs, uncounted: valgrind would take a minute
        quick_env = {**env, "AA_BENCH_TASKS": "20", "AA_BENCH_SETUP": "ours"}
        run_child("bench.task_instructions", quick_env, 120)
        return [Row("task cost", "instructions per task", "quick: not counted")]
    if not available():
        return [Row("task cost", "instructions per task", "skipped: no valgrind")]
    with tempfile.TemporaryDirectory(prefix="aa-bench-callgrind-") as tmp:
        return rows_from(measure(env, Path(tmp)))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--child" in args:
        child()
        return 0

    from bench.common import format_table
    from bench.task_cost import site_for_instructions

    with site_for_instructions() as env:
        print(format_table(run(env, quick="--quick" in args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
