"""How the supporter's pages and the audit trail hold up for a supporter of 20 members who share everything.

Builds a supporter linked to 20 members, each with about 60 days of check-ins, a few questionnaires, a
small network and a consent to every scope, in a throwaway database; then times GET /supporting/ and
GET /supporting/<member>/ through Django's test client, with their audit writes and with them patched
out, counts SQL queries and audit rows per request, and times verifying the audit trail's hash chain.
Run it with `make bench` or `.venv/bin/python bench/sharing.py`; see README.md.
"""

import argparse
import datetime as dt
import random
import time
from contextlib import contextmanager, nullcontext
from unittest import mock

# The other benchmarks' database set-up, builders and timing helpers.
from checkins import clamp, random_answers
from network import (
    Measurement,
    bench_database,
    build_network,
    create_member,
    measure,
    pick,
    profile,
)

SEED = 2026
TARGET_MS = 150.0
HOME = "/supporting/"
LARGE = {"members": 20, "days": 60, "questionnaires": 8, "ties": 12, "interactions": 300, "commitments": 2}
SMALL = {**LARGE, "members": 2}
# The supporter's relationship to each member, in turn: it picks the guidance shown on the member's page.
RELATIONSHIPS = ["sponsor", "friend", "parent", "peer"]
# Questionnaires over two months, as a member filling in the default schedules would. Weights.
INSTRUMENT_WEIGHTS = {"who5": 4, "phq9": 3, "gad7": 3, "barc10": 1, "mspss": 1, "bam": 1, "auditc": 1}
STRUGGLING = ["Work stress.", "Money.", "Family dinner coming up.", "Could not sleep.", "Felt alone."]
AUDIT_SINKS = ("circles.sharing.access.record_many", "circles.sharing.access.record")


# --- Data --------------------------------------------------------------------------------------


def evening(member, day: dt.date, rng: random.Random) -> dt.datetime:
    from circles.lib.time import start_of_local_day, user_zone

    return start_of_local_day(day, user_zone(member)) + dt.timedelta(hours=rng.uniform(18, 23))


def build_checkins(member, tie, days: int, rng: random.Random) -> None:
    """A check-in on most of the last `days` days, today included, each saved on its own evening."""
    import time_machine

    from circles.checkins.tests.factories import make_checkin
    from circles.lib.time import local_today

    today = local_today(member)
    using_from = rng.randrange(days)  # one return to use, a day or two long
    for back in range(days - 1, -1, -1):
        if back and rng.random() < 0.1:
            continue  # a missed day (today is never missed: "checked in today" has something to show)
        day = today - dt.timedelta(days=back)
        index = days - 1 - back
        used = using_from <= index < using_from + rng.choice([1, 2])
        distress = min(1.0, max(0.0, 0.55 - 0.3 * index / days + (0.3 if used else 0) + rng.gauss(0, 0.1)))
        struggling = rng.choice(STRUGGLING) if rng.random() < 0.2 + 0.3 * distress else ""
        moment = min(evening(member, day, rng), dt.datetime.now(tz=dt.UTC))
        with time_machine.travel(moment, tick=False):
            checkin = make_checkin(
                member,
                day,
                mood=clamp(9 - 8 * distress + rng.gauss(0, 1), 0, 10),
                craving=clamp(10 * distress - 1 + rng.gauss(0, 1.2), 0, 10),
                stress=clamp(8 * distress + rng.gauss(0, 1.2), 0, 10),
                sleep_quality=clamp(5 - 3 * distress + rng.gauss(0, 0.7), 1, 5),
                used=used,
                substance="alcohol" if used else "",
                struggling=struggling,
            )
        if struggling and rng.random() < 0.5:
            checkin.struggling_for.add(tie)  # addressed to the supporter: the struggles scope shows it


def build_questionnaires(member, days: int, count: int, rng: random.Random) -> None:
    """Completed and scored through the same actions as the pages, on days spread over the history."""
    import time_machine

    from circles.checkins.tests.factories import complete
    from circles.lib.time import local_today

    today = local_today(member)
    for back in sorted((rng.randrange(1, days) for _ in range(count)), reverse=True):
        code = pick(rng, INSTRUMENT_WEIGHTS)
        with time_machine.travel(evening(member, today - dt.timedelta(days=back), rng), tick=False):
            complete(member, code, random_answers(code, rng.uniform(0.2, 0.7), rng))


