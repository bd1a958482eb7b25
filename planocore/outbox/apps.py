from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "planocore.outbox"
    label = "outbox"
    verbose_name = "Outbox"
    api_models = True  # its models' permissions are the API's (planocore.accounts.services)
