"""What a route is: the metadata each API view declares per HTTP method.

The same declaration drives request validation (the `params` serializer), the
permission check, the route registry and the generated documentation, so they
cannot drift apart.
"""

from dataclasses import dataclass, field

from rest_framework import serializers

from planocore.api.statuses import Status

# What a session acting through the Client role (a customer) may do on a route.
CLIENTS_CLOSED = "closed"  # nothing: permission-denied, whatever its permissions
CLIENTS_OWN = "own"  # its own records only: the view scopes them (ApiView.scoped)
CLIENTS_OPEN = "open"  # reference data, the same for every caller (applications, reasons)


@dataclass(frozen=True)
class Endpoint:
    """One route: an HTTP method on a path.

    slug: the `Route` record's key, unique across the API ("glip-messages-create").
    title: the documentation page's heading ("Ring Central Glip Message API").
    purpose: one or two sentences for callers.
    params: a Serializer whose fields are the parameters, in documentation order.
      Each field's `help_text` is its description; `style={"order": N}` its seed
      order number. `token` is added by the documentation for authenticated routes.
    permission: the Django permission ("app_label.codename") the caller needs, or None.
    auth: False for the routes that need no token (signing in).
    role_required: False for routes a user without a role may call (sessions).
    sensitive: params come base64-encoded and are never logged or stored in clear.
    clients: what a session acting through the Client role may do here, on top of
      the permission: CLIENTS_CLOSED (the default: a new route is closed to
      customers until it says otherwise), CLIENTS_OWN or CLIENTS_OPEN.
    responses: statuses this route can answer beyond the common ones.
    """

    slug: str
    title: str
    purpose: str
    params: type[serializers.Serializer] | None = None
    permission: str | None = None
    auth: bool = True
    role_required: bool = True
    sensitive: bool = False
    clients: str = CLIENTS_CLOSED
    responses: tuple[Status, ...] = field(default_factory=tuple)
    token_order: int = 100


def order(number: int, *, list_item: str | None = None, example=None) -> dict:
    """Return the `style` dict that gives a parameter its documentation order number.

    `list_item` names a registered list (planocore.routes.list_items) whose page
    documents the possible values; `example` overrides the value the generated
    request example shows.
    """
    style: dict = {"order": number}
    if list_item is not None:
        style["list_item"] = list_item
    if example is not None:
        style["example"] = example
    return style
