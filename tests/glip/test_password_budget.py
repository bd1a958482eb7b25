"""Password guessing through rc_extension + rc_password: refused logins per extension have a budget.

Against the RingCentral fake over real HTTP: each wrong password is a password
grant the fake refuses (400 invalid_grant).
"""

import pytest

from glip.models import GlipMessage, GlipTeam
from glip.services import glip_message_create
from planocore.budgets import parse_rate
from planocore.cache import cache_config
from planocore.outbox.models import ExternalRequest
from planocore.providers.ringcentral.models import RingCentralExtension

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:username-password login:UserWarning"),
]

URL = "/api/v1/glip/messages"
TOKEN_PATH = "/restapi/oauth/token"


@pytest.fixture(autouse=True)
def _auth_budget_out_of_the_way(settings, ringcentral_fake):
    """These tests count password logins, more than RingCentral's Auth budget (5 a minute)
    lets through at once; provider budgets have their own tests (tests/outbox/test_budgets.py)."""
    settings.RINGCENTRAL_BUDGETS = {**settings.RINGCENTRAL_BUDGETS, "Auth": 100}
    ringcentral_fake.set_rate_limit("Auth", 100, enforce=False)  # what its X-Rate-Limit-Limit says


@pytest.fixture
def photographers(ringcentral_fake):
    ringcentral_fake.add_team("chat-77", "Photographers")
    return GlipTeam.objects.create(name="Photographers", chat_id="chat-77")


def _extension(fake, number: str, owner: str) -> RingCentralExtension:
    phone = f"+1650555{number.zfill(4)}"
    fake.add_user(username=phone, extension=number, password=f"p@ss-{number}", owner_id=owner)
    fake.team("chat-77").members.add(owner)
    return RingCentralExtension.objects.create(extension_number=number, login_phone_number=phone)


@pytest.fixture
def ext_102(ringcentral_fake, photographers):
    return _extension(ringcentral_fake, "102", "200002")


@pytest.fixture
def ext_103(ringcentral_fake, photographers):
    return _extension(ringcentral_fake, "103", "200003")


@pytest.fixture
def budget_of_3(settings):
    settings.RINGCENTRAL_PASSWORD_FAILURE_RATE = "3/hour"


def _post(api, password, *, extension="102", execute=True):
    body = {"team_name": "Photographers", "message": "x", "rc_extension": extension, "rc_password": password}
    return api.post(URL, {**body, "execute": execute})


def _password_grants(fake) -> int:
    return sum(1 for r in fake.requests_to("POST", TOKEN_PATH) if b"grant_type=password" in r.body)


def test_refused_logins_past_the_budget_are_too_many_requests_before_any_call(
    api, ringcentral_fake, ext_102, ext_103, budget_of_3
):
    for _ in range(3):
        code, body = _post(api, "guess")
        assert (code, body["status"]) == (502, "provider-failed"), body
    assert _password_grants(ringcentral_fake) == 3
    messages = GlipMessage.objects.count()

    # Over budget: refused at the door, even with the right password; RingCentral is not called.
    response = api.client.post(
        URL,
        {"team_name": "Photographers", "message": "x", "rc_extension": "102", "rc_password": "p@ss-102"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    body = response.json()
    assert (response.status_code, body["status"]) == (429, "too-many-requests"), body
    assert 0 < int(response["Retry-After"]) <= 3600
    assert f"try again in {response['Retry-After']} seconds" in body["message"]
    assert "rc_extension 102" in body["message"] and "p@ss-102" not in str(body)
    assert _password_grants(ringcentral_fake) == 3
    assert GlipMessage.objects.count() == messages  # nothing written

    # Another extension keeps its own budget; a message without rc_extension is not affected.
    code, body = _post(api, "p@ss-103", extension="103")
    assert (code, body["status"]) == (200, "action-successful"), body
    code, body = api.post(URL, {"team_name": "Photographers", "message": "y", "execute": True})
    assert (code, body["status"]) == (200, "action-successful"), body


def test_refusals_in_the_outbox_send_count_too(
    api, ringcentral_fake, ext_102, budget_of_3, django_capture_on_commit_callbacks
):
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):  # queued; the send runs after the commit
            code, body = _post(api, "guess", execute=False)
        assert (code, body["status"]) == (200, "action-successful"), body
    assert _password_grants(ringcentral_fake) == 3
    assert set(ExternalRequest.objects.values_list("status", flat=True)) == {"failed"}
    code, body = _post(api, "p@ss-102", execute=False)
    assert (code, body["status"]) == (429, "too-many-requests"), body
    assert _password_grants(ringcentral_fake) == 3


def test_queued_sends_past_the_budget_make_no_login(
    ringcentral_fake, ext_102, photographers, settings, django_capture_on_commit_callbacks
):
    """Requests queued before the budget was spent do not reach RingCentral once it is."""
    settings.RINGCENTRAL_PASSWORD_FAILURE_RATE = "1/hour"
    with django_capture_on_commit_callbacks(execute=True):
        glip_message_create(team=photographers, text="a", extension=ext_102, rc_password="guess-1")
        second = glip_message_create(team=photographers, text="b", extension=ext_102, rc_password="guess-2")
    assert _password_grants(ringcentral_fake) == 1
    request = second.external_requests.get()
    assert request.status == "failed" and "Too many refused password logins of extension 102" in (
        request.last_error
    )
    assert "guess-2" not in request.last_error


def test_a_right_password_within_the_budget_works_and_a_stored_one_is_not_counted(
    api, ringcentral_fake, ext_102, photographers, budget_of_3, django_capture_on_commit_callbacks
):
    assert _post(api, "guess")[0] == 502
    assert _post(api, "guess")[0] == 502
    code, body = _post(api, "p@ss-102")
    assert (code, body["status"]) == (200, "action-successful"), body
    # The extension's own stored password failing (a setup error, not a guess) is not counted.
    ext_102.password = "stale"
    ext_102.save()
    with django_capture_on_commit_callbacks(execute=True):
        for text in ("s1", "s2", "s3"):
            glip_message_create(team=photographers, text=text, extension=ext_102)
    assert _password_grants(ringcentral_fake) == 6  # 2 guesses, 1 right, 3 with the stale stored one
    assert set(ExternalRequest.objects.filter(status="failed").values_list("last_error", flat=True)) >= {
        "RingCentral refused the password login of extension 102 (HTTP 400): invalid_grant "
        "Invalid resource owner credentials"
    }
    code, body = _post(api, "p@ss-102")
    assert (code, body["status"]) == (200, "action-successful"), body


def test_the_budget_fails_open_when_the_cache_is_down(api, ringcentral_fake, ext_102, budget_of_3, settings):
    redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    settings.CACHES = {"default": cache_config(redis, timeout=0.25, retry=5)}
    for _ in range(4):
        assert _post(api, "guess")[0] == 502
    code, body = _post(api, "p@ss-102")
    assert (code, body["status"]) == (200, "action-successful"), body


@pytest.mark.parametrize(
    ("rate", "parsed"), [("5/hour", (5, 3600)), ("10/min", (10, 60)), ("3/s", (3, 1)), ("1/day", (1, 86400))]
)
def test_rates_read_like_drf_throttle_rates(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["5", "five/hour", "5/fortnight", ""])
def test_a_wrong_rate_says_how_to_write_it(rate):
    with pytest.raises(ValueError, match="is not a rate like '10/min'"):
        parse_rate(rate)
