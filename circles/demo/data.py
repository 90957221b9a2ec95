"""Riley's demo circle: about a dozen ties across the three pillars, 8 weeks of contact, 3 commitments."""

import datetime as dt
import random

from django.contrib.auth.hashers import make_password

from circles.accounts.actions import do_grant_role
from circles.accounts.models import User
from circles.demo.personas import PERSONA_BY_KEY, PERSONAS
from circles.lib.time import local_today, user_zone
from circles.network.actions import do_add_tie
from circles.network.models import Commitment, Interaction, Tie

# name, relationship, circle, support, frequency, importance, substance use, stance, quality, strain
TIES = [
    (
        "Mum",
        "parent",
        "inner",
        ["emotional", "practical"],
        "weekly",
        5,
        "abstinent",
        "supports_recovery",
        4,
        [],
    ),
    (
        "Jordan",
        "partner",
        "inner",
        ["emotional", "companionship"],
        "daily",
        5,
        "light",
        "supports_recovery",
        3,
        ["conflict", "negativity"],
    ),
    (
        "Sam",
        "sponsor",
        "inner",
        ["emotional", "informational"],
        "weekly",
        5,
        "abstinent",
        "supports_recovery",
        5,
        [],
    ),
    ("Alex", "sibling", "middle", ["practical"], "weekly", 4, "abstinent", "supports_recovery", 4, []),
    ("Taylor", "friend", "middle", ["companionship"], "monthly", 3, "light", "neutral", 4, []),
    (
        "Chris",
        "friend",
        "outer",
        ["companionship"],
        "weekly",
        2,
        "heavy",
        "supports_use",
        2,
        ["pressure_to_use"],
    ),
    ("Pat", "neighbour", "outer", ["practical"], "monthly", 2, "unknown", "neutral", 3, []),
    (
        "Dana",
        "counselor",
        "middle",
        ["emotional", "informational"],
        "weekly",
        4,
        "unknown",
        "supports_recovery",
        5,
        [],
    ),
    (
        "Dr. Morgan",
        "physician",
        "outer",
        ["informational"],
        "monthly",
        3,
        "unknown",
        "supports_recovery",
        4,
        [],
    ),
    (
        "Tuesday evening group",
        "group",
        "middle",
        ["emotional", "companionship"],
        "weekly",
        4,
        "abstinent",
        "supports_recovery",
        5,
        [],
    ),
    (
        "Jamie",
        "peer_mentor",
        "middle",
        ["emotional", "informational"],
        "weekly",
        4,
        "abstinent",
        "supports_recovery",
        4,
        [],
    ),
    (
        "Online Saturday meeting",
        "group",
        "outer",
        ["informational"],
        "monthly",
        3,
        "abstinent",
        "supports_recovery",
        4,
        [],
    ),
]
WEEKS = 8


def _ensure_user(key: str, password_hash: str) -> User:
    persona = PERSONA_BY_KEY[key]
    user, _created = User.objects.get_or_create(
        email=persona.email, defaults={"display_name": persona.display_name, "timezone": persona.timezone}
    )
    user.password = password_hash
    user.display_name = persona.display_name
    user.is_active = True
    user.save()
    for role in persona.roles:
        do_grant_role(user, role)
    return user


