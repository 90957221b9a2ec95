from django.urls import path

from circles.network import views

app_name = "network"

# "network:overview" (My circle, /network/) is served from circles/checkins/urls.py: it shows check-ins too.
# "network:commitment_list" (/network/commitments/) is served from circles/care/urls.py: it shows sessions.

urlpatterns = [
    path("ties/", views.tie_list, name="tie_list"),
    path("ties/new/", views.tie_create, name="tie_create"),
    path("ties/<int:tie_id>/", views.tie_detail, name="tie_detail"),
    path("ties/<int:tie_id>/edit/", views.tie_edit, name="tie_edit"),
    path("ties/<int:tie_id>/status/", views.tie_status, name="tie_status"),
    path("ties/<int:tie_id>/delete/", views.tie_delete, name="tie_delete"),
    path("contacts/", views.interaction_list, name="interaction_list"),
    path("contacts/new/", views.interaction_create, name="interaction_create"),
    path("contacts/<int:interaction_id>/edit/", views.interaction_edit, name="interaction_edit"),
    path("contacts/<int:interaction_id>/delete/", views.interaction_delete, name="interaction_delete"),
    path("commitments/new/", views.commitment_create, name="commitment_create"),
    path("commitments/<int:commitment_id>/edit/", views.commitment_edit, name="commitment_edit"),
    path("commitments/<int:commitment_id>/delete/", views.commitment_delete, name="commitment_delete"),
]
