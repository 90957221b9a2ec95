from django.urls import path

from circles.sharing import views

app_name = "sharing"

urlpatterns = [
    # The member's side
    path("sharing/", views.overview, name="overview"),
    path("sharing/reach/", views.reach, name="reach"),
    path("sharing/ties/<int:tie_id>/", views.tie_sharing, name="tie"),
    path("sharing/ties/<int:tie_id>/revoke/", views.revoke, name="revoke"),
    path("sharing/ties/<int:tie_id>/unlink/", views.unlink, name="unlink"),
    path("sharing/ties/<int:tie_id>/invite/", views.invite, name="invite"),
    path(
        "sharing/invitations/<int:invitation_id>/resend/", views.invitation_resend, name="invitation_resend"
    ),
    path(
        "sharing/invitations/<int:invitation_id>/cancel/", views.invitation_cancel, name="invitation_cancel"
    ),
    path("sharing/consents/", views.consent_history, name="consent_history"),
    path("sharing/consents/<int:consent_id>/", views.consent_detail, name="consent_detail"),
    path("sharing/consents/<int:consent_id>/fhir.json", views.consent_fhir, name="consent_fhir"),
    path("sharing/access/", views.access_history, name="access_history"),
    # The invited person
    path("invitation/<str:token>/", views.accept, name="accept"),
    # The supporter's side
    # "sharing:supporting" (/supporting/) lives in circles/alerts/urls.py: it lists alerts too.
    path("supporting/notice/", views.part2_notice, name="part2_notice"),
    path("supporting/<int:member_id>/", views.supported_member, name="supported_member"),
    path("supporting/<int:member_id>/encourage/", views.encourage, name="encourage"),
]

# The questionnaires page says who sees each one's results, so its view lives here, above check-ins;
# circles/urls.py serves it in the check-ins section, at /checkins/questionnaires/ as "checkins:measures".
checkins_section = [path("questionnaires/", views.measures, name="measures")]
