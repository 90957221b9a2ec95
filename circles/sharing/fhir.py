"""A consent record as a FHIR R4 Consent, validated with the fhir.resources R4B models."""

import base64

from fhir.resources.R4B.consent import Consent as FhirConsent

from circles.lib.fhir import urn
from circles.sharing import logic
from circles.sharing.models import Consent, RecipientKind

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
PART_2 = "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2"


def member_reference(member_id: int, name: str) -> dict:
    return {"identifier": {"system": "urn:circles:member", "value": str(member_id)}, "display": name}


def tie_reference(tie_id: int | None, name: str) -> dict:
    reference: dict = {"display": name}
    if tie_id is not None:
        reference["identifier"] = {"system": "urn:circles:tie", "value": str(tie_id)}
    return reference


def organization_urn(tie_id: int) -> str:
    """The fullUrl of the Organization resource that stands for an organization tie: the consent names it
    as the recipient, and circles/care/fhir.py emits the resource under the same address."""
    return urn("Organization", f"tie:{tie_id}")


def recipient_reference(consent: Consent) -> dict:
    """A person's tie is identified (a RelatedPerson in the export); an organization's tie is the
    Organization resource the export carries (an organization is not a related person)."""
    reference = tie_reference(consent.tie_id, consent.recipient_name)
    if consent.recipient_kind == RecipientKind.ORGANIZATION and consent.tie_id is not None:
        reference = {"reference": organization_urn(consent.tie_id), "type": "Organization", **reference}
    return reference


def consent_resource(consent: Consent) -> dict:
    """Active while it is the newest record for its tie; inactive once replaced, revoked or expired."""
    live = consent.is_live()
    provision: dict = {
        "type": "deny" if consent.revoked else "permit",
        "actor": [
            {
                "role": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                            "code": "IRCP",
                            "display": "information recipient",
                        }
                    ]
                },
                "reference": recipient_reference(consent),
            }
        ],
        "action": [
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "disclose"}
                ]
            }
        ],
        "purpose": [{"system": ACT_REASON, "code": "PATRQT", "display": "patient requested"}],
    }
    if consent.scopes:
        to_organization = consent.recipient_kind == "organization"
        provision["code"] = [
            {
                "coding": [{"system": "urn:circles:sharing-scope", "code": code}],
                "text": str(logic.SCOPE_BY_CODE[code].description_for(to_organization)),
            }
            for code in consent.scopes
            if code in logic.SCOPE_BY_CODE
        ]
    if consent.expires_at:
        provision["period"] = {"start": consent.signed_at.isoformat(), "end": consent.expires_at.isoformat()}
    resource = {
        "resourceType": "Consent",
        "id": f"circles-consent-{consent.pk}",
        "identifier": [{"system": "urn:circles:consent", "value": str(consent.pk)}],
        "status": "active" if live else "inactive",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                    "display": "Privacy Consent",
                }
            ]
        },
        "category": [
            {"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]},
            {"coding": [{"system": ACT_CODE, "code": "IDSCL", "display": "information disclosure"}]},
        ],
        "patient": member_reference(consent.member_id, consent.member.display_name),
        "dateTime": consent.signed_at.isoformat(),
        "performer": [member_reference(consent.member_id, consent.signature_name)],
        "policy": [{"uri": PART_2}],
        "sourceAttachment": {
            "contentType": "text/plain; charset=utf-8",
            "title": f"Consent {consent.pk}: {consent.purpose}"[:200],
            "data": base64.b64encode(signed_text(consent).encode()).decode(),
            "creation": consent.signed_at.isoformat(),
        },
        "provision": provision,
    }
    FhirConsent.model_validate(resource)  # raises if we ever build something that is not valid FHIR
    return resource


def signed_text(consent: Consent) -> str:
    """The statement the member signed, followed by the signature: typed name, time and address."""
    return (
        f"{consent.statement}\n\n"
        f"Signed electronically by typing the name “{consent.signature_name}” on "
        f"{consent.signed_at.isoformat()} from network address {consent.signed_address or 'unknown'}."
    )
