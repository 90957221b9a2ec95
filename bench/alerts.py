"""How fast an SOS reaches the mail server: signal sent → SMTP accepted, at a steady rate of signals,
with a tarpit webhook on one member's ladder, for 1, 2 and 4 workers.

Runs the web app (gunicorn), alert workers (`manage.py run_worker`), an SMTP server on loopback
(circles/alerts/tests/smtp_sink.py) and a tarpit (a webhook receiver that answers one byte every 3
seconds) against a throwaway database. Each run first presses SOS for a member whose ladder sends
webhooks into the tarpit, then presses SOS through the API (`POST /api/v1/alerts/sos`, one personal
access token per member) for many members at a steady rate, and times each from the moment the request
left to the moment the mail server accepted the email it caused (matched through the email's
X-Circles-Delivery header, its notification and its alert). In the same run it times a bare SMTP round
trip of the same size, and the delivery throughput: a backlog of SOS committed at once, emails
accepted per second until the last. Each worker count is run several times; the figures are the
median of the runs with their spread. See README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import smtplib
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_P99_MS = 1000.0
TARPIT_PEOPLE = 3  # people on the tarpit member's ladder, each reached by a webhook into the tarpit
TARPIT_BYTE_SECONDS = 3.0
WARMUP = 10  # SOS presses before the measured ones, from members of their own, not counted
SERVER_DATABASES = ("postgres", "test", "template0", "template1")  # never created, never dropped


# --- The database ------------------------------------------------------------------------------


@contextmanager
def sqlite_database(folder: Path):
    import django
    from django.core.management import call_command

    os.environ.pop("DATABASE_URL", None)
    os.environ["SQLITE_PATH"] = str(folder / "bench.sqlite3")
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    yield f"SQLite {sqlite3.sqlite_version}, temporary file"


@contextmanager
def server_database(url: str):
    """The PostgreSQL database the URL names, created for this run and dropped after it.

    It must not exist yet: the benchmark only ever drops a database it created.
    """
    import django
    import psycopg
    from django.core.management import call_command
    from django.db import connections
    from psycopg import sql

    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if not name or name in SERVER_DATABASES:
        raise SystemExit(
            f"--database-url must name a database of the benchmark's own, not {name or 'none'!r}."
        )
    with psycopg.connect(psycopg.conninfo.make_conninfo(url, dbname="postgres"), autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise SystemExit(
                f"Database {name!r} exists. The benchmark creates its database and drops it at the end; "
                "name one that does not exist."
            )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            os.environ["DATABASE_URL"] = url
            os.environ.pop("SQLITE_PATH", None)
            django.setup()
            call_command("migrate", verbosity=0, interactive=False)
            version = admin.info.parameter_status("server_version") or "?"
            yield f"PostgreSQL {version}, database {name} (created for this run, dropped after it)"
        finally:
            connections.close_all()
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


# --- Data --------------------------------------------------------------------------------------


def build_members(count: int, label: str) -> list[tuple[int, str]]:
    """Members whose one-step ladder asks the same supporter by email and in the app; (id, token) each."""
    from network import create_member  # bench/network.py, next to this file

    from circles.accounts.actions import do_create_token
    from circles.accounts.models import PersonalAccessToken, User
    from circles.alerts.tests.factories import askable, ladder

    supporter = User.objects.filter(email="bench-supporter@example.invalid").first() or create_member(
        "supporter"
    )
    members = []
    for number in range(count):
        member = create_member(f"{label}-{number:05}")
        ladder(member, askable(member, supporter, name="Bench supporter"))
        _token, raw = do_create_token(
            member, "bench", scope=PersonalAccessToken.Scope.WRITE
        )  # SOS is a change
        members.append((member.pk, raw))
    return members


def build_tarpit_member(label: str, url: str) -> tuple[int, str]:
    """A member whose one-step ladder asks TARPIT_PEOPLE people, each by a webhook into the tarpit."""
    from network import create_member

    from circles.accounts.actions import do_create_token
    from circles.accounts.models import PersonalAccessToken
    from circles.alerts.actions import PersonSpec, RungSpec, do_set_ladder
    from circles.alerts.tests.factories import askable

    member = create_member(f"tarpit-{label}")
    people = []
    for number in range(TARPIT_PEOPLE):
        tie = askable(member, create_member(f"tarpit-{label}-supporter-{number}"), name=f"Hook {number}")
        people.append(PersonSpec(tie.pk, ["webhook"], webhook_url=url))
    do_set_ladder(member, [RungSpec(people)], acting_user=member)
    _token, raw = do_create_token(member, "bench", scope=PersonalAccessToken.Scope.WRITE)  # SOS is a change
    return member.pk, raw


def tarpit(connection, stopping) -> None:
    """Accepts the request, then answers one byte every few seconds and never finishes."""
    while not stopping.wait(TARPIT_BYTE_SECONDS):
        connection.sendall(b"H")


# --- Processes ---------------------------------------------------------------------------------


@dataclass
class Fleet:
    """The subprocesses of a run: the web server and the alert workers, with their log files."""

    logs: Path
    processes: list[tuple[str, subprocess.Popen]]

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        with open(self.logs / f"{name}.log", "w") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        self.processes.append((name, process))

    def check(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                raise SystemExit(f"{name} exited ({process.returncode}); see {self.logs / name}.log")

    def stop(self) -> None:
        for _name, process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _name, process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_ready(fleet: Fleet, base: str, workers: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fleet.check()
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310 — loopback
                if json.load(response).get("workers") == workers:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"The web server or the workers did not come up in {timeout:.0f} s; see {fleet.logs}")


# --- Pressing SOS ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Press:
    member_id: int
    due: float  # when the schedule said to send it (time.monotonic())
    sent: float  # when the request left
    answered: float  # when the response was read
    status: int  # HTTP status, 0 if the request failed


def press_sos(url: str, member_id: int, token: str, due: float) -> Press:
    request = urllib.request.Request(  # noqa: S310 — loopback
        url,
        data=b'{"message": ""}',
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    sent = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 — loopback
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    return Press(member_id, due, sent, time.monotonic(), status)


def press_at_rate(url: str, members: list[tuple[int, str]], rate: float) -> list[Press]:
    """One SOS per member, `rate` a second on a fixed schedule, whatever the answers' speed (open loop)."""
    with ThreadPoolExecutor(max_workers=64) as pool:
        start = time.monotonic() + 0.2
        futures = []
        for index, (member_id, token) in enumerate(members):
            due = start + index / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            futures.append(pool.submit(press_sos, url, member_id, token, due))
        return [future.result() for future in futures]


