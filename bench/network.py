"""How the network page and the health API hold up for a member with a large network.

Builds a member with 500 ties, 50,000 logged contacts and 20 commitments in a throwaway database,
then times GET /network/ and GET /api/v1/network/health through Django's test client (three runs),
counts their SQL queries and the page's HTML bytes, beside a bare view that serves the same page
rendered from memory. Run it with `make bench` or `.venv/bin/python bench/network.py`; see README.md.
"""

import argparse
import cProfile
import datetime as dt
import os
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import types
import uuid
import warnings
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
SEED = 2024
TARGET_MS = 150.0
TARGET_BYTES = 100_000
RUNS = 3
URLS = {"network page": "/network/", "health API": "/api/v1/network/health"}
LARGE = {"ties": 500, "interactions": 50_000, "commitments": 20}
SMALL = {"ties": 10, "interactions": 1_000, "commitments": 3}
HISTORY_DAYS = 730

# A large, lived-in network: mostly family, friends and co-workers, a sizeable peer pillar,
# a handful of professionals. Weights, not percentages.
RELATIONSHIP_WEIGHTS = {
    "friend": 22,
    "coworker": 12,
    "other_family": 8,
    "neighbour": 6,
    "sibling": 5,
    "other": 5,
    "parent": 4,
    "child": 3,
    "faith_leader": 2,
    "partner": 1,
    "peer": 14,
    "group": 6,
    "peer_mentor": 2,
    "sponsor": 1,
    "counselor": 3,
    "physician": 3,
    "therapist": 2,
    "case_manager": 1,
}
CIRCLE_WEIGHTS = {"inner": 10, "middle": 35, "outer": 55}
FREQUENCY_WEIGHTS = {"daily": 5, "weekly": 30, "monthly": 40, "less_often": 25}
STANCE_WEIGHTS = {"supports_recovery": 55, "neutral": 38, "supports_use": 7}
SUBSTANCE_USE_WEIGHTS = {"abstinent": 35, "light": 25, "heavy": 8, "unknown": 32}
STATUS_WEIGHTS = {"active": 85, "paused": 8, "ended": 7}
QUALITY_WEIGHTS = {1: 4, 2: 10, 3: 36, 4: 32, 5: 18}
IMPORTANCE_WEIGHTS = {1: 10, 2: 20, 3: 35, 4: 22, 5: 13}
CONTACT_QUALITY_WEIGHTS = {"helpful": 60, "neutral": 30, "hard": 10}
STRAIN_SHARE = 0.12
CADENCES = ["weekdays", "every_n_days", "times_per_week"]
FIRST_NAMES = (
    "Alex Amara Ben Carmen Dana Devon Eli Fatima Gabe Hana Ines Jamal Jo Kai Lena Luis Maya Mei Nadia "
    "Noah Omar Priya Quinn Rosa Sam Tariq Uma Vera Wes Yusuf Zoe"
).split()
SURNAMES = (
    "Abbott Baker Chen Diaz Evans Garcia Hughes Ito Khan Lopez Murphy Nguyen Okafor Patel Reyes".split()
)
WEEKDAY_NAMES = ["Monday", "Wednesday", "Friday", "Sunday"]
NOTES = ["Talked about the week.", "Felt better afterwards.", "Hard conversation.", "Quick check-in."]


def pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --- Database ----------------------------------------------------------------------------------


@contextmanager
def sqlite_database():
    """A fresh SQLite file (with the WAL settings of settings.py) that disappears afterwards."""
    import django
    from django.core.management import call_command
    from django.db import connections

    with tempfile.TemporaryDirectory(prefix="circles-bench-") as folder:
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = str(Path(folder) / "bench.sqlite3")
        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        try:
            yield f"SQLite {sqlite3.sqlite_version}, temporary file"
        finally:
            connections.close_all()


@contextmanager
def server_database():
    """A throwaway database on the server DATABASE_URL names, dropped afterwards.

    Django's test-database machinery creates it (under a random name, so it can never clobber a
    database someone else uses), migrates it and drops it; the database DATABASE_URL names is
    not written to.
    """
    import django
    from django.db import connection

    django.setup()
    connection.settings_dict["TEST"]["NAME"] = f"circles_bench_{uuid.uuid4().hex[:12]}"
    original_name = connection.creation.create_test_db(verbosity=0, autoclobber=False, serialize=False)
    try:
        version = ".".join(str(part) for part in connection.get_database_version())
        yield f"{connection.display_name} {version}, throwaway database {connection.settings_dict['NAME']}"
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)


# --- Data --------------------------------------------------------------------------------------


