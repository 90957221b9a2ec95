"""Questionnaire definitions: the built-in files, the wording a member is offered, and checks on imports."""

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Q, When
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


# Groups of members that wording can be imported for, beyond the whole deployment. An app above checkins
# registers a function answering "which audiences is this member in now?" (care: the organizations the
# member is actively enrolled with, as "organization:<id>"); checkins never knows what an audience is.
AudienceProvider = Callable[[object], Iterable[str]]
_audience_providers: list[AudienceProvider] = []


def register_audience_provider(provider: AudienceProvider) -> None:
    """Called once from an app's ready(); registering the same function again changes nothing."""
    if provider not in _audience_providers:
        _audience_providers.append(provider)


def audiences_of(member) -> list[str]:
    """Every audience the member is in now, as the registered providers answer (one query each)."""
    if member is None or not getattr(member, "is_authenticated", False):
        return []
    return sorted({audience for provider in _audience_providers for audience in provider(member) if audience})


def definition_for(code: str, language: str, member=None) -> QuestionnaireDefinition:
    """The wording to offer: the newest active imported one in the member's language, else our own.

    An import for an audience the member is in now (an organization they are enrolled with) comes before
    one for the whole deployment; a member outside every audience is offered only the latter. "es" is
    offered a Questionnaire marked "es" or a regional "es-MX". Scores never depend on which one.
    """
    base = language.split("-")[0].lower()
    audiences = audiences_of(member)
    imported = (
        QuestionnaireDefinition.objects.filter(instrument=code, builtin=False, active=True)
        .filter(Q(language__iexact=base) | Q(language__istartswith=f"{base}-"))
        .filter(Q(audience="") | Q(audience__in=audiences))
        .annotate(for_everyone=Case(When(audience="", then=1), default=0, output_field=IntegerField()))
        .order_by("for_everyone", "-created_at", "-id")
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


def may_import_questionnaires(user) -> bool:
    """Only a deployment administrator (a superuser) may change the wording every member sees.

    An organization administrator imports wording for their own organization's enrolled members only,
    from the organization's pages (circles/care), through actions.import_for_audience.
    """
    return bool(user.is_active and user.is_superuser)


def import_refusal() -> str:
    return _(
        "Only a deployment administrator can import questionnaire wording, because every member of this "
        "Circles would see it. Please ask whoever runs Circles for you."
    )


def definition_hash(resource: object) -> str:
    """SHA-256 of the definition as canonical JSON: sorted keys, no spaces, UTF-8."""
    canonical = json.dumps(resource, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def import_reference(code: object, resource: object | None) -> str:
    """The audit trail's name for an import: the instrument and the hash of the file, when there is one."""
    reference = f"questionnaire:{code if code in logic.INSTRUMENTS else 'unknown'}"
    return reference if resource is None else f"{reference};sha256:{definition_hash(resource)}"


# The items whose answers decide whether a safety signal is raised: PHQ-9 item 9 (logic.score) and every
# question of the C-SSRS screener (logic.risk_tier reads them all, through its skip logic).
SAFETY_ITEMS: dict[str, tuple[str, ...]] = {
    logic.SAFETY_ITEM[0]: (logic.SAFETY_ITEM[1],),
    "cssrs": tuple(item.link_id for item in logic.INSTRUMENTS["cssrs"].structure.items),
}


def _codings(codings: object) -> list[tuple[str, str]]:
    if not isinstance(codings, list):
        return []
    return sorted(
        (str(coding.get("system") or ""), str(coding.get("code") or ""))
        for coding in codings
        if isinstance(coding, Mapping)
    )


def _answers(item: Mapping) -> list[tuple[int, str, str]]:
    """Each answer as (scoring value, code system, code), sorted; duplicates kept, so an extra one shows."""
    found = []
    for option in item.get("answerOption") or []:
        if not isinstance(option, Mapping):
            continue
        coding = option.get("valueCoding")
        if isinstance(coding, Mapping):
            system, code = str(coding.get("system") or ""), str(coding.get("code") or "")
        else:
            system, code = "", str(option.get("valueString", option.get("valueInteger", "")))
        try:
            value = logic.ordinal_value(option)
        except logic.StructureError:  # only reached on a yes/no item, whose answers are not read
            value = None
        found.append((-1 if value is None else value, system, code))
    return sorted(found)


def _rules(item: Mapping) -> tuple:
    """What decides whether the question is asked and must be answered, compared as written."""
    conditions = item.get("enableWhen") or []
    return (
        item.get("type"),
        item.get("required", False),
        item.get("enableBehavior", "all") if len(conditions) > 1 else "all",
        sorted(json.dumps(condition, sort_keys=True) for condition in conditions),
    )


def _answers_words(answers: list[tuple[int, str, str]]) -> str:
    if not answers:
        return _("no coded answers")
    return ", ".join(
        f"{value} = {system}|{code}" if system else f"{value} = {code}" for value, system, code in answers
    )


def safety_item_problems(code: str, resource: Mapping) -> list[str]:
    """How an imported file would change which answers raise a safety signal, item by item; [] when not.

    A safety item must keep its linkId, its item code, every answer's code and scoring value (no more,
    no fewer), its type, "required" and skip logic exactly as in Circles' own file. Its wording may still
    be translated; that is why only a deployment administrator imports, and every import is audited.
    """
    link_ids = SAFETY_ITEMS.get(code, ())
    if not link_ids:
        return []
    ours = {item["linkId"]: item for item in logic.flatten_items(builtin_resource(code)["item"])}
    theirs = {item.get("linkId"): item for item in logic.flatten_items(resource.get("item", []))}
    problems = []
    for link_id in link_ids:
        want, have = ours[link_id], theirs.get(link_id)
        words = {"item": link_id}
        if have is None:
            problems.append(
                _(
                    'Item "%(item)s" decides whether Circles raises a safety signal, so it must stay in '
                    'the questionnaire as a question with the linkId "%(item)s".'
                )
                % words
            )
            continue
        if _codings(have.get("code")) != _codings(want.get("code")):
            problems.append(
                _(
                    'Item "%(item)s" decides whether Circles raises a safety signal, so it must keep its '
                    "item code %(want)s; this file has %(have)s."
                )
                % {
                    **words,
                    "want": ", ".join(f"{s}|{c}" for s, c in _codings(want.get("code"))),
                    "have": ", ".join(f"{s}|{c}" for s, c in _codings(have.get("code"))) or _("none"),
                }
            )
        if _answers(have) != _answers(want):
            problems.append(
                _(
                    'Item "%(item)s" decides whether Circles raises a safety signal, so its answers must '
                    "keep exactly their codes and values (%(want)s); this file has %(have)s."
                )
                % {**words, "want": _answers_words(_answers(want)), "have": _answers_words(_answers(have))}
            )
        if _rules(have) != _rules(want):
            problems.append(
                _(
                    'Item "%(item)s" decides whether Circles raises a safety signal, so its type, '
                    "whether it must be answered and when it is asked (enableWhen) must stay exactly as "
                    "in Circles' own file."
                )
                % words
            )
    return problems


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
    # Safety items first: when one of them is touched, that is what the person importing must read.
    problems = safety_item_problems(code, resource) + logic.structure_differences(
        logic.INSTRUMENTS[code].structure, structure
    )
    if problems:
        raise ValidationError({"resource": problems})
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
