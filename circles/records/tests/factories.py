"""A member with at least one record of every kind Circles keeps, for export and erasure tests."""

import datetime as dt

from django.core import mail
from django.test import Client
from django.utils import timezone

from circles.accounts.actions import do_create_token
from circles.accounts.tests.push_service import Device
from circles.accounts.twofactor import do_enable_twofactor, pending_app_device
from circles.alerts.actions import (
    PersonSpec,
    RungSpec,
    do_answer,
    do_raise_sos,
    do_save_alert_settings,
    do_set_ladder,
)
from circles.alerts.delivery import work_due
from circles.alerts.models import AlertSettings
from circles.care.access import consenting_enrolments
from circles.care.actions import do_enrol_member
from circles.care.caseload import refresh_facts
from circles.care.models import (
    Appointment,
    ClinicalNote,
    EnrolmentInvitation,
    Message,
    SafetyFollowUp,
    StaffInvitation,
    ThreadRead,
)
from circles.care.tests.factories import make_organization
from circles.checkins.actions import (
    do_ask_for_help,
    do_save_checkin,
    do_save_checkin_settings,
    do_set_schedule,
)
from circles.checkins.models import CheckIn, CheckInSettings, SafetySignal
from circles.checkins.tests.factories import answers_at, complete
from circles.lib.time import local_today
from circles.network.tests.factories import make_commitment, make_interaction, make_tie
from circles.notices.actions import do_save_reminder_preferences
from circles.notices.models import ReminderPreferences, SentNotice
from circles.sharing.actions import (
    do_accept_invitation,
    do_grant_consent,
    do_invite_supporter,
    do_save_reach_details,
    do_send_encouragement,
)
from conftest import PASSWORD

ORIGIN = "http://testserver"


def link_supporter(member, supporter, tie):
    invitation = do_invite_supporter(tie, supporter.email, origin=ORIGIN, acting_user=member)
    return do_accept_invitation(invitation.pk, invitation.nonce, acting_user=supporter)


def member_with_everything(member, supporter) -> dict:
    """Records of every kind for `member`; `supporter` is linked to one tie and supported by `member` too.

    Returns the other person's private words, which must never reach the member's export.
    """
    # A real log-in, so django-axes keeps its record of it.
    Client().post("/accounts/login/", {"username": member.email, "password": PASSWORD})
    do_create_token(member, "journal app")
    Device.new().subscribe(member, "https://push.example.net/send/member-phone", label="Phone")
    do_enable_twofactor(pending_app_device(member), acting_user=member)

    parent = make_tie(
        member,
        "Marguerite",
        "parent",
        email="marguerite@example.org",
        phone="+1 555 0100",
        boundaries="No calls after nine",
    )
    make_interaction(member, parent, days_ago=1, note="We talked about the anniversary")
    weekly = make_commitment(member, parent, "Call Marguerite weekly")

    today = local_today(member)
    checkin = CheckIn(
        member=member,
        day=today,
        mood=6,
        craving=3,
        stress=4,
        sleep_quality=4,
        used=True,
        substance="alcohol",
        use_note="One drink at the party",
        helped="A long walk",
        struggling="Work deadlines",
    )
    do_save_checkin(checkin, [parent], acting_user=member)
    do_save_checkin_settings(
        CheckInSettings(member=member, count_days=True, recovery_started_on=today - dt.timedelta(days=100)),
        acting_user=member,
    )
    do_set_schedule(member, "phq9", 14, acting_user=member)
    complete(member, "phq9", answers_at("phq9", 1))
    do_ask_for_help(member, acting_user=member)

    # The supporter is linked to a tie of the member's, with consent, and sends encouragement.
    sponsor = make_tie(member, "Sam", "sponsor")
    link_supporter(member, supporter, sponsor)
    do_grant_consent(
        sponsor,
        scopes=["checked_in", "mood", "alerts"],
        purpose="So my sponsor knows how I am doing",
        expires_on=None,
        signature_name=f"{member.display_name} Signed",
        acting_user=member,
    )
    do_send_encouragement(sponsor, "Proud of you this week", acting_user=supporter)
    do_save_reach_details(member, phone="+1 555 010 0177", preferred="text", acting_user=member)

    # A crisis ladder with the sponsor on it; an SOS was delivered and answered.
    do_save_alert_settings(AlertSettings(member=member, craving_level=8), acting_user=member)
    do_set_ladder(member, [RungSpec([PersonSpec(sponsor.pk, ["email", "in_app"])])], acting_user=member)
    alert, _created = do_raise_sos(member, message="Rough evening", acting_user=member)
    work_due("export-test")
    do_answer(alert, sponsor)
    mail.outbox.clear()  # that email went to the supporter; tests read the member's own mail

    # Reminders: a daily check-in reminder, a commitment's start time, and one reminder sent.
    do_save_reminder_preferences(
        ReminderPreferences(checkin_on=True), {weekly.pk: dt.time(19, 0)}, acting_user=member
    )
    SentNotice.objects.create(person=member, kind="checkin", occurrence=today.isoformat(), status="sent")

    # Enrolled with an organization (the supporter is its counselor), with a session, notes of both kinds,
    # a message each way and a followed-up safety signal; and the member is staff elsewhere.
    harbor = make_organization(supporter, name="Harbor Recovery Center")
    counselor = harbor.admin
    enrolment = do_enrol_member(
        member,
        organization=harbor.organization,
        program=harbor.organization.programs.get(),
        scopes=["checked_in", "mood"],
        expires_on=None,
        signature_name=f"{member.display_name} Signed",
        primary_staff=counselor,
        acting_user=member,
    )
    Appointment.objects.create(
        enrolment=enrolment, staff=counselor, kind="individual", mode="video", starts_at=timezone.now()
    )
    ClinicalNote.objects.create(
        enrolment=enrolment, author=supporter, author_name="Sam", kind="progress", body="Good session today"
    )
    ClinicalNote.objects.create(
        enrolment=enrolment,
        author=supporter,
        author_name="Sam",
        kind="process",
        body="Counselor's own process note",
    )
    Message.objects.create(
        enrolment=enrolment, sender=member, sender_name="Riley", from_member=True, body="Hi"
    )
    ThreadRead.objects.create(enrolment=enrolment, user=member, read_at=timezone.now())
    refresh_facts(consenting_enrolments([enrolment.pk]), timezone.now())  # what a caseload keeps
    signal = SafetySignal.objects.filter(member=member).earliest("created_at")
    SafetyFollowUp.objects.create(
        enrolment=enrolment, signal=signal, acknowledged_by_name="Sam", note="Called"
    )
    invitation = EnrolmentInvitation.objects.create(
        organization=harbor.organization,
        program=harbor.organization.programs.get(),
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    EnrolmentInvitation.objects.filter(pk=invitation.pk).update(
        accepted_by=member, accepted_at=timezone.now()
    )
    elsewhere = make_organization(member, name="Riley's own recovery residence")
    StaffInvitation.objects.create(
        organization=elsewhere.organization,
        email=member.email,
        role="peer_specialist",
        expires_at=timezone.now() + dt.timedelta(days=7),
        accepted_by=member,
        accepted_at=timezone.now(),
    )

    # The member supports the supporter in turn, who keeps private notes of their own.
    back = make_tie(supporter, "My friend from group", "peer")
    link_supporter(supporter, member, back)
    do_send_encouragement(back, "Keep going, you are doing great", acting_user=member)
    theirs = make_interaction(supporter, back, note="Supporter's own private worry about relapse")
    return {"their_private_note": theirs.note, "process_note": "Counselor's own process note"}
