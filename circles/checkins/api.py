"""Check-ins, questionnaires, safety and the trajectory in the API: the same access_* and do_* as pages."""

import datetime as dt
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field, StrictBool, StrictInt

from circles.checkins import fhir, logic
from circles.checkins.access import access_assessment, access_checkin
from circles.checkins.actions import (
    checkin_settings,
    do_ask_for_help,
    do_discard_assessment,
    do_import_questionnaire,
    do_save_answers,
    do_save_checkin,
    do_save_checkin_settings,
    do_set_schedule,
    do_start_assessment,
)
from circles.checkins.crisis import crisis_resources
from circles.checkins.definitions import definition_for, import_refusal, may_import_questionnaires
from circles.checkins.models import Assessment, CheckIn, QuestionnaireDefinition, SafetySignal
from circles.checkins.reminders import load_measures, load_reminders
from circles.checkins.trajectory import DEFAULT_WINDOW, WINDOWS, load_latest_scores, load_trajectory
from circles.lib.schema import InputSchema, apply_patch
from circles.lib.time import local_today
from circles.network.api import NetworkHealthOut, network_health_fields
from circles.network.health import load_network
from circles.network.models import Tie, TieStatus

router = Router(tags=["check-ins"])

InstrumentCode = Literal[tuple(logic.INSTRUMENTS)]  # type: ignore[valid-type]
Answer = StrictInt | StrictBool
RecordId = Annotated[StrictInt, Field(ge=1, lt=2**63)]  # fits the database's 64-bit keys


class CheckInIn(InputSchema):
    day: dt.date | None = Field(None, description="Your local date; defaults to today. Up to 3 days back.")
    mood: StrictInt = Field(ge=0, le=10, description="0 = very low, 10 = very good")
    craving: StrictInt = Field(ge=0, le=10)
    stress: StrictInt = Field(ge=0, le=10)
    sleep_quality: StrictInt = Field(ge=1, le=5, description="1 = very poor … 5 = very good")
    used: bool = False
    substance: str = Field("", max_length=80)
    use_note: str = Field("", max_length=2000)
    helped: str = Field("", max_length=1000)
    struggling: str = Field("", max_length=2000)
    struggling_for: list[RecordId] = Field([], description="Ids of your ties this is meant for")


class CheckInPatch(InputSchema):
    mood: StrictInt | None = Field(None, ge=0, le=10)
    craving: StrictInt | None = Field(None, ge=0, le=10)
    stress: StrictInt | None = Field(None, ge=0, le=10)
    sleep_quality: StrictInt | None = Field(None, ge=1, le=5)
    used: bool | None = None
    substance: str | None = Field(None, max_length=80)
    use_note: str | None = Field(None, max_length=2000)
    helped: str | None = Field(None, max_length=1000)
    struggling: str | None = Field(None, max_length=2000)
    struggling_for: list[RecordId] | None = None


class CheckInOut(Schema):
    day: dt.date
    mood: int
    craving: int
    stress: int
    sleep_quality: int
    used: bool
    substance: str
    use_note: str
    helped: str
    struggling: str
    struggling_for: list[int]
    late: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    hard_day_reasons: list[str] = Field(
        description="Why this check-in counts as a hard day, in plain words (empty: it does not). On a hard "
        "day the check-in page offers one-tap SOS, the inner circle's direct links and crisis resources."
    )

    @staticmethod
    def resolve_struggling_for(obj: CheckIn) -> list[int]:
        ties = obj.saved_ties if obj.saved_ties is not None else obj.struggling_for.all()
        return [tie.pk for tie in ties]

    @staticmethod
    def resolve_hard_day_reasons(obj: CheckIn) -> list[str]:
        return logic.hard_checkin_reasons(
            {"mood": obj.mood, "craving": obj.craving, "stress": obj.stress, "used": obj.used}
        )


class SettingsIn(InputSchema):
    count_days: bool | None = None
    recovery_started_on: dt.date | None = None
    screening_sex: Literal["", "female", "male"] | None = None


class SettingsOut(Schema):
    count_days: bool
    recovery_started_on: dt.date | None
    screening_sex: str


class MeasureOut(Schema):
    instrument: str
    name: str
    topic: str
    interval_days: int | None
    last_completed: dt.date | None
    next_due: dt.date | None
    is_due: bool
    in_progress_id: int | None


