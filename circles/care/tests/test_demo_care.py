"""The demo's Harbor Recovery Center: its staff, Riley enrolled with consent, and twenty more enrolled
members whose histories give a caseload something to rank (circles/demo/harbor.py)."""

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from circles.accounts.models import Role, User
from circles.care.access import access_enrolment, care_team_accesses
from circles.care.caseload import load_caseload
from circles.care.models import (
    Appointment,
    Attendance,
    ClinicalNote,
    Enrolment,
    Message,
    Organization,
    SafetyFollowUp,
    SessionMode,
    StaffMembership,
    StaffRole,
    ThreadRead,
)
from circles.checkins.models import Assessment, CheckIn, SafetySignal
from circles.demo.harbor import CASELOAD_SCOPES, HARBOR, MEMBERS, OUTPATIENT, RESIDENCE, demo_member_email
from circles.lib.time import local_today, user_zone
from circles.sharing import logic as sharing
from circles.sharing.access import organization_disclosures
from circles.sharing.models import RecipientKind


@pytest.fixture
def demo(db):
    call_command("demo", "--reset")  # --reset: the same as a first run, and exercises the reset path
    return {key: User.objects.get(email=f"{key}@example.org") for key in ("olivia", "casey", "drew", "riley")}


def test_harbor_has_its_three_staff_in_their_roles(demo):
    harbor = Organization.objects.get(name=HARBOR)
    assert set(harbor.programs.values_list("name", flat=True)) == {OUTPATIENT, RESIDENCE}
    staff = {m.user.email: m for m in StaffMembership.objects.current().filter(organization=harbor)}
    assert set(staff) == {"olivia@example.org", "casey@example.org", "drew@example.org"}
    assert staff["olivia@example.org"].role == StaffRole.ADMINISTRATOR
    assert staff["casey@example.org"].role == StaffRole.COUNSELOR
    assert staff["casey@example.org"].clinical_supervisor
    assert staff["drew@example.org"].role == StaffRole.PEER_SPECIALIST
    assert not staff["drew@example.org"].clinical_supervisor
    # Their account roles ask for two-factor sign-in, and the demo gives each a fixed authenticator.
    assert Role.objects.filter(user=demo["drew"], kind=Role.Kind.PROFESSIONAL).exists()
    assert Role.objects.filter(user=demo["olivia"], kind=Role.Kind.ORG_ADMIN).exists()
    for key in ("olivia", "casey", "drew"):
        assert demo[key].totpdevice_set.filter(confirmed=True).exists()


def test_riley_is_enrolled_with_a_live_consent_to_harbor(demo):
    riley, casey, drew = demo["riley"], demo["casey"], demo["drew"]
    enrolment = Enrolment.objects.active().get(member=riley, organization__name=HARBOR)
    assert enrolment.program.name == OUTPATIENT
    consent = organization_disclosures([enrolment.tie])[enrolment.tie_id].consent
    assert consent is not None and consent.recipient_kind == RecipientKind.ORGANIZATION
    assert set(consent.scopes) == set(CASELOAD_SCOPES)
    team = {member.staff.user_id: member.is_primary for member in enrolment.care_team.all()}
    assert team == {casey.pk: True, drew.pk: False}
    assert access_enrolment(casey, enrolment.pk).allows(sharing.RESULTS + "depression")
    assert access_enrolment(drew, enrolment.pk).allows(sharing.MOOD)

    sessions = list(Appointment.objects.filter(enrolment=enrolment))
    upcoming = [s for s in sessions if s.starts_at > timezone.now()]
    assert any(s.mode == SessionMode.VIDEO and s.staff.user == casey for s in upcoming)
    assert all(not s.attendance for s in upcoming)
    assert all(s.starts_at > enrolment.started_at for s in sessions)
    attended = [s for s in sessions if s.attendance == Attendance.ATTENDED]
    assert attended and all(s.interaction and s.interaction.kind == "therapy_session" for s in attended)
    kinds = Counter(ClinicalNote.objects.filter(enrolment=enrolment).values_list("kind", flat=True))
    assert kinds == {"progress": 1, "process": 1}
    thread = Message.objects.filter(enrolment=enrolment)
    assert {True, False} == set(thread.values_list("from_member", flat=True))
    assert ThreadRead.objects.filter(enrolment=enrolment, user=casey).exists()


