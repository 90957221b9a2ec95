from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "circles.alerts"
    label = "alerts"

    def ready(self):
        from circles.alerts import checks  # noqa: F401 — registers the deploy checks
