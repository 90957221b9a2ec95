"""Network and engagement operations in the API: the same access_* and do_* as the pages."""

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictInt

from circles.lib.schema import InputSchema, apply_patch
from circles.lib.time import local_today, user_zone
from circles.network import logic
from circles.network.access import access_commitment, access_interaction, access_tie
from circles.network.actions import (
    do_add_tie,
    do_change_tie_status,
    do_delete_commitment,
    do_delete_interaction,
    do_delete_tie,
    do_log_interaction,
    do_save_commitment,
    do_update_interaction,
    do_update_tie,
)
from circles.network.forms import CARE_ORGANIZATION_BY_ENROLMENT, CARE_ORGANIZATION_FOLLOWS_ENROLMENT
from circles.network.health import NetworkView, load_adherence
from circles.network.models import (
    LOGGED_KINDS,
    Cadence,
    Circle,
    Commitment,
    ContactFrequency,
    Interaction,
    InteractionQuality,
    Pillar,
    Relationship,
    Stance,
    Strain,
    SubstanceUse,
    SupportKind,
    Tie,
    TieStatus,
)

router = Router(tags=["network"])
PAGE_SIZE = 100


def choices(options) -> type:
    """A Literal of a TextChoices' values, so the OpenAPI document lists every allowed value."""
    return Literal[tuple(options.values)]  # type: ignore[return-value]


RelationshipValue = choices(Relationship)
PillarValue = choices(Pillar)
CircleValue = choices(Circle)
SupportValue = choices(SupportKind)
FrequencyValue = choices(ContactFrequency)
UseValue = choices(SubstanceUse)
StanceValue = choices(Stance)
StrainValue = choices(Strain)
StatusValue = choices(TieStatus)
KindValue = Literal[tuple(kind.value for kind in LOGGED_KINDS)]  # type: ignore[valid-type]
QualityValue = choices(InteractionQuality)
CadenceValue = choices(Cadence)


class TieIn(InputSchema):
    display_name: str = Field(max_length=80)
    relationship: RelationshipValue  # type: ignore[valid-type]
    pillar_override: PillarValue | None = None  # type: ignore[valid-type]
    circle: CircleValue = "middle"  # type: ignore[valid-type]
    support_kinds: list[SupportValue] = []  # type: ignore[valid-type]
    contact_frequency: FrequencyValue = "weekly"  # type: ignore[valid-type]
    importance: int = Field(3, ge=1, le=5)
    substance_use: UseValue = "unknown"  # type: ignore[valid-type]
    stance: StanceValue = "neutral"  # type: ignore[valid-type]
    quality: int = Field(3, ge=1, le=5)
    strain_flags: list[StrainValue] = []  # type: ignore[valid-type]
    boundaries: str = Field("", max_length=2000)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)


class TiePatch(InputSchema):
    display_name: str | None = Field(None, max_length=80)
    relationship: RelationshipValue | None = None  # type: ignore[valid-type]
    pillar_override: PillarValue | Literal[""] | None = None  # type: ignore[valid-type]
    circle: CircleValue | None = None  # type: ignore[valid-type]
    support_kinds: list[SupportValue] | None = None  # type: ignore[valid-type]
    contact_frequency: FrequencyValue | None = None  # type: ignore[valid-type]
    importance: int | None = Field(None, ge=1, le=5)
    substance_use: UseValue | None = None  # type: ignore[valid-type]
    stance: StanceValue | None = None  # type: ignore[valid-type]
    quality: int | None = Field(None, ge=1, le=5)
    strain_flags: list[StrainValue] | None = None  # type: ignore[valid-type]
    boundaries: str | None = Field(None, max_length=2000)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32)


class TieOut(Schema):
    id: int
    display_name: str
    relationship: str
    pillar: str
    pillar_override: str
    circle: str
    support_kinds: list[str]
    contact_frequency: str
    importance: int
    substance_use: str
    stance: str
    quality: int
    strain_flags: list[str]
    boundaries: str
    email: str
    phone: str
    status: str
    status_since: dt.datetime
    created_at: dt.datetime


class TieStatusIn(InputSchema):
    status: StatusValue  # type: ignore[valid-type]
    note: str = Field("", max_length=500)


class InteractionIn(InputSchema):
    tie_id: int
    occurred_at: dt.datetime | None = Field(None, description="Defaults to now; not in the future.")
    kind: KindValue  # type: ignore[valid-type]
    duration_minutes: int | None = Field(None, ge=1, le=1440)
    quality: QualityValue = "helpful"  # type: ignore[valid-type]
    note: str = Field("", max_length=2000)


