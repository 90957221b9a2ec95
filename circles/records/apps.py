from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "circles.records"
    label = "records"
