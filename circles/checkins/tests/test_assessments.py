"""Questionnaires: answering, saving part-way, the safety path, FHIR export and imported wording."""

import copy
import json
import re

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from circles.checkins import definitions
from circles.checkins.models import Assessment, QuestionnaireDefinition, SafetySignal
from circles.checkins.tests.factories import answers_at, complete


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def start(client, code, **data):
    response = client.post(f"/checkins/questionnaires/{code}/start/", data)
    assert response.status_code == 302
    return response["Location"]


def test_phq9_on_the_pages_scores_and_records_the_definition(riley, client_for):
    client = client_for(riley)
    form_url = start(client, "phq9")
    answers = {f"q{n}": "2" for n in range(1, 9)} | {"q9": "0"}
    response = client.post(form_url, {**answers, "finish": "1"})
    assert response.status_code == 302 and response["Location"].endswith("/result/")
    assessment = Assessment.objects.get(member=riley)
    assert (assessment.total, assessment.band, assessment.flags) == (16.0, "moderately_severe", [])
    assert assessment.definition.builtin and assessment.definition.version == "1.0.0"
    assert assessment.scoring_version == "1"
    page = client.get(response["Location"]).content.decode()
    assert "16" in page and "Moderately severe" in page and "Help is available" not in page
    assert not SafetySignal.objects.exists()


def test_saving_part_way_keeps_answers_and_finishing_needs_every_one(riley, client_for):
    client = client_for(riley)
    form_url = start(client, "mspss")
    assert client.post(form_url, {"q1": "5", "q2": "6", "later": "1"}).status_code == 302
    assert Assessment.objects.get().answers == {"1": 5, "2": 6}
    # Continue resumes the same one, with the answers chosen.
    assert start(client, "mspss") == form_url
    page = client.get(form_url).content.decode()
    assert re.search(r'name="q1" value="5"[^>]*checked', page) and re.search(
        r'name="q2" value="6"[^>]*checked', page
    )
    response = client.post(form_url, {"q3": "4", "finish": "1"})
    assert response.status_code == 400 and "q4" in response.context["form"].errors
    # Not finished, but nothing given is lost: the new answer is kept with the earlier ones.
    assessment = Assessment.objects.get()
    assert assessment.answers == {"1": 5, "2": 6, "3": 4} and not assessment.is_complete


def test_a_self_harm_answer_offers_the_screener_and_records_a_signal_at_once(riley, client_for):
    client = client_for(riley)
    form_url = start(client, "phq9")
    # Saved part-way, not even finished: the signal is written and the resources shown already.
    client.post(form_url, {"q9": "1", "later": "1"})
    assert SafetySignal.objects.filter(member=riley, source="phq9_item9").count() == 1
    page = client.get(form_url).content.decode()
    assert "988" in page and "Answer the safety questions" in page
    answers = {f"q{n}": "1" for n in range(1, 10)}
    result_url = client.post(form_url, {**answers, "finish": "1"})["Location"]
    assert SafetySignal.objects.filter(source="phq9_item9").count() == 1  # once per questionnaire
    phq9 = Assessment.objects.get(instrument="phq9")
    assert phq9.flags == ["safety_item"]
    result = client.get(result_url).content.decode()
    assert (
        "988" in result and "not an emergency service" in result and "Answer the safety questions" in result
    )

    screener_url = start(client, "cssrs", after=phq9.pk)
    # Yes to question 2 reveals questions 3–5 before the screen can be finished.
    response = client.post(screener_url, {"q1": "true", "q2": "true", "finish": "1"})
    assert response["Location"] == screener_url
    assert {"q3", "q4", "q5", "q6"} <= set(client.get(screener_url).context["form"].fields)
    answers = {"q1": "true", "q2": "true", "q3": "true", "q4": "true", "q5": "false", "q6": "false"}
    result_url = client.post(screener_url, {**answers, "finish": "1"})["Location"]
    screen = Assessment.objects.get(instrument="cssrs")
    assert (screen.band, screen.offered_after_id) == ("high", phq9.pk)
    # "low" when questions 1 and 2 were saved, "high" once intent was answered: one signal each.
    tiers = list(
        SafetySignal.objects.filter(source="cssrs", assessment=screen).values_list("tier", flat=True)
    )
    assert sorted(tiers) == ["high", "low"]
    assert "988" in client.get(result_url).content.decode()


