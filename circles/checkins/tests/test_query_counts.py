"""Check-in pages, the trajectory and their API run a fixed number of SQL queries, whatever the history."""

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from circles.checkins import logic
from circles.checkins.definitions import builtin_definition
from circles.checkins.models import Assessment, CheckIn, CheckInSettings
from circles.lib.time import local_today, start_of_local_day, user_zone
from circles.network.models import Interaction, Tie
from circles.network.tests.factories import make_tie

INSTRUMENTS = list(logic.INSTRUMENTS)
RELATIONSHIPS = ["parent", "friend", "sponsor", "group", "counselor"]


def random_answers(code: str, rng: random.Random) -> dict:
    """Valid answers to every question skip logic shows, chosen at random."""
    structure = logic.INSTRUMENTS[code].structure
    answers: dict = {}
    while unanswered := [item for item in structure.enabled(answers) if item.link_id not in answers]:
        for item in unanswered:
            if item.kind == logic.BOOLEAN:
                answers[item.link_id] = rng.random() < 0.3
            else:
                answers[item.link_id] = rng.choice(sorted(item.values))
    return answers


def grow_history(member, *, checkins: int, assessments: int) -> None:
    """Check-ins on the days before today (today stays free to post), scored questionnaires, contacts."""
    rng = random.Random(checkins)
    today = local_today(member)
    zone = user_zone(member)
    ties = [make_tie(member, f"Person {i}", relationship) for i, relationship in enumerate(RELATIONSHIPS)]
    CheckInSettings.objects.create(
        member=member, count_days=True, recovery_started_on=today - dt.timedelta(days=checkins + 30)
    )
    made = CheckIn.objects.bulk_create(
        CheckIn(
            member=member,
            day=today - dt.timedelta(days=n),
            mood=rng.randint(0, 10),
            craving=rng.randint(0, 10),
            stress=rng.randint(0, 10),
            sleep_quality=rng.randint(1, 5),
            used=n % 17 == 0,
            substance="alcohol" if n % 17 == 0 else "",
            helped="A walk." if n % 3 == 0 else "",
            struggling="Work." if n % 4 == 0 else "",
        )
        for n in range(1, checkins + 1)
    )
    CheckIn.struggling_for.through.objects.bulk_create(
        CheckIn.struggling_for.through(checkin_id=checkin.pk, tie_id=ties[i % len(ties)].pk)
        for i, checkin in enumerate(made)
        if checkin.struggling
    )
    rows = []
    for n in range(assessments):
        code = INSTRUMENTS[n % len(INSTRUMENTS)]
        day = today - dt.timedelta(days=1 + n * checkins // assessments)
        completed_at = start_of_local_day(day, zone) + dt.timedelta(hours=rng.randint(8, 21))
        answers = random_answers(code, rng)
        result = logic.score(code, answers)
        rows.append(
            Assessment(
                member=member,
                instrument=code,
                definition=builtin_definition(code),
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
    Assessment.objects.bulk_create(rows)
    now = timezone.now()
    Interaction.objects.bulk_create(
        Interaction(
            member=member,
            tie=ties[i % len(ties)],
            kind="call",
            occurred_at=now - dt.timedelta(hours=rng.randint(1, 24 * checkins)),
        )
        for i in range(2 * checkins)
    )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


URLS = [
    "/checkins/progress/?days=30",
    "/checkins/progress/?days=90",
    "/checkins/progress/?days=365",
    "/checkins/",
    "/checkins/history/",
    "/checkins/questionnaires/",
    "/network/",
    "/api/v1/trajectory",
    "/api/v1/trajectory?days=365",
    "/api/v1/checkins",
    "/api/v1/assessments",
    "/api/v1/reminders",
    "/api/v1/measures",
]


@pytest.mark.parametrize("url", URLS)
def test_query_count_is_the_same_with_little_and_much_history(riley, mallory, client_for, url):
    grow_history(riley, checkins=10, assessments=2)
    grow_history(mallory, checkins=120, assessments=30)
    small = count_queries(client_for(riley), url)
    large = count_queries(client_for(mallory), url)
    assert small == large, f"{url}: {small} queries with 10 check-ins, {large} with 120"
    assert large <= 20


def check_in(client, url: str, tie: Tie) -> int:
    """Queries to submit today's check-in through the form or the API."""
    values = {"mood": 6, "craving": 2, "stress": 4, "sleep_quality": 3, "struggling": "Sleep."}
    with CaptureQueriesContext(connection) as queries:
        if url.startswith("/api/"):
            response = client.post(
                url, {**values, "struggling_for": [tie.pk]}, content_type="application/json"
            )
        else:
            response = client.post(url, {**values, "struggling_for": [tie.pk]})
    assert response.status_code == (201 if url.startswith("/api/") else 302), response.content
    return len(queries)


@pytest.mark.parametrize("url", ["/checkins/", "/api/v1/checkins"])
def test_checking_in_takes_the_same_queries_with_little_and_much_history(riley, mallory, client_for, url):
    grow_history(riley, checkins=10, assessments=2)
    grow_history(mallory, checkins=120, assessments=30)
    counts = []
    for member in (riley, mallory):
        tie = Tie.objects.filter(member=member).first()
        counts.append(check_in(client_for(member), url, tie))
        assert CheckIn.objects.get(member=member, day=local_today(member)).struggling_for.get() == tie
    small, large = counts
    assert small == large, f"POST {url}: {small} queries with 10 check-ins, {large} with 120"
