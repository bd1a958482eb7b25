from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PlanocoreConfig(AppConfig):
    name = "planocore"
    label = "planocore"
    verbose_name = "Platform"

    def ready(self) -> None:
        from planocore import receivers

        post_migrate.connect(receivers.sync_routes_after_migrate, dispatch_uid="planocore.sync_routes")
        receivers.connect()
