"""POST/GET /api/v1/glip/messages and GET /api/v1/glip/teams, against the RingCentral fake."""

import pytest

from glip.models import GlipMessage, GlipTeam
from glip.serializers import GlipMessageCreateParams
from planocore.outbox import services as outbox
from planocore.outbox.models import ExternalRequest
from planocore.providers.ringcentral.models import RingCentralExtension

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:username-password login:UserWarning"),
]

URL = "/api/v1/glip/messages"


@pytest.fixture
def photographers(ringcentral_fake):
    ringcentral_fake.add_team("chat-77", "Photographers")
    return GlipTeam.objects.create(name="Photographers", chat_id="chat-77")


@pytest.fixture
def ext_102(ringcentral_fake):
    ringcentral_fake.add_user(
        username="+16505550100", extension="102", password="p@ss-102", owner_id="200002"
    )
    ringcentral_fake.team("chat-77").members.add("200002")
    return RingCentralExtension.objects.create(
        extension_number="102", login_phone_number="+16505550100", display_name="Dispatch"
    )


def _nothing_written():
    return not GlipMessage.objects.exists() and not ExternalRequest.objects.exists()


# --- sending ------------------------------------------------------------------------
def test_execute_posts_from_the_default_extension_with_jwt(api, ringcentral_fake, photographers):
    code, body = api.post(URL, {"team_name": "Photographers", "message": "Shoot at 10", "execute": True})
    assert (code, body["status"]) == (200, "action-successful"), body
    assert ringcentral_fake.posts_to("chat-77") == [
        {"chat_id": "chat-77", "text": "Shoot at 10", "owner_id": "100001", "id": body["data"]["post_id"]}
    ]
    assert ringcentral_fake.logins == [{"grant": "jwt", "owner_id": "100001"}]
    message = GlipMessage.objects.get()
    assert (message.status, message.post_id) == ("sent", body["data"]["post_id"])
    assert message.application.slug == "planox2" and message.extension is None
    assert body["data"]["rc_extension"] is None and body["data"]["team_name"] == "Photographers"
    request = message.external_requests.get()
    assert request.status == "sent" and request.payload["chat_id"] == "chat-77"


def test_execute_posts_from_a_given_extension_with_its_password(
    api, ringcentral_fake, photographers, ext_102
):
    code, body = api.post(
        URL,
        {
            "team_name": "Photographers",
            "message": "From dispatch",
            "rc_extension": "102",
            "rc_password": "p@ss-102",
            "execute": "true",
        },
    )
    assert (code, body["status"]) == (200, "action-successful"), body
    assert ringcentral_fake.posts_to("chat-77")[0]["owner_id"] == "200002"
    assert ringcentral_fake.logins == [{"grant": "password", "owner_id": "200002", "extension": "102"}]
    assert "p@ss-102" not in str(body) and "rc_password" not in body["data"]
    request = ExternalRequest.objects.get()
    assert request.secret_payload == ""  # wiped once sent
    assert "p@ss-102" not in str(request.payload) + str(request.response) + request.last_error
    assert GlipMessage.objects.get().extension == ext_102


def test_posting_costs_few_queries(api, photographers, django_assert_max_num_queries):
    api.post(URL, {"team_name": "Photographers", "message": "warm-up"})
    # token, team, message insert, outbox insert, plus the savepoints of the nested services
    with django_assert_max_num_queries(8):
        code, body = api.post(URL, {"team_name": "Photographers", "message": "counted"})
    assert code == 200 and GlipMessage.objects.count() == 2


