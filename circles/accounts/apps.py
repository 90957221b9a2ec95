from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "circles.accounts"
    label = "accounts"

    def ready(self):
        from circles.accounts import receivers  # noqa: F401 — connects the sign-in receivers