def test_a_negative_screen_records_no_further_signal(riley, client_for):
    client = client_for(riley)
    url = start(client, "cssrs")
    client.post(url, {"q1": "false", "q2": "false", "q6": "false", "finish": "1"})
    assert Assessment.objects.get().band == "none"
    assert not SafetySignal.objects.exists()


def test_i_need_help_now_shows_resources_and_records_a_signal(riley, client, client_for):
    anonymous = client.get("/help-now/")
    assert anonymous.status_code == 200 and "988" in anonymous.content.decode()
    response = client_for(riley).post("/help-now/")
    assert response.status_code == 200 and "988" in response.content.decode()
    assert SafetySignal.objects.get().source == "help_now"
    api = client_for(riley).post("/api/v1/help-now")
    assert api.status_code == 201 and api.json()["crisis_resources"][1]["phone"] == "988"
    assert SafetySignal.objects.count() == 2
    assert client.get("/api/v1/crisis-resources").json()[0]["phone"] == "911"


def test_crisis_resources_follow_the_deployments_region_and_survive_a_broken_file(
    riley, client_for, settings, tmp_path
):
    from circles.checkins import crisis

    own = tmp_path / "resources.json"
    own.write_text(
        json.dumps({"GB": {"en": [{"name": "Samaritans", "detail": "Any time", "phone": "116 123"}]}})
    )
    settings.CRISIS_RESOURCES_PATH, settings.CRISIS_REGION = str(own), "GB"
    crisis._load.cache_clear()
    assert "116 123" in client_for(riley).get("/help-now/").content.decode()
    assert crisis.check_crisis_resources(None) == []
    settings.CRISIS_RESOURCES_PATH = str(tmp_path / "missing.json")
    crisis._load.cache_clear()
    assert "988" in client_for(riley).get("/help-now/").content.decode()  # the built-in ones, never nothing
    assert crisis.check_crisis_resources(None)[0].id == "circles.E001"
    crisis._load.cache_clear()


# --- API ---------------------------------------------------------------------------------------


def test_api_answers_part_way_then_completes(riley, client_for):
    client = client_for(riley)
    first = post(
        client, "/api/v1/assessments", {"instrument": "gad7", "answers": {"1": 3}, "complete": False}
    )
    assert first.status_code == 201 and first.json()["status"] == "in_progress"
    rest = {str(n): 3 for n in range(2, 8)}
    done = client.patch(
        f"/api/v1/assessments/{first.json()['id']}",
        data=json.dumps({"answers": rest}),
        content_type="application/json",
    )
    body = done.json()
    assert (body["status"], body["total"], body["band"]) == ("completed", 21.0, "severe")
    assert body["questionnaire"] == "urn:circles:questionnaire:gad7|1.0.0"
    again = client.patch(f"/api/v1/assessments/{body['id']}", data="{}", content_type="application/json")
    assert again.status_code == 400 and "status" in again.json()["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"instrument": "phq9", "answers": {str(n): 1 for n in range(1, 9)}}, "answers.9"),
        ({"instrument": "phq9", "answers": {**{str(n): 1 for n in range(1, 10)}, "4": 7}}, "answers.4"),
        ({"instrument": "phq9", "answers": {**{str(n): 1 for n in range(1, 10)}, "10": 1}}, "answers.10"),
        ({"instrument": "cssrs", "answers": {"1": True, "2": False, "3": True, "6": False}}, "answers.3"),
        ({"instrument": "cssrs", "answers": {"1": 1, "2": False, "6": False}}, "answers.1"),
        ({"instrument": "nope", "answers": {}}, "instrument"),
    ],
)
def test_api_names_each_bad_answer_and_keeps_only_the_valid_ones(riley, client_for, body, field):
    response = post(client_for(riley), "/api/v1/assessments", body)
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    kept = Assessment.objects.filter(member=riley).first()
    assert SafetySignal.objects.exists() == (kept is not None and kept.safety)
    # Valid answers are kept part-way (never the refused one); with none valid, nothing is kept.
    assert kept is None or (not kept.is_complete and field.removeprefix("answers.") not in kept.answers)