def build_supporter(label: str, size: dict, rng: random.Random, members: list | None = None):
    """A supporter linked to `size["members"]` members (new ones unless given), each sharing every scope."""
    from circles.accounts.actions import do_grant_role
    from circles.network.tests.factories import make_tie
    from circles.sharing import logic
    from circles.sharing.actions import do_grant_consent
    from circles.sharing.statement import default_purpose

    supporter = create_member(f"supporter-{label}")
    do_grant_role(supporter, "supporter")
    if members is None:
        members = []
        for index in range(size["members"]):
            member = create_member(f"{label}-{index:02}")
            network = {key: size[key] for key in ("ties", "interactions", "commitments")}
            build_network(member, rng, **network)
            members.append(member)
    for index, member in enumerate(members[: size["members"]]):
        tie = make_tie(member, f"Supporter {label}", RELATIONSHIPS[index % len(RELATIONSHIPS)])
        # What accepting the emailed invitation does (do_accept_invitation), without the email.
        tie.supporter = supporter
        tie.save(update_fields=["supporter"])
        if not member.checkins.exists():
            build_checkins(member, tie, size["days"], rng)
            build_questionnaires(member, size["days"], size["questionnaires"], rng)
        do_grant_consent(
            tie,
            scopes=list(logic.SCOPE_CODES),
            purpose=default_purpose(tie.display_name),
            expires_on=None,
            signature_name=member.display_name,
            acting_user=member,
        )
    return supporter, members


def describe_rows(supporter) -> list[str]:
    """What was built, read back from the database."""
    from collections import Counter

    from django.db.models import Count

    from circles.checkins.models import Assessment, CheckIn
    from circles.network.models import Interaction, Tie
    from circles.sharing import logic
    from circles.sharing.models import Consent

    members = list(Tie.objects.filter(supporter=supporter).values_list("member_id", flat=True))
    checkins = CheckIn.objects.filter(member_id__in=members)
    per_member = [row["n"] for row in checkins.values("member_id").annotate(n=Count("id"))]
    struggles = CheckIn.struggling_for.through.objects.filter(tie__supporter=supporter).count()
    scores = Counter(
        Assessment.objects.completed().filter(member_id__in=members).values_list("instrument", flat=True)
    )
    consents = Consent.objects.live_for(supporter).count()
    instruments = ", ".join(f"{count} {code}" for code, count in scores.most_common())
    return [
        f"members       {len(members):>6,}  (each sharing all {len(logic.SCOPE_CODES)} scopes; "
        f"{consents} live consents)",
        f"check-ins     {checkins.count():>6,}  ({min(per_member)}–{max(per_member)} per member over "
        f"{LARGE['days']} days; {checkins.filter(used=True).count()} with use; "
        f"{struggles} struggles addressed to the supporter)",
        f"scores        {scores.total():>6,}  ({instruments})",
        f"ties          {Tie.objects.filter(member_id__in=members).count():>6,}  "
        f"({Interaction.objects.filter(member_id__in=members).count():,} contacts)",
    ]


# --- Measuring ---------------------------------------------------------------------------------


@contextmanager
def without_audit_writes():
    """The supporter pages with their audit writes patched out, where circles.sharing.access imports them."""
    with mock.patch(AUDIT_SINKS[0], lambda events: None), mock.patch(AUDIT_SINKS[1], lambda *a, **k: None):
        yield


def measure_audited(client, url: str, *, audited: bool, warmup: int, requests: int):
    """A measurement, and the audit rows each request wrote."""
    from circles.audit.models import AuditEvent

    before = AuditEvent.objects.count()
    with nullcontext() if audited else without_audit_writes():
        result = measure(client, url, warmup=warmup, requests=requests)
    return result, (AuditEvent.objects.count() - before) / (warmup + requests)


def time_verify() -> tuple[int, float, bool]:
    """(rows in the trail, seconds first_break took to walk them, whether the chain is whole)."""
    from circles.audit.models import AuditEvent
    from circles.audit.trail import first_break

    rows = AuditEvent.objects.count()
    start = time.perf_counter()
    found = first_break()
    return rows, time.perf_counter() - start, found is None


def pad_audit_trail(rows: int, member_ids: list[int], actor_id: int) -> None:
    """Adds supporter reads, like the home page's, until the trail holds `rows` rows; 2,000 to an insert."""
    from circles.audit.models import AuditEvent
    from circles.audit.trail import Event, record_many
    from circles.sharing import logic

    every_scope = logic.scopes_ref(logic.SCOPE_CODES)
    missing = rows - AuditEvent.objects.count()
    for start in range(0, max(missing, 0), 2_000):
        record_many(
            Event(
                action=logic.SHARED_VIEW,
                actor_id=actor_id,
                subject_id=member_ids[index % len(member_ids)],
                object_ref=every_scope,
            )
            for index in range(start, min(missing, start + 2_000))
        )


# --- Running -----------------------------------------------------------------------------------