# --- Figures -----------------------------------------------------------------------------------


def cuts(values_ms: list[float]) -> list[float]:
    """The 1st to 99th percentiles."""
    if len(values_ms) == 1:
        return values_ms * 99
    return statistics.quantiles(values_ms, n=100, method="inclusive")


def percentiles(values_ms: list[float]) -> str:
    if not values_ms:
        return "no samples"
    p = cuts(values_ms)
    return f"p50 {p[49]:6.1f} ms, p95 {p[94]:6.1f} ms, p99 {p[98]:6.1f} ms, max {max(values_ms):6.1f} ms"


def bare_smtp_round_trips(sink, size: int, count: int) -> list[float]:
    """Milliseconds from connecting to the 250 for DATA, as Django's SMTP backend sends one email."""
    headers = "From: bench@example.invalid\r\nTo: someone@example.invalid\r\nSubject: bare round trip\r\n"
    body = "x" * max(0, size - len(headers) - 2)
    message = f"{headers}\r\n{body}"
    times = []
    for number in range(count + 5):
        start = time.monotonic()
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
            smtp.sendmail("bench@example.invalid", ["someone@example.invalid"], message)
            accepted = time.monotonic()
        if number >= 5:  # the first few warm up
            times.append((accepted - start) * 1000)
    return times


