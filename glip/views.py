"""The glip routes: post a message, list and read messages, list teams."""

from functools import partial

from django.core.exceptions import ValidationError

from glip.filters import GlipMessageFilter, GlipTeamFilter
from glip.selectors import glip_message_list, glip_team_list
from glip.serializers import (
    GlipMessageCreateParams,
    GlipMessageDetailOut,
    GlipMessageIdParams,
    GlipMessageListParams,
    GlipMessageOut,
    GlipTeamListParams,
    GlipTeamOut,
)
from glip.services import glip_message_create
from planocore.api import statuses
from planocore.api.endpoints import Endpoint
from planocore.api.exceptions import ApiError, invalid_param
from planocore.api.pagination import NEWEST_FIRST, Keyset
from planocore.api.views import ApiView
from planocore.outbox.services import send_now
from planocore.providers.registry import provider_label
from planocore.providers.ringcentral.credentials import password_logins_spent

BY_NAME = Keyset("name", "id")


class ListMixin:
    """Filter with a FilterSet, then answer a page of what it keeps."""

    def paginated(self, queryset, filterset_class, serializer_class, keyset=NEWEST_FIRST):
        filterset = filterset_class(data=self.request.query_params, queryset=queryset, request=self.request)
        if not filterset.is_valid():  # invalid-param naming the filter, by the exception handler
            raise ValidationError(dict(filterset.errors))
        page = keyset.page(filterset.qs, self.request.params)
        return self.respond_page(page, serializer_class(page.items, many=True).data)


class GlipMessagesView(ListMixin, ApiView):
    service = "glip"
    service_name = "Glip"
    endpoints = {
        "POST": Endpoint(
            slug="glip-messages-create",
            title="Ring Central Glip Message API",
            purpose="Send message via Glip API to be displayed in Planomatic glip notifications.",
            params=GlipMessageCreateParams,
            permission="glip.add_glipmessage",
            responses=(statuses.PROVIDER_FAILED, statuses.TOO_MANY_REQUESTS),
            token_order=1,
        ),
        "GET": Endpoint(
            slug="glip-messages-list",
            title="Glip messages",
            purpose="List the Glip messages sent through PlanoCore, newest first, with filters and a cursor.",
            params=GlipMessageListParams,
            permission="glip.view_glipmessage",
            token_order=1,
        ),
    }

    def post(self, request):
        params = request.params
        principal = request.auth
        execute = params["execute"]
        extension = params["extension"]
        if extension is not None and (wait := password_logins_spent(extension.pk)):
            raise ApiError(
                statuses.TOO_MANY_REQUESTS,
                f"Too many refused RingCentral password logins for rc_extension "
                f"{extension.extension_number}; try again in {wait} seconds.",
                headers={"Retry-After": str(wait)},
            )
        fields = {
            "team": params["team_name"],
            "text": params["message"],
            "extension": extension,
            "rc_password": params.get("rc_password") or "",
            "priority": params["priority"],
            "sent_by": getattr(principal, "user", None),
            "application": getattr(principal, "application", None),
        }
        if not execute:
            message = glip_message_create(**fields)
            return self.respond(GlipMessageOut(message).data, message="The message is queued.")
        # Saved, committed, then posted inside this request.
        message, outcome = send_now(partial(glip_message_create, **fields))
        data = GlipMessageOut(message).data
        if outcome is None or outcome.skipped:  # RingCentral's budget is spent for now: the sweep sends it
            return self.respond(
                data,
                message="RingCentral's rate limit is reached for now: the message is queued, sent shortly.",
            )
        if outcome.succeeded:
            return self.respond(data, message=f"Posted to {message.team.name}: post id {message.post_id}.")
        will_retry = data["will_retry"]
        raise ApiError(
            statuses.PROVIDER_FAILED,
            f"{provider_label('glip')} did not take the post: {outcome.error} "
            + (
                "It will be retried (priority 5 or more)."
                if will_retry
                else "It will not be retried automatically (priority below 5 or a permanent failure)."
            ),
            data={
                "glip_message": data,
                "failure": {"error": outcome.error, "retryable": outcome.retryable, "will_retry": will_retry},
            },
        )

    def get(self, request):
        return self.paginated(glip_message_list(), GlipMessageFilter, GlipMessageOut)


class GlipMessageView(ApiView):
    service = "glip"
    service_name = "Glip"
    endpoints = {
        "GET": Endpoint(
            slug="glip-messages-show",
            title="Glip message",
            purpose="Read one Glip message with the proof of its outgoing request(s).",
            params=GlipMessageIdParams,
            permission="glip.view_glipmessage",
            token_order=1,
        ),
    }

    def get(self, request, id):  # noqa: A002 - the route's param is `id`
        message = (
            glip_message_list().prefetch_related("external_requests").filter(pk=request.params["id"]).first()
        )
        if message is None:
            raise invalid_param("id", f"no Glip message has the id {request.params['id']}.")
        return self.respond(GlipMessageDetailOut(message).data)


class GlipTeamsView(ListMixin, ApiView):
    service = "glip"
    service_name = "Glip"
    endpoints = {
        "GET": Endpoint(
            slug="glip-teams-list",
            title="Glip teams",
            purpose="List the Glip teams messages can be sent to, by name, with filters and a cursor.",
            params=GlipTeamListParams,
            permission="glip.view_glipteam",
            token_order=1,
        ),
    }

    def get(self, request):
        return self.paginated(glip_team_list(), GlipTeamFilter, GlipTeamOut, BY_NAME)
