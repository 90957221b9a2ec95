"""Reminder preferences for tests, saved directly (the page and API tests go through the form)."""

from circles.notices.models import ReminderPreferences


def prefer(person, **values) -> ReminderPreferences:
    preferences, _created = ReminderPreferences.objects.update_or_create(person=person, defaults=values)
    return preferences
