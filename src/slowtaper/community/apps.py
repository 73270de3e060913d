from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "slowtaper.community"
    label = "community"
