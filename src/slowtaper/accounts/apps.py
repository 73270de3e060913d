from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "slowtaper.accounts"
    label = "accounts"
