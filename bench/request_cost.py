"""What a page view costs: no OpenTelemetry, OTel's floor, this package, the old way.

Four setups of the demo site serve the same two views, the trivial ``/`` and the
realistic ``/dashboard/`` (two queries, about 20 KB of HTML):

- ``bare``: Django alone.
- ``floor``: Django with ``DjangoInstrumentor``, an SDK ``TracerProvider`` and a
  ``BatchSpanProcessor`` feeding an exporter that does nothing; no SDK meter
  provider, so the middleware records no metrics. Any OTel design pays this.
- ``ours``: this package as a site gets it (``runtime.setup()`` from ``ready()``),
  exporting to a local ``GAReceiver``.
- ``old``: ``bench.old_middleware``, Alliance Auth 3.x's page-view middleware.

The instrumentation and the tracer provider are process-global, so each setup
lives in its own process. In-process, a child per setup times
``handler(environ, start_response)`` plus reading the body and ``close()``, one
round at a time on command over a pipe; through a real server, one gunicorn sync
worker per setup answers ``http.client`` requests on 127.0.0.1, a new connection
each. Rounds are shuffled and interleaved, so noise hits every setup alike.

Run it with ``python -m bench.request_cost [--quick]``; ``--profile`` runs
``floor`` and ``ours`` under cProfile and prints where their time goes.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from bench.common import Row, check, format_table, median, percentile

SETUPS = ("bare", "floor", "ours", "old")
VIEWS = {"home": "/", "dashboard": "/dashboard/"}
STATE_PATH = "/_bench/state"
ROOT = Path(__file__).resolve().parent.parent
_REPLY_TIMEOUT_SECS = 120.0
_ROUND_LIMIT_SECS = 20.0
_HEADERS = {"User-Agent": "bench/1.0", "Accept": "text/html", "Accept-Language": "en"}


@dataclass(frozen=True)
class Plan:
    """One phase: rounds, requests per round for each view, warm-up per view."""

    rounds: int
    per_round: dict[str, int]
    warmup: int

    def measured(self) -> int:
        """Requests measured per setup, all views together."""
        return self.rounds * sum(self.per_round.values())


# Short rounds interleave finely, so the other tenants' bursts of a shared machine
# hit every setup alike.
FULL = (
    Plan(120, {"home": 50, "dashboard": 25}, 200),
    Plan(120, {"home": 20, "dashboard": 10}, 50),
)
QUICK = (
    Plan(2, {"home": 25, "dashboard": 15}, 10),
    Plan(1, {"home": 10, "dashboard": 5}, 3),
)


# --- inside a setup's process ------------------------------------------------


class _NullExporter(SpanExporter):
    """The floor's exporter: counts spans and does nothing else."""

    def __init__(self) -> None:
        self.spans = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans += len(spans)
        return SpanExportResult.SUCCESS


_floor_exporter = _NullExporter()


def _install_floor() -> None:
    """OpenTelemetry's default setup, before Django builds its middleware chain."""
    from opentelemetry import trace
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(_floor_exporter))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument()


def build_handler(setup: str) -> Any:
    if setup == "floor":
        _install_floor()
    import django
    from django.core.handlers.wsgi import WSGIHandler

    django.setup()
    return WSGIHandler()


def state(setup: str) -> dict[str, Any]:
    """What the parent checks: middleware, and that each setup did its work."""
    from django.conf import settings
    from opentelemetry import trace

    middleware = list(settings.MIDDLEWARE)
    out: dict[str, Any] = {
        "otel_middleware": sum(m.startswith("opentelemetry.") for m in middleware),
        "old_middleware": sum(m.startswith("bench.old_middleware") for m in middleware),
        "sdk_provider": hasattr(trace.get_tracer_provider(), "add_span_processor"),
    }
    if setup == "floor":
        trace.get_tracer_provider().force_flush()  # type: ignore[attr-defined]
        out["exported_spans"] = _floor_exporter.spans
    elif setup == "ours":
        from aa_otel_analytics import runtime
        from aa_otel_analytics._ga4.drops import drops

        current = runtime.current()
        out["flushed"] = runtime.force_flush(10_000)
        out["sent_events"] = current.sender.sent_events if current else 0
        out["drops"] = dict(drops.snapshot())
    elif setup == "old":
        from bench.old_middleware import queued_messages

        out["queued"] = queued_messages()
    return out


