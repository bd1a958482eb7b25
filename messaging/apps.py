from django.apps import AppConfig
from django.core import checks


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging clients"
    api_models = True  # its models' permissions are the API's (planocore.accounts.services)
    # What the Client role may do with its own messaging clients (planocore.declarations).
    client_permissions = (
        "messaging.view_messagingclient",
        "messaging.add_messagingclient",
        "messaging.delete_messagingclient",
    )

    def ready(self) -> None:
        checks.register(check_sunshine_settings, "messaging")


def check_sunshine_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Fail loudly on a half-configured Sunshine Conversations account."""
    from django.conf import settings

    names = (
        "SUNSHINE_CONVERSATIONS_APP_ID",
        "SUNSHINE_CONVERSATIONS_KEY_ID",
        "SUNSHINE_CONVERSATIONS_SECRET",
    )
    given = [name for name in names if getattr(settings, name)]
    problems: list[checks.CheckMessage] = []
    if given and len(given) < len(names):
        missing = ", ".join(name for name in names if name not in given)
        problems.append(
            checks.Error(
                f"Sunshine Conversations is half configured: {missing} not set.",
                hint="Set all three, or none (then conversation messages go to the sandbox).",
                id="messaging.E001",
            )
        )
    if len(given) == len(names) and not settings.SUNSHINE_CONVERSATIONS_WEBHOOK_SECRET:
        problems.append(
            checks.Warning(
                "SUNSHINE_CONVERSATIONS_WEBHOOK_SECRET is not set: the webhook refuses every call, so "
                "clients stay pending.",
                id="messaging.W001",
            )
        )
    return problems
