"""A completed questionnaire as FHIR R4: a QuestionnaireResponse plus an Observation of its score; a
day's check-in as an Observation.

Built as plain dicts, then checked with the fhir.resources R4B models before anything leaves Circles.
"""

from fhir.resources.R4B.bundle import Bundle

from circles.checkins import definitions
from circles.checkins.models import CSSRS_TIERS, SUBSCALE_LABELS, Assessment, CheckIn, SleepQuality
from circles.lib.fhir import patient_reference, urn

UCUM = "http://unitsofmeasure.org"
SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}


def _subject(assessment: Assessment) -> dict:
    return {
        "identifier": {"system": "urn:circles:member", "value": str(assessment.member_id)},
        "display": assessment.member.display_name,
    }


def _completed(assessment: Assessment) -> str:
    if assessment.completed_at is None:
        raise ValueError("Only a completed questionnaire is exported")
    return assessment.completed_at.isoformat()


def questionnaire_response(assessment: Assessment) -> dict:
    resource = assessment.definition.resource
    codings = definitions.option_codings(resource)
    texts = definitions.item_texts(resource)
    items = []
    for item in assessment.spec.structure.items:
        if item.link_id not in assessment.answers:
            continue
        value = assessment.answers[item.link_id]
        answer: dict[str, object]
        if item.kind == "boolean":
            answer = {"valueBoolean": bool(value)}
        else:
            coding = codings.get(item.link_id, {}).get(int(value))
            answer = {"valueCoding": coding} if coding else {"valueInteger": int(value)}
        entry = {"linkId": item.link_id, "answer": [answer]}
        if texts.get(item.link_id):
            entry["text"] = texts[item.link_id]
        items.append(entry)
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": assessment.definition.canonical,
        "status": "completed",
        "subject": _subject(assessment),
        "authored": _completed(assessment),
        "item": items,
    }


def _quantity(value: float, percentage: bool = False) -> dict:
    unit = "%" if percentage else "{score}"
    return {"value": value, "unit": "%" if percentage else "score", "system": UCUM, "code": unit}


def score_observation(assessment: Assessment, response_urn: str) -> dict:
    spec = assessment.spec
    resource = assessment.definition.resource
    codings = [c for c in resource.get("code", []) if isinstance(c, dict)]
    observation: dict = {
        "resourceType": "Observation",
        "status": "final",
        "category": [SURVEY],
        "code": {"coding": codings, "text": f"{spec.name} score"}
        if codings
        else {"text": f"{spec.name} score"},
        "subject": _subject(assessment),
        "effectiveDateTime": _completed(assessment),
        "derivedFrom": [{"reference": response_urn}],
        "method": {
            "text": f"Circles scoring version {assessment.scoring_version} for {spec.name}; "
            f"questionnaire {assessment.definition.canonical}"
        },
    }
    if assessment.instrument == "cssrs":
        observation["valueCodeableConcept"] = {
            "coding": [{"system": "urn:circles:cssrs-risk", "code": assessment.band}],
            "text": str(CSSRS_TIERS.get(assessment.band, assessment.band)),
        }
    elif assessment.total is not None:
        observation["valueQuantity"] = _quantity(assessment.total, percentage=assessment.instrument == "who5")
    if assessment.band and assessment.instrument != "cssrs":
        observation["interpretation"] = [{"text": assessment.band_label or assessment.band}]
    if assessment.subscales:
        observation["component"] = [
            {
                "code": {
                    "coding": [{"system": "urn:circles:subscale", "code": f"{assessment.instrument}.{name}"}],
                    "text": str(SUBSCALE_LABELS.get(name, name)),
                },
                "valueQuantity": _quantity(value),
            }
            for name, value in assessment.subscales.items()
        ]
    return observation


def assessment_entries(assessment: Assessment) -> list[dict]:
    """The Bundle entries of a completed questionnaire: the response and the Observation derived from it."""
    response_urn = urn("QuestionnaireResponse", assessment.pk)
    observation = score_observation(assessment, response_urn)
    return [
        {"fullUrl": response_urn, "resource": questionnaire_response(assessment)},
        {"fullUrl": urn("Observation", assessment.pk), "resource": observation},
    ]


def assessment_bundle(assessment: Assessment) -> dict:
    """A collection Bundle: the response and the Observation derived from it, validated before return."""
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _completed(assessment),
        "entry": assessment_entries(assessment),
    }
    Bundle.model_validate(bundle)  # raises if we ever build something that is not valid FHIR
    return bundle


def _score(code: str, text: str, value: int) -> dict:
    return {
        "code": {"coding": [{"system": "urn:circles:checkin", "code": code}], "text": text},
        "valueQuantity": {"value": value, "unit": "score", "system": UCUM, "code": "{score}"},
    }


def checkin_observation(checkin: CheckIn, member) -> dict:
    """One day's check-in of the member's: mood, craving and stress (0–10), sleep quality (1–5), any use."""
    sleep = SleepQuality(checkin.sleep_quality)
    return {
        "resourceType": "Observation",
        "identifier": [{"system": "urn:circles:checkin", "value": str(checkin.pk)}],
        "status": "final",
        "category": [SURVEY],
        "code": {"coding": [{"system": "urn:circles:checkin", "code": "daily"}], "text": "Daily check-in"},
        "subject": patient_reference(member),
        "effectiveDateTime": checkin.day.isoformat(),
        "issued": checkin.updated_at.isoformat(),
        "component": [
            _score("mood", "Mood (0–10)", checkin.mood),
            _score("craving", "Craving (0–10)", checkin.craving),
            _score("stress", "Stress (0–10)", checkin.stress),
            {
                "code": {"coding": [{"system": "urn:circles:checkin", "code": "sleep"}], "text": "Sleep"},
                "valueCodeableConcept": {
                    "coding": [{"system": "urn:circles:sleep-quality", "code": str(sleep.value)}],
                    "text": str(sleep.label),
                },
            },
            {
                "code": {
                    "coding": [{"system": "urn:circles:checkin", "code": "used"}],
                    "text": "Any use since the last check-in",
                },
                "valueBoolean": checkin.used,
            },
        ],
    }
