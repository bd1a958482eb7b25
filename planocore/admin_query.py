"""Refuse crafted admin query strings before a changelist turns them into a query.

The admin's changelists turn query params into ORM lookups. Django answers most bad
values itself (a redirect with `?e=1`), but two reach the database and crash it:
a NUL character (PostgreSQL text cannot hold one) and a `__year` lookup outside
1–9999 (Python's dates end there). This middleware answers both with a 400 on
every admin page, whatever the model, so no ModelAdmin has to remember it.
"""

import logging

from django.http import HttpResponseBadRequest
from django.urls import reverse

logger = logging.getLogger("planocore.admin")

YEAR_LOOKUPS = ("__year", "__iso_year")


def _year_out_of_range(key: str, value: str) -> bool:
    if not any(lookup in key for lookup in YEAR_LOOKUPS):
        return False
    try:
        years = [int(v) for v in value.split(",")] if "__in" in key else [int(value)]
    except ValueError:
        return False  # not a number: Django refuses it itself (`?e=1`)
    return any(not 1 <= year <= 9999 for year in years)


def crafted_param(query) -> str | None:
    """The first param of `query` (a QueryDict) the admin must not use, or None."""
    for key, values in query.lists():
        for value in values:
            if "\x00" in key or "\x00" in value:
                return f"`{key[:40]!r}` holds a NUL character"
            if _year_out_of_range(key, value):
                return f"`{key[:40]}` is not a year between 1 and 9999"
    return None


class AdminQueryGuardMiddleware:
    """Answer 400 to an admin request whose query string names a crafted param."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._prefix = None

    def __call__(self, request):
        if self._prefix is None:
            self._prefix = reverse("admin:index")
        if request.path.startswith(self._prefix) and request.GET:
            fault = crafted_param(request.GET)
            if fault:
                logger.warning("Admin request refused: %s (%s)", fault, request.path)
                return HttpResponseBadRequest(
                    f"Bad filter: {fault}. Remove it from the address and try again.",
                    content_type="text/plain; charset=utf-8",
                )
        return self.get_response(request)
