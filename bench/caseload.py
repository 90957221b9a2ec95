"""How the caseload page holds up for a counselor with 500 enrolled members, each with a year of history.

Builds an organization with 500 enrolled members in a throwaway database, each with a year of daily
check-ins, questionnaires (PHQ-9, GAD-7, WHO-5, BAM) and a network, all sharing what the caseload
reads; then times GET /care/ through Django's test client (three runs), counts its SQL queries and the
HTML bytes, beside a bare view that renders the same template with the same context from memory, and
counts the queries for a caseload of 10 to show they do not grow. Run it with `make bench` or
`.venv/bin/python bench/caseload.py`; see README.md.
"""

import argparse
import datetime as dt
import random
import time

# The other benchmarks' database set-up, builders and timing helpers.
from checkins import clamp, random_answers
from network import (
    Measurement,
    Runs,
    bench_database,
    build_network,
    fetch,
    measure_runs,
    pick,
    profile,
    serve_from_memory,
)

SEED = 2027
TARGET_MS = 200.0
RUNS = 3
PAGE = "/care/"
LARGE = {"members": 500, "days": 365, "ties": 10, "interactions": 120}
SMALL_MEMBERS = 10
# Questionnaires over the year, as the default schedules ask: every 14 days, 14 days, 7 days, 30 days.
SCHEDULES = {"phq9": 14, "gad7": 14, "who5": 7, "bam": 30}
ANSWER_POOL = 40  # answer sets per instrument and level of distress, scored once and reused


def caseload_scopes() -> list[str]:
    from circles.care.tests.factories import CASELOAD_SCOPES

    return list(CASELOAD_SCOPES)


def build_organization():
    from circles.accounts.models import User
    from circles.care.actions import do_add_staff, do_create_organization
    from circles.care.models import StaffRole

    admin = User.objects.create(email="bench-admin@example.invalid", display_name="Bench Admin")
    organization = do_create_organization(
        name="Bench Recovery Center", kind="treatment_centre", program_name="Outpatient", acting_user=admin
    )
    staff = {}
    for key, role in (("large", StaffRole.COUNSELOR), ("small", StaffRole.PEER_SPECIALIST)):
        user = User.objects.create(email=f"bench-{key}@example.invalid", display_name=f"Bench {key}")
        user.set_unusable_password()
        user.save()
        staff[key] = do_add_staff(organization, user, role=role, acting_user=admin)
    return organization, staff


def answer_pool(rng: random.Random) -> dict[tuple[str, int], list]:
    """Scored answers for each instrument at three levels of distress (0 low … 2 high)."""
    from circles.checkins import logic

    pool: dict[tuple[str, int], list] = {}
    for code in SCHEDULES:
        for level in range(3):
            pool[code, level] = []
            for _ in range(ANSWER_POOL):
                answers = random_answers(code, 0.15 + 0.3 * level + rng.uniform(0, 0.15), rng)
                pool[code, level].append((answers, logic.score(code, answers)))
    return pool


