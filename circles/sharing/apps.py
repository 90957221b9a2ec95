from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "circles.sharing"
    label = "sharing"

    def ready(self):
        from circles.sharing import receivers  # noqa: F401 — subscribes to the network's events
