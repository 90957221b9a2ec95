"""Questionnaire definitions: the built-in files, the wording a member is offered, and checks on imports."""

import functools
import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from fhir.resources.R4B.questionnaire import Questionnaire
from pydantic import ValidationError as PydanticValidationError

from circles.checkins import logic
from circles.checkins.models import QuestionnaireDefinition

BUILTIN_DIR = Path(__file__).resolve().parent / "instruments"


@functools.cache
def builtin_resource(code: str) -> dict:
    """Circles' own wording of an instrument, as shipped in instruments/<code>.json."""
    return json.loads((BUILTIN_DIR / f"{code}.json").read_text(encoding="utf-8"))


def builtin_definition(code: str) -> QuestionnaireDefinition:
    """The database row for the built-in wording, created the first time it is needed."""
    resource = builtin_resource(code)
    definition, _created = QuestionnaireDefinition.objects.get_or_create(
        instrument=code,
        language=resource.get("language", "en"),
        version=resource["version"],
        builtin=True,
        defaults={"title": resource.get("title", code), "resource": resource},
    )
    return definition


def definition_for(code: str, language: str) -> QuestionnaireDefinition:
    """The wording to offer: the newest active imported one in the member's language, else our own.

    "es" is offered a Questionnaire marked "es" or a regional "es-MX".
    """
    base = language.split("-")[0].lower()
    imported = (
        QuestionnaireDefinition.objects.filter(instrument=code, builtin=False, active=True)
        .filter(Q(language__iexact=base) | Q(language__istartswith=f"{base}-"))
        .order_by("-created_at")
        .first()
    )
    return imported or builtin_definition(code)


MAX_DEPTH = 12  # questionnaires nest groups a few levels deep; anything far deeper is not one


def _shape_problems(value: object) -> list[str]:
    """NUL characters (which PostgreSQL cannot store) and absurd nesting, anywhere in the resource."""
    stack = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            return [_("The questionnaire is nested too deeply to be one.")]
        if isinstance(current, str) and "\x00" in current:
            return [_("Text may not contain NUL characters.")]
        if isinstance(current, dict):
            stack.extend((item, depth + 1) for item in [*current.keys(), *current.values()])
        elif isinstance(current, list):
            stack.extend((item, depth + 1) for item in current)
    return []


def _fhir_problems(resource: object) -> list[str]:
    if not isinstance(resource, dict):
        return [_("Send a FHIR Questionnaire as a JSON object.")]
    shape = _shape_problems(resource)
    if shape:
        return shape
    if resource.get("resourceType") != "Questionnaire":
        return [_("This is not a FHIR Questionnaire (resourceType must be “Questionnaire”).")]
    try:
        Questionnaire.model_validate(resource)
    except PydanticValidationError as error:
        return [
            _("%(where)s: %(problem)s")
            % {"where": ".".join(str(part) for part in e["loc"]) or "resource", "problem": e["msg"]}
            for e in error.errors()[:10]
        ]
    return []


def check_import(code: str, resource: object) -> dict:
    """Returns the resource when it can stand in for `code`; raises ValidationError naming what differs."""
    if code not in logic.INSTRUMENTS:
        raise ValidationError(
            {"instrument": _("Choose one of: %(codes)s.") % {"codes": ", ".join(logic.INSTRUMENTS)}}
        )
    problems = _fhir_problems(resource)
    if problems:
        raise ValidationError({"resource": problems})
    assert isinstance(resource, dict)  # noqa: S101 — _fhir_problems refused everything else
    if not resource.get("version"):
        raise ValidationError({"resource": [_("Give the questionnaire a version, so scores can name it.")]})
    if len(str(resource["version"])) > 40 or len(str(resource.get("language") or "")) > 16:
        raise ValidationError(
            {"resource": [_("Keep the version under 40 characters and the language code under 16.")]}
        )
    try:
        structure = logic.structure_of(resource)
    except logic.StructureError as error:
        raise ValidationError({"resource": [str(error)]}) from None
    differences = logic.structure_differences(logic.INSTRUMENTS[code].structure, structure)
    if differences:
        raise ValidationError({"resource": differences})
    return resource


def option_codings(resource: dict) -> dict[str, dict[int, dict]]:
    """For each choice item, its answer codings by ordinal value (to write answers back as FHIR)."""
    result: dict[str, dict[int, dict]] = {}
    for item in logic.flatten_items(resource.get("item", [])):
        by_value = {}
        for option in item.get("answerOption", []):
            value = logic.ordinal_value(option)
            if value is not None and "valueCoding" in option:
                by_value[value] = option["valueCoding"]
        if by_value:
            result[item["linkId"]] = by_value
    return result


def item_texts(resource: dict) -> dict[str, str]:
    return {item["linkId"]: item.get("text", "") for item in logic.flatten_items(resource.get("item", []))}


def option_labels(resource: dict) -> dict[str, list[tuple[int, str]]]:
    """Each choice item's (ordinal value, words shown) pairs in the definition's own order."""
    labels: dict[str, list[tuple[int, str]]] = {}
    for item in logic.flatten_items(resource.get("item", [])):
        pairs = []
        for option in item.get("answerOption", []):
            value = logic.ordinal_value(option)
            coding = option.get("valueCoding") or {}
            if value is not None:
                words = coding.get("display") or option.get("valueString") or coding.get("code") or str(value)
                pairs.append((value, str(words)))
        if pairs:
            labels[item["linkId"]] = pairs
    return labels
