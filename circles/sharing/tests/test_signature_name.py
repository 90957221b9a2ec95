"""A consent is signed with a typed name; a name disguised with invisible characters is refused."""

import pytest
from django.core.exceptions import ValidationError

from circles.sharing.actions import do_grant_consent
from circles.sharing.models import Consent
from circles.sharing.tests.factories import link

MESSAGE = "Please remove the invisible formatting characters from this name."


@pytest.fixture
def tie(riley, sam):
    return link(riley, sam)


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200e", "\ufeff"])
def test_a_signature_with_invisible_characters_is_refused(riley, tie, client_for, char):
    client = client_for(riley)
    fields = {
        "scopes": ["mood"],
        "purpose": "So Sam can check on me",
        "signature_name": f"Riley{char} Example",
    }
    page = client.post(f"/sharing/ties/{tie.pk}/", fields)
    assert page.status_code == 400
    assert page.context["form"].errors == {"signature_name": [MESSAGE]}
    api = client.put(f"/api/v1/ties/{tie.pk}/consent", fields, content_type="application/json")
    assert api.status_code == 400 and api.json()["errors"] == {"signature_name": [MESSAGE]}
    assert not Consent.objects.exists()


def test_the_record_refuses_it_whatever_the_caller(riley, tie):
    with pytest.raises(ValidationError) as refused:
        do_grant_consent(
            tie,
            scopes=["mood"],
            purpose="To help",
            expires_on=None,
            signature_name="Riley\u202e Example",
            acting_user=riley,
        )
    assert refused.value.message_dict["signature_name"] == [MESSAGE]
