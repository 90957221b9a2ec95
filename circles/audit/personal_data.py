"""What the audit trail holds about a person: who read or changed their data
(circles/lib/personal_data.py; export and erasure are circles/records).

Erasure leaves the trail as it was: its rows name people by account number only, and once the account
is gone that number leads to nobody.
"""

from circles.audit.models import AuditEvent
from circles.lib.personal_data import PersonalData, Row, row


def access_history(user) -> list[Row]:
    """Who read or changed the person's data, and when: the audit rows about them."""
    return [
        row(event, ["at", "actor_id", "action", "object_ref", "outcome"])
        for event in AuditEvent.objects.filter(subject_id=user.pk).order_by("id")
    ]


PERSONAL_DATA = PersonalData(sections={AuditEvent: access_history})
