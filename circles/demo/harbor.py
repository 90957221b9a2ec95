"""Harbor Recovery Center in the demo: Olivia runs it, Casey (counselor) and Drew (peer recovery
specialist) care for Riley and twenty more enrolled members whose needs differ, so the caseload has
something to rank and reasons to give.

Everything goes through the care and check-in actions a person would use (creating the organization,
adding staff, enrolling with a signed consent, answering a PHQ-9); only the history behind it (weeks of
check-ins, questionnaires, contacts, past sessions, messages) is written in bulk, then dated back.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from circles.accounts.models import User
from circles.alerts.models import Alert
from circles.care.actions import do_add_staff, do_create_organization, do_enrol_member
from circles.care.models import (
    Appointment,
    Attendance,
    CareTeamMember,
    ClinicalNote,
    Enrolment,
    Message,
    NoteKind,
    Organization,
    OrganizationKind,
    Program,
    SessionKind,
    SessionMode,
    StaffMembership,
    StaffRole,
    ThreadRead,
)
from circles.checkins import logic as checkin_logic
from circles.checkins.actions import do_save_answers, do_start_assessment
from circles.checkins.definitions import builtin_definition
from circles.checkins.models import Assessment, CheckIn, QuestionnaireDefinition, SafetySignal
from circles.lib.time import local_today, user_zone
from circles.network.actions import do_add_tie
from circles.network.models import Interaction, InteractionQuality, Tie, TieStatusChange
from circles.sharing import logic as sharing_logic
from circles.sharing.models import Consent

HARBOR = "Harbor Recovery Center"
OUTPATIENT = "Intensive outpatient"
RESIDENCE = "Recovery residence"

# What an enrolled member shares with Harbor's care team in the demo: everything the caseload reads.
CASELOAD_SCOPES = [
    sharing_logic.CHECKED_IN,
    sharing_logic.MOOD,
    sharing_logic.RETURNS_TO_USE,
    sharing_logic.RESULTS + "depression",
    sharing_logic.RESULTS + "anxiety",
    sharing_logic.RESULTS + "recovery_monitor",
    sharing_logic.RESULTS + "safety_screen",
    sharing_logic.NETWORK_MAP,
    sharing_logic.ALERTS,
]
# Some members share only that they checked in: their caseload row says "not shared" for the rest.
CHECKED_IN_ONLY = [sharing_logic.CHECKED_IN]
HISTORY_DAYS = 42  # six weeks of check-ins and contacts for each demo member
HISTORY_INSTRUMENTS = ("phq9", "gad7", "bam")
# The built-in wording of each instrument, read once per build (build_harbor fills it).
DEFINITIONS: dict[str, QuestionnaireDefinition] = {}


@dataclass(frozen=True)
class DemoMember:
    """One enrolled demo member (a plain account, not a persona) and the six weeks behind them."""

    key: str  # the email's local part
    name: str
    timezone: str
    need: str  # what the caseload should see, in a few words (for `make run` and the README)
    program: str = OUTPATIENT
    team: tuple[str, ...] = ("casey",)  # staff persona keys; the first is primary
    shares: tuple[str, ...] = tuple(CASELOAD_SCOPES)
    mood: tuple[int, int] = (5, 6)  # mood six weeks ago, and now
    craving: tuple[int, int] = (4, 3)
    last_checkin_days_ago: int = 1
    skip_every: int = 0  # misses every n-th day (0: never)
    high_craving_days: tuple[int, ...] = ()  # days ago with a craving of 7 or more
    used_days_ago: tuple[int, ...] = ()
    phq9: tuple[tuple[int, int], ...] = ((35, 9), (14, 8))  # (days ago, total)
    gad7: tuple[tuple[int, int], ...] = ((35, 7), (14, 6))
    bam: tuple[tuple[int, float], ...] = ((21, 0.3),)  # (days ago, how far up the scale, 0–1)
    safety_days_ago: int | None = None  # a PHQ-9 with a self-harm answer, not yet followed up
    peer_quiet_days: int = 3  # days since the last contact with a peer
    sessions: tuple[tuple[int, str], ...] = ()  # (days ago, attendance; negative days: upcoming)
    unread_message: str = ""  # sent to the care team, not read yet
    safety_total: int = 15  # that PHQ-9's total
    enrolled_days_ago: int = 40


STAFF_SINCE_DAYS = 400  # Harbor's staff joined over a year before today, well before any enrolment

ET, CT, MT, AZ, PT, AK, HI = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
)

MEMBERS = (
    DemoMember(
        "marcus",
        "Marcus",
        ET,
        "safety answer 2 days ago, not yet followed up; PHQ-9 up",
        team=("casey", "drew"),
        mood=(5, 3),
        craving=(4, 6),
        phq9=((30, 11), (16, 14)),
        safety_days_ago=2,
        safety_total=17,
        peer_quiet_days=12,
    ),
    DemoMember(
        "aaliyah",
        "Aaliyah",
        CT,
        "safety answer yesterday, not yet followed up; high craving",
        mood=(5, 3),
        craving=(5, 7),
        high_craving_days=(1, 3, 5),
        phq9=((28, 12),),
        safety_days_ago=1,
    ),
    DemoMember(
        "jasmine",
        "Jasmine",
        PT,
        "PHQ-9 up 8 points in four weeks",
        team=("casey", "drew"),
        mood=(6, 3),
        phq9=((30, 7), (16, 11), (2, 15)),
        gad7=((30, 6), (2, 11)),
    ),
    DemoMember(
        "tyler",
        "Tyler",
        MT,
        "PHQ-9 up 7 points; missed a session",
        mood=(6, 4),
        phq9=((33, 5), (5, 12)),
        sessions=((12, Attendance.ATTENDED), (5, Attendance.MISSED), (-4, "")),
    ),
    DemoMember(
        "devon",
        "Devon",
        ET,
        "craving 7 or more on 5 of the last 7 days",
        team=("casey", "drew"),
        craving=(4, 7),
        high_craving_days=(1, 2, 3, 5, 6),
        bam=((20, 0.3), (3, 0.6)),
    ),
    DemoMember(
        "brianna",
        "Brianna",
        AZ,
        "craving 7 or more on 4 of the last 7 days",
        craving=(3, 6),
        high_craving_days=(2, 3, 4, 6),
    ),
    DemoMember(
        "luis",
        "Luis",
        PT,
        "return to use 3 days ago",
        team=("casey", "drew"),
        mood=(6, 4),
        craving=(3, 6),
        used_days_ago=(3,),
        high_craving_days=(3, 4),
        sessions=((7, Attendance.ATTENDED), (-2, "")),
    ),
    DemoMember(
        "kayla",
        "Kayla",
        CT,
        "return to use 10 days ago, back on track since",
        used_days_ago=(10,),
        mood=(5, 6),
        phq9=((35, 10), (8, 9)),
    ),
    DemoMember(
        "andre",
        "Andre",
        ET,
        "no check-in for 12 days",
        last_checkin_days_ago=12,
        skip_every=3,
        peer_quiet_days=16,
    ),
    DemoMember(
        "hannah",
        "Hannah",
        MT,
        "no check-in for 9 days",
        team=("casey", "drew"),
        last_checkin_days_ago=9,
    ),
    DemoMember(
        "omar",
        "Omar",
        CT,
        "missed 2 sessions; unread message to the care team",
        sessions=((16, Attendance.MISSED), (9, Attendance.MISSED), (-3, "")),
        unread_message="Sorry I missed Tuesday again. My shifts changed. Can we move to mornings?",
        skip_every=4,
    ),
    DemoMember(
        "grace",
        "Grace",
        PT,
        "missed a session last week",
        sessions=((19, Attendance.ATTENDED), (12, Attendance.ATTENDED), (5, Attendance.MISSED)),
    ),
    DemoMember(
        "ethan",
        "Ethan",
        AK,
        "no contact with any peer for 3 weeks",
        peer_quiet_days=24,
        mood=(6, 5),
    ),
    DemoMember(
        "sofia",
        "Sofia",
        ET,
        "no contact with any peer for 5 weeks; mood low",
        peer_quiet_days=36,
        mood=(5, 3),
        phq9=((30, 10), (9, 13)),
    ),
    DemoMember(
        "mei",
        "Mei",
        PT,
        "doing well: steady check-ins, PHQ-9 down 8 points",
        mood=(4, 8),
        craving=(5, 1),
        phq9=((35, 14), (21, 10), (7, 6)),
        gad7=((35, 10), (7, 5)),
        sessions=((14, Attendance.ATTENDED), (7, Attendance.ATTENDED), (-7, "")),
    ),
    DemoMember(
        "nia",
        "Nia",
        HI,
        "doing well: mood rising, craving low",
        mood=(5, 8),
        craving=(3, 1),
        phq9=((30, 9), (9, 4)),
    ),
    DemoMember(
        "carlos",
        "Carlos",
        CT,
        "doing well in the recovery residence",
        program=RESIDENCE,
        team=("drew",),
        mood=(5, 7),
        craving=(4, 2),
        phq9=((30, 8), (10, 5)),
        sessions=((6, Attendance.ATTENDED), (-1, "")),
    ),
    DemoMember(
        "priya",
        "Priya",
        ET,
        "doing well in the recovery residence",
        program=RESIDENCE,
        team=("drew", "casey"),
        mood=(6, 8),
        craving=(3, 1),
        phq9=((28, 7), (7, 4)),
    ),
    DemoMember(
        "wes",
        "Wes",
        MT,
        "shares only that he checked in (the rest shows as not shared)",
        program=RESIDENCE,
        team=("drew",),
        shares=tuple(CHECKED_IN_ONLY),
        craving=(5, 7),
        high_craving_days=(1, 2, 4),
    ),
    DemoMember(
        "elena",
        "Elena",
        PT,
        "shares only that she checked in (the rest shows as not shared)",
        team=("casey", "drew"),
        shares=tuple(CHECKED_IN_ONLY),
        mood=(5, 4),
        phq9=((30, 8), (4, 15)),
    ),
)
MEMBER_BY_KEY = {member.key: member for member in MEMBERS}

# A peer tie and a family tie for each member (name, relationship, circle), picked by index.
PEER_TIES = [
    ("Thursday night meeting", "group"),
    ("Sponsor", "sponsor"),
    ("SMART Recovery group", "group"),
    ("Peer mentor", "peer_mentor"),
]
FAMILY_TIES = [("Mom", "parent"), ("Sister", "sibling"), ("Partner", "partner"), ("Best friend", "friend")]
SUBSTANCES = ["alcohol", "opioids", "cannabis", "stimulants"]
HELPED = ["", "", "A walk", "My meeting", "Calling my sponsor", "Cooking", "Sleep", "Music"]


def demo_member_email(key: str) -> str:
    return f"{key}@example.org"


def _at(day: dt.date, hour: int, minute: int, zone) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _scale_answers(code: str, total: int, *, safety: int = 0) -> dict[str, int | bool]:
    """Answers to a 0–3 scale (PHQ-9, GAD-7) adding up to `total`; the PHQ-9 self-harm item is `safety`."""
    links = [item.link_id for item in checkin_logic.INSTRUMENTS[code].structure.enabled({})]
    answers: dict[str, int | bool] = dict.fromkeys(links, 0)
    instrument, safety_link = checkin_logic.SAFETY_ITEM
    if code == instrument:
        answers[safety_link] = safety
        links.remove(safety_link)
        total -= safety
    total = min(max(total, 0), 3 * len(links))
    position = 0
    while total > 0:
        link = links[position % len(links)]
        if int(answers[link]) < 3:
            answers[link] = int(answers[link]) + 1
            total -= 1
        position += 1
    return answers


def _level_answers(code: str, level: float, rng: random.Random) -> dict[str, int | bool]:
    """Answers about `level` of the way up each item's options, where higher means worse: the BAM's
    protective items (where a higher answer is better) are answered the other way round, so a member
    doing well has few risk factors and many protective ones, as in life."""
    answers: dict[str, int | bool] = {}
    protective = checkin_logic.BAM_SUBSCALES["protective"] if code == "bam" else ()
    for item in checkin_logic.INSTRUMENTS[code].structure.enabled({}):
        values = sorted(item.values)
        item_level = 1 - level if item.link_id in protective else level
        position = _clamp(item_level * (len(values) - 1) + rng.uniform(-0.5, 0.5), 0, len(values) - 1)
        answers[item.link_id] = values[position]
    return answers


def _assessment(member: User, code: str, answers: dict, finished: dt.datetime, zone) -> Assessment:
    result = checkin_logic.score(code, answers)
    return Assessment(
        member=member,
        instrument=code,
        definition=DEFINITIONS[code],
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


def _ensure_members(password_hash: str) -> list[User]:
    made = []
    for spec in MEMBERS:
        user = User.objects.filter(email=demo_member_email(spec.key)).first()
        if user is None:
            user = User.objects.create_user(
                demo_member_email(spec.key), display_name=spec.name, timezone=spec.timezone
            )
        user.password = password_hash
        user.display_name = spec.name
        user.timezone = spec.timezone
        user.is_active = True
        user.save()
        made.append(user)
    return made


def _history(member: User, spec: DemoMember, index: int) -> tuple[list[CheckIn], list[Assessment]]:
    """Six weeks of check-ins, questionnaires and contacts for one member (unsaved rows)."""
    zone = user_zone(member)
    today = local_today(member)
    rng = random.Random(1000 + index)  # noqa: S311 — demo data, not security
    checkins = []
    for days_ago in range(HISTORY_DAYS, spec.last_checkin_days_ago - 1, -1):
        if spec.skip_every and days_ago % spec.skip_every == 0 and days_ago != spec.last_checkin_days_ago:
            continue
        if days_ago == 0:
            continue
        day = today - dt.timedelta(days=days_ago)
        progress = 1 - days_ago / HISTORY_DAYS
        mood = spec.mood[0] + (spec.mood[1] - spec.mood[0]) * progress + rng.uniform(-1, 1)
        craving = spec.craving[0] + (spec.craving[1] - spec.craving[0]) * progress + rng.uniform(-1, 1)
        if days_ago in spec.high_craving_days:
            craving = rng.choice([7, 8, 8, 9])
        elif days_ago <= 7:
            craving = min(craving, 6)  # only the days named above reach 7
        used = days_ago in spec.used_days_ago
        checkins.append(
            CheckIn(
                member=member,
                day=day,
                mood=_clamp(mood - (2 if used else 0), 0, 10),
                craving=_clamp(craving, 0, 10),
                stress=_clamp(5 - (spec.mood[1] - 5) * progress + rng.uniform(-2, 2), 0, 10),
                sleep_quality=_clamp(3 + (mood - 5) / 3 + rng.uniform(-1, 1), 1, 5),
                used=used,
                substance=SUBSTANCES[index % len(SUBSTANCES)] if used else "",
                helped=rng.choice(HELPED),
                created_at=_at(day, rng.choice([8, 12, 19, 21]), rng.choice([0, 15, 30, 45]), zone),
            )
        )
    assessments = []
    for code, series in (("phq9", spec.phq9), ("gad7", spec.gad7)):
        for days_ago, total in series:
            finished = _at(today - dt.timedelta(days=days_ago), 19, 30, zone)
            assessments.append(_assessment(member, code, _scale_answers(code, total), finished, zone))
    for days_ago, level in spec.bam:
        finished = _at(today - dt.timedelta(days=days_ago), 20, 0, zone)
        assessments.append(_assessment(member, "bam", _level_answers("bam", level, rng), finished, zone))
    return checkins, assessments


def _circle(member: User, spec: DemoMember, index: int) -> list[Interaction]:
    """A peer tie and a family tie, added six weeks ago, and their contacts (unsaved)."""
    zone = user_zone(member)
    today = local_today(member)
    rng = random.Random(2000 + index)  # noqa: S311 — demo data, not security
    peer_name, peer_relationship = PEER_TIES[index % len(PEER_TIES)]
    family_name, family_relationship = FAMILY_TIES[index % len(FAMILY_TIES)]
    peer = do_add_tie(
        Tie(display_name=peer_name, relationship=peer_relationship, circle="inner", importance=5),
        acting_user=member,
    )
    family = do_add_tie(
        Tie(display_name=family_name, relationship=family_relationship, circle="inner", importance=4),
        acting_user=member,
    )
    joined = _at(today - dt.timedelta(days=HISTORY_DAYS), 18, 0, zone)
    Tie.objects.filter(pk__in=[peer.pk, family.pk]).update(created_at=joined, status_since=joined)
    TieStatusChange.objects.filter(tie__in=[peer, family]).update(changed_at=joined)
    contacts = []
    kind = "group_meeting" if peer_relationship == "group" else "call"
    for days_ago in range(HISTORY_DAYS, 0, -1):
        day = today - dt.timedelta(days=days_ago)
        if days_ago >= spec.peer_quiet_days and (days_ago - spec.peer_quiet_days) % 5 == 0:
            contacts.append(
                Interaction(
                    member=member,
                    tie=peer,
                    kind=kind,
                    occurred_at=_at(day, 19, 0, zone),
                    duration_minutes=60 if kind == "group_meeting" else 20,
                )
            )
        if days_ago % 4 == index % 4:
            contacts.append(
                Interaction(
                    member=member,
                    tie=family,
                    kind=rng.choice(["call", "in_person", "message"]),
                    occurred_at=_at(day, 12, rng.choice([0, 30]), zone),
                )
            )
    return contacts


def _safety_answer(member: User, total: int, days_ago: int) -> None:
    """A PHQ-9 answered the real way with "several days" on the self-harm question: it raises a safety
    signal and an alert at once, as it would for anyone. Then dated back to `days_ago`."""
    assessment = do_start_assessment(member, "phq9", language="en")
    do_save_answers(assessment, _scale_answers("phq9", total, safety=1), complete=True, acting_user=member)
    zone = user_zone(member)
    finished = _at(local_today(member) - dt.timedelta(days=days_ago), 21, 40, zone)
    Assessment.objects.filter(pk=assessment.pk).update(
        started_at=finished - dt.timedelta(minutes=5), completed_at=finished, day=finished.date()
    )
    SafetySignal.objects.filter(assessment=assessment).update(created_at=finished, handled_at=finished)
    Alert.objects.filter(member=member, facts__source=SafetySignal.Source.SAFETY_ITEM).update(
        created_at=finished
    )


def _enrol(
    member: User,
    scopes: tuple[str, ...] | list[str],
    program: Program,
    team: list[StaffMembership],
    days_ago: int,
) -> Enrolment:
    """Enrolled the way a member enrols (signing the consent), then dated back to `days_ago`."""
    enrolment = do_enrol_member(
        member,
        organization=program.organization,
        program=program,
        scopes=list(scopes),
        expires_on=None,
        signature_name=member.display_name,
        primary_staff=team[0],
        acting_user=member,
    )
    CareTeamMember.objects.bulk_create(
        CareTeamMember(enrolment=enrolment, staff=staff, is_primary=False) for staff in team[1:]
    )
    started = _at(local_today(member) - dt.timedelta(days=days_ago), 10, 0, user_zone(member))
    Enrolment.objects.filter(pk=enrolment.pk).update(started_at=started)
    Tie.objects.filter(enrolment=enrolment).update(created_at=started, status_since=started)
    Consent.objects.filter(tie__enrolment=enrolment).update(signed_at=started)
    enrolment.started_at = started
    return enrolment


def _session(
    enrolment: Enrolment,
    staff: StaffMembership,
    starts_at: dt.datetime,
    attendance: str,
    *,
    mode: str = SessionMode.IN_PERSON,
    place: str = "Harbor Recovery Center, room 2",
) -> tuple[Appointment, Interaction | None]:
    """A session (unsaved); an attended one comes with its therapy-session contact on the org's tie."""
    recorded = attendance != ""
    appointment = Appointment(
        enrolment=enrolment,
        staff=staff,
        kind=SessionKind.INDIVIDUAL,
        mode=mode,
        starts_at=starts_at,
        duration_minutes=50,
        place=place,
        attendance=attendance,
        attendance_recorded_at=starts_at + dt.timedelta(minutes=55) if recorded else None,
        attendance_recorded_by=staff.user if recorded else None,
        created_by=staff.user,
        # Booked a week ahead, or when the member enrolled if that came later.
        created_at=max(enrolment.started_at, min(starts_at, timezone.now()) - dt.timedelta(days=7)),
    )
    contact = None
    if attendance == Attendance.ATTENDED and enrolment.tie is not None:
        contact = Interaction(
            member=enrolment.member,
            tie=enrolment.tie,
            kind="therapy_session",
            occurred_at=starts_at,
            duration_minutes=50,
            quality=InteractionQuality.NEUTRAL,  # as recording attendance does: who came, not how it went
        )
    return appointment, contact