def create_member(label: str):
    from circles.accounts.actions import do_grant_role
    from circles.accounts.models import User

    member = User(
        email=f"bench-{label}@example.invalid", display_name=f"Bench {label}", timezone="America/New_York"
    )
    member.set_unusable_password()  # force_login needs none, and Argon2 would only slow the build
    member.save()
    do_grant_role(member, "member")
    return member


def build_network(member, rng: random.Random, *, ties: int, interactions: int, commitments: int) -> None:
    """Fills in a member's network with bulk inserts.

    Interaction.objects.bulk_create counts the contact rollup of the ties it touches again
    (circles/network/rollup.py), in the same transaction, so the pages read an exact rollup.
    """
    from django.db import transaction
    from django.utils import timezone

    from circles.lib.time import local_today
    from circles.network.models import Commitment, Interaction, Tie, TieStatusChange

    now = timezone.now()
    with transaction.atomic():
        made = Tie.objects.bulk_create(new_tie(member, rng, now) for _ in range(ties))
        TieStatusChange.objects.bulk_create(status_history(made))
        Interaction.objects.bulk_create(
            new_interactions(member, made, interactions, rng, now), batch_size=2_000
        )
        Commitment.objects.bulk_create(new_commitments(member, made, commitments, rng, local_today(member)))


def new_tie(member, rng: random.Random, now: dt.datetime):
    from circles.network import logic
    from circles.network.models import SupportKind, Tie

    relationship = pick(rng, RELATIONSHIP_WEIGHTS)
    # A few people belong in another pillar than their relationship says, e.g. a friend in recovery.
    override = rng.choice(logic.PILLARS) if rng.random() < 0.03 else ""
    # Most ties were mapped on the first day; the rest were added along the way.
    created_at = now - dt.timedelta(days=HISTORY_DAYS if rng.random() < 0.6 else rng.uniform(1, HISTORY_DAYS))
    status = pick(rng, STATUS_WEIGHTS)
    status_since = created_at if status == "active" else created_at + (now - created_at) * rng.random()
    if relationship == "group":
        name = f"{rng.choice(WEEKDAY_NAMES)} {rng.choice(['morning', 'evening'])} group"
    else:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
    return Tie(
        member=member,
        display_name=name,
        relationship=relationship,
        pillar_override=override,
        # bulk_create skips Tie.save(), which is what normally resolves the pillar.
        pillar=override or logic.pillar_for_relationship(relationship),
        circle=pick(rng, CIRCLE_WEIGHTS),
        support_kinds=rng.sample(SupportKind.values, k=rng.randint(0, 3)),
        contact_frequency=pick(rng, FREQUENCY_WEIGHTS),
        importance=pick(rng, IMPORTANCE_WEIGHTS),
        substance_use=pick(rng, SUBSTANCE_USE_WEIGHTS),
        stance=pick(rng, STANCE_WEIGHTS),
        quality=pick(rng, QUALITY_WEIGHTS),
        strain_flags=rng.sample(
            ["negativity", "conflict", "pressure_to_use", "boundary_crossing"], k=rng.choice([1, 1, 2])
        )
        if rng.random() < STRAIN_SHARE
        else [],
        boundaries="No calls after 10 pm." if rng.random() < 0.1 else "",
        email=f"{name.split()[0].lower()}{rng.randint(1, 999)}@example.org" if rng.random() < 0.3 else "",
        status=status,
        status_since=status_since,
        created_at=created_at,
    )


def status_history(ties):
    from circles.network.models import TieStatusChange

    for tie in ties:
        yield TieStatusChange(tie=tie, status="active", changed_at=tie.created_at)
        if tie.status != "active":
            yield TieStatusChange(tie=tie, status=tie.status, changed_at=tie.status_since)


def new_interactions(member, ties, count: int, rng: random.Random, now: dt.datetime):
    from circles.network import logic
    from circles.network.models import Interaction

    # Contact happens only while a tie is active, and as often as the member says it does.
    windows = [(tie.created_at, now if tie.status == "active" else tie.status_since) for tie in ties]
    weights = [
        logic.FREQUENCY_WEIGHT[tie.contact_frequency] * max((end - start).days, 1)
        for tie, (start, end) in zip(ties, windows, strict=True)
    ]
    for index in rng.choices(range(len(ties)), weights=weights, k=count):
        tie = ties[index]
        start, end = windows[index]
        # Skewed toward the end of the window: logging contact becomes a habit over time.
        occurred_at = end - (end - start) * rng.random() ** 1.5
        yield Interaction(
            member=member,
            tie=tie,
            occurred_at=occurred_at,
            kind=contact_kind(tie, rng),
            duration_minutes=rng.randint(5, 120) if rng.random() < 0.6 else None,
            quality=pick(rng, CONTACT_QUALITY_WEIGHTS),
            note=rng.choice(NOTES) if rng.random() < 0.2 else "",
            created_at=min(now, occurred_at + dt.timedelta(minutes=rng.randint(0, 600))),
        )


