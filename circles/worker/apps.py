from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "circles.worker"
    label = "worker"
