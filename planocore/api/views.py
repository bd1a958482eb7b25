"""The base class of every API view."""

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, QueryDict
from rest_framework.views import APIView

from planocore.api import statuses
from planocore.api.authentication import session_payload
from planocore.api.endpoints import Endpoint, endpoint_for
from planocore.api.envelope import envelope_response
from planocore.api.exceptions import ApiError, invalid_param
from planocore.api.middleware import method_not_allowed_message
from planocore.api.pagination import EVERY_ROUTE_PARAMS, Page, page_links, page_meta
from planocore.api.parsers import Base64JSONParser
from planocore.api.permissions import scoped

# Params every route accepts that are not the route's own: the token (read by authentication)
# and `format` (the response's format, read by content negotiation).
CONVENTION_PARAMS = ("token", "format")


class ApiView(APIView):
    """A view whose routes are declared as Endpoints, one per HTTP method.

    Subclasses set `service` (the ApiService slug) and `endpoints`
    ({"POST": Endpoint(...), ...}); handlers read the validated params from
    `request.params` and return `self.respond(...)`.
    """

    service: str = ""
    service_name: str = ""
    endpoints: dict[str, Endpoint] = {}
    # The lookup from this view's model to its owning user's id ("user_id"), for scoped().
    client_owner: str = ""
    # Methods this view answers for a detail route (the same Endpoint), taking the detail
    # path's params (`id`) from the query or body; the registry documents the detail path.
    param_routes: frozenset[str] = frozenset()

    @property
    def endpoint(self) -> Endpoint | None:
        return endpoint_for(self.endpoints, self.request.method) if self.request else None

    def initialize_request(self, request, *args, **kwargs):
        endpoint = endpoint_for(self.endpoints, request.method)
        if endpoint is not None and endpoint.sensitive:
            # Django's error reports hide every POST param of this request.
            request.sensitive_post_parameters = "__ALL__"
        self._initial_endpoint = endpoint
        return super().initialize_request(request, *args, **kwargs)

    def get_authenticators(self):
        # A route that needs no token (signing in) reads none: a stray one cannot fail it.
        endpoint = getattr(self, "_initial_endpoint", None)
        if endpoint is not None and not endpoint.auth:
            return []
        return super().get_authenticators()

    def get_parsers(self):
        method = getattr(getattr(self, "request", None), "method", None)
        endpoint = endpoint_for(self.endpoints, method) if method else None
        if endpoint is not None and endpoint.sensitive:
            return [Base64JSONParser()]
        return super().get_parsers()

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force=force)
        except Http404:
            # DRF answers a `format` no renderer has with Http404, which reads as a missing record.
            formats = ", ".join(sorted({r.format for r in self.get_renderers()}))
            raise invalid_param(
                "format", f"{request.query_params.get('format')!r} is not a format; use {formats}."
            ) from None

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise ApiError(statuses.METHOD_NOT_ALLOWED, method_not_allowed_message(request, self.endpoints))

    def raw_params(self, request, kwargs: dict) -> dict[str, Any]:
        """Query string, then body, then path params (later ones win).

        A path param (`id`, `user_id`) is a param like the others: the params
        serializer validates it (`/cancelations/abc` is invalid-param naming `id`),
        and a query or body value of the same name that disagrees with the path
        answers invalid-param naming it.
        """
        params: dict[str, Any] = {}
        params.update(request.query_params.dict())
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            data = request.data
            if isinstance(data, QueryDict):
                data = data.dict()
            if not isinstance(data, dict):
                raise ApiError(
                    statuses.NO_PARAMS_DECODED,
                    "The request body was decoded but holds no object of params.",
                )
            if not data and int(request.META.get("CONTENT_LENGTH") or 0) > 0 and self._requires_params():
                # A body that decodes to nothing, sent to a route that needs params.
                raise ApiError(statuses.NO_PARAMS_DECODED)
            params.update(data)
        for name in CONVENTION_PARAMS:
            params.pop(name, None)
        if request.method == "POST" and not params.keys() - EVERY_ROUTE_PARAMS:
            # A create route given nothing to create (no body, `{}`, only a token or `application`).
            raise ApiError(
                statuses.NO_PARAMS_DECODED,
                "The request holds no params; send them as a JSON object, a form or the query string.",
            )
        for name, value in kwargs.items():
            given = params.get(name)
            if given is not None and str(given) != str(value):
                raise invalid_param(
                    name,
                    f"the path gives {value!r} and the params give {given!r}; pass it once, "
                    "or make them agree.",
                )
            params[name] = value
        return params

    def _requires_params(self) -> bool:
        endpoint = self.endpoint
        if endpoint is None or endpoint.params is None:
            return False
        return any(field.required for field in endpoint.params().fields.values())

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        endpoint = self.endpoint
        request.params = {}
        if endpoint is None:
            return
        raw = self.raw_params(request, kwargs)
        if endpoint.params is not None:
            serializer = endpoint.params(data=raw, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            request.params = serializer.validated_data
        else:
            request.params = raw

    def scoped(self, queryset):
        """`queryset` as this request's caller may see it: a client keeps only the rows it owns."""
        if not self.client_owner:
            raise ImproperlyConfigured(f"{type(self).__name__} calls scoped() but names no client_owner.")
        return scoped(queryset, self.request, owner=self.client_owner)

    def get_serializer_context(self) -> dict[str, Any]:
        return {"request": self.request, "view": self, "principal": self.request.auth}

    def respond(self, data: Any = None, *, status=statuses.ACTION_SUCCESSFUL, **kwargs) -> Any:
        """Answer in the envelope; add the session object when `session_view` asks for it."""
        principal = self.request.auth
        if (
            "session" not in kwargs
            and self.request.params.get("session_view")
            and principal is not None
            and principal.session is not None
        ):
            kwargs["session"] = session_payload(principal.session)
        return envelope_response(status, data=data, **kwargs)

    def respond_page(self, page: Page, data: list) -> Any:
        """Answer one page of a list (`data`: its items serialized) with the lists' `links` and `meta`."""
        return self.respond(data, links=page_links(self.request, page), meta=page_meta(page))
