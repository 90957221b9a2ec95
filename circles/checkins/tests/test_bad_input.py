"""Odd input anywhere in check-ins and questionnaires: a clear 4xx, never a 500, nothing saved lost."""

import copy
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from circles.checkins import definitions
from circles.checkins.models import CheckIn, CheckInSettings, QuestionnaireDefinition
from circles.checkins.tests.factories import complete, make_checkin
from circles.lib.time import local_today

BODY = {"mood": 5, "craving": 4, "stress": 6, "sleep_quality": 3}


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    "body",
    [
        {**BODY, "struggling_for": [2**70]},
        {**BODY, "struggling_for": [2**63]},
        {**BODY, "struggling_for": [0]},
        {**BODY, "mood": True},
        {**BODY, "mood": "5"},
        {**BODY, "day": "2026-02-30"},
        {**BODY, "struggling_for": "everyone"},
    ],
)
def test_checkin_api_refuses_odd_values(riley, client_for, body):
    response = post(client_for(riley), "/api/v1/checkins", body)
    assert response.status_code == 400, response.content
    assert response.json()["errors"]
    assert not CheckIn.objects.exists()


def test_checkin_page_refuses_odd_tie_ids(riley, client_for):
    form = {"mood": "1", "craving": "1", "stress": "1", "sleep_quality": "1"}
    for value in ("1180591620717411303424", "-1", "x"):
        response = client_for(riley).post("/checkins/", {**form, "struggling_for": [value]})
        assert response.status_code == 400 and "struggling_for" in response.context["form"].errors
    assert not CheckIn.objects.exists()


def test_a_second_save_of_the_same_day_is_harmless(riley, client_for):
    from circles.checkins.actions import do_save_checkin

    make_checkin(riley)
    twin = CheckIn(member=riley, day=local_today(riley), mood=1, craving=1, stress=1, sleep_quality=1)
    with pytest.raises(Exception) as caught:
        do_save_checkin(twin, [], acting_user=riley)
    assert "day" in caught.value.message_dict
    assert CheckIn.objects.get(member=riley).mood == 6


def test_recovery_dates_must_be_plausible(riley, client_for):
    client = client_for(riley)
    for day in ("0001-01-01", "1900-01-01", "2999-01-01"):  # 1900-01-01: a date picker left at its start
        response = client.patch(
            "/api/v1/checkin-settings",
            data=json.dumps({"count_days": True, "recovery_started_on": day}),
            content_type="application/json",
        )
        assert response.status_code == 400 and "recovery_started_on" in response.json()["errors"]
    assert not CheckInSettings.objects.exists()


def _import(client, resource, instrument="who5"):
    return post(client, "/api/v1/questionnaire-definitions", {"instrument": instrument, "resource": resource})


def test_imports_with_odd_shapes_are_refused_not_crashed(deployment_admin, client_for):
    client = client_for(deployment_admin)
    base = definitions.builtin_resource("who5")
    long_version = {**copy.deepcopy(base), "version": "9" * 41}
    nul_inside = copy.deepcopy(base)
    nul_inside["item"][0]["text"] = "a\x00b"
    deep: dict = {"linkId": "g", "type": "group", "item": []}
    node = deep
    for _ in range(300):
        child: dict = {"linkId": "g", "type": "group", "item": []}
        node["item"].append(child)
        node = child
    nested = {**copy.deepcopy(base), "item": [deep]}
    no_coding = copy.deepcopy(base)
    for option in no_coding["item"][0]["answerOption"]:
        option.pop("valueCoding")
    odd_operator = copy.deepcopy(definitions.builtin_resource("cssrs"))
    odd_operator["item"][2]["enableWhen"][0]["operator"] = "exists"
    for resource in (long_version, nul_inside, nested, no_coding, [1, 2], "x", {"item": []}):
        response = _import(client, resource)
        assert response.status_code == 400, (str(resource)[:60], response.content[:200])
    assert _import(client, odd_operator, "cssrs").status_code == 400
    assert not QuestionnaireDefinition.objects.filter(builtin=False).exists()


def test_import_page_refuses_odd_files(deployment_admin, client_for):
    client = client_for(deployment_admin)
    for content in (b"[" * 100_000, b"\xff\xfe", b"null"):
        upload = SimpleUploadedFile("q.json", content, "application/json")
        response = client.post(
            "/checkins/questionnaires/import/", {"instrument": "who5", "questionnaire": upload}
        )
        assert response.status_code == 400
    with_bom = SimpleUploadedFile(
        "q.json",
        b"\xef\xbb\xbf" + json.dumps({**definitions.builtin_resource("who5"), "version": "bom"}).encode(),
    )
    response = client.post(
        "/checkins/questionnaires/import/", {"instrument": "who5", "questionnaire": with_bom}
    )
    assert response.status_code == 302


def test_regional_language_codes_are_offered(riley, deployment_admin, client_for):
    resource = {**copy.deepcopy(definitions.builtin_resource("who5")), "language": "es-MX", "version": "mx"}
    assert _import(client_for(deployment_admin), resource).status_code == 201
    assert definitions.definition_for("who5", "es").version == "mx"
    assert definitions.definition_for("who5", "en").builtin


def test_fhir_export_of_wording_without_text(riley, deployment_admin, client_for):
    resource = copy.deepcopy(definitions.builtin_resource("who5"))
    resource.update(language="en", version="no-text")
    for item in resource["item"]:
        item.pop("text")
    assert _import(client_for(deployment_admin), resource).status_code == 201
    assessment = complete(riley, "who5")
    assert assessment.definition.version == "no-text"
    assert client_for(riley).get(f"/api/v1/assessments/{assessment.pk}/fhir").status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/api/v1/assessments/99999999999999999999999", "/checkins/answers/99999999999999999999999/"],
)
def test_huge_ids_in_addresses(riley, client_for, url):
    assert client_for(riley).get(url).status_code in (400, 404)
