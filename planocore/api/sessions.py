"""Session routes: sign in, read and sign out the current session."""

from rest_framework import serializers

from planocore.api import statuses
from planocore.api.authentication import session_payload
from planocore.api.endpoints import Endpoint, order
from planocore.api.exceptions import ApiError
from planocore.api.views import ApiView


class SessionViewParams(serializers.Serializer):
    session_view = serializers.CharField(
        required=False,
        style=order(300),
        help_text="View of session object you would like returned.",
    )


class CurrentSessionView(ApiView):
    service = "sessions"
    service_name = "Sessions"
    endpoints = {
        "GET": Endpoint(
            slug="sessions-current",
            title="Current Session API",
            purpose="Return the session or application token the request authenticates with.",
            params=SessionViewParams,
            role_required=False,
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
                    "created_at": token.created_at.isoformat(),
                }
            )
        raise ApiError(statuses.INVALID_TOKEN)
