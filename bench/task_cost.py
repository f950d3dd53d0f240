"""Task cost: what the analytics add to one run of a trivial task in a real worker.

Three Celery workers (prefork, one pool child each) run the same trivial task, each
from its own queue, in three setups:

- ``bare``: no OpenTelemetry at all;
- ``floor``: OpenTelemetry's Celery instrumentation, the SDK tracer provider and a
  batch span processor whose exporter does nothing, the least any OTel-based design
  pays;
- ``ours``: this package, set up as a site has it (default batch delay), exporting
  to a local GA receiver.

Every message is queued before measuring starts, and each round of each setup
waits behind a gate (``bench.task_worker.hold``) that the driver opens one at a
time, rotating the order of the setups from round to round: one worker runs at a
time, with nothing else publishing, and drift over the run reaches all three
alike. The first round warms up and is not counted. Each pool child times
every run around the task's tracer, as CPU time of the task's thread (the target)
and wall time; its CPU time over the run, export thread included, is reported too.
The broker is SQLAlchemy on SQLite when SQLAlchemy is installed, else Celery's
filesystem broker (one consumer per queue keeps clear of its known race).

Run it with ``python -m bench.task_cost [--quick]``.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.common import Row, median, percentile, target_row
from bench.site_process import site_env

SETUPS = ("bare", "floor", "ours")
TARGET_RATIO = 1.05
TASK_NAME = "bench.task_worker.add"
DUMP_NAME = "bench.task_worker.dump"
HOLD_NAME = "bench.task_worker.hold"
_WAIT_SECS = 60.0
_HOLD_SECS = 300.0  # the last gate opens after every round before it


def broker(workdir: Path) -> tuple[str, dict[str, object]]:
    """The broker URL and transport options for the workers and the producer."""
    if importlib.util.find_spec("sqlalchemy") is not None:
        return f"sqla+sqlite:///{workdir / 'broker.sqlite3'}", {}
    folder = str(workdir / "broker")
    return "filesystem://", {
        "data_folder_in": folder,
        "data_folder_out": folder,
        "processed_folder": str(workdir / "processed"),
        "control_folder": str(workdir / "control"),
        "store_processed": False,
    }


def _env(workdir: Path, endpoint: str, url: str) -> dict[str, str]:
    env = site_env(workdir, endpoint, DJANGO_SETTINGS_MODULE="bench.task_settings")
    env.pop("OTEL_BSP_SCHEDULE_DELAY")  # the SDK's default, as on a real site
    if url != "filesystem://":
        env["CELERY_BROKER_URL"] = url
    return env


def _wait_for(path: Path, log: Path, timeout_secs: float = _WAIT_SECS) -> dict:
    deadline = time.monotonic() + timeout_secs
    while not path.exists():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"no timings in {path.name}; {log.name} ends:\n{tail}")
        time.sleep(0.002)
    return json.loads(path.read_text())


@dataclass
class SetupTimings:
    """One setup's measurements, warm-up excluded; times in nanoseconds."""

    wall: list[int] = field(default_factory=list)
    cpu: list[int] = field(default_factory=list)
    round_cpu_medians: list[float] = field(default_factory=list)
    process_cpu_start: int = 0
    process_cpu_end: int = 0

    def add(self, dumped: dict) -> None:
        self.wall.extend(dumped["wall_ns"])
        self.cpu.extend(dumped["cpu_ns"])
        self.round_cpu_medians.append(median(dumped["cpu_ns"]))
        self.process_cpu_end = dumped["process_cpu_ns"]

    def process_cpu_per_task(self) -> float:
        return (self.process_cpu_end - self.process_cpu_start) / max(len(self.cpu), 1)


def measure(
    workdir: Path, endpoint: str, rounds: int, per_round: int
) -> dict[str, SetupTimings]:
    from celery import Celery

    from aa_otel_analytics.demo import run

    url, options = broker(workdir)
    env = _env(workdir, endpoint, url)
    run.prepare(env)  # the broker's tables too, before three workers race for them
    producer = Celery("bench-producer", broker=url)
    producer.conf.broker_transport_options = options
    timings = {setup: SetupTimings() for setup in SETUPS}
    log = {setup: workdir / f"worker-{setup}.log" for setup in SETUPS}
    names = ["warm"] + [f"round-{index}" for index in range(rounds)]
    workers: list[subprocess.Popen[bytes]] = []
    with ExitStack() as stack, producer.connection_for_write() as connection:

        def enqueue(setup: str, dump_to: Path, flush: bool) -> None:
            publish = functools.partial(
                producer.send_task, queue=setup, connection=connection
            )
            publish(HOLD_NAME, (str(dump_to.with_suffix(".go")), _HOLD_SECS))
            for index in range(per_round):
                publish(TASK_NAME, (index, 1))
            publish(DUMP_NAME, (str(dump_to), flush))

        def run_round(setup: str, name: str) -> dict:
            dump_to = workdir / f"{name}-{setup}.json"
            dump_to.with_suffix(".go").touch()
            return _wait_for(dump_to, log[setup])

        # The first messages create the broker's tables before any worker polls.
        for name in names:
            for setup in SETUPS:
                enqueue(setup, workdir / f"{name}-{setup}.json", name == names[-1])
        for setup in SETUPS:
            command = run.worker_command(
                1, "-Q", setup, "-n", f"{setup}@bench", "-I", "bench.task_worker"
            )
            setup_env = {**env, "AA_BENCH_SETUP": setup}
            workers.append(
                stack.enter_context(run.managed_process(command, setup_env, log[setup]))
            )
        for setup in SETUPS:
            warm = run_round(setup, "warm")
            timings[setup].process_cpu_start = warm["process_cpu_ns"]
        for index, name in enumerate(names[1:]):
            shift = index % len(SETUPS)
            for setup in SETUPS[shift:] + SETUPS[:shift]:
                timings[setup].add(run_round(setup, name))
        for worker in workers:  # warm shutdowns take seconds: let them overlap
            worker.send_signal(signal.SIGTERM)
    return timings


