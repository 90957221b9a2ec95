"""Consent records: every element Part 2 asks for, a new record for every change, printable and as FHIR."""

import base64
import datetime as dt

import pytest
import time_machine
from fhir.resources.R4B.consent import Consent as FhirConsent

from circles.audit.models import AuditEvent
from circles.lib.time import local_today
from circles.network.tests.factories import make_tie
from circles.sharing import logic
from circles.sharing.models import Consent
from circles.sharing.tests.factories import grant, link


@pytest.fixture
def tie(riley, sam):
    return link(riley, sam)


def sign(client, tie, **fields):
    data = {
        "scopes": ["mood", "checked_in"],
        "purpose": "So Sam can check on me",
        "signature_name": "Riley Example",
        **fields,
    }
    return client.post(f"/sharing/ties/{tie.pk}/", data, REMOTE_ADDR="198.51.100.4")


def test_signing_on_the_page_makes_a_record_with_every_element(riley, sam, tie, client_for):
    response = sign(
        client_for(riley), tie, expires_on=(local_today(riley) + dt.timedelta(days=30)).isoformat()
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.member == riley  # the person it is about
    assert consent.recipient_name == "Sam" and consent.recipient_account == sam  # the recipient
    assert consent.purpose == "So Sam can check on me"
    assert consent.scopes == ["checked_in", "mood"]  # ordered, as specific as the scopes
    assert consent.expires_on == local_today(riley) + dt.timedelta(days=30)
    assert "revoke" in consent.expiry_event
    assert consent.signature_name == "Riley Example" and consent.signed_address == "198.51.100.4"
    statement = consent.statement
    assert "Riley Example" in statement and "Circles" in statement  # who discloses
    assert str(logic.SCOPE_BY_CODE["mood"].description) in statement
    assert "revoke this consent at any time" in statement and "Stop sharing" in statement
    assert AuditEvent.objects.filter(
        action="consent.grant", subject=riley, object_ref=f"consent:{consent.pk}"
    ).exists()


def test_changing_makes_a_new_record_and_keeps_the_old_one(riley, tie, client_for):
    client = client_for(riley)
    sign(client, tie)
    sign(client, tie, scopes=["mood"])
    old, new = Consent.objects.order_by("id")
    assert old.superseded_at is not None and not old.is_live()
    assert new.superseded_at is None and new.is_live() and new.scopes == ["mood"]
    assert AuditEvent.objects.filter(action="consent.change", object_ref=f"consent:{new.pk}").exists()
    history = client.get(f"/sharing/ties/{tie.pk}/").content.decode()
    assert history.count("/sharing/consents/") >= 2


def test_stopping_is_one_step_and_is_itself_a_record(riley, tie, client_for):
    client = client_for(riley)
    sign(client, tie)
    assert client.post(f"/sharing/ties/{tie.pk}/revoke/").status_code == 302
    latest = Consent.objects.current().get(tie=tie)
    assert latest.revoked and latest.scopes == [] and not latest.is_live()
    assert AuditEvent.objects.filter(action="consent.revoke", subject=riley).count() == 1
    # Revoking again changes nothing and records nothing.
    client.post(f"/sharing/ties/{tie.pk}/revoke/")
    assert Consent.objects.filter(tie=tie).count() == 2


def test_choosing_nothing_is_a_revocation(riley, tie, client_for):
    client = client_for(riley)
    sign(client, tie)
    sign(client, tie, scopes=[])
    assert Consent.objects.current().get(tie=tie).revoked


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"signature_name": " "}, "signature_name"),
        ({"purpose": ""}, "purpose"),
        ({"expires_on": "2001-01-01"}, "expires_on"),
        ({"expires_on": "not a date"}, "expires_on"),
        ({"scopes": ["everything"]}, "scopes"),
        ({"purpose": "x" * 301}, "purpose"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_changes(riley, tie, client_for, fields, field):
    client = client_for(riley)
    sign(client, tie)
    response = sign(client, tie, **fields)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Consent.objects.filter(tie=tie).count() == 1 and Consent.objects.get().is_live()
    api = client.put(
        f"/api/v1/ties/{tie.pk}/consent",
        {"scopes": ["mood"], "purpose": "To help", "signature_name": "Riley Example", **fields},
        content_type="application/json",
    )
    assert api.status_code == 400 and api.json()["errors"]


def test_the_printable_record_and_fhir_consent(riley, tie, client_for):
    consent = grant(tie, ["mood", "results.depression"], expires_on=local_today(riley) + dt.timedelta(days=5))
    client = client_for(riley)
    page = client.get(f"/sharing/consents/{consent.pk}/").content.decode()
    for text in ("Riley Example", "Sam", "So that they can support me.", "In force now."):
        assert text in page
    resource = client.get(f"/sharing/consents/{consent.pk}/fhir.json").json()
    FhirConsent.model_validate(resource)
    assert resource["status"] == "active" and resource["provision"]["type"] == "permit"
    assert [c["coding"][0]["code"] for c in resource["provision"]["code"]] == ["mood", "results.depression"]
    assert resource["provision"]["period"]["end"]
    signed = base64.b64decode(resource["sourceAttachment"]["data"]).decode()
    assert consent.statement in signed and "Riley Example" in signed
    assert client.get(f"/api/v1/consents/{consent.pk}/fhir").json() == resource


def test_a_revocation_exports_as_an_inactive_deny(riley, tie):
    from circles.sharing.actions import do_revoke_consent
    from circles.sharing.fhir import consent_resource

    grant(tie, ["mood"])
    revocation = do_revoke_consent(tie, acting_user=riley)
    resource = consent_resource(revocation)
    FhirConsent.model_validate(resource)
    assert resource["status"] == "inactive" and resource["provision"]["type"] == "deny"


def test_an_expired_consent_is_shown_as_no_longer_in_force(riley, tie, client_for):
    consent = grant(tie, ["mood"], expires_on=local_today(riley))
    with time_machine.travel(dt.timedelta(days=2)):
        assert not Consent.objects.get(pk=consent.pk).is_live()
        page = client_for(riley).get(f"/sharing/consents/{consent.pk}/").content.decode()
        assert "No longer in force." in page


def test_deleting_a_tie_keeps_its_consent_history(riley, tie):
    from circles.network.actions import do_delete_tie

    consent = grant(tie, ["mood"])
    do_delete_tie(tie, acting_user=riley)
    consent.refresh_from_db()
    assert consent.tie is None and consent.recipient_name == "Sam" and not consent.is_live()


def test_an_ended_tie_cannot_be_given_a_new_consent(riley, client_for):
    from circles.network.actions import do_change_tie_status

    tie = make_tie(riley, "Chris")
    do_change_tie_status(tie, "ended", note="", acting_user=riley)
    response = sign(client_for(riley), tie)
    assert response.status_code == 400 and not Consent.objects.exists()


def test_the_access_history_shows_who_looked_at_what(riley, sam, tie, client_for):
    grant(tie, ["mood"])
    client_for(sam).get(f"/supporting/{riley.pk}/")
    page = client_for(riley).get("/sharing/access/").content.decode()
    assert "Sam" in page and str(logic.SCOPE_BY_CODE["mood"].label) in page and "Allowed" in page
    api = client_for(riley).get("/api/v1/access-history").json()
    by_others = [item for item in api["items"] if not item["action"].startswith("account.")]
    assert len(by_others) == 1 and by_others[0]["actor_name"] == "Sam"
    # Riley's own sign-ins are listed too, as hers.
    assert {item["actor_name"] for item in api["items"] if item["action"] == "account.signin"} == {"You"}
    # Someone else's attempt shows as refused.
    assert client_for(sam).get(f"/api/v1/supporting/{riley.pk}/shared/returns_to_use").status_code == 404
    newest = [
        item
        for item in client_for(riley).get("/api/v1/access-history").json()["items"]
        if not item["action"].startswith("account.")
    ]
    assert newest[0]["outcome"] == "denied"


def test_the_sharing_page_keeps_its_query_count_with_more_ties(riley, mallory, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from circles.accounts.models import User

    def add(member, n):
        person = User.objects.create_user(f"p{member.pk}-{n}@example.org", "x" * 12, display_name=f"P{n}")
        grant(link(member, person, name=f"P{n}"), ["mood"])

    add(riley, 0)
    for n in range(10):
        add(mallory, n)
    counts = []
    for member in (riley, mallory):
        client = client_for(member)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/sharing/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