def test_a_self_harm_answer_is_never_lost_to_a_blank_elsewhere(riley, client_for):
    client = client_for(riley)
    form_url = start(client, "phq9")
    answers = {f"q{n}": "1" for n in (1, 2, 3, 5, 6, 7, 8)} | {"q9": "3"}  # question 4 left blank
    response = client.post(form_url, {**answers, "finish": "1"})
    assert response.status_code == 400 and "q4" in response.context["form"].errors
    page = response.content.decode()
    assert "988" in page and "Answer the safety questions" in page
    assert SafetySignal.objects.get().source == "phq9_item9"
    assert Assessment.objects.get().answers["9"] == 3
    body = {"instrument": "cssrs", "answers": {"1": True, "2": True, "4": True}}
    api = post(client, "/api/v1/assessments", body)
    assert api.status_code == 400 and "answers.3" in api.json()["errors"]
    assert api.json()["crisis_resources"][1]["phone"] == "988"
    assert SafetySignal.objects.filter(source="cssrs", tier="high").exists()


def test_api_safety_answer_returns_crisis_resources(riley, mallory, client_for):
    answers = {str(n): 0 for n in range(1, 10)} | {"9": 2}
    body = post(client_for(riley), "/api/v1/assessments", {"instrument": "phq9", "answers": answers}).json()
    assert body["safety"] is True and body["crisis_resources"][1]["phone"] == "988"
    assert SafetySignal.objects.get().source == "phq9_item9"
    screen = {
        "instrument": "cssrs",
        "answers": {"1": False, "2": False, "6": False},
        "offered_after": body["id"],
    }
    assert post(client_for(riley), "/api/v1/assessments", screen).json()["offered_after_id"] == body["id"]
    theirs = post(client_for(mallory), "/api/v1/assessments", screen)
    assert theirs.status_code == 400 and "offered_after" in theirs.json()["errors"]


def test_audit_c_uses_the_members_cut_off(riley, client_for):
    client = client_for(riley)
    answers = {"1": 1, "2": 1, "3": 1}  # total 3
    assert "above_cutoff" in complete(riley, "auditc", answers).flags  # not stated: the lower cut-off
    client.patch(
        "/api/v1/checkin-settings",
        data=json.dumps({"screening_sex": "male"}),
        content_type="application/json",
    )
    assert "above_cutoff" not in complete(riley, "auditc", answers).flags


