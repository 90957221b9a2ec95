"""Loading the caseload: every signal through the disclosure layer, audited, in a fixed number of
queries whatever its size; follow-ups, sessions and messages from the care relationship itself."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from circles.accounts.models import User
from circles.alerts.models import Alert, Notification
from circles.audit.models import AuditEvent
from circles.care import logic
from circles.care.caseload import CHANGE_MARGIN, load_caseload, staff_choices
from circles.care.models import Appointment, Message, SafetyFollowUp, ThreadRead
from circles.care.tests.factories import AUDIT_LOCK_QUERIES, CASELOAD_SCOPES, enrol
from circles.checkins.models import CheckIn, SafetySignal
from circles.checkins.tests.factories import answers_at, complete
from circles.lib.time import local_today
from circles.network.tests.factories import make_interaction, make_tie
from circles.sharing import logic as sharing


def new_member(n: int) -> User:
    return User.objects.create(
        email=f"member{n}@example.org", display_name=f"Member {n:03}", timezone="America/New_York"
    )


def checkins(member, days: list[int], **values) -> None:
    today = local_today(member)
    CheckIn.objects.bulk_create(
        CheckIn(
            member=member,
            day=today - dt.timedelta(days=back),
            **{"mood": 6, "craving": 2, "stress": 3, "sleep_quality": 4, **values},
        )
        for back in days
    )


def session(enrolment, staff, *, days_ago: int, attendance: str) -> Appointment:
    return Appointment.objects.create(
        enrolment=enrolment,
        staff=staff,
        kind="individual",
        mode="in_person",
        starts_at=timezone.now() - dt.timedelta(days=days_ago),
        attendance=attendance,
    )


def row_for(caseload, enrolment):
    return next(row for row in caseload.rows if row.enrolment.pk == enrolment.pk)


def test_an_unacknowledged_safety_answer_puts_the_member_first_until_it_is_followed_up(
    harbor, enrolment, riley, sam, casey
):
    other = enrol(sam, harbor)
    checkins(sam, [12])  # no check-in for 12 days: some need, but no safety signal
    checkins(riley, [0])
    signal = SafetySignal.objects.create(member=riley, source=SafetySignal.Source.HELP_NOW)
    caseload = load_caseload(casey)
    assert [row.enrolment for row in caseload.rows] == [enrolment, other]
    first = caseload.rows[0].need
    assert first.urgent and first.reasons[0].code == logic.SAFETY
    assert first.reasons[0].text.startswith("Safety answer on ")
    SafetyFollowUp.objects.create(
        enrolment=enrolment, signal=signal, acknowledged_by=casey, acknowledged_by_name="Casey"
    )
    caseload = load_caseload(casey)
    assert [row.enrolment for row in caseload.rows] == [other, enrolment]
    assert logic.SAFETY not in row_for(caseload, enrolment).need.codes


def test_a_safety_signal_counts_only_when_the_consent_includes_alerts(harbor, riley, casey):
    scopes = [scope for scope in CASELOAD_SCOPES if scope != sharing.ALERTS]
    enrolment = enrol(riley, harbor, scopes=scopes)
    SafetySignal.objects.create(member=riley, source=SafetySignal.Source.HELP_NOW)
    need = row_for(load_caseload(casey), enrolment).need
    assert not need.urgent
    assert need.not_shared_names == ["safety answers", "alerts"]


def test_only_open_alerts_that_reached_the_care_team_count(harbor, enrolment, riley, casey):
    sponsor = make_tie(riley, "Jordan", "sponsor")
    to_sponsor = Alert.objects.create(member=riley, kind="craving")
    Notification.objects.create(
        alert=to_sponsor, rung=0, tie=sponsor, recipient_name="Jordan", channel="email"
    )
    assert logic.ALERT not in row_for(load_caseload(casey), enrolment).need.codes
    to_team = Alert.objects.create(member=riley, kind="sos", urgent=True)
    for recipient in ("Casey", "Olivia"):  # one alert, asked of two staff: counted once
        Notification.objects.create(
            alert=to_team, rung=0, tie=enrolment.tie, recipient_name=recipient, channel="in_app"
        )
    need = row_for(load_caseload(casey), enrolment).need
    assert need.urgent and [r.text for r in need.reasons if r.code == logic.ALERT][0].startswith("Open alert")
    to_team.status = "closed"
    to_team.save(update_fields=["status"])
    assert logic.ALERT not in row_for(load_caseload(casey), enrolment).need.codes


def test_each_signal_reaches_the_ranking_as_far_as_the_consent_reaches(harbor, riley, casey):
    enrolment = enrol(riley, harbor, scopes=[sharing.MOOD, sharing.RESULTS + "depression"])
    checkins(riley, [0, 1, 2, 3], craving=8, used=True)
    complete(riley, "phq9", answers_at("phq9", 0))
    need = row_for(load_caseload(casey), enrolment).need
    assert need.codes == {logic.CRAVING}  # the uses are not shared, so they never count
    assert "returns to use" in need.not_shared_names and "PHQ-9" not in need.not_shared_names
    assert "network contact" in need.not_shared_names and "check-ins" not in need.not_shared_names


def test_pillar_contact_comes_from_the_network_when_the_map_is_shared(harbor, enrolment, riley, casey):
    peer = make_tie(riley, "Morgan", "peer")
    make_interaction(riley, peer, days_ago=25)
    friend = make_tie(riley, "Alex", "friend")
    make_interaction(riley, friend, days_ago=2)
    checkins(riley, [0])
    need = row_for(load_caseload(casey), enrolment).need
    assert [r.text for r in need.reasons] == ["No contact with any peer for 3 weeks"]


def test_missed_sessions_and_unread_messages(harbor, enrolment, riley, casey):
    checkins(riley, [0])
    session(enrolment, harbor.counselor, days_ago=3, attendance="missed")
    session(enrolment, harbor.counselor, days_ago=10, attendance="missed")
    session(enrolment, harbor.counselor, days_ago=90, attendance="missed")
    session(enrolment, harbor.counselor, days_ago=17, attendance="attended")
    Message.objects.create(
        enrolment=enrolment, sender=riley, sender_name="Riley", from_member=True, body="hi"
    )
    ThreadRead.objects.create(enrolment=enrolment, user=casey, read_at=timezone.now())
    Message.objects.create(
        enrolment=enrolment,
        sender=riley,
        sender_name="Riley",
        from_member=True,
        body="are you there?",
        sent_at=timezone.now() + dt.timedelta(seconds=1),
    )
    Message.objects.create(
        enrolment=enrolment,
        sender=casey,
        sender_name="Casey",
        from_member=False,
        body="yes",
        sent_at=timezone.now() + dt.timedelta(seconds=2),
    )
    row = row_for(load_caseload(casey), enrolment)
    assert "Missed 2 sessions in the last 60 days" in [r.text for r in row.need.reasons]
    assert row.unread_messages == 1
    assert row.primary == harbor.counselor and row.team == (harbor.counselor,)


def test_every_member_read_is_audited_once_with_the_scopes_read(harbor, enrolment, riley, casey):
    before = AuditEvent.objects.filter(actor_id=casey.pk, action=sharing.SHARED_VIEW).count()
    load_caseload(casey)
    rows = AuditEvent.objects.filter(actor_id=casey.pk, action=sharing.SHARED_VIEW, subject_id=riley.pk)
    assert rows.count() - before == 1
    read = {code for ref in rows.values_list("object_ref", flat=True) for code in sharing.scopes_in_ref(ref)}
    assert read == {
        sharing.CHECKED_IN,
        sharing.MOOD,
        sharing.RETURNS_TO_USE,
        sharing.RESULTS + "depression",
        sharing.RESULTS + "anxiety",
        sharing.RESULTS + "recovery_monitor",
        sharing.NETWORK_MAP,
        sharing.ALERTS,
    }  # what the ranking reads: not the safety screen's results, which it does not


def test_filters_narrow_the_viewer_s_own_caseload(harbor, enrolment, colleague, riley, sam, casey):
    other = enrol(sam, harbor, primary=colleague)
    caseload = load_caseload(casey)
    assert [row.enrolment for row in caseload.rows] == [enrolment]  # casey is not on sam's team
    choices = staff_choices(casey)
    assert colleague in choices and harbor.counselor in choices
    assert harbor.admin not in choices  # administrators have no caseload
    assert load_caseload(casey, staff_id=colleague.pk).rows == []
    assert load_caseload(colleague.user, staff_id=colleague.pk).rows[0].enrolment == other
    checkins(riley, [9])
    caseload = load_caseload(casey, reason=logic.NO_CHECKIN)
    assert [row.enrolment for row in caseload.rows] == [enrolment]
    assert (caseload.shown, caseload.total) == (1, 1)
    assert load_caseload(casey, reason=logic.SAFETY).rows == []


def build_caseload(harbor, count: int, start: int) -> None:
    for n in range(start, start + count):
        member = new_member(n)
        enrolment = enrol(member, harbor)
        checkins(member, [0, 3, 8], craving=n % 11, used=n % 5 == 0)
        if n % 7 == 0:
            SafetySignal.objects.create(member=member, source=SafetySignal.Source.HELP_NOW)
        session(enrolment, harbor.counselor, days_ago=n % 50, attendance="missed")
        Message.objects.create(
            enrolment=enrolment, sender=member, sender_name="M", from_member=True, body="hello"
        )
        make_interaction(member, make_tie(member, "Peer", "peer"), days_ago=n % 40)


FRESH = 15  # load_caseload when every member's kept facts are current
READ_AND_KEEP = 7  # reading facts that are not: four reads of the members' data, the upsert in a savepoint


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_caseload(harbor, casey, django_assert_num_queries):
    build_caseload(harbor, 10, 0)
    complete(User.objects.get(display_name="Member 000"), "bam", answers_at("bam", 2))
    # On PostgreSQL the audit insert takes its chains' advisory locks first: one query more. The first
    # load reads every member's data through their consent and keeps it (with nothing kept yet, there is
    # nothing to check for changes, and the page's facts were just read: two queries fewer); later loads
    # read what was kept, which members changed anything since (a change counts from CHANGE_MARGIN
    # before the facts were read), and the kept facts of the page's members.
    with time_machine.travel(timezone.now() + CHANGE_MARGIN * 2, tick=False):
        with django_assert_num_queries(FRESH - 2 + READ_AND_KEEP + AUDIT_LOCK_QUERIES):
            assert len(load_caseload(casey).rows) == 10
        with django_assert_num_queries(FRESH + AUDIT_LOCK_QUERIES):
            assert len(load_caseload(casey).rows) == 10
    build_caseload(harbor, 55, 10)
    with time_machine.travel(timezone.now() + CHANGE_MARGIN * 2, tick=False):
        with django_assert_num_queries(FRESH + READ_AND_KEEP + AUDIT_LOCK_QUERIES):
            assert len(load_caseload(casey).rows) == 65
        with django_assert_num_queries(FRESH + AUDIT_LOCK_QUERIES):
            assert len(load_caseload(casey).rows) == 65


def test_a_member_enrolled_today_with_no_check_in_is_not_yet_out_of_touch(enrolment, casey):
    (row,) = load_caseload(casey).rows
    assert logic.NO_CHECKIN not in row.need.codes
    enrolment.started_at = timezone.now() - dt.timedelta(days=30)
    enrolment.save(update_fields=["started_at"])
    (row,) = load_caseload(casey).rows
    assert logic.NO_CHECKIN in row.need.codes