def run(args: argparse.Namespace, database: str) -> None:
    import django
    from django.conf import settings
    from django.test import Client

    # setup_test_environment() would add "testserver" too, but it also makes every template render
    # record its context for the test client, which would distort the timings.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    print(f"Django {django.get_version()}, {database}, DEBUG={settings.DEBUG}, seed {SEED}")

    rng = random.Random(SEED)
    start = time.perf_counter()
    large, members = build_supporter("large", LARGE, rng)
    print(f"\nBuilt {LARGE['members']} supported members in {time.perf_counter() - start:.1f} s:")
    for line in describe_rows(large):
        print(f"  {line}")
    small, _same = build_supporter("small", SMALL, rng, members)
    page = f"{HOME}{members[0].pk}/"
    pages = {"home": HOME, "member": page}

    results: dict[tuple[str, str, bool], tuple[Measurement, float]] = {}
    for supporter, label in ((large, "large"), (small, "small")):
        client = Client()
        client.force_login(supporter, backend="django.contrib.auth.backends.ModelBackend")
        requests = args.requests if label == "large" else 3
        warmup = args.warmup if label == "large" else 1
        for name, url in pages.items():
            for audited in (True, False):
                results[name, label, audited] = measure_audited(
                    client, url, audited=audited, warmup=warmup, requests=requests
                )
        if label == "large" and args.profile:
            profile(client, HOME, args.profile)

    print(
        f"\nServer time over {args.requests} requests after {args.warmup} warm-ups; "
        "SQL queries and audit rows written per request:"
    )
    sizes = {"home": f"({LARGE['members']} members, ", "member": f"(1 of {LARGE['members']} members, "}
    urls = {"home": HOME, "member": f"{HOME}<id>/"}
    for name in pages:
        for audited in (True, False):
            result, rows = results[name, "large", audited]
            size = (sizes[name] + ("audited):" if audited else "no audit writes):")).ljust(36)
            verdict = "" if result.median_ms < TARGET_MS else "   OVER TARGET"
            target = f"   [target < {TARGET_MS:.0f} ms]{verdict}" if audited else ""
            print(
                f"GET  {urls[name]:<17} {size} {result.query_text}, {rows:.0f} audit rows, "
                f"median {result.median_ms:.1f} ms, p95 {result.p95_ms:.1f} ms{target}"
            )
    for name in pages:
        result, rows = results[name, "small", True]
        big = results[name, "large", True][0]
        same = "same as" if result.queries == big.queries else "NOT the same as"
        size = (
            f"({SMALL['members']} members, audited):"
            if name == "home"
            else f"(1 of {SMALL['members']} members, audited):"
        )
        print(
            f"GET  {urls[name]:<17} {size.ljust(36)} {result.query_text} ({same} at {LARGE['members']} "
            f"members), {rows:.0f} audit rows, median {result.median_ms:.1f} ms"
        )
    print("\nWhat the audit writes cost (median, audited minus patched out):")
    for name in pages:
        audited, bare = results[name, "large", True][0], results[name, "large", False][0]
        extra = audited.median_ms - bare.median_ms
        queries = audited.queries[0] - bare.queries[0]
        print(
            f"GET  {urls[name]:<17} +{extra:.1f} ms ({extra / bare.median_ms:+.0%}), "
            f"+{queries} queries, {results[name, 'large', True][1]:.0f} rows"
        )

    rows, seconds, intact = time_verify()
    print(
        f"\nAudit trail after the run: {rows:,} rows. verify_audit (circles.audit.trail.first_break): "
        f"{seconds * 1000:.0f} ms, {seconds / rows * 10_000 * 1000:.0f} ms per 10,000 rows; "
        + ("the chain is intact." if intact else "THE CHAIN IS BROKEN.")
    )
    if args.audit_rows > rows:
        start = time.perf_counter()
        pad_audit_trail(args.audit_rows, [member.pk for member in members], large.pk)
        padded = time.perf_counter() - start
        rows, seconds, intact = time_verify()
        print(
            f"Padded to {rows:,} rows ({padded:.1f} s to write them): verify_audit {seconds:.2f} s, "
            f"{seconds / rows * 10_000 * 1000:.0f} ms per 10,000 rows; "
            + ("the chain is intact." if intact else "THE CHAIN IS BROKEN.")
        )
    if results["home", "large", True][0].median_ms >= TARGET_MS and not args.profile:
        print("\nThe supporter home is over target: run with --profile 20 to see where the time goes.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="measured requests per URL (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured requests first (default 5)")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="profile N requests of the supporter home"
    )
    parser.add_argument(
        "--audit-rows",
        type=int,
        default=100_000,
        metavar="N",
        help="then pad the audit trail to N rows and time verifying it again (default 100,000; 0: skip)",
    )
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
