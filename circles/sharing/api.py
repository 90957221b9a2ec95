"""Sharing in the API: the same access_* and do_* as the pages, for members and for supporters."""

import datetime as dt
from typing import Literal

from django.core import signing
from django.core.exceptions import ValidationError
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from circles.lib.schema import InputSchema
from circles.network.access import access_tie
from circles.network.models import Tie, TieStatus
from circles.sharing import actions, logic
from circles.sharing.access import (
    Disclosure,
    SharedData,
    access_consent,
    access_disclosure,
    access_invitation,
    access_shared,
    access_shared_data,
    access_shared_map,
    access_supported_members,
)
from circles.sharing.fhir import consent_resource
from circles.sharing.forms import ConsentForm, EncouragementForm, InvitationForm
from circles.sharing.models import Consent, Invitation
from circles.sharing.statement import REDISCLOSURE_NOTICE
from circles.sharing.views import describe_actor, describe_event, history_events

router = Router(tags=["sharing"])

ScopeCode = Literal[tuple(logic.SCOPE_CODES)]  # type: ignore[valid-type]
ACCESS_PAGE_SIZE = 100


class ScopeOut(Schema):
    code: str
    label: str
    description: str


class ConsentOut(Schema):
    id: int
    tie_id: int | None
    recipient_name: str
    scopes: list[str]
    revoked: bool
    live: bool
    purpose: str
    expires_on: dt.date | None
    expiry_event: str
    statement: str
    signature_name: str
    signed_at: dt.datetime
    signed_address: str | None
    superseded_at: dt.datetime | None


def _consent_out(consent: Consent) -> dict:
    return {
        "id": consent.pk,
        "tie_id": consent.tie_id,
        "recipient_name": consent.recipient_name,
        "scopes": consent.scopes,
        "revoked": consent.revoked,
        "live": consent.is_live(),
        "purpose": consent.purpose,
        "expires_on": consent.expires_on,
        "expiry_event": consent.expiry_event,
        "statement": consent.statement,
        "signature_name": consent.signature_name,
        "signed_at": consent.signed_at,
        "signed_address": consent.signed_address,
        "superseded_at": consent.superseded_at,
    }


class InvitationOut(Schema):
    id: int
    tie_id: int
    email: str
    status: str
    sent_at: dt.datetime
    expires_at: dt.datetime
    send_count: int


class TieSharingOut(Schema):
    tie_id: int
    name: str
    supporter_email: str | None
    consent: ConsentOut | None
    invitations: list[InvitationOut]


@router.get("/sharing/scopes", response=list[ScopeOut], summary="What a member can share")
def list_scopes(request):
    return [{"code": s.code, "label": str(s.label), "description": str(s.description)} for s in logic.SCOPES]


@router.get("/sharing", response=list[TieSharingOut], summary="Each current tie: link, invitations, consent")
def sharing_overview(request):
    ties = list(
        Tie.objects.filter(member=request.user).exclude(status=TieStatus.ENDED).select_related("supporter")
    )
    consents = {c.tie_id: c for c in Consent.objects.current().filter(member=request.user)}
    invitations: dict[int, list[Invitation]] = {}
    for invitation in Invitation.objects.filter(member=request.user):
        invitations.setdefault(invitation.tie_id, []).append(invitation)
    return [
        {
            "tie_id": tie.pk,
            "name": tie.display_name,
            "supporter_email": tie.supporter.email if tie.supporter else None,
            "consent": _consent_out(consents[tie.pk]) if tie.pk in consents else None,
            "invitations": invitations.get(tie.pk, []),
        }
        for tie in ties
    ]


class ConsentIn(InputSchema):
    scopes: list[ScopeCode] = Field(description="Nothing listed: stop sharing.")  # type: ignore[valid-type]
    purpose: str = Field(max_length=300)
    expires_on: dt.date | None = None
    signature_name: str = Field(max_length=120, description="Your full name, typed as your signature.")


def _form_errors(form) -> ValidationError:
    return ValidationError({field: [str(e) for e in errors] for field, errors in form.errors.items()})


@router.put("/ties/{tie_id}/consent", response=ConsentOut | None, summary="Sign a new consent for a tie")
def put_consent(request, tie_id: int, payload: ConsentIn):
    tie = access_tie(request.user, tie_id, write=True)
    if tie.status == TieStatus.ENDED:
        raise ValidationError({"tie": ["This tie has ended. Resume it first to share with them."]})
    form = ConsentForm(data={**payload.dict(), "scopes": payload.scopes}, member=request.user)
    if not form.is_valid():
        raise _form_errors(form)
    data = form.cleaned_data
    consent = actions.do_grant_consent(
        tie,
        scopes=data["scopes"],
        purpose=data["purpose"],
        expires_on=data["expires_on"],
        signature_name=data["signature_name"],
        acting_user=request.user,
    )
    return _consent_out(consent) if consent else None


