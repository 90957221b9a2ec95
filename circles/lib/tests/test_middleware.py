"""Headers on every response, and a clear 413 when a request body is too large."""

import json

import pytest

from circles.lib.middleware import PERMISSIONS_POLICY

LIMIT = 10_000  # a small DATA_UPLOAD_MAX_MEMORY_SIZE for the tests


@pytest.fixture
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT


def test_every_response_turns_off_browser_features_circles_never_uses(client, riley, client_for):
    responses = [
        client.get("/accounts/login/"),
        client.get("/api/v1/ties"),  # 401
        client.get("/no-such-page/"),  # 404
        client_for(riley).get("/network/"),
    ]
    for response in responses:
        policy = response["Permissions-Policy"]
        assert policy == PERMISSIONS_POLICY
        features = dict(part.split("=") for part in policy.split(", "))
        for feature in ("camera", "microphone", "geolocation", "payment", "usb", "interest-cohort"):
            assert features[feature] == "()", feature
        assert features["browsing-topics"] == "()"
        assert "publickey-credentials-get" not in features  # passkeys keep the default (this site)


@pytest.mark.parametrize("debug", [False, True])
def test_a_page_form_too_large_gets_a_plain_413_page(riley, client_for, small_limit, settings, debug):
    settings.DEBUG = debug
    client = client_for(riley)
    response = client.post("/network/ties/new/", {"display_name": "Sam", "boundaries": "x" * LIMIT})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Too large to send" in page and "Please send less" in page
    assert len(page) < 2000 and "Traceback" not in page
    assert riley.ties.count() == 0


@pytest.mark.parametrize("debug", [False, True])
def test_an_api_body_too_large_gets_json_413(riley, client_for, small_limit, settings, debug):
    settings.DEBUG = debug
    body = json.dumps({"display_name": "Sam", "relationship": "friend", "boundaries": "x" * LIMIT})
    response = client_for(riley).post("/api/v1/ties", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "message": "What you sent is too large to take in at once. Please send less and try again.",
        "errors": {},
    }
    assert riley.ties.count() == 0


def test_a_declared_length_over_the_limit_is_refused_before_anything_is_read(client, small_limit):
    # The body is small, but the client says it is huge: answered without waiting for the rest.
    for path in ("/accounts/login/", "/api/v1/ties"):
        response = client.post(path, "{}", content_type="application/json", CONTENT_LENGTH=str(LIMIT + 1))
        assert response.status_code == 413, path


def test_a_body_within_the_limit_goes_through(riley, client_for, small_limit):
    body = json.dumps({"display_name": "Sam", "relationship": "friend", "boundaries": "x" * 100})
    response = client_for(riley).post("/api/v1/ties", body, content_type="application/json")
    assert response.status_code == 201, response.content
