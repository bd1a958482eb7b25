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
        from planocore.consent import register_suppression_check

        checks.register(check_sunshine_settings, "messaging")
        register_suppression_check("messaging", removed_clients_check)


def removed_clients_check(*, sends: list[tuple[str, dict]]) -> list:
    """The outbox's consent check for conversations: a conversation whose clients were all removed."""
    from messaging.selectors import removed_conversations
    from planocore.consent import Suppressed

    wanted = {str(p.get("conversation_id") or "") for channel, p in sends if channel == "conversation"}
    removed = removed_conversations(wanted - {""})
    return [
        Suppressed(
            reason="The messaging client was removed", since=removed[cid], address=f"conversation {cid}"
        )
        if channel == "conversation" and (cid := str(payload.get("conversation_id") or "")) in removed
        else None
        for channel, payload in sends
    ]


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
