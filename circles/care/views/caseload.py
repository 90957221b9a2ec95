"""The caseload: a staff member's home, every member they care for ranked by need."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
