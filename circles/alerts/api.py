"""Alerts in the API: the same access_* and do_* as the pages, for members and for the people asked."""

import datetime as dt
from typing import Literal

from django.core import signing
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from circles.alerts import actions, logic
from circles.alerts.access import (
    AskedAlert,
    access_answer_link,
    access_asked_alert,
    access_asked_alerts,
    access_own_alert,
    own_alerts,
)
from circles.alerts.delay import delivery_delay
from circles.alerts.models import Alert, AlertSettings, AlertStatus
from circles.alerts.progress import alert_progress
from circles.alerts.rules import alert_settings
from circles.checkins.api import CrisisResourceOut
from circles.checkins.crisis import crisis_resources
from circles.lib.schema import InputSchema

router = Router(tags=["alerts"])

Channel = Literal["email", "sms", "in_app", "webhook", "push"]  # logic.CHANNELS


class AnswerOut(Schema):
    name: str
    at: dt.datetime


class AskedOut(Schema):
    step: int
    name: str
    channel: str
    status: str
    skip_reason: str
    attempts: int
    sent_at: dt.datetime | None
    last_error: str


class AlertOut(Schema):
    id: int
    kind: str
    reason: str
    message: str
    urgent: bool
    status: str
    step: int
    created_at: dt.datetime
    answered_at: dt.datetime | None
    exhausted_at: dt.datetime | None
    closed_at: dt.datetime | None
    answers: list[AnswerOut]


class DirectContactOut(Schema):
    tie_id: int
    name: str
    phone: str = Field(description="As you saved it on the tie; empty when there is none")
    call_href: str = Field(description="tel: link, empty without a phone number")
    text_href: str = Field(description="sms: link, empty without a phone number")
    email: str = Field(description="As you saved it on the tie; empty when there is none")
    email_href: str = Field(description="mailto: link, empty without an email")


class AskingOut(Schema):
    name: str
    channels: list[str]


class AlertDetailOut(AlertOut):
    asked: list[AskedOut]
    asking_now: list[AskingOut] = Field(
        description="While nobody has answered: the people of the step being asked and their channels"
    )
    next_step_at: dt.datetime | None = Field(
        description="When the next step starts if nobody answers first; null when no step is waiting"
    )
    next_step_people: list[str] = Field(
        description="Who that step asks; empty when nobody is left on the ladder after this step"
    )
    crisis_resources: list[CrisisResourceOut]
    sending_delayed: bool = Field(
        description="A message to your ladder has waited ALERT_DELAYED_SECONDS (60 by default) or longer "
        "without going out: reach the people below directly, or the crisis resources"
    )
    direct_contacts: list[DirectContactOut] = Field(
        description="While sending is delayed: the people on your ladder (then others this alert asked), "
        "in order, with the phone number and email you saved on each tie; otherwise empty"
    )


def _alert_out(alert: Alert) -> dict:
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "reason": alert.reason,
        "message": alert.message,
        "urgent": alert.urgent,
        "status": alert.status,
        "step": alert.rung + 1,
        "created_at": alert.created_at,
        "answered_at": alert.answered_at,
        "exhausted_at": alert.exhausted_at,
        "closed_at": alert.closed_at,
        "answers": [{"name": a.name, "at": a.at} for a in alert.acknowledgements.all()],
    }


def _detail_out(alert: Alert) -> dict:
    asked = [
        {
            "step": n.rung + 1,
            "name": n.recipient_name,
            "channel": n.channel,
            "status": n.status,
            "skip_reason": n.skip_reason,
            "attempts": n.attempts,
            "sent_at": n.sent_at,
            "last_error": n.last_error,
        }
        for n in alert.notifications.all()
    ]
    resources = [vars(r) for r in crisis_resources(translation.get_language())]
    delayed, contacts = delivery_delay(alert, timezone.now())
    progress = alert_progress(alert)
    return {
        **_alert_out(alert),
        "asked": asked,
        "asking_now": [
            {"name": name, "channels": list(channels)}
            for name, channels in (progress.asking if alert.status == AlertStatus.ACTIVE else ())
        ],
        "next_step_at": progress.next_at,
        "next_step_people": list(progress.next_people),
        "crisis_resources": resources,
        "sending_delayed": delayed,
        "direct_contacts": [vars(contact) for contact in contacts],
    }


