from django.apps import AppConfig


class GlipConfig(AppConfig):
    name = "glip"
