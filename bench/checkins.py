"""How the trajectory page and checking in hold up for a member with two years of history.

Builds a member with 730 days of daily check-ins (missed days and a few returns to use), 200 scored
questionnaires and a network of 60 ties with 10,000 logged contacts in a throwaway database, then
times GET /checkins/progress/ (90 and 365 days, three runs, with the HTML bytes, beside a bare view
serving the same page from memory), GET /api/v1/trajectory and submitting today's check-in (the form
and the API) through Django's test client, and counts their SQL queries.
Run it with `make bench` or `.venv/bin/python bench/checkins.py`; see README.md.
"""

import argparse
import datetime as dt
import math
import random
import time
from collections import Counter
from dataclasses import dataclass

# The network benchmark's database set-up, member and network builders and timing helpers.
from network import LARGE as LARGE_NETWORK
from network import (
    RUNS,
    Measurement,
    Runs,
    bench_database,
    build_network,
    create_member,
    describe_rows,
    measure,
    measure_runs,
    profile,
    serve_from_memory,
)
from network import (
    verdict as page_verdict,
)

SEED = 2025
TARGET_MS = 150.0
PAGE = "/checkins/progress/"
URLS = {
    "page, 90 days": PAGE,
    "page, 365 days": f"{PAGE}?days=365",
    "API, 90 days": "/api/v1/trajectory",
    "API, 365 days": "/api/v1/trajectory?days=365",
}
POSTS = {"check-in form": "/checkins/", "check-in API": "/api/v1/checkins"}
LARGE = {"days": 730, "questionnaires": 200, "ties": 60, "interactions": 10_000, "commitments": 5}
SMALL = {"days": 30, "questionnaires": 6, "ties": 10, "interactions": 1_000, "commitments": 3}

# Questionnaires over two years, roughly as their default schedules would ask for them. Weights.
INSTRUMENT_WEIGHTS = {
    "who5": 50,
    "phq9": 35,
    "gad7": 35,
    "mspss": 20,
    "barc10": 20,
    "bam": 15,
    "pacs": 8,
    "auditc": 6,
    "phq2": 4,
    "gad2": 4,
    "cssrs": 3,
}
SUBSTANCES = {"alcohol": 6, "cannabis": 2, "opioids": 1}
HELPED = ["A walk.", "Called my sponsor.", "Meeting tonight.", "Slept well.", "Cooked dinner."]
STRUGGLING = ["Work stress.", "Money.", "Family dinner coming up.", "Could not sleep.", "Felt alone."]
USE_NOTES = ["After a hard day.", "At a party.", "Talked it over with my counselor.", ""]


def pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


# --- Data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """The shape of a recovery over `days` days: when use returned, and how hard each day was."""

    days: int
    returns: tuple[tuple[int, int], ...]  # (first day's index, days of use); index 0 is the first day

    def progress(self, index: int) -> float:
        return index / max(1, self.days - 1)

    def using(self, index: int) -> bool:
        return any(start <= index < start + length for start, length in self.returns)

    def since_return(self, index: int) -> int | None:
        before = [start for start, _length in self.returns if start <= index]
        return index - before[-1] if before else None

    def distress(self, index: int, rng: random.Random) -> float:
        """0 = a very good day, 1 = a very hard one: easing over time, worse around a return to use."""
        level = 0.65 - 0.45 * self.progress(index) + 0.08 * math.sin(index / 23) + rng.gauss(0, 0.08)
        since = self.since_return(index)
        if since is not None and since < 14:
            level += 0.25 * (1 - since / 14)
        if any(0 < start - index <= 5 for start, _length in self.returns):
            level += 0.15  # cravings and stress build up in the days before
        return min(1.0, max(0.0, level))


