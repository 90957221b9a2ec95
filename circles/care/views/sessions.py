"""Sessions staff schedule with a member, and their attendance."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
