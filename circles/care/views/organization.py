"""Olivia's pages: the organization, its programs and staff, enrolled members, consent records and
questionnaire wording."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
