"""What the API fuzz run and bench/fuzz.py share: seed data, path values, hostile input, checks.

About one request in HOSTILE_ONE_IN carries hostile input: a body nested past the JSON
depth limit, NULs in every string of the body, or a hand-made list cursor.

The checks every response must pass (`CHECKS`):
- no 5xx, except the provider failures (502 provider-failed, 503 provider-unavailable)
  on a route whose schema declares that code;
- the JSON envelope: status, code (equal to the HTTP code), message, data, with a
  known status slug of that code;
- a body nested past the JSON depth limit answers `invalid-encoded-params`;
- schemathesis' own: status code, content type and body conform to the schema.
"""

import base64
import json
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.urls import Resolver404, resolve
from hypothesis import strategies as st
from schemathesis.checks import CheckContext
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from planocore.api import statuses

SCHEMA_PATH = "/api/schema?format=json"
PROVIDER_FAILURES = {
    statuses.PROVIDER_FAILED.code: statuses.PROVIDER_FAILED.slug,
    statuses.PROVIDER_UNAVAILABLE.code: statuses.PROVIDER_UNAVAILABLE.slug,
}
ENVELOPE_KEYS = {"status", "code", "message", "data", "errors", "session", "links", "meta"}

TEAM = "Photographers"  # the seeded Glip team (no route makes teams: seed() writes it)
CONVERSATION = "029c31f25a21b47effd7be90"
INTEGRATION = "582dedf230e788746891281a"
PERSON = {"username": "fuzz-person", "email": "fuzz@example.com", "password": "fuzz-Pass-123"}
SIGN_IN = "POST /api/v1/sessions"
UPDATE_BY_PARAMS = "PATCH /api/v1/cancelations"
DEEP_KEY = "nested"  # the key of the too-deep value of a hostile body (JSON only)


def _json(response):
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def _is_a_route(url: str) -> bool:
    try:
        resolve(unquote(urlsplit(url).path))
    except Resolver404:
        return False
    return True


def no_server_error(ctx: CheckContext, response, case) -> bool | None:
    """No 5xx but a documented provider failure (the built-in `not_a_server_error` allows none)."""
    if response.status_code < 500:
        return None
    body = _json(response) or {}
    declared = str(response.status_code) in case.operation.definition.raw.get("responses", {})
    if PROVIDER_FAILURES.get(response.status_code) == body.get("status") and declared:
        return None
    # A generated path param holding a slash (/cancelations/1%2Fx) makes a path no route
    # has; the seeds' contract answers that `route-non-existent` with HTTP 500.
    if body.get("status") == statuses.ROUTE_NON_EXISTENT.slug and not _is_a_route(response.request.url):
        return None
    raise AssertionError(
        f"Server error {response.status_code} ({body.get('status', 'no envelope')}): "
        f"{str(body.get('message', response.content[:200]))[:300]}"
    )


def envelope(ctx: CheckContext, response, case) -> bool | None:
    """The body is the JSON envelope, its `code` the HTTP code and its `status` a slug of that code."""
    body = _json(response)
    if not isinstance(body, dict):
        raise AssertionError(f"Not a JSON object: {response.content[:200]!r}")
    missing = {"status", "code", "message", "data"} - body.keys()
    if missing:
        raise AssertionError(f"Envelope without {sorted(missing)}: {sorted(body)}")
    extra = body.keys() - ENVELOPE_KEYS
    if extra:
        raise AssertionError(f"Envelope with unknown keys {sorted(extra)}")
    status = statuses.ALL.get(body["status"])
    if status is None:
        raise AssertionError(f"Unknown status slug {body['status']!r}")
    if not (body["code"] == status.code == response.status_code):
        raise AssertionError(
            f"{body['status']} is {status.code}; code={body['code']}, HTTP {response.status_code}"
        )
    if not isinstance(body["message"], str) or not body["message"]:
        raise AssertionError("Empty message")
    if (
        response.status_code >= 400
        and body["data"] is not None
        and body["status"] != statuses.PROVIDER_FAILED.slug
    ):
        raise AssertionError(f"An error ({body['status']}) with data: {str(body['data'])[:200]}")
    return None


