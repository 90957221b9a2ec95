"""One scheduler pass of the time rules (missed commitments, disengagement) at 1,000, 10,000 and
100,000 members with a ladder, on PostgreSQL, beside a one-query baseline; optionally the SOS latency
while a worker runs the pass.

Builds the members in bulk (COPY on PostgreSQL) in a throwaway database, growing it from one size to
the next, then times the pass as the scheduler runs it (circles/worker/scheduler.py, chunk by chunk)
and counts its SQL queries. See README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# The network benchmark's database set-up: a throwaway database, DEBUG off.
from network import bench_database

ROOT = Path(__file__).resolve().parent.parent
SEED = 2026
SIZES = (1_000, 10_000, 100_000)
TARGET_SECONDS = 60.0  # for 100,000 members
BUILD_BATCH = 5_000  # members built and inserted together
ZONES = {"America/New_York": 30, "America/Chicago": 15, "America/Los_Angeles": 20, "Europe/London": 10}
ZONES |= {"UTC": 5, "Asia/Kolkata": 5, "Australia/Sydney": 5, "Pacific/Honolulu": 5, "Europe/Berlin": 5}
# Who the members are: most keep their commitments; a few drift from them or go quiet. Weights.
PROFILES = {"steady": 82, "no commitments": 10, "drifting": 5, "quiet": 3}
HISTORY_DAYS = 70  # recent contacts, day by day; plus a few older ones


def pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --- Inserting in bulk -------------------------------------------------------------------------


def insert(model, objects: list) -> None:
    """Inserts the objects, giving each its id: COPY on PostgreSQL, bulk_create elsewhere."""
    from django.db import connection

    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=1_000)
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(objects)],
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
        fields = model._meta.concrete_fields
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])


@dataclass
class Batch:
    """Rows for a batch of members, inserted table by table."""

    users: list = field(default_factory=list)
    ties: list = field(default_factory=list)
    rungs: list = field(default_factory=list)
    people: list = field(default_factory=list)
    settings: list = field(default_factory=list)
    commitments: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    alerts: list = field(default_factory=list)

    def save(self) -> None:
        from circles.accounts.models import User
        from circles.alerts.models import Alert, AlertSettings, Rung, RungPerson
        from circles.network.models import Commitment, Interaction, Tie

        insert(User, self.users)
        for tie in self.ties:
            tie.member_id = tie.member.pk
        insert(Tie, self.ties)
        for row in (*self.rungs, *self.settings, *self.alerts):
            row.member_id = row.member.pk
        insert(Rung, self.rungs)
        for person in self.people:
            person.rung_id, person.tie_id = person.rung.pk, person.tie.pk
        insert(RungPerson, self.people)
        insert(AlertSettings, self.settings)
        for row in (*self.commitments, *self.contacts):
            row.member_id, row.tie_id = row.member.pk, row.tie.pk
        insert(Commitment, self.commitments)
        insert(Interaction, self.contacts)
        insert(Alert, self.alerts)


def add_member(batch: Batch, index: int, now: dt.datetime) -> str:
    """One member with a ladder, a small network, perhaps commitments, and contacts as their profile says."""
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

    from circles.accounts.models import User
    from circles.alerts import logic as alert_logic
    from circles.alerts.models import Alert, AlertSettings, AlertStatus, Rung, RungPerson
    from circles.network import logic
    from circles.network.models import Commitment, Interaction, Tie

    rng = random.Random(SEED * 1_000_003 + index)  # the same member whatever the sizes asked for
    profile = pick(rng, PROFILES)
    zone = pick(rng, ZONES)
    member = User(
        email=f"rules-{index}@example.invalid",
        display_name=f"Member {index}",
        timezone=zone,
        password=UNUSABLE_PASSWORD_PREFIX + "bench",  # nobody signs in
        date_joined=now - dt.timedelta(days=rng.uniform(40, 700)),
    )
    batch.users.append(member)
    ties = []
    for relationship, pillar_name in (("friend", "Alex"), ("sponsor", "Jo"), ("counselor", "Dr. Reyes")):
        tie = Tie(
            member=member,
            display_name=pillar_name,
            relationship=relationship,
            pillar=logic.pillar_for_relationship(relationship),
            circle="inner" if relationship != "counselor" else "middle",
            status="active" if rng.random() < 0.95 else "paused",
            created_at=member.date_joined,
            status_since=member.date_joined,
        )
        ties.append(tie)
    batch.ties.extend(ties)
    for position in range(1 if rng.random() < 0.8 else 2):
        rung = Rung(member=member, position=position)
        batch.rungs.append(rung)
        batch.people.append(RungPerson(rung=rung, tie=ties[position], channels=["in_app", "email"]))
    if rng.random() < 0.25:
        batch.settings.append(
            AlertSettings(
                member=member,
                disengagement_on=rng.random() < 0.9,
                disengaged_days=rng.choice([10, 14, 21]),
                missed_commitments_on=rng.random() < 0.9,
                missed_commitments=rng.choice([2, 3, 4]),
            )
        )
    zone_info = zoneinfo.ZoneInfo(zone)
    today = now.astimezone(zone_info).date()
    commitments = []
    if profile != "no commitments":
        for number in range(rng.choice([1, 1, 2, 3])):
            cadence = rng.choice(["weekdays", "every_n_days", "times_per_week"])
            commitments.append(
                Commitment(
                    member=member,
                    tie=ties[number],
                    title=f"Plan {number}",
                    cadence=cadence,
                    weekdays=sorted(rng.sample(range(7), rng.randint(1, 2))) if cadence == "weekdays" else [],
                    interval_days=rng.choice([2, 3, 7]) if cadence == "every_n_days" else None,
                    times_per_week=rng.randint(1, 3) if cadence == "times_per_week" else None,
                    starts_on=today - dt.timedelta(days=rng.randint(14, 365)),
                )
            )
    batch.commitments.extend(commitments)
    # Contacts, on the member's own days: each occurrence of a commitment kept 93 times in 100, now and
    # then someone else too. A drifting member stopped keeping their commitments a few weeks ago; a
    # quiet one stopped logging any contact.
    quiet_for = rng.randint(12, 45) if profile == "quiet" else 0
    drifting_for = rng.randint(10, 30) if profile == "drifting" else 0
    days = [today - dt.timedelta(days=back) for back in range(quiet_for, HISTORY_DAYS)]
    contact_days: list[tuple[Tie, dt.date]] = []
    for commitment in commitments:
        kept = [day for day in days if day >= commitment.starts_on and (today - day).days >= drifting_for]
        contact_days.extend((commitment.tie, day) for day in occurrences(commitment, kept, rng))
    others = 0.06 if commitments else 0.1
    contact_days.extend((tie, day) for day in days for tie in ties if rng.random() < others)
    for tie, day in contact_days:
        moment = dt.datetime.combine(day, dt.time(rng.randint(8, 21), rng.randint(0, 59)), zone_info)
        if moment < now:
            batch.contacts.append(Interaction(member=member, tie=tie, occurred_at=moment, kind="call"))
    for _ in range(rng.randint(0, 6)):  # older history
        moment = now - dt.timedelta(days=rng.uniform(HISTORY_DAYS, 400))
        batch.contacts.append(
            Interaction(member=member, tie=rng.choice(ties), occurred_at=moment, kind="call")
        )
    # Most members who drifted or went quiet were already asked about it (in a pass before this one):
    # those alerts hold the rule back until there is contact again. The rest raise one now.
    earlier = []
    if profile == "quiet" and rng.random() < 0.9:
        earlier = [alert_logic.DISENGAGEMENT, alert_logic.MISSED_COMMITMENTS]
        asked = now - dt.timedelta(days=rng.uniform(0.5, quiet_for - 1))
    elif profile == "drifting" and rng.random() < 0.9:
        earlier = [alert_logic.MISSED_COMMITMENTS]
        asked = now - dt.timedelta(days=rng.uniform(0.5, max(drifting_for - 8, 1)))
    elif rng.random() < 0.05:  # an alert long ago, since closed
        earlier = [rng.choice([alert_logic.DISENGAGEMENT, alert_logic.MISSED_COMMITMENTS])]
        asked = now - dt.timedelta(days=rng.uniform(HISTORY_DAYS, 200))
    for kind in earlier:
        batch.alerts.append(
            Alert(member=member, kind=kind, status=AlertStatus.CLOSED, created_at=asked, closed_at=asked)
        )
    return profile


def occurrences(commitment, days: list[dt.date], rng: random.Random) -> list[dt.date]:
    """Days with contact that keep the commitment's occurrences among `days`, 93 in 100 of them."""
    chosen = set(days)
    kept: list[dt.date] = []
    if commitment.cadence == "weekdays":
        kept = [day for day in days if day.weekday() in commitment.weekdays]
    elif commitment.cadence == "every_n_days":
        n = commitment.interval_days
        starts = [day for day in days if (day - commitment.starts_on).days % n == 0]
        kept = [due + dt.timedelta(days=rng.randrange(n)) for due in starts]
    else:
        mondays = sorted({day - dt.timedelta(days=day.weekday()) for day in days})
        for monday in mondays:
            kept.extend(
                monday + dt.timedelta(days=k) for k in rng.sample(range(7), commitment.times_per_week)
            )
    return [day for day in kept if day in chosen and rng.random() < 0.93]


