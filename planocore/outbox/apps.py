from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "planocore.outbox"
    label = "outbox"
    verbose_name = "Outgoing requests"
    api_models = True  # its models' permissions are the API's (planocore.accounts.services)

    def ready(self) -> None:
        from planocore.dashboard import register_failures
        from planocore.outbox.selectors import abandoned_failures, abandoned_list_url

        register_failures("abandoned_requests", "Abandoned requests", abandoned_failures, abandoned_list_url)