@router.delete("/ties/{tie_id}/consent", response={204: None}, summary="Stop sharing with a tie, at once")
def delete_consent(request, tie_id: int):
    actions.do_revoke_consent(access_tie(request.user, tie_id, write=True), acting_user=request.user)
    return Status(204, None)


@router.delete("/ties/{tie_id}/supporter", response={204: None}, summary="Unlink the tie's Circles account")
def delete_supporter(request, tie_id: int):
    actions.do_unlink_supporter(access_tie(request.user, tie_id, write=True), acting_user=request.user)
    return Status(204, None)


class InvitationIn(InputSchema):
    email: str = Field(max_length=254)


@router.post("/ties/{tie_id}/invitations", response={201: InvitationOut}, summary="Invite a tie by email")
def create_invitation(request, tie_id: int, payload: InvitationIn):
    tie = access_tie(request.user, tie_id, write=True)
    if tie.status == TieStatus.ENDED:
        raise ValidationError({"tie": ["This tie has ended. Resume it first to invite them."]})
    if tie.supporter_id is not None:
        raise HttpError(
            409, "This person has already joined. Unlink their account first to invite someone else."
        )
    form = InvitationForm(data={"email": payload.email}, member=request.user)
    if not form.is_valid():
        raise _form_errors(form)
    invitation = actions.do_invite_supporter(
        tie, form.cleaned_data["email"], origin=request.build_absolute_uri("/"), acting_user=request.user
    )
    return Status(201, invitation)


@router.post(
    "/invitations/{invitation_id}/resend", response=InvitationOut, summary="Send an invitation again"
)
def resend_invitation(request, invitation_id: int):
    invitation = access_invitation(request.user, invitation_id, write=True)
    if invitation.accepted_at:
        raise HttpError(409, "This invitation was already accepted.")
    return actions.do_resend_invitation(
        invitation, origin=request.build_absolute_uri("/"), acting_user=request.user
    )


@router.post("/invitations/{invitation_id}/cancel", response=InvitationOut, summary="Cancel an invitation")
def cancel_invitation(request, invitation_id: int):
    invitation = access_invitation(request.user, invitation_id, write=True)
    actions.do_cancel_invitation(invitation, acting_user=request.user)
    return invitation


class AcceptIn(InputSchema):
    token: str = Field(max_length=500, description="The last part of the invitation link.")


class AcceptOut(Schema):
    member_id: int
    member_name: str


ACCEPT_STATUS = {"missing": 404, "own": 400, "linked": 409, "already_supporting": 409}  # others: 410 Gone
ACCEPT_MESSAGES = {
    "missing": "This invitation no longer exists.",
    "used": "This invitation has already been used.",
    "replaced": "A newer invitation was sent; use the link in the latest email.",
    "cancelled": "This invitation was cancelled.",
    "expired": "This invitation has expired; ask for a new one.",
    "own": "This is your own invitation.",
    "linked": "Another account has already joined for this person.",
    "already_supporting": "You already support this member.",
}


@router.post(
    "/invitations/accept", response=AcceptOut, summary="Accept an invitation (as the invited person)"
)
def accept_invitation(request, payload: AcceptIn):
    try:
        invitation_id, nonce = Invitation.read_token(payload.token)
    except signing.BadSignature:
        raise ValidationError({"token": ["This link is incomplete or was changed."]}) from None
    try:
        invitation = actions.do_accept_invitation(invitation_id, nonce, acting_user=request.user)
    except actions.InvitationRefused as refused:
        raise HttpError(ACCEPT_STATUS.get(refused.reason, 410), ACCEPT_MESSAGES[refused.reason]) from None
    return {"member_id": invitation.member_id, "member_name": invitation.member.display_name}


@router.get("/consents", response=list[ConsentOut], summary="Every consent record you signed, newest first")
def list_consents(request):
    return [_consent_out(c) for c in Consent.objects.filter(member=request.user).select_related("tie")]


@router.get("/consents/{consent_id}", response=ConsentOut, summary="One consent record")
def get_consent(request, consent_id: int):
    return _consent_out(access_consent(request.user, consent_id))


@router.get("/consents/{consent_id}/fhir", response=dict, summary="A consent record as a FHIR R4 Consent")
def get_consent_fhir(request, consent_id: int):
    return consent_resource(access_consent(request.user, consent_id))


class AccessEventOut(Schema):
    at: dt.datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    description: str
    outcome: str


class AccessPage(Schema):
    count: int
    offset: int
    items: list[AccessEventOut]


@router.get("/access-history", response=AccessPage, summary="Who looked at what of yours, newest first")
def access_history(request, offset: int = Query(0, ge=0, le=10**9)):
    events = history_events(request.user)
    page = list(events.select_related("actor")[offset : offset + ACCESS_PAGE_SIZE])
    return {
        "count": events.count(),
        "offset": offset,
        "items": [
            {
                "at": event.at,
                "actor_id": event.actor_id,
                "actor_name": describe_actor(event, request.user),
                "action": event.action,
                "description": describe_event(event),
                "outcome": event.outcome,
            }
            for event in page
        ],
    }