class SosIn(InputSchema):
    message: str = Field("", max_length=500)


@router.get("/alerts", response=list[AlertOut], summary="Your alerts, newest first (the last 50)")
def list_alerts(request):
    return [_alert_out(alert) for alert in own_alerts(request.auth)]


@router.post(
    "/alerts/sos",
    response={201: AlertDetailOut, 200: AlertDetailOut},
    summary="SOS: ask the people on your crisis ladder for support now (200: one was already open)",
)
def raise_sos(request, payload: SosIn):
    alert, created = actions.do_raise_sos(request.auth, message=payload.message, acting_user=request.auth)
    return Status(201 if created else 200, _detail_out(access_own_alert(request.auth, alert.pk)))


class LadderPersonIO(InputSchema):
    tie_id: int
    channels: list[Channel] = Field(min_length=1)
    quiet_from: dt.time | None = None
    quiet_until: dt.time | None = None
    webhook_url: str = Field("", max_length=500)


class LadderStepIO(InputSchema):
    window_minutes: int = logic.DEFAULT_WINDOW_MINUTES
    people: list[LadderPersonIO] = Field(max_length=logic.MAX_PEOPLE_PER_RUNG)


class LadderIO(InputSchema):
    steps: list[LadderStepIO] = Field(max_length=logic.MAX_RUNGS)


class LadderPersonOut(LadderPersonIO):
    name: str
    can_be_asked: bool
    webhook_secret: str = ""


class LadderStepOut(Schema):
    window_minutes: int
    people: list[LadderPersonOut]


class LadderOut(Schema):
    steps: list[LadderStepOut]


def _ladder_out(member, spec: list[actions.RungSpec]) -> dict:
    names = dict(member.ties.values_list("id", "display_name"))
    askable = actions.can_be_asked(member)
    secrets = {
        (p.tie_id, p.webhook_url): p.webhook_secret
        for rung in member.rungs.prefetch_related("people")
        for p in rung.people.all()
    }
    return {
        "steps": [
            {
                "window_minutes": step.window_minutes,
                "people": [
                    {
                        **vars(p),
                        "name": names.get(p.tie_id, ""),
                        "can_be_asked": p.tie_id in askable,
                        "webhook_secret": secrets.get((p.tie_id, p.webhook_url), "") if p.webhook_url else "",
                    }
                    for p in step.people
                ],
            }
            for step in spec
        ]
    }


@router.get("/alerts/ladder", response=LadderOut, summary="Your crisis ladder, step by step")
def get_ladder(request):
    return _ladder_out(request.auth, actions.ladder_spec(request.auth))


@router.get(
    "/alerts/ladder/suggested",
    response=LadderOut,
    summary="A suggested ladder from your inner circle (not saved)",
)
def suggested_ladder(request):
    return _ladder_out(request.auth, actions.suggested_ladder(request.auth))


@router.put("/alerts/ladder", response=LadderOut, summary="Replace your crisis ladder")
def put_ladder(request, payload: LadderIO):
    spec = [
        actions.RungSpec(
            people=[
                actions.PersonSpec(p.tie_id, list(p.channels), p.quiet_from, p.quiet_until, p.webhook_url)
                for p in step.people
            ],
            window_minutes=step.window_minutes,
        )
        for step in payload.steps
    ]
    actions.do_set_ladder(request.auth, spec, acting_user=request.auth)
    return _ladder_out(request.auth, actions.ladder_spec(request.auth))


class ThresholdOut(Schema):
    field: str
    default: int
    low: int
    high: int
    reason: str


class RulesIO(InputSchema):
    craving_on: bool
    craving_level: int
    craving_days: int
    low_mood_on: bool
    low_mood_level: int
    low_mood_days: int
    return_to_use_on: bool
    missed_commitments_on: bool
    missed_commitments: int
    disengagement_on: bool
    disengaged_days: int


