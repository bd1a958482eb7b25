"""Documentation of the API, built from the same Endpoints and params serializers that validate requests.

`route_doc(route)` turns one `ApiRoute` into what a documentation page (and the
OpenAPI schema) shows: the parameters in order with type, order number, required
flag, description and possible values, a request example, and the responses.
"""

import base64
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db import DatabaseError
from rest_framework import serializers

from planocore.api.endpoints import route_statuses
from planocore.api.statuses import Status
from planocore.routes.list_items import LIST_ITEMS, list_item_url
from planocore.routes.registry import ApiRoute

TOKEN_DESCRIPTION = "Authentication token for either an application or session."
SESSION_TOKEN_DESCRIPTION = (
    "The session token (pcs_…) of the signed-in user (`POST /api/v1/sessions`); an application "
    "token answers permission-denied."
)

# Checked in order: the first class a field is an instance of gives its type.
_TYPES: list[tuple[type, str]] = [
    (serializers.BooleanField, "boolean"),
    (serializers.IntegerField, "integer"),
    (serializers.FloatField, "float"),
    (serializers.DecimalField, "decimal"),
    (serializers.DateTimeField, "datetime"),
    (serializers.DateField, "date"),
    (serializers.TimeField, "time"),
    (serializers.MultipleChoiceField, "array"),
    (serializers.ListField, "array"),
    (serializers.ListSerializer, "array"),
    (serializers.DictField, "object"),
    (serializers.JSONField, "object"),
    (serializers.BaseSerializer, "object"),
    (serializers.FileField, "file"),
    (serializers.PrimaryKeyRelatedField, "integer"),
]

_EXAMPLES: dict[str, Any] = {
    "boolean": True,
    "integer": 1,
    "float": 1.5,
    "decimal": "10.00",
    "datetime": "2026-01-31T14:30:00Z",
    "date": "2026-01-31",
    "time": "14:30:00",
    "array": [],
    "object": {},
    "file": "(file)",
}


@dataclass
class ParamDoc:
    name: str
    type: str
    order: int | None
    required: bool
    description: str
    choices: list[tuple[str, str]] = field(default_factory=list)
    list_item: str | None = None
    example: Any = None
    field: serializers.Field | None = None
    in_example: bool = True

    @property
    def list_item_url(self) -> str | None:
        return list_item_url(self.list_item) if self.list_item else None

    @property
    def list_item_title(self) -> str | None:
        item = LIST_ITEMS.get(self.list_item) if self.list_item else None
        return item.title if item else self.list_item


@dataclass
class RouteDoc:
    route: ApiRoute
    params: list[ParamDoc]
    responses: list[Status]
    uncommon_responses: list[Status]

    @property
    def endpoint(self):
        return self.route.endpoint

    @property
    def slug(self) -> str:
        return self.route.endpoint.slug

    @property
    def example(self) -> dict[str, Any]:
        return {p.name: p.example for p in self.params if p.in_example}

    @property
    def example_json(self) -> str:
        return json.dumps(self.example, indent=2, ensure_ascii=False)

    @property
    def example_query(self) -> str:
        return urlencode(
            {k: json.dumps(v) if isinstance(v, (dict, list, bool)) else v for k, v in self.example.items()}
        )

    @property
    def example_base64(self) -> str:
        return base64.b64encode(json.dumps(self.example).encode()).decode()

    @property
    def body_in_query(self) -> bool:
        return self.route.method in ("GET", "HEAD", "DELETE") and not self.route.endpoint.sensitive


def field_type(f: serializers.Field, *, documented: bool = True) -> str:
    """The param's type: the seed's word (`style={"type": ...}`) when documented, else its field's."""
    style_type = (getattr(f, "style", None) or {}).get("type")
    if style_type and documented:
        return style_type
    for cls, name in _TYPES:
        if isinstance(f, cls):
            return name
    if isinstance(f, serializers.ChoiceField) and f.choices and all(_is_int(value) for value in f.choices):
        return "integer"  # choices such as processed's 0 and 1
    return "string"


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def field_choices(f: serializers.Field) -> list[tuple[str, str]]:
    if isinstance(f, serializers.ListField) and isinstance(f.child, serializers.ChoiceField):
        f = f.child
    if isinstance(f, serializers.ChoiceField):
        return [(str(value), str(label)) for value, label in f.choices.items()]
    return []


def _example(name: str, f: serializers.Field, kind: str, choices, list_item) -> Any:
    style = getattr(f, "style", None) or {}
    if "example" in style:
        return style["example"]
    if choices:
        # The first choice as the field takes it (processed's 0, not "0").
        choice_field = f.child if isinstance(f, serializers.ListField) else f
        first = next(iter(choice_field.choices), choices[0][0])
        return [first] if kind == "array" else first
    if list_item and list_item in LIST_ITEMS:
        try:
            values = list(LIST_ITEMS[list_item].values())
        except DatabaseError:  # a list backed by a table not migrated yet: show a placeholder
            values = []
        if values:
            return values[0][0]
    if isinstance(f, serializers.EmailField):
        return "user@example.com"
    if isinstance(f, serializers.URLField):
        return "https://example.com/"
    if kind == "integer" and getattr(f, "min_value", None) is not None:
        return max(f.min_value, _EXAMPLES["integer"])
    if kind in _EXAMPLES:
        return _EXAMPLES[kind]
    return f"{name} value"


def param_docs(route: ApiRoute) -> list[ParamDoc]:
    """The route's parameters in documentation order: token first, then the serializer's fields."""
    endpoint = route.endpoint
    params: list[ParamDoc] = []
    if endpoint.auth:
        params.append(
            ParamDoc(
                name="token",
                type="string",
                order=endpoint.token_order,
                required=True,
                description=SESSION_TOKEN_DESCRIPTION if endpoint.session_token else TOKEN_DESCRIPTION,
                example="pcs_your-session-token"
                if endpoint.session_token
                else "pca_your-application-or-session-token",
            )
        )
    if endpoint.params is None:
        return params
    for name, f in endpoint.params().fields.items():
        if f.read_only or isinstance(f, serializers.HiddenField):
            continue
        style = getattr(f, "style", None) or {}
        kind = field_type(f)
        choices = field_choices(f)
        list_item = style.get("list_item")
        params.append(
            ParamDoc(
                name=name,
                type=kind,
                order=style.get("order"),
                required=bool(f.required),
                description=str(f.help_text or ""),
                choices=choices,
                list_item=list_item,
                # The example follows what the field accepts (a datetime the seed calls string).
                example=_example(name, f, field_type(f, documented=False), choices, list_item),
                field=f,
                in_example=bool(f.required) or style.get("in_example", True),
            )
        )
    return params


def route_doc(route: ApiRoute) -> RouteDoc:
    answers = route_statuses(route.endpoint, route.method)
    return RouteDoc(
        route=route,
        params=param_docs(route),
        responses=[s for s in answers if not s.uncommon],
        uncommon_responses=[s for s in answers if s.uncommon],
    )