def _at(day: dt.date, hour: int, minute: int, zone) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def _contacts(today: dt.date, ties: dict[str, Tie], zone, rng: random.Random) -> list[Interaction]:
    start = today - dt.timedelta(weeks=WEEKS)
    made: list[Interaction] = []

    def add(
        name: str,
        day: dt.date,
        kind: str,
        quality: str = "helpful",
        hour: int = 18,
        minutes: int | None = None,
    ):
        moment = _at(day, hour, rng.choice([0, 15, 30, 45]), zone)
        if day > today or (day == today and moment > dt.datetime.now(zone)):
            return
        made.append(
            Interaction(
                tie=ties[name], occurred_at=moment, kind=kind, quality=quality, duration_minutes=minutes
            )
        )

    day = start
    while day <= today:
        weeks_ago = (today - day).days // 7
        if day.weekday() == 1:  # Tuesday group, kept every week
            add("Tuesday evening group", day, "group_meeting", hour=19, minutes=90)
        if day.weekday() == 3 and (today - day).days % 14 < 7:  # therapy every second Thursday
            add("Dana", day, "therapy_session", hour=10, minutes=50)
        # Calls with Mum: three a week at first, then drifting to one a week in the last three weeks.
        if (weeks_ago >= 3 and day.weekday() in (0, 2, 5)) or (weeks_ago < 3 and day.weekday() == 6):
            add("Mum", day, "call", hour=12, minutes=20)
        if day.weekday() in (0, 2, 4, 6):
            add("Jordan", day, "in_person", "hard" if rng.random() < 0.3 else "helpful", hour=20)
        if day.weekday() == 4:
            add("Sam", day, "call", hour=17, minutes=30)
        if day.weekday() == 5 and weeks_ago % 2 == 0:
            add("Jamie", day, "message", hour=11)
        if day.weekday() == 6 and weeks_ago % 2 == 1:
            add("Alex", day, "video", hour=15, minutes=40)
        if day.weekday() == 5 and weeks_ago in (1, 5):
            add("Online Saturday meeting", day, "group_meeting", hour=9, minutes=60)
        if day.day == 12:
            add("Taylor", day, "in_person", hour=13)
        day += dt.timedelta(days=1)
    add("Chris", today - dt.timedelta(days=9), "in_person", "hard", hour=22)
    add("Chris", today - dt.timedelta(days=30), "in_person", "hard", hour=22)
    add("Dr. Morgan", today - dt.timedelta(days=33), "in_person", hour=9, minutes=20)
    add("Pat", today - dt.timedelta(days=20), "in_person", hour=16, minutes=10)
    return made


def build_riley_circle(riley: User) -> None:
    zone = user_zone(riley)
    today = local_today(riley)
    rng = random.Random(2026)  # noqa: S311 — demo data, not security
    ties: dict[str, Tie] = {}
    for name, relationship, circle, support, frequency, importance, use, stance, quality, strain in TIES:
        tie = Tie(
            display_name=name,
            relationship=relationship,
            circle=circle,
            support_kinds=support,
            contact_frequency=frequency,
            importance=importance,
            substance_use=use,
            stance=stance,
            quality=quality,
            strain_flags=strain,
            email=PERSONA_BY_KEY["sam"].email if name == "Sam" else "",
            boundaries="No talking about old times at the bar." if name == "Chris" else "",
        )
        ties[name] = do_add_tie(tie, acting_user=riley)
    interactions = _contacts(today, ties, zone, rng)
    for interaction in interactions:
        interaction.member = riley
    Interaction.objects.bulk_create(interactions)
    start = today - dt.timedelta(weeks=WEEKS)
    Commitment.objects.bulk_create(
        [
            Commitment(
                member=riley,
                tie=ties["Tuesday evening group"],
                title="Tuesday group every week",
                cadence="weekdays",
                weekdays=[1],
                starts_on=start,
            ),
            Commitment(
                member=riley,
                tie=ties["Dana"],
                title="Therapy every second Thursday",
                cadence="every_n_days",
                interval_days=14,
                starts_on=start + dt.timedelta(days=(3 - start.weekday()) % 7),
            ),
            Commitment(
                member=riley,
                tie=ties["Mum"],
                title="Call Mum three times a week",
                cadence="times_per_week",
                times_per_week=3,
                starts_on=start,
            ),
        ]
    )


def build_demo(*, password: str, reset: bool = False) -> str:
    password_hash = make_password(password)
    users = {persona.key: _ensure_user(persona.key, password_hash) for persona in PERSONAS}
    riley = users["riley"]
    if reset:
        riley.ties.all().delete()
    if not riley.ties.exists():
        build_riley_circle(riley)
    mallory = users["mallory"]
    if not mallory.ties.exists():
        do_add_tie(Tie(display_name="Robin", relationship="friend", circle="inner"), acting_user=mallory)
    return (
        f"Demo ready: {len(users)} users; Riley has {riley.ties.count()} ties, "
        f"{riley.interactions.count()} contacts and {riley.commitments.count()} commitments."
    )
