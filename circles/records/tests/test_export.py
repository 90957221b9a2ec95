"""Export: every model with data about a person is in the download, and nobody else's private words are."""

import json

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from fhir.resources.R4B.bundle import Bundle

from circles.audit.models import AuditEvent
from circles.lib.personal_data import PersonalData
from circles.network.tests.factories import make_interaction, make_tie
from circles.records.export import (
    DECLARED,
    EXPORTERS,
    EXTRA_SECTIONS,
    NOT_MEMBER_DATA,
    check_declared_once,
    export_fhir,
    export_json,
)
from circles.records.tests.factories import member_with_everything
from conftest import PASSWORD

SECTIONS = [section.__name__ for section in [*EXPORTERS.values(), *EXTRA_SECTIONS]]


def test_every_model_is_exported_or_explained():
    for model in apps.get_models():
        assert model in EXPORTERS or model in NOT_MEMBER_DATA, (
            f"{model._meta.label}: list it in the sections of its app's personal_data.py, "
            "or in its not_member_data with the reason it holds nothing about a person"
        )
    assert not set(EXPORTERS) & set(NOT_MEMBER_DATA)
    assert len(set(SECTIONS)) == len(SECTIONS)


def test_each_app_declares_only_its_own_models():
    """Each app says what it keeps in its own personal_data.py; Django's and other libraries' models are
    explained by the app that uses them (accounts for sign-in, records for the model catalogue)."""
    assert {config.label for config, _part in DECLARED} >= {"accounts", "network", "checkins", "alerts"}
    for config, part in DECLARED:
        for model in [*part.sections, *part.not_member_data]:
            if model._meta.app_config.name.startswith("circles."):
                assert model._meta.app_config is config, f"{model._meta.label} is declared by {config.label}"


def test_a_model_declared_twice_is_refused():
    (accounts, part), *_rest = DECLARED
    assert accounts.label == "accounts"
    again = PersonalData(not_member_data={model: "again" for model in part.sections})
    with pytest.raises(ImproperlyConfigured, match="declared by accounts and again by accounts"):
        check_declared_once([(accounts, part), (accounts, again)])


@pytest.fixture
def everything(riley, sam, mallory):
    theirs = member_with_everything(riley, sam)
    mallorys_tie = make_tie(mallory, "Dana", "friend")
    make_interaction(mallory, mallorys_tie, note="Mallory's secret about Dana")
    return {
        "private_notes": [theirs["their_private_note"], theirs["process_note"], "Mallory's secret about Dana"]
    }


def test_every_section_has_the_members_rows_and_no_one_elses_private_words(riley, everything):
    document = export_json(riley)
    assert document["format_version"] == 1 and document["exported_at"]
    for name in SECTIONS:
        assert document[name], f"section {name} is empty"
    text = json.dumps(document)
    for note in everything["private_notes"]:
        assert note not in text
    # Secrets are never exported: the password hash, the session secret, token hashes, invitation nonces.
    riley.refresh_from_db()
    assert riley.password not in text and riley.session_secret not in text
    assert riley.tokens.get().token_hash not in text
    assert riley.totpdevice_set.get().key not in text
    recovery_codes = riley.staticdevice_set.get().token_set.values_list("token", flat=True)
    assert recovery_codes and all(code not in text for code in recovery_codes)
    assert all(invitation.nonce not in text for invitation in riley.invitations.all())
    assert "token_hash" not in text and "nonce" not in text and '"password"' not in text


def test_sections_carry_what_the_member_knows(riley, everything):
    document = export_json(riley)
    assert document["profile"][0]["email"] == riley.email
    parent = next(tie for tie in document["ties"] if tie["relationship"] == "parent")
    assert (parent["email"], parent["phone"], parent["boundaries"]) == (
        "marguerite@example.org",
        "+1 555 0100",
        "No calls after nine",
    )
    sponsor = next(tie for tie in document["ties"] if tie["relationship"] == "sponsor")
    assert sponsor["supporter_linked"] is True and "supporter_id" not in sponsor
    assert document["checkins"][0]["struggling_for"] == [parent["id"]]
    encouragement = next(row for row in document["contacts"] if row["kind"] == "encouragement")
    assert encouragement["message"] == "Proud of you this week" and encouragement["from_supporter"] is True
    assert "sent_by" not in encouragement and "Sam" not in json.dumps(document["contacts"])
    (sent,) = document["encouragement_sent"]
    assert set(sent) == {"occurred_at", "message"} and sent["message"] == "Keep going, you are doing great"
    consent = document["consents"][0]
    assert consent["statement"] and consent["signature_name"] == "Riley Signed"
    assert {row["action"] for row in document["access_history"]} >= {"invitation.send", "consent.grant"}


