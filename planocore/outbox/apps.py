from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "planocore.outbox"
    label = "outbox"
    verbose_name = "Outgoing requests"
