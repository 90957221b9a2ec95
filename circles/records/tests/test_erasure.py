"""Erasure: after it, the person's address and name appear nowhere in the database; the audit trail stays."""

import json

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test import Client

from circles.accounts.models import User
from circles.audit.models import AuditEvent
from circles.audit.trail import first_break
from circles.network.models import Interaction, Tie
from circles.records.tests.factories import member_with_everything
from conftest import PASSWORD

DISTINCTIVE_NAME = "Zephyrine Quillfeather"


def database_text():
    """Every value of every row of every table, as text (sessions decoded, since they are encoded)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 — names come from the database
            for row in cursor.fetchall():
                yield table, " ".join(str(value) for value in row if value is not None)
    for session in Session.objects.all():
        yield "django_session (decoded)", json.dumps(session.get_decoded())


def places_naming(*needles):
    needles = [needle.lower() for needle in needles]
    return sorted({table for table, text in database_text() if any(n in text.lower() for n in needles)})


@pytest.fixture
def everything(riley, sam, client_for):
    riley.display_name = DISTINCTIVE_NAME
    riley.save()
    member_with_everything(riley, sam)
    other_device = client_for(riley)
    assert other_device.get("/network/").status_code == 200
    # A failed log-in under riley's address, which django-axes keeps by address (after the log-in
    # above: a successful one clears earlier failures).
    Client().post("/accounts/login/", {"username": riley.email, "password": "not-it"})
    assert AccessAttempt.objects.filter(username=riley.email).exists()
    # Check the scan itself: before erasure it finds the person everywhere.
    assert {"accounts_user", "axes_accessattempt", "sharing_consent"} <= set(
        places_naming(riley.email, DISTINCTIVE_NAME)
    )
    return {"other_device": other_device, "id": riley.pk, "email": riley.email}


def test_erasure_leaves_no_trace_of_the_person(
    riley, sam, everything, client_for, django_capture_on_commit_callbacks
):
    client = client_for(riley)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/data/erase/", {"password": PASSWORD, "confirm": "erase"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "have been erased" in client.get("/").content.decode()

    assert places_naming(everything["email"], DISTINCTIVE_NAME) == []
    assert not User.objects.filter(pk=everything["id"]).exists()

    # The audit trail survives untouched, naming the account by its number only.
    actions = set(AuditEvent.objects.filter(subject_id=everything["id"]).values_list("action", flat=True))
    assert {"account.erase", "consent.grant", "invitation.send"} <= actions
    assert first_break() is None

    # Signed out here and on every other device; the password no longer opens anything.
    assert client.get("/network/").status_code == 302
    assert everything["other_device"].get("/network/").status_code == 302
    login = Client().post("/accounts/login/", {"username": everything["email"], "password": PASSWORD})
    assert login.status_code == 400

    # Confirmed by email, saying nothing about the person's health or circle.
    (message,) = mail.outbox
    assert message.to == [everything["email"]] and "erased" in message.subject
    for word in ("Marguerite", "alcohol", "PHQ", "mood", DISTINCTIVE_NAME):
        assert word not in message.body


def test_what_other_members_wrote_stays_theirs(riley, sam, everything, client_for):
    client_for(riley).post("/accounts/data/erase/", {"password": PASSWORD, "confirm": riley.email})
    # Sam's tie to the person stays in Sam's circle, no longer linked to any account.
    tie = Tie.objects.get(member=sam)
    assert tie.supporter_id is None and tie.display_name == "My friend from group"
    # The encouragement the person sent stays in Sam's contact log, from nobody.
    sent = Interaction.objects.get(member=sam, kind="encouragement")
    assert sent.sent_by_id is None and sent.message == "Keep going, you are doing great"
    # Sam's own records of Riley's circle are gone with it.
    assert not Interaction.objects.filter(sent_by=sam).exists()


@pytest.mark.parametrize(
    ("password", "confirm", "error"),
    [
        ("wrong-passphrase", "erase", "That is not your password"),
        (PASSWORD, "delete", "Type the word “erase” to confirm."),
        (PASSWORD, "", "This field is required."),
    ],
)
def test_wrong_input_erases_nothing(
    riley, client_for, django_capture_on_commit_callbacks, password, confirm, error
):
    client = client_for(riley)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/data/erase/", {"password": password, "confirm": confirm})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert User.objects.filter(pk=riley.pk).exists() and client.get("/network/").status_code == 200
    assert not AuditEvent.objects.filter(action="account.erase").exists()
    assert mail.outbox == []


def test_api_erasure(riley, sam, client_for, django_capture_on_commit_callbacks):
    client = client_for(riley)
    refused = client.post(
        "/api/v1/account/erase",
        data={"password": "guess", "confirm": "erase"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and list(refused.json()["errors"]) == ["password"]
    assert User.objects.filter(pk=riley.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/account/erase",
            data={"password": PASSWORD, "confirm": "ERASE"},
            content_type="application/json",
        )
    assert response.status_code == 204
    assert not User.objects.filter(pk=riley.pk).exists() and User.objects.filter(pk=sam.pk).exists()
    assert AuditEvent.objects.filter(action="account.erase", actor_id=riley.pk, subject_id=riley.pk).exists()
    assert [m.to for m in mail.outbox] == [[riley.email]]
    assert client.get("/api/v1/me").status_code == 401
