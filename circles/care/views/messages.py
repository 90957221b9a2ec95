"""The secure thread between a member and their care team."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
