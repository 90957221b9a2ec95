from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "circles.worker"
    label = "worker"

    def ready(self) -> None:
        from circles.worker import checks  # noqa: F401 — registers the settings check
