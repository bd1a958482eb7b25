"""What a route is: the metadata each API view declares per HTTP method.

The same declaration drives request validation (the `params` serializer), the
permission check, the route registry and the generated documentation, so they
cannot drift apart.
"""

from dataclasses import dataclass, field

from rest_framework import serializers

from planocore.api import statuses
from planocore.api.statuses import Status

# What a session acting through the Client role (a customer) may do on a route.
CLIENTS_CLOSED = "closed"  # nothing: permission-denied, whatever its permissions
CLIENTS_OWN = "own"  # its own records only: the view scopes them (ApiView.scoped)
CLIENTS_OPEN = "open"  # reference data, the same for every caller (applications, reasons)

# Methods whose params come from the query string only (ApiView.raw_params).
QUERY_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")


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
    session_token: the route acts on a user's session and takes a session token only
      (signing out, registering as a client): its documentation and example say so.
    max_body_bytes: the largest body this route reads; None: API_MAX_BODY_BYTES. A
      larger one answers request-too-large before any of it is read.
    responses: statuses this route's own handler answers (provider-failed, mandrill-email-failed,
      permission-denied raised by hand, ...); the ones the platform answers are derived
      by `route_statuses`.
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
    session_token: bool = False
    max_body_bytes: int | None = None


def endpoint_for(endpoints: dict[str, Endpoint], method: str) -> Endpoint | None:
    """The Endpoint that serves `method`: HEAD takes GET's (token, permission, scoping, params).

    A HEAD answer is GET's answer without the body, so it must cost what GET costs;
    a view with no GET answers HEAD method-not-allowed.
    """
    return endpoints.get("GET" if method == "HEAD" else method)


def order(number: int, *, list_item: str | None = None, example=None, in_example: bool = True) -> dict:
    """Return the `style` dict that gives a parameter its documentation order number.

    `list_item` names a registered list (planocore.routes.list_items) whose page
    documents the possible values; `example` overrides the value the generated
    request example shows. `in_example=False` leaves an optional param out of the
    example when no literal value can be valid (a cursor from a previous page, a
    record or secret the caller must already have).
    """
    style: dict = {"order": number}
    if list_item is not None:
        style["list_item"] = list_item
    if example is not None:
        style["example"] = example
    if not in_example:
        style["in_example"] = False
    return style


def route_statuses(endpoint: Endpoint, method: str) -> list[Status]:
    """Every status this route can answer, in the documentation's order.

    Derived from the declaration: the token's statuses for authenticated routes
    (including `application`'s invalid-param and the failed-token budget),
    client-required when a role is needed, permission-denied when a permission is,
    missing-param when a param (or the token) is required, the body's statuses when
    the method reads one (request-too-large among them), the registry's and
    database-unavailable for every route, plus `responses`.
    """
    own = set(endpoint.responses)
    required = endpoint.params is not None and any(f.required for f in endpoint.params().fields.values())
    reads_body = method.upper() not in QUERY_ONLY_METHODS
    can = {statuses.ACTION_SUCCESSFUL, statuses.APPLICATION_CRASH, statuses.DATABASE_UNAVAILABLE, *own}
    can |= {statuses.INVALID_ENCODED_PARAMS, statuses.ROUTE_NOT_FOUND, statuses.SERVICE_NOT_FOUND}
    can |= {statuses.IDENTIFY_REQUEST_ERROR, statuses.METHOD_NOT_ALLOWED}
    if endpoint.auth:
        can |= {statuses.INVALID_TOKEN, statuses.SESSION_EXPIRED, statuses.MISSING_PARAM}
        can |= {statuses.INVALID_PARAM, statuses.TOO_MANY_REQUESTS}
        if endpoint.role_required:
            can.add(statuses.CLIENT_REQUIRED)
        if endpoint.permission is not None:
            can.add(statuses.PERMISSION_DENIED)
    if endpoint.params is not None:
        can.add(statuses.INVALID_PARAM)
    if required:
        can.add(statuses.MISSING_PARAM)
    if not endpoint.sensitive:
        can.add(statuses.INVALID_CONTENT_TYPE)
    if reads_body:
        can |= {statuses.NO_PARAMS_DECODED, statuses.REQUEST_TOO_LARGE}
    return [status for status in [*statuses.COMMON, *statuses.UNCOMMON] if status in can]
