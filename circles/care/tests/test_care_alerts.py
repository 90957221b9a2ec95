"""A crisis ladder's "my care team" rung: Riley's alert reaches the staff of her care team who are on call
(not those off call, not other organizations), by email, in Circles and by push; it escalates past them
when nobody answers; one staff member's answer answers for the team; withdrawing the `alerts` choice
stops what was not sent yet."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from circles.accounts.models import User
from circles.accounts.tests.push_service import Device, vapid_settings
from circles.alerts import delivery, logic
from circles.alerts.actions import PersonSpec, RungSpec, do_answer, do_raise_sos, do_set_ladder
from circles.alerts.channels import answer_path
from circles.alerts.forms import AddPersonForm
from circles.alerts.models import AlertStatus, Notification, NotificationStatus, SkipReason
from circles.alerts.outbox import raise_alert
from circles.alerts.tests.factories import askable, ladder
from circles.audit.models import AuditEvent
from circles.care.access import access_team_alert
from circles.care.actions import do_add_staff, do_answer_team_alert
from circles.care.models import CareTeamMember, StaffRole
from circles.care.tests.factories import CASELOAD_SCOPES, enrol
from circles.sharing import logic as sharing
from circles.sharing.actions import do_grant_consent
from circles.sharing.statement import ORGANIZATION_PURPOSE


def run_worker():
    return delivery.work_due("test-worker")


def make_user(email: str, name: str, timezone_name: str = "America/New_York") -> User:
    return User.objects.create(email=email, display_name=name, timezone=timezone_name)


@pytest.fixture
def team(harbor, enrolment, olivia):
    """Riley's care team: Casey (primary, on call) and Pat (peer specialist, off call)."""
    pat = make_user("pat@example.org", "Pat")
    off_call = do_add_staff(harbor.organization, pat, role=StaffRole.PEER_SPECIALIST, acting_user=olivia)
    off_call.on_call = False
    off_call.save(update_fields=["on_call"])
    CareTeamMember.objects.create(enrolment=enrolment, staff=off_call)
    return off_call


@pytest.fixture
def care_ladder(riley, sam, enrolment, team):
    """Step 1: my care team; step 2: Sam."""
    second = askable(riley, sam)
    ladder(riley, enrolment.tie, second, channels=(logic.EMAIL, logic.IN_APP))
    return enrolment.tie, second


def asked(alert, rung=0):
    return sorted(
        (n.recipient.email if n.recipient else None, n.channel, n.status)
        for n in Notification.objects.filter(alert=alert, rung=rung).select_related("recipient")
    )


def test_the_ladder_offers_my_care_team_once_enrolled(riley, enrolment):
    form = AddPersonForm(member=riley, steps=0)
    labels = [label for _value, label in form.fields["tie"].choices][1:]
    assert labels == ["My care team at Harbor Recovery Center — Intensive outpatient"]


def test_the_rung_asks_the_on_call_staff_of_the_care_team(
    riley, casey, jamie, colleague, elsewhere, care_ladder, mailoutbox
):
    alert, _created = do_raise_sos(riley, acting_user=riley)
    assert alert.rung == 0 and alert.status == AlertStatus.ACTIVE
    # Casey only: not Pat (off call), not Jamie (not on Riley's team), not Mallory (another organization).
    assert asked(alert) == [
        ("casey@example.org", logic.EMAIL, NotificationStatus.PENDING),
        ("casey@example.org", logic.IN_APP, NotificationStatus.SENT),
    ]
    names = set(alert.notifications.values_list("recipient_name", flat=True))
    assert names == {"Casey (Harbor Recovery Center — Intensive outpatient)"}
    run_worker()
    assert [m.to for m in mailoutbox] == [["casey@example.org"]]
    assert mailoutbox[0].subject == "Riley could use support now"
    assert AuditEvent.objects.filter(action="alert.ask", object_ref__startswith=f"alert:{alert.pk} ").exists()


def test_with_nobody_on_call_the_whole_care_team_is_asked(riley, harbor, care_ladder):
    harbor.counselor.on_call = False
    harbor.counselor.save(update_fields=["on_call"])
    alert, _created = do_raise_sos(riley, acting_user=riley)
    assert {row[0] for row in asked(alert)} == {"casey@example.org", "pat@example.org"}


def test_a_care_team_nobody_can_be_asked_of_moves_the_ladder_on(riley, harbor, enrolment, team, care_ladder):
    CareTeamMember.objects.filter(enrolment=enrolment).delete()
    alert, _created = do_raise_sos(riley, acting_user=riley)
    assert alert.rung == 1  # Sam is asked at once
    skipped = alert.notifications.filter(rung=0)
    assert {n.skip_reason for n in skipped} == {SkipReason.NOBODY_ON_CALL}


