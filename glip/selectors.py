"""Reads of the glip app."""

from django.db.models import QuerySet

from glip.models import GlipMessage, GlipTeam


def glip_team_active_by_name(name: str) -> GlipTeam | None:
    """The active team callers mean by `team_name` (exact name), or None."""
    return GlipTeam.objects.filter(name=name, active=True).first()


def glip_team_list_item_values() -> list[tuple[str, str]]:
    """(name, description) of every active team, for /documentation/list_items/glip_team."""
    return list(GlipTeam.objects.filter(active=True).order_by("name").values_list("name", "description"))


def glip_message_list() -> QuerySet[GlipMessage]:
    return GlipMessage.objects.select_related("team", "extension", "application", "sent_by")


def glip_team_list() -> QuerySet[GlipTeam]:
    return GlipTeam.objects.select_related("source_extension")
