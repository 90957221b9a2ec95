"""Permission grid for check-ins and questionnaires: every URL and API operation × persona.

Only riley reads or changes riley's check-ins, answers and scores. Everyone else gets 404, never
200 or 403; signed-out visitors are sent to log in (pages) or get 401 (API). Importing questionnaire
wording is not about anyone's records: only a deployment administrator may, everyone else gets 403.
"""

import json

import pytest

from circles.checkins.models import Assessment, CheckIn, QuestionnaireDefinition, SafetySignal
from circles.checkins.tests.factories import riley_checkins
from circles.network.tests.test_permissions import call

OTHERS = ["sam", "casey", "olivia", "mallory"]


def page_routes(objects):
    phq9, saved = objects["phq9"].pk, objects["saved"].pk
    return [
        ("get", f"/checkins/answers/{phq9}/result/", {}, 200),
        ("get", f"/checkins/answers/{phq9}/fhir.json", {}, 200),
        ("get", f"/checkins/answers/{phq9}/", {}, 302),
        ("get", f"/checkins/answers/{saved}/", {}, 200),
        ("post", f"/checkins/answers/{saved}/", {"q1": "2", "later": "1"}, 302),
        ("post", "/checkins/questionnaires/cssrs/start/", {"after": phq9}, 302),
        ("post", f"/checkins/answers/{saved}/", {"discard": "1"}, 302),
    ]


def api_routes(objects):
    day, phq9, saved = objects["checkin"].day.isoformat(), objects["phq9"].pk, objects["saved"].pk
    return [
        ("get", f"/api/v1/checkins/{day}", None, 200),
        ("patch", f"/api/v1/checkins/{day}", {"mood": 2}, 200),
        ("get", f"/api/v1/assessments/{phq9}", None, 200),
        ("get", f"/api/v1/assessments/{phq9}/fhir", None, 200),
        ("get", f"/api/v1/assessments/{saved}", None, 200),
        ("patch", f"/api/v1/assessments/{saved}", {"answers": {"2": 1}, "complete": False}, 200),
        ("delete", f"/api/v1/assessments/{saved}", None, 204),
    ]


@pytest.mark.parametrize("routes", [page_routes, api_routes], ids=["pages", "api"])
@pytest.mark.parametrize("persona", OTHERS)
def test_others_get_404_for_everything_of_rileys(personas, client_for, persona, routes):
    objects = riley_checkins(personas["riley"])
    client = client_for(personas[persona])
    for method, url, data, _expected in routes(objects):
        response = call(client, method, url, data)
        assert response.status_code == 404, (persona, method, url, response.status_code)
    objects["checkin"].refresh_from_db()
    objects["saved"].refresh_from_db()
    assert objects["checkin"].mood == 6 and objects["saved"].answers == {"1": 1}
    assert not Assessment.objects.filter(instrument="cssrs").exists()


def test_riley_can_do_everything_on_her_pages(riley, client_for):
    objects = riley_checkins(riley)
    client = client_for(riley)
    for method, url, data, expected in page_routes(objects):
        response = call(client, method, url, data)
        assert response.status_code == expected, (method, url, response.status_code)


def test_riley_can_do_everything_in_the_api(riley, client_for):
    objects = riley_checkins(riley)
    client = client_for(riley)
    for method, url, data, expected in api_routes(objects):
        response = call(client, method, url, data)
        assert response.status_code == expected, (method, url, response.content)


@pytest.mark.parametrize("persona", OTHERS)
def test_lists_and_pages_show_only_ones_own(personas, client_for, persona):
    riley_checkins(personas["riley"])
    client = client_for(personas[persona])
    assert client.get("/api/v1/checkins").json() == []
    assert client.get("/api/v1/assessments").json() == []
    assert client.get("/api/v1/safety-signals").json() == []
    trajectory = client.get("/api/v1/trajectory").json()
    assert trajectory["checkins"] == [] and trajectory["instruments"] == []
    for url in ("/checkins/history/", "/checkins/questionnaires/", "/checkins/progress/", "/network/"):
        page = client.get(url).content.decode()
        assert "Marguerite" not in page and "a long walk" not in page, url
    # Their own today's check-in is a fresh form, not riley's.
    assert "Marguerite" not in client.get("/checkins/").content.decode()


def test_signed_out_visitors_are_sent_to_log_in(riley, client):
    objects = riley_checkins(riley)
    urls = [
        "/checkins/",
        "/checkins/history/",
        "/checkins/settings/",
        "/checkins/questionnaires/",
        "/checkins/progress/",
        "/checkins/questionnaires/import/",
    ] + [url for method, url, _data, _expected in page_routes(objects) if method == "get"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_signed_out_api_calls_get_401(riley, client):
    objects = riley_checkins(riley)
    routes = api_routes(objects) + [
        ("get", "/api/v1/checkins", None, 200),
        ("post", "/api/v1/checkins", {"mood": 1, "craving": 1, "stress": 1, "sleep_quality": 1}, 201),
        ("get", "/api/v1/assessments", None, 200),
        ("post", "/api/v1/assessments", {"instrument": "who5", "answers": {}}, 201),
        ("get", "/api/v1/trajectory", None, 200),
        ("get", "/api/v1/reminders", None, 200),
        ("get", "/api/v1/measures", None, 200),
        ("post", "/api/v1/help-now", None, 201),
        ("get", "/api/v1/safety-signals", None, 200),
        ("get", "/api/v1/checkin-settings", None, 200),
        ("get", "/api/v1/questionnaire-definitions", None, 200),
        ("post", "/api/v1/questionnaire-definitions", {"instrument": "who5", "resource": {}}, 201),
    ]
    for method, url, data, _expected in routes:
        response = call(client, method, url, data)
        assert response.status_code == 401, (method, url)
    assert CheckIn.objects.count() == 1 and not SafetySignal.objects.filter(source="help_now").exists()


@pytest.mark.parametrize("persona", ["riley", "sam", "casey", "olivia", "mallory"])
def test_only_a_deployment_admin_imports_wording(personas, client_for, persona, deployment_admin):
    """Everyone else, an organization administrator too, is told 403 with a reason; nothing changes."""
    client = client_for(personas[persona])
    page = client.get("/checkins/questionnaires/import/")
    assert page.status_code == 403 and "deployment administrator" in page.content.decode()
    response = client.post(
        "/api/v1/questionnaire-definitions",
        data=json.dumps({"instrument": "phq9", "resource": {"resourceType": "Questionnaire"}}),
        content_type="application/json",
    )
    assert response.status_code == 403 and "deployment administrator" in response.json()["message"]
    assert client.get("/api/v1/questionnaire-definitions").status_code == 403
    assert not QuestionnaireDefinition.objects.filter(builtin=False).exists()
    admin = client_for(deployment_admin)
    assert admin.get("/checkins/questionnaires/import/").status_code == 200
    assert admin.get("/api/v1/questionnaire-definitions").status_code == 200
