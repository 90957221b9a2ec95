"""The secure thread between a member and their care team: sending both ways, unread counts, notices that
carry no content, an ended enrolment's thread readable but closed, a flood stopped."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circles.accounts import push
from circles.audit.models import AuditEvent
from circles.care import threads
from circles.care.actions import MEMBER_MESSAGE_RATE, do_end_enrolment, do_mark_thread_read, do_send_message
from circles.care.models import Message, ThreadRead
from circles.care.tests.factories import enrol
from circles.care.threads import unread_counts
from circles.sharing.actions import do_revoke_consent

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
SECRET = "I drank on Saturday and I am scared"


@pytest.fixture(autouse=True)
def _notices_inline(monkeypatch):
    """The notice thread runs inline, so a test sees its email and push at once."""
    monkeypatch.setattr(threads, "in_background", lambda task: task())


def send(enrolment, body, *, by, from_member):
    return do_send_message(
        enrolment, body, from_member=from_member, origin="https://circles.example/", acting_user=by
    )


def test_the_member_writes_and_the_care_team_is_told_without_the_words(
    enrolment, riley, casey, client_for, django_capture_on_commit_callbacks
):
    url = f"/care/my-care/{enrolment.pk}/messages/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(riley).post(url, {"body": f"  {SECRET}  "})
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.body == SECRET and message.from_member and message.sender == riley
    assert AuditEvent.objects.filter(action="care.message.send", object_ref=f"message:{message.pk}").exists()
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == [casey.email]
    assert notice.subject == "A member of your caseload sent a message"
    text = notice.subject + notice.body
    assert "drank" not in text and "Riley" not in text and riley.email not in text
    assert f"http://testserver/care/enrolments/{enrolment.pk}/messages/" in notice.body


def test_the_care_team_answers_and_the_member_is_told_without_the_words(
    enrolment, riley, casey, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(casey).post(f"/care/enrolments/{enrolment.pk}/messages/", {"body": SECRET})
    assert response.status_code == 302
    assert not Message.objects.get().from_member
    notice = mail.outbox[0]
    assert notice.to == [riley.email]
    assert notice.subject == "You have a new message from your care team"
    assert "drank" not in notice.subject + notice.body and "Casey" not in notice.subject + notice.body
    page = client_for(riley).get(f"/care/my-care/{enrolment.pk}/messages/").content.decode()
    assert SECRET in page and "Casey" in page


def test_a_push_carries_no_words_either(
    enrolment, riley, casey, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(push, "has_push", lambda user: True)
    monkeypatch.setattr(push, "send_push", lambda user, message: sent.append((user, message)) or 1)
    with django_capture_on_commit_callbacks(execute=True):
        send(enrolment, SECRET, by=casey, from_member=False)
    [(user, message)] = sent
    assert user == riley
    assert message.title == "You have a new message from your care team"
    assert b"drank" not in message.payload() and b"Casey" not in message.payload()
    assert message.url.endswith(f"/care/my-care/{enrolment.pk}/messages/")
    assert mail.outbox == []  # a device took it: no email as well


def test_a_push_no_device_takes_falls_back_to_email(
    enrolment, riley, casey, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(user, message):
        raise push.PushFailed("gone", permanent=True)

    monkeypatch.setattr(push, "has_push", lambda user: True)
    monkeypatch.setattr(push, "send_push", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        send(enrolment, SECRET, by=casey, from_member=False)
    assert [notice.to for notice in mail.outbox] == [[riley.email]]


def test_a_failing_mail_server_does_not_lose_the_message(
    enrolment, riley, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(threads, "send_mail", down)
    with django_capture_on_commit_callbacks(execute=True):
        send(enrolment, "hello", by=riley, from_member=True)
    assert Message.objects.count() == 1


def test_unread_counts_are_messages_from_the_member_after_the_viewers_last_read(
    harbor, enrolment, riley, casey, sam, django_assert_num_queries
):
    other = enrol(sam, harbor)
    with time_machine.travel(NOW, tick=False):
        send(enrolment, "one", by=riley, from_member=True)
        send(enrolment, "two", by=riley, from_member=True)
        send(other, "hi", by=sam, from_member=True)
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        do_mark_thread_read(other, casey)
        send(enrolment, "reply", by=casey, from_member=False)  # the sender has read up to their own message
    with time_machine.travel(NOW + dt.timedelta(minutes=10), tick=False):
        send(other, "again", by=sam, from_member=True)
    with django_assert_num_queries(1):
        counts = unread_counts(casey, [enrolment.pk, other.pk])
    assert counts == {other.pk: 1}
    # Before casey's reply the two from riley were unread.
    ThreadRead.objects.filter(user=casey, enrolment=enrolment).delete()
    assert unread_counts(casey, [enrolment.pk, other.pk]) == {enrolment.pk: 2, other.pk: 1}
    # The member's side: messages from the care team after their own last read.
    assert unread_counts(riley, [enrolment.pk], from_member=False) == {enrolment.pk: 1}
    assert unread_counts(casey, []) == {}


def test_opening_a_thread_marks_it_read_and_is_audited(enrolment, riley, casey, client_for):
    send(enrolment, "hello", by=riley, from_member=True)
    assert unread_counts(casey, [enrolment.pk]) == {enrolment.pk: 1}
    assert client_for(casey).get(f"/care/enrolments/{enrolment.pk}/messages/").status_code == 200
    assert unread_counts(casey, [enrolment.pk]) == {}
    assert AuditEvent.objects.filter(
        action="care.message.view", actor_id=casey.pk, object_ref=f"enrolment:{enrolment.pk}"
    ).exists()


def test_after_the_enrolment_ends_the_member_reads_but_cannot_send(enrolment, riley, client_for):
    send(enrolment, "before", by=riley, from_member=True)
    do_end_enrolment(enrolment, acting_user=riley)
    client = client_for(riley)
    url = f"/care/my-care/{enrolment.pk}/messages/"
    page = client.get(url)
    assert page.status_code == 200 and "before" in page.content.decode()
    assert "not to send" in page.content.decode()
    refused = client.post(url, {"body": "after"})
    assert refused.status_code == 400 and "has ended" in refused.content.decode()
    assert Message.objects.count() == 1


def test_empty_or_too_long_messages_are_refused_with_a_message(enrolment, riley, client_for):
    client = client_for(riley)
    url = f"/care/my-care/{enrolment.pk}/messages/"
    assert client.post(url, {"body": "   "}).status_code == 400
    too_long = client.post(url, {"body": "x" * 4001})
    assert too_long.status_code == 400 and "x" * 4001 in too_long.content.decode()  # nothing typed is lost
    assert client.post(url, {"body": "x" * 4000}).status_code == 302


def test_a_flood_of_member_messages_is_stopped(enrolment, riley, client_for):
    client = client_for(riley)
    url = f"/care/my-care/{enrolment.pk}/messages/"
    allowed = int(MEMBER_MESSAGE_RATE.split("/")[0])
    for i in range(allowed):
        assert client.post(url, {"body": f"message {i}"}).status_code == 302
    assert client.post(url, {"body": "one more"}).status_code == 429
    assert Message.objects.count() == allowed


def test_the_inbox_lists_the_caseload_newest_first_with_unread_counts(
    harbor, enrolment, riley, casey, sam, client_for
):
    other = enrol(sam, harbor)
    with time_machine.travel(NOW, tick=False):
        send(enrolment, "first", by=riley, from_member=True)
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        send(other, "later", by=sam, from_member=True)
        send(other, "later again", by=sam, from_member=True)
    page = client_for(casey).get("/care/messages/").content.decode()
    assert page.index("Sam") < page.index("Riley")
    assert "2 unread" in page and "1 unread" in page
    assert "later" not in page  # the inbox names threads, not what they say


def test_the_inbox_is_bounded(harbor, casey, client_for, django_user_model):
    people = [
        django_user_model.objects.create(email=f"member{i}@example.org", display_name=f"Member {i}")
        for i in range(12)
    ]
    counts = []
    for group in (people[:2], people[2:]):
        for person in group:
            enrolment = enrol(person, harbor)
            send(enrolment, "hello", by=person, from_member=True)
        client = client_for(casey)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/care/messages/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_after_stop_sharing_the_member_is_told_the_care_team_cannot_read_and_cannot_send(
    enrolment, riley, client_for
):
    do_revoke_consent(enrolment.tie, acting_user=riley)
    client = client_for(riley)
    page = client.get(f"/care/my-care/{enrolment.pk}/messages/").content.decode()
    assert "cannot read messages" in page and 'type="submit"' not in page.split("</header>")[-1]
    response = client.post(f"/care/my-care/{enrolment.pk}/messages/", {"body": "Are you there?"})
    assert response.status_code == 400
    assert not Message.objects.filter(enrolment=enrolment).exists()