def test_unanswered_it_escalates_past_the_care_team(riley, care_ladder, mailoutbox):
    alert, _created = do_raise_sos(riley, acting_user=riley)
    run_worker()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        run_worker()
        alert.refresh_from_db()
        assert alert.rung == 1
        assert [m.to for m in mailoutbox] == [["casey@example.org"], ["sam@example.org"]]


def test_one_staff_answer_answers_for_the_team(riley, casey, team, care_ladder, client_for):
    alert, _created = do_raise_sos(riley, acting_user=riley)
    casey_email = alert.notifications.get(recipient=casey, channel=logic.EMAIL)
    answer = do_answer(alert, care_ladder[0], notification=casey_email)
    assert answer.recorded and answer.alert.status == AlertStatus.ANSWERED
    assert [a.name for a in alert.acknowledgements.all()] == [
        "Casey (Harbor Recovery Center — Intensive outpatient)"
    ]
    assert alert.notifications.get(pk=casey_email.pk).status == NotificationStatus.CANCELLED
    # Pat (on the team, off call) answering too changes nothing: one answer per team.
    do_answer_team_alert(access_team_alert(team.user, alert.pk, write=True), acting_user=team.user)
    assert alert.acknowledgements.count() == 1
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        run_worker()
    alert.refresh_from_db()
    assert alert.rung == 0  # Sam was never asked


def test_the_answer_link_of_a_staff_email_answers_for_the_team(riley, casey, care_ladder, client):
    alert, _created = do_raise_sos(riley, acting_user=riley)
    email = alert.notifications.get(recipient=casey, channel=logic.EMAIL)
    assert client.post(answer_path(email)).status_code == 200
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ANSWERED
    assert alert.acknowledgements.get().tie_id == care_ladder[0].pk


def test_withdrawing_the_alerts_choice_cancels_what_was_not_sent(riley, enrolment, care_ladder, mailoutbox):
    alert, _created = do_raise_sos(riley, acting_user=riley)
    do_grant_consent(
        enrolment.tie,
        scopes=[s for s in CASELOAD_SCOPES if s != sharing.ALERTS],
        purpose=str(ORGANIZATION_PURPOSE),
        expires_on=None,
        signature_name="Riley",
        acting_user=riley,
    )
    run_worker()
    assert mailoutbox == []
    email = alert.notifications.get(rung=0, channel=logic.EMAIL)
    assert email.status == NotificationStatus.CANCELLED
    assert email.skip_reason == SkipReason.CONSENT_WITHDRAWN


def test_without_the_alerts_choice_the_care_team_is_not_asked(riley, harbor, sam, mailoutbox):
    enrolment = enrol(riley, harbor, scopes=[sharing.MOOD])
    ladder(riley, enrolment.tie, askable(riley, sam))
    alert, _created = do_raise_sos(riley, acting_user=riley)
    assert alert.rung == 1
    assert {n.skip_reason for n in alert.notifications.filter(rung=0)} == {SkipReason.NO_CONSENT}
    assert not alert.notifications.filter(recipient__isnull=False, rung=0).exists()


def test_rule_alerts_keep_each_staff_members_quiet_hours_and_urgent_ones_ignore_them(
    riley, casey, enrolment, team
):
    # Quiet 22:00–07:00 in each staff member's own timezone; Casey is in New York (03:00 there).
    do_set_ladder(
        riley,
        [RungSpec([PersonSpec(enrolment.tie.pk, [logic.IN_APP], dt.time(22), dt.time(7))])],
        acting_user=riley,
    )
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)):
        with transaction.atomic():
            craving, _ = raise_alert(riley, logic.CRAVING, facts={"level": 7, "days": 3})
        assert {n.skip_reason for n in craving.notifications.all()} == {SkipReason.QUIET_HOURS}
        sos, _ = do_raise_sos(riley, acting_user=riley)
        assert sos.notifications.get(recipient=casey).status == NotificationStatus.SENT


def test_staff_with_devices_are_also_asked_by_push(riley, casey, enrolment, team, settings):
    vapid_settings(settings)
    Device.new().subscribe(casey, "https://push.example.net/casey")
    ladder(riley, enrolment.tie, channels=(logic.PUSH,))
    alert, _created = do_raise_sos(riley, acting_user=riley)
    assert asked(alert) == [("casey@example.org", logic.PUSH, NotificationStatus.PENDING)]