# --- The supporter's side ------------------------------------------------------------------------


class ResultOut(Schema):
    instrument: str
    day: dt.date | None
    total: float | None
    band: str
    band_label: str
    subscales: dict[str, float]


class SharedOut(Schema):
    member_id: int
    member_name: str
    relationship: str
    scopes: list[str]
    notice: str
    checked_in_today: bool | None = None
    last_checkin: dt.date | None = None
    mood: list[dict] | None = None
    returns_to_use: list[dict] | None = None
    struggles: list[dict] | None = None
    results: dict[str, list[ResultOut]] | None = None
    plan: str | None = None
    network_map: list[dict] | None = None
    reach: list[dict] | None = Field(
        None, description="How to reach the member, the way they prefer first: [{way: call|text|email, href}]"
    )


def _shared_out(disclosure: Disclosure, data: SharedData | None, only: frozenset[str] | None = None) -> dict:
    """What was read, under the consent; with `only`, just those scopes (nothing else was loaded)."""
    scopes = logic.ordered_scopes(disclosure.scopes if only is None else disclosure.scopes & only)
    out: dict = {
        "member_id": disclosure.member.pk,
        "member_name": disclosure.member.display_name,
        "relationship": disclosure.tie.relationship,
        "scopes": scopes,
        "notice": str(REDISCLOSURE_NOTICE) if scopes else "",
    }
    if data is None:
        return out
    if logic.CHECKED_IN in scopes:
        out["checked_in_today"], out["last_checkin"] = data.checked_in_today, data.last_checkin
    if logic.MOOD in scopes:
        out["mood"] = [{"day": d, "mood": m, "craving": c, "stress": s} for d, m, c, s in data.mood]
    if logic.RETURNS_TO_USE in scopes:
        out["returns_to_use"] = [{"day": d, "substance": s} for d, s in data.returns_to_use]
    if logic.STRUGGLES in scopes:
        out["struggles"] = [{"day": d, "text": t} for d, t in data.struggles]
    families = [s for s in logic.RESULT_SCOPES if s.code in scopes]
    if families:
        out["results"] = {
            s.code: [
                {
                    "instrument": a.instrument,
                    "day": a.day,
                    "total": a.total,
                    "band": a.band,
                    "band_label": a.band_label,
                    "subscales": a.subscales,
                }
                for a in data.results.get(s.code, [])
            ]
            for s in families
        }
    if logic.PLAN in scopes:
        out["plan"] = ""  # no plans in Circles yet
    if logic.REACH in scopes:
        out["reach"] = [{"way": link.way, "href": link.href} for link in data.reach]
    return out


@router.get("/supporting", response=list[SharedOut], summary="The members you support and what each shares")
def supporting(request):
    disclosures = access_supported_members(request.user)
    shared = {d.disclosure.member.pk: d for d in access_shared_data(request.user, disclosures)}
    return [_shared_out(d, shared.get(d.member.pk)) for d in disclosures]


@router.get("/supporting/{member_id}", response=SharedOut, summary="What one member shares with you")
def supported_member(request, member_id: int):
    disclosure = access_disclosure(request.user, member_id)
    data = access_shared_data(request.user, [disclosure])
    return _shared_out(disclosure, data[0] if data else None)


@router.get(
    "/supporting/{member_id}/shared/{scope}",
    response=SharedOut,
    summary="One kind of information a member shares with you (404 unless they share it now)",
)
def shared_scope(request, member_id: int, scope: ScopeCode):  # type: ignore[valid-type]
    disclosure = access_shared(request.user, member_id, scope)
    if scope == logic.NETWORK_MAP:
        network = access_shared_map(request.user, disclosure)
        out = _shared_out(disclosure, None, only=frozenset({scope}))
        out["network_map"] = [
            {"name": f.name, "circle": f.circle, "pillar": f.pillar}
            for f in network.facts
            if f.status != "ended"
        ]
        return out
    data = access_shared_data(request.user, [disclosure], scopes=frozenset({scope}))
    return _shared_out(disclosure, data[0] if data else None, only=frozenset({scope}))


class EncouragementIn(InputSchema):
    message: str = Field(max_length=500)


class EncouragementOut(Schema):
    id: int
    occurred_at: dt.datetime
    message: str


@router.post(
    "/supporting/{member_id}/encouragement", response={201: EncouragementOut}, summary="Send encouragement"
)
def send_encouragement(request, member_id: int, payload: EncouragementIn):
    disclosure = access_disclosure(request.user, member_id)
    form = EncouragementForm(data={"message": payload.message})
    if not form.is_valid():
        raise _form_errors(form)
    interaction = actions.do_send_encouragement(
        disclosure.tie, form.cleaned_data["message"], acting_user=request.user
    )
    return Status(201, interaction)
