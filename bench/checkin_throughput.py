"""How many check-ins a second gunicorn serves, beside a bare view doing one INSERT on the same server.

Starts gunicorn as docs/deploy.md runs it (`gunicorn circles.wsgi --workers 3`, sync workers) with
production's settings (CIRCLES_ENV=production, DEBUG off) against a throwaway PostgreSQL database
holding thousands of members, each with a personal access token. A load generator in this process
(threads, raw HTTP/1.1 on loopback) sends `POST /api/v1/checkins` for a different member each time, then
the same body to a bare one-INSERT view served by the same gunicorn (bench/throughput_urls.py), as fast
as they are answered; then check-ins at half that rate, for their latency. Median of several runs.
See README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import queue
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.60
TARGET_P95_MS = 50.0
SLICES = 10  # turns each kind takes at full rate in a run
CHECKIN_PATH = "/api/v1/checkins"
BARE_PATH = "/bench/bare-insert"
CACHE_OPERATIONS = {"get", "set", "add", "incr", "delete", "get_many", "set_many", "touch", "has_key"}
BODY = {"mood": 6, "craving": 3, "stress": 4, "sleep_quality": 4, "helped": "A walk.", "struggling": "Work."}


# --- The database ------------------------------------------------------------------------------


@contextmanager
def throwaway_database(url: str) -> Iterator[str]:
    """A database `circles_tput_<random>` on the server the URL names, migrated; dropped afterwards.

    The database the URL names is only connected to, to create and drop the throwaway one.
    """
    import django
    import psycopg
    from django.core.management import call_command
    from django.db import connections
    from psycopg import sql

    name = f"circles_tput_{secrets.token_hex(6)}"
    parts = urllib.parse.urlsplit(url)
    admin_dbname = parts.path.lstrip("/") or "postgres"
    with psycopg.connect(psycopg.conninfo.make_conninfo(url, dbname=admin_dbname), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            os.environ["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
            django.setup()
            call_command("migrate", verbosity=0, interactive=False)
            if not os.environ.get("CACHE_URL"):
                call_command("createcachetable", verbosity=0)
            version = admin.info.parameter_status("server_version") or "?"
            yield f"PostgreSQL {version}, database {name} (created for this run, dropped after it)"
        finally:
            connections.close_all()
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def make_bare_table() -> None:
    from django.db import connection

    from bench.throughput_urls import BARE_TABLE

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {BARE_TABLE} (id bigserial PRIMARY KEY, mood smallint NOT NULL, "
            "craving smallint NOT NULL, created_at timestamptz NOT NULL)"
        )


def forget_checkins() -> None:
    """Untimed, between rounds: no check-ins, and every token unused, as on a member's first check-in of
    the day (which writes the token's last_used_at)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE checkins_checkin, checkins_checkin_struggling_for")
        cursor.execute("UPDATE accounts_personalaccesstoken SET last_used_at = NULL")
        cursor.execute("ANALYZE checkins_checkin")


# --- Members -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    id: int
    tie_id: int
    token: str


def build_members(count: int) -> list[Member]:
    """Members in bulk, each with the member role, one friend on a one-step crisis ladder (so the alert
    rules run in full on each check-in) and a read-and-change token, stored hashed as the app stores it."""
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX as UNUSABLE_PASSWORD
    from django.db import transaction
    from django.utils import timezone

    from circles.accounts.models import PersonalAccessToken, Role, User
    from circles.alerts.models import Rung, RungPerson
    from circles.network import logic
    from circles.network.models import Tie, TieStatusChange

    now = timezone.now()
    raw_tokens = [PersonalAccessToken.generate() for _ in range(count)]
    with transaction.atomic():
        users = User.objects.bulk_create(
            (
                User(
                    email=f"tput-{number:06}@example.invalid",
                    display_name=f"Member {number}",
                    timezone="America/New_York",
                    password=UNUSABLE_PASSWORD,  # the token is the way in
                    email_verified_at=now,
                )
                for number in range(count)
            ),
            batch_size=1000,
        )
        Role.objects.bulk_create((Role(user=user, kind=Role.Kind.MEMBER) for user in users), batch_size=1000)
        ties = Tie.objects.bulk_create(
            (
                Tie(
                    member=user,
                    display_name="Alex Chen",
                    relationship="friend",
                    pillar=logic.pillar_for_relationship("friend"),  # bulk_create skips Tie.save()
                    circle="inner",
                    status="active",
                    status_since=now,
                    created_at=now,
                )
                for user in users
            ),
            batch_size=1000,
        )
        TieStatusChange.objects.bulk_create(
            (TieStatusChange(tie=tie, status="active", changed_at=now) for tie in ties), batch_size=1000
        )
        rungs = Rung.objects.bulk_create((Rung(member=user, position=0) for user in users), batch_size=1000)
        RungPerson.objects.bulk_create(
            (
                RungPerson(rung=rung, tie=tie, channels=["email"])
                for rung, tie in zip(rungs, ties, strict=True)
            ),
            batch_size=1000,
        )
        PersonalAccessToken.objects.bulk_create(
            (
                PersonalAccessToken(
                    user=user,
                    name="bench",
                    token_hash=token_hash,
                    hint=raw[:9],
                    scope=PersonalAccessToken.Scope.WRITE,
                )
                for user, (raw, token_hash) in zip(users, raw_tokens, strict=True)
            ),
            batch_size=1000,
        )
    return [
        Member(user.pk, tie.pk, raw) for user, tie, (raw, _hash) in zip(users, ties, raw_tokens, strict=True)
    ]


def request_bytes(path: str, member: Member) -> bytes:
    """One POST as a client would send it through the TLS proxy (X-Forwarded-Proto) to this server."""
    body = json.dumps({**BODY, "struggling_for": [member.tie_id]}).encode()
    head = (
        f"POST {path} HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        "X-Forwarded-Proto: https\r\n"
        f"Authorization: Bearer {member.token}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode() + body


# --- The load generator --------------------------------------------------------------------------


class Connection:
    """HTTP/1.1 over one socket, reused while the server keeps it open (gunicorn's sync workers close
    each connection after its response, so there a request is a connect, a send and a read)."""

    def __init__(self, address: tuple[str, int]):
        self.address = address
        self.sock: socket.socket | None = None

    def exchange(self, request: bytes) -> int:
        reused = self.sock is not None
        try:
            return self._exchange(request)
        except OSError:
            self.close()
            if not reused:
                raise
            return self._exchange(request)  # the server had closed an idle connection: once more

    def _exchange(self, request: bytes) -> int:
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=60)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = self.sock
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection before answering")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length, close = None, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        while length is None or len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                if length is None:
                    break  # the body runs to the end of the connection
                raise ConnectionError("the server closed the connection in the middle of an answer")
            body += chunk
        if close or length is None:
            self.close()
        return status

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


@dataclass(frozen=True)
class Sample:
    due: float  # when the request was meant to leave (open loop) or left (closed loop)
    done: float  # when its answer was read
    status: int

    @property
    def latency_ms(self) -> float:
        return (self.done - self.due) * 1000


@dataclass(frozen=True)
class Round:
    samples: list[Sample]
    seconds: float  # from the first request's start to the last answer

    @classmethod
    def timed(cls, samples: list[Sample], started: float) -> Round:
        return cls(samples, max(s.done for s in samples) - started)

    @classmethod
    def combined(cls, rounds: list[Round]) -> Round:
        return cls([s for r in rounds for s in r.samples], sum(r.seconds for r in rounds))

    @property
    def rate(self) -> float:
        return len(self.samples) / self.seconds

    def percentile_ms(self, percent: int) -> float:
        latencies = [s.latency_ms for s in self.samples]
        return statistics.quantiles(latencies, n=100, method="inclusive")[percent - 1]

    @property
    def statuses(self) -> Counter:
        return Counter(s.status for s in self.samples)


def as_fast_as_answered(address, requests: Sequence[bytes], connections: int) -> Round:
    """Closed loop: `connections` clients, each sending its next request as soon as the last is answered."""
    lock = threading.Lock()
    pending = iter(requests)
    samples: list[Sample] = []

    def client() -> None:
        connection, mine = Connection(address), []
        while True:
            with lock:
                request = next(pending, None)
            if request is None:
                break
            sent = time.perf_counter()
            status = exchange_or_zero(connection, request)
            mine.append(Sample(sent, time.perf_counter(), status))
        connection.close()
        with lock:
            samples.extend(mine)

    started = time.perf_counter()
    run_threads(client, connections)
    return Round.timed(samples, started)


def at_rate(address, requests: Sequence[bytes], rate: float, clients: int = 32) -> Round:
    """Open loop: one request every 1/rate seconds on a fixed schedule, whether or not the last was
    answered; latency counts from when a request was due, so a backlog shows in it."""
    work: queue.SimpleQueue = queue.SimpleQueue()
    lock = threading.Lock()
    samples: list[Sample] = []

    def client() -> None:
        connection, mine = Connection(address), []
        while (item := work.get()) is not None:
            due, request = item
            status = exchange_or_zero(connection, request)
            mine.append(Sample(due, time.perf_counter(), status))
        connection.close()
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    started = time.perf_counter() + 0.05
    for index, request in enumerate(requests):
        due = started + index / rate
        if (wait := due - time.perf_counter()) > 0:
            time.sleep(wait)
        work.put((due, request))
    for _ in threads:
        work.put(None)
    for thread in threads:
        thread.join()
    return Round.timed(samples, started)


def exchange_or_zero(connection: Connection, request: bytes) -> int:
    try:
        return connection.exchange(request)
    except OSError:
        return 0


def run_threads(target: Callable[[], None], count: int) -> None:
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- The server --------------------------------------------------------------------------------


def production_environment(cache_url: str, folder: Path) -> dict[str, str]:
    """What docs/deploy.md asks for in production, with keys made for this run only."""
    from cryptography.fernet import Fernet

    values = {
        "DJANGO_SETTINGS_MODULE": "bench.throughput_settings",
        "CIRCLES_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1",
        "BEHIND_TLS_PROXY": "true",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "AUDIT_HMAC_KEYS": f"bench:{secrets.token_urlsafe(48)}",
        "AUDIT_CHECKPOINT_PATH": str(folder / "audit-checkpoints.jsonl"),
        "LOG_LEVEL": "WARNING",
    }
    if cache_url:
        values["CACHE_URL"] = cache_url
    return values


@contextmanager
def gunicorn(env: dict[str, str], workers: int, worker_class: str, folder: Path) -> Iterator[tuple[str, int]]:
    """gunicorn as docs/deploy.md starts it, on a free loopback port; stopped with SIGTERM afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = folder / "gunicorn.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "circles.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--worker-class={worker_class}",
    ]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        address = ("127.0.0.1", port)
        wait_until_up(process, address, log)
        yield address
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(
    process: subprocess.Popen, address: tuple[str, int], log: Path, timeout: float = 60
) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n\r\n"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}); see {log}")
        try:
            Connection(address).exchange(request)  # any answer will do: the worker is up (none runs here)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s; see {log}")


def gunicorn_version() -> str:
    import gunicorn as package

    return package.__version__


# --- One run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    checkin_rate: float
    bare_rate: float
    half_rate: float
    checkin_half: Round
    bare_half: Round

    @property
    def ratio(self) -> float:
        return self.checkin_rate / self.bare_rate


def expect_created(name: str, result: Round, log: Path) -> None:
    statuses = result.statuses
    if set(statuses) != {201}:
        answers = ", ".join(f"{n} × {status or 'no answer'}" for status, n in sorted(statuses.items()))
        hint = " (a rate limit: see RATE_LIMIT_* in bench/throughput_settings.py)" if 429 in statuses else ""
        raise SystemExit(f"{name}: expected only 201, got {answers}{hint}; see {log}")


def one_run(number: int, address, members: list[Member], args, log: Path) -> RunResult:
    checkins = [request_bytes(CHECKIN_PATH, member) for member in members]
    bares = [request_bytes(BARE_PATH, member) for member in members]

    # At full rate the two kinds take turns, a slice of members at a time (the bare view first in every
    # other slice), so a machine that gets busier or quieter during the run weighs on both alike.
    forget_checkins()
    full: dict[str, list[Round]] = {"check-in": [], "bare": []}
    for part in range(SLICES):
        turns = [("check-in", checkins[part::SLICES]), ("bare", bares[part::SLICES])]
        for name, requests in turns if part % 2 else reversed(turns):
            result = as_fast_as_answered(address, requests, args.connections)
            expect_created(f"{name} at full rate", result, log)
            full[name].append(result)
    checkin, bare = (Round.combined(full[name]) for name in ("check-in", "bare"))
    half = checkin.rate / 2
    forget_checkins()
    checkin_half = at_rate(address, checkins[: args.half_requests], half)
    expect_created("POST /api/v1/checkins at half rate", checkin_half, log)
    bare_half = at_rate(address, bares[: args.half_requests], half)
    expect_created("the bare view at half rate", bare_half, log)
    result = RunResult(checkin.rate, bare.rate, half, checkin_half, bare_half)
    print(  # noqa: T201
        f"  run {number}: check-in {result.checkin_rate:6.1f}/s, bare {result.bare_rate:6.1f}/s, "
        f"ratio {result.ratio:5.1%}; at {half:.0f}/s check-in p95 {checkin_half.percentile_ms(95):6.1f} ms, "
        f"bare p95 {bare_half.percentile_ms(95):6.1f} ms",
        flush=True,
    )
    return result


# --- Profiling (in this process, through Django's test client) ------------------------------------


@dataclass
class StatementLog:
    """Every SQL statement a request sends, with its wall time (database round trip included)."""

    statements: list[tuple[str, float]]

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append((sql, time.perf_counter() - start))


# What a check-in spends its time on, each step timed where the app calls it (module, attribute, label).
STEPS = (
    ("circles.accounts.auth", "TokenAuth.authenticate", "signing in with the token"),
    ("circles.checkins.api", "_struggling_for", "checking the ties it is meant for"),
    ("circles.checkins.api", "do_save_checkin", "saving it, in one transaction"),
    ("circles.alerts.rules", "on_checkin", "  of which the alert rules"),
)


@contextmanager
def timing_steps(totals: Counter) -> Iterator[None]:
    """Adds the wall time of each call to STEPS' functions to `totals`, while inside."""
    import importlib

    undo = []
    for module_name, attribute, label in STEPS:
        owner = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)

        def timed(*args, _original=original, _label=label, **kwargs):
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                totals[_label] += time.perf_counter() - start

        setattr(owner, name, timed)
        undo.append((owner, name, original))
    try:
        yield
    finally:
        for owner, name, original in reversed(undo):
            setattr(owner, name, original)


