from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "circles.care"
    label = "care"
    verbose_name = "Organizations and professional care"

    def ready(self):
        from circles.care import (
            receivers,  # noqa: F401 — subscribes to the network's events
            wording,  # noqa: F401 — an organization's questionnaire wording reaches its members
        )