def plan_history(days: int, rng: random.Random) -> History:
    # A few returns to use, fewer as time goes on.
    count = max(1, days // 180)
    starts = sorted(int(days * rng.betavariate(1.3, 2.2)) for _ in range(count))
    return History(days, tuple((start, rng.choice([1, 1, 2, 3, 5])) for start in starts))


def build_checkins(member, history: History, rng: random.Random) -> None:
    """A check-in for most days up to yesterday (today stays free for the timed submission)."""
    from django.db import transaction

    from circles.checkins.models import CheckIn, CheckInSettings
    from circles.lib.time import local_today, start_of_local_day, user_zone
    from circles.network.models import Tie

    zone = user_zone(member)
    today = local_today(member)
    first = today - dt.timedelta(days=history.days)
    ties = list(Tie.objects.filter(member=member, status="active").values_list("pk", flat=True))
    substance = pick(rng, SUBSTANCES)
    rows, tagged = [], []
    for index in range(history.days):
        day = first + dt.timedelta(days=index)
        since = history.since_return(index)
        using = history.using(index)
        # Days get missed, more often early on and just after a return to use.
        skip = 0.15 - 0.1 * history.progress(index) + (0.5 if since is not None and 1 <= since <= 5 else 0)
        if not using and rng.random() < skip:
            continue
        distress = history.distress(index, rng)
        late = rng.random() < 0.04
        evening = start_of_local_day(day, zone) + dt.timedelta(hours=rng.uniform(18, 23))
        struggling = rng.choice(STRUGGLING) if rng.random() < 0.15 + 0.3 * distress else ""
        rows.append(
            CheckIn(
                member=member,
                day=day,
                mood=clamp(9 - 8 * distress + rng.gauss(0, 1), 0, 10),
                craving=clamp(10 * distress - 1 + rng.gauss(0, 1.2), 0, 10),
                stress=clamp(8 * distress + (1 if day.weekday() < 5 else -1) + rng.gauss(0, 1.2), 0, 10),
                sleep_quality=clamp(5 - 3 * distress + rng.gauss(0, 0.7), 1, 5),
                used=using,
                substance=substance if using else "",
                use_note=rng.choice(USE_NOTES) if using else "",
                helped=rng.choice(HELPED) if rng.random() < 0.3 else "",
                struggling=struggling,
                late=late,
                created_at=evening + dt.timedelta(days=1) if late else evening,
            )
        )
        tagged.append(bool(struggling and ties and rng.random() < 0.4))
    through = CheckIn.struggling_for.through
    with transaction.atomic():
        made = CheckIn.objects.bulk_create(rows, batch_size=500)
        through.objects.bulk_create(
            (
                through(checkin_id=checkin.pk, tie_id=tie)
                for checkin, wanted in zip(made, tagged, strict=True)
                if wanted
                for tie in rng.sample(ties, k=min(len(ties), rng.randint(1, 2)))
            ),
            batch_size=500,
        )
        CheckInSettings.objects.create(member=member, count_days=True, recovery_started_on=first)


def random_answers(code: str, distress: float, rng: random.Random) -> dict:
    """Valid answers to every question skip logic shows, worse on harder days."""
    from circles.checkins import logic

    spec = logic.INSTRUMENTS[code]
    protective = set(logic.BAM_SUBSCALES["protective"]) if code == "bam" else set()
    answers: dict = {}
    # Answering can reveal more questions (C-SSRS); answer until skip logic shows nothing new.
    while unanswered := [item for item in spec.structure.enabled(answers) if item.link_id not in answers]:
        for item in unanswered:
            if item.kind == logic.BOOLEAN:
                answers[item.link_id] = rng.random() < 0.5 * distress
                continue
            values = sorted(item.values)
            good_is_high = spec.higher_is_better or item.link_id in protective
            target = (1 - distress) if good_is_high else distress
            answers[item.link_id] = values[
                clamp(target * (len(values) - 1) + rng.gauss(0, 0.8), 0, len(values) - 1)
            ]
    instrument, link_id = logic.SAFETY_ITEM
    if code == instrument and answers[link_id] and rng.random() > 0.3 * distress:
        answers[link_id] = 0  # thoughts of self-harm are rarer than the other items' answers
    return answers


def build_questionnaires(member, history: History, count: int, rng: random.Random) -> None:
    """Completed questionnaires on days spread over the history, scored by the real scoring code."""
    from django.db import transaction

    from circles.checkins import logic
    from circles.checkins.definitions import builtin_definition
    from circles.checkins.models import Assessment, SafetySignal
    from circles.lib.time import local_today, start_of_local_day, user_zone

    zone = user_zone(member)
    today = local_today(member)
    first = today - dt.timedelta(days=history.days)
    definitions = {code: builtin_definition(code) for code in INSTRUMENT_WEIGHTS}
    rows = []
    for index in sorted(rng.randrange(history.days) for _ in range(count)):
        code = pick(rng, INSTRUMENT_WEIGHTS)
        day = first + dt.timedelta(days=index)
        answers = random_answers(code, history.distress(index, rng), rng)
        result = logic.score(code, answers)
        completed_at = start_of_local_day(day, zone) + dt.timedelta(hours=rng.uniform(8, 22))
        rows.append(
            Assessment(
                member=member,
                instrument=code,
                definition=definitions[code],
                status=Assessment.Status.COMPLETED,
                answers=answers,
                started_at=completed_at - dt.timedelta(minutes=rng.uniform(2, 12)),
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
        made = Assessment.objects.bulk_create(rows)
        # The safety signals scoring would have raised; handled long ago by the alerts work.
        SafetySignal.objects.bulk_create(
            SafetySignal(
                member=member,
                source=SafetySignal.Source.SAFETY_ITEM
                if logic.FLAG_SAFETY_ITEM in assessment.flags
                else SafetySignal.Source.SCREEN,
                tier=assessment.band if assessment.instrument == "cssrs" else "",
                assessment=assessment,
                created_at=assessment.completed_at,
                handled_at=assessment.completed_at + dt.timedelta(minutes=5),
            )
            for assessment in made
            if assessment.safety
        )
        # One saved part-way, as members often leave one.
        Assessment.objects.create(
            member=member, instrument="who5", definition=definitions["who5"], answers={"1": 3, "2": 2}
        )


def build_member(label: str, size: dict, rng: random.Random):
    from django.utils import timezone

    member = create_member(label)
    # Joined when the history starts, so reminders and schedules see the whole of it.
    member.date_joined = timezone.now() - dt.timedelta(days=size["days"] + 1)
    member.save(update_fields=["date_joined"])
    build_network(
        member, rng, ties=size["ties"], interactions=size["interactions"], commitments=size["commitments"]
    )
    history = plan_history(size["days"], rng)
    build_checkins(member, history, rng)
    build_questionnaires(member, history, size["questionnaires"], rng)
    return member


def describe_history(member) -> list[str]:
    """What was built, read back from the database."""
    from django.db.models import Count, Max, Min, Q

    from circles.checkins.models import Assessment, CheckIn, SafetySignal

    checkins = CheckIn.objects.filter(member=member).aggregate(
        total=Count("id"),
        first=Min("day"),
        last=Max("day"),
        used=Count("id", filter=Q(used=True)),
        late=Count("id", filter=Q(late=True)),
    )
    span = (checkins["last"] - checkins["first"]).days + 1
    dates = f"{checkins['first']:%Y-%m-%d} to {checkins['last']:%Y-%m-%d}"
    tagged = CheckIn.struggling_for.through.objects.filter(checkin__member=member).count()
    by_instrument = Counter(
        Assessment.objects.completed().filter(member=member).values_list("instrument", flat=True)
    )
    safety = SafetySignal.objects.filter(member=member).count()
    instruments = ", ".join(f"{count} {code}" for code, count in by_instrument.most_common())
    return [
        f"check-ins     {checkins['total']:>6,}  ({dates}; "
        f"{span - checkins['total']} days missed, {checkins['used']} with use, {checkins['late']} late, "
        f"{tagged} struggling-for ties)",
        f"scores        {by_instrument.total():>6,}  ({instruments}; {safety} safety signals)",
    ]


# --- Measuring ---------------------------------------------------------------------------------


def measure_checkin(client, member, url: str, *, warmup: int, requests: int) -> Measurement:
    """Submits today's check-in again and again, deleting it (untimed) before each submission."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from circles.checkins.models import CheckIn
    from circles.lib.time import local_today
    from circles.network.models import Tie

    ties = list(Tie.objects.filter(member=member, status="active").values_list("pk", flat=True)[:2])
    form = {
        "mood": 6,
        "craving": 3,
        "stress": 4,
        "sleep_quality": 4,
        "helped": "A walk.",
        "struggling": "Work.",
        "struggling_for": ties,
    }

    def submit():
        if url.startswith("/api/"):
            response, expected = client.post(url, form, content_type="application/json"), 201
        else:
            response, expected = client.post(url, form), 302
        if response.status_code != expected:
            raise SystemExit(f"POST {url} answered {response.status_code}, not {expected}")

    def reset():
        CheckIn.objects.filter(member=member, day=local_today(member)).delete()
        # The member would read the "saved" message on the next page; don't let them pile up.
        client.cookies.pop("messages", None)

    for _ in range(warmup):
        reset()
        submit()
    counts, times = set(), []
    for _ in range(requests):
        reset()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            submit()
            times.append((time.perf_counter() - start) * 1000)
        counts.add(len(captured))
    reset()
    return Measurement(tuple(sorted(counts)), tuple(times))


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
    large = build_member("large", {**LARGE, **LARGE_NETWORK} if args.big_network else LARGE, rng)
    print(f"\nBuilt the large history in {time.perf_counter() - start:.1f} s:")
    for line in describe_history(large) + describe_rows(large):
        print(f"  {line}")
    small = build_member("small", SMALL, rng)

    results: dict[tuple[str, str], Measurement] = {}
    page_runs: dict[str, Runs] = {}
    for member, label in ((large, "large"), (small, "small")):
        client = Client()
        client.force_login(member, backend="django.contrib.auth.backends.ModelBackend")
        requests = args.requests if label == "large" else 3
        warmup = args.warmup if label == "large" else 1
        pages = {name: url for name, url in URLS.items() if name.startswith("page")}
        if label == "large":
            bare = serve_from_memory(client, pages)
            urls = {**pages, **{f"bare {name}": url for name, url in bare.items()}}
            measured = measure_runs(client, urls, runs=args.runs, warmup=warmup, requests=requests)
            page_runs.update(measured)
        for name, url in URLS.items():
            if label == "large" and name in pages:
                results[name, label] = measured[name].runs[-1]
            else:
                results[name, label] = measure(client, url, warmup=warmup, requests=requests)
        for name, url in POSTS.items():
            results[name, label] = measure_checkin(client, member, url, warmup=warmup, requests=requests)
        if label == "large" and args.profile:
            profile(client, f"{PAGE}?days={args.profile_days}", args.profile)

    print(
        f"\nThe trajectory page: {args.runs} runs of {args.requests} requests after {args.warmup} warm-ups "
        "each; the median of the runs' figures (their range); SQL queries per request; HTML bytes:"
    )
    for name, url in URLS.items():
        if name in page_runs:
            page, base = page_runs[name], page_runs[f"bare {name}"]
            print(f"GET  {url:<28} {history_size(LARGE)} {page.text()}{page_verdict(page)}")
            print(f"     {'the same page from memory (bare view, baseline)':<55} {base.text()}")
    print(
        f"\nServer time over {args.requests} requests after {args.warmup} warm-ups; SQL queries per request:"
    )
    for name, url in {**URLS, **POSTS}.items():
        result = results[name, "large"]
        method = "POST" if name in POSTS else "GET"
        verdict = "" if result.median_ms < TARGET_MS else "   OVER TARGET"
        target = f"   [target < {TARGET_MS:.0f} ms]{verdict}" if url.startswith(PAGE) else ""
        print(
            f"{method:<4} {url:<28} {history_size(LARGE)} {result.query_text}, "
            f"median {result.median_ms:.1f} ms, p95 {result.p95_ms:.1f} ms{target}"
        )
    for name, url in {**URLS, **POSTS}.items():
        result, big = results[name, "small"], results[name, "large"]
        method = "POST" if name in POSTS else "GET"
        same = "same as" if result.queries == big.queries else "NOT the same as"
        print(
            f"{method:<4} {url:<28} {history_size(SMALL)} {result.query_text} "
            f"({same} at {LARGE['days']} days), median {result.median_ms:.1f} ms"
        )
    slow = [
        name for name in URLS if name.startswith("page") and results[name, "large"].median_ms >= TARGET_MS
    ]
    if slow and not args.profile:
        print("\nThe trajectory page is over target: run with --profile 20 to see where the time goes.")


def history_size(size: dict) -> str:
    return f"({size['days']} days, {size['questionnaires']} scores):".ljust(27)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="measured requests per URL (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured requests first (default 5)")
    parser.add_argument(
        "--runs", type=int, default=RUNS, help=f"runs of the page's requests (default {RUNS})"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="profile N trajectory-page requests"
    )
    parser.add_argument(
        "--profile-days", type=int, default=90, choices=(30, 90, 365), help="window to profile (default 90)"
    )
    parser.add_argument(
        "--big-network",
        action="store_true",
        help="give the large member network.py's 500 ties and 50,000 contacts (default 60 and 10,000)",
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
