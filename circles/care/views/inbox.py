"""The care-team alert inbox: safety signals to acknowledge, with a follow-up note."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
