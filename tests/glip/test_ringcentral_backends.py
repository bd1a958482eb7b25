"""The RingCentral backends against the local fake over real HTTP, through the outbox."""

from urllib.parse import parse_qs

import pytest

from planocore.outbox import services as outbox
from planocore.outbox.models import ExternalRequest
from planocore.providers import ratelimit
from planocore.providers.base import ProviderError
from planocore.providers.registry import get_backend
from planocore.providers.ringcentral.backends import MEDIA_FETCH_FAILED, MMS_MAX_BYTES, TeamsBackend
from planocore.providers.ringcentral.models import RingCentralExtension
from planocore.providers.ringcentral.sessions import reset_sessions

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:username-password login:UserWarning"),
]

GLIP = {"chat_id": "chat-1", "text": "Hello team", "extension_id": None}
SMS = {
    "from": "+16505550100",
    "to": ["+16505550111"],
    "text": "Your shoot is confirmed",
    "extension_id": None,
}


@pytest.fixture
def team(ringcentral_fake):
    return ringcentral_fake.add_team("chat-1", "Photographers")


def _send(channel, payload, *, action="send", priority=0, secrets=None):
    request = outbox.enqueue(
        channel=channel, action=action, payload=payload, priority=priority, secrets=secrets, dispatch=False
    )
    return outbox.send(request.pk), ExternalRequest.objects.get(pk=request.pk)


# --- Glip posts -----------------------------------------------------------------------
def test_glip_post_success_with_the_default_jwt(ringcentral_fake, team):
    outcome, request = _send("glip", GLIP, action="post")
    assert outcome.succeeded
    assert ringcentral_fake.posts == [
        {"chat_id": "chat-1", "text": "Hello team", "owner_id": "100001", "id": request.provider_message_id}
    ]
    assert ringcentral_fake.logins[0]["grant"] == "jwt"
    assert request.status == ExternalRequest.Status.SENT
    assert request.response["groupId"] == "chat-1"
    token_call = ringcentral_fake.requests_to("POST", "/restapi/oauth/token")[0]
    assert token_call.headers["authorization"].startswith("Basic ")


def test_glip_token_is_reused_then_refreshed(ringcentral_fake, team):
    for _ in range(3):
        assert _send("glip", GLIP, action="post")[0].succeeded
    assert [login["grant"] for login in ringcentral_fake.logins] == ["jwt"]
    ringcentral_fake.expire_access_tokens()
    # Another process: no in-process session, but the encrypted token in the cache is shared.
    reset_sessions()
    assert _send("glip", GLIP, action="post")[0].succeeded
    assert [login["grant"] for login in ringcentral_fake.logins] == ["jwt", "refresh_token"]
    ringcentral_fake.revoke_all_tokens()
    assert _send("glip", GLIP, action="post")[0].succeeded  # 401 → one new login → success
    assert [login["grant"] for login in ringcentral_fake.logins][-1] == "jwt"
    assert len(ringcentral_fake.posts) == 5


def test_glip_unknown_chat_is_a_permanent_failure(ringcentral_fake, team):
    outcome, request = _send("glip", {**GLIP, "chat_id": "no-such-chat"}, action="post", priority=9)
    assert not outcome.succeeded and not outcome.retryable
    assert request.status == ExternalRequest.Status.FAILED
    assert "404" in request.last_error and "chatId" in request.last_error
    assert ringcentral_fake.posts == []


def test_glip_5xx_is_retried_then_succeeds(ringcentral_fake, team):
    ringcentral_fake.fail_next(
        503, {"errorCode": "CMN-201", "message": "Service Temporary Unavailable"}, path="/posts$"
    )
    outcome, request = _send("glip", GLIP, action="post", priority=5)
    assert outcome.retryable and request.status == ExternalRequest.Status.RETRYING
    assert "503" in request.last_error and "Service Temporary Unavailable" in request.last_error
    ExternalRequest.objects.filter(pk=request.pk).update(next_attempt_at=request.created_at)
    outcome = outbox.send(request.pk)
    assert outcome.succeeded
    assert len(ringcentral_fake.posts) == 1
    assert request.attempt_log.count() == 2


def test_glip_429_retry_after_is_honoured(ringcentral_fake, team):
    ringcentral_fake.fail_next(
        429,
        {"errorCode": "CMN-301", "message": "Request rate exceeded"},
        headers={"Retry-After": "42"},
        path="/posts$",
    )
    outcome, request = _send("glip", GLIP, action="post", priority=5)
    assert outcome.retryable and request.status == ExternalRequest.Status.RETRYING
    wait = (request.next_attempt_at - request.updated_at).total_seconds()
    assert wait >= 41
    attempt = request.attempt_log.get()
    assert (attempt.http_status, attempt.retry_after_seconds) == (429, 42)
    # Nobody calls this RingCentral user again during the penalty.
    key = get_backend("glip").rate_limit_key(payload=GLIP)
    assert ratelimit.penalty_remaining(key) > 40


