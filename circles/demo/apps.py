from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "circles.demo"
    label = "demo"