def test_queued_message_is_sent_after_commit(
    api, ringcentral_fake, photographers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        code, body = api.post(URL, {"team_name": "Photographers", "message": "Queued one", "priority": 2})
    assert (code, body["status"]) == (200, "action-successful")
    assert body["data"]["status"] == "queued" and body["data"]["priority"] == 2
    assert [p["text"] for p in ringcentral_fake.posts_to("chat-77")] == ["Queued one"]
    assert GlipMessage.objects.get().status == "sent"


def test_password_is_kept_encrypted_until_sent(api, ringcentral_fake, photographers, ext_102):
    code, body = api.post(
        URL, {"team_name": "Photographers", "message": "x", "rc_extension": "102", "rc_password": "p@ss-102"}
    )
    assert code == 200 and body["data"]["status"] == "queued"
    request = ExternalRequest.objects.get()
    assert request.secret_payload and "p@ss-102" not in request.secret_payload
    assert outbox.send(request.pk).succeeded
    request.refresh_from_db()
    assert request.secret_payload == ""


def test_execute_failure_answers_provider_failed_with_the_saved_message(api, ringcentral_fake, photographers):
    ringcentral_fake.fail_next(
        503, {"errorCode": "CMN-201", "message": "Service Temporary Unavailable"}, path="/posts$"
    )
    code, body = api.post(
        URL, {"team_name": "Photographers", "message": "Try", "priority": 5, "execute": True}
    )
    assert (code, body["status"]) == (502, "provider-failed")
    assert body["data"]["failure"]["will_retry"] is True and body["data"]["failure"]["retryable"] is True
    assert "will be retried" in body["message"] and "503" in body["message"]
    saved = body["data"]["glip_message"]
    assert saved["status"] == "retrying" and GlipMessage.objects.get(pk=saved["id"]).status == "retrying"
    assert ExternalRequest.objects.get().status == "retrying"


def test_execute_failure_with_low_priority_is_not_retried(api, ringcentral_fake, photographers):
    ringcentral_fake.fail_next(503, None, path="/posts$")
    code, body = api.post(URL, {"team_name": "Photographers", "message": "Try", "execute": True})
    assert (code, body["status"]) == (502, "provider-failed")
    assert body["data"]["failure"]["will_retry"] is False and "will not be retried" in body["message"]
    assert GlipMessage.objects.get().status == "failed"
    assert ExternalRequest.objects.get().status == "failed"


def test_wrong_rc_password_fails_without_leaking_it(api, ringcentral_fake, photographers, ext_102):
    code, body = api.post(
        URL,
        {
            "team_name": "Photographers",
            "message": "x",
            "rc_extension": "102",
            "rc_password": "not-it",
            "execute": True,
        },
    )
    assert (code, body["status"]) == (502, "provider-failed")
    assert "refused the password login of extension 102" in body["message"]
    assert "not-it" not in str(body)
    assert ringcentral_fake.posts == []


# --- bad input ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "status", "param", "says"),
    [
        ({"message": "hi"}, "missing-param", "team_name", "required"),
        ({"team_name": "Photographers"}, "missing-param", "message", "required"),
        (
            {"team_name": "Nobody", "message": "hi"},
            "invalid-param",
            "team_name",
            "/documentation/list_items/glip_team",
        ),
        (
            {"team_name": "Archived", "message": "hi"},
            "invalid-param",
            "team_name",
            "/documentation/list_items/glip_team",
        ),
        ({"team_name": "Photographers", "message": ""}, "invalid-param", "message", "blank"),
        ({"team_name": "Photographers", "message": "   "}, "invalid-param", "message", "blank"),
        ({"team_name": "Photographers", "message": "x" * 10001}, "invalid-param", "message", "10000"),
        (
            {"team_name": "Photographers", "message": "hi", "rc_extension": "102"},
            "invalid-param",
            "rc_password",
            "required when rc_extension",
        ),
        (
            {"team_name": "Photographers", "message": "hi", "rc_password": "pw"},
            "invalid-param",
            "rc_extension",
            "required when rc_password",
        ),
        (
            {"team_name": "Photographers", "message": "hi", "rc_extension": "999", "rc_password": "pw"},
            "invalid-param",
            "rc_extension",
            "999",
        ),
        ({"team_name": "Photographers", "message": "hi", "priority": -1}, "invalid-param", "priority", "0"),
        (
            {"team_name": "Photographers", "message": "hi", "priority": "high"},
            "invalid-param",
            "priority",
            "integer",
        ),
        (
            {"team_name": "Photographers", "message": "hi", "priority": 2.5},
            "invalid-param",
            "priority",
            "integer",
        ),
        (
            {"team_name": "Photographers", "message": "hi", "execute": "maybe"},
            "invalid-param",
            "execute",
            "boolean",
        ),
    ],
)
def test_bad_input(api, ringcentral_fake, photographers, ext_102, params, status, param, says):
    GlipTeam.objects.create(name="Archived", chat_id="chat-old", active=False)
    code, body = api.post(URL, params)
    assert (code, body["status"]) == (400, status), body
    assert param in body["errors"] and f"`{param}`" in body["message"]
    assert says in body["message"]
    assert _nothing_written()
    assert ringcentral_fake.received == []


def test_message_of_exactly_10000_characters_is_taken(api, ringcentral_fake, photographers):
    code, body = api.post(URL, {"team_name": "Photographers", "message": "x" * 10000, "execute": True})
    assert code == 200 and len(ringcentral_fake.posts[0]["text"]) == 10000


def test_posting_needs_the_add_permission(make_app_token, ringcentral_fake, photographers):
    from conftest import Api

    api = Api(make_app_token(permissions=["glip.view_glipmessage"]))
    code, body = api.post(URL, {"team_name": "Photographers", "message": "hi"})
    assert (code, body["status"]) == (403, "permission-denied")
    assert _nothing_written()


# --- documentation data --------------------------------------------------------------
SEED_PARAMS = [
    ("team_name", "string", 2, True),
    ("message", "string", 3, True),
    ("rc_extension", "string", 4, False),
    ("rc_password", "string", 5, False),
    ("priority", "integer", 6, False),
    ("execute", "boolean", 7, False),
]


def test_params_follow_the_seed(db):
    from rest_framework import serializers

    kinds = {
        serializers.CharField: "string",
        serializers.IntegerField: "integer",
        serializers.BooleanField: "boolean",
    }
    fields = GlipMessageCreateParams().fields
    got = [
        (name, kinds[type(field)], field.style["order"], field.required)
        for name, field in sorted(fields.items(), key=lambda item: item[1].style["order"])
    ]
    assert got == SEED_PARAMS
    assert fields["message"].help_text == "Message that is sent to Glip team."
    assert fields["team_name"].style["list_item"] == "glip_team"


