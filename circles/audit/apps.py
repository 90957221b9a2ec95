from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "circles.audit"
    label = "audit"