def rows_from(
    timings: dict[str, SetupTimings], received_tasks: int, sent_tasks: int
) -> list[Row]:
    section = "task cost"
    rows = []
    cpu = {s: median(t.cpu) / 1000 for s, t in timings.items()}
    wall = {s: median(t.wall) / 1000 for s, t in timings.items()}
    process = {s: t.process_cpu_per_task() / 1000 for s, t in timings.items()}
    for setup in SETUPS:
        rows.append(
            Row(
                section,
                f"{setup}: task CPU / wall / process CPU per task",
                f"{cpu[setup]:.1f} / {wall[setup]:.1f} / {process[setup]:.1f} us",
                detail=f"n={len(timings[setup].cpu)}, "
                f"task CPU p90 {percentile(timings[setup].cpu, 0.9) / 1000:.1f} us",
            )
        )
    rows.append(
        target_row(
            section,
            "ours / floor, task CPU (median)",
            cpu["ours"] / cpu["floor"],
            "<=",
            TARGET_RATIO,
        )
    )
    round_ratios = [
        ours / floor
        for ours, floor in zip(
            timings["ours"].round_cpu_medians,
            timings["floor"].round_cpu_medians,
            strict=True,
        )
    ]
    rows.append(
        Row(
            section,
            "ours / floor, task CPU, paired rounds",
            f"{median(round_ratios):.3f} (IQR {percentile(round_ratios, 0.25):.3f}"
            f" .. {percentile(round_ratios, 0.75):.3f})",
            detail="each round's median of ours over the same round's of floor",
        )
    )
    rows.append(
        Row(
            section,
            "ours / floor, wall (median) / process CPU",
            f"{wall['ours'] / wall['floor']:.3f} / "
            f"{process['ours'] / process['floor']:.3f}",
        )
    )
    rows.append(
        Row(
            section,
            "ours / bare, floor / bare, task CPU (median)",
            f"{cpu['ours'] / cpu['bare']:.3f}, {cpu['floor'] / cpu['bare']:.3f}",
        )
    )
    rows.append(
        Row(
            section,
            "ours: task events at the receiver",
            f"{received_tasks} / {sent_tasks}",
        )
    )
    return rows


def run(quick: bool = False) -> list[Row]:
    from aa_otel_analytics.receiver import GAReceiver
    from bench import task_instructions

    rounds, per_round = (4, 10) if quick else (200, 10)
    with (
        tempfile.TemporaryDirectory(prefix="aa-bench-tasks-") as tmp,
        GAReceiver() as ga,
    ):
        timings = measure(Path(tmp), ga.url, rounds, per_round)
        sent = (rounds + 1) * per_round
        ga.wait_for(lambda: len(_task_events(ga)) >= sent, 10)
        received = len(_task_events(ga))
        env = _env(Path(tmp), ga.url, broker(Path(tmp))[0])
        counted = task_instructions.run(env, quick=quick)
    rows = rows_from(timings, received, sent) + counted
    return [replace(r, passed=None) for r in rows] if quick else rows


@contextmanager
def site_for_instructions() -> Iterator[dict[str, str]]:
    """A migrated site and a GA receiver, for ``bench.task_instructions`` alone."""
    from aa_otel_analytics.demo import run
    from aa_otel_analytics.receiver import GAReceiver

    with (
        tempfile.TemporaryDirectory(prefix="aa-bench-tasks-") as tmp,
        GAReceiver() as ga,
    ):
        env = _env(Path(tmp), ga.url, broker(Path(tmp))[0])
        run.prepare(env)
        yield env


def _task_events(receiver: object) -> list[dict]:
    return [
        e
        for e in receiver.events("celery_event")  # type: ignore[attr-defined]
        if e["params"].get("task") == "add"
    ]


def main(argv: list[str] | None = None) -> int:
    from bench.common import part_main

    return part_main(argv, "python -m bench.task_cost", run)


if __name__ == "__main__":
    sys.exit(main())
