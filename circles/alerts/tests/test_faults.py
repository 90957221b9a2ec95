"""Alert delivery under faults: the worker killed at random, the mail server down, the database away or
locked, a message that can never be delivered. Slow: `make test` runs them, plain `pytest` skips them.

The worker runs as it does in production, `manage.py run_worker` in a subprocess, sending email over
SMTP to a real server on loopback (smtp_sink.py). The subprocess must see what the test writes, so the
test writes with real commits (`transaction=True`) to a database the subprocess can open:

- on PostgreSQL, pytest-django's test database, passed to the worker as DATABASE_URL;
- on SQLite, pytest-django's test database lives in this process's memory, where no other process can
  see it; so for the length of each test Django's connection is pointed at a fresh SQLite file,
  migrated here, and the worker gets its path as SQLITE_PATH (`database_for_worker` below).

Waiting is on outcomes (rows sent, messages received) with generous deadlines; only the fault
injection itself (a kill at a random moment, a lock held for a few seconds) sleeps on purpose.
"""

from __future__ import annotations

import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from circles.accounts.models import User
from circles.alerts import logic
from circles.alerts.actions import PersonSpec, RungSpec, do_raise_sos, do_set_ladder
from circles.alerts.models import DeliveryAttempt, Notification, NotificationStatus
from circles.alerts.tests.factories import askable, ladder
from circles.alerts.tests.http_sink import HttpSink
from circles.alerts.tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
DEADLINE = 90.0  # seconds: generous, for a loaded machine; a healthy run needs a fraction of it


# --- The database the worker subprocess sees ---------------------------------------------------


@pytest.fixture(autouse=True)
def database_for_worker(transactional_db, tmp_path):
    """Environment variables that point a subprocess at the database this test writes to.

    Autouse, so that it runs before persona fixtures create rows: on SQLite those rows must land
    in the file the worker opens.
    """
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        credentials = urllib.parse.quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + urllib.parse.quote(db["PASSWORD"], safe="")
        address = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
        yield {"DATABASE_URL": f"postgres://{credentials}@{address}/{db['NAME']}"}
        return
    folder = tmp_path / "database"  # its own folder, so a test can take the database away whole
    folder.mkdir()
    path = folder / "faults.sqlite3"
    # Set the in-memory test database aside without closing it (closing it would destroy it for the
    # tests that come after this one), and open the file in its place.
    in_memory, name = connection.connection, connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    ContentType.objects.clear_cache()  # ids cached from the other database would not match this one
    try:
        call_command("migrate", verbosity=0)
        yield {"SQLITE_PATH": str(path)}
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = in_memory
        ContentType.objects.clear_cache()


def worker_env(database: dict, sink: SmtpSink, **overrides) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env.update(database)
    env.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(sink.port),
        EMAIL_TIMEOUT="5",
        ALERT_POLL_SECONDS="0.05",  # SQLite: how often an idle worker looks again
        WORKER_POLL_SECONDS="0.5",  # PostgreSQL: the longest wait for NOTIFY before looking anyway
        ALERT_WEBHOOK_ALLOW_PRIVATE="true",
        SITE_URL="http://127.0.0.1:8000",
        PYTHONFAULTHANDLER="1",  # a worker that hangs shows where (Worker.dump_stacks)
        AUDIT_CHECKPOINT_PATH=settings.AUDIT_CHECKPOINT_PATH,  # the test's own file (conftest.py)
    )
    env.update({key: str(value) for key, value in overrides.items()})
    return env