class ScheduleIn(InputSchema):
    interval_days: int | None = Field(..., ge=1, le=365, description="null: not scheduled")


class RemindersOut(Schema):
    today: dt.date
    checked_in_today: bool
    missed_days: list[dt.date]
    due: list[MeasureOut]


class AssessmentIn(InputSchema):
    instrument: InstrumentCode  # type: ignore[valid-type]
    answers: dict[str, Answer] = Field({}, description="linkId -> ordinal answer value, or true/false")
    complete: bool = Field(True, description="false saves part-way")
    offered_after: RecordId | None = Field(
        None, description="The PHQ-9 whose self-harm answer led to this screen"
    )


class AnswersIn(InputSchema):
    answers: dict[str, Answer] = {}
    complete: bool = True


class CrisisResourceOut(Schema):
    name: str
    detail: str
    phone: str
    sms: str
    url: str


class AssessmentOut(Schema):
    id: int
    instrument: str
    status: str
    answers: dict[str, int | bool]
    started_at: dt.datetime
    completed_at: dt.datetime | None
    day: dt.date | None
    total: float | None
    band: str
    subscales: dict[str, float]
    flags: list[str]
    safety: bool
    offered_after_id: int | None
    questionnaire: str = Field(description="The definition (canonical url|version) the answers were given to")
    scoring_version: str
    crisis_resources: list[CrisisResourceOut] = []


class SafetySignalOut(Schema):
    id: int
    source: str
    tier: str
    assessment_id: int | None
    created_at: dt.datetime
    handled_at: dt.datetime | None


class HelpNowOut(Schema):
    signal: SafetySignalOut
    crisis_resources: list[CrisisResourceOut]
    message: str


class DayOut(Schema):
    day: dt.date
    mood: int
    craving: int
    stress: int
    used: bool


class ScorePointOut(Schema):
    day: dt.date
    assessment_id: int
    total: float | None
    band: str
    subscales: dict[str, float]


class SeriesOut(Schema):
    instrument: str
    scale_min: float | None
    scale_max: float | None
    bands: list[dict]
    points: list[ScorePointOut]


class WeekOut(Schema):
    week_start: dt.date
    counts: dict[str, int]


class TrajectoryOut(Schema):
    start: dt.date
    today: dt.date
    days: int
    checkins: list[DayOut]
    instruments: list[SeriesOut]
    weeks: list[WeekOut]


class ImportIn(InputSchema):
    instrument: InstrumentCode  # type: ignore[valid-type]
    resource: dict = Field(description="A FHIR R4 Questionnaire")
    activate: bool = True


class DefinitionOut(Schema):
    id: int
    instrument: str
    version: str
    language: str
    title: str
    builtin: bool
    active: bool
    audience: str  # "" for every member; "organization:<id>" for one organization's enrolled members
    created_at: dt.datetime


# --- Check-ins --------------------------------------------------------------------------------


def _struggling_for(member, ids: list[int]) -> list[Tie]:
    """The member's current ties with these ids, or 400. Only their ids are read: a check-in links them
    and answers with their ids, and building whole ties (decrypting boundaries) costs each check-in."""
    ties = list(Tie.objects.filter(member=member, pk__in=set(ids), status=TieStatus.ACTIVE).only("pk"))
    if len(ties) != len(set(ids)):
        raise ValidationError({"struggling_for": _("Choose from your own current ties.")})
    return ties


def _already_checked_in(day: dt.date) -> Status:
    return Status(
        409,
        {
            "message": _("You have already checked in for this day."),
            "errors": {"day": [_("Change that check-in with PATCH /checkins/%(day)s.") % {"day": day}]},
        },
    )


@router.get("/checkins", response=list[CheckInOut], summary="Your check-ins, newest first")
def list_checkins(request, since: dt.date | None = None, until: dt.date | None = None):
    checkins = CheckIn.objects.filter(member=request.auth).prefetch_related("struggling_for")
    if since:
        checkins = checkins.filter(day__gte=since)
    if until:
        checkins = checkins.filter(day__lte=until)
    return list(checkins[:1000])