def _save_sessions(pairs: list[tuple[Appointment, Interaction | None]]) -> None:
    contacts = Interaction.objects.bulk_create([contact for _a, contact in pairs if contact is not None])
    by_start = iter(contacts)
    for appointment, contact in pairs:
        if contact is not None:
            appointment.interaction = next(by_start)
    Appointment.objects.bulk_create([appointment for appointment, _c in pairs])


def _riley_care(riley: User, enrolment: Enrolment, casey: StaffMembership, drew: StaffMembership) -> None:
    """Riley's sessions with Casey, their thread, Casey's notes."""
    zone = user_zone(riley)
    today = local_today(riley)
    _save_sessions(
        [
            _session(enrolment, casey, _at(today - dt.timedelta(days=11), 10, 0, zone), Attendance.ATTENDED),
            _session(enrolment, casey, _at(today - dt.timedelta(days=4), 10, 0, zone), Attendance.ATTENDED),
            _session(
                enrolment,
                casey,
                _at(today + dt.timedelta(days=3), 10, 0, zone),
                "",
                mode=SessionMode.VIDEO,
                place="Video link sent by email",
            ),
            _session(enrolment, drew, _at(today + dt.timedelta(days=5), 17, 30, zone), ""),
            _session(
                enrolment,
                casey,
                _at(today + dt.timedelta(days=10), 10, 0, zone),
                "",
                mode=SessionMode.VIDEO,
                place="Video link sent by email",
            ),
        ]
    )
    session_day = _at(today - dt.timedelta(days=4), 11, 10, zone)
    ClinicalNote.objects.bulk_create(
        [
            ClinicalNote(
                enrolment=enrolment,
                author=casey.user,
                author_name=casey.user.display_name,
                kind=NoteKind.PROGRESS,
                body=(
                    "Individual session, 50 minutes. Riley talked through the return to use at the wedding "
                    "five weeks ago and the plan that has worked since: leaving early, calling Sam the next "
                    "morning. Mood and sleep are better; craving is lower in the evenings. Next: practise "
                    "saying no to Chris, and keep the Tuesday group. Next session by video."
                ),
                created_at=session_day,
            ),
            ClinicalNote(
                enrolment=enrolment,
                author=casey.user,
                author_name=casey.user.display_name,
                kind=NoteKind.PROCESS,
                body=(
                    "My impressions only: Riley minimises the strain with Jordan. Explore next time whether "
                    "Jordan's drinking at home is the harder trigger than old friends."
                ),
                created_at=session_day + dt.timedelta(minutes=5),
            ),
        ]
    )
    # Weekdays named from the sessions' own dates, so the words match the calendar on any day the demo runs.
    last_session = (today - dt.timedelta(days=4)).strftime("%A")
    thread = [  # (sender, from the member, days ago, hour, body), in the order they were sent
        (
            casey.user,
            False,
            6,
            13,
            f"Hi Riley, a reminder that we moved {last_session}'s session to 10:00. See you then.",
        ),
        (riley, True, 6, 18, "Thanks Casey, 10:00 works."),
        (
            casey.user,
            False,
            3,
            13,
            f"Good work on {last_session}. Your next session is by video; the link will come by email.",
        ),
        (riley, True, 2, 9, "Got it. Is it OK if I bring up the wedding again?"),
        (casey.user, False, 2, 13, "Of course. Bring whatever is on your mind."),
    ]
    messages = [
        Message(
            enrolment=enrolment,
            sender=sender,
            sender_name=sender.display_name,
            from_member=from_member,
            body=body,
            sent_at=_at(today - dt.timedelta(days=days_ago), hour, 0, zone),
        )
        for sender, from_member, days_ago, hour, body in thread
    ]
    Message.objects.bulk_create(messages)
    last = messages[-1].sent_at
    ThreadRead.objects.bulk_create(
        [
            ThreadRead(enrolment=enrolment, user=riley, read_at=last),
            ThreadRead(enrolment=enrolment, user=casey.user, read_at=last),
        ]
    )