def _environ(path: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_USER_AGENT": _HEADERS["User-Agent"],
        "HTTP_ACCEPT": _HEADERS["Accept"],
        "HTTP_ACCEPT_LANGUAGE": _HEADERS["Accept-Language"],
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def time_requests(handler: Any, path: str, count: int) -> tuple[list[int], int]:
    """Nanoseconds per request, and how many did not answer 200."""
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda data: None

    times = []
    deadline = time.monotonic() + _ROUND_LIMIT_SECS
    for _ in range(count):
        environ = _environ(path)
        start = time.perf_counter_ns()
        result = handler(environ, start_response)
        try:
            b"".join(result)
        finally:
            result.close()
        times.append(time.perf_counter_ns() - start)
        if time.monotonic() > deadline:
            break
    return times, sum(not s.startswith("200") for s in statuses)


def _profile_exports(setup: str) -> Any:
    """Profile the span exporter too: it runs on the batch thread, out of sight."""
    if setup != "ours":
        return None

    import cProfile

    from aa_otel_analytics import runtime

    current = runtime.current()
    if current is None:
        return None
    profiler = cProfile.Profile()
    exporter = current.span_exporter
    export = exporter.export

    def profiled(spans: Sequence[ReadableSpan]) -> SpanExportResult:
        profiler.enable()
        try:
            return export(spans)
        finally:
            profiler.disable()

    exporter.export = profiled  # type: ignore[method-assign]
    return profiler


def serve(setup: str) -> None:
    """A setup's process: answer one JSON command per line until told to exit."""
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # stray prints must not corrupt the protocol
    handler = build_handler(setup)
    profile_dir = os.environ.get("AA_BENCH_PROFILE")
    profiler = export_profiler = None
    if profile_dir:
        import cProfile

        profiler = cProfile.Profile()
        export_profiler = _profile_exports(setup)
    cpu_start = (time.process_time(), time.thread_time())
    measured = 0

    def reply(message: dict[str, Any]) -> None:
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    reply({"ready": os.getpid()})
    for line in sys.stdin:
        command = json.loads(line)
        op = command["op"]
        if op == "warmup":
            time_requests(handler, command["path"], command["count"])
            cpu_start = (time.process_time(), time.thread_time())
            reply({})
        elif op == "round":
            if profiler is not None:
                profiler.enable()
            cpu_ns = time.thread_time_ns()
            times, bad = time_requests(handler, command["path"], command["count"])
            cpu_ns = time.thread_time_ns() - cpu_ns
            if profiler is not None:
                profiler.disable()
            measured += len(times)
            reply({"times": times, "bad": bad, "cpu_ns": cpu_ns})
        elif op == "finish":
            # The last flush exports on this thread; it counts as background work.
            main = time.thread_time() - cpu_start[1]
            out = state(setup)
            process = time.process_time() - cpu_start[0]
            out["background_cpu_us"] = (process - main) * 1e6 / max(measured, 1)
            if profiler is not None and profile_dir:
                profiler.dump_stats(str(Path(profile_dir) / f"{setup}.pstats"))
                if export_profiler is not None:
                    path = Path(profile_dir) / f"{setup}-export.pstats"
                    export_profiler.dump_stats(str(path))
            reply(out)
        elif op == "exit":
            return


def wsgi_application() -> Callable[..., Any]:
    """gunicorn's entry point: the setup's handler plus a state page."""
    setup = os.environ["AA_BENCH_SETUP"]
    handler = build_handler(setup)

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != STATE_PATH:
            return handler(environ, start_response)
        body = json.dumps(state(setup)).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return application


def seed() -> None:
    """Migrate (which preloads the team's token and the install id), add members."""
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    groups = Group.objects.bulk_create(
        Group(name=f"Squadron {n:02d} - Logistics and Doctrine") for n in range(16)
    )
    users = User.objects.bulk_create(
        User(
            username=f"pilot{n:03d}",
            first_name=f"Pilot{n:03d}",
            last_name="Capsuleer",
            email=f"pilot{n:03d}@corp.example.com",
            password="!",
        )
        for n in range(120)
    )
    through = User.groups.through
    through.objects.bulk_create(
        through(user_id=u.pk, group_id=groups[(i + k * 5) % 16].pk)
        for i, u in enumerate(users)
        for k in range(1 + i % 3)
    )


# --- the parent --------------------------------------------------------------


@dataclass
class Samples:
    """Per view and setup: the timings of each round, in microseconds."""

    rounds: dict[tuple[str, str], list[list[float]]] = field(default_factory=dict)
    cpu_ns: dict[tuple[str, str], int] = field(default_factory=dict)
    bad: int = 0

    def add(
        self, view: str, setup: str, times_ns: list[int], bad: int, cpu_ns: int = 0
    ) -> None:
        values = [t / 1000 for t in times_ns]
        self.rounds.setdefault((view, setup), []).append(values)
        self.cpu_ns[(view, setup)] = self.cpu_ns.get((view, setup), 0) + cpu_ns
        self.bad += bad

    def cpu_us(self, view: str, setup: str) -> float:
        """Request-thread CPU per request, in microseconds."""
        count = len(self.all(view, setup))
        return self.cpu_ns.get((view, setup), 0) / 1000 / max(count, 1)

    def all(self, view: str, setup: str) -> list[float]:
        return [v for r in self.rounds.get((view, setup), []) for v in r]


def _env(setup: str, db: Path, workdir: Path, endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.bench_settings",
        AA_BENCH_SETUP=setup,
        AA_DEMO_DIR=str(workdir),
        AA_DEMO_DB=str(db),
        ANALYTICS_ENDPOINT=endpoint,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
    )
    return env


def _prepare_dbs(workdir: Path) -> dict[str, Path]:
    """One seeded SQLite file per setup, so no setup waits on another's locks."""
    base = workdir / "seed.sqlite3"
    env = _env("bare", base, workdir, "http://127.0.0.1:9")
    subprocess.run(
        [sys.executable, "-m", "bench.request_cost", "--seed"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    dbs = {}
    for setup in SETUPS:
        dbs[setup] = workdir / f"{setup}.sqlite3"
        shutil.copyfile(base, dbs[setup])
    return dbs


class _Child:
    """A setup's process, driven one JSON line at a time."""

    def __init__(self, setup: str, env: dict[str, str], log: Path) -> None:
        self.setup = setup
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bench.request_cost", "--serve", setup],
                env=env,
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=out,
                text=True,
                start_new_session=True,
            )

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], _REPLY_TIMEOUT_SECS)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.setup} process did not answer:\n{tail}")
        return json.loads(line)  # type: ignore[no-any-return]

    def call(self, **command: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.call(op="exit")
            except (OSError, RuntimeError):
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


@contextmanager
def _children(
    setups: tuple[str, ...],
    dbs: dict[str, Path],
    workdir: Path,
    endpoint: str,
    profile: bool = False,
) -> Iterator[dict[str, _Child]]:
    children: dict[str, _Child] = {}
    try:
        for setup in setups:
            env = _env(setup, dbs[setup], workdir, endpoint)
            if profile:
                env["AA_BENCH_PROFILE"] = str(workdir)
            children[setup] = _Child(setup, env, workdir / f"{setup}.log")
        for child in children.values():
            child.read()
        yield children
    finally:
        for child in children.values():
            child.stop()


def _interleaved(
    plan: Plan, setups: tuple[str, ...], rng: random.Random
) -> Iterator[tuple[str, str, int]]:
    """(view, setup, requests) for every round, the setups shuffled each time."""
    for _ in range(plan.rounds):
        for view, count in plan.per_round.items():
            order = list(setups)
            rng.shuffle(order)
            for setup in order:
                yield view, setup, count


def measure_in_process(
    children: dict[str, _Child], plan: Plan, rng: random.Random
) -> tuple[Samples, dict[str, dict[str, Any]]]:
    samples = Samples()
    for child in children.values():
        for view in plan.per_round:
            child.call(op="warmup", path=VIEWS[view], count=plan.warmup)
    for view, setup, count in _interleaved(plan, tuple(children), rng):
        reply = children[setup].call(op="round", path=VIEWS[view], count=count)
        samples.add(view, setup, reply["times"], reply["bad"], reply["cpu_ns"])
    states = {setup: child.call(op="finish") for setup, child in children.items()}
    return samples, states


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=_HEADERS)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout_secs: float) -> None:
    deadline = time.monotonic() + timeout_secs
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            _get(port, STATE_PATH)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn on port {port} did not start")


