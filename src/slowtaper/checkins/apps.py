from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "slowtaper.checkins"
    label = "checkins"