class InteractionPatch(InputSchema):
    tie_id: int | None = None
    occurred_at: dt.datetime | None = None
    kind: KindValue | None = None  # type: ignore[valid-type]
    duration_minutes: int | None = Field(None, ge=1, le=1440)
    quality: QualityValue | None = None  # type: ignore[valid-type]
    note: str | None = Field(None, max_length=2000)


class InteractionOut(Schema):
    id: int
    tie_id: int
    occurred_at: dt.datetime
    kind: str
    duration_minutes: int | None
    quality: str
    note: str


class InteractionPage(Schema):
    count: int
    offset: int
    items: list[InteractionOut]


class CommitmentIn(InputSchema):
    tie_id: int
    title: str = Field(max_length=120)
    cadence: CadenceValue  # type: ignore[valid-type]
    weekdays: list[StrictInt] = Field([], description="0 = Monday … 6 = Sunday; for cadence 'weekdays'.")
    interval_days: int | None = Field(None, ge=1, le=90)
    times_per_week: int | None = Field(None, ge=1, le=21)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class CommitmentPatch(InputSchema):
    tie_id: int | None = None
    title: str | None = Field(None, max_length=120)
    cadence: CadenceValue | None = None  # type: ignore[valid-type]
    weekdays: list[StrictInt] | None = None
    interval_days: int | None = Field(None, ge=1, le=90)
    times_per_week: int | None = Field(None, ge=1, le=21)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class AdherenceOut(Schema):
    expected: int
    met: int
    ratio: float | None
    missed_dates: list[dt.date]
    missed_in_a_row: int
    next_due: dt.date | None
    off_track: bool


class CommitmentOut(Schema):
    id: int
    tie_id: int
    title: str
    cadence: str
    weekdays: list[int]
    interval_days: int | None
    times_per_week: int | None
    starts_on: dt.date
    ends_on: dt.date | None
    adherence: AdherenceOut | None = None


class PillarOut(Schema):
    pillar: str
    active_ties: int
    days_since_contact: int | None
    contacts_per_week: float
    mean_quality: float | None


class CompositionOut(Schema):
    network_size: int
    daily_network_size: int
    abstinent_share: float | None
    heavy_use_share: float | None
    unknown_use_share: float | None
    important_ties: int
    important_supporting_recovery: int
    important_supporting_use: int


class FlagOut(Schema):
    tie_id: int
    name: str
    circle: str
    reasons: list[str]
    strain_flags: list[str]


class SuggestionOut(Schema):
    code: str
    text: str
    reason: str
    priority: int
    tie_id: int | None
    pillar: str | None


class WeekOut(Schema):
    week_start: dt.date
    counts: dict[str, int]


class NetworkHealthOut(Schema):
    """The network's part of `GET /network/health`; the check-ins app adds the latest support scores."""

    today: dt.date
    pillars: list[PillarOut]
    composition: CompositionOut
    flagged_ties: list[FlagOut]
    commitment_adherence: float | None
    commitments: list[CommitmentOut]
    suggestions: list[SuggestionOut]
    weeks: list[WeekOut]


def _adherence_out(result: logic.Adherence) -> AdherenceOut:
    return AdherenceOut(
        expected=result.expected,
        met=result.met,
        ratio=result.ratio,
        missed_dates=list(result.missed_dates),
        missed_in_a_row=result.missed_in_a_row,
        next_due=result.next_due,
        off_track=result.off_track,
    )


def _in_members_zone(request, changes: dict) -> None:
    """A time sent without a UTC offset is read in the member's own timezone."""
    moment = changes.get("occurred_at")
    if isinstance(moment, dt.datetime) and timezone.is_naive(moment):
        changes["occurred_at"] = moment.replace(tzinfo=user_zone(request.auth))


# --- Ties -------------------------------------------------------------------------------------


@router.get("/ties", response=list[TieOut], summary="Your ties, ended ones included")
def list_ties(request, status: StatusValue | None = None):  # type: ignore[valid-type]
    ties = Tie.objects.filter(member=request.auth)
    if status:
        ties = ties.filter(status=status)
    return list(ties)


