from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "circles.sharing"
    label = "sharing"
