"""Filters of the glip list routes (django-filter)."""

import django_filters

from glip.models import GlipMessage, GlipTeam
from planocore.api.filters import after, before


class GlipMessageFilter(django_filters.FilterSet):
    team_name = django_filters.CharFilter(field_name="team__name")
    status = django_filters.ChoiceFilter(choices=GlipMessage.Status.choices)
    rc_extension = django_filters.CharFilter(field_name="extension__extension_number")
    priority = django_filters.NumberFilter()
    priority_min = django_filters.NumberFilter(field_name="priority", lookup_expr="gte")
    post_id = django_filters.CharFilter()
    created_after = after("created_at")
    created_before = before("created_at")

    class Meta:
        model = GlipMessage
        fields: list[str] = []


class GlipTeamFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    active = django_filters.BooleanFilter()
    public = django_filters.BooleanFilter()
    chat_id = django_filters.CharFilter()

    class Meta:
        model = GlipTeam
        fields: list[str] = []
