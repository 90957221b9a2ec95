"""The one way to fetch a protected check-in or questionnaire. Missing and not-yours both answer 404.

Another person's check-ins and results are read only through circles.sharing.access, under a live consent.
"""

import datetime as dt

from django.http import Http404

from circles.audit.trail import refuse_record
from circles.checkins.models import Assessment, CheckIn


def access_checkin(user, day: dt.date, write: bool = False) -> CheckIn:
    # Addressed by the member's own day, so there is never someone else's record to refuse.
    try:
        checkin = CheckIn.objects.get(member=user, day=day)
    except CheckIn.DoesNotExist:
        raise Http404 from None
    checkin.member = user  # already loaded: its timezone decides what "today" is for this check-in
    return checkin


def access_assessment(user, assessment_id: int, write: bool = False) -> Assessment:
    try:
        return Assessment.objects.select_related("definition").get(pk=assessment_id, member=user)
    except Assessment.DoesNotExist:
        raise refuse_record(user, Assessment, assessment_id, write=write) from None