def test_glip_timeout_is_retryable_and_never_leaks_the_token(ringcentral_fake, team, settings, caplog):
    settings.PROVIDER_TIMEOUT_SECONDS = 0.8
    _send("glip", GLIP, action="post")  # log in first, so the token exists
    ringcentral_fake.hang_next(2.0, path="/posts$")
    outcome, request = _send("glip", GLIP, action="post", priority=5)
    assert outcome.retryable and "did not answer" in request.last_error
    assert request.status == ExternalRequest.Status.RETRYING
    access_tokens = list(ringcentral_fake.tokens)
    stored = f"{request.last_error} {request.response} {caplog.text}"
    assert access_tokens and not any(token in stored for token in access_tokens)
    assert "Bearer" not in stored and "Authorization" not in stored


def test_error_text_never_holds_the_authorization_header(ringcentral_fake, team):
    ringcentral_fake.fail_next(
        400, {"errorCode": "CMN-101", "message": "Parameter [text] value is invalid"}, path="/posts$"
    )
    outcome, request = _send("glip", GLIP, action="post")
    assert request.last_error == (
        "RingCentral answered HTTP 400 to the post in chat chat-1: CMN-101 Parameter [text] value is invalid"
    )
    assert "Bearer" not in str(request.response)


def test_password_grant_for_a_given_extension(ringcentral_fake, team):
    ext = RingCentralExtension.objects.create(extension_number="102", login_phone_number="+16505550100")
    ringcentral_fake.add_user(username="+16505550100", extension="102", password="s3cret!", owner_id="200002")
    ringcentral_fake.team("chat-1").members.add("200002")
    outcome, request = _send(
        "glip", {**GLIP, "extension_id": ext.pk}, action="post", secrets={"password": "s3cret!"}
    )
    assert outcome.succeeded
    assert ringcentral_fake.posts[0]["owner_id"] == "200002"
    login = parse_qs(ringcentral_fake.requests_to("POST", "/restapi/oauth/token")[0].body.decode())
    assert login["grant_type"] == ["password"] and login["extension"] == ["102"]
    assert login["username"] == ["+16505550100"] and login["password"] == ["s3cret!"]
    assert request.secret_payload == ""  # the outbox wiped the password once sent


def test_wrong_password_is_permanent_and_says_so(ringcentral_fake, team):
    ext = RingCentralExtension.objects.create(extension_number="102", login_phone_number="+16505550100")
    ringcentral_fake.add_user(username="+16505550100", extension="102", password="right", owner_id="200002")
    outcome, request = _send(
        "glip", {**GLIP, "extension_id": ext.pk}, action="post", priority=9, secrets={"password": "wrong"}
    )
    assert not outcome.retryable and request.status == ExternalRequest.Status.FAILED
    assert "refused the password login of extension 102" in request.last_error
    assert "wrong" not in request.last_error
    assert request.secret_payload != ""  # kept (encrypted) until staff retry or it is sent


def test_no_credentials_is_a_permanent_failure(ringcentral_fake, settings, team):
    settings.RINGCENTRAL_JWT = ""
    outcome, request = _send("glip", GLIP, action="post", priority=9)
    assert request.status == ExternalRequest.Status.FAILED
    assert "RINGCENTRAL_JWT" in request.last_error


def test_default_extension_record_with_its_own_jwt_is_used(ringcentral_fake, team):
    RingCentralExtension.objects.create(extension_number="101", is_default=True, jwt="ext-101-jwt")
    ringcentral_fake.add_jwt("ext-101-jwt", "300003")
    ringcentral_fake.team("chat-1").members.add("300003")
    assert _send("glip", GLIP, action="post")[0].succeeded
    assert ringcentral_fake.posts[0]["owner_id"] == "300003"


def test_team_listing_pages(ringcentral_fake):
    for n in range(5):
        ringcentral_fake.add_team(f"c{n}", f"T{n}")
    list_teams_page = TeamsBackend().list_teams_page
    first = list_teams_page(extension_id=None, record_count=2)
    assert [t["id"] for t in first.records] == ["c0", "c1"] and first.next_page_token
    second = list_teams_page(extension_id=None, page_token=first.next_page_token, record_count=2)
    assert [t["id"] for t in second.records] == ["c2", "c3"]
    with pytest.raises(ProviderError) as excinfo:
        list_teams_page(extension_id=None, record_count=500)
    assert excinfo.value.http_status == 400 and not excinfo.value.retryable


