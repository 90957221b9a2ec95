"""Importing questionnaire wording: who may, what the audit trail keeps, and the safety items' meaning.

An import changes what every member of the deployment reads, so only a deployment administrator
(a superuser) may import; an organization administrator may not. Every attempt is audited with the
SHA-256 of the file, and no import may change which answers raise a safety signal.
"""

import copy
import hashlib
import json

import pytest

from circles.audit.models import AuditEvent
from circles.checkins import definitions
from circles.checkins.models import QuestionnaireDefinition

URL = "/api/v1/questionnaire-definitions"
CHANGED_ITEM_9 = "How often did you feel rested this fortnight?"


def post(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def sha256_of(resource) -> str:
    """Computed here, not with the code under test: canonical JSON is sorted keys, no spaces, UTF-8."""
    text = json.dumps(resource, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def ours(code: str, version: str = "2.0") -> dict:
    resource = copy.deepcopy(definitions.builtin_resource(code))
    resource["version"] = version
    return resource


def item(resource: dict, link_id: str) -> dict:
    return next(entry for entry in resource["item"] if entry["linkId"] == link_id)


def imports() -> list[tuple]:
    return list(
        AuditEvent.objects.filter(action="questionnaire.import").values_list(
            "actor_id", "object_ref", "outcome"
        )
    )


def phq9_page_for(client) -> str:
    start = client.post("/checkins/questionnaires/phq9/start/")
    return client.get(start["Location"]).content.decode()


@pytest.mark.parametrize("persona", ["olivia", "mallory"])
def test_an_organization_admin_or_outsider_cannot_reword_item_9_for_everyone(personas, client_for, persona):
    """The attack as reported: new wording for item 9, sent by an organization administrator."""
    attacker = personas[persona]
    resource = ours("phq9")
    item(resource, "9")["text"] = CHANGED_ITEM_9
    response = post(client_for(attacker), {"instrument": "phq9", "resource": resource, "activate": True})
    assert response.status_code == 403
    assert "deployment administrator" in response.json()["message"]
    page = client_for(attacker).post(
        "/checkins/questionnaires/import/", {"instrument": "phq9", "questionnaire": _upload(resource)}
    )
    assert page.status_code == 403 and "deployment administrator" in page.content.decode()

    assert not QuestionnaireDefinition.objects.filter(builtin=False).exists()
    riley_sees = phq9_page_for(client_for(personas["riley"]))
    assert CHANGED_ITEM_9 not in riley_sees and item(ours("phq9"), "9")["text"] in riley_sees
    reference = f"questionnaire:phq9;sha256:{sha256_of(resource)}"
    assert imports() == [(attacker.pk, reference, "denied"), (attacker.pk, reference, "denied")]


def test_a_deployment_admin_rewording_item_1_is_accepted_audited_and_offered(
    deployment_admin, riley, client_for
):
    resource = ours("phq9")
    item(resource, "1")["text"] = "Little interest or pleasure in doing things"
    response = post(client_for(deployment_admin), {"instrument": "phq9", "resource": resource})
    assert response.status_code == 201, response.content
    assert imports() == [(deployment_admin.pk, f"questionnaire:phq9;sha256:{sha256_of(resource)}", "allowed")]
    assert "Little interest or pleasure in doing things" in phq9_page_for(client_for(riley))


def test_a_translation_of_item_9_that_keeps_its_codes_is_accepted(deployment_admin, client_for):
    resource = ours("phq9")
    resource["language"] = "es"
    item(resource, "9")["text"] = "Pensamientos de que estaría mejor muerto o de lastimarse de alguna manera"
    for option, words in zip(
        item(resource, "9")["answerOption"],
        ("Nunca", "Varios días", "Más de la mitad", "Casi todos"),
        strict=True,
    ):
        option["valueCoding"]["display"] = words
    assert post(client_for(deployment_admin), {"instrument": "phq9", "resource": resource}).status_code == 201


def _refused(client, instrument: str, resource: dict) -> list[str]:
    response = post(client, {"instrument": instrument, "resource": resource})
    assert response.status_code == 400, response.content
    return response.json()["errors"]["resource"]


def _swap(first: dict, second: dict, key: str) -> None:
    first[key], second[key] = second[key], first[key]


def test_phq9_item_9_answer_codes_cannot_change(deployment_admin, client_for):
    client = client_for(deployment_admin)
    swapped = ours("phq9")
    options = item(swapped, "9")["answerOption"]
    # "No days" would be coded as "Nearly every day" and the other way round; the values stay.
    _swap(options[0]["valueCoding"], options[3]["valueCoding"], "code")
    messages = _refused(client, "phq9", swapped)
    assert 'Item "9" decides whether Circles raises a safety signal' in messages[0]
    assert "LA6568-5" in messages[0]

    extra = ours("phq9")
    options = item(extra, "9")["answerOption"]
    # A fifth answer, worded as the worst one but worth 0: the set of values alone would not change.
    options.append({**copy.deepcopy(options[0]), "valueCoding": {**options[3]["valueCoding"]}})
    assert 'Item "9"' in _refused(client, "phq9", extra)[0]

    recoded = ours("phq9")
    for option in item(recoded, "9")["answerOption"]:
        option["valueCoding"] = {"system": "urn:example", "code": option["valueCoding"]["code"]}
    assert 'Item "9"' in _refused(client, "phq9", recoded)[0]

    assert not QuestionnaireDefinition.objects.filter(builtin=False).exists()
    assert [outcome for _actor, _ref, outcome in imports()] == ["denied"] * 3
    assert imports()[0][1] == f"questionnaire:phq9;sha256:{sha256_of(swapped)}"


def test_phq9_item_9_cannot_be_renumbered_or_moved(deployment_admin, client_for):
    client = client_for(deployment_admin)
    renamed = ours("phq9")
    item(renamed, "9")["linkId"] = "9b"
    assert 'Item "9" decides whether Circles raises a safety signal' in _refused(client, "phq9", renamed)[0]

    # Items 8 and 9 trade places: every linkId and value is where scoring expects it, but the
    # self-harm question now sits under linkId 8, whose answers raise nothing.
    traded = ours("phq9")
    eight, nine = item(traded, "8"), item(traded, "9")
    _swap(eight, nine, "text")
    _swap(eight, nine, "code")
    messages = _refused(client, "phq9", traded)
    assert any('Item "9"' in message and "44260-8" in message for message in messages)

    hidden = ours("phq9")
    item(hidden, "9")["readOnly"] = True
    assert 'Item "9"' in _refused(client, "phq9", hidden)[0]
    assert not QuestionnaireDefinition.objects.filter(builtin=False).exists()


def test_cssrs_trigger_answers_cannot_change(deployment_admin, client_for):
    client = client_for(deployment_admin)
    inverted = ours("cssrs")
    item(inverted, "4")["enableWhen"][0]["answerBoolean"] = False  # intent asked only after "no"
    assert 'Item "4" decides whether Circles raises a safety signal' in _refused(client, "cssrs", inverted)[0]

    # The intent question and the "wished you were no longer alive" question trade item codes.
    traded = ours("cssrs")
    _swap(item(traded, "1"), item(traded, "4"), "code")
    messages = _refused(client, "cssrs", traded)
    assert {message.split('"')[1] for message in messages} == {"1", "4"}

    optional = ours("cssrs")
    item(optional, "6a")["required"] = False
    assert 'Item "6a"' in _refused(client, "cssrs", optional)[0]

    as_choice = ours("cssrs")
    item(as_choice, "2").update(
        type="choice",
        answerOption=[
            {
                "valueCoding": {"code": "yes"},
                "extension": [{"url": definitions.logic.ORDINAL_URLS[0], "valueDecimal": 0}],
            },
            {
                "valueCoding": {"code": "no"},
                "extension": [{"url": definitions.logic.ORDINAL_URLS[0], "valueDecimal": 1}],
            },
        ],
    )
    assert 'Item "2"' in _refused(client, "cssrs", as_choice)[0]
    assert not QuestionnaireDefinition.objects.filter(builtin=False).exists()
    assert len(imports()) == 4


def test_a_cssrs_rewording_that_keeps_the_triggers_is_accepted(deployment_admin, client_for):
    resource = ours("cssrs")
    item(resource, "1")["text"] = (
        "In the past month, did you wish you were dead or could go to sleep and not wake up?"
    )
    assert (
        post(client_for(deployment_admin), {"instrument": "cssrs", "resource": resource}).status_code == 201
    )


@pytest.mark.parametrize("code", sorted(definitions.logic.INSTRUMENTS))
def test_our_own_files_keep_every_safety_item(code):
    assert definitions.safety_item_problems(code, definitions.builtin_resource(code)) == []


def _upload(resource: dict):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("q.json", json.dumps(resource).encode(), "application/json")