class RulesOut(RulesIO):
    bounds: list[ThresholdOut]


def _rules_out(row: AlertSettings) -> dict:
    bounds = [
        {"field": t.field, "default": t.default, "low": t.low, "high": t.high, "reason": str(t.reason)}
        for t in logic.THRESHOLDS
    ]
    return {**{name: getattr(row, name) for name in RulesIO.model_fields}, "bounds": bounds}


@router.get("/alerts/rules", response=RulesOut, summary="Your alert rules, their thresholds and safe bounds")
def get_rules(request):
    return _rules_out(alert_settings(request.auth))


@router.put("/alerts/rules", response=RulesOut, summary="Change your alert rules (within the safe bounds)")
def put_rules(request, payload: RulesIO):
    row = alert_settings(request.auth)
    for name, value in payload.dict().items():
        setattr(row, name, value)
    actions.do_save_alert_settings(row, acting_user=request.auth)
    return _rules_out(row)


class AskedAlertOut(Schema):
    id: int
    member_id: int
    member_name: str
    status: str
    created_at: dt.datetime
    reason: str | None
    message: str
    answers: list[AnswerOut]
    i_answered: bool


def _asked_out(view: AskedAlert) -> dict:
    return {
        "id": view.alert.pk,
        "member_id": view.alert.member_id,
        "member_name": view.member_name,
        "status": view.alert.status,
        "created_at": view.alert.created_at,
        "reason": view.reason,
        "message": view.message,
        "answers": [{"name": a.name, "at": a.at} for a in view.answers],
        "i_answered": view.i_answered,
    }


@router.get(
    "/supporting/alerts",
    response=list[AskedAlertOut],
    summary="Alerts asking you for support (open and recent)",
)
def asked_alerts(request):
    return [_asked_out(view) for view in access_asked_alerts(request.auth)]


@router.get("/supporting/alerts/{alert_id}", response=AskedAlertOut, summary="One alert that asked you")
def asked_alert(request, alert_id: int):
    return _asked_out(access_asked_alert(request.auth, alert_id))


@router.post(
    "/supporting/alerts/{alert_id}/answer", response=AskedAlertOut, summary="Say you are reaching out"
)
def answer_asked(request, alert_id: int):
    view = access_asked_alert(request.auth, alert_id, write=True)
    actions.do_answer(view.alert, view.tie, acting_user=request.auth)
    return _asked_out(access_asked_alert(request.auth, alert_id, write=True))


class AnswerLinkIn(InputSchema):
    token: str = Field(max_length=500)


class AnswerLinkOut(Schema):
    member_name: str
    recorded: bool
    status: str


@router.post(
    "/alerts/answer",
    response=AnswerLinkOut,
    auth=None,
    summary="Answer with the token from an alert's link (no login: the token is the permission)",
)
def answer_with_token(request, payload: AnswerLinkIn):
    try:
        notification, tie = access_answer_link(payload.token)
    except signing.SignatureExpired:
        raise HttpError(410, _("This link has expired.")) from None
    except signing.BadSignature:
        raise HttpError(400, _("This link is not valid.")) from None
    answer = actions.do_answer(notification.alert, tie, notification=notification)
    return {
        "member_name": notification.alert.member.display_name,
        "recorded": answer.recorded,
        "status": answer.alert.status,
    }


# After every literal /alerts/… path, so that /alerts/ladder is never read as an alert id.
@router.get(
    "/alerts/{alert_id}", response=AlertDetailOut, summary="One of your alerts: who was asked, who answered"
)
def get_alert(request, alert_id: int):
    return _detail_out(access_own_alert(request.auth, alert_id))


@router.post("/alerts/{alert_id}/close", response=AlertOut, summary="Call an alert off: nobody else is asked")
def close_alert(request, alert_id: int):
    alert = actions.do_close_alert(
        access_own_alert(request.auth, alert_id, write=True), acting_user=request.auth
    )
    return _alert_out(alert)
