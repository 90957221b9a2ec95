"""The worker's reminder job: the right local time across DST, quiet hours, once and never twice,
each kind, the channels, the email's headers, and a query count that does not grow with people."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circles.accounts.models import User
from circles.checkins.tests.factories import make_checkin
from circles.network.tests.factories import make_commitment, make_tie
from circles.notices import sending
from circles.notices.models import CommitmentStart, SentNotice
from circles.notices.sending import read_unsubscribe_token, send_due_reminders
from circles.notices.tests.factories import prefer
from circles.sharing.actions import do_accept_invitation, do_send_encouragement
from circles.sharing.tests.factories import invite, link

NY = zoneinfo.ZoneInfo("America/New_York")
UTC = dt.UTC


def run(now: dt.datetime) -> int:
    with time_machine.travel(now, tick=False):
        return sum(send_due_reminders(now))


def at(year, month, day, hour, minute=0, zone=UTC) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=zone)


@pytest.fixture
def pushes(monkeypatch):
    """Push messages "sent", by user id; `accepted` is what send_push answers (an int or an exception)."""
    sent: list = []
    state = {"accepted": 1}

    def fake_send_push(user, message):
        if isinstance(state["accepted"], Exception):
            raise state["accepted"]
        sent.append((user.pk, message))
        return state["accepted"]

    monkeypatch.setattr(sending.push, "send_push", fake_send_push)
    return type("Pushes", (), {"sent": sent, "state": state})


@pytest.mark.parametrize(
    "local_day, utc_moment",
    [
        (dt.date(2026, 10, 31), at(2026, 11, 1, 0)),  # EDT, the day before the November change
        (dt.date(2026, 11, 2), at(2026, 11, 3, 1)),  # EST, the day after
        (dt.date(2026, 3, 7), at(2026, 3, 8, 1)),  # EST, the day before the March change
        (dt.date(2026, 3, 9), at(2026, 3, 10, 0)),  # EDT, the day after
    ],
)
def test_the_checkin_reminder_comes_at_20_00_local_on_both_sides_of_dst(riley, local_day, utc_moment):
    prefer(riley, checkin_on=True, checkin_at=dt.time(20, 0), checkin_channel="email")
    assert run(utc_moment - dt.timedelta(minutes=1)) == 0
    assert run(utc_moment) == 1
    assert run(utc_moment + dt.timedelta(minutes=1)) == 0  # once, never twice
    (email,) = mail.outbox
    assert email.subject == "Time for your check-in"
    assert SentNotice.objects.get().occurrence == local_day.isoformat()


def test_no_checkin_reminder_after_checking_in_today(riley):
    prefer(riley, checkin_on=True, checkin_at=dt.time(20, 0))
    moment = at(2026, 6, 11, 0, 5)  # 20:05 on 10 June in New York
    with time_machine.travel(moment, tick=False):
        make_checkin(riley)
    assert run(moment) == 0 and mail.outbox == []


def test_the_email_names_nothing_about_health_and_can_be_unsubscribed_in_one_click(riley, settings):
    settings.SITE_URL = "https://circles.example.org/"
    prefer(riley, checkin_on=True, checkin_at=dt.time(20, 0))
    run(at(2026, 6, 11, 0, 0))
    (email,) = mail.outbox
    assert email.to == [riley.email]
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = email.extra_headers["List-Unsubscribe"]
    assert header.startswith("<https://circles.example.org/notices/unsubscribe/") and header.endswith("/>")
    token = header.removeprefix("<https://circles.example.org/notices/unsubscribe/").removesuffix("/>")
    assert read_unsubscribe_token(token) == (riley.pk, "checkin")
    assert "https://circles.example.org/checkins/" in email.body
    assert header[1:-1] in email.body
    message = email.message()
    assert message["List-Unsubscribe"] == header


def test_a_reminder_in_quiet_hours_across_midnight_waits_until_they_end(riley, sam):
    prefer(riley, encouragement_on=True, quiet_from=dt.time(22, 0), quiet_until=dt.time(7, 0))
    tie = link(riley, sam, name="NA sponsor")
    sent_at = at(2026, 6, 10, 23, 30, NY)
    with time_machine.travel(sent_at, tick=False):
        do_send_encouragement(tie, "Thinking of you", acting_user=sam)
    assert run(sent_at + dt.timedelta(minutes=1)) == 0
    assert run(at(2026, 6, 11, 3, 0, NY)) == 0
    assert run(at(2026, 6, 11, 6, 59, NY)) == 0
    assert run(at(2026, 6, 11, 7, 0, NY)) == 1
    (email,) = mail.outbox
    # The subject (like a push title) can show on a lock screen: it names nobody, since the name the
    # member gave the supporter ("NA sponsor") could say what they are recovering from.
    assert email.subject == "Someone sent you encouragement"
    assert "NA sponsor" not in email.subject + email.body
    assert "Thinking of you" not in email.body  # the message itself stays in Circles


def test_a_commitment_reminder_goes_its_lead_time_before_and_is_dropped_once_pointless(riley):
    tie = make_tie(riley, "Group")
    tuesday = make_commitment(riley, tie, "Tuesday group", weekdays=[1], starts_on=dt.date(2026, 1, 1))
    early = make_commitment(riley, tie, "Early walk", weekdays=[1], starts_on=dt.date(2026, 1, 1))
    CommitmentStart.objects.create(commitment=tuesday, starts_at=dt.time(19, 0))
    CommitmentStart.objects.create(commitment=early, starts_at=dt.time(6, 30))
    prefer(
        riley,
        commitment_on=True,
        commitment_lead_minutes=60,
        quiet_from=dt.time(22, 0),
        quiet_until=dt.time(7, 0),
    )
    # 9 June 2026 is a Tuesday: the early walk's reminder (05:30) falls in quiet hours that end after it.
    for hour in range(0, 24):
        run(at(2026, 6, 9, hour, 0, NY))
    assert run(at(2026, 6, 9, 17, 59, NY)) == 0
    (notice,) = SentNotice.objects.all()
    assert notice.occurrence == f"{tuesday.pk}:2026-06-09"
    assert [e.subject for e in mail.outbox] == ["A commitment starts soon"]
    assert "Tuesday group" not in mail.outbox[0].body  # nor in the push: its name may say too much
    assert "starts at 7 p.m., your time." in mail.outbox[0].body


def test_an_accepted_invitation_is_told_once(riley, sam):
    prefer(riley, invitation_on=True)
    tie = make_tie(riley, "AA sponsor Sam", circle="inner")
    moment = at(2026, 6, 10, 15, 0)
    with time_machine.travel(moment, tick=False):
        invitation = invite(tie)
        do_accept_invitation(invitation.pk, invitation.nonce, acting_user=sam)
    mail.outbox.clear()
    assert run(moment + dt.timedelta(minutes=1)) == 1
    assert run(moment + dt.timedelta(minutes=2)) == 0
    assert [e.subject for e in mail.outbox] == ["Someone accepted your invitation"]
    assert "AA sponsor" not in mail.outbox[0].body


def test_a_due_questionnaire_is_told_once_per_due_date(riley):
    prefer(riley, questionnaire_on=True, questionnaire_at=dt.time(10, 0))
    riley.date_joined = at(2026, 6, 1, 12, 0)
    riley.save(update_fields=["date_joined"])
    assert run(at(2026, 6, 10, 9, 59, NY)) == 0
    first = run(at(2026, 6, 10, 10, 0, NY))
    assert first >= 1  # every scheduled questionnaire is due by now, each told once
    assert run(at(2026, 6, 10, 10, 1, NY)) == 0
    assert run(at(2026, 6, 11, 10, 0, NY)) == 0  # still the same due dates: not told again
    assert {e.subject for e in mail.outbox} == {"You have a questionnaire ready"}
    assert SentNotice.objects.filter(kind="questionnaire").count() == first


def test_nothing_is_sent_when_the_kind_is_off(riley, sam):
    prefer(riley, checkin_on=False, encouragement_on=False)
    tie = link(riley, sam)
    moment = at(2026, 6, 11, 0, 0)
    with time_machine.travel(moment, tick=False):
        do_send_encouragement(tie, "Hi", acting_user=sam)
    assert run(moment) == 0 and mail.outbox == []


def test_turning_a_kind_off_stops_it(riley):
    preferences = prefer(riley, checkin_on=True, checkin_at=dt.time(20, 0))
    assert run(at(2026, 6, 11, 0, 0)) == 1
    preferences.checkin_on = False
    preferences.save()
    assert run(at(2026, 6, 12, 0, 0)) == 0
    assert len(mail.outbox) == 1


def test_two_workers_never_send_one_notice_twice(riley):
    preferences = prefer(riley, checkin_on=True, checkin_at=dt.time(20, 0))
    moment = at(2026, 6, 11, 0, 0)
    with time_machine.travel(moment, tick=False):
        from circles.notices.due import due_now

        # Both read what is due before either sends; only the one whose claim is inserted sends.
        first = due_now([preferences], moment)
        second = due_now([preferences], moment)
        claims = [sending.claim(p, due) for p, due in first + second]
    assert [claim is not None for claim in claims] == [True, False]


def test_push_channel_sends_a_push_and_no_email(riley, pushes):
    prefer(riley, checkin_on=True, checkin_channel="push")
    run(at(2026, 6, 11, 0, 0))
    ((user_id, message),) = pushes.sent
    assert user_id == riley.pk and message.title == "Time for your check-in"
    assert message.url == "/checkins/" and not message.urgent
    assert mail.outbox == []
    assert SentNotice.objects.get().channel == "push"


def test_push_to_no_device_is_recorded_as_not_delivered(riley, pushes):
    pushes.state["accepted"] = 0
    prefer(riley, checkin_on=True, checkin_channel="push")
    run(at(2026, 6, 11, 0, 0))
    notice = SentNotice.objects.get()
    assert (notice.status, notice.reason) == ("not_delivered", "push: no device")
    assert mail.outbox == []


def test_push_else_email_falls_back_to_email_when_push_fails(riley, pushes):
    pushes.state["accepted"] = sending.push.PushFailed("gone")
    prefer(riley, checkin_on=True, checkin_channel="push_else_email")
    run(at(2026, 6, 11, 0, 0))
    notice = SentNotice.objects.get()
    assert (notice.status, notice.channel) == ("sent", "email")
    assert [e.subject for e in mail.outbox] == ["Time for your check-in"]


def test_a_mail_server_that_fails_is_recorded_and_not_retried(riley, settings, monkeypatch):
    prefer(riley, checkin_on=True)

    def refuse(self, *args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    run(at(2026, 6, 11, 0, 0))
    run(at(2026, 6, 11, 0, 1))
    notice = SentNotice.objects.get()
    assert notice.status == "not_delivered" and "OSError" in notice.reason


def test_the_query_count_does_not_grow_with_people(riley):
    def queries_for_everyone() -> int:
        # 12:00 UTC is early morning in New York: nothing is due, but every kind is looked at.
        moment = at(2026, 6, 10, 12, 0)
        with time_machine.travel(moment, tick=False), CaptureQueriesContext(connection) as captured:
            assert sum(send_due_reminders(moment)) == 0
        return len(captured)

    everything = dict(
        checkin_on=True, questionnaire_on=True, encouragement_on=True, commitment_on=True, invitation_on=True
    )

    def add(person):
        prefer(person, **everything)
        commitment = make_commitment(person, make_tie(person, "Group"), weekdays=[0])
        CommitmentStart.objects.create(commitment=commitment, starts_at=dt.time(19, 0))

    add(riley)
    one = queries_for_everyone()
    for n in range(15):
        add(
            User.objects.create(
                email=f"person{n}@example.org", display_name=f"Person {n}", timezone="America/Los_Angeles"
            )
        )
    assert queries_for_everyone() == one
    assert one <= 9  # the people, then at most one query per kind, then the notices already sent


def test_the_worker_runs_the_job_every_minute_and_old_rows_are_purged(riley):
    from circles.worker.jobs import PERIODIC_JOBS, PeriodicRunner, send_reminders

    assert (send_reminders, dt.timedelta(minutes=1)) in PERIODIC_JOBS
    prefer(riley, checkin_on=True, checkin_at=dt.time(20, 0))
    old = SentNotice.objects.create(person=riley, kind="checkin", occurrence="2026-01-01")
    SentNotice.objects.filter(pk=old.pk).update(created_at=at(2026, 1, 2, 1, 0))
    moment = at(2026, 6, 11, 0, 0)
    with time_machine.travel(moment, tick=False):
        assert PeriodicRunner([(send_reminders, dt.timedelta(minutes=1))]).run_due(moment) == 1
    assert [n.occurrence for n in SentNotice.objects.all()] == ["2026-06-10"]
    assert len(mail.outbox) == 1


def test_a_fault_in_push_is_recorded_and_the_others_still_get_theirs(riley, mallory, pushes):
    pushes.state["accepted"] = RuntimeError("bug")
    prefer(riley, checkin_on=True, checkin_channel="push")
    prefer(mallory, checkin_on=True, checkin_channel="email")
    assert run(at(2026, 6, 11, 0, 0)) == 2
    rileys = SentNotice.objects.get(person=riley)
    assert (rileys.status, rileys.reason) == ("not_delivered", "push: RuntimeError")
    assert [e.to for e in mail.outbox] == [[mallory.email]]


def test_an_unknown_time_zone_neither_loses_the_reminder_nor_stops_the_run(riley, sam):
    # A zone name that no longer exists (or never did): the person is reminded on UTC time.
    User.objects.filter(pk=riley.pk).update(timezone="Mars/Olympus_Mons")
    User.objects.filter(pk=sam.pk).update(timezone="UTC")
    prefer(riley, checkin_on=True, checkin_at=dt.time(20, 0))
    prefer(sam, checkin_on=True, checkin_at=dt.time(20, 0))
    assert run(at(2026, 6, 10, 20, 0)) == 2
    assert sorted(e.to[0] for e in mail.outbox) == sorted([riley.email, sam.email])
    assert set(SentNotice.objects.values_list("status", flat=True)) == {"sent"}


def test_a_commitment_reminder_is_not_sent_once_the_commitment_started_during_the_run(riley, monkeypatch):
    tie = make_tie(riley, "Group")
    commitment = make_commitment(riley, tie, "Tuesday group", weekdays=[1], starts_on=dt.date(2026, 1, 1))
    CommitmentStart.objects.create(commitment=commitment, starts_at=dt.time(19, 0))
    prefer(riley, checkin_on=True, checkin_at=dt.time(18, 0), commitment_on=True, commitment_lead_minutes=60)
    start = at(2026, 6, 9, 18, 59, NY)  # a Tuesday: both are due, the commitment starts in a minute
    send = sending.EmailMessage.send
    with time_machine.travel(start, tick=False) as traveller:

        def slow_send(message, *args, **kwargs):  # the check-in reminder's mail server takes two minutes
            traveller.shift(dt.timedelta(minutes=2))
            return send(message, *args, **kwargs)

        monkeypatch.setattr(sending.EmailMessage, "send", slow_send)
        assert sum(send_due_reminders(start)) == 1
    assert [e.subject for e in mail.outbox] == ["Time for your check-in"]
    assert not SentNotice.objects.filter(kind="commitment").exists()


def test_a_fault_with_one_notice_does_not_stop_the_others(riley, sam, monkeypatch):
    User.objects.filter(pk__in=[riley.pk, sam.pk]).update(timezone="UTC")
    prefer(riley, checkin_on=True, checkin_at=dt.time(20, 0))
    prefer(sam, checkin_on=True, checkin_at=dt.time(20, 0))
    wording, calls = sending.wording, []

    def faulty(due, zone):
        calls.append(due)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return wording(due, zone)

    monkeypatch.setattr(sending, "wording", faulty)
    assert run(at(2026, 6, 10, 20, 0)) == 1
    assert len(mail.outbox) == 1
    assert sorted(SentNotice.objects.values_list("status", flat=True)) == ["not_delivered", "sent"]