def grow(have: int, want: int, now: dt.datetime, profiles: dict) -> None:
    from django.db import transaction

    for start in range(have, want, BUILD_BATCH):
        batch = Batch()
        for index in range(start, min(start + BUILD_BATCH, want)):
            profile = add_member(batch, index, now)
            profiles[profile] = profiles.get(profile, 0) + 1
        with transaction.atomic():
            batch.save()


# --- Measuring ---------------------------------------------------------------------------------


@contextmanager
def counting_queries():
    """Counts the queries run on this thread's connection (cheaper than keeping their SQL)."""
    from django.db import connection

    counter = {"queries": 0}

    def count(execute, sql, params, many, context):
        counter["queries"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield counter


@dataclass
class Timing:
    seconds: float
    queries: int
    raised: int = 0
    kinds: dict = field(default_factory=dict)


def one_pass() -> Timing:
    """The time rules as the scheduler runs them: chunk by chunk, its lease renewed between chunks."""
    from django.db.models import Count

    from circles.alerts.models import Alert
    from circles.worker import jobs
    from circles.worker.models import SchedulerLease
    from circles.worker.scheduler import Scheduler

    SchedulerLease.objects.all().delete()  # a fresh scheduler: every job is due
    newest = Alert.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    scheduler = Scheduler("bench:1", [(jobs.check_alert_rules, dt.timedelta(minutes=15))])
    with counting_queries() as counter:
        start = time.perf_counter()
        ran = scheduler.run_due()
        seconds = time.perf_counter() - start
    assert ran == 1
    raised = Alert.objects.filter(pk__gt=newest)
    kinds = dict(raised.values("kind").annotate(count=Count("id")).values_list("kind", "count"))
    raised.delete()  # so that every run raises the same alerts
    return Timing(seconds, counter["queries"], sum(kinds.values()), kinds)


def bare_select() -> Timing:
    """The baseline: one query reading the id of every member with a ladder."""
    from django.db.models import Exists, OuterRef

    from circles.accounts.models import User
    from circles.alerts.models import Rung

    with counting_queries() as counter:
        start = time.perf_counter()
        ids = list(
            User.objects.filter(Exists(Rung.objects.filter(member=OuterRef("pk")))).values_list(
                "pk", flat=True
            )
        )
        seconds = time.perf_counter() - start
    assert ids
    return Timing(seconds, counter["queries"])


def member_by_member() -> Timing:
    """The rules as they ran before, member by member (reading only; test_rules_bulk.py keeps the code)."""
    from django.utils import timezone

    from circles.alerts.tests.test_rules_bulk import per_member_reference

    with counting_queries() as counter:
        start = time.perf_counter()
        decisions = per_member_reference(timezone.now())
        seconds = time.perf_counter() - start
    return Timing(seconds, counter["queries"], len(decisions))


def spread(values: list[float], unit: str = "s", digits: int = 2) -> str:
    median = statistics.median(values)
    return f"{median:.{digits}f} {unit} (runs {min(values):.{digits}f}–{max(values):.{digits}f})"


# --- SOS while a worker runs the pass ----------------------------------------------------------


def worker_environment(smtp_port: int) -> dict[str, str]:
    from django.db import connection

    database = connection.settings_dict
    env = {**os.environ, "DEBUG": "false", "LOG_LEVEL": "INFO", "WORKER_POLL_SECONDS": "1"}
    if connection.vendor == "postgresql":
        user = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
        host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
        env["DATABASE_URL"] = f"postgres://{user}@{host}/{database['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(database["NAME"])
    env.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
    )
    return env