def outbox_waits_ms(keys: list[str]) -> list[float]:
    """Database times, notification created → recorded as sent, for the emails of the run."""
    from circles.alerts.models import Notification

    rows = Notification.objects.filter(idempotency_key__in=keys, sent_at__isnull=False)
    waits = []
    for created, sent in rows.values_list("created_at", "sent_at"):
        assert sent is not None
        waits.append((sent - created).total_seconds() * 1000)
    return waits


def alert_of_delivery(keys: list[str]) -> dict[str, int]:
    """The member whose alert each delivery key belongs to."""
    from circles.alerts.models import Notification

    rows = Notification.objects.filter(idempotency_key__in=keys).values_list(
        "idempotency_key", "alert__member_id"
    )
    return {str(key): member_id for key, member_id in rows}


# --- Running ---


@dataclass
class RunFigures:
    latencies: list[float]  # ms, SOS sent → SMTP accepted
    requests: list[float]  # ms, POST answered
    outbox: list[float]  # ms, notification created → recorded as sent
    bare: list[float]  # ms, bare SMTP round trip
    throughput: float  # emails accepted per second, draining a backlog
    pressed: int
    created: int
    arrived: int
    lag_ms: float
    span: float
    answers: str
    size: int


def backlog_throughput(members: list[tuple[int, str]], sink, drain: float) -> float:
    """Emails accepted a second: every member presses SOS in one transaction, committed at once."""
    from django.db import transaction

    from circles.accounts.models import User
    from circles.alerts.actions import do_raise_sos

    before = sink.count()
    with transaction.atomic():
        for member in User.objects.filter(pk__in=[member_id for member_id, _token in members]):
            do_raise_sos(member, acting_user=member)
        start_box: list[float] = []
        transaction.on_commit(lambda: start_box.append(time.monotonic()))
    if not sink.wait_until(lambda received: len(received) >= before + len(members), timeout=drain):
        raise SystemExit(f"The backlog of {len(members)} emails did not drain within {drain:.0f} s")
    last = sink.received[before + len(members) - 1].at
    return len(members) / max(last - start_box[0], 1e-9)


def one_run(args: argparse.Namespace, url: str, sink, label: str) -> RunFigures:
    """Tarpit first, then SOS at a steady rate; then a bare SMTP round trip; then a backlog drained."""
    from circles.alerts.models import Notification, NotificationStatus
    from circles.alerts.tests.http_sink import ScriptedServer

    count = round(args.rate * args.seconds)
    members = build_members(count, f"{label}-member")
    backlog = build_members(args.backlog, f"{label}-backlog") if args.backlog else []
    trap = ScriptedServer(tarpit).start()
    try:
        if args.tarpit:
            tarpit_member = build_tarpit_member(label, trap.url("/hook"))
            (press,) = press_at_rate(url, [tarpit_member], args.rate)
            if press.status != 201:
                raise SystemExit(f"The tarpit member's SOS answered {press.status}")
            deadline = time.monotonic() + 30
            while not trap.requests and time.monotonic() < deadline:  # a worker is stuck in the tarpit
                time.sleep(0.05)
        before = sink.count()
        presses = press_at_rate(url, members, args.rate)
        created = [press for press in presses if press.status == 201]
        sink.wait_until(lambda received: len(received) >= before + len(created), timeout=args.drain)
        arrived = sink.received[before:]
        size = int(statistics.median(message.size for message in arrived)) if arrived else 1000
        bare = bare_smtp_round_trips(sink, size, args.bare)
        throughput = backlog_throughput(backlog, sink, args.drain) if backlog else 0.0
    finally:
        trap.stop()
        # What the tarpit still holds would only add to the next run's load: called off here.
        Notification.objects.filter(status=NotificationStatus.PENDING).update(
            status=NotificationStatus.CANCELLED
        )

    sent_at = {press.member_id: press.sent for press in presses}
    keys = [message.delivery for message in arrived]
    member_of = alert_of_delivery(keys)
    statuses: dict[int, int] = {}
    for press in presses:
        statuses[press.status] = statuses.get(press.status, 0) + 1
    return RunFigures(
        latencies=[
            (m.at - sent_at[member_of[m.delivery]]) * 1000 for m in arrived if m.delivery in member_of
        ],
        requests=[(press.answered - press.sent) * 1000 for press in created],
        outbox=outbox_waits_ms(keys),
        bare=bare,
        throughput=throughput,
        pressed=len(presses),
        created=len(created),
        arrived=len(arrived),
        lag_ms=max((press.sent - press.due) * 1000 for press in presses),
        span=presses[-1].sent - presses[0].sent,
        answers=", ".join(f"{n} × {status or 'failed'}" for status, n in sorted(statuses.items())),
        size=size,
    )


