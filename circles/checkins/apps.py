from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "circles.checkins"
    label = "checkins"

    def ready(self):
        from circles.checkins import crisis  # noqa: F401 — registers the crisis-resources system check
