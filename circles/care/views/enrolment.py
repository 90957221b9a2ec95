"""Enrolment: staff invite a person; the person consents and joins; the member's own care page; care teams."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