def contact_kind(tie, rng: random.Random) -> str:
    if tie.relationship == "group":
        return "group_meeting"
    if tie.pillar == "professional":
        return pick(rng, {"therapy_session": 5, "call": 3, "video": 2, "message": 1})
    return pick(rng, {"message": 4, "call": 3, "in_person": 3, "video": 1})


def new_commitments(member, ties, count: int, rng: random.Random, today: dt.date):
    from circles.network import logic
    from circles.network.models import Commitment

    # People set commitments toward the active ties they see often.
    active = [tie for tie in ties if tie.status == "active"]
    frequent = [tie for tie in active if tie.contact_frequency in logic.FREQUENT]
    candidates = frequent if len(frequent) >= count else active
    for index, tie in enumerate(rng.sample(candidates, k=min(count, len(candidates)))):
        cadence = CADENCES[index % len(CADENCES)]
        starts_on = today - dt.timedelta(days=rng.randint(7, 365))
        yield Commitment(
            member=member,
            tie=tie,
            title=f"{rng.choice(['Call', 'See', 'Check in with', 'Go to'])} {tie.display_name}",
            cadence=cadence,
            weekdays=sorted(rng.sample(range(7), k=rng.randint(1, 3))) if cadence == "weekdays" else [],
            interval_days=rng.choice([2, 3, 7, 14]) if cadence == "every_n_days" else None,
            times_per_week=rng.randint(1, 4) if cadence == "times_per_week" else None,
            starts_on=starts_on,
            ends_on=starts_on + dt.timedelta(days=rng.randint(30, 400)) if rng.random() < 0.15 else None,
        )


def describe_rows(member) -> list[str]:
    from django.db.models import Count, Max, Min, Q
    from django.utils import timezone

    from circles.network.models import Commitment, Interaction, Tie, TieStatusChange

    ties = Tie.objects.filter(member=member)
    statuses = Counter(ties.values_list("status", flat=True))
    strained = sum(1 for flags in ties.values_list("strain_flags", flat=True) if flags)
    contacts = Interaction.objects.filter(member=member).aggregate(
        total=Count("id"),
        first=Min("occurred_at"),
        last=Max("occurred_at"),
        recent=Count("id", filter=Q(occurred_at__gte=timezone.now() - dt.timedelta(days=90))),
    )
    cadences = Counter(Commitment.objects.filter(member=member).values_list("cadence", flat=True))
    history = TieStatusChange.objects.filter(tie__member=member).count()

    def each(counter: Counter, keys) -> str:
        return ", ".join(f"{counter[key]} {key}" for key in keys)

    span = f"{contacts['first']:%Y-%m-%d} to {contacts['last']:%Y-%m-%d}"
    return [
        f"ties          {statuses.total():>6,}  ({each(statuses, STATUS_WEIGHTS)}; {strained} with strain)",
        f"interactions  {contacts['total']:>6,}  ({span}; {contacts['recent']:,} in the last 90 days)",
        f"commitments   {cadences.total():>6,}  ({each(cadences, CADENCES)})",
        f"status rows   {history:>6,}  (tie status history)",
    ]


# --- Measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    queries: tuple[int, ...]  # distinct query counts seen; one value when the count is stable
    times_ms: tuple[float, ...]
    html_bytes: int = 0  # size of the last response's body

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95_ms(self) -> float:
        return statistics.quantiles(self.times_ms, n=20, method="inclusive")[-1]

    @property
    def query_text(self) -> str:
        return "/".join(str(count) for count in self.queries) + " queries"


@dataclass(frozen=True)
class Runs:
    """The same URL measured in several runs: the median of the runs' figures, with their range."""

    runs: tuple[Measurement, ...]

    @property
    def queries(self) -> tuple[int, ...]:
        return tuple(sorted({count for run in self.runs for count in run.queries}))

    @property
    def query_text(self) -> str:
        return "/".join(str(count) for count in self.queries) + " queries"

    @property
    def p95_ms(self) -> float:
        return statistics.median(run.p95_ms for run in self.runs)

    @property
    def median_ms(self) -> float:
        return statistics.median(run.median_ms for run in self.runs)

    @property
    def html_bytes(self) -> int:
        return self.runs[-1].html_bytes

    def spread(self, figure: str) -> str:
        values = [getattr(run, figure) for run in self.runs]
        return f"{min(values):.1f}–{max(values):.1f}"

    def text(self) -> str:
        return (
            f"{self.query_text}, p95 {self.p95_ms:.1f} ms ({self.spread('p95_ms')}), "
            f"median {self.median_ms:.1f} ms ({self.spread('median_ms')}), {self.html_bytes:,} bytes"
        )