def test_schedules_can_be_changed(riley, client_for):
    client = client_for(riley)
    response = client.put(
        "/api/v1/measures/who5/schedule",
        data=json.dumps({"interval_days": 3}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["interval_days"] == 3
    off = client.put(
        "/api/v1/measures/phq9/schedule",
        data=json.dumps({"interval_days": None}),
        content_type="application/json",
    )
    assert off.json()["next_due"] is None
    bad = client.put(
        "/api/v1/measures/phq9/schedule",
        data=json.dumps({"interval_days": 0}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "interval_days" in bad.json()["errors"]
    page = client.post("/checkins/questionnaires/", {"gad7": "30", "who5": "3"})
    assert page.status_code == 302
    measures = {m["instrument"]: m["interval_days"] for m in client.get("/api/v1/measures").json()}
    assert (measures["gad7"], measures["who5"], measures["phq9"], measures["pacs"]) == (30, 3, None, None)


# --- FHIR --------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["phq9", "mspss", "bam", "who5", "cssrs", "auditc"])
def test_fhir_export_is_valid_r4_with_subscales_as_components(riley, client_for, code):
    assessment = complete(riley, code, answers_at(code, 2))
    bundle = client_for(riley).get(f"/api/v1/assessments/{assessment.pk}/fhir").json()
    Bundle.model_validate(bundle)
    response, observation = (entry["resource"] for entry in bundle["entry"])
    QuestionnaireResponse.model_validate(response)
    Observation.model_validate(observation)
    assert response["questionnaire"] == assessment.definition.canonical
    assert len(response["item"]) == len(assessment.answers)
    assert observation["derivedFrom"][0]["reference"] == bundle["entry"][0]["fullUrl"]
    if assessment.total is not None:
        assert observation["valueQuantity"]["value"] == assessment.total
    components = {
        c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in observation.get("component", [])
    }
    assert components == {f"{code}.{name}": value for name, value in assessment.subscales.items()}
    download = client_for(riley).get(f"/checkins/answers/{assessment.pk}/fhir.json")
    assert download["Content-Type"] == "application/fhir+json" and json.loads(download.content) == bundle


def test_phq9_export_uses_loinc_answer_codes(riley, client_for):
    assessment = complete(riley, "phq9", answers_at("phq9", 3))
    bundle = client_for(riley).get(f"/api/v1/assessments/{assessment.pk}/fhir").json()
    first = bundle["entry"][0]["resource"]["item"][0]["answer"][0]["valueCoding"]
    assert (first["system"], first["code"]) == ("http://loinc.org", "LA6571-9")
    assert bundle["entry"][1]["resource"]["code"]["coding"][0]["code"] == "44249-1"


# --- Imported wording --------------------------------------------------------------------------


def reworded(code: str, language: str = "es", version: str = "2.0") -> dict:
    resource = copy.deepcopy(definitions.builtin_resource(code))
    resource.update(language=language, version=version, title="Cuestionario")
    for number, item in enumerate(resource["item"]):
        item["text"] = f"Pregunta {number}"
        for option in item.get("answerOption", []):
            option["valueCoding"]["display"] = "Opción"
    return resource


def test_imported_wording_is_offered_and_scores_the_same(riley, deployment_admin, client_for):
    response = post(
        client_for(deployment_admin),
        "/api/v1/questionnaire-definitions",
        {"instrument": "phq9", "resource": reworded("phq9")},
    )
    assert response.status_code == 201 and response.json()["language"] == "es"
    answers = answers_at("phq9", 2)
    english = complete(riley, "phq9", answers)
    spanish_client = client_for(riley)
    spanish_client.cookies["django_language"] = "es"
    body = post(spanish_client, "/api/v1/assessments", {"instrument": "phq9", "answers": answers}).json()
    assert body["questionnaire"] == "urn:circles:questionnaire:phq9|2.0"
    assert (body["total"], body["band"]) == (english.total, english.band)
    form_url = start(spanish_client, "gad7")  # no Spanish GAD-7 imported: our own wording
    assert Assessment.objects.get(pk=form_url.split("/")[-2]).definition.builtin


def test_imports_with_the_wrong_structure_are_refused_with_reasons(deployment_admin, client_for):
    client = client_for(deployment_admin)
    missing = reworded("phq9")
    missing["item"] = missing["item"][:-1]
    response = post(client, "/api/v1/questionnaire-definitions", {"instrument": "phq9", "resource": missing})
    assert response.status_code == 400 and any('"9"' in m for m in response.json()["errors"]["resource"])
    rescored = reworded("gad7")
    for option in rescored["item"][0]["answerOption"]:
        option["extension"][0]["valueDecimal"] += 1
    response = post(client, "/api/v1/questionnaire-definitions", {"instrument": "gad7", "resource": rescored})
    assert response.status_code == 400 and response.json()["errors"]["resource"]
    not_fhir = {"resourceType": "Questionnaire", "item": "everything"}
    response = post(client, "/api/v1/questionnaire-definitions", {"instrument": "who5", "resource": not_fhir})
    assert response.status_code == 400
    wrong_kind = post(
        client, "/api/v1/questionnaire-definitions", {"instrument": "who5", "resource": reworded("gad7")}
    )
    assert wrong_kind.status_code == 400
    assert not QuestionnaireDefinition.objects.filter(builtin=False).exists()


def test_import_page_takes_a_file(deployment_admin, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(deployment_admin)
    upload = SimpleUploadedFile("who5.json", json.dumps(reworded("who5")).encode(), "application/json")
    response = client.post(
        "/checkins/questionnaires/import/", {"instrument": "who5", "questionnaire": upload, "activate": "on"}
    )
    assert response.status_code == 302
    garbage = SimpleUploadedFile("x.json", b"{not json", "application/json")
    response = client.post(
        "/checkins/questionnaires/import/", {"instrument": "who5", "questionnaire": garbage}
    )
    assert response.status_code == 400 and "questionnaire" in response.context["form"].errors
    duplicate = SimpleUploadedFile("who5.json", json.dumps(reworded("who5")).encode(), "application/json")
    response = client.post(
        "/checkins/questionnaires/import/", {"instrument": "who5", "questionnaire": duplicate}
    )
    assert response.status_code == 400
    assert QuestionnaireDefinition.objects.filter(builtin=False).count() == 1


def test_a_positive_screen_saved_part_way_is_recorded_at_once_and_rising_risk_adds_a_signal(
    riley, client_for
):
    client = client_for(riley)
    url = start(client, "cssrs")
    response = client.post(url, {"q1": "true", "later": "1"})
    assert response["Location"] == url  # back to the questions, with the resources shown
    assert "988" in client.get(url).content.decode()
    assert list(SafetySignal.objects.values_list("source", "tier")) == [("cssrs", "low")]
    api = client.patch(
        f"/api/v1/assessments/{url.split('/')[-2]}",
        data=json.dumps({"answers": {"2": True, "3": False, "4": True}, "complete": False}),
        content_type="application/json",
    ).json()
    assert api["safety"] is True and api["crisis_resources"]
    assert sorted(SafetySignal.objects.values_list("tier", flat=True)) == ["high", "low"]
    client.post(
        url,
        {
            "q1": "true",
            "q2": "true",
            "q3": "false",
            "q4": "true",
            "q5": "false",
            "q6": "false",
            "finish": "1",
        },
    )
    assert SafetySignal.objects.count() == 2  # finishing at the same tier adds nothing


def test_help_now_never_answers_with_an_error_page(riley, client):
    from django.test import Client

    pressed = client.post("/help-now/")  # session ended: resources, and a plain word that nobody was told
    assert pressed.status_code == 200 and "988" in pressed.content.decode()
    assert "nobody in Circles has been told" in pressed.content.decode()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(riley, backend="django.contrib.auth.backends.ModelBackend")
    refused = strict.post("/help-now/")  # no CSRF token: refused, but the resources are there
    assert refused.status_code == 403 and "988" in refused.content.decode()
    assert strict.post("/checkins/").status_code == 403  # other forms keep Django's own refusal
    assert not SafetySignal.objects.exists()


def test_changing_an_earlier_answer_never_leaves_the_screen_stuck(riley, client_for):
    client = client_for(riley)
    url = start(client, "cssrs")
    client.post(url, {"q1": "true", "q2": "true", "later": "1"})
    # The browser still sends questions 3–5 after question 2 changes to no; they are dropped.
    answers = {"q1": "false", "q2": "false", "q3": "true", "q4": "false", "q5": "false", "q6": "false"}
    response = client.post(url, {**answers, "finish": "1"})
    assert response.status_code == 302 and response["Location"].endswith("/result/")
    assert Assessment.objects.get().answers == {"1": False, "2": False, "6": False}


def test_recent_results_show_the_bam_subscales_it_is_scored_by(riley, client_for):
    """BAM has no total and no band: its row shows use, risk and protective factors, not "— —"."""
    bam = complete(riley, "bam", answers_at("bam", 1))
    page = client_for(riley).get("/checkins/questionnaires/").content.decode()
    row = re.search(rf'<a href="/checkins/answers/{bam.pk}/result/">.*?</tr>', page, re.S).group(0)
    for label, value in bam.subscale_rows:
        assert f"{label} {value:g}" in row
    assert not re.search(r"<td[^>]*>—</td><td[^>]*>—</td>", row)


def test_the_questionnaires_page_does_not_promise_what_sharing_may_undo(riley, client_for):
    """BARC-10 results may be shared with a supporter: the page points to who sees what."""
    page = client_for(riley).get("/checkins/questionnaires/").content.decode()
    assert "Only you see your answers" not in page
    assert 'href="/sharing/"' in page and "see who sees what" in page