class Worker:
    """`manage.py run_worker` in a subprocess, restartable; its output is kept in one log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen | None = None
        self.started = 0

    def start(self) -> None:
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(  # noqa: S603 — our own command line
                [sys.executable, "manage.py", "run_worker"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started += 1

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up, no chance to record what it was doing."""
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def dump_stacks(self) -> None:
        """Python's fault handler (PYTHONFAULTHANDLER) writes every thread's stack to the log on SIGABRT."""
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGABRT)
            self.process.wait(timeout=30)

    def output(self, whole: bool = False) -> str:
        """The worker's log: its end, to show in a failure, or `whole`, to search."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text if whole else text[-6000:]


@contextmanager
def running(worker: Worker):
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def wait_for(condition: Callable[[], bool], what: str, worker: Worker, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            worker.dump_stacks()
            pytest.fail(
                f"gave up after {timeout:.0f} s waiting for {what}.\n{database_sessions()}"
                f"The worker said:\n{worker.output()}"
            )
        time.sleep(0.05)


def database_sessions() -> str:
    """PostgreSQL: what the other sessions on the test database are doing, for a failure message."""
    if connection.vendor != "postgresql" or connection.in_atomic_block and connection.needs_rollback:
        return ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, wait_event_type, wait_event, left(query, 120) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        rows = cursor.fetchall()
    return "Other sessions on the database:\n" + "".join(f"  {row}\n" for row in rows)


# --- Data ------------------------------------------------------------------------------------------


def members_asking(supporter, count: int, label: str = "member") -> list[User]:
    """`count` members whose one-step ladder asks `supporter` by email (and in the app)."""
    members = []
    for number in range(count):
        member = User.objects.create(email=f"{label}-{number}@example.org", display_name=f"Member {number}")
        ladder(member, askable(member, supporter))
        members.append(member)
    return members


def raise_sos(members: list[User]) -> list[int]:
    """Each member presses SOS; the ids of the emails that must go out."""
    alerts = [do_raise_sos(member, acting_user=member)[0] for member in members]
    return list(
        Notification.objects.filter(alert__in=alerts, channel=logic.EMAIL).values_list("id", flat=True)
    )


def all_sent(ids: list[int]) -> Callable[[], bool]:
    return lambda: Notification.objects.filter(id__in=ids, status=NotificationStatus.SENT).count() == len(ids)


def keys(ids: list[int]) -> set[str]:
    return {
        str(key) for key in Notification.objects.filter(id__in=ids).values_list("idempotency_key", flat=True)
    }


# --- a. The worker killed at random moments ----------------------------------------------------

ALERTS = 200
KILLS = 24


def test_killing_the_worker_at_random_loses_no_alert_and_repeats_only_emails_in_flight_at_a_kill(
    database_for_worker, tmp_path, sam
):
    seed = int(os.environ.get("CIRCLES_FAULT_SEED") or random.SystemRandom().randrange(2**32))
    print(f"\nfault seed {seed} (CIRCLES_FAULT_SEED={seed} replays the same choices)")  # noqa: T201
    rng = random.Random(seed)
    members = members_asking(sam, ALERTS)
    per_kill = math.ceil(ALERTS / KILLS)  # alerts raised before each start: new work all along
    waves = [members[start : start + per_kill] for start in range(0, ALERTS, per_kill)]
    ids: list[int] = []
    with SmtpSink() as sink:
        # A short lease, so what a killed worker had claimed is due again within seconds; and room for
        # many claims of one row, since every kill can cut the claims of a whole batch short.
        env = worker_env(database_for_worker, sink, ALERT_LEASE_SECONDS=2, ALERT_MAX_ATTEMPTS=100)
        worker = Worker(env, tmp_path / "worker.log")
        moments = {"random": 0, "just after a message was accepted": 0}
        try:
            for kill in range(KILLS):
                ids += raise_sos(waves[kill] if kill < len(waves) else [])
                worker.start()
                if rng.random() < 0.5:
                    # Anywhere: starting up, claiming, sending, recording or idle.
                    moments["random"] += 1
                    time.sleep(rng.uniform(0.1, 2.0))
                else:
                    # Just after the mail server accepted a message: most likely before the worker has
                    # recorded it as sent, the one window where a kill makes a duplicate.
                    moments["just after a message was accepted"] += 1
                    sink.wait_for_more(sink.count() + rng.randrange(4), timeout=10)
                worker.kill()
            worker.start()
            wait_for(all_sent(ids), f"all {len(ids)} emails sent after {KILLS} kills", worker)
        finally:
            worker.stop()
        arrived = sink.deliveries()
    expected = keys(ids)
    missing = expected - set(arrived)
    duplicates = sum(count - 1 for key, count in arrived.items() if key in expected)
    # Attempts whose worker died before it could record how they went.
    interrupted = DeliveryAttempt.objects.filter(notification__in=ids, finished_at__isnull=True).count()
    most = max(Notification.objects.filter(id__in=ids).values_list("attempts", flat=True))
    print(  # noqa: T201
        f"{len(expected)} emails, {KILLS} kills ({moments}), {worker.started} worker starts, "
        f"{interrupted} attempts interrupted, at most {most} attempts for one email, {duplicates} duplicates"
    )
    assert len(expected) == ALERTS
    assert interrupted > 0, "no kill landed during a delivery: this run proved nothing"
    assert not missing, f"seed {seed}: {len(missing)} emails never arrived"
    assert set(arrived) <= expected
    # A kill repeats only what it cut off between the mail server's acceptance and the record of it: at
    # most the emails in flight then (no more than ALERT_SEND_PER_PROVIDER at once), each an attempt
    # that never finished.
    assert duplicates <= interrupted, f"seed {seed}: {duplicates} duplicates, {interrupted} interrupted"
    in_flight_most = settings.ALERT_SEND_PER_PROVIDER
    assert duplicates <= KILLS * in_flight_most, f"seed {seed}: {duplicates} duplicates for {KILLS} kills"
    assert not Notification.objects.filter(id__in=ids).exclude(status=NotificationStatus.SENT).exists()


def test_a_slow_send_keeps_its_short_lease_and_a_killed_workers_sos_goes_out_within_seconds(
    database_for_worker, tmp_path, sam
):
    lease = 2
    members = members_asking(sam, 2)
    with SmtpSink() as sink:
        # The mail server answers as slowly as the test likes (well inside EMAIL_TIMEOUT).
        env = worker_env(database_for_worker, sink, ALERT_LEASE_SECONDS=lease, EMAIL_TIMEOUT=60)
        first, second = Worker(env, tmp_path / "first.log"), Worker(env, tmp_path / "second.log")
        try:
            sink.hold()
            first.start()
            slow = raise_sos(members[:1])
            assert sink.wait_until_holding(1, DEADLINE), first.output()
            if connection.vendor == "postgresql":  # SQLite runs one worker; PostgreSQL any number
                second.start()
            time.sleep(4 * lease)  # the send outlasts its lease four times over; the first worker renews it
            sink.release()
            wait_for(all_sent(slow), "the slow email recorded as sent", first)
            assert sink.deliveries() == {key: 1 for key in keys(slow)}, "a renewed lease was taken anyway"
            assert Notification.objects.get(pk=slow[0]).attempts == 1

            second.stop()
            sink.hold()
            sos = raise_sos(members[1:])
            assert sink.wait_until_holding(1, DEADLINE), first.output()
            first.kill()  # SIGKILL in the middle of sending the SOS
            killed_at = time.monotonic()
            sink.release()
            second.start()  # a restarted worker
            wait_for(all_sent(sos), "the SOS sent by the restarted worker", second)
        finally:
            first.stop()
            second.stop()
        (key,) = keys(sos)
        arrivals = [message.at for message in sink.received if message.delivery == key]
    late = arrivals[-1] - killed_at
    print(f"\nSOS delivered {late:.1f} s after its worker was killed (lease {lease} s)")  # noqa: T201
    # One lease, plus the new worker's start-up (Django, migrations check) on a loaded machine.
    assert late < lease + 15
    assert len(arrivals) <= 2  # at most the one duplicate a kill mid-send can make


# --- b. The mail server down for a while, then back --------------------------------------------

RETRY_BASE, RETRY_CAP = 0.2, 2.0


def test_emails_wait_with_growing_backoff_while_the_mail_server_is_down_and_go_when_it_is_back(
    database_for_worker, tmp_path, sam
):
    members = members_asking(sam, 10)
    sink = SmtpSink()  # not started: nothing listens on its port, so connections are refused
    env = worker_env(
        database_for_worker,
        sink,
        ALERT_RETRY_BASE_SECONDS=RETRY_BASE,
        ALERT_RETRY_CAP_SECONDS=RETRY_CAP,
        ALERT_MAX_ATTEMPTS=20,  # far more than the outage needs: this test is about coming back
    )
    with running(Worker(env, tmp_path / "worker.log")) as worker:
        ids = raise_sos(members)

        def failed_four_times() -> bool:
            failures = (
                DeliveryAttempt.objects.filter(notification__in=ids, ok=False)
                .values("notification")
                .annotate(n=Count("id"))
            )
            return len(failures) == len(ids) and all(row["n"] >= 4 for row in failures)

        wait_for(failed_four_times, "every email to fail four times", worker)
        with sink:
            wait_for(all_sent(ids), "every email sent once the mail server is back", worker)
            arrived = sink.deliveries()
    assert arrived == {key: 1 for key in keys(ids)}  # a refused connection sent nothing: no duplicates

    for notification in Notification.objects.filter(id__in=ids).prefetch_related("attempt_log"):
        attempts = list(notification.attempt_log.order_by("number"))
        assert [a.number for a in attempts] == list(range(1, len(attempts) + 1))
        *failed, last = attempts
        assert last.ok is True and last.next_attempt_at is None
        assert len(failed) >= 4 and all(a.ok is False and "email" in a.error for a in failed)
        waits = []
        for attempt, retry in zip(failed, attempts[1:], strict=True):
            # Each wait is drawn from [c/2, c], where c doubles with each failure up to the cap.
            wait = (attempt.next_attempt_at - attempt.finished_at).total_seconds()
            ceiling = min(RETRY_CAP, RETRY_BASE * 2 ** (attempt.number - 1))
            assert ceiling / 2 - 0.001 <= wait <= ceiling + 0.001
            assert retry.started_at >= attempt.next_attempt_at  # never retried before its time
            waits.append(wait)
        # So, until the cap, each wait is at least as long as the one before: the gaps grow.
        below_cap = [w for n, w in enumerate(waits, 1) if RETRY_BASE * 2 ** (n - 1) <= RETRY_CAP]
        assert len(below_cap) == 4 and below_cap == sorted(below_cap), waits


# --- c. The database locked, cut off, away for a while -----------------------------------------


def worker_waits_for_a_lock() -> bool:
    """PostgreSQL: another session on this database is waiting for a lock (the worker's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _connection_params() -> dict:
    """psycopg's keyword arguments for a connection of our own to the test database's server."""
    params = connection.get_connection_params()
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    return params


@contextmanager
def database_locked(database: dict):
    """Another session holds the lock the worker needs to record a send, until the block ends.

    SQLite: an EXCLUSIVE transaction, the database's one write lock (the worker waits for it, up to
    its 20 s busy timeout). PostgreSQL: an EXCLUSIVE lock on the notification table, which the
    worker's SELECT … FOR UPDATE waits for. Reading goes on meanwhile, on both.
    """
    if connection.vendor == "postgresql":
        import psycopg

        with psycopg.connect(**_connection_params()) as server:
            server.execute(f"LOCK TABLE {Notification._meta.db_table} IN EXCLUSIVE MODE")
            yield
            server.rollback()
        return
    file = sqlite3.connect(database["SQLITE_PATH"], timeout=20, isolation_level=None)
    try:
        file.execute("BEGIN EXCLUSIVE")
        yield
        file.execute("ROLLBACK")
    finally:
        file.close()


def test_a_lock_held_between_sending_and_recording_holds_the_worker_up_but_loses_nothing(
    database_for_worker, tmp_path, sam
):
    members = members_asking(sam, 11)
    with SmtpSink() as sink:
        # A long email timeout: this test keeps the worker waiting for the mail server on purpose.
        env = worker_env(database_for_worker, sink, EMAIL_TIMEOUT=60)
        with running(Worker(env, tmp_path / "worker.log")) as worker:
            process = worker.process
            sink.hold()
            first = raise_sos(members[:1])
            assert sink.wait_until_holding(1, DEADLINE), worker.output()  # the worker is sending it
            waiting = raise_sos(members[1:6])  # due meanwhile, behind it
            with database_locked(database_for_worker):
                sink.release()  # the mail server takes the first email; the worker goes to record it
                assert sink.wait_for_more(0, DEADLINE), worker.output()
                if connection.vendor == "postgresql":
                    wait_for(worker_waits_for_a_lock, "the worker to wait for the lock", worker)
                time.sleep(3)  # the lock stays taken for a while
                assert Notification.objects.get(pk=first[0]).status == NotificationStatus.PENDING
            wait_for(all_sent(first + waiting), "the emails sent once the lock is released", worker)
            after = raise_sos(members[6:])
            wait_for(all_sent(after), "the emails raised after the lock sent", worker)
            assert worker.process is process and worker.alive  # the same worker carried on
        assert sink.deliveries() == {key: 1 for key in keys(first + waiting + after)}


def _superuser_connection():
    import psycopg

    # PostgreSQL will not close a database to connections from inside it: this one is to "postgres".
    return psycopg.connect(**{**_connection_params(), "dbname": "postgres"}, autocommit=True)


def cut_connections() -> int:
    """PostgreSQL: ends every other session on this test database (the worker's); how many it ended."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@contextmanager
def database_away(database: dict, seconds: float):
    """The database cannot be reached for `seconds`; the test's own connection (PostgreSQL) stays up.

    PostgreSQL: the database refuses new connections and the worker's are ended. SQLite: the folder
    holding the database file is moved away, so opening it fails (the worker opens a fresh connection
    on every loop).
    """
    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        with _superuser_connection() as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            try:
                assert cut_connections() >= 1
                yield
                time.sleep(seconds)
            finally:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        return
    folder = Path(database["SQLITE_PATH"]).parent
    connection.close()
    folder.rename(folder.with_name("away"))
    try:
        yield
        time.sleep(seconds)
    finally:
        folder.with_name("away").rename(folder)


def test_the_worker_reconnects_after_the_database_goes_away(database_for_worker, tmp_path, sam):
    members = members_asking(sam, 20)
    with SmtpSink() as sink:
        with running(Worker(worker_env(database_for_worker, sink), tmp_path / "worker.log")) as worker:
            process = worker.process
            before = raise_sos(members[:5])
            wait_for(all_sent(before), "the first emails sent", worker)
            blip: list[int] = []
            if connection.vendor == "postgresql":
                # A blip: the worker's connections (its queries and its LISTEN) are cut, the server stays.
                assert cut_connections() >= 1
                blip = raise_sos(members[5:10])
                wait_for(all_sent(blip), "the emails raised after the connections were cut", worker)
            with database_away(database_for_worker, seconds=3):
                if connection.vendor == "postgresql":
                    # The test's own connection is still up: alerts raised meanwhile wait in the outbox.
                    blip += raise_sos(members[10:15])
            after = raise_sos(members[15:])
            wait_for(all_sent(blip + after), "the emails raised during and after the outage", worker)
            assert worker.process is process and worker.alive  # the same worker reconnected
            assert "database unavailable" in worker.output(whole=True)  # it did notice the outage
        assert sink.deliveries() == {key: 1 for key in keys(before + blip + after)}


# --- d. A message that can never be delivered --------------------------------------------------

MAX_ATTEMPTS = 4


@pytest.fixture
def failing_webhook():
    """A webhook receiver that answers every delivery with 500."""
    receiver = HttpSink(default=500).start()
    yield receiver
    receiver.stop()


def test_a_message_that_always_fails_ends_dead_without_holding_up_the_others(
    database_for_worker, tmp_path, failing_webhook, riley, sam, jamie
):
    webhook = failing_webhook
    with SmtpSink(refuse=[jamie.email]) as sink:
        # Riley's ladder asks Jamie by email (the mail server refuses the address) and by webhook
        # (the receiver answers 500 every time); everyone else's asks Sam, whose email goes through.
        tie = askable(riley, jamie, name="Jamie")
        url = webhook.url("/alerts")
        do_set_ladder(
            riley,
            [RungSpec([PersonSpec(tie.pk, [logic.EMAIL, logic.WEBHOOK], webhook_url=url)])],
            acting_user=riley,
        )
        members = members_asking(sam, 20)
        env = worker_env(
            database_for_worker,
            sink,
            ALERT_MAX_ATTEMPTS=MAX_ATTEMPTS,
            # Waits of 1 to 2 s between tries: time for the others to go out while it is retried.
            ALERT_RETRY_BASE_SECONDS=2,
            ALERT_RETRY_CAP_SECONDS=2,
        )
        with running(Worker(env, tmp_path / "worker.log")) as worker:
            alert, _ = do_raise_sos(riley, acting_user=riley)
            poison = {n.channel: n for n in alert.notifications.exclude(channel=logic.IN_APP)}
            together = raise_sos(members[:10])  # raised with the poison
            wait_for(lambda: len(webhook.requests) >= 1, "the webhook's first failure", worker)
            meanwhile = raise_sos(members[10:])  # raised while the poison waits for its retry
            ids = [n.pk for n in poison.values()]
            wait_for(
                lambda: Notification.objects.filter(id__in=ids, status=NotificationStatus.DEAD).count() == 2,
                "both of Riley's notifications to end dead",
                worker,
            )
            wait_for(all_sent(together + meanwhile), "everyone else's email sent", worker)

    hook = Notification.objects.get(pk=poison[logic.WEBHOOK].pk)
    attempts = list(hook.attempt_log.order_by("number"))
    assert hook.status == NotificationStatus.DEAD and hook.attempts == MAX_ATTEMPTS
    assert hook.last_error == "webhook: HTTP 500"
    assert [(a.number, a.ok, a.error) for a in attempts] == [
        (number, False, "webhook: HTTP 500") for number in range(1, MAX_ATTEMPTS + 1)
    ]
    assert attempts[-1].next_attempt_at is None  # no retry after the last
    tries = [request.headers[logic.IDEMPOTENCY_HEADER] for request in webhook.requests]
    assert tries == [str(hook.idempotency_key)] * MAX_ATTEMPTS  # each try said it was the same delivery

    email = Notification.objects.get(pk=poison[logic.EMAIL].pk)
    assert email.status == NotificationStatus.DEAD and 1 <= email.attempts <= MAX_ATTEMPTS
    assert "SMTPRecipientsRefused" in email.last_error
    assert not email.attempt_log.filter(ok=True).exists()

    # The others went out while the poison was still being retried, not after it died.
    last_try = attempts[-1].started_at
    sent = Notification.objects.filter(id__in=meanwhile).values_list("sent_at", flat=True)
    assert max(sent) < last_try
    assert str(email.idempotency_key) not in sink.deliveries()
    assert sink.deliveries() == {key: 1 for key in keys(together + meanwhile)}
