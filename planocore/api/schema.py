"""OpenAPI 3 schema (served at /api/schema, viewed at /api/docs) from the Endpoints.

Each route is described from the same Endpoint that validates it: its params
serializer becomes the query parameters (GET, DELETE) or the request body
(others; a base64 string for sensitive-params routes), every answer is the
envelope, and the statuses are listed per HTTP code. Params the path gives
(`id`, `user_id`) are path parameters only (a query or body value that differs from
the path's answers invalid-param).
"""

import functools
import re
from collections import defaultdict

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiRequest, OpenApiResponse, inline_serializer
from rest_framework import serializers

from planocore.api import statuses
from planocore.api.endpoints import route_statuses

ENVELOPE = inline_serializer(
    name="Envelope",
    fields={
        "status": serializers.ChoiceField(
            choices=sorted(statuses.ALL), help_text="The status slug (see /documentation/)."
        ),
        "code": serializers.IntegerField(help_text="The HTTP status code."),
        "message": serializers.CharField(help_text="For people: what happened and what to fix."),
        "data": serializers.JSONField(allow_null=True, help_text="The route's result; null on errors."),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Messages per param, on missing-param and invalid-param.",
        ),
        "session": serializers.DictField(
            required=False, help_text="The session object (client-required, session_view, sign-in)."
        ),
        "links": serializers.DictField(
            required=False,
            help_text="On lists: `next` and `prev`, the URLs of the pages on either side (null at the ends).",
        ),
        "meta": serializers.DictField(
            required=False,
            help_text="On lists: `page_size` (1 to 100, asked with `page[size]`; 25 by default) and "
            "`has_more` (more items beyond this page in the direction it was read).",
        ),
    },
)

QUERY_METHODS = ("GET", "HEAD", "DELETE")


@functools.cache
def without_fields(
    params: type[serializers.Serializer], names: frozenset[str]
) -> type[serializers.Serializer]:
    """The params serializer minus the path's fields (same name, so the same component)."""
    if not names & set(params().fields):
        return params

    def get_fields(self):
        fields = params.get_fields(self)
        for name in names:
            fields.pop(name, None)
        return fields

    return type(params.__name__, (params,), {"get_fields": get_fields, "__module__": params.__module__})


