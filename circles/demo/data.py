"""Riley's demo circle: a dozen ties across the three pillars, 8 weeks of contact and check-ins."""

import datetime as dt
import random

from django.contrib.auth.hashers import make_password

from circles.accounts.actions import do_grant_role
from circles.accounts.models import User
from circles.alerts import logic as alert_logic
from circles.alerts.actions import PersonSpec, RungSpec, do_set_ladder
from circles.checkins import logic as checkin_logic
from circles.checkins.definitions import builtin_definition
from circles.checkins.models import Assessment, CheckIn, CheckInSettings
from circles.demo import harbor
from circles.demo.personas import PERSONA_BY_KEY, PERSONAS
from circles.demo.twofactor import DEMO_TOTP_SECRETS, describe, ensure_demo_twofactor
from circles.lib.time import local_today, user_zone
from circles.network.actions import do_add_tie
from circles.network.models import Commitment, Interaction, Tie, TieStatusChange
from circles.notices.models import ReminderPreferences
from circles.sharing import logic as sharing_logic
from circles.sharing.actions import do_grant_consent, do_save_reach_details, do_send_encouragement
from circles.sharing.models import ReachDetails
from circles.sharing.statement import default_purpose

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
    user = User.objects.filter(email=persona.email).first()
    if user is None:
        # create_user, so a demo account is made as any account is (its address counts as confirmed).
        user = User.objects.create_user(
            persona.email, display_name=persona.display_name, timezone=persona.timezone
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
            phone="+1 555 010 0177" if name == "Sam" else "",  # a made-up number: Riley can call Sam
            boundaries="No talking about old times at the bar." if name == "Chris" else "",
        )
        ties[name] = do_add_tie(tie, acting_user=riley)
    # Riley mapped her circle when her contact log begins, eight weeks ago: each tie was added then.
    joined = _at(today - dt.timedelta(weeks=WEEKS), 19, 0, zone)
    Tie.objects.filter(member=riley).update(created_at=joined, status_since=joined)
    TieStatusChange.objects.filter(tie__member=riley).update(changed_at=joined)
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


# Riley's last eight weeks: mood rising and craving easing, one return to use five weeks ago.
CHECKIN_DAYS = 56
MISSED = {2, 9, 23, 24, 40}  # days ago without a check-in (day 2 can still be filled in)
RETURN_TO_USE_DAYS_AGO = 35
STRUGGLES = {
    33: ("Feeling ashamed about last weekend. I want to talk it through.", ["Sam", "Mum"]),
    20: ("Work stress is piling up and evenings are hard.", ["Sam"]),
    6: ("Nervous about seeing old friends at the wedding.", ["Sam", "Alex"]),
}
# Questionnaires: (instrument, days ago, how far up its scale the answers sit, 0–1).
QUESTIONNAIRES = [
    ("phq9", 54, 0.55),
    ("phq9", 40, 0.5),
    ("phq9", 26, 0.38),
    ("phq9", 12, 0.25),
    ("gad7", 54, 0.6),
    ("gad7", 40, 0.5),
    ("gad7", 26, 0.4),
    ("gad7", 12, 0.3),
    ("mspss", 50, 0.55),
    ("mspss", 20, 0.75),
    ("barc10", 50, 0.6),
    ("barc10", 20, 0.8),
    ("bam", 45, 0.4),
    ("bam", 15, 0.3),
    *[("who5", days, 0.35 + 0.05 * week) for week, days in enumerate(range(53, 0, -7))],
]


def _answers_at(code: str, level: float, rng: random.Random) -> dict[str, int | bool]:
    """Answers whose values sit about `level` of the way up each item's options."""
    answers: dict[str, int | bool] = {}
    for item in checkin_logic.INSTRUMENTS[code].structure.enabled({}):
        values = sorted(item.values)
        position = min(len(values) - 1, max(0, round(level * (len(values) - 1) + rng.uniform(-0.6, 0.6))))
        answers[item.link_id] = values[position]
    if code == checkin_logic.SAFETY_ITEM[0]:
        answers[checkin_logic.SAFETY_ITEM[1]] = 0  # the demo leaves the self-harm question at "not at all"
    return answers


