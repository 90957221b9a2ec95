"""The care app's addresses, under /care/ (one list per module of circles/care/views/)."""

from circles.care.views import caseload, enrolment, inbox, messages, organization, record, sessions

app_name = "care"

urlpatterns = [
    *caseload.urlpatterns,
    *organization.urlpatterns,
    *enrolment.urlpatterns,
    *record.urlpatterns,
    *sessions.urlpatterns,
    *messages.urlpatterns,
    *inbox.urlpatterns,
]

# Care pages served in a lower app's section (circles/urls.py): the member's commitments show their sessions.
network_section = [*sessions.network_section]
