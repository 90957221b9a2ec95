from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "circles.care"
    label = "care"
    verbose_name = "Organizations and professional care"

    def ready(self):
        from circles.care import receivers  # noqa: F401 — subscribes to the network's events
        from circles.care.actions import enrolled_audiences
        from circles.checkins.definitions import register_audience_provider

        # An organization's questionnaire wording reaches its actively enrolled members (docs/care.md).
        register_audience_provider(enrolled_audiences)