@router.post(
    "/checkins",
    response={201: CheckInOut, 409: dict},
    summary="Check in for today (or fill in one of the last 3 days, marked late)",
)
def create_checkin(request, payload: CheckInIn):
    data = payload.dict(exclude={"struggling_for"})
    data["day"] = data["day"] or local_today(request.auth)
    checkin = CheckIn(member=request.auth, **data)
    ties = _struggling_for(request.auth, payload.struggling_for)
    # The member is the signed-in account (no need to look it up again); the one-a-day rule is the
    # database's, so a day already checked in is found by the INSERT rather than by a query before it.
    checkin.full_clean(exclude=["member"], validate_constraints=False)
    try:
        saved = do_save_checkin(checkin, ties, acting_user=request.auth)
    except ValidationError:
        return _already_checked_in(data["day"])
    return Status(201, saved)


@router.get("/checkins/{day}", response=CheckInOut, summary="One day's check-in")
def get_checkin(request, day: dt.date):
    return access_checkin(request.auth, day)


@router.patch("/checkins/{day}", response=CheckInOut, summary="Change a check-in (on its own day)")
def update_checkin(request, day: dt.date, payload: CheckInPatch):
    checkin = access_checkin(request.auth, day, write=True)
    if not checkin.is_editable(local_today(request.auth)):
        raise HttpError(409, _("A check-in can be changed on its own day."))
    changes = payload.dict(exclude_unset=True)
    ties = changes.pop("struggling_for", None)
    apply_patch(checkin, changes)
    checkin.full_clean(exclude=["member"], validate_constraints=False)
    chosen = None if ties is None else _struggling_for(request.auth, ties)
    return do_save_checkin(checkin, chosen, acting_user=request.auth)


@router.get("/checkin-settings", response=SettingsOut, summary="Your check-in settings")
def get_settings(request):
    return checkin_settings(request.auth)


@router.patch("/checkin-settings", response=SettingsOut, summary="Change your check-in settings")
def update_settings(request, payload: SettingsIn):
    current = checkin_settings(request.auth)
    changes = payload.dict(exclude_unset=True)
    apply_patch(current, changes, nullable={"recovery_started_on"})
    current.full_clean(exclude=["member"])
    return do_save_checkin_settings(current, acting_user=request.auth)


@router.get("/reminders", response=RemindersOut, summary="What is due today")
def reminders(request):
    result = load_reminders(request.auth)
    return RemindersOut(
        today=result.today,
        checked_in_today=result.checked_in_today,
        missed_days=result.missed_days,
        due=[_measure_out(m) for m in result.due_measures],
    )


# --- Questionnaires ---------------------------------------------------------------------------


def _measure_out(status) -> MeasureOut:
    return MeasureOut(
        instrument=status.instrument.code,
        name=status.instrument.name,
        topic=status.instrument.label,
        interval_days=status.interval_days,
        last_completed=status.last_completed,
        next_due=status.next_due,
        is_due=status.is_due,
        in_progress_id=status.in_progress_id,
    )


@router.get(
    "/measures", response=list[MeasureOut], summary="Every instrument with your schedule and what is due"
)
def list_measures(request):
    return [_measure_out(m) for m in load_measures(request.auth, local_today(request.auth))]


@router.put(
    "/measures/{instrument}/schedule", response=MeasureOut, summary="How often to ask (null: not scheduled)"
)
def set_schedule(request, instrument: InstrumentCode, payload: ScheduleIn):  # type: ignore[valid-type]
    if instrument == "cssrs" and payload.interval_days is not None:
        raise ValidationError(
            {"interval_days": _("The suicide-risk screen is offered when an answer calls for it.")}
        )
    do_set_schedule(request.auth, instrument, payload.interval_days, acting_user=request.auth)
    return next(
        _measure_out(m)
        for m in load_measures(request.auth, local_today(request.auth))
        if m.instrument.code == instrument
    )


@router.get(
    "/measures/{instrument}/questionnaire",
    response=dict,
    summary="The FHIR Questionnaire (wording) you would be asked",
)
def get_questionnaire(request, instrument: InstrumentCode):  # type: ignore[valid-type]
    return definition_for(instrument, translation.get_language() or "en", request.auth).resource


