"""What every FHIR resource Circles builds shares: stable ids and the reference to the member."""

import uuid

NAMESPACE = uuid.UUID("6f1b1d2e-8a47-4c1e-9a51-0f6c2b7f5a10")  # fixed, so ids are stable across exports


def urn(kind: str, key: object) -> str:
    """The fullUrl of one resource: the same record gets the same id in every download."""
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{kind}:{key}')}"


def patient_reference(member) -> dict:
    """A reference to the member as the Patient of a download's Bundle."""
    return {
        "reference": urn("Patient", member.pk),
        "identifier": {"system": "urn:circles:member", "value": str(member.pk)},
        "display": member.display_name,
    }
