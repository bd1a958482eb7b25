"""The cancelations routes: thin; the rules live in services.py."""

from cancelations import selectors, services
from cancelations.serializers import (
    CancelationCreateParams,
    CancelationListParams,
    CancelationOut,
    CancelationReadParams,
    CancelationReasonListParams,
    CancelationReasonOut,
    CancelationUpdateParams,
)
from planocore.api.endpoints import CLIENTS_OPEN, CLIENTS_OWN, Endpoint
from planocore.api.pagination import NEWEST_FIRST, Keyset
from planocore.api.views import ApiView

SERVICE = "cancelations"
SERVICE_NAME = "Cancelations"


def _actor(request) -> services.Actor:
    return services.Actor.from_principal(request.auth, request.params.get("application"))


IN_ORDER = Keyset("order", "slug")


# One route at two paths: `PATCH /cancelations/{id}`, and `PATCH /cancelations` with `id` in the
# query or body (the seed lists `id` among the params).
UPDATE = Endpoint(
    slug="cancelations-update",
    title="Cancelations Update API",
    purpose="Update a cancelation: its reason and notes, reinstate the record (active=false) or "
    "cancel it again (active=true). Every change is kept in its history; canceling and "
    "reinstating send notices. `id` is a param: `PATCH /api/v1/cancelations/{id}` and "
    "`PATCH /api/v1/cancelations` with `id` in the query or body are the same route.",
    params=CancelationUpdateParams,
    permission="cancelations.change_cancelation",
    clients=CLIENTS_OWN,
)


def _cancelation(view, request):
    # A missing id (or another client's) raises DoesNotExist: invalid-param naming `id`, by the handler.
    return view.scoped(selectors.cancelation_list()).get(pk=request.params["id"])


def _update(view, request):
    cancelation = _cancelation(view, request)
    data = {k: v for k, v in request.params.items() if k not in ("application", "session_view", "id")}
    # A broken rule (CancelationRuleError) is answered invalid-param by the exception handler.
    cancelation = services.cancelation_update(cancelation=cancelation, data=data, actor=_actor(request))
    return view.respond(CancelationOut(cancelation).data)


class CancelationListView(ApiView):
    service = SERVICE
    service_name = SERVICE_NAME
    client_owner = "canceled_by"  # a client's cancelations are those it canceled
    endpoints = {
        "GET": Endpoint(
            slug="cancelations-list",
            title="Cancelations List API",
            purpose="List cancelations, newest first, filtered by cancelable type and id, active, reason "
            "and canceled/reinstated time ranges, a page at a time (cursor pagination).",
            params=CancelationListParams,
            permission="cancelations.view_cancelation",
            clients=CLIENTS_OWN,
        ),
        "POST": Endpoint(
            slug="cancelations-create",
            title="Cancelations Create API",
            purpose="Cancel a record (an order, a tour...): create its cancelation. A record has at most "
            "one active cancelation. Sends the cancelation notices.",
            params=CancelationCreateParams,
            permission="cancelations.add_cancelation",
            clients=CLIENTS_OWN,
        ),
        "PATCH": UPDATE,
    }
    param_routes = frozenset({"PATCH"})

    def get(self, request):
        queryset = self.scoped(selectors.cancelation_list(filters=request.params))
        page = NEWEST_FIRST.page(queryset, request.params)
        return self.respond_page(page, CancelationOut(page.items, many=True).data)

    def post(self, request):
        data = {k: v for k, v in request.params.items() if k not in ("application", "session_view")}
        cancelation = services.cancelation_create(data=data, actor=_actor(request))
        return self.respond(CancelationOut(cancelation).data)

    def patch(self, request):
        return _update(self, request)


class CancelationDetailView(ApiView):
    service = SERVICE
    service_name = SERVICE_NAME
    client_owner = "canceled_by"
    endpoints = {
        "GET": Endpoint(
            slug="cancelations-read",
            title="Cancelations Read API",
            purpose="Return one cancelation.",
            params=CancelationReadParams,
            permission="cancelations.view_cancelation",
            clients=CLIENTS_OWN,
        ),
        "PATCH": UPDATE,
    }

    def get(self, request, **kwargs):
        return self.respond(CancelationOut(_cancelation(self, request)).data)

    def patch(self, request, **kwargs):
        return _update(self, request)


class CancelationReasonListView(ApiView):
    service = SERVICE
    service_name = SERVICE_NAME
    endpoints = {
        "GET": Endpoint(
            slug="cancelations-reasons-list",
            title="Cancelation Reasons List API",
            purpose="List the cancelation reasons callers may pass as reason_id or reason_slug, in order.",
            params=CancelationReasonListParams,
            permission="cancelations.view_cancelationreason",
            clients=CLIENTS_OPEN,
        ),
    }

    def get(self, request):
        reasons = selectors.cancelation_reason_list(
            include_inactive=request.params.get("include_inactive", False)
        )
        page = IN_ORDER.page(reasons, request.params)
        return self.respond_page(page, CancelationReasonOut(page.items, many=True).data)
