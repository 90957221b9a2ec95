from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "circles.audit"
    label = "audit"

    def ready(self):
        from circles.audit import checks  # noqa: F401 — registers the key and checkpoint checks
