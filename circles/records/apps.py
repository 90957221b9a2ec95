from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "circles.records"
    label = "records"

    def ready(self):
        from circles.records import checks  # noqa: F401 — registers the encryption key check
