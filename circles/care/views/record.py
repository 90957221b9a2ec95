"""A member's record as their care team sees it, and clinical notes."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
