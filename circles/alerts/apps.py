from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "circles.alerts"
    label = "alerts"

    def ready(self):
        # Registers the deploy checks, and subscribes to the check-ins' events.
        from circles.alerts import checks, receivers  # noqa: F401
