"""Names and titles with a right-to-left override or other invisible characters are refused, on the page
and in the API, with the same message."""

import json

import pytest

from circles.network.models import Commitment, Tie
from circles.network.tests.factories import make_tie
from circles.network.tests.test_tie_views import VALID

MESSAGE = "Please remove the invisible formatting characters from this name."
DISGUISED = "Mum\u202e reversed"


@pytest.fixture
def api(riley, client_for):
    client = client_for(riley)

    def send(method, url, data):
        return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")

    return send


@pytest.mark.parametrize("char", ["\u202e", "\u2067", "\u200f", "\u061c", "\u200b"])
def test_a_tie_name_with_invisible_characters_is_refused(riley, client_for, api, char):
    name = f"Sam{char}"
    response = api("post", "/api/v1/ties", {"display_name": name, "relationship": "friend"})
    assert response.status_code == 400
    assert response.json()["errors"]["display_name"] == [MESSAGE]
    page = client_for(riley).post("/network/ties/new/", {**VALID, "display_name": name})
    assert page.status_code == 400
    assert page.context["form"].errors == {"display_name": [MESSAGE]}
    assert MESSAGE in page.content.decode()
    assert not Tie.objects.exists()


def test_renaming_a_tie_is_checked_too(riley, api):
    tie = make_tie(riley, name="Sam")
    response = api("patch", f"/api/v1/ties/{tie.pk}", {"display_name": DISGUISED})
    assert response.status_code == 400 and response.json()["errors"]["display_name"] == [MESSAGE]
    tie.refresh_from_db()
    assert tie.display_name == "Sam"


def test_a_commitment_title_with_invisible_characters_is_refused(riley, client_for, api):
    tie = make_tie(riley)
    body = {"tie_id": tie.pk, "title": "Tuesday\u2066 group", "cadence": "every_n_days", "interval_days": 7}
    response = api("post", "/api/v1/commitments", body)
    assert response.status_code == 400 and response.json()["errors"]["title"] == [MESSAGE]
    assert not Commitment.objects.exists()


def test_names_in_right_to_left_scripts_are_welcome(riley, api):
    response = api("post", "/api/v1/ties", {"display_name": "محمد", "relationship": "friend"})
    assert response.status_code == 201