def test_twenty_more_enrolled_members_reach_the_care_team_caseloads(demo):
    casey, drew, riley = demo["casey"], demo["drew"], demo["riley"]
    emails = [demo_member_email(spec.key) for spec in MEMBERS]
    assert len(emails) >= 20
    enrolments = Enrolment.objects.active().filter(organization__name=HARBOR, member__email__in=emails)
    assert enrolments.count() == len(emails)

    casey_sees = {access.member.email for access in care_team_accesses(casey)}
    drew_sees = {access.member.email for access in care_team_accesses(drew)}
    assert casey_sees | drew_sees == {*emails, riley.email}
    assert riley.email in casey_sees and riley.email in drew_sees
    # As the personas' descriptions (printed by `make run`) and the README say.
    assert (len(casey_sees), len(drew_sees)) == (19, 10)

    # Some share only that they checked in, so the caseload shows the rest as "not shared".
    scopes = {access.member.email: access.scopes for access in care_team_accesses(drew)}
    assert scopes["wes@example.org"] == {sharing.CHECKED_IN}
    assert scopes["marcus@example.org"] == set(CASELOAD_SCOPES)


def test_the_members_needs_differ_the_way_their_descriptions_say(demo):
    casey = demo["casey"]
    member = {spec.key: User.objects.get(email=demo_member_email(spec.key)) for spec in MEMBERS}

    # Safety answers raised the real way (a PHQ-9 answer), not followed up by anyone yet.
    signals = SafetySignal.objects.filter(member__in=[member["marcus"], member["aaliyah"]])
    assert signals.count() == 2 and not SafetyFollowUp.objects.exists()
    assert {member["marcus"].alerts.get().kind, member["aaliyah"].alerts.get().kind} == {"safety"}

    def phq9(key):
        rows = Assessment.objects.filter(member=member[key], instrument="phq9", status="completed")
        return list(rows.order_by("completed_at").values_list("total", flat=True))

    assert phq9("jasmine")[-1] - phq9("jasmine")[0] >= 6
    assert phq9("mei")[-1] < phq9("mei")[0]

    def last_week(key):
        today = local_today(member[key])
        return CheckIn.objects.filter(member=member[key], day__gte=today - dt.timedelta(days=7))

    assert last_week("devon").filter(craving__gte=7).count() >= 4
    assert last_week("luis").filter(used=True).exists()
    latest = CheckIn.objects.filter(member=member["andre"]).latest("day").day
    assert (local_today(member["andre"]) - latest).days >= 9
    assert Appointment.objects.filter(enrolment__member=member["omar"], attendance="missed").count() == 2
    peers = member["ethan"].ties.filter(pillar="peer").values_list("last_contact_at", flat=True)
    assert all(last is not None and last < timezone.now() - dt.timedelta(days=21) for last in peers)

    # Omar's message waits, unread, for his care team.
    assert Message.objects.filter(enrolment__member=member["omar"], from_member=True).exists()
    assert not ThreadRead.objects.filter(enrolment__member=member["omar"], user=casey).exists()
    # Several timezones, so "today" and session times are each member's own.
    assert len({user.timezone for user in member.values()}) >= 5


def test_the_demo_hangs_together_dates_words_and_order(demo):
    riley, casey = demo["riley"], demo["casey"]
    enrolment = Enrolment.objects.get(member=riley)
    # Riley's thread: each answer comes after what it answers, and weekday words match the sessions' days.
    thread = list(Message.objects.filter(enrolment=enrolment).order_by("sent_at", "id"))
    bodies = [message.body for message in thread]
    assert bodies.index("Thanks Casey, 10:00 works.") == 1 and "reminder" in bodies[0]
    attended = Appointment.objects.filter(enrolment=enrolment, attendance=Attendance.ATTENDED)
    zone = user_zone(riley)
    weekdays = {session.starts_at.astimezone(zone).strftime("%A") for session in attended}
    named = {word for body in bodies for word in body.replace("'s", " ").split() if word.endswith("day")}
    assert named and named <= weekdays
    # Staff joined Harbor before anyone was enrolled with it.
    first_enrolment = Enrolment.objects.order_by("started_at").first().started_at
    assert all(s.joined_at < first_enrolment for s in StaffMembership.objects.all())
    # An attended session's contact says what recording attendance says: neutral.
    assert {session.interaction.quality for session in attended} == {"neutral"}
    # Members "doing well" have no BAM reason on the caseload.
    rows = {row.need.signals.name: row for row in load_caseload(casey).rows}
    for name, row in rows.items():
        if name.split()[0] in {"Mei", "Nia", "Carlos", "Priya"}:
            assert "bam_risk" not in row.need.codes, name