@contextmanager
def _servers(
    dbs: dict[str, Path], workdir: Path, endpoint: str
) -> Iterator[dict[str, int]]:
    """One gunicorn with one sync worker per setup, each on its own port."""
    procs: dict[str, subprocess.Popen[bytes]] = {}
    ports: dict[str, int] = {}
    try:
        for setup in SETUPS:
            ports[setup] = port = _free_port()
            command = [
                sys.executable, "-m", "gunicorn",
                "bench.request_cost:wsgi_application()",
                "--bind", f"127.0.0.1:{port}", "--workers", "1",
                "--worker-class", "sync", "--log-level", "warning",
            ]  # fmt: skip
            with open(workdir / f"gunicorn-{setup}.log", "ab") as out:
                procs[setup] = subprocess.Popen(
                    command,
                    env=_env(setup, dbs[setup], workdir, endpoint),
                    cwd=ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        for setup, port in ports.items():
            _wait_ready(port, procs[setup], 60)
        yield ports
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def _http_round(port: int, path: str, count: int) -> tuple[list[int], int]:
    times, bad = [], 0
    deadline = time.monotonic() + _ROUND_LIMIT_SECS
    for _ in range(count):
        start = time.perf_counter_ns()
        status, _ = _get(port, path)
        times.append(time.perf_counter_ns() - start)
        bad += status != 200
        if time.monotonic() > deadline:
            break
    return times, bad


def measure_gunicorn(
    ports: dict[str, int], plan: Plan, rng: random.Random
) -> tuple[Samples, dict[str, dict[str, Any]]]:
    samples = Samples()
    for port in ports.values():
        for view in plan.per_round:
            _http_round(port, VIEWS[view], plan.warmup)
    for view, setup, count in _interleaved(plan, tuple(ports), rng):
        times, bad = _http_round(ports[setup], VIEWS[view], count)
        samples.add(view, setup, times, bad)
    states = {s: json.loads(_get(p, STATE_PATH)[1]) for s, p in ports.items()}
    return samples, states


def check_states(states: dict[str, dict[str, Any]], measured: int) -> list[str]:
    """Each setup is what it claims to be and did its work; the problems found."""
    problems = []
    expect = {
        "bare": (0, 0, 0),
        "floor": (1, 0, 1),
        "ours": (1, 0, 1),
        "old": (0, 1, 0),
    }
    for setup, wanted in expect.items():
        got = states[setup]
        found = (got["otel_middleware"], got["old_middleware"], got["sdk_provider"])
        if found != wanted:
            problems.append(f"{setup}: (otel, old, sdk) is {found}, not {wanted}")
    if states["floor"]["exported_spans"] < measured:
        problems.append("floor: fewer spans exported than requests measured")
    if not states["ours"]["flushed"]:
        problems.append("ours: force_flush() failed")
    if states["old"]["queued"] < measured:
        problems.append(f"old: only {states['old']['queued']} messages queued")
    return problems


def _ratio(samples: Samples, view: str, top: str, bottom: str) -> tuple[float, str]:
    """The ratio of pooled medians, shown with the quartiles of per-round ratios."""
    value = median(samples.all(view, top)) / median(samples.all(view, bottom))
    pairs = zip(
        samples.rounds[(view, top)], samples.rounds[(view, bottom)], strict=True
    )
    ratios = [median(a) / median(b) for a, b in pairs]
    low, high = percentile(ratios, 0.25), percentile(ratios, 0.75)
    return value, f"{value:.3f} (rounds {low:.2f}-{high:.2f})"


def _target(
    section: str, name: str, value: float, shown: str, op: str, bound: float
) -> Row:
    return Row(section, name, shown, f"{op} {bound:g}", check(value, op, bound))


def rows_for(
    section: str, samples: Samples, states: dict[str, dict[str, Any]] | None = None
) -> list[Row]:
    """Medians, p99 and ratios per view; with ``states``, CPU per request too.

    CPU is the request thread's, measured per round, plus the setup's other
    threads (the batch exporter) spread over all its requests: clocks the other
    tenants of a shared machine hardly move.
    """
    rows = []
    for view in sorted({v for v, _ in samples.rounds}, key=list(VIEWS).index):
        med = {s: median(samples.all(view, s)) for s in SETUPS}
        cpu = {}
        for setup in SETUPS:
            p99 = percentile(samples.all(view, setup), 0.99)
            name, shown = (
                f"{view}: {setup} median / p99",
                f"{med[setup]:.0f} / {p99:.0f}",
            )
            if states is not None:
                main = samples.cpu_us(view, setup)
                other = states[setup]["background_cpu_us"]
                cpu[setup] = main + other
                name, shown = name + " / CPU", shown + f" / {main:.0f}+{other:.0f}"
            rows.append(Row(section, name + " (us)", shown))
        floor_bare = _ratio(samples, view, "floor", "bare")[1]
        rows.append(Row(section, f"{view}: floor/bare", floor_bare))
        value, shown = _ratio(samples, view, "ours", "floor")
        rows.append(_target(section, f"{view}: ours/floor", value, shown, "<=", 1.05))
        if cpu:
            shown = f"{cpu['ours'] / cpu['floor']:.3f}"
            rows.append(Row(section, f"{view}: ours/floor, CPU", shown))
        value, shown = _ratio(samples, view, "ours", "bare")
        if view == "dashboard":
            rows.append(
                _target(section, f"{view}: ours/bare", value, shown, "<=", 1.10)
            )
        else:
            rows.append(Row(section, f"{view}: ours/bare", shown))
        old_added = med["old"] - med["bare"]
        for setup in ("ours", "floor"):
            added = med[setup] - med["bare"]
            value = old_added / added if added > 0 else float("inf")
            shown = f"{value:.1f} ({old_added:.0f} / {added:.0f} us)"
            name = f"{view}: (old-bare)/({setup}-bare)"
            if setup == "ours":
                rows.append(_target(section, name, value, shown, ">=", 10.0))
            else:
                rows.append(Row(section, name, shown))
    return rows


def run(quick: bool = False) -> list[Row]:
    from aa_otel_analytics.receiver import GAReceiver

    in_process, served = QUICK if quick else FULL
    rng = random.Random()
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory("-bench")))
        receiver = stack.enter_context(GAReceiver(port=0))
        dbs = _prepare_dbs(workdir)

        with _children(SETUPS, dbs, workdir, receiver.url) as children:
            samples, states = measure_in_process(children, in_process, rng)
        section = "request cost, in-process"
        rows = rows_for(section, samples, states)
        problems = check_states(states, in_process.measured())

        with _servers(dbs, workdir, receiver.url) as ports:
            http_samples, http_states = measure_gunicorn(ports, served, rng)
        rows += rows_for("request cost, gunicorn", http_samples)
        problems += check_states(http_states, served.measured())

        received = receiver.events("page_view")
        page_views = sum(int(e["params"].get("count", 1)) for e in received)
        invalid = receiver.invalid_count()
    made = sum(
        plan.measured() + plan.warmup * len(plan.per_round)
        for plan in (in_process, served)
    )
    drops = {**states["ours"]["drops"], **http_states["ours"]["drops"]}
    bad = samples.bad + http_samples.bad
    if bad:
        problems.append(f"{bad} responses were not 200")
    if page_views < in_process.measured() + served.measured() or invalid:
        problems.append(f"receiver: {page_views} page views, {invalid} invalid")
    section = "request cost, checks"
    rows += [
        Row(section, "ours page views received / made", f"{page_views} / {made}"),
        Row(section, "ours drops / invalid requests", f"{drops or 0} / {invalid}"),
        Row(
            section,
            "old messages queued (in-process / gunicorn)",
            f"{states['old']['queued']} / {http_states['old']['queued']}",
        ),
    ]
    if quick:
        rows.append(Row(section, "mode", "quick: a smoke run, ratios are noise"))
    if problems:
        raise RuntimeError("request cost benchmark is invalid: " + "; ".join(problems))
    return rows


