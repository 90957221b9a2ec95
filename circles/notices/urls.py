from django.urls import path

from circles.notices import views

app_name = "notices"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

# The preferences page belongs with the account's settings: circles/urls.py serves it in the account's
# section, at /accounts/reminders/ as "accounts:reminders".
accounts_section = [
    path("reminders/", views.preferences, name="reminders"),
]
