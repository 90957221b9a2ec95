"""Questionnaire wording per organization: an administrator's import reaches only the organization's
actively enrolled members, stops reaching them when the enrolment ends, keeps the safety items' meaning,
is audited, and never changes a score."""

import copy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from circles.audit.models import AuditEvent, Outcome
from circles.care.actions import do_end_enrolment
from circles.care.tests.factories import enrol
from circles.checkins import definitions
from circles.checkins.models import QuestionnaireDefinition
from circles.checkins.tests.factories import answers_at, complete

HARBOR_WORDING = "At Harbor we ask: how often have you had little interest in doing things?"


def harbor_phq9(version: str = "harbor-1") -> dict:
    resource = copy.deepcopy(definitions.builtin_resource("phq9"))
    resource["version"] = version
    resource["item"][0]["text"] = HARBOR_WORDING
    return resource


def upload(resource) -> SimpleUploadedFile:
    import json

    return SimpleUploadedFile("q.json", json.dumps(resource).encode(), "application/json")


def import_for(client, organization, resource, instrument="phq9", activate=True):
    data = {"instrument": instrument, "questionnaire": upload(resource)}
    if activate:
        data["activate"] = "on"
    return client.post(reverse("care:organization_questionnaires", args=[organization.pk]), data)


@pytest.fixture
def imported(harbor, olivia, client_for):
    response = import_for(client_for(olivia), harbor.organization, harbor_phq9())
    assert response.status_code == 302, response.content[:500]
    return QuestionnaireDefinition.objects.get(builtin=False)


def test_the_wording_reaches_only_the_organizations_enrolled_members(imported, enrolment, riley, sam):
    assert imported.audience == f"organization:{enrolment.organization_id}"
    assert definitions.definition_for("phq9", "en", riley) == imported
    assert definitions.definition_for("phq9", "en", sam).builtin  # not enrolled: Circles' wording
    assert definitions.definition_for("phq9", "en").builtin  # nobody in particular
    assert definitions.definition_for("phq9", "es", riley).builtin  # another language


def test_the_member_sees_it_on_the_questionnaire_page(imported, enrolment, riley, sam, client_for):
    def page_for(user):
        client = client_for(user)
        start = client.post("/checkins/questionnaires/phq9/start/")
        return client.get(start["Location"]).text

    assert HARBOR_WORDING in page_for(riley)
    assert HARBOR_WORDING not in page_for(sam)


def test_it_stops_when_the_enrolment_ends(imported, enrolment, riley):
    do_end_enrolment(enrolment, acting_user=riley)
    assert definitions.definition_for("phq9", "en", riley).builtin


def test_another_organizations_members_keep_circles_wording(imported, elsewhere, mallory, riley, sam):
    enrol(sam, elsewhere)
    assert definitions.definition_for("phq9", "en", sam).builtin


def test_organization_wording_comes_before_the_deployments(imported, enrolment, riley, sam):
    everyone = copy.deepcopy(definitions.builtin_resource("phq9"))
    everyone["version"] = "deployment-2"
    deployment = QuestionnaireDefinition.objects.create(
        instrument="phq9", language="en", version="deployment-2", title="PHQ-9", resource=everyone
    )
    assert definitions.definition_for("phq9", "en", riley) == imported
    assert definitions.definition_for("phq9", "en", sam) == deployment


def test_scores_do_not_depend_on_the_wording(imported, enrolment, riley, sam):
    answers = answers_at("phq9", 2)
    ours, theirs = complete(sam, "phq9", answers), complete(riley, "phq9", answers)
    assert theirs.definition == imported and ours.definition.builtin
    assert (theirs.total, theirs.band, theirs.flags) == (ours.total, ours.band, ours.flags)


def test_the_safety_item_keeps_its_meaning(harbor, olivia, client_for):
    resource = harbor_phq9()
    nine = next(entry for entry in resource["item"] if entry["linkId"] == "9")
    options = nine["answerOption"]
    options[0]["valueCoding"]["code"], options[3]["valueCoding"]["code"] = (
        options[3]["valueCoding"]["code"],
        options[0]["valueCoding"]["code"],
    )
    response = import_for(client_for(olivia), harbor.organization, resource)
    assert response.status_code == 400
    assert "decides whether Circles raises a safety signal" in response.text
    assert not QuestionnaireDefinition.objects.filter(builtin=False).exists()
    event = AuditEvent.objects.get(action="organization.questionnaire_import")
    assert event.outcome == Outcome.DENIED and event.object_ref.endswith(
        f";organization:{harbor.organization.pk}"
    )


def test_an_import_is_audited_with_the_files_fingerprint(imported, harbor, olivia):
    event = AuditEvent.objects.get(action="organization.questionnaire_import", outcome=Outcome.ALLOWED)
    assert event.actor_id == olivia.pk
    assert event.object_ref == (
        f"{definitions.import_reference('phq9', harbor_phq9())};organization:{harbor.organization.pk}"
    )


def test_the_administrator_stops_and_resumes_offering_it(
    imported, enrolment, harbor, olivia, riley, client_for
):
    client = client_for(olivia)
    url = reverse("care:organization_questionnaire_active", args=[harbor.organization.pk, imported.pk])
    assert client.post(url, {"active": "0"}).status_code == 302
    assert definitions.definition_for("phq9", "en", riley).builtin
    assert client.post(url, {"active": "1"}).status_code == 302
    assert definitions.definition_for("phq9", "en", riley) == imported
    assert AuditEvent.objects.filter(action="organization.questionnaire_deactivate").exists()


def test_the_same_version_twice_is_refused_but_another_organization_may_use_it(
    imported, harbor, elsewhere, olivia, mallory, client_for
):
    assert import_for(client_for(olivia), harbor.organization, harbor_phq9()).status_code == 400
    assert import_for(client_for(mallory), elsewhere.organization, harbor_phq9()).status_code == 302


def test_a_deployment_import_does_not_switch_off_an_organizations_wording(imported, enrolment, riley):
    from circles.checkins.actions import _save_definition

    everyone = copy.deepcopy(definitions.builtin_resource("phq9"))
    everyone["version"] = "deployment-3"
    _save_definition("phq9", everyone, activate=True, acting_user=None)
    imported.refresh_from_db()
    assert imported.active and definitions.definition_for("phq9", "en", riley) == imported


def test_choosing_the_wording_takes_a_fixed_number_of_queries(
    imported, enrolment, riley, django_assert_num_queries
):
    with django_assert_num_queries(2):  # the member's enrolments, then the wording
        definitions.definition_for("phq9", "en", riley)


def test_a_questionnaire_saved_part_way_keeps_the_wording_it_started_with(imported, enrolment, riley):
    from circles.checkins.actions import do_start_assessment

    started = do_start_assessment(riley, "phq9", language="en")
    do_end_enrolment(enrolment, acting_user=riley)
    assert do_start_assessment(riley, "phq9", language="en") == started
    assert started.definition == imported
