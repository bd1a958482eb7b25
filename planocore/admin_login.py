"""The admin's login page, throttled like the API's sign-in (`SIGN_IN_RATE` per client address)."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse

from planocore.api.sessions import SignInRateThrottle
from planocore.budgets import CallerLimit


class AdminSignInThrottle(SignInRateThrottle):
    """The API sign-in's rate, counted apart from it."""

    limit = CallerLimit("admin:sign-in", rate=lambda: settings.SIGN_IN_RATE)


def admin_login(request, extra_context=None):
    """Django's admin login; a POST past the rate gets 429 with Retry-After instead."""
    if request.method == "POST":
        throttle = AdminSignInThrottle()
        if not throttle.allow_request(request, None):
            wait = throttle.wait()
            response = HttpResponse(
                f"Too many sign-in attempts from this address. Try again in {wait} seconds.\n",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(wait)
            return response
    return admin.site.login(request, extra_context)
