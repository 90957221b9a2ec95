from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "circles.notices"
    label = "notices"
    verbose_name = "Reminders and notices"
