"""What the check-ins app keeps about a person: check-ins, questionnaires, schedules and safety signals
(circles/lib/personal_data.py; export and erasure are circles/records)."""

from circles.checkins import fhir
from circles.checkins.models import (
    Assessment,
    CheckIn,
    CheckInSettings,
    MeasureSchedule,
    QuestionnaireDefinition,
    SafetySignal,
)
from circles.lib.fhir import urn
from circles.lib.personal_data import PersonalData, Row, row

CHECKIN_FIELDS = [
    "id",
    "day",
    "mood",
    "craving",
    "stress",
    "sleep_quality",
    "used",
    "substance",
    "use_note",
    "helped",
    "struggling",
    "late",
    "created_at",
    "updated_at",
]


def checkins(user) -> list[Row]:
    return [
        row(checkin, CHECKIN_FIELDS, struggling_for=sorted(tie.pk for tie in checkin.struggling_for.all()))
        for checkin in CheckIn.objects.filter(member=user).prefetch_related("struggling_for").order_by("day")
    ]


def checkin_settings(user) -> list[Row]:
    return [
        row(settings_row, ["count_days", "recovery_started_on", "screening_sex"])
        for settings_row in CheckInSettings.objects.filter(member=user)
    ]


def questionnaire_schedules(user) -> list[Row]:
    return [
        row(schedule, ["instrument", "interval_days"])
        for schedule in MeasureSchedule.objects.filter(member=user).order_by("instrument")
    ]


ASSESSMENT_FIELDS = [
    "id",
    "instrument",
    "status",
    "answers",
    "started_at",
    "completed_at",
    "day",
    "total",
    "band",
    "subscales",
    "flags",
    "scoring_version",
    "offered_after_id",
]


def questionnaires(user) -> list[Row]:
    return [
        row(
            assessment,
            ASSESSMENT_FIELDS,
            questionnaire=assessment.definition.canonical,
            language=assessment.definition.language,
        )
        for assessment in Assessment.objects.filter(member=user).select_related("definition").order_by("id")
    ]


def safety_signals(user) -> list[Row]:
    return [
        row(signal, ["id", "source", "tier", "assessment_id", "created_at", "handled_at"])
        for signal in SafetySignal.objects.filter(member=user).order_by("id")
    ]


def fhir_entries(user) -> list[dict]:
    """Each completed questionnaire (response and score), then each day's check-in."""
    entries = []
    completed = (
        Assessment.objects.completed()
        .filter(member=user)
        .select_related("member", "definition")
        .order_by("id")
    )
    for assessment in completed:
        entries.extend(fhir.assessment_entries(assessment))
    for checkin in CheckIn.objects.filter(member=user).order_by("day"):
        resource = fhir.checkin_observation(checkin, user)
        entries.append({"fullUrl": urn("CheckIn", checkin.pk), "resource": resource})
    return entries


PERSONAL_DATA = PersonalData(
    sections={
        CheckIn: checkins,
        CheckInSettings: checkin_settings,
        MeasureSchedule: questionnaire_schedules,
        Assessment: questionnaires,
        SafetySignal: safety_signals,
    },
    not_member_data={
        QuestionnaireDefinition: "The wording of questionnaires, the same for every member of the "
        "deployment; each answered questionnaire names the wording it used.",
    },
    fhir_entries=fhir_entries,
)
