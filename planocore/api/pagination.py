"""The one pagination of the API's lists: `page[after]`, `page[before]`, `page[size]`.

Every list route's params serializer mixes in `PageParams` (the three params, in the
Sunshine Conversations style of the seeds), its view reads one `Page` and answers it
with `ApiView.respond_page`: `links` (`next`, `prev`: absolute URLs, null at the ends)
and `meta` (`page_size`, `has_more`), the same on every list.

Lists of our own records page by keyset (`Keyset`): no OFFSET, no COUNT, one query
however deep the page. Their cursors are opaque: the position of a row, signed with
the list's own salt (the model and its ordering), so a cursor the list did not make
(hand-made, garbage, another list's) is `invalid-param` naming the cursor param. A
list another service pages (the messaging clients, paged by Sunshine Conversations)
passes that service's cursor through, validated by its `PageParams.page_cursor_field`.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.db.models import Q, QuerySet
from rest_framework import serializers

from planocore.api.endpoints import order
from planocore.api.exceptions import invalid_param

AFTER, BEFORE, SIZE = "page[after]", "page[before]", "page[size]"
PAGE_PARAMS = (AFTER, BEFORE, SIZE)
DEFAULT_SIZE, MAX_SIZE = 25, 100
# Query params that never go into a page link (the token is a secret).
NOT_IN_LINKS = frozenset((*PAGE_PARAMS, "token"))
UNKNOWN_CURSOR = "not a cursor of this list; follow links.next or links.prev as they are."


@dataclass(frozen=True)
class Page:
    """One page of a list: its items and the cursors of the pages on either side (None at the ends).

    `has_more`: more items lie beyond this page in the direction it was read.
    """

    items: list
    size: int
    has_more: bool
    next_cursor: str | None
    prev_cursor: str | None


# Params every route reads besides its own (the role's `application`, read by the permission check).
EVERY_ROUTE_PARAMS = frozenset(("application",))


class PageParams(serializers.Serializer):
    """Mix into a list route's params serializer (first base): adds the three page params, and
    makes the list strict: a param it does not name is `invalid-param` naming it.

    `page_order` is the documentation order number of `page[after]` (`page[before]`
    and `page[size]` follow it). Both cursors at once are `invalid-param` naming
    `page[before]`.
    """

    page_order = 10_000

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            known = self.fields.keys() | EVERY_ROUTE_PARAMS
            unknown = [name for name in data if name not in known]
            if unknown:
                takes = ", ".join(f"`{name}`" for name in self.fields)
                raise serializers.ValidationError(
                    {name: [f"not a param of this list; it takes {takes}."] for name in unknown}
                )
        return super().to_internal_value(data)

    def page_cursor_field(self, **kwargs) -> serializers.Field:
        """The field of a cursor param; an opaque string unless the list takes another service's cursor."""
        return serializers.CharField(max_length=500, **kwargs)

    def get_fields(self):
        # The seed's names hold brackets, which cannot be attribute names.
        fields = super().get_fields()
        fields[AFTER] = self.page_cursor_field(
            required=False,
            style=order(self.page_order, in_example=False),
            help_text="Cursor: the page after this one (the `links.next` URL carries it).",
        )
        fields[BEFORE] = self.page_cursor_field(
            required=False,
            style=order(self.page_order + 1, in_example=False),
            help_text="Cursor: the page before this one (the `links.prev` URL carries it). "
            "Not with `page[after]`.",
        )
        fields[SIZE] = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=MAX_SIZE,
            default=DEFAULT_SIZE,
            style=order(self.page_order + 2),
            help_text=f"Items per page, 1 to {MAX_SIZE} (default {DEFAULT_SIZE}).",
        )
        return fields

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if attrs.get(AFTER) and attrs.get(BEFORE):
            raise serializers.ValidationError({BEFORE: ["give `page[after]` or `page[before]`, not both."]})
        return attrs


class Keyset:
    """Keyset pages of a queryset in a fixed ordering whose last field is unique (`"-id"`; `"name", "id"`).

    The positions are the ordering fields' values (ints or strings): they go into
    signed cursors as JSON.
    """

    def __init__(self, *ordering: str):
        self.ordering = ordering
        self.fields = tuple(term.lstrip("-") for term in ordering)

    def page(self, queryset: QuerySet, params: dict[str, Any]) -> Page:
        """The page of `queryset` the validated page params name; `invalid-param` for a cursor not ours."""
        signer = signing.Signer(salt=f"planocore.page:{queryset.model._meta.label}:{','.join(self.ordering)}")
        after, before = (self._position(signer, params, name) for name in (AFTER, BEFORE))
        size = params.get(SIZE) or DEFAULT_SIZE
        forward = before is None
        position = after if forward else before
        qs = queryset.order_by(*(self.ordering if forward else self._reversed()))
        if position is not None:
            qs = qs.filter(self._beyond(position, forward=forward))
        rows = list(qs[: size + 1])
        has_more = len(rows) > size
        rows = rows[:size]
        if not forward:
            rows.reverse()

        def cursor(row) -> str:
            return signer.sign_object([getattr(row, name) for name in self.fields])

        if forward:
            next_row = rows[-1] if rows and has_more else None
            prev_row = rows[0] if rows and after is not None else None
        else:
            next_row = rows[-1] if rows else None
            prev_row = rows[0] if rows and has_more else None
        return Page(
            items=rows,
            size=size,
            has_more=has_more,
            next_cursor=cursor(next_row) if next_row is not None else None,
            prev_cursor=cursor(prev_row) if prev_row is not None else None,
        )

    def _position(self, signer: signing.Signer, params: dict, name: str) -> list | None:
        value = params.get(name)
        if not value:
            return None
        try:
            position = signer.unsign_object(value)
        except (signing.BadSignature, ValueError):
            raise invalid_param(name, UNKNOWN_CURSOR) from None
        if not isinstance(position, list) or len(position) != len(self.fields):
            raise invalid_param(name, UNKNOWN_CURSOR)
        return position

    def _reversed(self) -> tuple[str, ...]:
        return tuple(term[1:] if term.startswith("-") else f"-{term}" for term in self.ordering)

    def _beyond(self, position: list, *, forward: bool) -> Q:
        """Rows strictly after `position` in the ordering (forward) or strictly before it."""
        beyond = Q()
        for index, term in enumerate(self.ordering):
            lookup = "gt" if term.startswith("-") != forward else "lt"
            ties = dict(zip(self.fields[:index], position[:index], strict=True))
            beyond |= Q(**ties, **{f"{self.fields[index]}__{lookup}": position[index]})
        return beyond


# The lists of records by id, newest first.
NEWEST_FIRST = Keyset("-id")


def page_links(request, page: Page) -> dict[str, str | None]:
    """`next` and `prev`: this route's absolute URL with the request's other params and the page's cursor."""
    base = request.build_absolute_uri(request.path)
    query = {k: v for k, v in request.query_params.items() if k not in NOT_IN_LINKS}

    def link(name: str, cursor: str | None) -> str | None:
        return f"{base}?{urlencode({**query, name: cursor, SIZE: page.size})}" if cursor else None

    return {"next": link(AFTER, page.next_cursor), "prev": link(BEFORE, page.prev_cursor)}


def page_meta(page: Page) -> dict[str, Any]:
    return {"page_size": page.size, "has_more": page.has_more}