def profile_checkins(members: list[Member], count: int, top: int = 20) -> None:
    """Where a check-in's time goes, in this process with the settings the server runs (Django's test
    client, no gunicorn): beside the bare view, step by step, each SQL statement, then cProfile."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from network import where  # bench/network.py, next to this file

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    forget_checkins()
    unused = iter(members)

    def post(path: str, member: Member) -> float:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {member.token}", HTTP_X_FORWARDED_PROTO="https")
        body = {**BODY, "struggling_for": [member.tie_id]}
        start = time.perf_counter()
        response = client.post(path, body, content_type="application/json")
        took = time.perf_counter() - start
        if response.status_code != 201:
            raise SystemExit(f"POST {path} answered {response.status_code} in the profile")
        return took

    for member in [next(unused) for _ in range(5)]:  # warm up
        post(BARE_PATH, member)
        post(CHECKIN_PATH, member)
    bare_ms = statistics.median(post(BARE_PATH, m) for m in members[:count]) * 1000
    steps: Counter = Counter()
    log = StatementLog([])
    with connection.execute_wrapper(log), timing_steps(steps):
        walls = [post(CHECKIN_PATH, next(unused)) for _ in range(count)]
    wall_ms = statistics.median(walls) * 1000
    mean_ms = statistics.fmean(walls) * 1000
    per_request = len(log.statements) // count
    sql_ms = sum(seconds for _sql, seconds in log.statements) / count * 1000
    print(  # noqa: T201
        f"\nIn this process (Django's test client, no gunicorn), {count} requests each:\n"
        f"  POST {CHECKIN_PATH}    median {wall_ms:.2f} ms ({per_request} SQL statements, {sql_ms:.2f} ms "
        f"waiting on them)\n"
        f"  bare one-INSERT view     median {bare_ms:.2f} ms   (ratio {bare_ms / wall_ms:.0%})\n"
        f"Where a check-in's {mean_ms:.2f} ms (mean) go:"
    )
    inside = 0.0
    for _module, _attribute, label in STEPS:
        ms = steps[label] / count * 1000
        inside += 0 if label.startswith(" ") else ms
        print(f"  {ms:6.2f} ms  {label}")  # noqa: T201
    print(f"  {mean_ms - inside:6.2f} ms  the rest: Django, middleware, reading the JSON, the answer")  # noqa: T201
    print("Each statement (median):")  # noqa: T201
    for index in range(per_request):
        sql = log.statements[index][0]
        seconds = statistics.median(log.statements[index + k * per_request][1] for k in range(count))
        print(f"  {seconds * 1000:6.2f} ms  {' '.join(sql.split())[:110]}")  # noqa: T201

    profiler = cProfile.Profile()
    profiled = [next(unused) for _ in range(count)]
    start = time.perf_counter()
    profiler.enable()
    for member in profiled:
        post(CHECKIN_PATH, member)
    profiler.disable()
    total = time.perf_counter() - start
    stats = pstats.Stats(profiler).stats  # {function: (calls, all calls, own s, inclusive s, callers)}

    def ours(func) -> bool:
        return func[0].startswith(f"{ROOT}/circles/")

    near_us = [func for func, entry in stats.items() if ours(func) or any(ours(c) for c in entry[4])]
    # Rate-limit counters live in the cache: whether a check-in asks it anything at all.
    cache_calls = sum(
        entry[1]
        for func, entry in stats.items()
        if "/django/core/cache/backends/" in func[0] and func[2] in CACHE_OPERATIONS
    )
    print(  # noqa: T201
        f"\ncProfile ({total / count * 1000:.1f} ms a check-in under the profiler; "
        f"{cache_calls / count:.1f} cache operations a check-in), top {top} by inclusive time, project code "
        "and what it calls directly:\n  share   ms/req  calls/req  function"
    )
    for func in sorted(near_us, key=lambda func: stats[func][3], reverse=True)[:top]:
        seconds, calls = stats[func][3], stats[func][1]
        print(
            f"  {seconds / total:>5.1%} {seconds / count * 1000:>8.2f} {calls / count:>10,.1f}  {where(func)}"
        )  # noqa: T201


# --- Running -----------------------------------------------------------------------------------


def spread(values: list[float], form: str) -> str:
    return f"{form.format(statistics.median(values))} ({form.format(min(values))}–{form.format(max(values))})"


def run(args: argparse.Namespace, description: str, env: dict[str, str], folder: Path) -> None:
    import django

    start = time.perf_counter()
    members = build_members(args.members)
    make_bare_table()
    built = time.perf_counter() - start
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    cache = f"Redis ({env['CACHE_URL']})" if env.get("CACHE_URL") else "the database's cache table"
    print(  # noqa: T201
        f"Django {django.get_version()}, {description}\n"
        f"gunicorn {gunicorn_version()}: {args.workers} {args.worker_class} workers (docs/deploy.md), "
        f"CIRCLES_ENV=production, DEBUG off; cache: {cache}\n"
        f"Load: {args.connections} clients on loopback in this process, a connection per request with sync "
        f"workers; {os.cpu_count()} CPUs shared with the load generator (load average {load} at the start)\n"
        f"Built {len(members):,} members in bulk in {built:.1f} s, each with a read-and-change token, one "
        f"tie and a one-step crisis ladder",
        flush=True,
    )
    if args.runs:
        report(measure(args, members, env, folder))
    if args.profile:
        profile_checkins(members, args.profile)


def measure(
    args: argparse.Namespace, members: list[Member], env: dict[str, str], folder: Path
) -> list[RunResult]:
    with gunicorn(env, args.workers, args.worker_class, folder) as address:
        # Every gunicorn process imports the app and opens its database connection on its first requests.
        warm = members[:200]
        as_fast_as_answered(address, [request_bytes(BARE_PATH, m) for m in warm], args.connections)
        forget_checkins()
        as_fast_as_answered(address, [request_bytes(CHECKIN_PATH, m) for m in warm], args.connections)
        print(  # noqa: T201
            f"\n{args.runs} runs; each: {len(members):,} check-ins (one per member) and as many bare "
            f"INSERTs as fast as answered, taking {SLICES} turns each; then {args.half_requests:,} of "
            "each at half the check-in rate",
            flush=True,
        )
        return [
            one_run(number, address, members, args, folder / "gunicorn.log")
            for number in range(1, args.runs + 1)
        ]


def report(results: list[RunResult]) -> None:
    def each(figure: Callable[[RunResult], float], form: str) -> str:
        return spread([figure(r) for r in results], form)

    ratio = statistics.median(r.ratio for r in results)
    p95 = statistics.median(r.checkin_half.percentile_ms(95) for r in results)
    ratio_verdict = "" if ratio >= TARGET_RATIO else "   BELOW TARGET"
    p95_verdict = "" if p95 <= TARGET_P95_MS else "   OVER TARGET"
    lines = [
        f"\nMedian of {len(results)} runs (lowest–highest):",
        f"POST {CHECKIN_PATH}        {each(lambda r: r.checkin_rate, '{:.0f}')} requests/s",
        f"bare one-INSERT view         {each(lambda r: r.bare_rate, '{:.0f}')} requests/s",
        f"ratio                        {each(lambda r: r.ratio, '{:.0%}')}   "
        f"[target ≥ {TARGET_RATIO:.0%}]{ratio_verdict}",
        f"At half the check-in rate, {each(lambda r: r.half_rate, '{:.0f}')} a second:",
        f"  POST {CHECKIN_PATH}      p50 {each(lambda r: r.checkin_half.percentile_ms(50), '{:.1f}')} ms, "
        f"p95 {each(lambda r: r.checkin_half.percentile_ms(95), '{:.1f}')} ms   "
        f"[target p95 ≤ {TARGET_P95_MS:.0f} ms]{p95_verdict}",
        f"  bare one-INSERT view       p50 {each(lambda r: r.bare_half.percentile_ms(50), '{:.1f}')} ms, "
        f"p95 {each(lambda r: r.bare_half.percentile_ms(95), '{:.1f}')} ms",
    ]
    print("\n".join(lines), flush=True)  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--members", type=int, default=2000, help="members, one check-in each a round (default 2000)"
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="runs, for the median and spread (default 3; 0: only --profile)"
    )
    parser.add_argument(
        "--connections", type=int, default=6, help="clients sending at once at full rate (default 6)"
    )
    parser.add_argument(
        "--half-requests", type=int, default=1000, help="requests of each kind at half rate (default 1000)"
    )
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn workers (default 3, as docs/deploy.md)"
    )
    parser.add_argument(
        "--worker-class", default="sync", help="gunicorn worker class (default sync, as docs/deploy.md)"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="then profile N check-ins in-process"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="postgres://… of a server where the benchmark may create and drop a database "
        "(default $DATABASE_URL)",
    )
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("CACHE_URL", ""),
        help="redis://… for the cache, as production (default $CACHE_URL; none: the database's cache table)",
    )
    parser.add_argument(
        "--postgres-ok",
        action="store_true",
        help="allow a throwaway database circles_tput_<random> on that server (created, then dropped)",
    )
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "The benchmark measures PostgreSQL, as production runs: set DATABASE_URL (or --database-url) to "
            "postgres://… on a server where it may create a database, and pass --postgres-ok."
        )
    if not args.postgres_ok:
        raise SystemExit(
            "The benchmark would create a throwaway database (circles_tput_<random>) on the server "
            "DATABASE_URL names and drop it at the end; pass --postgres-ok to allow that."
        )
    if args.half_requests > args.members or 2 * args.profile + 5 > args.members:
        raise SystemExit(
            "Each check-in is a different member's: --half-requests must be at most --members, and "
            "--profile at most (--members - 5) / 2."
        )

    warnings.filterwarnings("ignore", "No directory at", UserWarning)  # WhiteNoise, without collectstatic
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    folder = Path(tempfile.mkdtemp(prefix="circles-bench-throughput-"))
    env = production_environment(args.cache_url, folder)
    os.environ.update(env)
    if not args.cache_url:
        os.environ.pop("CACHE_URL", None)
    try:
        with ExitStack() as stack:
            description = stack.enter_context(throwaway_database(args.database_url))
            env = {**os.environ, **env}
            run(args, description, env, folder)
    except BaseException:
        print(f"The server's log is in {folder}", file=sys.stderr)  # noqa: T201
        raise
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