def _assessment_out(assessment: Assessment) -> dict:
    """The answer body; a result that raised a safety concern carries the crisis resources with it."""
    resources = crisis_resources(translation.get_language()) if assessment.safety else []
    return {
        **{
            name: getattr(assessment, name)
            for name in AssessmentOut.model_fields
            if hasattr(assessment, name)
        },
        "questionnaire": assessment.definition.canonical,
        "crisis_resources": [vars(resource) for resource in resources],
    }


@router.get("/assessments", response=list[AssessmentOut], summary="Your questionnaires, newest first")
def list_assessments(request, instrument: InstrumentCode | None = None):  # type: ignore[valid-type]
    assessments = Assessment.objects.filter(member=request.auth).select_related("definition")
    if instrument:
        assessments = assessments.filter(instrument=instrument)
    return [_assessment_out(a) for a in assessments[:500]]


@router.post(
    "/assessments",
    response={201: AssessmentOut, 400: dict},
    summary="Answer a questionnaire (complete=false saves part-way; a saved one is resumed)",
)
def create_assessment(request, payload: AssessmentIn):
    offered_after = None
    if payload.offered_after is not None:
        try:
            offered_after = access_assessment(request.auth, payload.offered_after)
        except Http404:
            raise ValidationError({"offered_after": _("Choose one of your own questionnaires.")}) from None
    assessment = do_start_assessment(
        request.auth,
        payload.instrument,
        language=translation.get_language() or "en",
        offered_after=offered_after,
    )
    try:
        assessment = do_save_answers(
            assessment, payload.answers, complete=payload.complete, acting_user=request.auth
        )
    except ValidationError as error:
        if not assessment.answers:
            assessment.delete()  # an empty one just opened for this request: nothing of the member's is lost
        return _refused(assessment, error)
    return Status(201, _assessment_out(assessment))


def _refused(assessment: Assessment, error: ValidationError):
    """400 with a message per answer; answers that raise a safety concern still bring crisis resources."""
    body: dict[str, object] = {
        "message": _("Please correct the fields named below."),
        "errors": error.message_dict,
    }
    if assessment.safety:
        body["crisis_resources"] = [vars(r) for r in crisis_resources(translation.get_language())]
    return Status(400, body)


@router.get("/assessments/{assessment_id}", response=AssessmentOut, summary="One questionnaire and its score")
def get_assessment(request, assessment_id: int):
    return _assessment_out(access_assessment(request.auth, assessment_id))


@router.patch(
    "/assessments/{assessment_id}",
    response={200: AssessmentOut, 400: dict},
    summary="Add answers to one saved part-way",
)
def update_assessment(request, assessment_id: int, payload: AnswersIn):
    assessment = access_assessment(request.auth, assessment_id, write=True)
    try:
        assessment = do_save_answers(
            assessment, payload.answers, complete=payload.complete, acting_user=request.auth
        )
    except ValidationError as error:
        return _refused(assessment, error)
    return _assessment_out(assessment)


@router.delete("/assessments/{assessment_id}", response={204: None}, summary="Discard one saved part-way")
def delete_assessment(request, assessment_id: int):
    do_discard_assessment(
        access_assessment(request.auth, assessment_id, write=True), acting_user=request.auth
    )
    return Status(204, None)


@router.get(
    "/assessments/{assessment_id}/fhir",
    response=dict,
    summary="A completed questionnaire as a FHIR R4 Bundle (QuestionnaireResponse + Observation)",
)
def assessment_as_fhir(request, assessment_id: int):
    assessment = access_assessment(request.auth, assessment_id)
    if not assessment.is_complete:
        raise Http404
    return fhir.assessment_bundle(assessment)


# --- Safety -----------------------------------------------------------------------------------


@router.post(
    "/help-now",
    response={201: HelpNowOut},
    summary="I need help now: records a safety signal and returns crisis resources",
)
def help_now(request):
    signal = do_ask_for_help(request.auth, acting_user=request.auth)
    return Status(
        201,
        HelpNowOut(
            signal=SafetySignalOut.from_orm(signal),
            crisis_resources=[
                CrisisResourceOut(**vars(r)) for r in crisis_resources(translation.get_language())
            ],
            message=_("Circles is not an emergency service. If you are in danger, call emergency services."),
        ),
    )