# --- SMS ---------------------------------------------------------------------------
def test_sms_success(ringcentral_fake):
    outcome, request = _send("sms", SMS)
    assert outcome.succeeded
    assert ringcentral_fake.sms == [
        {
            "owner_id": "100001",
            "from": "+16505550100",
            "to": ["+16505550111"],
            "text": "Your shoot is confirmed",
            "id": int(request.provider_message_id),
        }
    ]
    assert request.response["messageStatus"] == "Queued"


def test_sms_permanent_failure(ringcentral_fake):
    ringcentral_fake.fail_next(
        400, {"errorCode": "MSG-304", "message": "Phone number is not allowed"}, path="/sms$"
    )
    outcome, request = _send("sms", SMS, priority=9)
    assert request.status == ExternalRequest.Status.FAILED and not outcome.retryable
    assert "MSG-304" in request.last_error


def test_sms_retryable_failure_then_success(ringcentral_fake):
    ringcentral_fake.fail_next(502, None, path="/sms$")
    outcome, request = _send("sms", SMS, priority=5)
    assert outcome.retryable and request.status == ExternalRequest.Status.RETRYING
    ExternalRequest.objects.filter(pk=request.pk).update(next_attempt_at=request.created_at)
    assert outbox.send(request.pk).succeeded
    assert len(ringcentral_fake.sms) == 1


def test_sms_429_retry_after(ringcentral_fake):
    ringcentral_fake.fail_next(
        429,
        {"errorCode": "CMN-301", "message": "Request rate exceeded"},
        headers={"Retry-After": "30"},
        path="/sms$",
    )
    outcome, request = _send("sms", SMS, priority=5)
    assert request.status == ExternalRequest.Status.RETRYING
    assert (request.next_attempt_at - request.updated_at).total_seconds() >= 29
    assert request.attempt_log.get().retry_after_seconds == 30


def test_sms_timeout(ringcentral_fake, settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 0.8
    ringcentral_fake.hang_next(2.0, path="/sms$")
    outcome, request = _send("sms", SMS, priority=5)
    assert outcome.retryable and "did not answer" in request.last_error
    assert ringcentral_fake.sms == []


def test_sms_text_over_1000_is_refused_before_any_call(ringcentral_fake):
    outcome, request = _send("sms", {**SMS, "text": "x" * 1001}, priority=9)
    assert request.status == ExternalRequest.Status.FAILED and "1000" in request.last_error
    assert ringcentral_fake.received == []


# --- MMS ---------------------------------------------------------------------------
def test_mms_success_attaches_the_media(ringcentral_fake):
    picture = b"\x89PNG\r\n" + b"x" * 5000
    url = ringcentral_fake.add_media("house.png", picture, "image/png")
    outcome, request = _send("mms", {**SMS, "media_url": url})
    assert outcome.succeeded
    sent = ringcentral_fake.mms[0]
    assert sent["to"] == ["+16505550111"] and sent["text"] == "Your shoot is confirmed"
    assert sent["attachments"][0]["content"] == picture
    assert sent["attachments"][0]["content_type"] == "image/png"
    assert request.response["attachments"][0]["size"] == len(picture)


def test_mms_media_over_the_size_limit_is_refused(ringcentral_fake):
    url = ringcentral_fake.add_media("big.jpg", b"x" * (MMS_MAX_BYTES + 1), "image/jpeg")
    outcome, request = _send("mms", {**SMS, "media_url": url}, priority=9)
    assert request.status == ExternalRequest.Status.FAILED and not outcome.retryable
    assert "1500000" in request.last_error
    assert ringcentral_fake.mms == [] and not ringcentral_fake.requests_to("POST", "/mms$")


def test_mms_media_of_an_unknown_type_is_refused(ringcentral_fake, caplog):
    url = ringcentral_fake.add_media("run.exe", b"MZ", "application/x-msdownload")
    outcome, request = _send("mms", {**SMS, "media_url": url}, priority=9)
    assert request.status == ExternalRequest.Status.FAILED and not outcome.retryable
    # The caller's error is the one neutral message (issue 15: it must not tell
    # what answered); the type that answered is named in the server's log.
    assert request.last_error == MEDIA_FETCH_FAILED
    assert "application/x-msdownload" in caplog.text
    assert ringcentral_fake.mms == []


def test_password_login_needs_the_login_phone_number(ringcentral_fake, team):
    ext = RingCentralExtension.objects.create(extension_number="103")
    outcome, request = _send(
        "glip", {**GLIP, "extension_id": ext.pk}, action="post", priority=9, secrets={"password": "pw"}
    )
    assert request.status == ExternalRequest.Status.FAILED
    assert "no login phone number" in request.last_error
    assert ringcentral_fake.received == []
