"""What the sharing app keeps about a person: the invitations they sent, their consent records and how
they would like to be reached (circles/lib/personal_data.py; export and erasure are circles/records)."""

from circles.lib.fhir import urn
from circles.lib.personal_data import PersonalData, Row, row
from circles.sharing.fhir import consent_resource
from circles.sharing.models import Consent, Invitation, ReachDetails


def invitations(user) -> list[Row]:
    # Never the nonce: with it, an old link could be forged back to life.
    names = ["id", "tie_id", "email", "status", "created_at", "sent_at", "send_count", "expires_at"]
    return [
        row(invitation, [*names, "cancelled_at", "accepted_at"])
        for invitation in Invitation.objects.filter(member=user).order_by("id")
    ]


CONSENT_FIELDS = [
    "id",
    "tie_id",
    "recipient_name",
    "recipient_relationship",
    "scopes",
    "revoked",
    "purpose",
    "expires_on",
    "expires_at",
    "expiry_event",
    "statement",
    "signature_name",
    "signed_at",
    "signed_address",
    "superseded_at",
]


def consents(user) -> list[Row]:
    return [
        row(consent, CONSENT_FIELDS, recipient_account_linked=consent.recipient_account_id is not None)
        for consent in Consent.objects.filter(member=user).order_by("id")
    ]


def reach_details(user) -> list[Row]:
    return [
        row(details, ["phone", "preferred", "updated_at"])
        for details in ReachDetails.objects.filter(member=user)
    ]


def fhir_entries(user) -> list[dict]:
    return [
        {"fullUrl": urn("Consent", consent.pk), "resource": consent_resource(consent)}
        for consent in Consent.objects.filter(member=user).select_related("member", "tie").order_by("id")
    ]


def erase(user) -> None:
    """Invitations the person accepted were sent to their address; the inviting member keeps the record
    that the invitation was accepted, without the address."""
    Invitation.objects.filter(accepted_by=user).update(email="")


PERSONAL_DATA = PersonalData(
    sections={Invitation: invitations, Consent: consents, ReachDetails: reach_details},
    fhir_entries=fhir_entries,
    erase=erase,
)
