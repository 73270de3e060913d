from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "slowtaper.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Connect the session-record signals (login, logout, disabled accounts).
        from . import security  # noqa: F401