@router.get(
    "/crisis-resources",
    response=list[CrisisResourceOut],
    auth=None,
    summary="Crisis resources (no sign-in needed)",
)
def list_crisis_resources(request):
    return [CrisisResourceOut(**vars(r)) for r in crisis_resources(translation.get_language())]


@router.get("/safety-signals", response=list[SafetySignalOut], summary="Your safety signals, newest first")
def list_safety_signals(request):
    return list(SafetySignal.objects.filter(member=request.auth)[:200])


# --- Trajectory -------------------------------------------------------------------------------


@router.get(
    "/trajectory", response=TrajectoryOut, summary="Check-ins, scores and weekly contact on one time axis"
)
def trajectory(request, days: int = DEFAULT_WINDOW):
    if days not in WINDOWS:
        raise ValidationError(
            {"days": _("Choose one of: %(days)s.") % {"days": ", ".join(map(str, WINDOWS))}}
        )
    data = load_trajectory(request.auth, days)
    return TrajectoryOut(
        start=data.start,
        today=data.today,
        days=data.days,
        checkins=[DayOut(**vars(p)) for p in data.checkins],
        instruments=[
            SeriesOut(
                instrument=s.instrument.code,
                scale_min=s.instrument.scale_min,
                scale_max=s.instrument.scale_max,
                bands=[
                    {"code": b.code, "low": b.low, "high": b.high, "label": str(b.label)}
                    for b in s.instrument.bands
                ],
                points=[ScorePointOut(**vars(p)) for p in s.points],
            )
            for s in data.instruments
        ],
        weeks=[WeekOut(week_start=w.week_start, counts=w.counts) for w in data.weeks],
    )


# --- Definitions (deployment administrators) ---------------------------------------------------


def _require_deployment_admin(user) -> None:
    if not may_import_questionnaires(user):
        raise HttpError(403, import_refusal())


@router.get(
    "/questionnaire-definitions",
    response=list[DefinitionOut],
    summary="Imported wordings (deployment administrators)",
)
def list_definitions(request):
    _require_deployment_admin(request.auth)
    return list(QuestionnaireDefinition.objects.order_by("-created_at")[:200])


@router.post(
    "/questionnaire-definitions",
    response={201: DefinitionOut},
    summary="Import official or translated wording (deployment administrators only; audited)",
    description=(
        "Refused (400) unless the structure matches what scoring expects, and unless the items that "
        "raise a safety signal (PHQ-9 item 9, the C-SSRS screener) keep their linkIds, codes, answer "
        "codes and values and skip logic. Anyone else gets 403. Every attempt is in the audit trail as "
        "`questionnaire.import` with the SHA-256 of the Questionnaire as canonical JSON."
    ),
)
def import_definition(request, payload: ImportIn):
    try:
        definition = do_import_questionnaire(
            payload.instrument, payload.resource, activate=payload.activate, acting_user=request.auth
        )
    except PermissionDenied as refusal:
        raise HttpError(403, str(refusal)) from None
    return Status(201, definition)


# --- Network health with the support scores ------------------------------------------------------


class LatestScoreOut(Schema):
    assessment_id: int
    day: dt.date | None
    total: float | None
    band: str
    subscales: dict[str, float]


class HealthOut(NetworkHealthOut):
    perceived_support: LatestScoreOut | None = Field(None, description="Latest MSPSS (mean 1–7)")
    recovery_capital: LatestScoreOut | None = Field(None, description="Latest BARC-10 (10–60; ≥ 47 flagged)")


def _latest_out(assessment: Assessment | None) -> LatestScoreOut | None:
    if assessment is None:
        return None
    return LatestScoreOut(
        assessment_id=assessment.pk,
        day=assessment.day,
        total=assessment.total,
        band=assessment.band,
        subscales=assessment.subscales,
    )


@router.get(
    "/network/health",
    response=HealthOut,
    summary="Network health: pillars, composition, flags, suggestions, latest MSPSS and BARC-10",
    tags=["network"],
    # The id it had while it lived in circles/network/api.py, so generated clients keep their names.
    operation_id="circles_network_api_network_health",
)
def network_health(request):
    latest = load_latest_scores(request.auth, ("mspss", "barc10"))
    return HealthOut(
        **network_health_fields(load_network(request.auth)),
        perceived_support=_latest_out(latest.get("mspss")),
        recovery_capital=_latest_out(latest.get("barc10")),
    )