def build_riley_checkins(riley: User) -> None:
    zone = user_zone(riley)
    today = local_today(riley)
    rng = random.Random(8)  # noqa: S311 — demo data, not security
    ties = {tie.display_name: tie for tie in riley.ties.all()}
    # Riley has used Circles since before the recovery date below, so missed days can be filled in.
    riley.date_joined = min(riley.date_joined, _at(today - dt.timedelta(days=150), 9, 0, zone))
    riley.save(update_fields=["date_joined"])
    checkins = []
    for days_ago in range(CHECKIN_DAYS, 0, -1):
        if days_ago in MISSED:
            continue
        day = today - dt.timedelta(days=days_ago)
        progress = 1 - days_ago / CHECKIN_DAYS  # 0 eight weeks ago, 1 today
        setback = 6 if 0 <= RETURN_TO_USE_DAYS_AGO - days_ago <= 3 else 0
        used = days_ago == RETURN_TO_USE_DAYS_AGO
        checkins.append(
            CheckIn(
                member=riley,
                day=day,
                mood=max(0, min(10, round(4 + 4 * progress + rng.uniform(-1.5, 1.5)) - setback // 2)),
                craving=max(0, min(10, round(6 - 4 * progress + rng.uniform(-1.5, 1.5)) + setback // 2)),
                stress=max(0, min(10, round(6 - 2 * progress + rng.uniform(-2, 2)))),
                sleep_quality=max(1, min(5, round(2.5 + 2 * progress + rng.uniform(-1, 1)))),
                used=used,
                substance="alcohol" if used else "",
                use_note="A wedding reception. I left early and called Sam the next morning." if used else "",
                helped=rng.choice(
                    ["", "", "A walk after work", "Tuesday group", "Talking to Sam", "Cooking dinner"]
                ),
                struggling=STRUGGLES.get(days_ago, ("", []))[0],
                created_at=_at(day, 21, 0, zone),
            )
        )
    CheckIn.objects.bulk_create(checkins)
    for checkin in CheckIn.objects.filter(member=riley, day__gte=today - dt.timedelta(days=CHECKIN_DAYS)):
        days_ago = (today - checkin.day).days
        if days_ago in STRUGGLES:
            checkin.struggling_for.set([ties[name] for name in STRUGGLES[days_ago][1] if name in ties])
    CheckInSettings.objects.update_or_create(
        member=riley, defaults={"count_days": True, "recovery_started_on": today - dt.timedelta(days=142)}
    )
    ReminderPreferences.objects.update_or_create(person=riley, defaults={"checkin_on": True})  # 20:00, email
    assessments = []
    for code, days_ago, level in QUESTIONNAIRES:
        answers = _answers_at(code, level, rng)
        result = checkin_logic.score(code, answers)
        finished = _at(today - dt.timedelta(days=days_ago), 20, 30, zone)
        assessments.append(
            Assessment(
                member=riley,
                instrument=code,
                definition=builtin_definition(code),
                status=Assessment.Status.COMPLETED,
                answers=answers,
                started_at=finished - dt.timedelta(minutes=4),
                completed_at=finished,
                day=finished.astimezone(zone).date(),
                total=result.total,
                band=result.band or "",
                subscales=result.subscales,
                flags=list(result.flags),
                scoring_version=checkin_logic.INSTRUMENTS[code].scoring_version,
            )
        )
    Assessment.objects.bulk_create(assessments)


# What Riley shares with Sam, their sponsor, in the demo.
SAM_SCOPES = [
    sharing_logic.CHECKED_IN,
    sharing_logic.MOOD,
    sharing_logic.STRUGGLES,
    sharing_logic.RESULTS + "recovery_capital",
    sharing_logic.NETWORK_MAP,
    sharing_logic.ALERTS,
    sharing_logic.REACH,
]
JAMIE_SCOPES = [sharing_logic.CHECKED_IN, sharing_logic.ALERTS]


def _joined(riley: User, name: str, supporter: User, scopes: list[str]) -> Tie:
    """The person Riley calls `name` accepted her invitation; Riley consents to share `scopes`."""
    tie = riley.ties.get(display_name=name)
    tie.supporter = supporter
    tie.save(update_fields=["supporter"])
    do_grant_role(supporter, "supporter")
    do_grant_consent(
        tie,
        scopes=scopes,
        purpose=default_purpose(tie.display_name),
        expires_on=None,
        signature_name="Riley Demo",
        acting_user=riley,
    )
    return tie


def build_sharing(riley: User, sam: User) -> None:
    """Sam has accepted Riley's invitation; Riley shares some things with Sam, who sent encouragement."""
    # A number in the 555-01xx range, kept for fiction: Sam's page shows "Call Riley" with it.
    do_save_reach_details(riley, phone="+1 555 010 0142", preferred="call", acting_user=riley)
    tie = _joined(riley, "Sam", sam, SAM_SCOPES)
    do_send_encouragement(
        tie, "Proud of you for calling me after the wedding. Same time Tuesday?", acting_user=sam
    )


def build_ladder(riley: User, jamie: User) -> None:
    """Jamie (Riley's peer mentor) has joined too; Riley's crisis ladder asks Sam, then Jamie."""
    tie = _joined(riley, "Jamie", jamie, JAMIE_SCOPES)
    sam_tie = riley.ties.get(display_name="Sam")
    channels = [alert_logic.IN_APP, alert_logic.EMAIL]
    # Sam is also asked on the devices where he turns notifications on (Settings).
    sam_channels = [*channels, alert_logic.PUSH]
    do_set_ladder(
        riley,
        [RungSpec([PersonSpec(sam_tie.pk, sam_channels)]), RungSpec([PersonSpec(tie.pk, channels)])],
        acting_user=riley,
    )


def build_demo(*, password: str, reset: bool = False) -> str:
    password_hash = make_password(password)
    users = {persona.key: _ensure_user(persona.key, password_hash) for persona in PERSONAS}
    riley = users["riley"]
    if reset or not harbor.harbor_exists(users["olivia"]):
        harbor.reset_harbor(users["olivia"])
    if reset:
        riley.alerts.all().delete()
        riley.rungs.all().delete()
        riley.consents.all().delete()
        ReachDetails.objects.filter(member=riley).delete()
        riley.invitations.all().delete()
        riley.ties.all().delete()
        riley.checkins.all().delete()
        riley.assessments.all().delete()
    if not riley.ties.exists():
        build_riley_circle(riley)
    if not riley.checkins.exists():
        build_riley_checkins(riley)
    if not riley.ties.filter(supporter=users["sam"]).exists():
        build_sharing(riley, users["sam"])
    if not riley.rungs.exists():
        build_ladder(riley, users["jamie"])
    if not harbor.harbor_exists(users["olivia"]):
        harbor.build_harbor(users, riley, password_hash)
    mallory = users["mallory"]
    if not mallory.ties.exists():
        do_add_tie(Tie(display_name="Robin", relationship="friend", circle="inner"), acting_user=mallory)
    with_second_factor = [user for user in users.values() if user.email in DEMO_TOTP_SECRETS]
    for user in with_second_factor:
        ensure_demo_twofactor(user)
    return (
        f"Demo ready: {len(users)} users; Riley has {riley.ties.count()} ties, "
        f"{riley.interactions.count()} contacts, {riley.commitments.count()} commitments, "
        f"{riley.checkins.count()} check-ins and {riley.assessments.count()} questionnaires; "
        f"Sam supports Riley and sees {len(SAM_SCOPES)} kinds of information; "
        f"Riley's crisis ladder asks Sam, then Jamie.\n"
        f"{harbor.HARBOR}: Olivia runs it; Casey (counselor) and Drew (peer recovery specialist) care for "
        f"Riley and {len(harbor.MEMBERS)} more enrolled members (<name>@example.org, same password): "
        + ", ".join(spec.key for spec in harbor.MEMBERS)
        + ".\n"
        + describe(with_second_factor)
    )
