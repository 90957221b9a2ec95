from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "circles.network"
    label = "network"
