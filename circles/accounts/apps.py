from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "circles.accounts"
    label = "accounts"
