from django.urls import path

from circles.alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("sos/", views.sos, name="sos"),
    path("ladder/", views.ladder, name="ladder"),
    path("ladder/add/", views.ladder_add, name="ladder_add"),
    path("ladder/suggested/", views.ladder_suggested, name="ladder_suggested"),
    path("ladder/<int:step>/window/", views.ladder_window, name="ladder_window"),
    path("ladder/<int:step>/up/", views.ladder_up, name="ladder_up"),
    path("ladder/<int:step>/<int:tie_id>/remove/", views.ladder_remove, name="ladder_remove"),
    path("rules/", views.rules, name="rules"),
    path("<int:alert_id>/", views.detail, name="detail"),
    path("<int:alert_id>/status/", views.status, name="status"),
    path("<int:alert_id>/progress/", views.progress, name="progress"),
    path("<int:alert_id>/close/", views.close, name="close"),
    path("asked/<int:alert_id>/", views.asked, name="asked"),
    path("asked/<int:alert_id>/answer/", views.asked_answer, name="asked_answer"),
    path("answer/<str:token>/", views.answer_link, name="answer"),
]

# The supporter's home lists alerts beside what members share, so its view lives here, above sharing;
# circles/urls.py serves it in the sharing section, at /supporting/ as "sharing:supporting".
sharing_section = [path("supporting/", views.supporting, name="supporting")]

# A questionnaire's result names whom a safety answer is asking, so its view lives here too; circles/urls.py
# serves it in the check-ins section, at /checkins/answers/<id>/result/ as "checkins:assessment_result".
checkins_section = [
    path("answers/<int:assessment_id>/result/", views.assessment_result, name="assessment_result")
]
