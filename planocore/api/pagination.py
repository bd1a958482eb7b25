"""Cursor pagination for the API's lists."""

from django.core.exceptions import FieldDoesNotExist, ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.utils.urls import remove_query_param


class TokenlessCursorPagination(CursorPagination):
    """DRF's cursor pagination whose `links` never repeat the caller's `token` param.

    A cursor is opaque, but a caller can still build one by hand: its decoded
    position must be a value of the ordering field (no NUL, in the column's range)
    or the cursor is refused like an undecodable one (NotFound, which the views
    answer as `invalid-param` naming the cursor).
    """

    page_size_query_param = "page_size"
    ordering = "-id"

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        page = super().paginate_queryset(queryset, request, view)
        # The links are built from the request's URL, token included when it came as a query param.
        if page is not None:
            self.base_url = remove_query_param(self.base_url, "token")
        return page

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        if "\x00" in cursor.position or not self._is_a_position(cursor.position):
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def _is_a_position(self, position: str) -> bool:
        """Whether `position` is a value the first ordering field can hold (what the filter compares)."""
        name = self.ordering[0].lstrip("-")
        try:
            field = self._model._meta.get_field(name)
        except FieldDoesNotExist:  # an annotation: the database compares it as given
            return True
        try:
            field.run_validators(field.to_python(position))
        except (ValidationError, TypeError, ValueError):
            return False
        return True
