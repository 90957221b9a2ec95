from django.urls import path

from circles.checkins import views

app_name = "checkins"

urlpatterns = [
    path("", views.today, name="today"),
    path("day/<str:day>/", views.checkin_day, name="day"),
    path("history/", views.history, name="history"),
    path("settings/", views.checkin_settings_page, name="settings"),
    path("questionnaires/<str:instrument>/start/", views.start_measure, name="start_measure"),
    path("questionnaires/import/", views.import_questionnaire, name="import_questionnaire"),
    path("answers/<int:assessment_id>/", views.assessment_page, name="assessment"),
    path("answers/<int:assessment_id>/fhir.json", views.assessment_fhir, name="assessment_fhir"),
    path("progress/", views.trajectory, name="trajectory"),
]

# My circle shows the network with check-in reminders and scores, so its view lives here, above both;
# circles/urls.py serves it in the network's section, at /network/ as "network:overview".
network_section = [path("", views.my_circle, name="overview")]
# The questionnaires page, which says who sees each one's results, is served by circles/sharing/views.py.
# A questionnaire's result page (circles/alerts/views.py assessment_result) is served in this section too.