def _sent_params(case):
    """The JSON params the case sent (decoded from base64 on the sign-in route), or None."""
    body = case.body
    if case.operation.label == SIGN_IN and isinstance(body, str):
        try:
            return json.loads(base64.b64decode(body, validate=True))
        except ValueError:
            return None
    return body if "json" in (case.media_type or "") else None


def deep_json_refused(ctx: CheckContext, response, case) -> bool | None:
    """A body nested past the JSON depth limit answers invalid-encoded-params (400)."""
    params = _sent_params(case)
    if not isinstance(params, dict) or DEEP_KEY not in params:
        return None
    body = _json(response) or {}
    if body.get("status") != statuses.INVALID_ENCODED_PARAMS.slug:
        raise AssertionError(f"A too-deep body answered {response.status_code} {body.get('status')}")
    return None


CHECKS = [
    no_server_error,
    envelope,
    deep_json_refused,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Seeds:
    """Ids of the records the fuzz run starts with, for path params."""

    cancelation_ids: list[int] = field(default_factory=list)
    notification_ids: list[int] = field(default_factory=list)
    glip_message_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    client_ids: list[str] = field(default_factory=list)
    inbound_message_ids: list[int] = field(default_factory=list)
    suppression_ids: list[int] = field(default_factory=list)
    # The sign-in route's body (base64 of the JSON params) for the seeded person.
    sign_in_body: str = ""

    def path_values(self, path: str) -> dict[str, list]:
        if path.startswith("/api/v1/cancelations/{id}"):
            return {"id": self.cancelation_ids}
        if path.startswith("/api/v1/notifications/{id}"):
            return {"id": self.notification_ids}
        if path.startswith("/api/v1/glip/messages/{id}"):
            return {"id": self.glip_message_ids}
        if path.startswith("/api/v1/inbound_messages/{id}"):
            return {"id": self.inbound_message_ids}
        if path.startswith("/api/v1/suppressions/{id}"):
            return {"id": self.suppression_ids}
        if path.startswith("/api/v1/users/{user_id}/clients/{client_id}"):
            return {"user_id": self.user_ids, "client_id": self.client_ids}
        if path.startswith("/api/v1/users/{user_id}"):
            return {"user_id": self.user_ids}
        return {}


# Cancelation fields the rules check against the record's state: left out of the cancels
# (but the cancelable) and updates pointed at seeded records, so that most of those succeed.
CANCELATION_RULED = ("cancelable_type", "cancelable_id", "reason_id", "canceled_in", "active")
CANCELATION_RULED += ("reinstated_at", "reinstated_by", "reinstated_note", "session_view")


NOTIFICATION_FREE_TEXT = (
    "key",
    "status",
    "email_subject",
    "email_technician",
    "olio_id",
    "tour_id",
    "email_body",
)


def _real_names(body, label: str):
    """Point a generated JSON body at the seeded records (its other fields stay generated)."""
    if not isinstance(body, dict):
        return body
    body = dict(body)
    if "team_name" in body:
        body["team_name"] = TEAM
    if label in ("POST /api/v1/cancelations", "PATCH /api/v1/cancelations/{id}", UPDATE_BY_PARAMS):
        for name in CANCELATION_RULED:
            if name not in ("cancelable_type", "cancelable_id") or label.startswith("PATCH"):
                body.pop(name, None)
        body["reason_slug"] = "weather"
    if label == "POST /api/v1/notifications":
        # Stored, not sent (processed 1), with the generated free-text fields: a valid create
        # now that `{}` answers no-params-decoded and each notification_type has its needs.
        body = {name: value for name, value in body.items() if name in NOTIFICATION_FREE_TEXT}
        body["processed"] = 1
    if "matchCriteria" in body:
        body["matchCriteria"] = {
            "type": "whatsapp",
            "integrationId": INTEGRATION,
            "phoneNumber": "+12125550000",
        }
        body["target"] = {"conversationId": CONVERSATION}
    return body


# What a valid path param looks like (the schema's): an id from 1 up, or a Sunshine client id.
VALID_PATH_VALUE = {"id": re.compile(r"[1-9]\d*"), "user_id": re.compile(r"[1-9]\d*")}
VALID_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def path_parameters_strategy(seeds: Seeds, operation, path_parameters):
    """The seeded records' ids first, the generated values otherwise.

    A generated value the schema refuses (a negative case: `0`, `-1`, text) is kept as it
    is, so the negative checks see the server refuse it, not a seeded record accepted.
    """
    values = seeds.path_values(operation.path)
    if not values or not all(values.values()):
        return st.just(path_parameters)
    if any(
        not VALID_PATH_VALUE.get(name, VALID_CLIENT_ID).fullmatch(str(value))
        for name, value in (path_parameters or {}).items()
    ):
        return st.just(path_parameters)
    real = st.fixed_dictionaries({name: st.sampled_from([str(v) for v in vs]) for name, vs in values.items()})
    return st.one_of(real, st.just(path_parameters))


# --- hostile input: one request in HOSTILE_ONE_IN carries some ----------------------------------
HOSTILE_ONE_IN = 8
CURSOR_PARAMS = ("page[after]", "page[before]")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


# Cursors a caller builds by hand: undecodable, a NUL inside, a position of the wrong kind.
crafted_cursors = st.one_of(
    st.sampled_from(["cD1hYmM=", "\x00", _b64(b"p=1\x00"), _b64(b"p=" + b"9" * 30), _b64(b"\xff\xfe")]),
    st.binary(max_size=48).map(_b64),
    st.text(max_size=24).map(lambda text: _b64(f"p={text}".encode("utf-8", "surrogatepass"))),
    st.text(max_size=24),
)


def _nested(depth: int):
    value: list | dict = []
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


def _with_nuls(value):
    """Every string (keys too) of a JSON value with a NUL inside."""
    if isinstance(value, str):
        return value[:1] + "\x00" + value[1:]
    if isinstance(value, list):
        return [_with_nuls(v) for v in value]
    if isinstance(value, dict):
        return {_with_nuls(k) if k != "team_name" else k: _with_nuls(v) for k, v in value.items()}
    return value


def hostile_bodies(body, label: str):
    """The body nested past the JSON depth limit, or with NULs in its strings."""
    if label == SIGN_IN:  # the sensitive route: base64 of the JSON params
        params = {"email": PERSON["email"], "password": PERSON["password"]}
        bodies = st.one_of(
            st.integers(33, 400).map(lambda depth: {**params, DEEP_KEY: _nested(depth)}),
            st.just(_with_nuls(params)),
        )
        return bodies.map(lambda value: base64.b64encode(json.dumps(value).encode()).decode())
    if not isinstance(body, dict) or any(isinstance(v, bytes) for v in body.values()):
        return st.just(body)  # no body, or a file upload
    deep = st.integers(33, 400).map(lambda depth: {**body, DEEP_KEY: _nested(depth)})
    return st.one_of(deep, st.just(_with_nuls(body)))


def without_deep_forms(case):
    """A form body cannot nest: drop the too-deep value from a non-JSON case (its NULs stay)."""
    if (
        isinstance(case.body, dict)
        and DEEP_KEY in case.body
        and "json" not in (case.media_type or "application/json")
    ):
        case.body = {k: v for k, v in case.body.items() if k != DEEP_KEY}
    return case


def _sometimes(normal, hostile):
    # A middle value: hypothesis draws the bounds of a range more often than the rest.
    return st.integers(0, HOSTILE_ONE_IN - 1).flatmap(lambda n: hostile if n == 3 else normal)


def body_strategy(seeds: Seeds, operation, body):
    """The body pointed at seeded records (or the seeded person's sign-in) first, as generated
    otherwise, and now and then a hostile one (too deep, NULs)."""
    if operation.label == SIGN_IN and seeds.sign_in_body:
        normal = st.sampled_from([seeds.sign_in_body, body])
    else:
        real = _real_names(body, operation.label)
        if operation.label == UPDATE_BY_PARAMS and isinstance(real, dict) and seeds.cancelation_ids:
            # The update route with `id` as a body param: name a seeded cancelation.
            normal = st.sampled_from([{**real, "id": i} for i in seeds.cancelation_ids] + [body])
        else:
            normal = st.sampled_from([real, body])
    return _sometimes(normal, hostile_bodies(body, operation.label))


def query_strategy(operation, query):
    """Now and then a hand-made cursor in a list route's cursor param."""
    names = [p.name for p in operation.query if p.name in CURSOR_PARAMS]
    if not names:
        return st.just(query)
    crafted = st.tuples(st.sampled_from(names), crafted_cursors).map(
        lambda pair: {**(query or {}), pair[0]: pair[1]}
    )
    return _sometimes(st.just(query), crafted)


def install_hooks(schema, seeds: Seeds) -> None:
    """Make generated requests name the seeded records about half the time."""

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        return path_parameters_strategy(seeds, context.operation, path_parameters)

    @schema.hook
    def flatmap_body(context, body):
        return body_strategy(seeds, context.operation, body)

    @schema.hook
    def flatmap_query(context, query):
        return query_strategy(context.operation, query)

    @schema.hook
    def map_case(context, case):
        return without_deep_forms(case)


def seed(call, *, sunshine_fake) -> Seeds:
    """Create one record of each kind: the Glip team and the person in the database, the rest
    through the API (`call(method, path, json) -> (http_code, body)`)."""
    from django.contrib.auth import get_user_model

    from glip.models import GlipTeam

    GlipTeam.objects.create(name=TEAM, chat_id="chat-fuzz", active=True)
    person = get_user_model().objects.create_user(**PERSON)
    sunshine_fake.add_user(str(person.pk))
    sunshine_fake.add_conversation(CONVERSATION)
    seeds = Seeds(user_ids=[person.pk])
    sign_in = {"email": PERSON["email"], "password": PERSON["password"]}
    seeds.sign_in_body = base64.b64encode(json.dumps(sign_in).encode()).decode()

    def ok(method, path, data):
        code, body = call(method, path, data)
        assert code == 200, (method, path, code, body)
        return body["data"]

    cancel = {"cancelable_type": "Order", "cancelable_id": 1001, "reason_slug": "weather"}
    seeds.cancelation_ids.append(ok("POST", "/api/v1/cancelations", cancel)["id"])
    reinstated = ok(
        "POST", "/api/v1/cancelations", {"cancelable_type": "Tour", "cancelable_id": 7, "reason_id": 1}
    )
    ok("PATCH", f"/api/v1/cancelations/{reinstated['id']}", {"active": False, "reinstated_note": "fuzz"})
    seeds.cancelation_ids.append(reinstated["id"])
    email = {
        "notification_type": "email",
        "email_from": "ops@planomatic.example",
        "email_to": "ann@example.com",
        "email_subject": "Fuzz",
        "email_body": "Body",
        "user_id": str(person.pk),
    }
    seeds.notification_ids.append(ok("POST", "/api/v1/notifications", email)["id"])
    seeds.notification_ids.append(
        ok("POST", "/api/v1/notifications", {"key": "stored", "processed": 1})["id"]
    )
    glip = {"team_name": TEAM, "message": "hello", "execute": True}
    seeds.glip_message_ids.append(ok("POST", "/api/v1/glip/messages", glip)["id"])
    for phone in ("+12125552368", "+12125552369"):
        client = {
            "matchCriteria": {"type": "whatsapp", "integrationId": INTEGRATION, "phoneNumber": phone},
            "confirmation": {"type": "immediate"},
            "target": {"conversationId": CONVERSATION},
        }
        seeds.client_ids.append(ok("POST", f"/api/v1/users/{person.pk}/clients", client)["client_id"])
    # Replies and suppressions come from providers, not the API: made by the services. Several
    # suppressions, since each can be lifted once.
    from inbound.services import Inbound, inbound_message_record, suppression_add

    for number in range(10):
        phone = f"+1415555{number:04d}"
        reply = Inbound(channel="sms", provider="ringcentral", event_id=f"fuzz-{number}", from_address=phone)
        seeds.inbound_message_ids.append(inbound_message_record(inbound=reply).pk)
        seeds.suppression_ids.append(suppression_add(kind="phone", address=phone, reason="stop").pk)
    return seeds
