"""The shipped Questionnaire files: valid FHIR, the structure scoring expects, and our own wording."""

import json
import re
from pathlib import Path

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from circles.checkins import logic

INSTRUMENTS_DIR = Path(logic.__file__).resolve().parent / "instruments"
FILES = sorted(INSTRUMENTS_DIR.glob("*.json"))
# Words that label people instead of describing use; Circles says "use" and "return to use".
STIGMATIZING = re.compile(
    r"\b(abuse\w*|addicts?|clean|dirty|junkies?|alcoholics?|relapse\w*)\b", re.IGNORECASE
)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def texts(resource: dict) -> list[str]:
    found = [resource.get("title", ""), resource.get("description", ""), resource.get("purpose", "")]
    for item in resource["item"]:
        found.append(item.get("text", ""))
        found.extend(option["valueCoding"].get("display", "") for option in item.get("answerOption", []))
    return found


def test_every_instrument_has_a_file_and_every_file_an_instrument():
    assert {path.stem for path in FILES} == set(logic.INSTRUMENTS)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_file_is_a_valid_fhir_questionnaire(path):
    resource = load(path)
    questionnaire = Questionnaire.model_validate(resource)
    assert questionnaire.status == "active"
    assert resource["id"] == path.stem
    assert resource["url"] == f"urn:circles:questionnaire:{path.stem}"
    assert resource["version"] == "1.0.0"
    assert resource["language"] == "en"
    assert resource["name"] and resource["title"] and resource["description"]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_file_has_the_structure_scoring_expects(path):
    expected = logic.INSTRUMENTS[path.stem].structure
    found = logic.structure_of(load(path))
    assert logic.structure_differences(expected, found) == []
    assert found == expected  # answer codes too, so a saved answer maps back to the same coding


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_every_question_and_answer_has_words(path):
    resource = load(path)
    for item in resource["item"]:
        assert item["text"].strip(), item["linkId"]
        assert item["required"] is True
        for option in item.get("answerOption", []):
            assert option["valueCoding"]["display"].strip(), item["linkId"]
            assert option["valueCoding"]["system"] in ("http://loinc.org", "urn:circles:answer")


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_wording_is_person_first(path):
    for text in texts(load(path)):
        assert not STIGMATIZING.search(text), text


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_link_ids_are_the_published_item_numbers(path):
    link_ids = [item["linkId"] for item in load(path)["item"]]
    if path.stem == "bam":
        assert link_ids == [str(n) for n in range(1, 18) if n != 7]
    elif path.stem == "cssrs":
        assert link_ids == ["1", "2", "3", "4", "5", "6", "6a"]
    else:
        assert link_ids == [str(n) for n in range(1, len(link_ids) + 1)]


def test_loinc_answer_codes_only_where_loinc_has_them():
    for path in FILES:
        for item in load(path)["item"]:
            for option in item.get("answerOption", []):
                coding = option["valueCoding"]
                assert (coding["system"] == "http://loinc.org") == coding["code"].startswith("LA"), path.stem
