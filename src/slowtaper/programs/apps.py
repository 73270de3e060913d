from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "slowtaper.programs"
    label = "programs"