def test_fhir_bundle_has_every_resource_and_is_valid(riley, everything):
    bundle = export_fhir(riley)
    Bundle.model_validate(bundle)
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert set(kinds) == {
        "Patient",
        "RelatedPerson",
        "Consent",
        "QuestionnaireResponse",
        "Observation",
        "Organization",
        "CareTeam",
        "Appointment",
    }
    assert kinds.count("RelatedPerson") == 2
    assert kinds.count("Observation") == 2  # the PHQ-9 score and the day's check-in
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(set(urls)) == len(urls) and all(url.startswith("urn:uuid:") for url in urls)
    patient = bundle["entry"][0]["resource"]
    assert patient["identifier"] == [{"system": "urn:circles:member", "value": str(riley.pk)}]
    parent = next(
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"].get("name") == [{"text": "Marguerite"}]
    )
    assert parent["relationship"][0]["coding"][0]["code"] == "PRN"
    assert {"system": "phone", "value": "+1 555 0100"} in parent["telecom"]
    checkin = next(
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Observation"
        and entry["resource"]["code"]["text"] == "Daily check-in"
    )
    scores = {c["code"]["coding"][0]["code"]: c for c in checkin["component"]}
    assert scores["mood"]["valueQuantity"]["value"] == 6 and scores["used"]["valueBoolean"] is True
    for note in everything["private_notes"]:
        assert note not in json.dumps(bundle)
    # The consent to the organization names the Organization resource the bundle carries.
    organization = next(
        entry for entry in bundle["entry"] if entry["resource"]["resourceType"] == "Organization"
    )
    recipients = [
        entry["resource"]["provision"]["actor"][0]["reference"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Consent"
    ]
    assert organization["fullUrl"] in [recipient.get("reference") for recipient in recipients]


def test_fhir_bundle_puts_the_person_and_their_people_first(riley, everything):
    kinds = [entry["resource"]["resourceType"] for entry in export_fhir(riley)["entry"]]
    # The sponsor and the peer are related people; the organization riley is enrolled with is not.
    assert kinds[:5] == ["Patient", "RelatedPerson", "RelatedPerson", "Consent", "Consent"]
    assert kinds[5:7] == ["QuestionnaireResponse", "Observation"]  # a response, then its score


@pytest.mark.parametrize(
    ("data_format", "content_type"), [("json", "application/json"), ("fhir", "application/fhir+json")]
)
def test_download_after_the_password(
    riley, everything, client_for, django_capture_on_commit_callbacks, data_format, content_type
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(riley).post(
            "/accounts/data/export/", {"password": PASSWORD, "format": data_format}
        )
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith('attachment; filename="circles-data-')
    body = json.loads(response.content)
    if data_format == "json":
        assert body["profile"][0]["email"] == riley.email
    else:
        assert body["resourceType"] == "Bundle" and body["entry"][0]["resource"]["resourceType"] == "Patient"
    assert AuditEvent.objects.filter(
        action="account.export", actor_id=riley.pk, subject_id=riley.pk, object_ref=f"format:{data_format}"
    ).exists()
    (message,) = mail.outbox
    assert message.to == [riley.email] and "downloaded" in message.subject
    for health_word in ("Marguerite", "alcohol", "PHQ", "mood"):
        assert health_word not in message.body


def test_wrong_password_downloads_nothing(riley, everything, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(riley).post("/accounts/data/export/", {"password": "guess", "format": "json"})
    assert response.status_code == 400
    assert "Content-Disposition" not in response
    assert "That is not your password" in response.content.decode()
    assert "Marguerite" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="account.export").exists()
    assert mail.outbox == []


def test_unknown_format_is_refused(riley, client_for):
    response = client_for(riley).post("/accounts/data/export/", {"password": PASSWORD, "format": "xml"})
    assert response.status_code == 400 and "Content-Disposition" not in response


def test_api_export(riley, everything, client_for):
    client = client_for(riley)
    body = client.post(
        "/api/v1/account/export",
        data={"password": PASSWORD, "format": "json"},
        content_type="application/json",
    ).json()
    assert body["profile"][0]["email"] == riley.email and body["encouragement_sent"]
    response = client.post(
        "/api/v1/account/export",
        data={"password": PASSWORD, "format": "fhir"},
        content_type="application/json",
    )
    assert response["Content-Type"] == "application/fhir+json"
    Bundle.model_validate(response.json())
    refused = client.post(
        "/api/v1/account/export",
        data={"password": "guess", "format": "json"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"password": ["That is not your password. Please try again."]}
    assert AuditEvent.objects.filter(action="account.export", subject_id=riley.pk).count() == 2


def test_only_signed_in_people_reach_their_data(riley, client_for):
    anonymous = client_for(None)
    for url in ("/accounts/data/", "/accounts/data/export/", "/accounts/data/erase/"):
        response = anonymous.post(url, {"password": PASSWORD, "format": "json", "confirm": "erase"})
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for url in ("/api/v1/account/export", "/api/v1/account/erase"):
        payload = {"password": PASSWORD, "format": "json", "confirm": "erase"}
        assert anonymous.post(url, data=payload, content_type="application/json").status_code == 401
    assert client_for(riley).get("/accounts/data/export/").status_code == 405


def test_data_page_and_the_link_to_it(riley, client_for):
    client = client_for(riley)
    assert 'href="/accounts/data/"' in client.get("/accounts/settings/").content.decode()
    page = client.get("/accounts/data/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Download my data" in html and "Erase my account" in html
    assert html.count('id="id_export_password"') == 1 and html.count('id="id_erase_password"') == 1
