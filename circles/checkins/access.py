"""The one way to fetch a protected check-in or questionnaire. Missing and not-yours both answer 404."""

import datetime as dt

from django.http import Http404

from circles.checkins.models import Assessment, CheckIn


def access_checkin(user, day: dt.date, write: bool = False) -> CheckIn:
    # Only the member reads their check-ins for now; consent-based reading by others is added here.
    try:
        return CheckIn.objects.get(member=user, day=day)
    except CheckIn.DoesNotExist:
        raise Http404 from None


def access_assessment(user, assessment_id: int, write: bool = False) -> Assessment:
    try:
        return Assessment.objects.select_related("definition").get(pk=assessment_id, member=user)
    except Assessment.DoesNotExist:
        raise Http404 from None
