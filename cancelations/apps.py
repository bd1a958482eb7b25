from django.apps import AppConfig


class CancelationsConfig(AppConfig):
    name = "cancelations"