def build_members(organization, counselor, rng: random.Random, pool) -> list:
    """500 members enrolled a year ago with the counselor as primary, their histories in bulk inserts."""
    from django.db import transaction
    from django.utils import timezone

    from circles.accounts.models import User
    from circles.care.actions import do_enrol_member
    from circles.care.models import Appointment, Enrolment, Message
    from circles.checkins import logic
    from circles.checkins.definitions import builtin_definition
    from circles.checkins.models import Assessment, CheckIn, SafetySignal
    from circles.lib.time import local_today, start_of_local_day, user_zone

    program = organization.programs.get()
    definitions = {code: builtin_definition(code) for code in SCHEDULES}
    now = timezone.now()
    members = User.objects.bulk_create(
        User(
            email=f"bench-member-{n}@example.invalid",
            display_name=f"Member {n:03}",
            timezone=pick(rng, {"America/New_York": 6, "America/Chicago": 2, "America/Los_Angeles": 2}),
        )
        for n in range(LARGE["members"])
    )
    for member in members:
        enrolment = do_enrol_member(
            member,
            organization=organization,
            program=program,
            scopes=caseload_scopes(),
            expires_on=None,
            signature_name=member.display_name,
            primary_staff=counselor,
            acting_user=member,
        )
        Enrolment.objects.filter(pk=enrolment.pk).update(started_at=now - dt.timedelta(days=LARGE["days"]))
        build_network(member, rng, ties=LARGE["ties"], interactions=LARGE["interactions"], commitments=0)
        zone, today = user_zone(member), local_today(member)
        # How hard the member's year is (0 steady … 2 hard), and whether the last weeks went worse.
        level = pick(rng, {0: 5, 1: 3, 2: 2})
        worse_lately = rng.random() < 0.25
        stopped = rng.choice([0, 0, 0, 0, 3, 9, 20])  # days since the last check-in
        checkins, assessments = [], []
        for back in range(LARGE["days"], stopped - 1, -1):
            if rng.random() < 0.12:
                continue
            distress = 0.2 + 0.25 * level + (0.3 if worse_lately and back < 21 else 0) + rng.gauss(0, 0.1)
            used = rng.random() < 0.01 + 0.04 * distress
            checkins.append(
                CheckIn(
                    member=member,
                    day=today - dt.timedelta(days=back),
                    mood=clamp(9 - 8 * distress + rng.gauss(0, 1), 0, 10),
                    craving=clamp(10 * distress - 1 + rng.gauss(0, 1.2), 0, 10),
                    stress=clamp(8 * distress + rng.gauss(0, 1.2), 0, 10),
                    sleep_quality=clamp(5 - 3 * distress + rng.gauss(0, 0.7), 1, 5),
                    used=used,
                    substance="alcohol" if used else "",
                )
            )
        for code, interval in SCHEDULES.items():
            for back in range(LARGE["days"] - rng.randrange(interval), 0, -interval):
                hard = min(2, level + (1 if worse_lately and back < 21 else 0))
                answers, result = rng.choice(pool[code, hard])
                day = today - dt.timedelta(days=back)
                completed_at = start_of_local_day(day, zone) + dt.timedelta(hours=rng.uniform(8, 22))
                assessments.append(
                    Assessment(
                        member=member,
                        instrument=code,
                        definition=definitions[code],
                        status=Assessment.Status.COMPLETED,
                        answers=answers,
                        started_at=completed_at - dt.timedelta(minutes=5),
                        completed_at=completed_at,
                        day=day,
                        total=result.total,
                        band=result.band or "",
                        subscales=result.subscales,
                        flags=list(result.flags),
                        scoring_version=logic.INSTRUMENTS[code].scoring_version,
                    )
                )
        with transaction.atomic():
            CheckIn.objects.bulk_create(checkins, batch_size=500)
            Assessment.objects.bulk_create(assessments, batch_size=500)
            if rng.random() < 0.04:  # an open safety signal, raised in the last days
                SafetySignal.objects.create(
                    member=member,
                    source=SafetySignal.Source.HELP_NOW,
                    created_at=now - dt.timedelta(hours=rng.uniform(1, 72)),
                )
            Appointment.objects.bulk_create(
                Appointment(
                    enrolment=enrolment,
                    staff=counselor,
                    kind="individual",
                    mode="in_person",
                    starts_at=now - dt.timedelta(days=7 * week, hours=rng.uniform(0, 8)),
                    attendance="missed" if rng.random() < 0.1 + 0.1 * level else "attended",
                )
                for week in range(1, 27)
            )
            if rng.random() < 0.3:
                Message.objects.create(
                    enrolment=enrolment, sender=member, sender_name="", from_member=True, body="Hello"
                )
    return members


def settle_history(members) -> None:
    """The builder wrote a year of history in the last minute; in life it was written over the year. The
    caseload counts a member's check-in or tie changed within a minute of reading their facts as newer
    than them (circles/care/caseload.py, CHANGE_MARGIN): date the builder's writes back ten minutes, so
    what is measured is a caseload whose 500 members have not all changed something this minute."""
    from django.db import connection
    from django.utils import timezone

    from circles.checkins.models import CheckIn
    from circles.network.models import Tie

    past = timezone.now() - dt.timedelta(minutes=10)
    CheckIn.objects.filter(member__in=members).update(updated_at=past)
    Tie.objects.filter(member__in=members).update(updated_at=past)
    # A database in use has statistics about its tables; one just filled in bulk has none yet, and plans
    # its queries blind (PostgreSQL's autovacuum would analyze it a little later).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure_cold(client, url: str, requests: int):
    """The page when no member's caseload facts are current (the first look of the day with no worker
    running): every member's signals read through their consent and kept again."""
    from circles.care.models import CaseloadFacts

    times, size = [], 0
    for _ in range(requests):
        CaseloadFacts.objects.all().delete()
        start = time.perf_counter()
        size = len(fetch(client, url).content)
        times.append((time.perf_counter() - start) * 1000)
    return Measurement((), tuple(times), size)


def second_factor(client, user) -> None:
    """What typing the code does: staff reach nothing without two-factor sign-in."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="Bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def query_breakdown(client, url: str) -> tuple[int, int]:
    """(queries, of which audit-trail INSERTs) for one request: Django splits a bulk insert on SQLite
    into batches of 999 parameters (83 audit rows), one insert on PostgreSQL."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    inserts = sum(1 for query in captured if query["sql"].startswith('INSERT INTO "audit_auditevent"'))
    return len(captured), inserts


def describe(organization) -> list[str]:
    from circles.care.models import Appointment, Enrolment
    from circles.checkins.models import Assessment, CheckIn
    from circles.network.models import Interaction, Tie

    members = list(Enrolment.objects.filter(organization=organization).values_list("member_id", flat=True))
    return [
        f"members       {len(members):>8,}  "
        f"(enrolled a year ago, each sharing {len(caseload_scopes())} scopes)",
        f"check-ins     {CheckIn.objects.filter(member_id__in=members).count():>8,}",
        f"scores        {Assessment.objects.filter(member_id__in=members).count():>8,}  "
        "(PHQ-9, GAD-7, WHO-5, BAM)",
        f"ties          {Tie.objects.filter(member_id__in=members).count():>8,}  "
        f"({Interaction.objects.filter(member_id__in=members).count():,} contacts)",
        f"sessions      {Appointment.objects.filter(enrolment__organization=organization).count():>8,}",
    ]


