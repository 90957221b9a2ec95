"""Questionnaire wording per organization: which members an organization's imported wording reaches.

checkins knows nothing about organizations: it asks the audience providers registered with it which
audiences a member is in now (circles/checkins/definitions.py). Importing this module (care/apps.py,
at start-up) registers the care app's answer: the organizations the member is actively enrolled with.
Read at the moment a questionnaire starts, so nothing is written when an enrolment starts or ends.
"""

from circles.care.models import Enrolment
from circles.checkins.definitions import register_audience_provider


def organization_audience(organization_id: int) -> str:
    """The audience of an organization's actively enrolled members."""
    return f"organization:{organization_id}"


def enrolled_audiences(member) -> list[str]:
    """The audiences a member is in now: each organization they are actively enrolled with. One query."""
    return [
        organization_audience(organization_id)
        for organization_id in Enrolment.objects.active()
        .filter(member=member)
        .values_list("organization_id", flat=True)
    ]


register_audience_provider(enrolled_audiences)
