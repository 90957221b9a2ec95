from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "circles.alerts"
    label = "alerts"
