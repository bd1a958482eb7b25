"""What each notification type needs before it can be sent, and the lookups of other apps it asks.

Read by the params serializer (`NotificationCreateParams.validate` calls
`channel_problems`) and by the services (`build_delivery`): a module of its own, so
neither imports the other.
"""

from typing import Any

from notifications.models import NotificationType, Processed
from planocore.providers.fetch import FetchRefused, Unresolvable, allow_http, allowed_hosts, check_url
from planocore.providers.ringcentral.selectors import ringcentral_extension_active


# --- lookups of other apps (imported lazily: those apps may be absent or change) --------
def active_glip_team(name: str):
    """The active GlipTeam called `name`, or None."""
    from glip.models import GlipTeam

    return GlipTeam.objects.filter(name=name, active=True).only("pk", "chat_id").first()


def conversation_for_user(user_id: str) -> str | None:
    """The conversation id of the user's active linked messaging client, or None."""
    from messaging.selectors import conversation_for_user as lookup

    return lookup(user_id)


def ringcentral_extension(number: str):
    """The active RingCentralExtension with this extension number, or None."""
    return ringcentral_extension_active(number)


def message_text(data: dict[str, Any]) -> str:
    """The text of an sms, mms, glip or conversation notification: its body, else its subject."""
    return data.get("email_body") or data.get("email_subject") or ""


def media_url_problem(url: str) -> str:
    """Why the server will not fetch `url` as an MMS's media ("" when the fence lets it through).

    One message whatever the reason (scheme, allow-list, an internal host), so the
    answer tells nothing of the server's network. A host that does not resolve now
    cannot be judged yet: it is let through, and the fetch judges it again, the same
    way, when the media is sent (a permanent, neutral failure if it is refused then).
    """
    try:
        check_url(url)
    except Unresolvable:
        return ""
    except FetchRefused:
        schemes = "http or https" if allow_http() else "https"
        hosts = " on a permitted media host" if allowed_hosts() else ""
        return (
            f"The param `media_url` must be an {schemes} URL{hosts} whose host resolves to public addresses."
        )
    return ""


def channel_problems(data: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """What the notification_type needs and `data` lacks: (field, message, missing?) tuples.

    email: email_to, and email_subject or email_body. sms: phone_to, phone_from or
    extension, and a text. mms: the same plus a media_url the fetch fence
    allows (`media_url_problem`). glip: team_name of an
    active team, and a text. conversation: user_id of a user with an active linked
    messaging client, and a text.
    """
    kind = data.get("notification_type") or ""
    problems: list[tuple[str, str, bool]] = []
    if not kind or data.get("processed") == Processed.YES:
        return problems  # stored only: nothing will be sent
    if kind == NotificationType.EMAIL:
        if not data.get("email_to"):
            problems.append(("email_to", "The param `email_to` is required for email notifications.", True))
        if not data.get("email_subject") and not data.get("email_body"):
            problems.append(
                ("email_subject", "An email notification needs `email_subject` or `email_body`.", True)
            )
        return problems
    if not message_text(data):
        problems.append(("email_body", f"A {kind} notification needs its text in `email_body`.", True))
    if kind in (NotificationType.SMS, NotificationType.MMS):
        if not data.get("phone_to"):
            problems.append(("phone_to", f"The param `phone_to` is required for {kind} notifications.", True))
        if not data.get("phone_from") and not data.get("extension"):
            problems.append(("phone_from", f"A {kind} notification needs `phone_from` or `extension`.", True))
        elif data.get("extension") and ringcentral_extension(data["extension"]) is None:
            problems.append(
                ("extension", f"'{data['extension']}' is not a known RingCentral extension.", False)
            )
        if kind == NotificationType.MMS and not data.get("media_url"):
            problems.append(("media_url", "The param `media_url` is required for mms notifications.", True))
        elif kind == NotificationType.MMS:
            problem = media_url_problem(data["media_url"])
            if problem:
                problems.append(("media_url", problem, False))
    elif kind == NotificationType.GLIP:
        if not data.get("team_name"):
            problems.append(("team_name", "The param `team_name` is required for glip notifications.", True))
        elif active_glip_team(data["team_name"]) is None:
            problems.append(
                (
                    "team_name",
                    f"'{data['team_name']}' is not an active Glip team; see "
                    "/documentation/list_items/glip_team.",
                    False,
                )
            )
    elif kind == NotificationType.CONVERSATION:
        if not data.get("user_id"):
            problems.append(
                ("user_id", "The param `user_id` is required for conversation notifications.", True)
            )
        elif conversation_for_user(str(data["user_id"])) is None:
            problems.append(
                ("user_id", f"User '{data['user_id']}' has no active linked messaging client.", False)
            )
    return problems