def profile(count: int, view: str, top: int) -> None:
    """Run ``floor`` and ``ours`` under cProfile and print their hottest functions."""
    import pstats

    from aa_otel_analytics.receiver import GAReceiver

    setups = ("floor", "ours")
    per_round = 200
    plan = Plan(max(1, count // per_round), {view: per_round}, 300)
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory("-bench")))
        receiver = stack.enter_context(GAReceiver(port=0))
        dbs = _prepare_dbs(workdir)
        with _children(setups, dbs, workdir, receiver.url, profile=True) as children:
            samples, states = measure_in_process(children, plan, random.Random())
        for setup in setups:
            n = len(samples.all(view, setup))
            print(f"\n=== {setup}: {n} requests of {view}, state {states[setup]}")
            stats = pstats.Stats(str(workdir / f"{setup}.pstats"))
            stats.sort_stats("tottime").print_stats(top)
        print("\n=== ours: the span exporter, on the batch thread")
        stats = pstats.Stats(str(workdir / "ours-export.pstats"))
        stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.request_cost")
    parser.add_argument("--quick", action="store_true", help="a smoke run, seconds")
    parser.add_argument("--profile", type=int, metavar="N", help="profile N requests")
    parser.add_argument("--view", choices=VIEWS, default="home", help="to profile")
    parser.add_argument("--top", type=int, default=40, help="functions to print")
    parser.add_argument("--serve", choices=SETUPS, help=argparse.SUPPRESS)
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve)
    elif args.seed:
        seed()
    elif args.profile:
        profile(args.profile, args.view, args.top)
    else:
        started = time.monotonic()
        print(format_table(run(quick=args.quick)))
        print(f"\n({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