class Worker:
    """`manage.py run_worker` in a subprocess; its log lines are kept with the time each arrived."""

    def __init__(self, env: dict[str, str]) -> None:
        self.lines: list[tuple[float, str]] = []
        self.process = subprocess.Popen(  # noqa: S603 — our own manage.py
            [sys.executable, "manage.py", "run_worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.monotonic(), line.rstrip()))

    def wait_for(self, text: str, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, line in list(self.lines):
                if text in line:
                    return at
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        log = "\n".join(line for _at, line in self.lines[-30:])
        raise SystemExit(f"The worker never logged {text!r}. Its last lines:\n{log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._reader.join(timeout=5)


def sos_members(count: int) -> list:
    """Members whose one-step ladder emails a supporter who may be asked."""
    from circles.accounts.models import User
    from circles.alerts.tests.factories import askable, ladder

    supporter = User.objects.create(email="rules-supporter@example.invalid", display_name="Sam")
    members = []
    for number in range(count):
        member = User.objects.create(
            email=f"rules-sos-{number}@example.invalid", display_name=f"SOS {number}"
        )
        ladder(member, askable(member, supporter), channels=("email",))
        members.append(member)
    return members


def press_and_time(members: list, sink, rate: float, until) -> list[tuple[float, float]]:
    """Presses SOS for one member after another at `rate` a second until `until()`; returns
    (pressed at, milliseconds to the mail server) for each."""
    from django.db import transaction

    from circles.alerts.actions import do_raise_sos
    from circles.alerts.models import Alert, AlertStatus, Notification

    pressed: dict[str, float] = {}
    for member in members:
        if until():
            break
        with transaction.atomic():
            alert, _created = do_raise_sos(member, acting_user=member)
        at = time.monotonic()
        for key in Notification.objects.filter(alert=alert).values_list("idempotency_key", flat=True):
            pressed[str(key)] = at
        time.sleep(1 / rate)
    sink.wait_until(lambda received: len({m.delivery for m in received} & set(pressed)) >= len(pressed), 60)
    arrived = {m.delivery: m.at for m in sink.received if m.delivery in pressed}
    Alert.objects.filter(member__in=members).update(status=AlertStatus.CLOSED)
    return [(pressed[key], (arrived[key] - pressed[key]) * 1000) for key in pressed if key in arrived]


def percentiles(latencies: list[float]) -> str:
    if len(latencies) < 2:
        return f"{len(latencies)} SOS, too few to say"
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return f"{len(latencies)} SOS: p50 {cuts[49]:.0f} ms, p95 {cuts[94]:.0f} ms, max {max(latencies):.0f} ms"


def sos_during_pass(size: int, rate: float) -> None:
    from circles.alerts.tests.smtp_sink import SmtpSink
    from circles.worker.models import SchedulerLease

    members = sos_members(400)
    with SmtpSink() as sink:
        env = worker_environment(sink.port)
        # Quiet first: every periodic job counted as just run, so the worker only delivers.
        SchedulerLease.objects.update_or_create(
            name="periodic-jobs",
            defaults={"holder": "", "expires_at": dt.datetime.now(dt.UTC), "last_runs": fresh_last_runs()},
        )
        worker = Worker(env)
        try:
            worker.wait_for("runs the periodic jobs now", 60)
            quiet = press_and_time(members[:40], sink, rate, lambda: False)
        finally:
            worker.stop()
        # Then a pass: nothing has run yet, so the new worker starts the pass at its first look.
        SchedulerLease.objects.all().delete()
        worker = Worker(env)
        try:
            began = worker.wait_for("runs the periodic jobs now", 60)

            def pass_over() -> bool:
                return any("check_alert_rules handled" in line for _at, line in worker.lines)

            during = press_and_time(members[40:], sink, rate, pass_over)
            ended = worker.wait_for("check_alert_rules handled", 3600)
        finally:
            worker.stop()
    inside = [ms for at, ms in during if began <= at <= ended]
    print(f"\nSOS → mail server, {size:,} members, one worker, {rate:g} SOS a second:")
    print(f"  no pass running:            {percentiles([ms for _at, ms in quiet])}")
    print(f"  during the pass ({ended - began:.1f} s):  {percentiles(inside)}")


def fresh_last_runs() -> dict[str, str]:
    from circles.worker import jobs

    now = dt.datetime.now(dt.UTC).isoformat()
    return {jobs.job_key(job): now for job, _every in jobs.PERIODIC_JOBS}


# --- Running -----------------------------------------------------------------------------------


def run(args: argparse.Namespace, database: str) -> None:
    import django
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    logging.getLogger("circles.worker").setLevel(logging.WARNING)  # each pass would log its progress
    print(f"Django {django.get_version()}, {database}, DEBUG={settings.DEBUG}, seed {SEED}")
    if connection.vendor != "postgresql":
        print("Not PostgreSQL: the figures the targets speak of are PostgreSQL's (see README.md).")
    now = timezone.now()
    profiles: dict[str, int] = {}
    have = 0
    results = []
    for size in sorted(args.sizes):
        start = time.perf_counter()
        grow(have, size, now, profiles)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE")
        have = size
        mix = ", ".join(f"{count:,} {name}" for name, count in sorted(profiles.items()))
        print(f"\n{size:,} members with a ladder (built in {time.perf_counter() - start:.1f} s): {mix}")
        one_pass()  # warm-up: caches, prepared plans
        passes = [one_pass() for _ in range(args.runs)]
        bare = [bare_select() for _ in range(args.runs)]
        per_thousand = size / 1000
        seconds = [p.seconds for p in passes]
        print(
            f"  scheduler pass:   {spread(seconds)}, {passes[0].queries:,} queries "
            f"({passes[0].queries / per_thousand:.1f} per 1,000 members), {passes[0].raised} alerts raised "
            f"({', '.join(f'{n} {kind}' for kind, n in sorted(passes[0].kinds.items()))}); "
            f"{statistics.median(seconds) / per_thousand * 1000:.0f} ms per 1,000 members"
        )
        bare_seconds = [b.seconds for b in bare]
        print(
            f"  baseline:         {spread(bare_seconds, digits=3)}, {bare[0].queries} query "
            f"(the ids of every member with a ladder); the pass takes "
            f"{statistics.median(seconds) / statistics.median(bare_seconds):.0f}× as long"
        )
        if size <= args.before_max:
            before = member_by_member()
            print(
                f"  member by member: {before.seconds:.2f} s (one run, reading only), "
                f"{before.queries:,} queries ({before.queries / per_thousand:.0f} per 1,000 members), "
                f"{before.raised} alerts it would raise"
            )
        if size == max(SIZES):
            verdict = "within" if statistics.median(seconds) < TARGET_SECONDS else "OVER"
            print(f"  target: under {TARGET_SECONDS:.0f} s at {size:,} members: {verdict}")
        results.append((size, passes))
    if args.sos:
        sos_during_pass(have, args.sos_rate)
    else:
        print("\nSOS latency during a pass not measured (add --sos).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        default=list(SIZES),
        help="members with a ladder, comma-separated (default 1000,10000,100000)",
    )
    parser.add_argument("--runs", type=int, default=3, help="timed passes per size (default 3)")
    parser.add_argument(
        "--before-max",
        type=int,
        default=10_000,
        help="also time the member-by-member rules up to this many members (default 10,000)",
    )
    parser.add_argument("--sos", action="store_true", help="then time SOS emails while a worker runs a pass")
    parser.add_argument("--sos-rate", type=float, default=4.0, help="SOS presses a second (default 4)")
    parser.add_argument(
        "--postgres-ok",
        action="store_true",
        help="allow a throwaway database on the server DATABASE_URL names (created, then dropped)",
    )
    args = parser.parse_args()
    with bench_database(postgres_ok=args.postgres_ok) as description:
        run(args, description)


if __name__ == "__main__":
    main()
