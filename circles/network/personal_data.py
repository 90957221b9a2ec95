"""What the network app keeps about a person: their ties, contact log and commitments
(circles/lib/personal_data.py; export and erasure are circles/records)."""

from circles.lib.fhir import patient_reference, urn
from circles.lib.personal_data import PersonalData, Row, row
from circles.lib.time import user_zone
from circles.network import rollup
from circles.network.models import (
    Commitment,
    Interaction,
    InteractionKind,
    Relationship,
    Tie,
    TieStatus,
    TieStatusChange,
    WeeklyContact,
)

TIE_FIELDS = [
    "id",
    "display_name",
    "relationship",
    "pillar",
    "pillar_override",
    "circle",
    "support_kinds",
    "contact_frequency",
    "importance",
    "substance_use",
    "stance",
    "quality",
    "strain_flags",
    "boundaries",
    "email",
    "phone",
    "status",
    "status_since",
    "created_at",
    "updated_at",
]


def ties(user) -> list[Row]:
    # Whether a supporter's account is linked, never whose it is.
    return [
        row(tie, TIE_FIELDS, supporter_linked=tie.supporter_id is not None)
        for tie in Tie.objects.filter(member=user).order_by("id")
    ]


def tie_status_changes(user) -> list[Row]:
    return [
        row(change, ["id", "tie_id", "status", "changed_at", "note"])
        for change in TieStatusChange.objects.filter(tie__member=user).order_by("id")
    ]


def contacts(user) -> list[Row]:
    """The member's contact log, their private notes included; encouragement with its message."""
    rows = []
    for interaction in Interaction.objects.filter(member=user).order_by("id"):
        entry = row(
            interaction,
            ["id", "tie_id", "occurred_at", "kind", "duration_minutes", "quality", "note", "created_at"],
        )
        if interaction.kind == InteractionKind.ENCOURAGEMENT:
            entry.update(message=interaction.message, from_supporter=True)
        rows.append(entry)
    return rows


def weekly_contact_counts(user) -> list[Row]:
    """How many contacts with each tie fell in each of the member's weeks (in their time zone now)."""
    rollup.ensure_counted(user, user_zone(user))
    return [
        row(week, ["tie_id", "week_start", "count"])
        for week in WeeklyContact.objects.filter(member=user).order_by("tie_id", "week_start")
    ]


def encouragement_sent(user) -> list[Row]:
    """What the person wrote to members they support: their words only, nothing of the member's log."""
    return [
        row(interaction, ["occurred_at", "message"])
        for interaction in Interaction.objects.filter(sent_by=user).order_by("id")
    ]


def commitments(user) -> list[Row]:
    names = ["id", "tie_id", "title", "cadence", "weekdays", "interval_days", "times_per_week"]
    return [
        row(commitment, [*names, "starts_on", "ends_on", "created_at"])
        for commitment in Commitment.objects.filter(member=user).order_by("id")
    ]


ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
# Relationships with a reasonable v3 RoleCode; the rest go as text only.
ROLE_CODES = {
    Relationship.PARTNER: ("SIGOTHR", "significant other"),
    Relationship.PARENT: ("PRN", "parent"),
    Relationship.SIBLING: ("SIB", "sibling"),
    Relationship.CHILD: ("CHILD", "child"),
    Relationship.OTHER_FAMILY: ("FAMMEMB", "family member"),
    Relationship.FRIEND: ("FRND", "unrelated friend"),
    Relationship.NEIGHBOUR: ("NBOR", "neighbor"),
}


def related_person(tie: Tie, user) -> dict:
    relationship: dict[str, object] = {"text": tie.get_relationship_display()}
    if tie.relationship in ROLE_CODES:
        code, display = ROLE_CODES[Relationship(tie.relationship)]
        relationship["coding"] = [{"system": ROLE_CODE, "code": code, "display": display}]
    resource: dict[str, object] = {
        "resourceType": "RelatedPerson",
        "identifier": [{"system": "urn:circles:tie", "value": str(tie.pk)}],
        "active": tie.status != TieStatus.ENDED,
        "patient": patient_reference(user),
        "relationship": [relationship],
        "name": [{"text": tie.display_name}],
    }
    telecom = []
    if tie.email:
        telecom.append({"system": "email", "value": tie.email})
    if tie.phone:
        telecom.append({"system": "phone", "value": tie.phone})
    if telecom:
        resource["telecom"] = telecom
    return resource


def fhir_entries(user) -> list[dict]:
    return [
        {"fullUrl": urn("RelatedPerson", tie.pk), "resource": related_person(tie, user)}
        # An organization the member is enrolled with is not a related person: circles/care exports it
        # as the CareTeam's managing organization.
        for tie in Tie.objects.filter(member=user)
        .exclude(relationship=Relationship.CARE_ORGANIZATION)
        .order_by("id")
    ]


PERSONAL_DATA = PersonalData(
    sections={
        Tie: ties,
        TieStatusChange: tie_status_changes,
        Interaction: contacts,
        WeeklyContact: weekly_contact_counts,
        Commitment: commitments,
    },
    extra_sections=[encouragement_sent],
    fhir_entries=fhir_entries,
)