def spread(values: list[float], unit: str, digits: int = 0) -> str:
    """The median of the runs, with the lowest and highest."""
    if not values:
        return "n/a"
    middle = statistics.median(values)
    if len(values) == 1:
        return f"{middle:.{digits}f} {unit}"
    return f"{middle:.{digits}f} {unit} [{min(values):.{digits}f}–{max(values):.{digits}f}]"


def percentile(values_ms: list[float], n: int) -> float:
    return cuts(values_ms)[n - 1] if values_ms else float("nan")


def run(args: argparse.Namespace, description: str, logs: Path) -> None:
    import django
    from django.conf import settings

    from circles.alerts.tests.smtp_sink import SmtpSink, free_port

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    worker_counts = args.workers or ([1, 2, 4] if on_postgres else [1])
    start = time.perf_counter()
    warmup = build_members(WARMUP, "warmup")
    built = time.perf_counter() - start

    results: dict[int, list[RunFigures]] = {}
    with ExitStack() as stack:
        sink = stack.enter_context(SmtpSink())
        env = {
            **os.environ,
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(sink.port),
            "ALERT_WEBHOOK_ALLOW_PRIVATE": "true",  # the tarpit is on loopback
        }
        if args.poll is not None:
            env["ALERT_POLL_SECONDS"] = str(args.poll)
        web = Fleet(logs, [])
        stack.callback(web.stop)
        port = free_port()
        web.start(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "circles.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                f"--workers={args.web_workers}",
                f"--threads={args.web_threads}",
            ],
            env,
        )
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/api/v1/alerts/sos"
        for workers in worker_counts:
            fleet = Fleet(logs, [])
            try:
                for number in range(workers):
                    fleet.start(
                        f"worker-{workers}-{number + 1}", [sys.executable, "manage.py", "run_worker"], env
                    )
                wait_until_ready(Fleet(logs, web.processes + fleet.processes), base, workers)
                if not results:  # warm up once: every gunicorn process loads the API on its first request
                    for press in press_at_rate(url, warmup, args.rate):
                        if press.status != 201:
                            raise SystemExit(f"Warm-up SOS answered {press.status}; see {logs}/web.log")
                    if not sink.wait_until(lambda received: len(received) >= WARMUP, timeout=60):
                        raise SystemExit(f"The warm-up emails did not all arrive; see {logs}")
                results[workers] = []
                for number in range(args.runs):
                    results[workers].append(one_run(args, url, sink, f"w{workers}-r{number + 1}"))
                    fleet.check()
                    web.check()
            finally:
                fleet.stop()

    poll = env.get("ALERT_POLL_SECONDS") or settings.ALERT_POLL_SECONDS
    waking = "NOTIFY wakes them" if on_postgres else f"polling every {poll} s"
    lines = [
        f"Django {django.get_version()}, {description}",
        f"gunicorn {args.web_workers} processes × {args.web_threads} threads; alert workers ({waking}), "
        f"each with {settings.ALERT_SEND_THREADS} send threads; an SMTP server on loopback",
        f"A tarpit: before each run one member's SOS sends {TARPIT_PEOPLE} webhooks into a server that "
        f"answers one byte every {TARPIT_BYTE_SECONDS:g} s"
        if args.tarpit
        else "No tarpit (--no-tarpit)",
        f"Per run: {round(args.rate * args.seconds)} SOS at {args.rate:g}/s, each member asking one "
        f"supporter by email and in the app; then {args.bare} bare SMTP round trips; then a backlog of "
        f"{args.backlog} SOS committed at once. {args.runs} run(s) per worker count; "
        "median [lowest–highest] of the runs. "
        f"Warm-up members built in {built:.1f} s.",
        "",
    ]
    for workers, runs in results.items():
        lost = sum(run.created - run.arrived for run in runs)
        answers = "; ".join(run.answers for run in runs)
        lag = max(run.lag_ms for run in runs)
        p99s = [percentile(run.latencies, 99) for run in runs]
        verdict = "" if p99s and statistics.median(p99s) < TARGET_P99_MS else "   OVER TARGET"
        lines += [
            f"{workers} worker(s): answers {answers}; at most {lag:.1f} ms behind schedule; "
            + (f"{lost} emails NOT ARRIVED" if lost else "every email arrived"),
            f"  SOS sent → SMTP accepted   p50 {spread([percentile(r.latencies, 50) for r in runs], 'ms')}, "
            f"p95 {spread([percentile(r.latencies, 95) for r in runs], 'ms')}, "
            f"p99 {spread(p99s, 'ms')}   [target p99 < {TARGET_P99_MS:.0f} ms]{verdict}",
            f"  bare SMTP round trip       p50 {spread([percentile(r.bare, 50) for r in runs], 'ms', 1)}, "
            f"p99 {spread([percentile(r.bare, 99) for r in runs], 'ms', 1)}   "
            f"(~{runs[0].size:,} B, smtplib, a connection each)",
            f"  POST answered              p50 {spread([percentile(r.requests, 50) for r in runs], 'ms')}, "
            f"p99 {spread([percentile(r.requests, 99) for r in runs], 'ms')}",
            f"  in the outbox              p50 {spread([percentile(r.outbox, 50) for r in runs], 'ms')}, "
            f"p99 {spread([percentile(r.outbox, 99) for r in runs], 'ms')}",
            f"  delivery throughput        {spread([r.throughput for r in runs], 'emails/s')} "
            f"(a backlog of {args.backlog} drained)",
        ]
    print("\n".join(lines))  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="SOS presses a second (default 20)")
    parser.add_argument("--seconds", type=float, default=30.0, help="for how long (default 30)")
    parser.add_argument(
        "--workers",
        type=lambda text: [int(part) for part in text.split(",")],
        default=None,
        help="alert worker counts to run, e.g. 1,2,4 (default: 1,2,4 on PostgreSQL, 1 on SQLite)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per worker count (default 3)")
    parser.add_argument(
        "--backlog",
        type=int,
        default=300,
        help="SOS committed at once to time throughput (default 300; 0: none)",
    )
    parser.add_argument(
        "--no-tarpit", dest="tarpit", action="store_false", help="leave the tarpit member out"
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes (default 2)")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per gunicorn process (default 4)")
    parser.add_argument(
        "--poll", type=float, default=None, help="ALERT_POLL_SECONDS for the workers (default: the setting's)"
    )
    parser.add_argument("--bare", type=int, default=200, help="bare SMTP round trips to time (default 200)")
    parser.add_argument(
        "--drain", type=float, default=60.0, help="seconds to wait for the last emails (default 60)"
    )
    parser.add_argument(
        "--database-url",
        help="postgres://…/<name>: a PostgreSQL database to create for the run and drop after it "
        "(it must not exist yet); default: a temporary SQLite file",
    )
    args = parser.parse_args()

    warnings.filterwarnings("ignore", "No directory at", UserWarning)  # WhiteNoise, without collectstatic
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "circles.settings"
    os.environ["DEBUG"] = "false"
    # This process's own emails (the notice of each new token) are kept in memory, not printed; the
    # web server and the workers send through the SMTP server of the run.
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    # The SQLite file and the web server's and workers' logs: kept if the run fails, to look into.
    folder = Path(tempfile.mkdtemp(prefix="circles-bench-alerts-"))
    try:
        database = server_database(args.database_url) if args.database_url else sqlite_database(folder)
        with database as description:
            run(args, description, folder)
    except BaseException:
        print(f"The logs of the web server and the workers are in {folder}", file=sys.stderr)  # noqa: T201
        raise
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
