"""Issue 18, item 4: every request example on /documentation/ is a valid request.

Each route's documented example is sent as the page shows it (query string, JSON body,
or base64 body for sensitive params), with a real token in place of the placeholder and
the ids of records that exist in place of the example ids (`id`, `user_id`, `client_id`:
the caller's own records). Every answer is action-successful.
"""

import base64
import json
import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model

from cancelations.models import CancelationReason
from conftest import Api
from glip.models import GlipTeam
from inbound.services import Inbound, inbound_message_record, suppression_add
from planocore.accounts.services import api_session_create
from planocore.routes.docs import route_doc
from planocore.routes.registry import iter_api_routes

pytestmark = pytest.mark.django_db

# Routes a session token calls (signing out, registering as a client).
SESSION_ROUTES = {"sessions-current-delete", "users-client-register"}


@pytest.fixture
def world(api, sunshine_fake, django_capture_on_commit_callbacks):
    """The records the examples name: a Glip team, a reason, a user, and one record of each route."""
    GlipTeam.objects.get_or_create(name="General", defaults={"chat_id": "chat-1", "active": True})
    CancelationReason.objects.get_or_create(slug="client-request", defaults={"text": "Client request"})
    user = get_user_model().objects.create_user("example", "user@example.com", "correct horse battery staple")
    sunshine_fake.add_user(str(user.pk))
    sunshine_fake.add_conversation("029c31f25a21b47effd7be90")
    ids = {"user_id": user.pk}
    with django_capture_on_commit_callbacks(execute=True):
        code, body = api.post(
            "/api/v1/cancelations",
            {"cancelable_type": "Tour", "cancelable_id": 99, "reason_slug": "client-request"},
        )
        assert code == 200, body
        ids["cancelation"] = body["data"]["id"]
        code, body = api.post("/api/v1/notifications", {"key": "seed", "processed": 1})
        assert code == 200, body
        ids["notification"] = body["data"]["id"]
        code, body = api.post("/api/v1/glip/messages", {"team_name": "General", "message": "hi"})
        assert code == 200, body
        ids["glip_message"] = body["data"]["id"]
    code, body = api.post(
        f"/api/v1/users/{user.pk}/clients",
        {
            "matchCriteria": {
                "type": "whatsapp",
                "integrationId": "582dedf230e788746891281a",
                "phoneNumber": "+12125552368",
            },
            "confirmation": {"type": "immediate"},
            "target": {"conversationId": "029c31f25a21b47effd7be90"},
        },
    )
    assert code == 200, body
    ids["client_id"] = body["data"]["client_id"]
    message = inbound_message_record(
        inbound=Inbound(channel="sms", provider="ringcentral", event_id="seed", from_address="+14155550123")
    )
    ids["inbound_message"] = message.pk
    ids["suppression"] = suppression_add(kind="phone", address="+14155550123", reason="stop").pk
    return {"user": user, "ids": ids}


def _ids_for(route, world) -> dict:
    ids = world["ids"]
    if route.path.startswith("/api/v1/cancelations"):
        return {"id": ids["cancelation"]}
    if route.path.startswith("/api/v1/notifications"):
        return {"id": ids["notification"]}
    if route.path.startswith("/api/v1/inbound_messages"):
        return {"id": ids["inbound_message"]}
    if route.path.startswith("/api/v1/suppressions"):
        return {"id": ids["suppression"]}
    if route.path.startswith("/api/v1/glip/messages"):
        return {"id": ids["glip_message"]}
    if route.path.startswith("/api/v1/users/{user_id}"):
        return {"user_id": ids["user_id"], "client_id": ids["client_id"]}
    return {}


def send_example(route, world, app_token):
    params = dict(route_doc(route).example)
    for name, value in _ids_for(route, world).items():
        if name in params:
            params[name] = value
    if "token" in params:
        if route.endpoint.slug in SESSION_ROUTES:
            params["token"] = api_session_create(user=world["user"])[1]
        else:
            params["token"] = app_token
    return send_as_documented(route, params)


def send_as_documented(route, params: dict) -> tuple[int, dict]:
    """Send `params` to the route the way its documentation page shows its example."""
    doc = route_doc(route)
    path = re.sub(r"{(\w+)}", lambda m: str(params.pop(m.group(1))), route.path)
    client = Api().client
    if route.endpoint.sensitive:
        body = base64.b64encode(json.dumps(params).encode()).decode()
        response = client.generic(route.method, path, body, content_type="text/plain")
    elif doc.body_in_query:
        query = {k: json.dumps(v) if isinstance(v, (dict, list, bool)) else v for k, v in params.items()}
        response = client.generic(route.method, f"{path}?{urlencode(query)}")
    else:
        response = client.generic(route.method, path, json.dumps(params), content_type="application/json")
    return response.status_code, json.loads(response.content)


def test_every_documented_example_is_a_valid_request(world, app_token, django_capture_on_commit_callbacks):
    failures = []
    for route in iter_api_routes():
        with django_capture_on_commit_callbacks(execute=True):
            code, body = send_example(route, world, app_token)
        if body["status"] != "action-successful":
            failures.append(f"{route.endpoint.slug}: {body['status']} {body['message']}")
    assert not failures, "\n".join(failures)