def run(args: argparse.Namespace, database: str) -> None:
    import django
    from django.conf import settings
    from django.test import Client

    from circles.care.models import CareTeamMember
    from circles.lib.heap import freeze_loaded_objects

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    print(f"Django {django.get_version()}, {database}, DEBUG={settings.DEBUG}, seed {SEED}")
    rng = random.Random(SEED)
    start = time.perf_counter()
    organization, staff = build_organization()
    members = build_members(organization, staff["large"], rng, answer_pool(rng))
    # The peer recovery specialist is on 10 of the care teams: a caseload of 10 over the same data.
    CareTeamMember.objects.bulk_create(
        CareTeamMember(enrolment=enrolment, staff=staff["small"])
        for enrolment in organization.enrolments.filter(member__in=members[:SMALL_MEMBERS])
    )
    settle_history(members)
    print(f"\nBuilt the organization in {time.perf_counter() - start:.1f} s:")
    for line in describe(organization):
        print(f"  {line}")

    # What circles/wsgi.py does once the app is loaded, before serving anyone: without it, one request in
    # five pays a full garbage collection over everything the process holds (circles/lib/heap.py).
    frozen = freeze_loaded_objects()
    print(f"  {frozen:,} objects frozen after start-up, as circles/wsgi.py does")

    results: dict[str, Runs] = {}
    breakdown: dict[str, tuple[int, int]] = {}
    for key in ("large", "small"):
        client = Client()
        user = staff[key].user
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        second_factor(client, user)
        client.get(PAGE)  # the session's first request
        breakdown[key] = query_breakdown(client, PAGE)
        if key == "large":
            bare = serve_from_memory(client, {"caseload": PAGE}, view_module="circles.care.views.caseload")
            measured = measure_runs(
                client,
                {"caseload": PAGE, "bare view": bare["caseload"]},
                runs=args.runs,
                warmup=args.warmup,
                requests=args.requests,
            )
            results.update(measured)
            cold = measure_cold(client, PAGE, requests=max(5, args.requests // 3))
            if args.profile:
                profile(client, PAGE, args.profile)
        else:
            results["small"] = measure_runs(client, {"small": PAGE}, runs=1, warmup=1, requests=3)["small"]

    print(
        f"\nServer time: {args.runs} runs of {args.requests} requests after {args.warmup} warm-ups each; "
        "the median of the runs' figures (their range); SQL queries per request; HTML bytes:"
    )
    page, base, small = results["caseload"], results["bare view"], results["small"]
    over = "   OVER TARGET" if page.p95_ms > TARGET_MS else ""
    print(
        f"GET {PAGE}  ({LARGE['members']} members):  {page.text()}   [target p95 ≤ {TARGET_MS:.0f} ms]{over}"
    )
    print(f"    the same page from memory (bare view, baseline):  {base.text()}")
    print(
        f"    loading and ranking the caseload: p95 +{page.p95_ms - base.p95_ms:.1f} ms "
        f"({page.p95_ms / base.p95_ms:.1f} × the bare view)"
    )
    print(
        f"    with no member's facts current (first look of the day, no worker): median "
        f"{cold.median_ms:.1f} ms, p95 {cold.p95_ms:.1f} ms over {len(cold.times_ms)} requests (no target; "
        "the worker keeps them current)"
    )
    (large_total, large_inserts), (small_total, small_inserts) = breakdown["large"], breakdown["small"]
    same = "same as" if small_total - small_inserts == large_total - large_inserts else "NOT the same as"
    print(
        f"GET {PAGE}  ({SMALL_MEMBERS} members):   {small.query_text}; without the audit INSERT batches "
        f"{small_total - small_inserts} ({same} at {LARGE['members']} members: {large_total} with "
        f"{large_inserts} audit INSERT batches), median {small.median_ms:.1f} ms, {small.html_bytes:,} bytes"
    )
    if page.p95_ms > TARGET_MS and not args.profile:
        print("\nThe caseload is over target: run with --profile 20 to see where the time goes.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="measured requests per URL (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured requests first (default 5)")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs of --requests each (default {RUNS})")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile N caseload requests")
    parser.add_argument(
        "--members", type=int, default=LARGE["members"], help=f"members enrolled (default {LARGE['members']})"
    )
    parser.add_argument(
        "--postgres-ok",
        action="store_true",
        help="allow a throwaway database on the server DATABASE_URL names (created, then dropped)",
    )
    args = parser.parse_args()
    LARGE["members"] = args.members
    with bench_database(postgres_ok=args.postgres_ok) as description:
        run(args, description)


if __name__ == "__main__":
    main()
