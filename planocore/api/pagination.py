"""Cursor pagination for the API's lists."""

from rest_framework.pagination import CursorPagination
from rest_framework.utils.urls import remove_query_param


class TokenlessCursorPagination(CursorPagination):
    """DRF's cursor pagination whose `links` never repeat the caller's `token` param."""

    page_size_query_param = "page_size"
    ordering = "-id"

    def paginate_queryset(self, queryset, request, view=None):
        page = super().paginate_queryset(queryset, request, view)
        # The links are built from the request's URL, token included when it came as a query param.
        if page is not None:
            self.base_url = remove_query_param(self.base_url, "token")
        return page