# --- reading --------------------------------------------------------------------------
def test_list_filters_and_cursor(api, photographers, django_assert_max_num_queries):
    other = GlipTeam.objects.create(name="Editors", chat_id="chat-88")
    for n in range(5):
        GlipMessage.objects.create(team=photographers if n % 2 else other, text=f"m{n}", priority=n)
    api.get(URL)  # warm the token's permission and route caches
    with django_assert_max_num_queries(3):
        code, body = api.get(URL, {"page[size]": 2})
    assert code == 200 and [m["message"] for m in body["data"]] == ["m4", "m3"]
    assert body["meta"] == {"page_size": 2, "has_more": True} and body["links"]["prev"] is None
    code, body = api.get(body["links"]["next"])
    assert [m["message"] for m in body["data"]] == ["m2", "m1"]
    code, body = api.get(URL, {"team_name": "Photographers"})
    assert [m["message"] for m in body["data"]] == ["m3", "m1"]
    code, body = api.get(URL, {"priority_min": 3})
    assert [m["message"] for m in body["data"]] == ["m4", "m3"]
    code, body = api.get(URL, {"status": "nope"})
    assert (code, body["status"]) == (400, "invalid-param") and "status" in body["errors"]
    code, body = api.get(URL, {"page[after]": "garbage"})
    assert (code, body["status"]) == (400, "invalid-param") and "page[after]" in body["errors"]


def test_show_has_the_proof(api, ringcentral_fake, photographers):
    _, posted = api.post(URL, {"team_name": "Photographers", "message": "proof", "execute": True})
    code, body = api.get(f"{URL}/{posted['data']['id']}")
    assert code == 200 and body["data"]["post_id"] == posted["data"]["post_id"]
    proof = body["data"]["outgoing_requests"][0]
    assert proof["status"] == "sent" and proof["provider_message_id"] == posted["data"]["post_id"]
    assert proof["response"]["groupId"] == "chat-77"
    code, body = api.get(f"{URL}/999999")
    assert (code, body["status"]) == (400, "invalid-param") and "id" in body["errors"]


def test_teams_list(api, django_assert_max_num_queries):
    for name, active in [("Zeta", True), ("Alpha", True), ("Old", False)]:
        GlipTeam.objects.create(name=name, chat_id=f"c-{name}", active=active)
    api.get("/api/v1/glip/teams")  # warm the caches
    with django_assert_max_num_queries(3):
        code, body = api.get("/api/v1/glip/teams", {"active": "true"})
    assert code == 200 and [t["name"] for t in body["data"]] == ["Alpha", "Zeta"]
    assert set(body["links"]) == {"next", "prev"}
    code, body = api.get("/api/v1/glip/teams", {"name": "ld"})
    assert [t["name"] for t in body["data"]] == ["Old"]


def test_documentation_page_shows_the_seed_params_in_order(client):
    import re

    GlipTeam.objects.create(name="Photographers", chat_id="chat-77")
    response = client.get("/documentation/glip-messages-create")
    assert response.status_code == 200
    page = response.content.decode()
    rows = re.findall(
        r'<tr id="param-(\w+)">\s*<td><code>\w+</code></td>\s*'
        r"<td>(\w+)</td>\s*<td>(\d*)</td>\s*<td>(.*?)</td>",
        page,
        re.S,
    )
    got = [(name, kind, int(number), "required" in flag) for name, kind, number, flag in rows]
    assert got == [("token", "string", 1, True), *SEED_PARAMS]
    assert 'href="/documentation/list_items/glip_team"' in page
    assert "provider-failed" in page
    listing = client.get("/documentation/list_items/glip_team").content.decode()
    assert "Photographers" in listing


def test_execute_during_a_rate_limit_penalty_queues_instead(api, ringcentral_fake, photographers):
    from planocore.providers import ratelimit

    ratelimit.penalize("ringcentral:default", 30)
    code, body = api.post(URL, {"team_name": "Photographers", "message": "Later", "execute": True})
    assert (code, body["status"]) == (200, "action-successful")
    assert "rate limit" in body["message"] and body["data"]["status"] == "queued"
    assert ringcentral_fake.received == []
    assert ExternalRequest.objects.get().status == "queued"


def test_outcomes_of_other_sources_leave_messages_alone(ringcentral_fake, photographers):
    message = GlipMessage.objects.create(pk=photographers.pk, team=photographers, text="mine")
    other = outbox.enqueue(
        channel="glip",
        action="post",
        payload={"chat_id": "chat-77", "text": "not mine", "extension_id": None},
        source=photographers,  # a record of another model whose pk may equal the message's
        dispatch=False,
    )
    assert other.object_id == str(message.pk)
    assert outbox.send(other.pk).succeeded
    message.refresh_from_db()
    assert (message.status, message.post_id) == ("queued", "")