@router.post("/ties", response={201: TieOut}, summary="Add a person, group or meeting to your circle")
def create_tie(request, payload: TieIn):
    data = payload.dict()
    data["pillar_override"] = data["pillar_override"] or ""
    if data["relationship"] == Relationship.CARE_ORGANIZATION:
        raise ValidationError({"relationship": [str(CARE_ORGANIZATION_BY_ENROLMENT)]})
    tie = Tie(member=request.auth, **data)
    tie.full_clean()  # the model's own rules: the same messages as the pages
    return Status(201, do_add_tie(tie, acting_user=request.auth))


@router.get("/ties/{tie_id}", response=TieOut, summary="One tie")
def get_tie(request, tie_id: int):
    return access_tie(request.auth, tie_id)


@router.patch("/ties/{tie_id}", response=TieOut, summary="Change a tie")
def update_tie(request, tie_id: int, payload: TiePatch):
    tie = access_tie(request.auth, tie_id, write=True)
    changes = payload.dict(exclude_unset=True)
    if "relationship" in changes and (
        Relationship.CARE_ORGANIZATION in (changes["relationship"], tie.relationship)
    ):
        if changes["relationship"] != tie.relationship:
            raise ValidationError({"relationship": [str(CARE_ORGANIZATION_BY_ENROLMENT)]})
    if "pillar_override" in changes and changes["pillar_override"] is None:
        changes["pillar_override"] = ""  # null clears the override: the pillar follows the relationship again
    apply_patch(tie, changes)
    tie.full_clean()
    return do_update_tie(tie, acting_user=request.auth)


def _refuse_care_organization(tie: Tie) -> None:
    """An organization's tie follows the enrolment (circles/care): leaving the program ends it."""
    if tie.is_care_organization:
        raise ValidationError({"status": [str(CARE_ORGANIZATION_FOLLOWS_ENROLMENT)]})


@router.post("/ties/{tie_id}/status", response=TieOut, summary="Pause, resume or end a tie (history is kept)")
def change_tie_status(request, tie_id: int, payload: TieStatusIn):
    tie = access_tie(request.auth, tie_id, write=True)
    _refuse_care_organization(tie)
    return do_change_tie_status(tie, payload.status, note=payload.note, acting_user=request.auth)


class StatusChangeOut(Schema):
    status: str
    changed_at: dt.datetime
    note: str


@router.get(
    "/ties/{tie_id}/history", response=list[StatusChangeOut], summary="A tie's status history, newest first"
)
def tie_history(request, tie_id: int):
    return list(access_tie(request.auth, tie_id).status_changes.all())


@router.delete("/ties/{tie_id}", response={204: None}, summary="Delete a tie added by mistake, with its log")
def delete_tie(request, tie_id: int):
    tie = access_tie(request.auth, tie_id, write=True)
    _refuse_care_organization(tie)
    do_delete_tie(tie, acting_user=request.auth)
    return Status(204, None)


# --- Interactions -----------------------------------------------------------------------------


@router.get("/interactions", response=InteractionPage, summary="Your contact log, newest first")
def list_interactions(request, tie_id: int | None = None, offset: int = Query(0, ge=0, le=10**9)):
    interactions = Interaction.objects.filter(member=request.auth)
    if tie_id is not None:
        interactions = interactions.filter(tie=access_tie(request.auth, tie_id))
    items = [InteractionOut.from_orm(i) for i in interactions[offset : offset + PAGE_SIZE]]
    return InteractionPage(count=interactions.count(), offset=offset, items=items)


def _set_tie(request, interaction_or_commitment, tie_id: int | None) -> None:
    if tie_id is not None:
        try:
            interaction_or_commitment.tie = access_tie(request.auth, tie_id)
        except Http404:  # a tie that is not yours is an invalid field here, not a missing page
            raise ValidationError({"tie_id": _("Choose one of your own ties.")}) from None


@router.post("/interactions", response={201: InteractionOut}, summary="Log contact with a tie")
def create_interaction(request, payload: InteractionIn):
    data = payload.dict(exclude={"tie_id"})
    if data["occurred_at"] is None:
        data.pop("occurred_at")
    _in_members_zone(request, data)
    interaction = Interaction(member=request.auth, **data)
    _set_tie(request, interaction, payload.tie_id)
    interaction.full_clean()
    return Status(201, do_log_interaction(interaction, acting_user=request.auth))


@router.get("/interactions/{interaction_id}", response=InteractionOut, summary="One logged contact")
def get_interaction(request, interaction_id: int):
    return access_interaction(request.auth, interaction_id)


