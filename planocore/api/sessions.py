"""Session routes: sign in, read and sign out the current session.

Signing in is a sensitive-params route: the body is the base64 encoding of the
JSON params, and the params are never logged. Sign-in attempts are throttled per
client address (`SIGN_IN_RATE`, default 10 a minute).
"""

from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from rest_framework import serializers
from rest_framework.throttling import BaseThrottle

from planocore.accounts.models import Application
from planocore.accounts.services import (
    api_session_create,
    api_sessions_revoke,
    find_user_by_credentials,
)
from planocore.api import statuses
from planocore.api.authentication import client_address, session_payload
from planocore.api.endpoints import CLIENTS_OPEN, CLIENTS_OWN, Endpoint, order
from planocore.api.exceptions import ApiError
from planocore.api.fields import api_datetime
from planocore.api.permissions import applications_by_slug
from planocore.api.views import ApiView
from planocore.budgets import CallerLimit

SIGN_IN = CallerLimit("api:sign-in", rate=lambda: settings.SIGN_IN_RATE)


class SignInRateThrottle(BaseThrottle):
    """DRF's throttle hook on the one caller limit: sign-in attempts per client address.

    The address is REMOTE_ADDR (not spoofable by headers); `wait()` is the time
    left in the limit's window, answered as Retry-After.
    """

    limit = SIGN_IN

    def allow_request(self, request, view) -> bool:
        self._wait = self.limit.take(client_address(request))
        return self._wait is None

    def wait(self) -> int | None:
        return self._wait


def validate_application(value: str) -> str:
    if value not in applications_by_slug():
        raise serializers.ValidationError(
            f"'{value}' is not an application; see /documentation/list_items/application."
        )
    return value


def session_view_field(number: int = 300) -> serializers.CharField:
    """The `session_view` param: with a session token, the answer carries the `session` object."""
    return serializers.CharField(
        required=False,
        style=order(number),
        help_text="View of session object you would like returned.",
    )


class SessionCreateParams(serializers.Serializer):
    email = serializers.EmailField(style=order(1), help_text="Email address of the user signing in.")
    password = serializers.CharField(
        trim_whitespace=False,
        max_length=4096,
        style={**order(2), "input_type": "password", "example": "correct horse battery staple"},
        help_text="The user's password. Never logged or stored in clear.",
    )
    remember_me = serializers.BooleanField(
        required=False,
        default=False,
        style=order(3),
        help_text="When true the session never expires; otherwise it expires 7 days after "
        "signing in or after 72 hours without use.",
    )
    application = serializers.CharField(
        required=False,
        validators=[validate_application],
        style=order(4, list_item="application"),
        help_text="Slug of the application the user signs in to. It selects the role (and so "
        "the permissions) the session acts through when a request does not name one.",
    )
    session_view = session_view_field(5)


class SessionViewParams(serializers.Serializer):
    session_view = session_view_field()


class SessionsView(ApiView):
    service = "sessions"
    service_name = "Sessions"
    throttle_classes = [SignInRateThrottle]
    endpoints = {
        "POST": Endpoint(
            slug="sessions-create",
            title="Sessions Create API",
            purpose="Sign a user in with email and password and return a session token "
            "(`pcs_…`, shown only once) to pass as `token` on later requests.",
            params=SessionCreateParams,
            auth=False,
            role_required=False,
            sensitive=True,
            clients=CLIENTS_OPEN,
            responses=(statuses.TOO_MANY_REQUESTS,),
        ),
    }

    @sensitive_variables("clear")
    def post(self, request):
        params = request.params
        user = find_user_by_credentials(email=params["email"], password=params["password"])
        if user is None:
            message = "The email and password do not match an active user."
            raise ApiError(
                statuses.INVALID_PARAM,
                f"`password`: {message}",
                errors={"email": [message], "password": [message]},
            )
        slug = params.get("application")
        session, clear = api_session_create(
            user=user,
            application=Application.objects.get(slug=slug) if slug else None,
            remember_me=params["remember_me"],
            ip_address=client_address(request) if request.META.get("REMOTE_ADDR") else None,
            user_agent=request.headers.get("User-Agent", ""),
        )
        payload = session_payload(session)
        return self.respond({"token": clear, "session": payload}, session=payload)


class CurrentSessionView(ApiView):
    service = "sessions"
    service_name = "Sessions"
    endpoints = {
        "GET": Endpoint(
            slug="sessions-current",
            title="Current Session API",
            purpose="Return the session or application token the request authenticates with "
            "(or, in the browsable API, the staff member's admin session).",
            params=SessionViewParams,
            role_required=False,
            clients=CLIENTS_OWN,  # the caller's own session only
        ),
        "DELETE": Endpoint(
            slug="sessions-current-delete",
            title="Sign Out API",
            purpose="Sign out: revoke the session token the request authenticates with. "
            "Later requests with it answer invalid-token.",
            role_required=False,
            clients=CLIENTS_OWN,
            session_token=True,
            responses=(statuses.PERMISSION_DENIED,),  # an application token
        ),
    }

    def get(self, request):
        principal = request.auth
        if principal.session is not None:
            return self.respond({"type": "session", "session": session_payload(principal.session)})
        if principal.application_token is not None:
            token = principal.application_token
            return self.respond(
                {
                    "type": "application",
                    "application": token.application.slug,
                    "token_prefix": token.prefix,
                    "created_at": api_datetime(token.created_at),
                }
            )
        if principal.user is not None:  # staff signed in to the admin, in the browsable API
            user = principal.user
            return self.respond(
                {
                    "type": "admin",
                    "user": {"id": user.pk, "username": user.get_username(), "email": user.email},
                    "is_superuser": user.is_superuser,
                    "note": "The admin session of a staff member (the browsable API); callers use a "
                    "token: an application token or a session from POST /api/v1/sessions.",
                }
            )
        raise ApiError(statuses.INVALID_TOKEN)

    def delete(self, request):
        principal = request.auth
        if principal.session is None:
            raise ApiError(
                statuses.PERMISSION_DENIED,
                "Only session tokens can be signed out here; staff revoke application tokens in the admin.",
            )
        api_sessions_revoke(sessions=[principal.session])
        return self.respond({"type": "session", "revoked": True})