def build_harbor(staff_users: dict[str, User], riley: User, password_hash: str) -> Organization:
    """Harbor Recovery Center, its staff, Riley and the demo members enrolled, with their histories."""
    olivia, casey_user, drew_user = staff_users["olivia"], staff_users["casey"], staff_users["drew"]
    organization = do_create_organization(
        name=HARBOR, kind=OrganizationKind.TREATMENT_CENTRE, program_name=OUTPATIENT, acting_user=olivia
    )
    residence = Program(organization=organization, name=RESIDENCE)
    residence.full_clean()
    residence.save()
    programs = {OUTPATIENT: organization.programs.get(name=OUTPATIENT), RESIDENCE: residence}
    # Casey is Harbor's clinical supervisor too: she may read every process note; Drew reads only his own.
    staff = {
        "casey": do_add_staff(
            organization, casey_user, role=StaffRole.COUNSELOR, clinical_supervisor=True, acting_user=olivia
        ),
        "drew": do_add_staff(organization, drew_user, role=StaffRole.PEER_SPECIALIST, acting_user=olivia),
    }
    # Harbor and its staff were there long before the demo's enrolments (the longest is weeks old).
    founded = timezone.now() - dt.timedelta(days=STAFF_SINCE_DAYS)
    Organization.objects.filter(pk=organization.pk).update(created_at=founded)
    StaffMembership.objects.filter(organization=organization).update(joined_at=founded)
    Program.objects.filter(organization=organization).update(created_at=founded)
    riley_enrolment = _enrol(
        riley, CASELOAD_SCOPES, programs[OUTPATIENT], [staff["casey"], staff["drew"]], days_ago=25
    )
    _riley_care(riley, riley_enrolment, staff["casey"], staff["drew"])

    members = _ensure_members(password_hash)
    DEFINITIONS.update({code: builtin_definition(code) for code in HISTORY_INSTRUMENTS})
    checkins: list[CheckIn] = []
    assessments: list[Assessment] = []
    contacts: list[Interaction] = []
    sessions: list[tuple[Appointment, Interaction | None]] = []
    messages: list[Message] = []
    for index, (member, spec) in enumerate(zip(members, MEMBERS, strict=True)):
        team = [staff[key] for key in spec.team]
        enrolment = _enrol(member, spec.shares, programs[spec.program], team, spec.enrolled_days_ago)
        member_checkins, member_assessments = _history(member, spec, index)
        checkins += member_checkins
        assessments += member_assessments
        contacts += _circle(member, spec, index)
        if spec.safety_days_ago is not None:
            _safety_answer(member, spec.safety_total, spec.safety_days_ago)
        zone, today = user_zone(member), local_today(member)
        for days_ago, attendance in spec.sessions:
            starts_at = _at(today - dt.timedelta(days=days_ago), 9 + index % 8, 0, zone)
            sessions.append(_session(enrolment, team[0], starts_at, attendance))
        if spec.unread_message:
            messages.append(
                Message(
                    enrolment=enrolment,
                    sender=member,
                    sender_name=member.display_name,
                    from_member=True,
                    body=spec.unread_message,
                    sent_at=_at(today - dt.timedelta(days=1), 7, 45, zone),
                )
            )
    CheckIn.objects.bulk_create(checkins)
    Assessment.objects.bulk_create(assessments)
    Interaction.objects.bulk_create(contacts)
    _save_sessions(sessions)
    Message.objects.bulk_create(messages)
    return organization


def reset_harbor(olivia: User) -> None:
    """Removes the demo's Harbor and its enrolled demo members, to be built again around today."""
    organizations = Organization.objects.filter(name=HARBOR, created_by=olivia)
    enrolments = Enrolment.objects.filter(organization__in=organizations)
    # Riley stays: her place for Harbor in her circle and her consent to it go with the enrolment.
    ties = list(enrolments.exclude(tie=None).values_list("tie_id", flat=True))
    Consent.objects.filter(tie_id__in=ties).delete()
    enrolments.delete()
    Tie.objects.filter(pk__in=ties).delete()
    organizations.delete()
    User.objects.filter(email__in=[demo_member_email(spec.key) for spec in MEMBERS]).delete()


def harbor_exists(olivia: User) -> bool:
    return Organization.objects.filter(name=HARBOR, created_by=olivia).exists()
