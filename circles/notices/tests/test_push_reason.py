"""A reminder whose push failed records a coarse reason: the push service's error (its address, the
connection error) stays in the log, out of the SentNotice row the person's data download shows."""

import datetime as dt

import time_machine

from circles.accounts import push
from circles.notices import sending
from circles.notices.models import SentNotice
from circles.notices.sending import send_due_reminders
from circles.notices.tests.factories import prefer


def test_a_failed_push_records_only_that_it_failed(riley, monkeypatch):
    def failing(user, message):
        raise push.PushFailed(
            "push: ConnectionRefusedError: [Errno 111] fcm.googleapis.com/fcm/send/dEvIcE-ToKeN",
            destination_trouble=True,
        )

    monkeypatch.setattr(sending.push, "send_push", failing)
    prefer(riley, checkin_on=True, checkin_channel="push")
    moment = dt.datetime(2026, 6, 11, 0, 0, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        sum(send_due_reminders(moment))
    notice = SentNotice.objects.get()
    assert (notice.status, notice.reason) == ("not_delivered", "push: failed")