def measure(client, url: str, *, warmup: int, requests: int) -> Measurement:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        fetch(client, url)
    counts, times, size = set(), [], 0
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = fetch(client, url)
            times.append((time.perf_counter() - start) * 1000)
        counts.add(len(captured))
        size = len(response.content)
    return Measurement(tuple(sorted(counts)), tuple(times), size)


def measure_runs(client, urls: dict[str, str], *, runs: int, warmup: int, requests: int) -> dict[str, Runs]:
    """Each URL measured `runs` times, the URLs taking turns so that a busy moment hits all of them."""
    measured: dict[str, list[Measurement]] = {name: [] for name in urls}
    for _ in range(runs):
        for name, url in urls.items():
            measured[name].append(measure(client, url, warmup=warmup, requests=requests))
    return {name: Runs(tuple(found)) for name, found in measured.items()}


def fetch(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}, not 200")
    return response


BARE_URLCONF = "bench_bare_pages"


def serve_from_memory(
    client, pages: dict[str, str], view_module: str = "circles.checkins.views"
) -> dict[str, str]:
    """A bare view for each page: the same template and context, captured once, rendered from memory.

    The baseline for a page: the same middleware, session and HTML, without loading anything. Returns
    the bare view's URL for each page's name.
    """
    from django.conf import settings
    from django.shortcuts import render
    from django.urls import clear_url_caches, path

    captured: list[tuple[str, dict]] = []

    def capture(request, template_name, context=None, *args, **kwargs):
        captured.append((template_name, context))
        return render(request, template_name, context, *args, **kwargs)

    bare = {}
    for name, url in pages.items():
        with mock.patch(f"{view_module}.render", side_effect=capture):
            fetch(client, url)
        bare[name] = f"/bench/bare/{len(captured) - 1}/"

    def bare_view(request, index: int):
        template_name, context = captured[index]
        return render(request, template_name, context)

    if settings.ROOT_URLCONF != BARE_URLCONF:
        urls = types.ModuleType(BARE_URLCONF)
        site = __import__(settings.ROOT_URLCONF, fromlist=["urlpatterns"])
        urls.urlpatterns = [path("bench/bare/<int:index>/", bare_view), *site.urlpatterns]  # type: ignore[attr-defined]
        sys.modules[BARE_URLCONF] = urls
        settings.ROOT_URLCONF = BARE_URLCONF
        clear_url_caches()
    else:
        sys.modules[BARE_URLCONF].urlpatterns[0] = path("bench/bare/<int:index>/", bare_view)  # type: ignore[attr-defined]
        clear_url_caches()
    return bare


def verdict(result: Runs) -> str:
    misses = []
    if result.p95_ms > TARGET_MS:
        misses.append("p95")
    if result.html_bytes > TARGET_BYTES:
        misses.append("size")
    targets = f"[targets p95 ≤ {TARGET_MS:.0f} ms, ≤ {TARGET_BYTES // 1000} KB]"
    return f"   {targets}" + (f"   OVER TARGET ({', '.join(misses)})" if misses else "")


def profile(client, url: str, requests: int, top: int = 20) -> None:
    """Where a request's time goes: the project's functions and what they call, then own time anywhere."""
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for _ in range(requests):
        fetch(client, url)
    profiler.disable()
    total = time.perf_counter() - start
    stats = pstats.Stats(profiler).stats  # {function: (calls, all calls, own s, inclusive s, callers)}

    def ours(func) -> bool:
        return func[0].startswith(f"{ROOT}/circles/")

    # The middleware and handler frames around every request would otherwise fill the inclusive list.
    near_us = [
        func for func, entry in stats.items() if ours(func) or any(ours(caller) for caller in entry[4])
    ]
    print(
        f"\nProfile of GET {url}: {requests} requests, {total / requests * 1000:.1f} ms each under cProfile"
    )
    for title, functions, column in (
        ("inclusive time, project code and what it calls directly", near_us, 3),
        ("own time, any code", list(stats), 2),
    ):
        print(f"\nTop {top} by {title}:\n  share   ms/req  calls/req  function")
        for func in sorted(functions, key=lambda func: stats[func][column], reverse=True)[:top]:
            seconds, calls = stats[func][column], stats[func][1]
            share, ms = seconds / total, seconds / requests * 1000
            print(f"  {share:>5.1%} {ms:>8.1f} {calls / requests:>10,.0f}  {where(func)}")