@functools.cache
def with_path_params(params: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The whole params serializer under its own component name, for a route taking them all as params."""
    return type(params.__name__ + "ByParams", (params,), {"__module__": params.__module__})


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "planocore.api.authentication.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An application token (pca_…) or a session token (pcs_…), as `Bearer` or "
            "`Token`. It may also be passed as the `token` param in the body or the query string; "
            "the header wins over the body, the body over the query string.",
        }


class AdminSessionScheme(OpenApiAuthenticationExtension):
    """Staff's admin session: not in the schema (`token_only`), its cookie needs no box in the viewer."""

    target_class = "planocore.api.authentication.AdminSessionAuthentication"
    name = ADMIN_SESSION = "adminSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class ApiAutoSchema(AutoSchema):
    """Describe each route from its Endpoint (params serializer, purpose, statuses)."""

    def _endpoint(self):
        return getattr(self.view, "endpoints", {}).get(self.method.upper())

    def get_description(self):
        endpoint = self._endpoint()
        if endpoint is None:
            return super().get_description()
        text = endpoint.purpose
        if endpoint.permission:
            text += f"\n\nNeeds the permission `{endpoint.permission}`."
        if endpoint.sensitive:
            text += (
                "\n\nSensitive params: the body is the base64 encoding of the JSON object of params "
                "(fields as listed on /documentation/" + endpoint.slug + ")."
            )
        return text

    def get_summary(self):
        endpoint = self._endpoint()
        return endpoint.title if endpoint else super().get_summary()

    def _is_param_route(self) -> bool:
        """The view answers this method for a detail route, with the path's params as params."""
        return self.method.upper() in getattr(self.view, "param_routes", ())

    def get_operation_id(self):
        endpoint = self._endpoint()
        if endpoint is None:
            return super().get_operation_id()
        suffix = "_by_params" if self._is_param_route() else ""
        return endpoint.slug.replace("-", "_") + suffix

    def get_tags(self):
        service = getattr(self.view, "service_name", "") or getattr(self.view, "service", "")
        return [service] if service else super().get_tags()

    def get_auth(self):
        endpoint = self._endpoint()
        if endpoint is not None and not endpoint.auth:
            return []
        return super().get_auth()

    def _params_without_path(self):
        endpoint = self._endpoint()
        if endpoint is None or endpoint.params is None:
            return None
        return without_fields(endpoint.params, frozenset(re.findall(r"{(\w+)}", self.path)))

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        params = self._params_without_path()
        if params is not None and params().fields and self.method.upper() in QUERY_METHODS:
            return [*parameters, params]
        return parameters

    def _resolve_path_parameters(self, variables):
        """The path's own pattern, described by the params field of the same name."""
        parameters = super()._resolve_path_parameters(variables)
        endpoint = self._endpoint()
        fields = endpoint.params().fields if endpoint is not None and endpoint.params is not None else {}
        for parameter in parameters:
            field = fields.get(parameter["name"])
            if field is not None and field.help_text and not parameter.get("description"):
                parameter["description"] = str(field.help_text)
            if isinstance(field, serializers.IntegerField):
                # The URL takes any segment (the params answer invalid-param for a bad one);
                # what the param accepts is an integer: digits, within the field's bounds.
                schema = {**parameter.get("schema", {}), "type": "integer", "pattern": r"^\d+$"}
                if field.min_value is not None:
                    schema["minimum"] = field.min_value
                if field.max_value is not None:
                    schema["maximum"] = field.max_value
                parameter["schema"] = schema
        return parameters

    def _get_request_for_media_type(self, serializer, direction="request"):
        # drf-spectacular describes a PATCH body as partial (every field optional), as DRF's
        # partial updates are; ApiView validates a PATCH's params whole, `required` included.
        # A create route (POST) needs a body of params: none answers no-params-decoded.
        method, self.method = self.method, "POST" if self.method == "PATCH" else self.method
        try:
            schema, required = super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = method
        return schema, required or (method == "POST" and schema is not None)

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        """The params' schema, with the rules across fields the params declare (`openapi_rules`).

        A params serializer (or a nested one) may set `openapi_rules`: JSON Schema keywords
        (`anyOf`, `not`) added to its object schema, for what its `validate` enforces across
        fields that OpenAPI can say (a notification type's required params).
        """
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        rules = getattr(serializer, "openapi_rules", None)
        if rules and direction == "request":
            # Set aside until `apply_rules`, after drf-spectacular's enum hook (it would turn
            # a rule's one-value enum into a $ref to the field's whole enum).
            schema = {**schema, RULES_KEY: rules}
        return schema

    def get_request_serializer(self):
        endpoint = self._endpoint()
        if endpoint is None:
            return super().get_request_serializer()
        if endpoint.sensitive:
            return {"text/plain": OpenApiRequest(OpenApiTypes.BYTE)}
        if self._is_param_route():
            return with_path_params(endpoint.params)
        return self._params_without_path()

    def get_response_serializers(self):
        endpoint = self._endpoint()
        if endpoint is None:
            return super().get_response_serializers()
        by_code: dict[int, list[str]] = defaultdict(list)
        for status in route_statuses(endpoint, self.method):
            if status.slug not in by_code[status.code]:
                by_code[status.code].append(status.slug)
        return {
            code: OpenApiResponse(response=ENVELOPE, description="Status: " + ", ".join(slugs))
            for code, slugs in sorted(by_code.items())
        }


RULES_KEY = "x-planocore-rules"


def apply_rules(result, generator, request, public):
    """Put each params component's `openapi_rules` (set aside by ApiAutoSchema) into its schema."""
    for component in result.get("components", {}).get("schemas", {}).values():
        component.update(component.pop(RULES_KEY, {}))
    return result


def token_only(result, generator, request, public):
    """Offer callers the token alone (/api/docs' Authorize box).

    Staff's admin session cookie goes with the viewer's requests by itself; a box for it
    sent a pasted token as a `sessionid` cookie, which answered missing-param.
    """
    schemes = result.get("components", {}).get("securitySchemes", {})
    schemes.pop(AdminSessionScheme.ADMIN_SESSION, None)
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if "security" in operation:
                operation["security"] = [
                    entry for entry in operation["security"] if AdminSessionScheme.ADMIN_SESSION not in entry
                ]
    return result


def strip_optional_slash(result, generator, request, public):
    """Show paths without the optional trailing slash (`re_path(r"^x/?$")` reads as /x/)."""
    result["paths"] = {
        (path.rstrip("/") if len(path) > 1 else path): item for path, item in result["paths"].items()
    }
    return result
