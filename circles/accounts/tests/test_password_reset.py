"""Password reset by email: the same answer, the same work, for any address; sent by the worker."""

import re

from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from circles.accounts.models import User
from circles.accounts.outbox import send_pending_account_emails
from circles.audit.models import AuditEvent


def test_reset_by_email_end_to_end(riley, client, django_capture_on_commit_callbacks):
    response = client.post("/accounts/password-reset/", {"email": riley.email})
    assert response.status_code == 302
    assert mail.outbox == []  # the request only queues it
    send_pending_account_emails()
    (message,) = mail.outbox
    assert message.to == [riley.email]
    assert "expires in 60 minutes" in message.body
    link = re.search(r"http://127.0.0.1:8000(/accounts/password-reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    new_password = "fresh-meadow-compass-9"
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}
        )
    assert done.status_code == 302
    assert User.objects.get(pk=riley.pk).check_password(new_password)
    # The link works once.
    assert "already been used or has expired" in client.get(link, follow=True).content.decode()
    # Audited, and the person is told.
    assert AuditEvent.objects.filter(action="account.password.reset", subject=riley).exists()
    assert "password of your Circles account was reset" in mail.outbox[-1].body


def test_unknown_address_gets_the_same_answer_from_the_same_work(riley, db):
    """No account lookup happens in the request: the same queries and the same redirect for a known and
    an unknown address, so neither the answer nor its timing tells them apart."""
    answers, queries = [], []
    for n, address in enumerate((riley.email, "nobody@example.org")):
        with CaptureQueriesContext(connection) as captured:
            answers.append(
                Client(REMOTE_ADDR=f"198.51.100.{n}").post("/accounts/password-reset/", {"email": address})
            )
        queries.append(
            [
                re.sub(r"SAVEPOINT \S+|\(.*", "…", q["sql"])
                for q in captured.captured_queries
                if "cache" not in q["sql"]
            ]
        )
    assert answers[0].status_code == answers[1].status_code == 302
    assert answers[0]["Location"] == answers[1]["Location"]
    assert queries[0] == queries[1]
    assert not any("accounts_user" in sql for sql in queries[0])
    send_pending_account_emails()
    assert [m.to for m in mail.outbox] == [[riley.email]]


def test_reset_emails_are_rate_limited(riley, db):
    """Ten reset emails to one person in a second was possible; now the fourth request in an hour waits."""
    for n in range(3):
        assert (
            Client(REMOTE_ADDR=f"198.51.100.{n}")
            .post("/accounts/password-reset/", {"email": riley.email})
            .status_code
            == 302
        )
    refused = Client(REMOTE_ADDR="198.51.100.9").post("/accounts/password-reset/", {"email": riley.email})
    assert refused.status_code == 429 and "Too many tries" in refused.content.decode()
    send_pending_account_emails()
    assert len(mail.outbox) == 3


def test_a_reset_confirms_an_unconfirmed_address(db):
    user = User.objects.create_user(
        "new@example.org", "old-password-long-1", display_name="N", email_verified_at=None
    )
    Client().post("/accounts/password-reset/", {"email": user.email})
    send_pending_account_emails()
    link = re.search(r"http://127.0.0.1:8000(/accounts/password-reset/\S+/)", mail.outbox[0].body).group(1)
    client = Client()
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "fresh-meadow-compass-9", "new_password2": "fresh-meadow-compass-9"},
    )
    user.refresh_from_db()
    assert user.email_verified_at is not None