def where(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    for marker in (f"{ROOT}/", "site-packages/", "lib/python3.11/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{name}  {filename}:{line}" if line else name


# --- Running -----------------------------------------------------------------------------------


def run(args: argparse.Namespace, database: str) -> None:
    import django
    from django.conf import settings
    from django.test import Client

    from circles.network import rollup

    # setup_test_environment() would add "testserver" too, but it also makes every template render
    # record its context for the test client, which would distort the timings.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    print(f"Django {django.get_version()}, {database}, DEBUG={settings.DEBUG}, seed {SEED}")

    rng = random.Random(SEED)
    start = time.perf_counter()
    large = create_member("large")
    build_network(large, rng, **LARGE)
    print(f"\nBuilt the large network in {time.perf_counter() - start:.1f} s:")
    for line in describe_rows(large):
        print(f"  {line}")
    start = time.perf_counter()
    rollup.rebuild_member(large)
    took = time.perf_counter() - start
    print(f"  rollup        counted again from the log (manage.py rebuild_contacts) in {took:.2f} s")
    small = create_member("small")
    build_network(small, rng, **SMALL)

    results: dict[tuple[str, str], Runs] = {}
    for member, label in ((large, "large"), (small, "small")):
        client = Client()
        client.force_login(member, backend="django.contrib.auth.backends.ModelBackend")
        if label == "large":
            bare = serve_from_memory(client, {"network page": URLS["network page"]})
            urls = {**URLS, "bare view": bare["network page"]}
            measured = measure_runs(client, urls, runs=args.runs, warmup=args.warmup, requests=args.requests)
        else:
            measured = measure_runs(client, URLS, runs=1, warmup=1, requests=3)
        for name, result in measured.items():
            results[name, label] = result
        if label == "large" and args.profile:
            profile(client, URLS["network page"], args.profile)

    print(
        f"\nServer time: {args.runs} runs of {args.requests} requests after {args.warmup} warm-ups each; "
        "the median of the runs' figures (their range); SQL queries per request; HTML bytes:"
    )
    for name, url in URLS.items():
        result = results[name, "large"]
        target = verdict(result) if name == "network page" else ""
        print(f"GET {url:<24} {network_size(LARGE)} {result.text()}{target}")
        if name == "network page":
            base = results["bare view", "large"]
            print(f"    {'the same page from memory (bare view, baseline)':<58} {base.text()}")
            print(
                f"    loading and drawing the network: p95 +{result.p95_ms - base.p95_ms:.1f} ms "
                f"({result.p95_ms / base.p95_ms:.1f} × the bare view)"
            )
    for name, url in URLS.items():
        result, big = results[name, "small"], results[name, "large"]
        same = "same as" if result.queries == big.queries else "NOT the same as"
        print(
            f"GET {url:<24} {network_size(SMALL)} {result.query_text} ({same} at {LARGE['ties']} ties), "
            f"{result.html_bytes:,} bytes"
        )
    if results["network page", "large"].p95_ms > TARGET_MS and not args.profile:
        print("\nThe network page is over target: run with --profile 20 to see where the time goes.")


def network_size(size: dict) -> str:
    return f"({size['ties']} ties, {size['interactions']} interactions):".ljust(33)


def bench_database(*, postgres_ok: bool):
    """Production-like settings and a throwaway database (SQLite file, or a server with --postgres-ok)."""
    # WhiteNoise warns that collectstatic has not run; the development settings serve from the apps.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)

    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "circles.settings"
    # Time what production runs: no SQL log kept in memory, no template debug information.
    os.environ["DEBUG"] = "false"
    url = os.environ.get("DATABASE_URL", "")
    if url and not url.startswith("sqlite"):
        if not postgres_ok:
            raise SystemExit(
                "DATABASE_URL names a database server. The benchmark would create a throwaway database "
                "there (circles_bench_<random>) and drop it at the end; pass --postgres-ok to allow that, "
                "or unset DATABASE_URL to use a temporary SQLite file."
            )
        database = server_database()
    else:
        database = sqlite_database()
    return database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="measured requests per URL (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured requests first (default 5)")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs of --requests each (default {RUNS})")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile N network-page requests")
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