@router.patch("/interactions/{interaction_id}", response=InteractionOut, summary="Change a logged contact")
def update_interaction(request, interaction_id: int, payload: InteractionPatch):
    interaction = access_interaction(request.auth, interaction_id, write=True)
    data = payload.dict(exclude_unset=True)
    _in_members_zone(request, data)
    _set_tie(request, interaction, data.pop("tie_id", None))
    apply_patch(interaction, data, nullable={"duration_minutes"})
    interaction.full_clean()
    return do_update_interaction(interaction, acting_user=request.auth)


@router.delete("/interactions/{interaction_id}", response={204: None}, summary="Remove a logged contact")
def delete_interaction(request, interaction_id: int):
    do_delete_interaction(
        access_interaction(request.auth, interaction_id, write=True), acting_user=request.auth
    )
    return Status(204, None)


# --- Commitments ------------------------------------------------------------------------------


def _commitment_out(commitment: Commitment, adherence: logic.Adherence | None) -> CommitmentOut:
    out = CommitmentOut.from_orm(commitment)
    out.adherence = _adherence_out(adherence) if adherence else None
    return out


def _with_adherence(member, commitment: Commitment) -> CommitmentOut:
    return _commitment_out(commitment, load_adherence(member, [commitment]).get(commitment.pk))


@router.get("/commitments", response=list[CommitmentOut], summary="Your commitments with adherence")
def list_commitments(request):
    commitments = list(Commitment.objects.filter(member=request.auth).select_related("tie"))
    adherence = load_adherence(request.auth, commitments)
    return [_commitment_out(c, adherence.get(c.pk)) for c in commitments]


@router.post("/commitments", response={201: CommitmentOut}, summary="Set a recurring commitment")
def create_commitment(request, payload: CommitmentIn):
    data = payload.dict(exclude={"tie_id"})
    if data["starts_on"] is None:
        data["starts_on"] = local_today(request.auth)
    commitment = Commitment(member=request.auth, **data)
    _set_tie(request, commitment, payload.tie_id)
    commitment.full_clean()
    do_save_commitment(commitment, acting_user=request.auth)
    return Status(201, _with_adherence(request.auth, commitment))


@router.get("/commitments/{commitment_id}", response=CommitmentOut, summary="One commitment with adherence")
def get_commitment(request, commitment_id: int):
    commitment = access_commitment(request.auth, commitment_id)
    return _with_adherence(request.auth, commitment)


@router.patch("/commitments/{commitment_id}", response=CommitmentOut, summary="Change a commitment")
def update_commitment(request, commitment_id: int, payload: CommitmentPatch):
    commitment = access_commitment(request.auth, commitment_id, write=True)
    data = payload.dict(exclude_unset=True)
    _set_tie(request, commitment, data.pop("tie_id", None))
    apply_patch(commitment, data, nullable={"interval_days", "times_per_week", "ends_on"})
    commitment.full_clean()
    do_save_commitment(commitment, acting_user=request.auth)
    return _with_adherence(request.auth, commitment)


@router.delete("/commitments/{commitment_id}", response={204: None}, summary="Remove a commitment")
def delete_commitment(request, commitment_id: int):
    do_delete_commitment(access_commitment(request.auth, commitment_id, write=True), acting_user=request.auth)
    return Status(204, None)


# --- Health -----------------------------------------------------------------------------------
# `GET /network/health` shows the latest MSPSS and BARC-10 beside these, so the operation lives in
# circles/checkins/api.py, above both apps.


def network_health_fields(network: NetworkView) -> dict:
    """The fields of NetworkHealthOut for a loaded network."""
    health = network.health
    commitments = {c.pk: c for c in network.commitments}
    return {
        "today": network.today,
        "pillars": [PillarOut(**vars(p)) for p in health.pillars],
        "composition": CompositionOut(**vars(health.composition)),
        "flagged_ties": [
            FlagOut(
                tie_id=f.tie_id,
                name=f.name,
                circle=f.circle,
                reasons=list(f.reasons),
                strain_flags=list(f.strain_flags),
            )
            for f in health.flags
        ],
        "commitment_adherence": health.commitment_adherence,
        "commitments": [_commitment_out(commitments[c.id], c.adherence) for c in health.commitments],
        "suggestions": [SuggestionOut(**vars(s)) for s in health.suggestions],
        "weeks": [WeekOut(week_start=w.week_start, counts=w.counts) for w in health.weeks],
    }
