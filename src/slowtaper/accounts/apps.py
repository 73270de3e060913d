from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "slowtaper.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Connect the session-record signals (login, logout, disabled accounts).
        from . import pagecache, security  # noqa: F401

        # Member pages kept until what they show changes: every write that changes one gives a new stamp.
        pagecache.connect()
